"""Ctrl-C during any stage: exit 130, one line saying to rerun, and nothing half-written (issue 15, defect 6).

Each test interrupts a child `energylake` at a point a file announces (tests/support/interrupts.py), never after a
fixed sleep. The lake was built once by a clean run; an interrupted command must leave it as that run left it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest

from energylake.local.debris import find_debris
from tests.support.cli import energylake
from tests.support.interrupts import ONE_DAY, SMALL_DATASETS, interrupt, small_lake, snapshot, start_paused, wait_for

DAY, DATASETS = ONE_DAY, SMALL_DATASETS


@pytest.fixture(scope="module")
def built_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_lake(tmp_path_factory.mktemp("interrupts"))


@pytest.fixture
def lake(built_lake: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "lake"
    shutil.copytree(built_lake, copy)
    return copy


def assert_one_interrupt_line(code: int, stderr: str, command: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert code == 130, stderr
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"energylake: {command} interrupted after"), stderr
    assert "rerun" in lines[0]
    assert "Java" not in stderr and "Traceback" not in stderr


def test_ctrl_c_during_duckdb_gold_exits_130_and_leaves_gold_as_it_was(lake: Path, tmp_path: Path) -> None:
    # GIVEN a lake built by a clean run, and `energylake gold` stopped inside DuckDB gold (its files written to
    # scratch, a DuckDB query running), its scratch in a temp folder of the test's own
    before = snapshot(lake)
    scratch_parent = tmp_path / "tmp"
    scratch_parent.mkdir()
    marker = tmp_path / "at-point"
    child = start_paused("gold-copies", marker, ["gold", *DAY, "--lake", str(lake)], tmpdir=scratch_parent)
    wait_for(marker, child)
    # WHEN Ctrl-C arrives
    code, _, stderr = interrupt(child)
    # THEN exit 130, one line saying to rerun (not "gold failed ... check Java 17"), the lake byte for byte as it
    # was, no scratch folder left, and the lake free for the next writer
    assert_one_interrupt_line(code, stderr, "gold")
    assert snapshot(lake) == before
    assert list(scratch_parent.iterdir()) == []
    assert not (lake / ".energylake.lock").exists()


def test_ctrl_c_during_curation_exits_130_and_the_rerun_leaves_no_temp_file(lake: Path, tmp_path: Path) -> None:
    # GIVEN `energylake reprocess --silver-only` stopped while writing a quality report (its temp file half written)
    marker = tmp_path / "at-point"
    child = start_paused("curate-temp", marker, ["reprocess", "--silver-only", *DAY, *DATASETS, "--lake", str(lake)])
    wait_for(marker, child)
    assert list((lake / "quality").rglob(".tmp-*")), "the point did not leave its temp file"
    # WHEN Ctrl-C arrives
    code, _, stderr = interrupt(child)
    # THEN exit 130 in one line; the half-written report was never renamed into place, and the next writing
    # command removes its temp file
    assert_one_interrupt_line(code, stderr, "reprocess")
    rerun = energylake("reprocess", "--silver-only", *DAY, *DATASETS, "--lake", str(lake))
    assert rerun.returncode == 0, rerun.stderr
    assert list(lake.rglob(".tmp-*")) == []


def warehouse_rows(warehouse: Path) -> dict[str, list[tuple[object, ...]]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = [row[0] for row in con.sql("SELECT table_name FROM duckdb_tables() ORDER BY table_name").fetchall()]
        return {name: sorted(con.sql(f"SELECT * FROM {name}").fetchall(), key=repr) for name in tables}  # noqa: S608
    finally:
        con.close()


def test_ctrl_c_during_load_exits_130_and_leaves_the_warehouse_as_it_was(lake: Path, tmp_path: Path) -> None:
    # GIVEN a warehouse loaded by a clean run, and a reload of the same window stopped after its first table
    # (all tables load in one transaction), with a DuckDB query running
    before = warehouse_rows(lake / "warehouse.duckdb")
    marker = tmp_path / "at-point"
    child = start_paused("load-table", marker, ["load", *DAY, "--lake", str(lake)])
    wait_for(marker, child)
    # WHEN Ctrl-C arrives
    code, _, stderr = interrupt(child)
    # THEN exit 130 in one line (not "load failed"), and every table exactly as before (rolled back)
    assert_one_interrupt_line(code, stderr, "load")
    assert warehouse_rows(lake / "warehouse.duckdb") == before


def test_ctrl_c_while_the_command_is_still_starting_exits_130_in_one_line(lake: Path, tmp_path: Path) -> None:
    # GIVEN `energylake run` still importing its libraries (before the CLI's own Ctrl-C handling is in place)
    before = snapshot(lake)
    marker = tmp_path / "at-point"
    child = start_paused("start-up", marker, ["run", "--source", "sample", *DAY, *DATASETS, "--lake", str(lake)])
    wait_for(marker, child)
    # WHEN Ctrl-C arrives
    code, _, stderr = interrupt(child)
    # THEN exit 130 and one line saying nothing was done (no KeyboardInterrupt traceback), the lake untouched
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert code == 130, stderr
    assert lines == ["energylake: interrupted while starting; nothing was done (rerun the command)"], stderr
    assert snapshot(lake) == before
    assert not (lake / ".energylake.lock").exists()


@pytest.mark.skipif(shutil.which("java") is None and not os.environ.get("JAVA_HOME"), reason="Spark needs Java 17")
def test_ctrl_c_during_spark_gold_exits_130_without_java_traces(lake: Path, tmp_path: Path) -> None:
    # GIVEN `energylake gold --engine spark` writing its first table
    marker = tmp_path / "at-point"
    child = start_paused("spark-write", marker, ["gold", "--engine", "spark", *DAY, "--lake", str(lake)])
    wait_for(marker, child)
    # WHEN Ctrl-C arrives
    code, _, stderr = interrupt(child)
    # THEN exit 130 and one line (no "check Java 17", no Py4J or Java traces, nothing printed after it: the JVM
    # has ended when the command returns), and the next build leaves no Spark staging folder behind
    assert_one_interrupt_line(code, stderr, "gold")  # Spark's start-up warnings go to <lake>/logs/spark.log
    assert "Py4J" not in stderr and "java.lang" not in stderr
    rerun = energylake("gold", *DAY, "--lake", str(lake))
    assert rerun.returncode == 0, rerun.stderr
    assert find_debris(lake) == []
