"""One lake, one writer (issue 15, defect 10), and the debris of killed runs (defect 8).

A writing command holds ``<lake>/.energylake.lock``; a second one refuses at once in one line naming the holder and
writes nothing; a killed holder's lock is stale and taken over. Debris (temp files, a killed DuckDB gold's scratch
folder) is reported by `status` and removed by the next writing command. Kills happen at points a file announces.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from energylake.local.debris import find_debris, remove_debris
from energylake.local.lock import LakeBusyError, holder, lake_lock
from tests.support.cli import energylake
from tests.support.interrupts import (
    ONE_DAY,
    SMALL_DATASETS,
    interrupt,
    kill,
    small_lake,
    snapshot,
    start_paused,
    wait_for,
)

DAY, DATASETS = ONE_DAY, SMALL_DATASETS


@pytest.fixture(scope="module")
def built_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_lake(tmp_path_factory.mktemp("one-writer"))


@pytest.fixture
def lake(built_lake: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "lake"
    shutil.copytree(built_lake, copy)
    return copy


def dead_pid() -> int:
    """The pid of a process that has ended."""
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    return int(child.stdout)


# --- the lock ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["fetch", "--source", "sample", *DAY, *DATASETS],
        ["reprocess", *DAY, *DATASETS],
        ["gold", *DAY],
        ["load", *DAY],
        ["run", "--source", "sample", *DAY, *DATASETS],
        ["backfill", "--source", "sample", *DAY, *DATASETS],
    ],
    ids=lambda command: command[0],
)
def test_a_writing_command_refuses_a_lake_another_process_writes(lake: Path, command: list[str]) -> None:
    # GIVEN another process (this test) holding the lake's lock as `energylake run`
    before = snapshot(lake)
    with lake_lock(str(lake), "energylake run --start 2024-11-02"):
        # WHEN a writing command starts on the same lake
        done = energylake(*command, "--lake", str(lake))
    # THEN it refuses at once: exit 2, one line naming the holder's pid and command, and nothing written
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1, done.stderr
    assert f"pid {os.getpid()}" in lines[0] and "energylake run --start 2024-11-02" in lines[0]
    assert "busy" in lines[0]
    assert snapshot(lake) == before


def test_reading_commands_run_beside_a_writer_and_status_names_it(lake: Path) -> None:
    # GIVEN a writer holding the lake
    with lake_lock(str(lake), "energylake backfill --start 2024-01-01"):
        # WHEN status and ls run
        status = energylake("status", "--lake", str(lake), "--json")
        listing = energylake("ls", "--lake", str(lake))
    # THEN both answer, and status names the writer
    assert listing.returncode == 0, listing.stderr
    assert status.returncode == 0, status.stderr
    writer = json.loads(status.stdout)["writer"]
    assert writer["pid"] == os.getpid() and writer["command"] == "energylake backfill --start 2024-01-01"


def test_two_runs_on_one_lake_never_interleave(lake: Path, tmp_path: Path) -> None:
    # GIVEN a run stopped inside its gold stage
    marker = tmp_path / "at-point"
    first = start_paused("gold-copies", marker, ["run", "--source", "sample", *DAY, *DATASETS, "--lake", str(lake)])
    wait_for(marker, first)
    # WHEN a second run starts on the same lake
    second = energylake("run", "--source", "sample", *DAY, *DATASETS, "--lake", str(lake))
    # THEN it refuses, naming the first run's pid; once the first ends (Ctrl-C), the lake is free again
    assert second.returncode == 2, second.stderr
    assert f"pid {first.pid}" in second.stderr
    code, _, stderr = interrupt(first)
    assert code == 130, stderr
    third = energylake("run", "--source", "sample", *DAY, *DATASETS, "--lake", str(lake))
    assert third.returncode == 0, third.stderr


def test_a_lock_left_by_a_killed_command_is_stale_and_taken_over(lake: Path) -> None:
    # GIVEN a lock file whose process is gone (its flock died with it)
    (lake / ".energylake.lock").write_text(
        json.dumps({"pid": dead_pid(), "command": "energylake run", "started_utc": "2026-12-06 10:00:00 UTC"})
    )
    # WHEN status, then a writing command run
    found, holds = holder(str(lake))
    status = energylake("status", "--lake", str(lake), "--json")
    done = energylake("gold", *DAY, "--lake", str(lake))
    # THEN the lock is stale (no writer reported), the command runs, and leaves no lock file behind
    assert found is not None and not holds and not found.alive
    assert json.loads(status.stdout)["writer"] is None
    assert done.returncode == 0, done.stderr
    assert not (lake / ".energylake.lock").exists()


def test_a_waiting_taker_gets_the_lock_once_released_and_is_refused_naming_the_wait(tmp_path: Path) -> None:
    # GIVEN a lake held by one holder
    lake = str(tmp_path / "lake")
    # WHEN another asks for it, waiting a little
    with (
        lake_lock(lake, "energylake run"),
        pytest.raises(LakeBusyError, match=r"busy after waiting 0.5 s: pid \d+ \('energylake run'"),
        lake_lock(lake, "energylake gold", wait_seconds=0.5),
    ):
        pass
    # THEN refused naming the wait; and a taker waiting while the holder releases gets the lock (queued)
    taken: list[int] = []

    def waiter() -> None:
        with lake_lock(lake, "energylake gold", wait_seconds=60) as me:
            taken.append(me.pid)

    with lake_lock(lake, "energylake run"):
        thread = threading.Thread(target=waiter)
        thread.start()
    thread.join(timeout=90)
    assert taken == [os.getpid()]
    assert not Path(lake).exists()  # the lake folder the lock created (nothing else in it) is gone with it


def test_a_taker_arriving_while_the_holder_removes_the_lake_folder_leaves_no_folder_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a holder that created the lake folder, and a taker that arrives just after the holder unlinked its lock
    # file and before it removed the emptied folder (the gap CI once hit: the taker's new lock file kept the folder)
    lake = str(tmp_path / "lake")
    taken: list[int] = []
    unlink = Path.unlink
    late_taker: list[threading.Thread] = []
    holder_released = threading.Event()

    def taker() -> None:
        with lake_lock(lake, "energylake gold", wait_seconds=60) as me:
            taken.append(me.pid)
            holder_released.wait(timeout=60)  # still holding while the holder finishes its release

    def unlink_then_let_a_taker_in(self: Path, missing_ok: bool = False) -> None:
        unlink(self, missing_ok)
        if self.name == ".energylake.lock" and not late_taker:
            late_taker.append(threading.Thread(target=taker))
            late_taker[0].start()
            late_taker[0].join(timeout=1.0)  # the taker gets as far as it can inside the gap

    monkeypatch.setattr(Path, "unlink", unlink_then_let_a_taker_in)
    # WHEN the holder releases
    with lake_lock(lake, "energylake run"):
        pass
    holder_released.set()
    late_taker[0].join(timeout=90)
    # THEN the taker got the lock after the release, and no emptied lake folder is left behind
    assert taken == [os.getpid()]
    assert not Path(lake).exists()


def test_a_lake_folder_another_program_keeps_locked_does_not_hang_the_lock(tmp_path: Path) -> None:
    # GIVEN a lake folder on which another program holds an exclusive flock (and never lets go)
    lake = tmp_path / "lake"
    lake.mkdir()
    folder = os.open(lake, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(folder, fcntl.LOCK_EX)
    taken: list[int] = []

    def take_and_release() -> None:
        with lake_lock(str(lake), "energylake run") as me:
            taken.append(me.pid)

    # WHEN a command takes and releases the lake's lock
    try:
        worker = threading.Thread(target=take_and_release)
        worker.start()
        worker.join(timeout=60)
        # THEN it got the lock and went on unguarded (no hang), leaving the folder it did not create
        assert not worker.is_alive()
        assert taken == [os.getpid()]
        assert lake.is_dir() and not (lake / ".energylake.lock").exists()
    finally:
        os.close(folder)


def test_bad_input_to_a_writing_command_creates_no_lake(tmp_path: Path) -> None:
    # GIVEN no lake WHEN a writing command gets an impossible date
    done = energylake("gold", "--start", "2024-02-30", "--end", "2024-03-01", "--lake", str(tmp_path / "lake"))
    # THEN exit 2, and no lake folder (the lock's folder is removed with the lock)
    assert done.returncode == 2, done.stderr
    assert not (tmp_path / "lake").exists()


# --- debris ------------------------------------------------------------------------------------------------------


def test_status_reports_debris_and_the_next_writing_command_removes_it(lake: Path) -> None:
    # GIVEN the debris of killed runs: a quality report's temp file, Spark's staging folder in a gold table
    temp = next((lake / "quality").rglob("*.json")).with_name(".tmp-abc123")
    temp.write_bytes(b'{"half')
    staging = lake / "gold" / "system_hourly" / ".spark-staging-0f1e2d"
    (staging / "date=2024-11-02").mkdir(parents=True)
    (staging / "date=2024-11-02" / "part-00000.parquet").write_bytes(b"PAR1")
    # WHEN status runs, then `gold`, then status again
    first = energylake("status", "--lake", str(lake), "--json")
    text = energylake("status", "--lake", str(lake))
    done = energylake("gold", *DAY, "--lake", str(lake))
    second = energylake("status", "--lake", str(lake), "--json")
    # THEN status lists both (a staging folder once), gold removes them, and status then finds none
    assert json.loads(first.stdout)["debris"] == sorted([str(temp.relative_to(lake)), str(staging.relative_to(lake))])
    assert "debris: 2 temp file(s) or folder(s) left by an interrupted run" in text.stdout
    assert done.returncode == 0, done.stderr
    assert not temp.exists() and not staging.exists()
    assert json.loads(second.stdout)["debris"] == []


def test_a_kill_during_curation_leaves_a_temp_file_the_rerun_removes(lake: Path, tmp_path: Path) -> None:
    # GIVEN curation killed (SIGKILL: no clean-up) while a quality report's temp file was half written
    marker = tmp_path / "at-point"
    child = start_paused("curate-temp", marker, ["reprocess", "--silver-only", *DAY, *DATASETS, "--lake", str(lake)])
    wait_for(marker, child)
    kill(child)
    left = find_debris(lake)
    # WHEN status and the same command run again
    status = energylake("status", "--lake", str(lake), "--json")
    rerun = energylake("reprocess", "--silver-only", *DAY, *DATASETS, "--lake", str(lake))
    # THEN status reported the temp file, and the rerun removed it
    assert left and all(path.name.startswith(".tmp-") for path in left)
    assert json.loads(status.stdout)["debris"] == [str(path.relative_to(lake)) for path in left]
    assert rerun.returncode == 0, rerun.stderr
    assert find_debris(lake) == []


def test_a_killed_duckdb_gold_leaves_a_scratch_folder_the_next_build_removes(lake: Path, tmp_path: Path) -> None:
    # GIVEN DuckDB gold killed after writing its files into its scratch folder
    scratch_parent = tmp_path / "tmp"
    scratch_parent.mkdir()
    marker = tmp_path / "at-point"
    child = start_paused("gold-copies", marker, ["gold", *DAY, "--lake", str(lake)], tmpdir=scratch_parent)
    wait_for(marker, child)
    kill(child)
    left = list(scratch_parent.glob(f"energylake-gold-{child.pid}-*"))
    # WHEN gold is built again (same temp folder)
    env = {**os.environ, "TMPDIR": str(scratch_parent)}
    rerun = subprocess.run(
        [sys.executable, "-m", "energylake.local", "gold", *DAY, "--lake", str(lake)],
        capture_output=True, text=True, env=env, check=False, timeout=600,
    )  # fmt: skip
    # THEN the killed build's folder was there, and is gone
    assert left, "the kill left no scratch folder: the point is wrong"
    assert rerun.returncode == 0, rerun.stderr
    assert list(scratch_parent.iterdir()) == []


def test_find_debris_lists_only_temp_names_and_spark_staging_under_gold(tmp_path: Path) -> None:
    # GIVEN a lake with debris and with look-alikes that are data
    for name in ("raw/x/.tmp-1", ".meta/raw/x/.tmp-2", "gold/t/_temporary/0/part", "gold/t/date=2024-01-01/a.parquet",
                 "silver/.spark-staging-9/keep.parquet", "raw/x/tmp-not-hidden"):  # fmt: skip
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    # WHEN debris is found, then removed
    found = [path.relative_to(tmp_path).as_posix() for path in find_debris(tmp_path)]
    removed = remove_debris(tmp_path)
    # THEN temp files anywhere and Spark's folders under gold only; the rest stays
    assert found == [".meta/raw/x/.tmp-2", "gold/t/_temporary", "raw/x/.tmp-1"]
    assert len(removed) == 3
    assert (tmp_path / "silver/.spark-staging-9/keep.parquet").exists()
    assert (tmp_path / "raw/x/tmp-not-hidden").exists()
