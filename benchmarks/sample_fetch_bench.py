"""The offline sample source's fetch: a window of every dataset fetched from the sample, against the same fetch served
by the sample's pure-Python generator of commit 4aebb86 (the baseline), in the same run.

    .venv/bin/python benchmarks/sample_fetch_bench.py                 # 7 and 365 days (the year's baseline: ~12 min)
    .venv/bin/python benchmarks/sample_fetch_bench.py --days 7,92     # quicker

Each fetch is ``energylake backfill --stages fetch --source sample`` over ``--days`` days ending 2024-10-30 (the
sample's clock the day after, so days older than 90 come through the archive and fuel_mix only for the days its
dashboard reaches, as a live backfill would), in a fresh process on a fresh lake. The baseline process imports the
same tree except ``energylake/sample``, which is the package as of ``--baseline-commit`` (``git show``, overlaid in
a temporary folder put first on ``PYTHONPATH``). Figure: the fetch's wall time (what a user waits for: requests,
parsing, landing with its fsyncs). Extra fields, each with the baseline's and the ratio: the fetch's CPU seconds
(steadier than wall time when other work shares the machine), and the seconds, wall and CPU, spent inside the
sample's transport (generating and formatting the replies: the part the sample itself costs).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import Measurement, measure, report

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "layers" / "common" / "energylake"
BASELINE_COMMIT = "4aebb86901628aeba5e3b2ecbdbf38af149ad01d"
WINDOW_END = "2024-10-30"
TARGET_RATIO = 0.1  # the goal: at least 10x faster for a year

# Runs in the child: time the fetch stage and the sample's own share of it (its transport's handler).
CHILD = """
import datetime as dt, json, sys, time
from energylake.sample import router
inside = [0.0, 0.0]
handle = router.SampleServer.handle
def timed(self, request):
    started, cpu = time.perf_counter(), time.thread_time()
    try:
        return handle(self, request)
    finally:
        inside[0] += time.perf_counter() - started
        inside[1] += time.thread_time() - cpu
router.SampleServer.handle = timed
from energylake.local.cli import main
start, end, lake = sys.argv[1:4]
started, cpu = time.perf_counter(), time.process_time()
code = main(["backfill", "--stages", "fetch", "--source", "sample", "--start", start, "--end", end, "--lake", lake,
             "--json"])
print(json.dumps({"code": code, "fetch_s": time.perf_counter() - started, "fetch_cpu_s": time.process_time() - cpu,
                  "sample_s": inside[0], "sample_cpu_s": inside[1]}), file=sys.stderr)
"""


def baseline_tree(commit: str, into: Path) -> Path:
    """A copy of the current package with ``energylake/sample`` as of ``commit``; returns the folder to put first
    on PYTHONPATH."""
    target = into / "energylake"
    shutil.copytree(PACKAGE, target, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.rmtree(target / "sample")
    (target / "sample").mkdir()
    prefix = "layers/common/energylake/sample/"
    names = subprocess.run(
        ["git", "ls-tree", "--name-only", commit, prefix], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout.split()
    for name in names:
        source = subprocess.run(["git", "show", f"{commit}:{name}"], cwd=REPO, check=True, capture_output=True).stdout
        (target / "sample" / name.removeprefix(prefix)).write_bytes(source)
    return into


def fetch_seconds(start: str, end: str, pythonpath: Path | None, extra: dict[str, list[float]], lakes: Path) -> float:
    """One fetch in a fresh process on a fresh lake under ``lakes``: its wall time (its CPU seconds, and the
    sample's own wall and CPU seconds, go to ``extra``). The lakes are removed together at the end of the run:
    removing a year's lake (a gigabyte of small files) right before the next case made that case pay for the
    file system's clean-up (its system time varied 7 to 36 s from run to run)."""
    environment = dict(os.environ)
    if pythonpath is not None:
        environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(pythonpath), environment.get("PYTHONPATH")]))
    lake = Path(tempfile.mkdtemp(prefix="lake-", dir=lakes))
    done = subprocess.run(
        [sys.executable, "-c", CHILD, start, end, str(lake / "lake")],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
    if done.returncode != 0 or not last.startswith("{"):
        raise SystemExit(f"the fetch {start}..{end} failed ({done.returncode}): {done.stderr[-1500:]}")
    result = json.loads(last)
    for name in ("fetch_cpu_s", "sample_s", "sample_cpu_s"):
        extra.setdefault(name, []).append(float(result[name]))
    return float(result["fetch_s"])


def main(argv: list[str] | None = None) -> int:
    import datetime as dt

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", default="7,365", help="comma-separated window lengths (default 7,365)")
    parser.add_argument("--runs", type=int, default=1, help="timed runs of each case (median; default 1)")
    parser.add_argument("--baseline-commit", default=BASELINE_COMMIT, help="the sample package measured against")
    args = parser.parse_args(argv)
    end = dt.date.fromisoformat(WINDOW_END)
    with tempfile.TemporaryDirectory(prefix="energylake-sample-baseline-") as folder:
        old_tree = baseline_tree(args.baseline_commit, Path(folder) / "tree")
        lakes = Path(folder) / "lakes"
        lakes.mkdir()
        for days in (int(text) for text in args.days.split(",")):
            start = (end - dt.timedelta(days=days - 1)).isoformat()
            extra: dict[str, dict[str, list[float]]] = {"new": {}, "old": {}}
            timings = measure(
                {
                    "new": lambda s=start, e=extra["new"]: fetch_seconds(s, WINDOW_END, None, e, lakes),
                    "old": lambda s=start, e=extra["old"]: fetch_seconds(s, WINDOW_END, old_tree, e, lakes),
                },
                runs=args.runs,
                warmup=0,
            )
            new = Measurement(f"sample fetch, {days} days", "s", timings["new"].samples)
            old = Measurement(f"generator of {args.baseline_commit[:7]}", "s", timings["old"].samples)
            figures: dict[str, object] = {"days": days}
            for name in ("fetch_cpu_s", "sample_s", "sample_cpu_s"):
                ours, theirs = statistics.median(extra["new"][name]), statistics.median(extra["old"][name])
                figures[name] = round(ours, 2)
                figures[f"baseline_{name}"] = round(theirs, 2)
                figures[f"{name.removesuffix('_s')}_ratio"] = round(ours / theirs, 3) if theirs else None
            report(new, old, max_ratio=TARGET_RATIO if days >= 365 else None, **figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
