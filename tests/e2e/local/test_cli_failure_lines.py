"""Every failure of `energylake` ends in one line saying what failed and what to do (issue 15, defects 5 and 7).

A notebook holding the warehouse, a disk that fills up at the warehouse commit, during gold or under the log file,
a stray or truncated file in silver, a full disk during fetch: each is one line on stderr naming the file, the errno or
the holder, with advice for that cause (not for the stage), exit 1, never a traceback. Full disks are simulated two
ways: RLIMIT_FSIZE in a child process (real writes fail with EFBIG, "File too large"), and for ENOSPC itself the
log file pointed at /dev/full (every write fails with ENOSPC) or the lake's write path patched to raise it.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from energylake.local import cli
from tests.support.cli import energylake, files_under
from tests.support.failures import (
    energylake_with_file_limit,
    release,
    stderr_lines,
    wait_for_text,
    warehouse_holder,
)

DAY = ["--start", "2024-11-05", "--end", "2024-11-05"]
NEXT_DAY = ["--start", "2024-11-06", "--end", "2024-11-06"]
DATASETS = ["--dataset", "spp_dam", "--dataset", "weather"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One sample day of DAM prices and weather run into a lake and its warehouse (copied for each test)."""
    lake = tmp_path_factory.mktemp("built") / "lake"
    done = energylake("run", "--source", "sample", *DAY, *DATASETS, "--lake", str(lake))
    assert done.returncode == 0, done.stderr[-3000:]
    return lake


@pytest.fixture
def lake(built: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "lake"
    shutil.copytree(built, copy)
    return copy


def one_line(done: subprocess.CompletedProcess[str] | str) -> str:
    """THEN-helper: stderr holds exactly one line, no traceback; that line."""
    err = done if isinstance(done, str) else done.stderr
    lines = stderr_lines(err)
    assert len(lines) == 1 and "Traceback" not in err, err[-4000:]
    return lines[0]


# --- defect 5: another process holds the warehouse --------------------------------------------------------------


def test_a_notebook_holding_the_warehouse_fails_load_in_one_line_naming_it(lake: Path) -> None:
    # GIVEN a notebook holding the warehouse read-only
    with warehouse_holder(lake / "warehouse.duckdb") as notebook:
        # WHEN load runs, willing to wait one second for it
        started = time.monotonic()
        done = energylake("load", *DAY, "--lake", str(lake), "--warehouse-wait", "1")
        # THEN it exits 1 within the wait, in one line naming the holder's PID and what to do
        assert done.returncode == 1
        line = one_line(done)
        assert f"PID {notebook.pid}" in line and "close that connection or wait" in line, line
        assert time.monotonic() - started < 30


def test_run_takes_the_warehouse_before_fetching(lake: Path) -> None:
    raw_before = files_under(lake / "raw")
    # GIVEN a notebook holding the warehouse WHEN a run of the next day starts, waiting no time for it
    with warehouse_holder(lake / "warehouse.duckdb") as notebook:
        done = energylake(
            "run", "--source", "sample", *NEXT_DAY, *DATASETS, "--lake", str(lake), "--warehouse-wait", "0"
        )
    # THEN it fails at once in one line naming the holder, before fetching anything
    assert done.returncode == 1
    assert f"PID {notebook.pid}" in one_line(done)
    assert files_under(lake / "raw") == raw_before


def test_load_waits_for_the_warehouse_to_be_released(lake: Path) -> None:
    log = lake / "logs" / "energylake.log"
    log.unlink()
    # GIVEN a notebook holding the warehouse WHEN load starts, willing to wait 120 s
    with warehouse_holder(lake / "warehouse.duckdb") as notebook:
        command = [
            sys.executable,
            "-m",
            "energylake.local",
            "load",
            *DAY,
            "--lake",
            str(lake),
            "--warehouse-wait",
            "120",
        ]
        load = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # AND the notebook lets go once the load has started (its log says so)
        wait_for_text(log, "energylake load started")
        assert load.poll() is None  # still waiting for the warehouse
        release(notebook)
        out, err = load.communicate(timeout=120)
    # THEN the load went through
    assert load.returncode == 0, err[-3000:]
    assert "warehouse:" in out


def test_status_while_another_process_writes_the_warehouse_is_one_line(lake: Path) -> None:
    # GIVEN another process writing the warehouse (a read-write connection) WHEN status runs
    with warehouse_holder(lake / "warehouse.duckdb", read_only=False) as writer:
        done = energylake("status", "--lake", str(lake))
    # THEN one line names the writer and what to do, exit 1
    assert done.returncode == 1
    line = one_line(done)
    assert f"PID {writer.pid}" in line and "What to do" in line, line


# --- defect 5: full disks -----------------------------------------------------------------------------------------


def test_a_file_size_limit_at_the_warehouse_commit_names_it_and_changes_nothing(lake: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "new.duckdb"
    # GIVEN a process that cannot write past 200 kB (EFBIG) WHEN load writes a new warehouse
    done = energylake_with_file_limit(
        "load", *DAY, "--lake", str(lake), "--warehouse", str(warehouse), limit_bytes=200_000
    )
    # THEN one line says the file is too large and what to do about it (not "close other programs")
    assert done.returncode == 1
    line = one_line(done)
    assert "File too large" in line and "ulimit -f" in line, line
    # AND no warehouse table holds a row (the migration's schema version aside)
    if warehouse.exists():
        from energylake.warehouse.model import WAREHOUSE

        con = duckdb.connect(str(warehouse), read_only=True)
        present = {row[0] for row in con.sql("SELECT table_name FROM information_schema.tables").fetchall()}
        counts = {
            table.name: con.sql(f"SELECT count(*) FROM {table.name}").fetchall()[0][0]  # noqa: S608 (model names)
            for table in WAREHOUSE.tables
            if table.name in present
        }
        con.close()
        assert not any(counts.values()), counts


def test_a_full_disk_hidden_behind_a_failed_rollback_is_named(
    lake: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from energylake.errors import WarehouseLoadError
    from energylake.warehouse import duckdb as warehouse_duckdb
    from energylake.window import Window

    def commit_on_a_full_disk(window: Window, *_args: object, **_kwargs: object) -> dict[str, int]:
        try:
            try:
                raise duckdb.IOException(
                    'IO Error: Could not write file "warehouse.duckdb.wal": No space left on device'
                )
            except duckdb.IOException:
                raise duckdb.TransactionException("cannot rollback - no transaction is active") from None
        except duckdb.TransactionException as exc:  # what the loader saw: the rollback's error, the commit's behind it
            exc.__suppress_context__ = False
            raise WarehouseLoadError(f"loading failed: {exc}", table="ercot_spp", window=window) from exc

    # GIVEN a commit that fails on a full disk, and a rollback that then fails too (DuckDB ended the transaction)
    monkeypatch.setattr(warehouse_duckdb, "load", commit_on_a_full_disk)
    # WHEN load runs
    code = cli.main(["load", *DAY, "--lake", str(lake)])
    # THEN the line says the disk is full, not only "cannot rollback"
    line = one_line(capsys.readouterr().err)
    assert code == 1
    assert "No space left on device" in line and "the disk is full" in line, line


def test_a_file_size_limit_during_gold_is_one_line_and_the_log_does_not_spill(lake: Path) -> None:
    log = lake / "logs" / "energylake.log"
    assert log.stat().st_size > 4_000  # the log is past the limit: every record written to it fails as well
    # GIVEN a process that cannot write past 4 kB WHEN gold runs
    done = energylake_with_file_limit("gold", *DAY, "--lake", str(lake), limit_bytes=4_000)
    # THEN one line names the failed write and the limit: no logging tracebacks, no gold traceback
    assert done.returncode == 1
    line = one_line(done)
    assert "gold failed" in line and "File too large" in line and "ulimit -f" in line, line
    assert "Java" not in line


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_a_log_on_a_full_disk_does_not_hide_the_stage_error(lake: Path) -> None:
    # GIVEN the log file on a full disk (every write to it fails with ENOSPC) and a stray text file in silver
    log = lake / "logs" / "energylake.log"
    log.unlink()
    log.symlink_to("/dev/full")
    stray = lake / "silver" / "dataset=spp_dam" / "date=2024-11-05" / "notes.parquet"
    stray.write_text("not parquet\n")
    # WHEN gold runs
    done = energylake("gold", *DAY, "--lake", str(lake))
    # THEN the one line is the stage's error, naming the stray file
    assert done.returncode == 1
    line = one_line(done)
    assert "gold failed" in line and str(stray) in line, line
    # AND a command that succeeds says once that its log is incomplete
    stray.unlink()
    done = energylake("gold", *DAY, "--lake", str(lake))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "No space left on device" in one_line(done)


# --- defect 7: advice per cause -------------------------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["stray text file", "truncated parquet"])
def test_a_damaged_silver_file_is_named_with_what_to_do_about_it(lake: Path, damage: str) -> None:
    folder = lake / "silver" / "dataset=weather" / "date=2024-11-05"
    if damage == "stray text file":
        damaged = folder / "copied-by-hand.parquet"
        damaged.write_text("date,temperature\n2024-11-05,21.5\n")
    else:
        [damaged] = folder.glob("*.parquet")
        damaged.write_bytes(damaged.read_bytes()[:300])
    # GIVEN a damaged file in silver WHEN gold runs (default engine)
    done = energylake("gold", *DAY, "--lake", str(lake))
    # THEN the line names the file and says it is not valid Parquet: no word of Java
    assert done.returncode == 1
    line = one_line(done)
    assert str(damaged) in line and "not valid Parquet" in line and "remove it" in line, line
    assert "Java" not in line


@pytest.mark.skipif(shutil.which("java") is None and not os.environ.get("JAVA_HOME"), reason="Spark needs Java 17")
def test_spark_gold_on_a_damaged_file_is_one_line_and_its_java_trace_goes_to_the_lake_log(lake: Path) -> None:
    # GIVEN a truncated silver file
    [damaged] = (lake / "silver" / "dataset=weather" / "date=2024-11-05").glob("*.parquet")
    damaged.write_bytes(damaged.read_bytes()[:300])
    # WHEN gold runs on local Spark
    done = energylake("gold", "--engine", "spark", *DAY, "--lake", str(lake))
    # THEN stderr is the one line naming the file (Spark's start-up warnings and its Java trace are not printed),
    # and the trace is in the lake's Spark log for whoever wants it
    assert done.returncode == 1
    line = one_line(done)
    assert str(damaged) in line and "not valid Parquet" in line, line
    spark_log = (lake / "logs" / "spark.log").read_text()
    assert "ERROR" in spark_log and f"{damaged} is not a Parquet file" in spark_log


def test_a_full_disk_during_fetch_says_so_not_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from energylake.lake import storage

    def full_disk(_descriptor: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    # GIVEN a lake whose writes fail with ENOSPC (the local storage's fsync, where a full disk surfaces)
    monkeypatch.setattr(storage.os, "fsync", full_disk)
    # WHEN fetch runs
    code = cli.main(["fetch", "--source", "sample", *DAY, "--dataset", "spp_dam", "--lake", str(tmp_path / "lake")])
    # THEN the line says the disk is full and names the file, and does not blame the network
    line = one_line(capsys.readouterr().err)
    assert code == 1
    assert "No space left on device" in line and "the disk is full" in line and "raw" in line, line
    assert "network" not in line


def test_an_error_from_below_the_stages_is_one_line_not_a_traceback(
    lake: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from energylake.warehouse import duckdb as warehouse_duckdb

    def locked(*_args: object, **_kwargs: object) -> dict[str, int]:
        raise duckdb.IOException(
            'IO Error: Could not set lock on file "w.duckdb": Conflicting lock is held in /usr/bin/python3 (PID 4242).'
        )

    # GIVEN the load meeting DuckDB's lock error itself (the holder came after the command took the file)
    monkeypatch.setattr(warehouse_duckdb, "load", locked)
    # WHEN load runs THEN one line names the holder and what to do, and the traceback went to the log only
    assert cli.main(["load", *DAY, "--lake", str(lake)]) == 1
    line = one_line(capsys.readouterr().err)
    assert "PID 4242" in line and "close it or wait" in line, line
    assert "Traceback" in (lake / "logs" / "energylake.log").read_text()
