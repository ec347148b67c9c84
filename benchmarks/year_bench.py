"""A year on one machine: the local pipeline's cost curve, seconds and peak memory per stage, for growing windows.

    .venv/bin/python benchmarks/year_bench.py                      # 7, 31, 92 and 365 days (long: see below)
    .venv/bin/python benchmarks/year_bench.py --days 7,31,92       # what `make bench` runs
    .venv/bin/python benchmarks/year_bench.py --days 7,31 --no-run # quick: the staged backfill only

For each window of ``--days`` days ending 2024-10-30 (the sample's clock the day after, so days older than 90 come
through the archive, as a live backfill's would), on a fresh lake in a temporary folder, the pipeline runs as a user
runs it, one stage per process so each stage's time and memory are its own:

    python -m energylake.local backfill --source sample --stages fetch  --start S --end E --lake L --json
    ... --stages curate, then --stages gold, then --stages load (the load's process also writes the dashboard)

then (unless ``--no-run``) one whole ``python -m energylake.local run --source sample`` over the same window on
another fresh lake: every stage in one process, the whole window loaded at once (a backfill loads chunk by chunk),
which is what the issue's goal names: a year's ``energylake run`` within 2 GB, all processes of the run.

Figures, for each window and stage (and the whole run):

- wall seconds of the process (interpreter start-up and imports included: what a user waits for), against the
  smallest window's figure scaled linearly to the window (``ratio`` = t(N) / (t(7) x N/7): above 1 the stage grows
  worse than linearly); extra fields ``stage_s``, the seconds the command itself reports for the stage (``--json``),
  and ``loaded_rows``, the rows its warehouse load wrote (the staged backfill's and the whole run's should match);
- peak memory (MiB): the largest sum of resident memory (VmRSS) over the process and everything it spawns, sampled
  from /proc every 50 ms, against the 2 GB target (``max_median`` 2048 MiB) and, as ``ratio``, the same stage's peak
  at the smallest window (above 1 the stage's memory grows with the window); extra field ``max_rss_mib``, the
  kernel's accounting of the child (``wait4`` max RSS: the high-water mark of its largest single process, which a
  spike shorter than the sampling interval cannot hide from) as a cross-check, and ``processes``, how many processes
  the tree held. The cross-check is an upper bound: Linux keeps the launching process's high-water mark across the
  child's exec, so it reads at least the benchmark's own resident memory (tens of MiB here; gigabytes when the
  launcher is a long test session).

It ends with a table (days x stage: seconds, their ratio to linear growth, and MiB) to paste into a closing note.
Each window runs once (the chain of stages needs the lake the stage before wrote); on a shared 2-core machine read
the ratios, not the seconds.

Duration: 7 and 31 days take about a minute here (both halves; ``--no-run`` skips the second). Growing linearly
from there, with the sample's fetch vectorised, 92 days add about 2.5 minutes and 365 days about 9 (more where days
older than 90 come through the archive), so the full curve takes over 10 minutes: ``make bench`` runs
``--days 7,31,92`` and the 365-day point is run by hand (the default ``--days``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.harness import figure, report  # noqa: E402

WINDOW_END = dt.date(2024, 10, 30)  # the sample's clock is the day after: 2024-10-31
DEFAULT_DAYS = (7, 31, 92, 365)
STAGES = ("fetch", "curate", "gold", "load")
BACKFILL = "backfill"  # the four stage processes together: their seconds summed, the largest of their peaks
RUN = "run"  # one `energylake run` process over the window
MEMORY_TARGET_MIB = 2048.0  # the goal: a year's run within 2 GB, all processes of the run
SAMPLE_INTERVAL_S = 0.05
EXIT_OK, EXIT_QUARANTINED = 0, 3  # a quarantined group still built everything else: measured, and said


@dataclass(frozen=True)
class SampledRun:
    """One child process run to completion, its tree's memory sampled while it ran."""

    returncode: int
    wall_s: float
    peak_tree_mib: float  # the largest sum of VmRSS over the process tree at one sample
    max_rss_mib: float  # wait4's ru_maxrss: the largest single process of the tree the child reaped (and itself)
    processes: int  # distinct processes seen in the tree
    samples: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class StageFigures:
    """One cell of the cost curve: a stage (or the whole backfill or run) over one window."""

    wall_s: float
    peak_mib: float
    max_rss_mib: float = 0.0
    processes: int = 1
    stage_s: Mapping[str, float] | None = None  # what the command itself reports, per stage (--json "seconds")
    loaded_rows: int = 0  # rows the warehouse load wrote (--json "loaded_rows"): the staged and whole runs agree


def process_tree(root: int) -> list[int]:
    """``root`` and every process descended from it (the children of each of its threads), as /proc shows them."""
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        for children in Path(f"/proc/{pid}/task").glob("*/children"):
            try:
                pending += [int(child) for child in children.read_text().split()]
            except OSError:  # the thread or the process ended meanwhile
                continue
    return tree


def resident_kib(pid: int) -> int:
    """A process's resident memory now (VmRSS, KiB); 0 when it is gone or a zombie (which holds none)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)


def run_sampled(
    command: Sequence[str], *, interval_s: float = SAMPLE_INTERVAL_S, env: Mapping[str, str] | None = None
) -> SampledRun:
    """Run ``command`` to completion, summing the resident memory of its whole process tree every ``interval_s``.

    The child is reaped with ``wait4`` for its own max-RSS accounting (psutil is not a dependency: /proc is enough)."""
    seen: set[int] = set()
    peak_kib = samples = 0
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(list(command), stdout=out, stderr=err, env=None if env is None else dict(env))
        while True:
            tree = process_tree(process.pid)
            seen.update(tree)
            peak_kib = max(peak_kib, sum(resident_kib(pid) for pid in tree))
            samples += 1
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid == process.pid:
                break
            time.sleep(interval_s)
        wall_s = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait for it again
        out.seek(0)
        err.seek(0)
        return SampledRun(
            returncode=process.returncode,
            wall_s=wall_s,
            peak_tree_mib=peak_kib / 1024,
            max_rss_mib=usage.ru_maxrss / 1024,  # KiB on Linux
            processes=len(seen),
            samples=samples,
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
        )


def linear_ratio(seconds: float, days: int, base_seconds: float, base_days: int) -> float:
    """``seconds`` over the base window's seconds scaled linearly to ``days``: 1 is linear growth, above 1 worse."""
    if base_seconds <= 0 or base_days <= 0 or days <= 0:
        raise ValueError(f"need positive figures, got {seconds} s for {days} days vs {base_seconds} s for {base_days}")
    return seconds / (base_seconds * days / base_days)


def window(days: int, end: dt.date = WINDOW_END) -> tuple[str, str]:
    """The first and last operating day of the ``days``-day window ending on ``end``."""
    return (end - dt.timedelta(days=days - 1)).isoformat(), end.isoformat()


def parse_days(text: str) -> tuple[int, ...]:
    """``7,31,92`` -> (7, 31, 92): distinct positive window lengths, in increasing order."""
    try:
        days = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"--days takes comma-separated whole numbers of days, got {text!r}") from None
    if not days or days[0] < 1:
        raise argparse.ArgumentTypeError(f"--days needs window lengths of at least 1 day, got {text!r}")
    return tuple(days)


def cost_curve_table(curve: Mapping[int, Mapping[str, StageFigures]], columns: Sequence[str]) -> str:
    """A Markdown table, one row a window, one column a stage: ``seconds s (ratio x) / MiB MiB``, the ratio being
    the time's against the smallest window's scaled linearly (``-`` where a stage was not measured)."""
    base_days = min(curve)
    lines = ["| days | " + " | ".join(columns) + " |", "|---:|" + "---:|" * len(columns)]
    for days, row in sorted(curve.items()):
        cells = []
        for name in columns:
            cell, base = row.get(name), curve[base_days].get(name)
            if cell is None:
                cells.append("-")
                continue
            ratio = (
                f" ({linear_ratio(cell.wall_s, days, base.wall_s, base_days):.2f}x)"
                if base and days != base_days
                else ""
            )
            cells.append(f"{cell.wall_s:.1f} s{ratio} / {cell.peak_mib:.0f} MiB")
        lines.append(f"| {days} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def backfill_total(stages: Mapping[str, StageFigures]) -> StageFigures:
    """The staged backfill as a whole: its processes run one after the other, so seconds add and peaks do not."""
    return StageFigures(
        wall_s=sum(item.wall_s for item in stages.values()),
        peak_mib=max(item.peak_mib for item in stages.values()),
        max_rss_mib=max(item.max_rss_mib for item in stages.values()),
        processes=sum(item.processes for item in stages.values()),
        stage_s={name: seconds for item in stages.values() for name, seconds in (item.stage_s or {}).items()},
        loaded_rows=sum(item.loaded_rows for item in stages.values()),
    )


def _cli(verb: str, start: str, end: str, lake: Path, *extra: str) -> list[str]:
    common = ["--source", "sample", "--start", start, "--end", end, "--lake", str(lake), "--json"]
    return [sys.executable, "-m", "energylake.local", verb, *extra, *common]


def _measured(command: list[str], what: str) -> StageFigures:
    """Run one command of the pipeline; a failure stops the benchmark with its stderr's tail."""
    result = run_sampled(command)
    if result.returncode not in (EXIT_OK, EXIT_QUARANTINED):
        raise SystemExit(f"{what} failed ({result.returncode}): {' '.join(command)}\n{result.stderr[-2000:]}")
    if result.returncode == EXIT_QUARANTINED:
        print(f"note: {what} quarantined groups: {result.stderr.strip()[-500:]}", file=sys.stderr)
    document = json.loads(result.stdout) if result.stdout.strip().startswith("{") else {}
    return StageFigures(
        wall_s=result.wall_s,
        peak_mib=result.peak_tree_mib,
        max_rss_mib=result.max_rss_mib,
        processes=result.processes,
        stage_s={stage: float(value) for stage, value in document.get("seconds", {}).items()},
        loaded_rows=sum(int(rows) for rows in document.get("loaded_rows", {}).values()),
    )


def measure_window(days: int, *, whole_run: bool, lakes: Path) -> dict[str, StageFigures]:
    """The staged backfill (one process a stage) on a fresh lake, then a whole run on another fresh lake, both under
    ``lakes``: removed together at the end of the benchmark, as removing a year's lake (a gigabyte of small files)
    right before the next case made that case pay for the file system's clean-up."""
    start, end = window(days)
    row: dict[str, StageFigures] = {}
    lake = Path(tempfile.mkdtemp(prefix=f"staged-{days}-", dir=lakes)) / "lake"
    for stage in STAGES:
        print(f"{days} days: {stage} ...", file=sys.stderr, flush=True)
        row[stage] = _measured(_cli("backfill", start, end, lake, "--stages", stage), f"{stage} over {days} days")
    row[BACKFILL] = backfill_total({stage: row[stage] for stage in STAGES})
    if whole_run:
        print(f"{days} days: whole run ...", file=sys.stderr, flush=True)
        run_lake = Path(tempfile.mkdtemp(prefix=f"run-{days}-", dir=lakes)) / "lake"
        row[RUN] = _measured(_cli("run", start, end, run_lake), f"run over {days} days")
    return row


def report_window(
    days: int, row: Mapping[str, StageFigures], base_days: int, base_row: Mapping[str, StageFigures]
) -> None:
    """Per column of one window: its seconds against the base window's scaled linearly, its peak memory against the
    2 GB target and the base window's peak (no baseline on the base window itself)."""
    for name, cell in row.items():
        base = base_row.get(name) if days != base_days else None
        label = {BACKFILL: "backfill, 4 stage processes", RUN: "run, one process"}.get(name, name)
        stage_s = {key: round(value, 2) for key, value in (cell.stage_s or {}).items()}
        scaled = (
            figure(f"{base_days} days x {days / base_days:.3g}", base.wall_s * days / base_days, "s") if base else None
        )
        report(
            figure(f"{label}, {days} days", cell.wall_s, "s"),
            scaled,
            days=days,
            stage_s=stage_s,
            loaded_rows=cell.loaded_rows,
        )
        report(
            figure(f"{label} peak memory, {days} days", cell.peak_mib, "MiB"),
            figure(f"{base_days} days", base.peak_mib, "MiB") if base else None,
            max_median=MEMORY_TARGET_MIB,
            days=days,
            max_rss_mib=round(cell.max_rss_mib),
            processes=cell.processes,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--days",
        type=parse_days,
        default=DEFAULT_DAYS,
        help="comma-separated window lengths ending 2024-10-30 (default 7,31,92,365; the smallest is the baseline)",
    )
    parser.add_argument(
        "--no-run", action="store_true", help="skip the whole `energylake run` (one process) over each window"
    )
    args = parser.parse_args(argv)
    columns = [*STAGES, BACKFILL] + ([] if args.no_run else [RUN])
    curve: dict[int, dict[str, StageFigures]] = {}
    with tempfile.TemporaryDirectory(prefix="energylake-year-bench-") as lakes:
        for days in args.days:  # increasing: the first is the base, and each window reports as soon as measured
            curve[days] = measure_window(days, whole_run=not args.no_run, lakes=Path(lakes))
            report_window(days, curve[days], args.days[0], curve[args.days[0]])
    print()
    print(f"cost curve, sample source, windows ending {WINDOW_END} (wall seconds / peak MiB of the process tree):")
    print(cost_curve_table(curve, columns))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
