"""Gold benchmark: the same rules (gold/sql/*.sql) built by DuckDB and by local Spark, over a week and over a year of
the same synthetic silver, in the same run.

    .venv/bin/python benchmarks/gold_bench.py                   # 7 and 365 operating days
    .venv/bin/python benchmarks/gold_bench.py --small 3 --large 30 --runs 1

What `energylake gold` costs with each engine: every build runs in a fresh child process, which reports the seconds
from its first energylake import to the build's end (imports, Spark's JVM and session, reading silver, writing gold;
not the interpreter's own start-up) and, for DuckDB, its peak resident memory (``VmHWM``: the whole process:
Python, the package and DuckDB together). Each engine builds into its own copy of the silver, so every build after the
first replaces partitions it wrote itself, as a rerun does. Silver comes from ``synthetic_silver.py`` (not timed).

Figures: DuckDB's build against Spark's, per size (ratio = DuckDB / Spark: lower is better; ``speedup`` is its
inverse); the targets are the issue's (7 days: DuckDB at most 1.5 s and at least 25x faster; 365 days at least 6x).
Then the lines of the gold definition (the SQL files, and those holding code rather than comments or blank lines).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
from functools import partial
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "layers" / "common"))

from harness import Measurement, figure, measure, report  # noqa: E402
from synthetic_silver import generate, window_of  # noqa: E402

from energylake.gold.rules import STATEMENTS, build_range  # noqa: E402

SQL_DIR = REPO_ROOT / "layers" / "common" / "energylake" / "gold" / "sql"

# Run in the child: time from the first energylake import to the end of the build.
_CHILD = """
import json, sys, time
started = time.perf_counter()
from energylake.gold import build_gold
from energylake.lake.storage import open_storage
from energylake.window import Window
engine, lake, start, end = sys.argv[1:5]
rows = build_gold(Window.parse(start, end), open_storage(lake), engine=engine)
seconds = time.perf_counter() - started
# VmHWM: this process's own peak (ru_maxrss keeps the forking parent's across exec: the silver generator's here)
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
print(json.dumps({"seconds": seconds, "peak_rss_mb": peak, "rows": rows}))
"""


def build_in_child(engine: str, lake: Path, days: int, master: str) -> dict[str, Any]:
    """One `build_gold` in a fresh interpreter; what it reports."""
    window = window_of(days)
    env = {**os.environ, "ENERGYLAKE_SPARK_MASTER": master}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, engine, str(lake), str(window.start), str(window.end)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if done.returncode != 0:
        raise SystemExit(f"gold_bench: the {engine} build of {days} days failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def sql_lines() -> tuple[int, int]:
    """Lines of the gold SQL files: all, and those holding SQL (no blank or comment-only line)."""
    lines = [line.strip() for name in STATEMENTS for line in (SQL_DIR / f"{name}.sql").read_text().splitlines()]
    return len(lines), sum(1 for line in lines if line and not line.startswith("--"))


def compare(root: Path, days: int, runs: int, master: str, **target: float) -> None:
    """DuckDB's and Spark's builds of ``days`` operating days of the same silver, ``runs`` times each, reported."""
    silver = root / f"silver-{days}d"
    dates = list(build_range(window_of(days)).dates)
    rows_in = generate(silver, dates, [dates[-1] + dt.timedelta(days=1)])
    engines = ("duckdb", "spark")
    lakes = {engine: Path(shutil.copytree(silver, root / f"{engine}-{days}d")) for engine in engines}
    results: dict[str, list[dict[str, Any]]] = {engine: [] for engine in engines}

    def probe(engine: str) -> float:
        result = build_in_child(engine, lakes[engine], days, master)
        results[engine].append(result)
        return float(result["seconds"])

    names = {engine: f"gold {engine}, {days} days" for engine in engines}
    timings = measure({names[engine]: partial(probe, engine) for engine in engines}, runs=runs, warmup=0)
    duckdb, spark = timings[names["duckdb"]], timings[names["spark"]]
    if results["duckdb"][-1]["rows"] != results["spark"][-1]["rows"]:
        raise SystemExit(f"gold_bench: the engines wrote different row counts: {results}")
    peak = max(result["peak_rss_mb"] for result in results["duckdb"])
    report(
        duckdb,
        spark,
        **target,
        speedup=round(spark.median / duckdb.median, 1),
        rows_in=rows_in,
        rows_out=results["duckdb"][-1]["rows"],
        duckdb_peak_rss_mb=round(peak),
    )
    report(figure(f"gold duckdb peak memory, {days} days", peak, "MB"), rows_in=rows_in)
    for folder in (silver, *lakes.values()):
        shutil.rmtree(folder)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=7, help="operating days of the small build (default 7)")
    parser.add_argument("--large", type=int, default=365, help="operating days of the large build (default 365)")
    parser.add_argument("--runs", type=int, default=3, help="builds of each engine on the small silver (median)")
    parser.add_argument("--large-runs", type=int, default=1, help="builds of each engine on the large silver")
    parser.add_argument("--master", default="local[2]", help="Spark master (default local[2])")
    args = parser.parse_args(argv)
    if not 1 <= args.small <= args.large:
        parser.error("need 1 <= --small <= --large")

    print(f"DuckDB vs local Spark ({args.master}) on {os.cpu_count()} CPUs; each build in a fresh process")
    with tempfile.TemporaryDirectory(prefix="energylake-gold-bench-") as folder:
        compare(Path(folder), args.small, args.runs, args.master, max_ratio=1 / 25, max_median=1.5)
        compare(Path(folder), args.large, args.large_runs, args.master, max_ratio=1 / 6)
    total, code = sql_lines()
    lines: Measurement = figure("gold definition: lines of gold/sql/*.sql", total, "lines")
    report(lines, files=len(STATEMENTS), sql_lines=code, comment_or_blank_lines=total - code)
    return 0


if __name__ == "__main__":
    sys.exit(main())
