"""What ships to AWS holds no local-only code: the common layer and the Glue package (published by the deploy) leave
energylake.local and energylake.sample out, and the layer's requirements hold no local-only library."""

from __future__ import annotations

import io
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

from energylake.lambdas.publish_glue_artifacts import glue_artifacts
from tests.support.paths import REPO_ROOT

BUILD_LAYER = REPO_ROOT / "layers" / "common" / "build_layer.py"
PACKAGE = REPO_ROOT / "layers" / "common" / "energylake"
LOCAL_ONLY_LIBRARIES = {"rich", "duckdb", "pyspark", "plotly"}


def _build(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(BUILD_LAYER), *args], capture_output=True, text=True, check=True)


def _modules(root: Path) -> set[str]:
    return {path.relative_to(root).with_suffix("").as_posix().replace("/", ".") for path in root.rglob("*.py")}


def test_the_layer_holds_the_package_without_its_local_rooms(tmp_path: Path) -> None:
    # GIVEN the layer built from the working tree (the package only: dependencies come from PyPI in `make build`)
    _build("layer", str(tmp_path / "python"), "--no-dependencies")
    # WHEN its modules are listed
    shipped = _modules(tmp_path / "python")
    # THEN every module of the package is there except the local door and the sample source
    expected = {
        f"energylake.{name}"
        for name in _modules(PACKAGE)
        if not name.startswith(("local", "sample")) and "__pycache__" not in name
    }
    assert shipped == expected
    assert not any(name.startswith(("energylake.local", "energylake.sample")) for name in shipped)
    assert "energylake.lambdas.fetch_ercot" in shipped and "energylake.gold.spark" in shipped


def test_the_layer_ships_bytecode_that_needs_no_source_check(tmp_path: Path) -> None:
    # GIVEN the layer built (bytecode for the interpreter that builds it: python3.12 under sam build)
    _build("layer", str(tmp_path / "python"), "--no-dependencies")
    package = tmp_path / "python" / "energylake"
    tag = sys.implementation.cache_tag
    # THEN every module has its .pyc, compiled with an unchecked hash (zips round file times to 2 seconds, so a
    # timestamp-checked .pyc would look stale and be recompiled on every cold start, in memory: /opt is read-only)
    for module in package.rglob("*.py"):
        compiled = module.parent / "__pycache__" / f"{module.stem}.{tag}.pyc"
        assert compiled.is_file(), module
        flags = int.from_bytes(compiled.read_bytes()[4:8], "little")
        assert flags == 0b01, f"{compiled}: not an unchecked-hash pyc (flags {flags})"


def test_rebuilding_the_layer_replaces_a_stale_copy(tmp_path: Path) -> None:
    stale = tmp_path / "python" / "energylake" / "sample"
    stale.mkdir(parents=True)
    (stale / "world.py").write_text("stale = True\n")
    _build("layer", str(tmp_path / "python"), "--no-dependencies")
    assert not stale.exists()


def test_the_glue_package_is_the_package_without_its_local_rooms_or_bytecode() -> None:
    # GIVEN the package zipped the way the deploy publishes it for Glue (from the source tree: local rooms and all)
    artifacts = glue_artifacts(PACKAGE, REPO_ROOT / "glue" / "build_gold.py")
    with zipfile.ZipFile(io.BytesIO(artifacts.package)) as zipped:
        names = zipped.namelist()
    # THEN it holds the package at the root, without the local rooms or any bytecode (Glue runs Python 3.11)
    assert "energylake/__init__.py" in names and "energylake/gold/spark.py" in names
    assert not [name for name in names if name.startswith(("energylake/local/", "energylake/sample/"))]
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


def test_the_layer_requirements_hold_no_local_only_library() -> None:
    lines = (REPO_ROOT / "layers" / "common" / "requirements.txt").read_text().splitlines()
    names = {line.split("#")[0].strip().split(">")[0].split("=")[0].split("[")[0] for line in lines}
    assert not names & LOCAL_ONLY_LIBRARIES


def test_the_local_only_libraries_come_with_the_local_extra_only() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    core = " ".join(project["dependencies"])
    local = " ".join(project["optional-dependencies"]["local"])
    assert "rich" in local and "duckdb" in local and "plotly" in local
    assert not [library for library in LOCAL_ONLY_LIBRARIES if library in core]


def test_the_import_rules_keep_shipped_code_off_the_local_rooms_and_libraries() -> None:
    linter = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    forbidden = [contract for contract in linter["contracts"] if contract["type"] == "forbidden"]
    assert forbidden and set(forbidden[0]["forbidden_modules"]) == {
        "energylake.local",
        "energylake.sample",
        "rich",
        "plotly",
        "numpy",  # the sample source's world (local only); pyarrow in the data layer needs no numpy
    }
    rooms = [path for path in PACKAGE.iterdir() if not path.name.startswith("_")]
    shipped = {path.stem for path in rooms if path.suffix == ".py"} | {path.name for path in rooms if path.is_dir()}
    shipped -= {"local", "sample"}
    assert {module.removeprefix("energylake.") for module in forbidden[0]["source_modules"]} == shipped
