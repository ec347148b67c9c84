"""After `sam build`: does what ships to AWS fit, and hold nothing local?

1. Size: Lambda refuses a function whose code plus all its layers exceeds 262,144,000 bytes unzipped (250 MiB in
   AWS's words), and `sam build` does not check it. Our own budget is tighter: every function at most
   :data:`BUDGET_BYTES` (150 MB) with its layers, no exception, and the build FAILS when a function is within
   :data:`MARGIN_BYTES` of it, so growth is caught while there is still room to act (a second botocore and pyarrow
   once took the Redshift loader to 254 MB of 262; the validate function was 209.6 MB until the data layer was pruned
   and stripped: layers/data/prune.txt). This reads the built template (.aws-sam/build/template.yaml) and sums each
   function's folder and its layers' folders.
2. Contents: no built function or layer may hold the local-only rooms of the package (energylake.local,
   energylake.sample) or a local-only library (:data:`LOCAL_ONLY_LIBRARIES`) unless it ships it on purpose
   (:data:`SHIPPED_ON_PURPOSE`), nor a symbolic link (it would not survive the zip); each file a function's folder
   links (:data:`LINKED_FILES`) is there as a copy of its source.

    python scripts/check_build.py [BUILD_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

LIMIT_BYTES = 262_144_000  # Lambda: function + layers, unzipped
BUDGET_BYTES = 150_000_000  # ours: every function with its layers, no exception
MARGIN_BYTES = 15_000_000  # a function within this of the budget fails the build
LOCAL_ONLY_ROOMS = ("energylake/local", "energylake/sample")
# the CLI's console, the local warehouse, local Spark, the dashboard
LOCAL_ONLY_LIBRARIES = ("rich", "duckdb", "pyspark", "plotly")
# Built function -> the local-only libraries it ships on purpose: the gold builder runs the gold rules with DuckDB
# (functions/build_gold/requirements.txt), so duckdb is local-only everywhere else, the common layer included.
SHIPPED_ON_PURPOSE = {"BuildGoldFunction": ("duckdb",)}
REPO = Path(__file__).resolve().parents[1]
# Built function -> {file in its folder: the source it links}: the Glue publisher ships the job script it publishes.
LINKED_FILES = {"PublishGlueArtifactsFunction": {"build_gold.py": REPO / "glue" / "build_gold.py"}}


def linking_problems(name: str, folder: Path) -> list[str]:
    """Symbolic links left in a built folder, and linked files missing or different from their source."""
    problems = [f"{path.relative_to(folder)} is a symbolic link" for path in folder.rglob("*") if path.is_symlink()]
    for file, source in LINKED_FILES.get(name, {}).items():
        built = folder / file
        if not built.is_file() or built.read_bytes() != source.read_bytes():
            problems.append(f"{file} is missing or differs from {source.relative_to(REPO)}")
    return problems


def local_only_contents(folder: Path) -> list[str]:
    """What ``folder`` (a built function or layer) holds that only a local run needs, as paths relative to it."""
    found = []
    libraries = [name for name in LOCAL_ONLY_LIBRARIES if name not in SHIPPED_ON_PURPOSE.get(folder.name, ())]
    for root in (folder, folder / "python"):
        for name in (*LOCAL_ONLY_ROOMS, *libraries):
            if (root / name).exists():
                found.append((root / name).relative_to(folder).as_posix())
    return found


def size_status(total: int) -> tuple[str, bool]:
    """(what to print, whether it fails the build) for a function of ``total`` bytes with its layers."""
    if total > LIMIT_BYTES:
        return f"OVER LAMBDA'S LIMIT of {LIMIT_BYTES / 1e6:.1f} MB", True
    if total > BUDGET_BYTES:
        return "OVER THE BUDGET", True
    headroom = BUDGET_BYTES - total
    if headroom < MARGIN_BYTES:
        return f"WITHIN THE {MARGIN_BYTES / 1e6:.0f} MB MARGIN of the budget: only {headroom / 1e6:.1f} MB left", True
    return f"ok, {headroom / 1e6:.1f} MB left", False


def _folder_size(path: Path) -> int:
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file() and not item.is_symlink())


def _layer_names(function: dict[str, Any], global_layers: list[Any]) -> list[str]:
    """Logical ids of the function's layers (Globals first, as SAM concatenates them); only !Ref layers of the stack."""
    layers = list(global_layers) + list(function.get("Properties", {}).get("Layers", []) or [])
    names = []
    for layer in layers:
        if isinstance(layer, dict) and "Ref" in layer:
            names.append(str(layer["Ref"]))
    return names


def main(build_dir: Path) -> int:
    from cfnlint.decode import decode_str  # type: ignore[import-untyped]

    template_path = build_dir / "template.yaml"
    if not template_path.is_file():
        print(f"check_build: {template_path} not found (run sam build first)", file=sys.stderr)
        return 2
    template, matches = decode_str(template_path.read_text())
    if matches:
        print(f"check_build: cannot parse {template_path}: {matches}", file=sys.stderr)
        return 2
    resources: dict[str, Any] = template["Resources"]
    global_layers = template.get("Globals", {}).get("Function", {}).get("Layers", []) or []
    failed = False
    for name, resource in sorted(resources.items()):
        if resource.get("Type") in ("AWS::Serverless::Function", "AWS::Serverless::LayerVersion"):
            local = local_only_contents(build_dir / name)
            if local:
                failed = True
                print(f"{name}: holds local-only code: {', '.join(local)} (it must never ship to AWS)")
            linking = linking_problems(name, build_dir / name)
            if linking:
                failed = True
                print(f"{name}: {'; '.join(linking)} (rebuild with sam build)")
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        code = build_dir / name
        total = _folder_size(code)
        parts = [f"code {total / 1e6:.1f} MB"]
        for layer in _layer_names(resource, global_layers):
            size = _folder_size(build_dir / layer)
            total += size
            parts.append(f"{layer} {size / 1e6:.1f} MB")
        status, problem = size_status(total)
        failed = failed or problem
        print(f"{name}: {total / 1e6:.1f} MB of the {BUDGET_BYTES / 1e6:.0f} MB budget ({', '.join(parts)}): {status}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".aws-sam/build")))
