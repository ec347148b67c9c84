"""Build what ships to AWS as Lambda layers, from one script for both of them.

* The common layer (template.yaml ``CommonLayer``, this folder's Makefile): the ``energylake`` package WITHOUT its
  local-only rooms (:data:`LOCAL_ONLY`: the CLI and dashboard, the offline sample source) and requirements.txt.
* A requirements-only layer (template.yaml ``DataLayer``, layers/data/Makefile): a requirements file, then a prune
  list (globs of what the code never uses, each with its reason, in the layer's folder) deleted, and the symbol tables
  of its shared libraries stripped. Pruning is checked, not trusted: every glob must match something (a list written
  for another release of the library fails the build) and no library a kept file needs (its ELF ``DT_NEEDED``
  entries) may be pruned. Stripping removes only what the dynamic loader never maps: the build compares what it maps
  (program headers and loaded segments) before and after, and fails on any difference.

Both install requirements for Lambda's platform (binary wheels only) and ship compiled bytecode for every module (a
cold start would otherwise compile hundreds of modules on every start: /opt is read-only, so nothing compiled there is
kept). The bytecode is compiled by the interpreter running this script, which ``sam build`` makes the runtime's
python3.12, with unchecked hashes: zips keep file times at 2-second resolution, which would make timestamp-checked
bytecode look stale. ``sam build`` runs it through the layers' Makefiles (``BuildMethod: makefile``)::

    python build_layer.py layer ARTIFACTS_DIR/python          # requirements for Lambda + the package
    python build_layer.py layer DIR --no-dependencies         # the package alone (tests)
    python build_layer.py requirements REQUIREMENTS ARTIFACTS_DIR/python --prune PRUNE_LIST --strip-symbols

Stripping needs a strip that reads the layer's architecture (aarch64 from an x86_64 machine): ``$STRIP``, else
``llvm-strip`` (Debian: ``apt-get install llvm``), else ``aarch64-linux-gnu-strip``.

Standard library only: it runs under the Lambda runtime's python3.12 that ``sam build`` finds, outside any venv.
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import os
import py_compile
import shutil
import struct
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGE = HERE / "energylake"
REQUIREMENTS = HERE / "requirements.txt"
LOCAL_ONLY = ("local", "sample")  # energylake.<room>: never shipped (import-linter keeps shipped code off them)
# Lambda's runtime and architecture (template.yaml Globals: python3.12, arm64): wheels are chosen for it, not us.
# python3.12 runs on Amazon Linux 2023 (glibc 2.34), so every manylinux tag up to 2_34 fits, as sam's own python
# builder allows; pip takes only the tags it is given, so each is named. With manylinux2014 alone pip settles for
# pyarrow 20, the last release with manylinux2014 aarch64 wheels. Comma-separated to override.
LAMBDA_PLATFORMS = tuple(
    os.environ.get(
        "ENERGYLAKE_LAYER_PLATFORM", "manylinux_2_34_aarch64,manylinux_2_28_aarch64,manylinux2014_aarch64"
    ).split(",")
)
LAMBDA_PYTHON = os.environ.get("ENERGYLAKE_LAYER_PYTHON", "3.12")
# Strip tools tried in turn when $STRIP is unset: each reads aarch64 ELF on any host (GNU strip reads its own only).
STRIP_TOOLS = ("llvm-strip", "aarch64-linux-gnu-strip")


class BuildError(Exception):
    """The layer cannot be built as asked; the message says why in one line."""


def _skip(folder: str, names: list[str]) -> set[str]:
    skipped = {name for name in names if name == "__pycache__" or name.endswith((".pyc", ".pyo"))}
    if Path(folder).resolve() == PACKAGE:
        skipped |= set(LOCAL_ONLY) & set(names)
    return skipped


def copy_package(target: Path) -> Path:
    """``energylake`` without its local-only rooms, copied into ``target`` (replacing an earlier copy)."""
    destination = target / "energylake"
    if destination.exists():
        shutil.rmtree(destination)
    shutil.copytree(PACKAGE, destination, ignore=_skip)
    return destination


def install_requirements(target: Path, requirements: Path = REQUIREMENTS) -> None:
    """``requirements`` for Lambda's platform (binary wheels only), with the pip of the interpreter running this."""
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile"]
    command += ["--target", str(target), *(f"--platform={platform}" for platform in LAMBDA_PLATFORMS)]
    command += ["--implementation", "cp"]
    command += ["--python-version", LAMBDA_PYTHON, "--only-binary=:all:", "--upgrade", "-r", str(requirements)]
    subprocess.run(command, check=True)  # noqa: S603 (our own interpreter and arguments)


def compile_bytecode(target: Path) -> int:
    """Compile every module under ``target`` for this interpreter (unchecked-hash .pyc); returns how many failed."""
    ok = compileall.compile_dir(
        str(target), quiet=2, workers=0, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
    )
    return 0 if ok else 1


# ---------------------------------------------------------------------------------------------------------------------
# ELF: what the dynamic loader reads of a shared library (64-bit little-endian: Lambda's arm64 and x86_64 alike)
# ---------------------------------------------------------------------------------------------------------------------
_PT_LOAD, _PT_DYNAMIC = 1, 2
_DT_NULL, _DT_NEEDED, _DT_STRTAB = 0, 1, 5
_ET_DYN = 3
# ELF header fields that locate the section table (e_shoff, e_shnum, e_shstrndx): stripping rewrites them, and the
# loader never reads them, though they sit in the first loaded segment.
_SECTION_TABLE_FIELDS = ((0x28, 8), (0x3C, 2), (0x3E, 2))


@dataclass(frozen=True)
class _Segment:
    kind: int
    offset: int
    address: int
    file_size: int
    header: bytes  # the whole program header entry, as the loader reads it


def _segments(data: bytes, path: Path) -> list[_Segment]:
    if data[4] != 2 or data[5] != 1:  # EI_CLASS 64-bit, EI_DATA little-endian
        raise BuildError(f"{path.name} is not a 64-bit little-endian ELF file")
    (table,) = struct.unpack_from("<Q", data, 0x20)
    entry_size, count = struct.unpack_from("<HH", data, 0x36)
    segments = []
    for index in range(count):
        start = table + index * entry_size
        kind, _, offset, address, _, file_size = struct.unpack_from("<IIQQQQ", data, start)
        segments.append(_Segment(kind, offset, address, file_size, data[start : start + entry_size]))
    return segments


def needed_libraries(path: Path) -> list[str]:
    """The shared libraries ``path`` asks the loader for (its ``DT_NEEDED`` entries, by name)."""
    data = path.read_bytes()
    segments = _segments(data, path)
    dynamic = [segment for segment in segments if segment.kind == _PT_DYNAMIC]
    if not dynamic:
        return []
    entries = []
    for start in range(dynamic[0].offset, dynamic[0].offset + dynamic[0].file_size, 16):
        tag, value = struct.unpack_from("<qQ", data, start)
        if tag == _DT_NULL:
            break
        entries.append((tag, value))
    strtab_address = next((value for tag, value in entries if tag == _DT_STRTAB), None)
    if strtab_address is None:
        return []
    # DT_STRTAB is an address: the loaded segment holding it says where that is in the file.
    loaded = next(s for s in segments if s.kind == _PT_LOAD and s.address <= strtab_address < s.address + s.file_size)
    strtab = strtab_address - loaded.address + loaded.offset
    names = []
    for tag, value in entries:
        if tag == _DT_NEEDED:
            end = data.index(b"\0", strtab + value)
            names.append(data[strtab + value : end].decode())
    return names


def loaded_image_digest(path: Path) -> str:
    """A digest of everything the dynamic loader maps from ``path``: its program headers and loaded segments."""
    data = bytearray(path.read_bytes())
    for offset, size in _SECTION_TABLE_FIELDS:
        data[offset : offset + size] = bytes(size)
    digest = hashlib.sha256()
    for segment in _segments(bytes(data), path):
        digest.update(segment.header)
        if segment.kind == _PT_LOAD:
            digest.update(data[segment.offset : segment.offset + segment.file_size])
    return digest.hexdigest()


def _shared_objects(target: Path) -> list[Path]:
    """Every ELF shared object under ``target`` (libraries and Python extension modules), by its header."""
    shared = []
    for path in sorted(target.rglob("*")):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as file:
                header = file.read(18)
            if len(header) == 18 and header[:4] == b"\x7fELF" and struct.unpack_from("<H", header, 16)[0] == _ET_DYN:
                shared.append(path)
    return shared


# ---------------------------------------------------------------------------------------------------------------------
# Pruning and stripping a requirements-only layer
# ---------------------------------------------------------------------------------------------------------------------
def read_prune_list(path: Path) -> list[str]:
    """The globs of a prune list: one a line, relative to the layer's python/ folder; ``#`` starts a comment."""
    patterns = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        pattern = line.split("#", 1)[0].strip()
        if not pattern:
            continue
        if pattern.startswith("/") or ".." in Path(pattern).parts:
            raise BuildError(f"{path.name} line {number}: {pattern!r} must stay inside the layer folder")
        patterns.append(pattern)
    return patterns


def _files_under(paths: Iterable[Path]) -> set[Path]:
    files: set[Path] = set()
    for path in paths:
        files |= {item for item in path.rglob("*") if not item.is_dir()} if path.is_dir() else {path}
    return files


def prune(target: Path, patterns: list[str]) -> list[Path]:
    """Delete what ``patterns`` match under ``target``; returns the files deleted (relative to ``target``).

    Nothing is deleted unless every pattern matches something and no shared library kept needs one deleted.
    """
    matched: list[Path] = []
    for pattern in patterns:
        found = sorted(target.glob(pattern))
        if not found:
            raise BuildError(f"prune pattern {pattern!r} matches nothing in {target} (update the prune list)")
        matched += found
    removed = _files_under(matched)
    removed_names = {path.name for path in removed}
    for library in _shared_objects(target):
        if library in removed:
            continue
        lost = sorted(set(needed_libraries(library)) & removed_names)
        if lost:
            kept = library.relative_to(target)
            raise BuildError(f"{kept} needs {', '.join(lost)}, which the prune list removes")
    for path in matched:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
    return sorted(path.relative_to(target) for path in removed)


def find_strip_tool() -> str:
    """The strip to use: ``$STRIP`` if set, else the first of :data:`STRIP_TOOLS` on PATH."""
    configured = os.environ.get("STRIP")
    if configured:
        found = shutil.which(configured)
        if not found:
            raise BuildError(f"STRIP={configured} is not an executable on PATH")
        return found
    for name in STRIP_TOOLS:
        found = shutil.which(name)
        if found:
            return found
    raise BuildError(
        f"no strip for the layer's ELF files: install llvm (Debian: apt-get install llvm, for llvm-strip) "
        f"or set STRIP to one of {', '.join(STRIP_TOOLS)}"
    )


def strip_symbols(target: Path, tool: str) -> int:
    """Strip the symbol tables of every shared library under ``target`` (``--strip-unneeded``: ``.dynsym``, what the
    loader links against, stays); returns the bytes saved. Each is stripped into a copy that replaces it only when
    the loader would map the same image from it; otherwise the build fails and the library is left as it was."""
    saved = 0
    for library in _shared_objects(target):
        stripped = library.with_name(f"{library.name}.stripped")
        try:
            completed = subprocess.run(  # noqa: S603 (a strip tool from PATH or $STRIP, on our own files)
                [tool, "--strip-unneeded", "-o", str(stripped), str(library)],
                capture_output=True,
                text=True,
                check=False,
            )
            if completed.returncode != 0:
                error = (completed.stderr.strip().splitlines() or ["no message"])[-1]
                raise BuildError(f"{Path(tool).name} failed on {library.relative_to(target)}: {error}")
            if loaded_image_digest(stripped) != loaded_image_digest(library):
                raise BuildError(f"{Path(tool).name} changed what the loader maps from {library.relative_to(target)}")
            saved += library.stat().st_size - stripped.stat().st_size
            shutil.copymode(library, stripped)
            stripped.replace(library)
        finally:
            stripped.unlink(missing_ok=True)
    return saved


def build_requirements_layer(
    requirements: Path, target: Path, *, prune_list: Path | None, strip: bool, install: bool = True
) -> str:
    """A requirements-only layer in ``target``: installed, pruned, stripped, compiled; returns a one-line summary."""
    strip_tool = find_strip_tool() if strip else None  # before the install: a missing tool fails at once
    summary = []
    if install:
        install_requirements(target, requirements)
        summary.append(f"installed {requirements.name}")
    if prune_list is not None:
        patterns = read_prune_list(prune_list)
        sizes = {path: (target / path).stat().st_size for path in _relative_files(target)}
        removed = prune(target, patterns)
        pruned_bytes = sum(sizes.get(path, 0) for path in removed)
        summary.append(f"pruned {len(removed)} files ({pruned_bytes / 1e6:.1f} MB) by {prune_list.name}")
    if strip_tool is not None:
        summary.append(f"stripped symbol tables ({strip_symbols(target, strip_tool) / 1e6:.1f} MB)")
    compile_bytecode(target)  # dependencies' own fixtures may not compile; they are never imported, so only warn
    return "; ".join(summary)


def _relative_files(target: Path) -> list[Path]:
    return [path.relative_to(target) for path in target.rglob("*") if path.is_file() and not path.is_symlink()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    layer = commands.add_parser("layer", help="the common layer's python/ folder")
    layer.add_argument("target", type=Path)
    layer.add_argument("--no-dependencies", action="store_true", help="copy the package only")
    requirements = commands.add_parser("requirements", help="a requirements-only layer's python/ folder")
    requirements.add_argument("requirements", type=Path, help="the requirements file to install")
    requirements.add_argument("target", type=Path)
    requirements.add_argument("--prune", type=Path, help="globs to delete after the install, one a line")
    requirements.add_argument("--strip-symbols", action="store_true", help="strip the shared libraries' symbols")
    args = parser.parse_args(argv)
    args.target.mkdir(parents=True, exist_ok=True)
    if args.command == "requirements":
        try:
            summary = build_requirements_layer(
                args.requirements, args.target, prune_list=args.prune, strip=args.strip_symbols
            )
        except BuildError as exc:
            print(f"build_layer: {exc}", file=sys.stderr)
            return 1
        print(f"build_layer: {summary}")
        return 0
    if not args.no_dependencies:
        install_requirements(args.target)
    print(f"build_layer: copied the package to {copy_package(args.target)} (without {', '.join(LOCAL_ONLY)})")
    # A module that does not compile for the runtime's Python is a build error, not a cold-start surprise. (Some
    # dependencies ship test fixtures that are not valid Python; they are never imported, so they only warn.)
    if compile_bytecode(args.target / "energylake"):
        print("build_layer: the energylake package does not compile for this Python", file=sys.stderr)
        return 1
    compile_bytecode(args.target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
