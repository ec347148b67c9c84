"""The whole local pipeline, as a user runs it: `make demo`'s window end to end, then sample backfills.

    .venv/bin/python benchmarks/pipeline_bench.py            # demo window + 30-day backfill
    .venv/bin/python benchmarks/pipeline_bench.py --year     # also a 365-day backfill (long)

Each run is a fresh `energylake` process on a fresh temporary lake with the offline sample source; Spark start-up is
included. Reports wall time, time per stage (from the run's JSON-lines log) and the peak resident memory of the
largest process involved (the CLI or its Spark JVM). Target (issue 5): the demo window under 60 s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEMO = ("2024-11-01", "2024-11-07")
MONTH = ("2024-10-01", "2024-10-30")
YEAR = ("2023-11-01", "2024-10-30")


def run(command: list[str], lake: Path) -> dict[str, object]:
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "energylake", *command, "--lake", str(lake)],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({completed.returncode}): {completed.stderr[-1500:]}")
    stages: dict[str, float] = {}
    log = lake / "logs" / "energylake.log"
    if log.exists():
        for line in log.read_text().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            stage, seconds = record.get("stage"), record.get("seconds")
            if isinstance(stage, str) and isinstance(seconds, int | float):
                stages[stage] = stages.get(stage, 0.0) + float(seconds)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"wall_s": wall, "stages_s": stages, "peak_rss_mib_so_far": peak_kib / 1024}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--year", action="store_true", help="also run a 365-day sample backfill")
    args = parser.parse_args(argv)
    cases = [
        ("demo window (7 days, all datasets)", ["run", "--source", "sample", "--start", DEMO[0], "--end", DEMO[1]]),
        ("30-day sample backfill", ["backfill", "--source", "sample", "--start", MONTH[0], "--end", MONTH[1]]),
    ]
    if args.year:
        cases.append(
            ("365-day sample backfill", ["backfill", "--source", "sample", "--start", YEAR[0], "--end", YEAR[1]])
        )
    for name, command in cases:
        with tempfile.TemporaryDirectory() as folder:
            figures = run(command, Path(folder) / "lake")
        stages = ", ".join(f"{stage} {seconds:.1f}s" for stage, seconds in figures["stages_s"].items())  # type: ignore[attr-defined]
        verdict = ""
        if name.startswith("demo"):
            verdict = "  PASS (< 60 s)" if figures["wall_s"] < 60 else "  FAIL (< 60 s)"  # type: ignore[operator]
        print(f"{name:<38} {figures['wall_s']:>7.1f} s wall{verdict}")
        print(f"{'':<38} stages: {stages or 'n/a'}")
        print(f"{'':<38} peak RSS of the largest process so far: {figures['peak_rss_mib_so_far']:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
