"""The gold rules are .sql files read at run time: they ship in the Lambda layer, in the Glue package (and are read
from inside its zip, as Glue imports it), and in a wheel of the package."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from io import BytesIO
from pathlib import Path

from energylake.gold import rules
from energylake.lambdas.publish_glue_artifacts import glue_artifacts
from tests.support.paths import REPO_ROOT

PACKAGE = REPO_ROOT / "layers" / "common" / "energylake"
SQL_FILES = sorted(path.name for path in (PACKAGE / "gold" / "sql").glob("*.sql"))


def test_every_statement_is_a_sql_file_of_the_package() -> None:
    assert sorted(f"{name}.sql" for name in rules.STATEMENTS) == SQL_FILES


def test_the_layer_ships_the_sql_files(tmp_path: Path) -> None:
    # GIVEN the common layer built from the working tree (the package only)
    build_layer = REPO_ROOT / "layers" / "common" / "build_layer.py"
    command = [sys.executable, str(build_layer), "layer", str(tmp_path / "python"), "--no-dependencies"]
    subprocess.run(command, capture_output=True, check=True)
    # THEN it holds every statement's file, byte for byte
    shipped = tmp_path / "python" / "energylake" / "gold" / "sql"
    assert sorted(path.name for path in shipped.glob("*.sql")) == SQL_FILES
    assert all((shipped / name).read_bytes() == (PACKAGE / "gold" / "sql" / name).read_bytes() for name in SQL_FILES)


def test_the_glue_package_ships_the_sql_files_and_they_are_read_from_the_zip(tmp_path: Path) -> None:
    # GIVEN the package zipped as the deploy publishes it for Glue's --extra-py-files
    artifacts = glue_artifacts(PACKAGE, REPO_ROOT / "glue" / "build_gold.py")
    with zipfile.ZipFile(BytesIO(artifacts.package)) as zipped:
        names = zipped.namelist()
    assert sorted(name.rsplit("/", 1)[1] for name in names if name.startswith("energylake/gold/sql/")) == SQL_FILES
    package = tmp_path / "energylake.zip"
    package.write_bytes(artifacts.package)
    # WHEN a fresh interpreter imports energylake from that zip first and reads a statement
    probe = (
        f"import sys; sys.path.insert(0, {str(package)!r}); from energylake.gold import rules; "
        "print(rules.__file__); print(rules.sql_text('system_hourly') == open(sys.argv[1]).read())"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(PACKAGE / "gold" / "sql" / "system_hourly.sql")],
        capture_output=True,
        text=True,
        check=False,
    )
    # THEN the module came from the zip and the statement's text is the file's
    assert done.returncode == 0, done.stderr[-2000:]
    module_file, same = done.stdout.split()
    assert module_file.startswith(str(package)) and same == "True"


def test_a_wheel_of_the_package_declares_the_sql_files() -> None:
    # setuptools ships non-Python files only when package-data names them
    package_data = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "gold/sql/*.sql" in package_data["energylake"]
