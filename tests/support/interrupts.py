"""The CLI in a child process that stops at a chosen point of a stage and says so in a file, so a test can interrupt
(SIGINT, as Ctrl-C does) or kill (SIGKILL) it exactly there, never after a fixed sleep.

The child is ``python -c`` running :data:`_CHILD`: it patches one function of the package (the point), then runs
the command's entry point (``energylake.local.entry.main``, as the installed ``energylake`` does). At the point, the
patched function does part of the real work, touches the marker file, and keeps working on something long (a DuckDB
query, or a sleep) until the signal arrives.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

# gold-copies: DuckDB gold has written its files into scratch, then runs a long DuckDB query (Ctrl-C meets DuckDB).
# curate-temp: curation has written a quality report's temp file (".tmp-*"), and not renamed it yet.
# spark-write: Spark gold (its session up, the rules planned) starts writing its first table.
# load-table: the warehouse load has upserted its first table (inside its one transaction), then a long query runs.
# start-up: the command is still importing its modules (the CLI's import waits), before the CLI's own handlers.
Point = Literal["gold-copies", "curate-temp", "spark-write", "load-table", "start-up"]

_CHILD = r"""
import os, sys, time
from pathlib import Path
point, marker, argv = sys.argv[1], Path(sys.argv[2]), sys.argv[3:]
if point == "gold-copies":
    from energylake.gold import duckdb as gold

    real = gold._run_copies

    def paused(con, statements):
        real(con, statements)
        marker.write_text(str(os.getpid()))
        # Long, but bounded: DuckDB stops it at SIGINT (or Python raises KeyboardInterrupt right after it).
        con.execute("SELECT count(*) FROM range(20000000000) t(x) WHERE x % 7 = 3").fetchall()

    gold._run_copies = paused
elif point == "curate-temp":
    import tempfile
    from energylake.lake import storage

    real = storage.LocalStorage._write_atomic

    def paused(self, path, data, *, replace):
        parts = Path(path).parts  # the lake's file path (a string)
        if "quality" in parts and ".meta" not in parts:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            fd, _ = tempfile.mkstemp(dir=Path(path).parent, prefix=".tmp-")
            os.write(fd, data[: len(data) // 2])
            marker.write_text(str(os.getpid()))
            while True:
                time.sleep(0.05)
        return real(self, path, data, replace=replace)

    storage.LocalStorage._write_atomic = paused
elif point == "spark-write":
    from energylake.gold import spark

    real = spark._write

    def announced(*args, **kwargs):
        marker.write_text(str(os.getpid()))
        return real(*args, **kwargs)

    spark._write = announced
elif point == "load-table":
    from energylake.warehouse import duckdb as warehouse

    real = warehouse._load_table

    def paused(con, *args, **kwargs):
        written = real(con, *args, **kwargs)
        marker.write_text(str(os.getpid()))
        con.execute("SELECT count(*) FROM range(20000000000) t(x) WHERE x % 7 = 3").fetchall()
        return written

    warehouse._load_table = paused
elif point == "start-up":
    import importlib.abc

    class Paused(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "energylake.local.cli":
                marker.write_text(str(os.getpid()))
                while True:
                    time.sleep(0.05)
            return None

    sys.meta_path.insert(0, Paused())
from energylake.local.entry import main
raise SystemExit(main(argv))
"""


def start_paused(
    point: Point, marker: Path, args: Sequence[str], *, tmpdir: Path | None = None
) -> subprocess.Popen[str]:
    """``energylake <args>`` in a child that stops at ``point`` and then touches ``marker``."""
    env = dict(os.environ)
    if tmpdir is not None:
        env["TMPDIR"] = str(tmpdir)  # where DuckDB gold's scratch folder goes
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        # Tests run in a background job, whose shell ignores SIGINT: the child would inherit that and never see the
        # Ctrl-C. A handler (not SIG_IGN) is reset to the default in the child.
        signal.signal(signal.SIGINT, signal.default_int_handler)
    return subprocess.Popen(
        [sys.executable, "-c", _CHILD, point, str(marker), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def wait_for(marker: Path, child: subprocess.Popen[str], *, timeout: float = 300) -> None:
    """Until ``marker`` exists (the child is at its point); fails if the child ends first or never gets there."""
    deadline = time.monotonic() + timeout
    while not marker.exists():
        if child.poll() is not None:
            _, stderr = child.communicate()
            raise AssertionError(f"the child ended (exit {child.returncode}) before its point: {stderr}")
        if time.monotonic() > deadline:
            child.kill()
            raise AssertionError(f"the child did not reach its point in {timeout} s")
        time.sleep(0.02)


def interrupt(child: subprocess.Popen[str], *, timeout: float = 120) -> tuple[int, str, str]:
    """Ctrl-C (SIGINT) to the child; its exit code, stdout and stderr once it ended."""
    child.send_signal(signal.SIGINT)
    stdout, stderr = child.communicate(timeout=timeout)
    return child.returncode, stdout, stderr


def kill(child: subprocess.Popen[str]) -> None:
    """SIGKILL: no handler, no finally, no clean-up (a power cut, the OOM killer)."""
    child.kill()
    child.communicate(timeout=60)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` (relative path -> bytes), logs aside (each command appends to them)."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "logs" not in path.relative_to(folder).parts
    }


ONE_DAY = ["--start", "2024-11-02", "--end", "2024-11-02"]
SMALL_DATASETS = ["--dataset", "spp_rt", "--dataset", "load_weather_zone", "--dataset", "weather"]


def small_lake(folder: Path) -> Path:
    """A lake the whole pipeline filled for one day of three datasets from the sample source (``folder/lake``)."""
    from tests.support.cli import energylake

    lake = folder / "lake"
    done = energylake("run", "--source", "sample", *ONE_DAY, *SMALL_DATASETS, "--lake", str(lake))
    assert done.returncode == 0, done.stderr
    return lake
