"""The Spark runner's own behaviour on local Spark: Spark types from the contracts, the UTC session it requires, the
SQL transpiled with sqlglot (and a clear error without it), dynamic partition overwrite (a rebuild replaces exactly
its partitions, a DuckDB-written one included, and removes the ones left empty), and the Glue job entry in local mode.

One Spark session serves every test (the ``spark`` fixture of tests/functional/conftest.py); the Spark-built sample
lake is the session's ``spark_gold`` (tests/functional/gold/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

pytest.importorskip("pyspark", reason="pyspark is not installed (pip install -e '.[spark]')")

from pyspark.sql import SparkSession

from energylake.contracts.schemas import GOLD_TABLES, SILVER_TABLES, SYSTEM_HOURLY
from energylake.errors import ConfigurationError
from energylake.gold import spark as gold
from energylake.lake.storage import LocalStorage
from energylake.window import Window
from tests.support.gold import read_gold, row_differences, snapshot
from tests.support.paths import REPO_ROOT

UTC = dt.UTC
FALL_BACK_WINDOW = Window(dt.date(2024, 11, 2), dt.date(2024, 11, 4))


def test_spark_schemas_follow_the_contracts_column_for_column() -> None:
    # GIVEN every silver and gold contract WHEN converted to Spark schemas
    for table in (*SILVER_TABLES.values(), *GOLD_TABLES.values()):
        schema = gold.spark_schema(table)
        # THEN names, order, nullability and types follow the pyarrow contract
        assert schema.fieldNames() == list(table.column_names)
        assert [f.nullable for f in schema.fields] == [c.nullable for c in table.columns]
    types = {f.name: f.dataType.simpleString() for f in gold.spark_schema(SYSTEM_HOURLY).fields}
    assert (types["interval_start_utc"], types["operating_day"], types["hour_ending"], types["load_zones"]) == (
        "timestamp",
        "date",
        "tinyint",
        "tinyint",
    )
    assert gold.spark_type(pa.timestamp("us")).simpleString() == "timestamp_ntz"
    with pytest.raises(TypeError, match="no Spark type"):
        gold.spark_type(pa.dictionary(pa.int8(), pa.string()))


def test_the_statements_refuse_a_session_that_is_not_in_utc(spark: SparkSession) -> None:
    # GIVEN the session time zone set to Chicago
    spark.conf.set("spark.sql.session.timeZone", "America/Chicago")
    try:
        # WHEN the rules run THEN they refuse (their hour labels and dates would be wrong)
        start = dt.datetime(2024, 7, 1, tzinfo=UTC)
        with pytest.raises(ValueError, match="timeZone=UTC"):
            gold.build_tables(spark, {}, start, start + dt.timedelta(hours=1))
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")


def test_the_spark_sql_is_the_duckdb_sql_transpiled() -> None:
    # GIVEN the build hours of a day WHEN the hour grid's statement is asked for in Spark's dialect
    start = dt.datetime(2024, 11, 3, tzinfo=UTC)
    sql = gold.spark_sql("hours", start, start + dt.timedelta(days=1))
    # THEN DuckDB's constructs are Spark's: the series exploded, AT TIME ZONE as from_utc_timestamp, literal bounds
    assert "EXPLODE(SEQUENCE(" in sql and "FROM_UTC_TIMESTAMP(interval_start_utc, 'America/Chicago')" in sql
    assert "CAST('2024-11-03 00:00:00+00:00' AS TIMESTAMP)" in sql and "$" not in sql.split("*/")[-1]


def test_without_sqlglot_the_spark_runner_names_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN sqlglot cannot be imported (a Glue job without --additional-python-modules sqlglot)
    monkeypatch.setitem(sys.modules, "sqlglot", None)
    # WHEN a statement is transpiled THEN a ConfigurationError says what to install, and where on Glue
    start = dt.datetime(2024, 11, 3, tzinfo=UTC)
    with pytest.raises(ConfigurationError, match=r"sqlglot.*--additional-python-modules"):
        gold.spark_sql("hours", start, start + dt.timedelta(hours=1))


def test_a_rebuild_overwrites_exactly_its_partitions_and_drops_the_empty_ones(
    duckdb_gold: Path, spark: SparkSession, tmp_path: Path
) -> None:
    # GIVEN the sample lake with gold written by DuckDB, then silver losing all zone load on UTC date 11-04 and every
    #       price on 11-05
    lake = Path(shutil.copytree(duckdb_gold, tmp_path / "lake"))
    before = snapshot(lake)
    for path in (lake / "silver" / "dataset=load_weather_zone" / "date=2024-11-04").glob("*.parquet"):
        path.unlink()
    for dataset in ("spp_rt", "spp_dam"):
        shutil.rmtree(lake / "silver" / f"dataset={dataset}" / "date=2024-11-05")
    # WHEN Spark rebuilds only the operating day 11-04 (UTC dates 11-04 and 11-05)
    gold.build_gold(Window(dt.date(2024, 11, 4), dt.date(2024, 11, 4)), LocalStorage(lake), spark)
    # THEN its partitions hold Spark's files only (DuckDB's replaced), the price partition of 11-05 is gone, and a
    #      partition outside the range (11-03) still holds DuckDB's file and rows
    rebuilt = lake / "gold" / "energy_weather_hourly" / "date=2024-11-04"
    (spark_file,) = rebuilt.glob("*.parquet")
    assert re.fullmatch(r"part-\d{5}-[0-9a-f-]+\.c000\.snappy\.parquet", spark_file.name)
    assert [path.name for path in (lake / "gold" / "system_hourly" / "date=2024-11-03").glob("*")] == [
        "part-00000.parquet"
    ]
    assert not (lake / "gold" / "ercot_spp_hourly" / "date=2024-11-05").exists()
    zones = read_gold(lake, "energy_weather_hourly")
    on_04 = zones.filter(pc.equal(zones["date"], "2024-11-04"))
    assert on_04.num_rows == 24 * 8 and not pc.any(on_04["has_load"]).as_py()
    after = snapshot(lake)
    untouched = [r for r in after["system_hourly"] if r["interval_start_utc"] < dt.datetime(2024, 11, 4, tzinfo=UTC)]
    earlier = [r for r in before["system_hourly"] if r["interval_start_utc"] < dt.datetime(2024, 11, 4, tzinfo=UTC)]
    assert untouched == earlier


# --- the Glue entry, local mode -------------------------------------------------------------------------------------


def run_entry(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ENERGYLAKE_SPARK_MASTER": "local[2]"}
    return subprocess.run(
        [sys.executable, str(REPO_ROOT / "glue" / "build_gold.py"), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )


def test_glue_entry_rerun_prints_json_counts_and_rewrites_identical_rows(spark_gold: Path, tmp_path: Path) -> None:
    # GIVEN a lake whose gold Spark built
    lake = Path(shutil.copytree(spark_gold, tmp_path / "lake"))
    before = snapshot(lake)
    # WHEN a window is built again through the job entry in local mode (a fresh process and Spark session)
    done = run_entry("--start", "2024-11-02", "--end", "2024-11-04", "--lake", str(lake))
    # THEN it exits 0 and prints the rows written per table as JSON (4 whole UTC dates: 96 hours)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["start"] == "2024-11-02" and report["lake"] == str(lake)
    assert (report["rows"]["energy_weather_hourly"], report["rows"]["system_hourly"]) == (96 * 8, 96)
    # AND the partitions hold the same rows as before, every natural key once (replaced, not appended)
    after = snapshot(lake)
    for name, schema in GOLD_TABLES.items():
        assert row_differences(after[name], before[name], name) == [], name
        keys = [tuple(r[k] for k in schema.natural_key) for r in after[name]]
        assert len(keys) == len(set(keys)), name


def test_glue_entry_help_names_its_arguments() -> None:
    done = run_entry("--help")
    assert done.returncode == 0 and all(option in done.stdout for option in ("--start", "--end", "--lake"))


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [("2024-11-04", "2024-11-03", "before start"), ("2024-13-01", "2024-11-03", "start must be a real")],
)
def test_glue_entry_rejects_a_bad_window_with_exit_2(tmp_path: Path, start: str, end: str, message: str) -> None:
    # GIVEN a window that cannot be WHEN the entry runs THEN exit 2, a message naming the problem, nothing written
    done = run_entry("--start", start, "--end", end, "--lake", str(tmp_path / "lake"))
    assert done.returncode == 2
    assert message in done.stderr and "bad window" in done.stderr
    assert not (tmp_path / "lake").exists()


def test_glue_entry_rejects_a_lake_it_cannot_open_with_exit_2(tmp_path: Path) -> None:
    done = run_entry("--start", "2024-11-01", "--end", "2024-11-01", "--lake", "ftp://example.com/lake")
    assert done.returncode == 2
    assert "bad lake: unsupported lake URI 'ftp://example.com/lake'" in done.stderr
