"""The offline sample source's fetch over a year: what a user waits for, against the same fetch as of commit 4aebb86
(the code issue 16 measured: 705 s for a year), in the same run.

    .venv/bin/python benchmarks/sample_fetch_bench.py                 # 7 and 365 days (the baselines: ~20 min)
    .venv/bin/python benchmarks/sample_fetch_bench.py --days 7,92     # quicker
    .venv/bin/python benchmarks/sample_fetch_bench.py --baselines generator   # only the generator's baseline

Each fetch is ``energylake backfill --stages fetch --source sample`` over ``--days`` days ending 2024-10-30 (the
sample's clock the day after, so days older than 90 come through the archive and fuel_mix only for the days its
dashboard reaches, as a live backfill would), in a fresh process on a fresh lake. Two baselines, each run in the
same process set-up:

- ``tree`` (the figure's baseline): the whole package as of ``--baseline-commit`` (``git archive``, put first on
  ``PYTHONPATH``): the fetch as the issue measured it, generator, clients and landing together.
- ``generator``: today's package with only ``energylake/sample`` as of ``--baseline-commit`` overlaid: the old
  generator behind today's clients and landing. Its ratio (``generator_ratio``) isolates the sample's own part; every
  later saving in the clients or landing shrinks this baseline too.

Figure: the fetch's wall time (requests, parsing, landing with its syncs). Extra fields, each with the tree
baseline's figure and the ratio: the fetch's CPU seconds (steadier than wall time when the file system is busy), and
the seconds, wall and CPU, spent inside the sample's transport (generating and formatting the replies).
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
try:  # the command's own entry point (its process set-up), where the measured tree has one
    from energylake.local.entry import main
except ImportError:
    from energylake.local.cli import main
start, end, lake = sys.argv[1:4]
started, cpu = time.perf_counter(), time.process_time()
code = main(["backfill", "--stages", "fetch", "--source", "sample", "--start", start, "--end", end, "--lake", lake,
             "--json"])
print(json.dumps({"code": code, "fetch_s": time.perf_counter() - started, "fetch_cpu_s": time.process_time() - cpu,
                  "sample_s": inside[0], "sample_cpu_s": inside[1]}), file=sys.stderr)
"""


def whole_tree(commit: str, into: Path) -> Path:
    """The whole package as of ``commit``; returns the folder to put first on PYTHONPATH."""
    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", commit, "layers/common/energylake"], cwd=REPO, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "layers" / "common"


def generator_tree(commit: str, into: Path) -> Path:
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


BASELINES = ("tree", "generator")


def main(argv: list[str] | None = None) -> int:
    import datetime as dt

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", default="7,365", help="comma-separated window lengths (default 7,365)")
    parser.add_argument("--runs", type=int, default=1, help="timed runs of each case (median; default 1)")
    parser.add_argument("--baseline-commit", default=BASELINE_COMMIT, help="the code measured against")
    parser.add_argument(
        "--baselines", default=",".join(BASELINES), help="tree, generator or both (default); the first is the figure's"
    )
    args = parser.parse_args(argv)
    chosen = [name for name in args.baselines.split(",") if name]
    if not chosen or any(name not in BASELINES for name in chosen):
        parser.error(f"--baselines takes {' and/or '.join(BASELINES)}, got {args.baselines!r}")
    end = dt.date.fromisoformat(WINDOW_END)
    with tempfile.TemporaryDirectory(prefix="energylake-sample-baseline-") as folder:
        make = {"tree": whole_tree, "generator": generator_tree}
        paths: dict[str, Path | None] = {"new": None}
        paths.update({name: make[name](args.baseline_commit, Path(folder) / name) for name in chosen})
        lakes = Path(folder) / "lakes"
        lakes.mkdir()
        for days in (int(text) for text in args.days.split(",")):
            start = (end - dt.timedelta(days=days - 1)).isoformat()
            extra: dict[str, dict[str, list[float]]] = {name: {} for name in paths}
            timings = measure(
                {
                    name: lambda s=start, p=path, e=extra[name]: fetch_seconds(s, WINDOW_END, p, e, lakes)
                    for name, path in paths.items()
                },
                runs=args.runs,
                warmup=0,
            )
            label = {"tree": "fetch", "generator": "generator behind today's fetch"}
            new = Measurement(f"sample fetch, {days} days", "s", timings["new"].samples)
            first = chosen[0]
            old = Measurement(f"{label[first]} of {args.baseline_commit[:7]}", "s", timings[first].samples)
            figures: dict[str, object] = {"days": days}
            for name in ("fetch_cpu_s", "sample_s", "sample_cpu_s"):
                ours, theirs = statistics.median(extra["new"][name]), statistics.median(extra[first][name])
                figures[name] = round(ours, 2)
                figures[f"baseline_{name}"] = round(theirs, 2)
                figures[f"{name.removesuffix('_s')}_ratio"] = round(ours / theirs, 3) if theirs else None
            for name in chosen[1:]:
                theirs = timings[name].median
                figures[f"{name}_baseline_s"] = round(theirs, 2)
                figures[f"{name}_ratio"] = round(new.median / theirs, 3) if theirs else None
                for field in ("sample_s", "sample_cpu_s"):
                    other = statistics.median(extra[name][field])
                    figures[f"{name}_{field}"] = round(other, 2)
                    ours = statistics.median(extra["new"][field])
                    figures[f"{name}_{field.removesuffix('_s')}_ratio"] = round(ours / other, 3) if other else None
            report(new, old, max_ratio=TARGET_RATIO if days >= 365 else None, **figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
