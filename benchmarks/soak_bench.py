"""Soak test of the local CLI's crash safety (issue 15): many short runs on one lake, killed, raced and blocked at
random; after every run the warehouse is either the reference or exactly what it was before that run.

    .venv/bin/python benchmarks/soak_bench.py                    # 200 runs, seed 15
    .venv/bin/python benchmarks/soak_bench.py --runs 40 --seed 7

The reference is the warehouse of one clean ``energylake run --source sample`` over one day of three datasets, on a
lake of its own. Then a second lake (it starts empty) takes ``--runs`` runs of the same command, each one of:

- ``clean``: a plain rerun;
- ``kill``: a run killed by SIGKILL (no handler, no clean-up) or SIGINT (Ctrl-C) after a random delay within a
  clean run's duration (a soak samples moments at random; the unit tests kill at exact points);
- ``concurrent``: two runs started at once (one is refused with exit 2, or both finish);
- ``reader``: a run while another process holds the warehouse open read-only for a random time, with a random
  ``--warehouse-wait`` (the run waits and loads, or fails in one line).

Before a run the lake is, at random, wiped, so kills also land on a first load (no warehouse yet) and not only on
reruns. After each run the warehouse is digested (:func:`warehouse_digest`) and judged (:func:`verdict`); every exit
code must be one of :data:`EXIT_CODES` and every stderr at most ``--max-stderr-lines`` lines (else a BREACH line).
The script prints the counts and two timings (seconds per soak run vs seconds per clean rerun), and exits 1 only on
a VIOLATION: a benchmark reports, but a warehouse that is neither the reference nor unchanged is a defect.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.harness import Measurement, report  # noqa: E402

WINDOW = ("--start", "2024-11-02", "--end", "2024-11-02")
DATASETS = ("--dataset", "spp_rt", "--dataset", "load_weather_zone", "--dataset", "weather")
EXIT_CODES = frozenset({0, 1, 2, 3, 130, -signal.SIGKILL})  # ok, failed, refused/usage, quarantined, Ctrl-C, killed
# A Ctrl-C in the first milliseconds, before the interpreter installs its SIGINT handler, ends the process by the
# signal itself: silent, and before any of our code ran. Allowed only with an empty stderr.
SILENT_EXIT_CODES = frozenset({-signal.SIGINT})
# A Ctrl-C a little later, while the interpreter imports its own start-up modules (`site`: CPython's fatal
# "init_import_site" error, exit 1) or runpy imports the package's `__init__` files on the way to the entry point
# (energylake.local.entry, whose first act is to catch it), ends in a KeyboardInterrupt traceback whose frames are
# none of ours but `__init__.py`: still before any of our code ran (nothing written). Counted apart
# (``interrupts_before_entry``), not a breach: no code of the package can run earlier.
_FRAME = re.compile(r'File "([^"]+)"')
# When a row was loaded, and which fetch run brought it (a wiped lake fetches again under a new run id): lineage,
# not what the row says.
IGNORED_COLUMNS = frozenset({"loaded_at_utc", "run_id"})
IGNORED_TABLES = frozenset({"schema_version"})  # migration bookkeeping (applied_at_utc), created before any load
SIGNIFICANT_DIGITS = 12
Scenario = Literal["clean", "kill", "concurrent", "reader"]
SCENARIOS: tuple[Scenario, ...] = ("clean", "kill", "concurrent", "reader")
SCENARIO_WEIGHTS = (1, 2, 1, 1)  # kills are the point of the soak
WIPE_CHANCE = 0.2
Outcome = Literal["reference", "unchanged", "VIOLATION"]

# The reader: opens the warehouse read-only (a notebook, a dashboard), says so, holds it for argv[2] seconds.
_READER = r"""
import sys, time
import duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print("open", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


@dataclass(frozen=True)
class TableDigest:
    """One table's content: its row count and the sha256 of its sorted, normalised rows."""

    rows: int
    sha256: str


Digest = Mapping[str, TableDigest]  # table name -> digest; tables without rows are left out


def normalised(value: object) -> object:
    """A cell as the digest sees it: doubles to 12 significant digits (a reload may sum in another order), the rest
    as their text (dates, decimals, timestamps), None kept."""
    if isinstance(value, float):
        return float(f"{value:.{SIGNIFICANT_DIGITS}g}")
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def table_digest(rows: Iterable[Sequence[object]]) -> TableDigest:
    """The digest of a table's rows, whatever their order."""
    lines = sorted(json.dumps([normalised(value) for value in row], default=str) for row in rows)
    sha = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    return TableDigest(rows=len(lines), sha256=sha)


def digest_tables(tables: Mapping[str, Iterable[Sequence[object]]]) -> dict[str, TableDigest]:
    """The digest of a warehouse given as table name -> rows; empty tables hold no data and are left out, so a
    warehouse whose schema was created but never loaded is the same as no warehouse."""
    digests = {name: table_digest(rows) for name, rows in tables.items()}
    return {name: digest for name, digest in sorted(digests.items()) if digest.rows}


def warehouse_digest(warehouse: Path) -> dict[str, TableDigest]:
    """The digest of every base table of a DuckDB warehouse file (no file: an empty digest), read-only."""
    import duckdb

    if not warehouse.exists():
        return {}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        names = [
            name
            for (name,) in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' ORDER BY 1"
            ).fetchall()
            if name not in IGNORED_TABLES
        ]
        tables: dict[str, list[tuple[object, ...]]] = {}
        for name in names:
            columns = [
                column
                for (column,) in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
                    [name],
                ).fetchall()
                if column not in IGNORED_COLUMNS
            ]
            selected = ", ".join(f'"{column}"' for column in columns)
            tables[name] = con.execute(f'SELECT {selected} FROM "{name}"').fetchall()
        return digest_tables(tables)
    finally:
        con.close()


def verdict(after: Digest, before: Digest, reference: Digest, *, succeeded: bool) -> Outcome:
    """``reference`` when the run left the reference warehouse, ``unchanged`` when it left the warehouse as it found
    it (a refused, failed or killed run), else ``VIOLATION``. A run that says it succeeded must leave the reference."""
    if dict(after) == dict(reference):
        return "reference"
    if not succeeded and dict(after) == dict(before):
        return "unchanged"
    return "VIOLATION"


@dataclass
class Tally:
    """What the soak saw."""

    runs: int = 0
    scenarios: Counter[str] = field(default_factory=Counter)
    kills: Counter[str] = field(default_factory=Counter)  # by signal, only those that met a live process
    exits: Counter[int] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    refusals: int = 0  # concurrent runs refused with exit 2
    reader_waits: int = 0  # runs that waited for the reader and loaded
    reader_failures: int = 0  # runs that gave up on the reader in one line
    wipes: int = 0
    max_stderr_lines: int = 0
    interrupts_before_entry: int = 0  # Ctrl-C inside CPython's start-up or runpy, before our entry point ran
    violations: list[str] = field(default_factory=list)  # the warehouse neither the reference nor unchanged
    breaches: list[str] = field(default_factory=list)  # an exit code, a stderr or a race outside the contract
    seconds: list[float] = field(default_factory=list)
    clean_seconds: list[float] = field(default_factory=list)


def start(lake: Path, *extra: str) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "energylake.local", "run", "--source", "sample", *WINDOW, *DATASETS]
    argv += ["--lake", str(lake), *extra]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def last_line(stderr: str) -> str:
    """The last line of a stderr (the error of a traceback), for a one-line report."""
    lines = stderr.strip().splitlines()
    return lines[-1][:300] if lines else "(nothing)"


def finish(child: subprocess.Popen[str]) -> tuple[int, str]:
    _, stderr = child.communicate(timeout=600)
    return child.returncode, stderr


def run_once(
    scenario: Scenario, lake: Path, rng: random.Random, clean_seconds: float, tally: Tally, *, max_stderr_lines: int
) -> list[int]:
    """One soak run of ``scenario`` on ``lake``; the exit codes of its runs (stderr checked into ``tally``)."""
    results: list[tuple[int, str]] = []
    if scenario == "clean":
        results.append(finish(start(lake)))
    elif scenario == "kill":
        sig = rng.choice((signal.SIGKILL, signal.SIGINT))
        child = start(lake)
        try:
            child.wait(timeout=rng.uniform(0.0, clean_seconds * 1.1))
        except subprocess.TimeoutExpired:
            child.send_signal(sig)
            tally.kills[sig.name] += 1
        results.append(finish(child))
    elif scenario == "concurrent":
        first, second = start(lake), start(lake)
        results += [finish(first), finish(second)]
        codes = sorted(code for code, _ in results)
        tally.refusals += codes.count(2)
        if not set(codes) <= {0, 2, 3} or codes == [2, 2]:
            tally.breaches.append(f"concurrent runs ended {codes}: expected one refused (2) or both finished")
    else:
        hold, wait = rng.uniform(0.5, 5.0), rng.uniform(0.2, 3.0)
        reader = subprocess.Popen(
            [sys.executable, "-c", _READER, str(lake / "warehouse.duckdb"), f"{hold:.2f}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert reader.stdout is not None
        opened = reader.stdout.readline().strip() == "open"
        results.append(finish(start(lake, "--warehouse-wait", f"{wait:.2f}")))
        reader.communicate(timeout=60)
        if not opened:
            tally.breaches.append(f"the reader could not open the warehouse (exit {reader.returncode})")
        elif results[0][0] == 0:
            tally.reader_waits += 1
        else:
            tally.reader_failures += 1
    for code, stderr in results:
        judge(scenario, code, stderr, tally, max_stderr_lines=max_stderr_lines)
    return [code for code, _ in results]


def interrupted_before_entry(stderr: str) -> bool:
    """Whether ``stderr`` is a KeyboardInterrupt raised before the entry point ran (see :data:`_FRAME`)."""
    if not stderr.rstrip().endswith("KeyboardInterrupt"):
        return False
    frames = _FRAME.findall(stderr)
    return not any("/energylake/" in frame and not frame.endswith("__init__.py") for frame in frames)


def judge(scenario: str, code: int, stderr: str, tally: Tally, *, max_stderr_lines: int) -> None:
    """Count one run's exit and check it against the contract: a documented exit code, at most
    ``max_stderr_lines`` lines (else a breach, its whole stderr printed)."""
    tally.exits[code] += 1
    if interrupted_before_entry(stderr):
        tally.interrupts_before_entry += 1
        return
    lines = len(stderr.splitlines())
    tally.max_stderr_lines = max(tally.max_stderr_lines, lines)
    if code not in EXIT_CODES and not (code in SILENT_EXIT_CODES and not stderr.strip()):
        tally.breaches.append(f"{scenario}: exit {code} is not documented: {last_line(stderr)}")
    if lines > max_stderr_lines:
        tally.breaches.append(f"{scenario}: {lines} lines on stderr (exit {code}): {last_line(stderr)}")
        print(f"stderr of a {scenario} run (exit {code}):\n{stderr[-4000:]}", file=sys.stderr, flush=True)


def soak(runs: int, seed: int, folder: Path, *, max_stderr_lines: int) -> tuple[Tally, float]:
    """The reference, then ``runs`` soak runs; the tally and the reference run's seconds."""
    rng = random.Random(seed)
    reference_lake, lake = folder / "reference", folder / "lake"
    started = time.perf_counter()
    code, stderr = finish(start(reference_lake))
    reference_seconds = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"soak: the reference run failed (exit {code}): {stderr.strip()}")
    reference = warehouse_digest(reference_lake / "warehouse.duckdb")
    print(
        f"reference: {len(reference)} tables, {sum(t.rows for t in reference.values())} rows, {reference_seconds:.1f} s"
    )
    tally = Tally()
    for number in range(1, runs + 1):
        if lake.exists() and rng.random() < WIPE_CHANCE:
            shutil.rmtree(lake)
            tally.wipes += 1
        scenario = rng.choices(SCENARIOS, weights=SCENARIO_WEIGHTS)[0]
        if scenario == "reader" and not (lake / "warehouse.duckdb").exists():
            scenario = "clean"  # nothing to hold open yet
        before = warehouse_digest(lake / "warehouse.duckdb")
        run_started = time.perf_counter()
        codes = run_once(scenario, lake, rng, reference_seconds, tally, max_stderr_lines=max_stderr_lines)
        elapsed = time.perf_counter() - run_started
        tally.seconds.append(elapsed)
        if scenario == "clean":
            tally.clean_seconds.append(elapsed)
        try:
            after = warehouse_digest(lake / "warehouse.duckdb")
            outcome = verdict(after, before, reference, succeeded=0 in codes)
        except Exception as exc:  # a warehouse the digest cannot read is a violation, reported in one line
            outcome = "VIOLATION"
            tally.violations.append(f"run {number}: the warehouse cannot be read: {type(exc).__name__}: {exc}")
        if outcome == "VIOLATION":
            tally.breaches.append(
                f"run {number} ({scenario}, exits {codes}): warehouse neither reference nor unchanged"
            )
        tally.runs += 1
        tally.scenarios[scenario] += 1
        tally.outcomes[outcome] += 1
        if number % 25 == 0:
            print(f"  {number} runs, {dict(tally.outcomes)}", file=sys.stderr, flush=True)
    return tally, reference_seconds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=200, help="soak runs (default 200)")
    parser.add_argument("--seed", type=int, default=15, help="seed of the random choices (default 15)")
    parser.add_argument("--max-stderr-lines", type=int, default=3, help="most stderr lines a run may print (3)")
    args = parser.parse_args(argv)
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        # Started in the background by a shell (`cmd &`), which ignores SIGINT: the runs would inherit that and
        # shrug off every Ctrl-C the soak sends. A handler (not SIG_IGN) is reset to the default in each child.
        signal.signal(signal.SIGINT, signal.default_int_handler)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="soak-") as folder:
        tally, reference_seconds = soak(args.runs, args.seed, Path(folder), max_stderr_lines=args.max_stderr_lines)
    wall = time.perf_counter() - started
    counts = {
        "runs": tally.runs,
        "seed": args.seed,
        "scenarios": dict(tally.scenarios),
        "kills": dict(tally.kills),
        "refusals": tally.refusals,
        "reader_waits": tally.reader_waits,
        "reader_failures": tally.reader_failures,
        "wipes": tally.wipes,
        "exits": {str(code): count for code, count in sorted(tally.exits.items())},
        "outcomes": {name: tally.outcomes.get(name, 0) for name in ("reference", "unchanged", "VIOLATION")},
        "max_stderr_lines": tally.max_stderr_lines,
        "interrupts_before_entry": tally.interrupts_before_entry,
        "violations": len(tally.violations),
        "breaches": len(tally.breaches),
        "wall_s": round(wall, 1),
    }
    for violation in tally.violations:
        print(f"VIOLATION: {violation}")
    for breach in tally.breaches:
        print(f"BREACH: {breach}")
    clean = tally.clean_seconds or [reference_seconds]
    report(
        Measurement("soak: seconds per run (all scenarios)", "s", tuple(tally.seconds or [0.0])),
        Measurement("clean rerun", "s", tuple(clean)),
        **counts,
    )
    return 1 if tally.violations else 0


if __name__ == "__main__":
    raise SystemExit(main())
