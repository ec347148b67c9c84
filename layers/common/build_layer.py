"""Build what ships to AWS from this folder: the common Lambda layer.

It holds the ``energylake`` package WITHOUT its local-only rooms (:data:`LOCAL_ONLY`: the CLI and dashboard, the
offline sample source), requirements.txt installed for Lambda's platform, and compiled bytecode
for every module (a cold start would otherwise compile hundreds of modules on every start: /opt is read-only, so
nothing compiled there is kept). The bytecode is compiled by the interpreter running this script, which ``sam build``
makes the runtime's python3.12, with unchecked hashes: zips keep file times at 2-second resolution, which would make
timestamp-checked bytecode look stale. ``sam build`` runs it
through this folder's Makefile (template.yaml ``CommonLayer``: ``BuildMethod: makefile``)::

    python build_layer.py layer ARTIFACTS_DIR/python          # requirements for Lambda + the package
    python build_layer.py layer DIR --no-dependencies         # the package alone (tests)

Standard library only: it runs under the Lambda runtime's python3.12 that ``sam build`` finds, outside any venv.
"""

from __future__ import annotations

import argparse
import compileall
import os
import py_compile
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGE = HERE / "energylake"
REQUIREMENTS = HERE / "requirements.txt"
LOCAL_ONLY = ("local", "sample")  # energylake.<room>: never shipped (import-linter keeps shipped code off them)
# Lambda's runtime and architecture (template.yaml Globals: python3.12, arm64): wheels are chosen for it, not us.
LAMBDA_PLATFORM = os.environ.get("ENERGYLAKE_LAYER_PLATFORM", "manylinux2014_aarch64")
LAMBDA_PYTHON = os.environ.get("ENERGYLAKE_LAYER_PYTHON", "3.12")


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


def install_requirements(target: Path) -> None:
    """requirements.txt for Lambda's platform (binary wheels only), with the pip of the interpreter running this."""
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile"]
    command += ["--target", str(target), "--platform", LAMBDA_PLATFORM, "--implementation", "cp"]
    command += ["--python-version", LAMBDA_PYTHON, "--only-binary=:all:", "--upgrade", "-r", str(REQUIREMENTS)]
    subprocess.run(command, check=True)  # noqa: S603 (our own interpreter and arguments)


def compile_bytecode(target: Path) -> int:
    """Compile every module under ``target`` for this interpreter (unchecked-hash .pyc); returns how many failed."""
    ok = compileall.compile_dir(
        str(target), quiet=2, workers=0, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
    )
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    layer = commands.add_parser("layer", help="the common layer's python/ folder")
    layer.add_argument("target", type=Path)
    layer.add_argument("--no-dependencies", action="store_true", help="copy the package only")
    args = parser.parse_args(argv)
    args.target.mkdir(parents=True, exist_ok=True)
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
