"""The data layer (pyarrow, python-calamine, orjson) is built by the common layer's script with a prune list and
stripped symbol tables, and what is left still does the work: with only a pruned copy on sys.path, every pyarrow
module the package imports loads, and CSV parsing, compute, workbooks, JSON and Parquet writing and reading work.

The layer ships aarch64 wheels and this machine is x86_64, so the working test prunes and strips a copy of the venv's
own pyarrow with the same prune list and the same functions: the two wheels hold the same file names (checked against
the aarch64 layer sam builds, .aws-sam/build/DataLayer), and the build itself checks what cannot be run here on the
aarch64 files (every glob matches, no needed library pruned, the loaded image unchanged by strip).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from energylake.sample.xlsx import workbook_bytes
from tests.support.paths import REPO_ROOT
from tests.support.scripts import load_script
from tests.support.template import RESOURCES

BUILD_LAYER = REPO_ROOT / "layers" / "common" / "build_layer.py"
DATA_LAYER = REPO_ROOT / "layers" / "data"
PACKAGE = REPO_ROOT / "layers" / "common" / "energylake"
LIBRARIES = ("pyarrow", "python_calamine", "orjson")  # layers/data/requirements.txt, by import name


build_layer = load_script(BUILD_LAYER, "build_layer")


def _installed(library: str) -> Path:
    spec = importlib.util.find_spec(library)
    assert spec and spec.origin, f"{library} is not installed in this venv"
    return Path(spec.origin).parent


@pytest.fixture(scope="module")
def pruned_layer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A copy of the venv's data-layer libraries, pruned by layers/data/prune.txt, stripped and compiled, as the
    layer's build does after its install; with the build's summary line."""
    target = tmp_path_factory.mktemp("data-layer") / "python"
    for library in LIBRARIES:
        shutil.copytree(_installed(library), target / library, ignore=shutil.ignore_patterns("__pycache__"))
    summary = build_layer.build_requirements_layer(
        DATA_LAYER / "requirements.txt", target, prune_list=DATA_LAYER / "prune.txt", strip=True, install=False
    )
    yield target, summary
    shutil.rmtree(target)


def _modules_the_package_imports() -> dict[str, list[str]]:
    """Every module of :data:`LIBRARIES` the package imports anywhere -> the names it takes from it (``from``)."""
    found: dict[str, list[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] in LIBRARIES:
                        found.setdefault(alias.name, [])
            elif (
                isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] in LIBRARIES
            ):
                found.setdefault(str(node.module), []).extend(alias.name for alias in node.names)
    return found


# Runs with only the pruned folder (and the standard library) on sys.path: python -I -S, the folder put first.
_WORKLOAD = r"""
import importlib, io, json, sys
folder, modules, workbook_path, parquet_path = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4]
sys.path.insert(0, folder)
for module, names in modules.items():
    imported = importlib.import_module(module)
    for name in names:
        getattr(imported, name, None) or importlib.import_module(f"{module}.{name}")
import orjson, python_calamine
import pyarrow as pa, pyarrow.compute as pc, pyarrow.csv as pacsv, pyarrow.fs, pyarrow.parquet as pq

csv = b"interval_start,settlement_point,price\n2026-12-01 00:00,HB_NORTH,21.5\n2026-12-01 00:15,HB_NORTH,\n"
table = pacsv.read_csv(
    io.BytesIO(csv),
    convert_options=pacsv.ConvertOptions(
        column_types={"interval_start": pa.timestamp("s"), "price": pa.float64()}, null_values=[""]
    ),
)
table = table.set_column(0, "interval_start_utc", pc.assume_timezone(table["interval_start"], "America/Chicago"))
workbook = python_calamine.load_workbook(workbook_path)
rows = workbook.get_sheet_by_name(workbook.sheet_names[0]).to_python()
weather = orjson.loads(b'{"hourly": {"temperature_2m": [3.5, 4.0]}}')
pq.write_table(table, parquet_path, compression="zstd")
back = pq.read_table(parquet_path)
try:
    pyarrow.fs.S3FileSystem
    s3 = "present"
except ImportError:
    s3 = "pruned"
print(json.dumps({
    "pyarrow_from": pa.__file__,
    "rows": back.num_rows,
    "equal": back.to_pylist() == table.to_pylist(),
    "mean_price": pc.mean(back["price"]).as_py(),
    "zone": str(back.schema.field("interval_start_utc").type.tz),
    "workbook": rows,
    "weather": weather["hourly"]["temperature_2m"],
    "s3": s3,
}))
"""


def test_the_package_imports_the_libraries_the_workload_covers() -> None:
    # GIVEN the package's source WHEN its imports of the data layer's libraries are collected
    modules = _modules_the_package_imports()
    # THEN the scan sees what the parsers and the curate step use (so the import test below covers real imports)
    assert {"pyarrow", "pyarrow.compute", "pyarrow.csv", "pyarrow.parquet", "python_calamine", "orjson"} <= set(modules)


def test_the_pruned_layer_imports_what_the_package_imports_and_writes_parquet(
    pruned_layer: tuple[Path, str], tmp_path: Path
) -> None:
    # GIVEN the pruned, stripped copy and a workbook like ERCOT's yearly files
    folder, _ = pruned_layer
    workbook = tmp_path / "book.xlsx"
    workbook.write_bytes(workbook_bytes([("Jan", [["Hour Ending", "ERCOT"], ["01/01/2026 01:00", 41250.5]])]))
    modules = _modules_the_package_imports()
    # WHEN a fresh interpreter with nothing but that folder on sys.path imports them and does the parsing work
    completed = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            _WORKLOAD,
            str(folder),
            json.dumps(modules),
            str(workbook),
            str(tmp_path / "out.parquet"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    # THEN every import resolves from the copy and the Parquet file round-trips
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(completed.stdout)
    assert Path(result["pyarrow_from"]).is_relative_to(folder)
    assert result["rows"] == 2 and result["equal"] and result["mean_price"] == 21.5
    assert result["zone"] == "America/Chicago"
    assert result["workbook"] == [["Hour Ending", "ERCOT"], ["01/01/2026 01:00", 41250.5]]
    assert result["weather"] == [3.5, 4.0]
    # ... and Arrow's own S3 client is gone (pyarrow.fs reports it unbuilt; our storage is boto3)
    assert result["s3"] == "pruned"


def test_the_prune_removes_flight_s3_and_build_files_and_keeps_what_lib_needs(pruned_layer: tuple[Path, str]) -> None:
    folder, summary = pruned_layer
    pyarrow = folder / "pyarrow"
    names = {path.name for path in pyarrow.iterdir()}
    assert not [name for name in names if "flight" in name or name.startswith(("libarrow_s3", "_s3fs"))]
    assert not {"include", "includes", "src", "tests", "conftest.py"} & names
    assert not [name for name in names if name.endswith((".pyx", ".pxd", ".pxi"))]
    # one copy of each libarrow_python* library: the SONAME the loader asks for (libarrow_python.so.2600)
    copies = sorted(name for name in names if name.startswith("libarrow_python"))
    assert len(copies) == 2 and all(re.fullmatch(r"libarrow_python(_parquet_encryption)?\.so\.\d+", n) for n in copies)
    # lib.*.so needs libarrow_substrait: it stays although pyarrow.substrait goes
    assert [name for name in names if name.startswith("libarrow_substrait.so.")]
    assert "pruned" in summary and "stripped symbol tables" in summary


def test_the_layer_ships_bytecode_that_needs_no_source_check(pruned_layer: tuple[Path, str]) -> None:
    folder, _ = pruned_layer
    compiled = folder / "pyarrow" / "__pycache__" / f"__init__.{sys.implementation.cache_tag}.pyc"
    assert compiled.is_file()
    assert int.from_bytes(compiled.read_bytes()[4:8], "little") == 0b01  # unchecked hash (zips round file times)


def test_the_stripped_libraries_keep_what_the_loader_reads(pruned_layer: tuple[Path, str], tmp_path: Path) -> None:
    # GIVEN a library of the venv's pyarrow and its stripped copy in the pruned layer
    folder, _ = pruned_layer
    name = next(path.name for path in _installed("pyarrow").glob("libparquet.so.*"))
    original, stripped = _installed("pyarrow") / name, folder / "pyarrow" / name
    # THEN the symbol table is gone (smaller file), what the loader maps and asks for is the same
    assert stripped.stat().st_size < original.stat().st_size
    assert build_layer.loaded_image_digest(stripped) == build_layer.loaded_image_digest(original)
    assert build_layer.needed_libraries(stripped) == build_layer.needed_libraries(original)
    assert any(needed.startswith("libarrow.so.") for needed in build_layer.needed_libraries(original))


# --------------------------------------------------------------------------------------------------------------------
# Failure paths: the build stops with one line and leaves the layer as it was
# --------------------------------------------------------------------------------------------------------------------


def test_a_prune_entry_that_matches_nothing_fails_and_deletes_nothing(tmp_path: Path) -> None:
    # GIVEN a layer folder and a prune list whose second entry names a file this release does not have
    (tmp_path / "pyarrow").mkdir()
    (tmp_path / "pyarrow" / "flight.py").write_text("")
    # WHEN it is pruned THEN the build fails naming the entry, and the first entry's file is still there
    with pytest.raises(build_layer.BuildError, match=r"'pyarrow/libarrow_flight.so.\*' matches nothing"):
        build_layer.prune(tmp_path, ["pyarrow/flight.py", "pyarrow/libarrow_flight.so.*"])
    assert (tmp_path / "pyarrow" / "flight.py").exists()


def test_pruning_a_library_a_kept_one_needs_fails_and_deletes_nothing(tmp_path: Path) -> None:
    # GIVEN libarrow_acero (which needs libarrow_compute) and libarrow_compute, from the venv's pyarrow
    (tmp_path / "pyarrow").mkdir()
    for pattern in ("libarrow_acero.so.*", "libarrow_compute.so.*"):
        for library in _installed("pyarrow").glob(pattern):
            shutil.copyfile(library, tmp_path / "pyarrow" / library.name)
    # WHEN a prune list removes libarrow_compute THEN the build refuses, naming who needs it, and deletes nothing
    with pytest.raises(build_layer.BuildError, match=r"libarrow_acero\.so\.\d+ needs libarrow_compute\.so\.\d+"):
        build_layer.prune(tmp_path, ["pyarrow/libarrow_compute.so.*"])
    assert len(list((tmp_path / "pyarrow").iterdir())) == 2


def test_a_prune_entry_outside_the_layer_is_refused(tmp_path: Path) -> None:
    prune_list = tmp_path / "prune.txt"
    prune_list.write_text("# why\npyarrow/tests\n../common/energylake  # escapes\n")
    with pytest.raises(build_layer.BuildError, match=r"line 3: '../common/energylake' must stay inside"):
        build_layer.read_prune_list(prune_list)


def test_a_strip_that_changes_the_loaded_image_fails_the_build(tmp_path: Path) -> None:
    # GIVEN a "strip" that changes a byte the loader maps (inside the first loaded segment)
    fake = tmp_path / "bad-strip"
    fake.write_text(
        f"#!{sys.executable}\nimport shutil, sys\nshutil.copyfile(sys.argv[-1], sys.argv[-2])  # strip -o OUT IN\n"
        "with open(sys.argv[-2], 'r+b') as f:\n"
        "    f.seek(0x200); byte = f.read(1); f.seek(0x200); f.write(bytes([byte[0] ^ 0xFF]))\n"
    )
    fake.chmod(0o755)
    layer = tmp_path / "python"
    layer.mkdir()
    library = next(_installed("pyarrow").glob("libarrow_python_parquet_encryption.so.*"))
    shutil.copyfile(library, layer / library.name)
    # WHEN the layer's libraries are stripped with it THEN the build fails naming the library, which is left as it was
    with pytest.raises(build_layer.BuildError, match=rf"bad-strip changed what the loader maps from {library.name}"):
        build_layer.strip_symbols(layer, str(fake))
    assert [path.name for path in layer.iterdir()] == [library.name]
    assert (layer / library.name).read_bytes() == library.read_bytes()


def test_a_strip_that_cannot_read_the_library_fails_naming_it(tmp_path: Path) -> None:
    # GIVEN a strip for another architecture (GNU strip of x86_64 on aarch64 libraries answers like this)
    fake = tmp_path / "strip"
    fake.write_text('#!/bin/sh\necho "strip: $4: file format not recognized" >&2\nexit 1\n')
    fake.chmod(0o755)
    layer = tmp_path / "python"
    layer.mkdir()
    library = next(_installed("pyarrow").glob("libarrow_python_parquet_encryption.so.*"))
    shutil.copyfile(library, layer / library.name)
    # WHEN the layer is stripped with it THEN the build fails with the tool's own words, the library left as it was
    with pytest.raises(build_layer.BuildError, match=rf"strip failed on {library.name}: .*file format not recognized"):
        build_layer.strip_symbols(layer, str(fake))
    assert (layer / library.name).read_bytes() == library.read_bytes()


def test_without_a_strip_tool_the_build_says_what_to_install_before_installing(tmp_path: Path) -> None:
    # GIVEN no strip tool on PATH and none in $STRIP
    env = {key: value for key, value in os.environ.items() if key != "STRIP"} | {"PATH": str(tmp_path / "empty")}
    target = tmp_path / "python"
    # WHEN the data layer is built with --strip-symbols
    completed = subprocess.run(
        [
            sys.executable,
            str(BUILD_LAYER),
            "requirements",
            str(DATA_LAYER / "requirements.txt"),
            str(target),
            "--prune",
            str(DATA_LAYER / "prune.txt"),
            "--strip-symbols",
        ],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=60,
    )
    # THEN it fails at once with one line naming the tool, and nothing was installed
    assert completed.returncode == 1
    assert completed.stderr.strip().splitlines() == [
        "build_layer: no strip for the layer's ELF files: install llvm (Debian: apt-get install llvm, for "
        "llvm-strip) or set STRIP to one of llvm-strip, aarch64-linux-gnu-strip"
    ]
    assert not any(target.iterdir())


# --------------------------------------------------------------------------------------------------------------------
# sam build wiring: template.yaml DataLayer -> layers/data/Makefile -> the common layer's build script
# --------------------------------------------------------------------------------------------------------------------


def test_sam_builds_the_data_layer_with_the_shared_script() -> None:
    # GIVEN the DataLayer's content folder and build metadata (paths relative to the template)
    layer = RESOURCES["DataLayer"]
    metadata = layer["Metadata"]
    assert metadata["BuildMethod"] == "makefile" and metadata["BuildArchitecture"] == "arm64"
    root = REPO_ROOT / layer["Properties"]["ContentUri"]
    context, working = (REPO_ROOT / metadata[key] for key in ("ContextPath", "WorkingDirectory"))
    # sam copies ContentUri (and hashes it for its build cache) and runs ContextPath's Makefile in the copy of
    # WorkingDirectory: the build script and the prune list must be inside what is copied and hashed
    assert working.is_relative_to(root) and BUILD_LAYER.is_relative_to(root)
    assert (DATA_LAYER / "prune.txt").is_relative_to(root)
    # WHEN make shows what build-DataLayer runs (in the working directory, as sam does)
    # (under `make test` this runs inside make: without --no-print-directory a nested make prints "Entering
    # directory" lines, and the parent's MAKEFLAGS would leak in)
    outside_make = {
        name: value for name, value in os.environ.items() if name not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")
    }
    completed = subprocess.run(
        [
            str(shutil.which("make")),
            "--no-print-directory",
            "-n",
            "-f",
            str(context / "Makefile"),
            "build-DataLayer",
            "ARTIFACTS_DIR=/x",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=working,
        env=outside_make,
    )
    command = completed.stdout.replace("\\\n", " ").split()
    # THEN it is the common layer's script in requirements mode, pruning and stripping, into python/
    script = working / command[1]
    assert script.resolve() == BUILD_LAYER
    assert command[2:5] == ["requirements", "requirements.txt", '"/x/python"']
    assert (working / "requirements.txt").is_file() and (working / "prune.txt").is_file()
    assert "--prune" in command and command[command.index("--prune") + 1] == "prune.txt"
    assert "--strip-symbols" in command
