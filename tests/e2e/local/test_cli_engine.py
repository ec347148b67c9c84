"""`energylake --engine`: DuckDB builds gold by default, so `run` needs no Java (what `make demo` runs); `--engine
spark` is refused in one line naming what to install when Java is missing, before anything is written; an unknown
engine is a usage error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from energylake.local import cli
from tests.support.cli import files_under

DAY = ["--start", "2024-11-03", "--end", "2024-11-03"]


def energylake_without_java(*args: str, empty_bin: Path) -> subprocess.CompletedProcess[str]:
    """``energylake <args>`` in a fresh process that finds no Java: JAVA_HOME unset, PATH only an empty folder."""
    env = {name: value for name, value in os.environ.items() if name != "JAVA_HOME"}
    env["PATH"] = str(empty_bin)
    empty_bin.mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "energylake.local", *args], capture_output=True, text=True, check=False, env=env
    )


def test_run_builds_gold_with_duckdb_by_default_without_java(tmp_path: Path) -> None:
    # GIVEN a machine without Java WHEN `energylake run` covers a day of the sample source (the default engine)
    lake = tmp_path / "lake"
    done = energylake_without_java(
        "run", "--source", "sample", *DAY, "--lake", str(lake), "--json", empty_bin=tmp_path / "bin"
    )
    # THEN it succeeds: gold is built (one file per table and UTC date) and loaded, and the report times the stage
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["gold_rows"]["system_hourly"] == 48 and report["gold_rows"]["energy_weather_hourly"] == 48 * 8
    assert report["loaded_rows"]["system_hourly"] > 0 and "gold" in report["seconds"]
    assert len(list((lake / "gold" / "system_hourly").glob("date=*/part-00000.parquet"))) == 2


@pytest.mark.parametrize("command", [["gold"], ["run", "--source", "sample"], ["reprocess"]])
def test_engine_spark_without_java_is_one_line_naming_java_and_writes_nothing(
    command: list[str], tmp_path: Path
) -> None:
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install -e '.[spark]')")
    # GIVEN no Java WHEN a command that builds gold asks for Spark
    lake = tmp_path / "lake"
    done = energylake_without_java(*command, *DAY, "--lake", str(lake), "--engine", "spark", empty_bin=tmp_path / "bin")
    # THEN exit 2 with one line saying what to install, and nothing written
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "energylake: error: the spark gold engine needs Java 17" in done.stderr
    assert files_under(lake) == []


def test_engine_spark_without_pyspark_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN pyspark not installed (as after `pip install -e '.[local]'`, what `make demo` installs)
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyspark" else real(name, *a))
    # WHEN `energylake gold --engine spark` runs THEN exit 2, one line naming the extra, nothing written
    code = cli.main(["gold", *DAY, "--lake", str(tmp_path / "lake"), "--engine", "spark"])
    err = capsys.readouterr().err
    assert (
        code == 2
        and err == "energylake: error: the spark gold engine needs pyspark and Java 17: pip install -e '.[spark]'\n"
    )
    assert files_under(tmp_path / "lake") == []


def test_an_unknown_engine_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["gold", *DAY, "--lake", str(tmp_path / "lake"), "--engine", "polars"])
    err = capsys.readouterr().err
    assert code == 2 and "argument --engine: invalid choice: 'polars' (choose from" in err


def test_engine_spark_is_not_checked_when_no_gold_is_built(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN no pyspark WHEN only curation runs (reprocess --silver-only) with --engine spark THEN it is not refused
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyspark" else real(name, *a))
    code = cli.main(["reprocess", *DAY, "--lake", str(tmp_path / "lake"), "--silver-only", "--engine", "spark"])
    assert code == 0, capsys.readouterr().err
