"""Gold end to end on local Spark: the build range of a window, a build from a sample-source lake (the fall-back
day has 25 hours in every table), a rebuild that leaves no stale rows, and the Glue job entry in local mode.

One Spark session serves every test (the ``spark`` fixture of tests/functional/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

pytest.importorskip("pyspark", reason="pyspark is not installed (pip install -e '.[spark]')")

from pyspark.sql import SparkSession

from energylake.contracts.schemas import GOLD_TABLES
from energylake.contracts.zones import WEATHER_ZONES
from energylake.curate import reprocess
from energylake.fetch import fetch
from energylake.gold import spark as gold
from energylake.lake.storage import LocalStorage
from energylake.sample import connection as sample_connection
from energylake.settings import Settings
from energylake.window import Window
from tests.support.paths import REPO_ROOT

UTC = dt.UTC
FALL_BACK_DAY = dt.date(2024, 11, 3)
FALL_BACK_WINDOW = Window(dt.date(2024, 11, 2), dt.date(2024, 11, 4))
GOLD_DATASETS = ("spp_rt", "spp_dam", "load_weather_zone", "wind", "solar", "load_forecast", "weather")


# --- the build range ------------------------------------------------------------------------------------------------


def test_the_build_range_is_the_whole_utc_dates_the_window_touches() -> None:
    # GIVEN the operating days 2024-11-02..2024-11-04 (Central)  WHEN the build range is computed
    build = gold.build_range(Window(dt.date(2024, 11, 2), dt.date(2024, 11, 4)))
    # THEN it covers the UTC dates 11-02..11-05 entirely, around the window's Central bounds
    assert build.dates == tuple(dt.date(2024, 11, d) for d in (2, 3, 4, 5))
    assert (build.start_utc, build.end_utc) == (
        dt.datetime(2024, 11, 2, tzinfo=UTC),
        dt.datetime(2024, 11, 6, tzinfo=UTC),
    )
    assert build.window_start_utc == dt.datetime(2024, 11, 2, 5, tzinfo=UTC)
    assert build.window_end_utc == dt.datetime(2024, 11, 5, 6, tzinfo=UTC)
    assert build.hours == 96


# --- end to end on a sample lake ------------------------------------------------------------------------------------


def read_gold(lake: Path, table: str) -> pa.Table:
    root = lake / "gold" / table
    parts = []
    for path in sorted(root.glob("date=*/*.parquet")):
        part = pq.read_table(path)
        parts.append(part.append_column("date", pa.array([path.parent.name[5:]] * part.num_rows, pa.string())))
    return pa.concat_tables(parts)


def snapshot(lake: Path) -> dict[str, list[dict[str, Any]]]:
    return {
        table: sorted(read_gold(lake, table).to_pylist(), key=lambda r: [str(r[k]) for k in schema.natural_key])
        for table, schema in GOLD_TABLES.items()
    }


@pytest.fixture(scope="module")
def sample_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Silver for 2024-11-02..04 from the sample source (every dataset gold reads)."""
    root = tmp_path_factory.mktemp("gold") / "lake"
    storage = LocalStorage(root)
    connection = sample_connection(Settings(), now=dt.datetime(2024, 11, 8, 12, tzinfo=UTC), throttle_every=0)
    for dataset in GOLD_DATASETS:
        fetch(FALL_BACK_WINDOW, dataset, storage, connection)
    results = reprocess(FALL_BACK_WINDOW, storage, list(GOLD_DATASETS), run_id="gold-test")
    assert {r.status for r in results} == {"passed"}
    return root


@pytest.fixture(scope="module")
def built_lake(sample_lake: Path, spark: SparkSession) -> tuple[Path, dict[str, int]]:
    counts = gold.build_gold(FALL_BACK_WINDOW, LocalStorage(sample_lake), spark)
    return sample_lake, counts


def test_end_to_end_the_fall_back_day_has_25_hours_in_every_table(built_lake: tuple[Path, dict[str, int]]) -> None:
    # GIVEN gold built from the sample silver of 2024-11-02..04
    lake, counts = built_lake
    tables = {name: read_gold(lake, name) for name in GOLD_TABLES}
    # THEN each table matches its contract (plus the date partition) and the returned counts
    for name, table in tables.items():
        contract = GOLD_TABLES[name].arrow_schema()
        written = table.drop_columns(["date"]).schema
        assert [(f.name, f.type) for f in written] == [(f.name, f.type) for f in contract], name
        assert table.num_rows == counts[name]
    # AND the build covers whole UTC dates 11-02..11-05: 96 hours x 8 zones, one file per partition
    assert counts["energy_weather_hourly"] == 96 * 8 and counts["system_hourly"] == 96
    assert sorted(p.name for p in (lake / "gold" / "system_hourly").glob("date=*")) == [
        f"date=2024-11-0{d}" for d in (2, 3, 4, 5)
    ]
    assert all(len(list(p.glob("*.parquet"))) == 1 for p in (lake / "gold" / "system_hourly").glob("date=*"))
    zone_day = tables["energy_weather_hourly"].filter(
        pc.equal(tables["energy_weather_hourly"]["operating_day"], pa.scalar(FALL_BACK_DAY))
    )
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
    spp_day = tables["ercot_spp_hourly"].filter(
        pc.equal(tables["ercot_spp_hourly"]["operating_day"], pa.scalar(FALL_BACK_DAY))
    )
    assert set(pc.unique(spp_day["rt_intervals"]).to_pylist()) == {4}
    # one row per settlement point, type and hour: the load zones' LZ and LZEW series are separate rows
    series = set(
        zip(spp_day["settlement_point"].to_pylist(), spp_day["settlement_point_type"].to_pylist(), strict=True)
    )
    assert spp_day.num_rows == 25 * len(series)
    assert len(series) == len(pc.unique(spp_day["settlement_point"])) + 8


def test_end_to_end_rebuild_after_silver_is_deleted_leaves_no_stale_rows(
    built_lake: tuple[Path, dict[str, int]], spark: SparkSession, tmp_path: Path
) -> None:
    # GIVEN a copy of the built lake whose silver loses all zone load on UTC date 11-04 and every price
    #       on UTC date 11-05
    lake = tmp_path / "lake"
    shutil.copytree(built_lake[0], lake)
    for path in (lake / "silver" / "dataset=load_weather_zone" / "date=2024-11-04").glob("*.parquet"):
        path.unlink()
    for dataset in ("spp_rt", "spp_dam"):
        shutil.rmtree(lake / "silver" / f"dataset={dataset}" / "date=2024-11-05")
    # WHEN only the last operating day is rebuilt (its UTC dates are 11-04 and 11-05)
    counts = gold.build_gold(Window(dt.date(2024, 11, 4), dt.date(2024, 11, 4)), LocalStorage(lake), spark)
    # THEN the 11-04 partition has no load left, the price partition of 11-05 is gone, and 11-03 is untouched
    zones = read_gold(lake, "energy_weather_hourly")
    on_04 = zones.filter(pc.equal(zones["date"], "2024-11-04"))
    assert on_04.num_rows == 24 * 8 and not pc.any(on_04["has_load"]).as_py()
    assert pc.all(zones.filter(pc.equal(zones["date"], "2024-11-03"))["has_load"]).as_py()
    assert not (lake / "gold" / "ercot_spp_hourly" / "date=2024-11-05").exists()
    prices = read_gold(lake, "ercot_spp_hourly")
    assert sorted(set(prices["date"].to_pylist())) == ["2024-11-02", "2024-11-03", "2024-11-04"]
    system = read_gold(lake, "system_hourly")
    on_05 = system.filter(pc.equal(system["date"], "2024-11-05"))
    assert on_05.num_rows == 24 and not pc.any(on_05["has_prices"]).as_py()
    assert counts == {
        "energy_weather_hourly": 2 * 24 * 8,
        "system_hourly": 48,
        "ercot_spp_hourly": prices.filter(pc.equal(prices["date"], "2024-11-04")).num_rows,
    }


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


def test_glue_entry_rerun_prints_json_counts_and_rewrites_identical_rows(
    built_lake: tuple[Path, dict[str, int]],
) -> None:
    # GIVEN a built lake
    lake, counts = built_lake
    before = snapshot(lake)
    # WHEN the same window is built again through the job entry in local mode (a fresh process and Spark session)
    done = run_entry("--start", "2024-11-02", "--end", "2024-11-04", "--lake", str(lake))
    # THEN it exits 0 and prints the rows written per table as JSON: the same counts as the first build
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"start": "2024-11-02", "end": "2024-11-04", "lake": str(lake), "rows": counts}
    # AND the partitions hold exactly the same rows as before, every natural key once (replaced, not appended)
    after = snapshot(lake)
    assert after == before
    for name, schema in GOLD_TABLES.items():
        keys = [tuple(r[k] for k in schema.natural_key) for r in after[name]]
        assert len(keys) == len(set(keys)), name


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
