"""Gold end to end with the default engine (DuckDB) on a sample-source lake: the build range of a window, the fall-back
day's 25 hours in every table, one file per partition replaced whole (a Spark-written partition included), a rebuild
that leaves no stale rows, a silver file that cannot be read and a rule leaving a NULL the contract forbids (nothing
written), and an S3 lake read and written through the Storage protocol (moto), as the AWS gold Lambda does
(BuildGoldFunction's own tests: tests/functional/lambdas/test_build_gold.py).

The Spark runner's own behaviour (dynamic partition overwrite, the Glue entry) is in test_spark_runner.py.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import boto3
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from moto import mock_aws

from energylake.contracts.schemas import GOLD_TABLES
from energylake.contracts.zones import WEATHER_ZONES
from energylake.errors import StorageError
from energylake.gold import build_gold
from energylake.gold import duckdb as gold_duckdb
from energylake.gold.duckdb import GOLD_FILE_NAME
from energylake.gold.rules import build_range
from energylake.lake.storage import LocalStorage, S3Storage
from energylake.window import Window
from tests.support.gold import read_gold, snapshot

UTC = dt.UTC
FALL_BACK_DAY = dt.date(2024, 11, 3)
FALL_BACK_WINDOW = Window(dt.date(2024, 11, 2), dt.date(2024, 11, 4))


def test_the_build_range_is_the_whole_utc_dates_the_window_touches() -> None:
    # GIVEN the operating days 2024-11-02..2024-11-04 (Central)  WHEN the build range is computed
    build = build_range(Window(dt.date(2024, 11, 2), dt.date(2024, 11, 4)))
    # THEN it covers the UTC dates 11-02..11-05 entirely, around the window's Central bounds
    assert build.dates == tuple(dt.date(2024, 11, d) for d in (2, 3, 4, 5))
    assert (build.start_utc, build.end_utc) == (
        dt.datetime(2024, 11, 2, tzinfo=UTC),
        dt.datetime(2024, 11, 6, tzinfo=UTC),
    )
    assert build.window_start_utc == dt.datetime(2024, 11, 2, 5, tzinfo=UTC)
    assert build.window_end_utc == dt.datetime(2024, 11, 5, 6, tzinfo=UTC)
    assert build.hours == 96
    # AND weather is read one UTC date further (the last hour's end point)
    assert build.input_dates("weather")[-1] == dt.date(2024, 11, 6)
    assert build.input_dates("spp_rt")[-1] == dt.date(2024, 11, 5)


def test_end_to_end_the_fall_back_day_has_25_hours_in_every_table(lake_copy: Path) -> None:
    # GIVEN the sample silver  WHEN gold is built for 2024-11-02..04 with the default engine
    counts = build_gold(FALL_BACK_WINDOW, LocalStorage(lake_copy))
    tables = {name: read_gold(lake_copy, name) for name in GOLD_TABLES}
    # THEN each table's files hold exactly the contract's schema (names, types, nullability) and the returned counts
    for name, table in tables.items():
        files = sorted((lake_copy / "gold" / name).glob("date=*/*.parquet"))
        assert files and all(pq.read_schema(path) == GOLD_TABLES[name].arrow_schema() for path in files), name
        assert table.num_rows == counts[name]
    # AND the build covers whole UTC dates 11-02..11-05: 96 hours x 8 zones, one file per partition
    assert counts["energy_weather_hourly"] == 96 * 8 and counts["system_hourly"] == 96
    for name in GOLD_TABLES:
        partitions = sorted((lake_copy / "gold" / name).glob("date=*"))
        assert [p.name for p in partitions] == [f"date=2024-11-0{d}" for d in (2, 3, 4, 5)], name
        assert all([f.name for f in p.iterdir()] == [GOLD_FILE_NAME] for p in partitions), name
    zones = tables["energy_weather_hourly"]
    zone_day = zones.filter(pc.equal(zones["operating_day"], pa.scalar(FALL_BACK_DAY)))
    assert zone_day.num_rows == 8 * 25
    assert pc.all(zone_day["has_load"]).as_py() and pc.all(zone_day["has_weather"]).as_py()
    assert sorted(pc.unique(zone_day["weather_zone"]).to_pylist()) == sorted(WEATHER_ZONES)
    system = tables["system_hourly"]
    system_day = system.filter(pc.equal(system["operating_day"], pa.scalar(FALL_BACK_DAY)))
    assert system_day.num_rows == 25
    assert pc.sum(system_day["repeated_hour"]).as_py() == 1
    assert pc.all(system_day["has_load"]).as_py() and pc.all(system_day["has_prices"]).as_py()
    assert pc.all(system_day["has_renewables"]).as_py()
    assert pc.min(system_day["load_forecast_mw"]).as_py() is not None
    prices = tables["ercot_spp_hourly"]
    spp_day = prices.filter(pc.equal(prices["operating_day"], pa.scalar(FALL_BACK_DAY)))
    assert set(pc.unique(spp_day["rt_intervals"]).to_pylist()) == {4}
    # one row per settlement point, type and hour: the load zones' LZ and LZEW series are separate rows
    series = set(
        zip(spp_day["settlement_point"].to_pylist(), spp_day["settlement_point_type"].to_pylist(), strict=True)
    )
    assert spp_day.num_rows == 25 * len(series)
    assert len(series) == len(pc.unique(spp_day["settlement_point"])) + 8


def test_a_rebuild_after_silver_is_deleted_leaves_no_stale_rows(lake_copy: Path) -> None:
    # GIVEN gold built for 11-02..04, then silver losing all zone load on UTC date 11-04 and every price on 11-05
    build_gold(FALL_BACK_WINDOW, LocalStorage(lake_copy))
    for path in (lake_copy / "silver" / "dataset=load_weather_zone" / "date=2024-11-04").glob("*.parquet"):
        path.unlink()
    for dataset in ("spp_rt", "spp_dam"):
        shutil.rmtree(lake_copy / "silver" / f"dataset={dataset}" / "date=2024-11-05")
    # WHEN only the last operating day is rebuilt (its UTC dates are 11-04 and 11-05)
    counts = build_gold(Window(dt.date(2024, 11, 4), dt.date(2024, 11, 4)), LocalStorage(lake_copy))
    # THEN the 11-04 partition has no load left, the price partition of 11-05 is gone, and 11-03 is untouched
    zones = read_gold(lake_copy, "energy_weather_hourly")
    on_04 = zones.filter(pc.equal(zones["date"], "2024-11-04"))
    assert on_04.num_rows == 24 * 8 and not pc.any(on_04["has_load"]).as_py()
    assert pc.all(zones.filter(pc.equal(zones["date"], "2024-11-03"))["has_load"]).as_py()
    assert not (lake_copy / "gold" / "ercot_spp_hourly" / "date=2024-11-05").exists()
    prices = read_gold(lake_copy, "ercot_spp_hourly")
    assert sorted(set(prices["date"].to_pylist())) == ["2024-11-02", "2024-11-03", "2024-11-04"]
    system = read_gold(lake_copy, "system_hourly")
    on_05 = system.filter(pc.equal(system["date"], "2024-11-05"))
    assert on_05.num_rows == 24 and not pc.any(on_05["has_prices"]).as_py()
    assert counts == {
        "energy_weather_hourly": 2 * 24 * 8,
        "system_hourly": 48,
        "ercot_spp_hourly": prices.filter(pc.equal(prices["date"], "2024-11-04")).num_rows,
    }


def test_a_rebuild_replaces_a_partition_spark_wrote_and_writes_identical_rows(lake_copy: Path) -> None:
    # GIVEN a built lake whose 11-03 partition of system_hourly holds what a Spark run leaves (its part file with the
    #       same rows, a checksum file beside it) instead of this engine's file
    window = Window(FALL_BACK_DAY, FALL_BACK_DAY)
    build_gold(window, LocalStorage(lake_copy))
    before = snapshot(lake_copy)
    partition = lake_copy / "gold" / "system_hourly" / "date=2024-11-03"
    spark_file = partition / "part-00000-0f1e2d3c-c000.snappy.parquet"
    (partition / GOLD_FILE_NAME).rename(spark_file)
    (partition / f".{spark_file.name}.crc").write_bytes(b"crc")
    # WHEN the same window is built again
    build_gold(window, LocalStorage(lake_copy))
    # THEN the partition holds this engine's one file only, and every table the same rows as before
    assert sorted(path.name for path in partition.iterdir()) == [GOLD_FILE_NAME]
    assert snapshot(lake_copy) == before


def test_an_unreadable_silver_file_fails_the_build_and_writes_nothing(lake_copy: Path) -> None:
    # GIVEN a built lake and then a silver file of 11-04 that is not Parquet (a truncated upload)
    window = Window(dt.date(2024, 11, 4), dt.date(2024, 11, 4))
    build_gold(window, LocalStorage(lake_copy))
    before = {path: path.stat().st_mtime_ns for path in (lake_copy / "gold").rglob("*")}
    broken = lake_copy / "silver" / "dataset=spp_rt" / "date=2024-11-04" / "broken.parquet"
    broken.write_bytes(b"PAR1 not really")
    # WHEN the window is built again THEN it fails naming the lake and the file, and no gold file changed
    with pytest.raises(StorageError, match=r"cannot read the silver of 2024-11-04\.\.2024-11-04 .*broken\.parquet"):
        build_gold(window, LocalStorage(lake_copy))
    assert {path: path.stat().st_mtime_ns for path in (lake_copy / "gold").rglob("*")} == before


def test_a_rule_leaving_a_null_the_contract_forbids_fails_the_build_and_writes_nothing(
    lake_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a built lake, and then a rule that broke: system_hourly's has_weather (NOT NULL) comes out NULL
    window = Window(dt.date(2024, 11, 4), dt.date(2024, 11, 4))
    build_gold(window, LocalStorage(lake_copy))
    before = {path: path.read_bytes() for path in (lake_copy / "gold").rglob("*.parquet")}
    statement = gold_duckdb.statement

    def broken(name: str, start_utc: dt.datetime, end_utc: dt.datetime) -> str:
        sql = statement(name, start_utc, end_utc)
        return sql if name != "system_hourly" else f"SELECT * REPLACE (NULL AS has_weather) FROM ({sql})"  # noqa: S608

    monkeypatch.setattr(gold_duckdb, "statement", broken)
    # WHEN the window is built again THEN the build fails naming the table and column, and no gold file changed
    with pytest.raises(ValueError, match=r"gold rules left NULLs in system_hourly\.has_weather, which the contract"):
        build_gold(window, LocalStorage(lake_copy))
    assert {path: path.read_bytes() for path in (lake_copy / "gold").rglob("*.parquet")} == before


def test_an_s3_lake_is_read_and_written_through_storage_with_a_scratch_folder_left_empty(
    sample_silver: Path, tmp_path: Path
) -> None:
    # GIVEN the sample silver of the window's UTC dates in an S3 lake under a prefix (moto), a stale Spark part
    #       object in one gold partition, and a scratch folder (what a Lambda's /tmp is)
    window = Window(FALL_BACK_DAY, FALL_BACK_DAY)
    local_lake = Path(shutil.copytree(sample_silver, tmp_path / "local"))
    expected_counts = build_gold(window, LocalStorage(local_lake))
    scratch = tmp_path / "scratch"
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="lake")
        lake = S3Storage("lake", "env/dev", client=s3)
        for path in sorted((sample_silver / "silver").rglob("*.parquet")):
            lake.put(path.relative_to(sample_silver).as_posix(), path.read_bytes())
        stale = "gold/energy_weather_hourly/date=2024-11-03/part-00003-0a1b-c000.snappy.parquet"
        lake.put(stale, b"stale")
        # WHEN gold is built over the S3 lake
        counts = build_gold(window, lake, work_dir=scratch)
        # THEN the same rows are written as from a folder lake, one object per partition, the stale one removed
        assert counts == expected_counts
        keys = list(lake.list("gold/"))
        assert len(keys) == 3 * 2 and all(key.endswith(f"/{GOLD_FILE_NAME}") for key in keys)
        assert stale not in keys
        for key in keys:
            written = pq.read_table(pa.BufferReader(lake.get(key)))
            assert written == pq.read_table(local_lake / key), key
    # AND the downloads and spill files are gone: a warm Lambda's /tmp does not fill up
    assert scratch.is_dir() and not any(scratch.iterdir())
