"""Is the demo's warehouse the same at two commits? A digest of every table's and view's rows, compared.

    .venv/bin/python scripts/demo_digest.py digest lake/warehouse.duckdb            # print one warehouse's digest
    .venv/bin/python scripts/demo_digest.py compare before.json after.json          # exit 1 when they differ
    .venv/bin/python scripts/demo_digest.py demo --before <git ref> [--after <ref>]  # run the demo at both, compare

``demo`` checks each ref out in a temporary git worktree, runs the demo's command there (``energylake run --source
sample`` over the Makefile's demo window) with this checkout's ``.venv`` and the worktree's package first on
``PYTHONPATH``, digests both warehouses and compares them. ``--after`` defaults to the working tree.

A digest is, per relation, the row count and the SHA-256 of its rows (each row's text, sorted), leaving out the
columns that differ between any two runs by design: when a row was loaded, the curation run's random id, and the
views' minutes-behind-now. Doubles are compared to 12 significant digits (parallel sums differ in the last bits).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VOLATILE_COLUMNS = frozenset(
    {"loaded_at_utc", "run_id", "applied_at_utc", "minutes_behind", "newest_loaded_at_utc", "generated_at_utc"}
)
DEMO_START, DEMO_END = "2024-11-01", "2024-11-07"


def digest(warehouse: Path) -> dict[str, dict[str, object]]:
    """Per table and view: rows and the SHA-256 of the sorted row texts (volatile columns left out)."""
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        relations = [
            str(row[0])
            for row in con.sql(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_name"
            ).fetchall()
        ]
        result: dict[str, dict[str, object]] = {}
        for name in relations:
            columns = [
                str(row[0])
                for row in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
                    [name],
                ).fetchall()
                if str(row[0]) not in VOLATILE_COLUMNS
            ]
            selected = ", ".join(f'"{column}"' for column in columns)
            fetched = con.sql(f'SELECT {selected} FROM "{name}"').fetchall()  # noqa: S608
            rows = sorted(repr(tuple(_stable(value) for value in row)) for row in fetched)
            sha = hashlib.sha256("\n".join(rows).encode()).hexdigest()
            result[name] = {"rows": len(rows), "columns": len(columns), "sha256": sha}
        return result
    finally:
        con.close()


def _stable(value: object) -> object:
    # Aggregates over doubles (the views' sums and means) differ in the last bits with the order DuckDB's threads
    # add them in: compare them to 12 significant digits.
    return f"{value:.12g}" if isinstance(value, float) else value


def compare(before: dict[str, dict[str, object]], after: dict[str, dict[str, object]]) -> list[str]:
    """One line per relation that differs (missing on one side, or other rows)."""
    problems = []
    for name in sorted(set(before) | set(after)):
        if name not in after:
            problems.append(f"{name}: only before")
        elif name not in before:
            problems.append(f"{name}: only after")
        elif before[name] != after[name]:
            problems.append(f"{name}: before {before[name]} after {after[name]}")
    return problems


def _run_demo(package_root: Path, lake: Path) -> Path:
    """The demo's run, with ``package_root``'s energylake first on the path; returns the warehouse file."""
    package = package_root / "layers" / "common"
    env = {**os.environ, "PYTHONPATH": str(package)}
    # The CLI's module: energylake.local since the package was laid out in rooms, energylake before.
    module = "energylake.local" if (package / "energylake" / "local" / "__main__.py").exists() else "energylake"
    command = [sys.executable, "-m", module, "run", "--source", "sample", "--start", DEMO_START]
    command += ["--end", DEMO_END, "--lake", str(lake), "--json"]
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)  # noqa: S603 (our own interpreter)
    return lake / "warehouse.duckdb"


def _worktree(ref: str, folder: Path) -> Path:
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(folder), ref], check=True)  # noqa: S603, S607
    return folder


def _demo(before_ref: str, after_ref: str | None) -> int:
    with tempfile.TemporaryDirectory(prefix="energylake-digest-") as scratch:
        root = Path(scratch)
        trees = []
        try:
            before_tree = _worktree(before_ref, root / "before")
            trees.append(before_tree)
            after_tree = REPO if after_ref is None else _worktree(after_ref, root / "after")
            if after_ref is not None:
                trees.append(after_tree)
            before = digest(_run_demo(before_tree, root / "lake-before"))
            after = digest(_run_demo(after_tree, root / "lake-after"))
        finally:
            for tree in trees:
                subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], check=False)  # noqa: S603, S607
    problems = compare(before, after)
    label = after_ref or "the working tree"
    for name, entry in sorted(after.items()):
        print(f"{name:<34} {entry['rows']:>8} rows  {str(entry['sha256'])[:16]}")
    if problems:
        print(f"the demo's warehouse differs between {before_ref} and {label}:")
        for line in problems:
            print(f"  {line}")
        return 1
    print(f"identical: {len(after)} tables and views, the demo's warehouse at {before_ref} and at {label}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("digest", help="print one warehouse's digest as JSON")
    one.add_argument("warehouse", type=Path)
    two = commands.add_parser("compare", help="compare two digests (exit 1 when they differ)")
    two.add_argument("before", type=Path)
    two.add_argument("after", type=Path)
    demo = commands.add_parser("demo", help="run the demo at two refs and compare their warehouses")
    demo.add_argument("--before", required=True, help="git ref of the baseline (e.g. the commit before a move)")
    demo.add_argument("--after", help="git ref to compare (default: the working tree)")
    args = parser.parse_args(argv)
    if args.command == "digest":
        print(json.dumps(digest(args.warehouse), indent=1, sort_keys=True))
        return 0
    if args.command == "compare":
        problems = compare(json.loads(args.before.read_text()), json.loads(args.after.read_text()))
        for line in problems:
            print(line)
        return 1 if problems else 0
    return _demo(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())
