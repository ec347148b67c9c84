"""The whole local pipeline, as a user runs it: `make demo`'s window end to end, then sample backfills.

    .venv/bin/python benchmarks/pipeline_bench.py            # demo window + 30-day backfill
    .venv/bin/python benchmarks/pipeline_bench.py --year     # also a 365-day backfill (long)

Each run is a fresh ``python -m energylake.local`` process on a fresh temporary lake with the offline sample source,
Spark start-up included. The demo window (target under 60 s) is measured against the floor of any such run: a fresh
process that imports the package and starts and stops the same local Spark session. Each backfill is measured
against the run before it (the 30-day backfill against the 7-day demo window), so its ratio reads against the ratio
of days. Extra fields: seconds per stage (from the command's ``--json`` report) and the peak resident memory of the
largest process of the run, the CLI or its Spark JVM (sampled from /proc while it runs).
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harness import measure, report, stopwatch, stopwatch_in

from energylake.window import Window

DEMO = ("2024-11-01", "2024-11-07")
MONTH = ("2024-10-01", "2024-10-30")
YEAR = ("2023-11-01", "2024-10-30")
DEMO_TARGET_S = 60.0
SPARK_FLOOR = "from energylake.gold.spark import local_spark_session; local_spark_session().stop()"


def _process_tree(pid: int) -> list[int]:
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        tree.append(current)
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                pending += [int(child) for child in children.read_text().split()]
            except OSError:  # the task ended meanwhile
                continue
    return tree


def _peak_rss_kib(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0)


def run(command: list[str]) -> tuple[str, float]:
    """Run ``command`` to completion: its stdout, and the peak RSS in MiB of the largest process of its tree."""
    peaks: dict[int, int] = {}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, stdout=out, stderr=err)
        while True:
            for pid in _process_tree(process.pid):
                peaks[pid] = max(peaks.get(pid, 0), _peak_rss_kib(pid))
            try:
                process.wait(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                continue
        if process.returncode != 0:
            err.seek(0)
            tail = err.read().decode(errors="replace")[-1500:]
            raise SystemExit(f"{' '.join(command)} failed ({process.returncode}): {tail}")
        out.seek(0)
        return out.read().decode(), max(peaks.values(), default=0) / 1024


@contextmanager
def fresh_lake() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="energylake-pipeline-bench-") as folder:
        yield Path(folder) / "lake"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--year", action="store_true", help="also run a 365-day sample backfill")
    parser.add_argument("--runs", type=int, default=1, help="timed runs of each case (median; default 1)")
    args = parser.parse_args(argv)

    windows = {"demo window (7 days, all datasets)": ("run", DEMO), "30-day sample backfill": ("backfill", MONTH)}
    if args.year:
        windows["365-day sample backfill"] = ("backfill", YEAR)
    cases = {name: [verb, "--start", start, "--end", end] for name, (verb, (start, end)) in windows.items()}
    days = {name: Window.parse(*window).days_count for name, (_, window) in windows.items()}
    stages: dict[str, dict[str, float]] = {}
    peaks: dict[str, float] = {}

    def pipeline(name: str, command: list[str], lake: Path) -> None:
        cli = [sys.executable, "-m", "energylake.local", *command, "--source", "sample", "--json", "--lake", str(lake)]
        out, peaks[name] = run(cli)
        stages[name] = json.loads(out)["seconds"]

    probes = {
        "floor: fresh process + local Spark start/stop": stopwatch(lambda: run([sys.executable, "-c", SPARK_FLOOR]))
    }
    for name, command in cases.items():
        probes[name] = stopwatch_in(fresh_lake, functools.partial(pipeline, name, command))
    timings = measure(probes, runs=args.runs, warmup=0)

    names = list(timings)
    for baseline, name in itertools.pairwise(names):
        report(
            timings[name],
            timings[baseline],
            max_median=DEMO_TARGET_S if name.startswith("demo") else None,
            days=days[name],
            **({"day_ratio": round(days[name] / days[baseline], 2)} if baseline in days else {}),
            stages_s=stages[name],
            peak_rss_mib=round(peaks[name]),
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
