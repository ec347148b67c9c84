"""Regression: the last hour of a window has weather, and a chunked backfill leaves no hole at its seams.

Aligning an hour needs the weather at its END, which for a window's last hour is the first instant of the next day.
The Open-Meteo request already covered it (UTC dates ``start .. end + 1``) but the parser dropped it, so every run's
last hour had ``has_weather = false``, and a chunked backfill loaded that hole into the warehouse at every seam for
good (the next chunk's load starts after it). Here two adjacent chunks are fetched, curated, built and loaded one
after the other, as ``backfill`` does, and compared with the union of the two windows run at once: gold and the
warehouse's gold tables must be identical, row for row.

Sample source through the real clients, parsers, gate and curation; gold by the default engine (DuckDB).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from energylake.contracts.schemas import GOLD_TABLES, UTC_TIMESTAMP
from energylake.contracts.zones import WEATHER_ZONES
from energylake.curate import reprocess
from energylake.fetch import fetch
from energylake.gold import build_gold
from energylake.lake.storage import LocalStorage
from energylake.sample import connection as sample_connection
from energylake.settings import Settings
from energylake.warehouse import duckdb as warehouse
from energylake.window import Window

# Days older than the Open-Meteo archive delay (one endpoint for every request) and within the ERCOT API's reach.
NOW = dt.datetime(2024, 11, 20, 18, tzinfo=dt.UTC)
CHUNK_A = Window(dt.date(2024, 11, 2), dt.date(2024, 11, 3))  # ends on the fall-back day: the seam is at 06:00Z
CHUNK_B = Window(dt.date(2024, 11, 4), dt.date(2024, 11, 5))
UNION = Window(CHUNK_A.start, CHUNK_B.end)
DATASETS = ("spp_rt", "spp_dam", "load_weather_zone", "wind", "solar", "load_forecast", "weather")
HOUR = dt.timedelta(hours=1)


def run_window(window: Window, lake: Path, db: Path) -> None:
    """What one chunk of a backfill does: fetch, curate, gold, load."""
    storage = LocalStorage(lake)
    connection = sample_connection(Settings(), now=NOW, throttle_every=0)
    for dataset in DATASETS:
        fetch(window, dataset, storage, connection)
    results = reprocess(window, storage, list(DATASETS), run_id=f"seam-{window}")
    assert {r.status for r in results} == {"passed"}
    assert sum(r.rows_rejected for r in results) == 0
    build_gold(window, storage)
    warehouse.load(window, storage, str(db))


def read_gold(lake: Path, table: str) -> pa.Table:
    return pa.concat_tables(pq.read_table(path) for path in sorted((lake / "gold" / table).glob("date=*/*.parquet")))


def rows_of(table: pa.Table, key: tuple[str, ...]) -> list[dict[str, Any]]:
    return sorted(table.to_pylist(), key=lambda row: [str(row[k]) for k in key])


def last_hour(table: pa.Table, window: Window) -> pa.Table:
    stamp = pa.scalar(window.end_utc - HOUR, UTC_TIMESTAMP)
    return table.filter(pc.equal(table["interval_start_utc"], stamp))


@pytest.fixture(scope="module")
def lakes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("seams")
    chunked, union = root / "chunked", root / "union"
    # chunk A alone first: what a run of that window leaves (its last hour is checked before chunk B exists)
    run_window(CHUNK_A, chunked / "lake", chunked / "warehouse.duckdb")
    after_a = {name: read_gold(chunked / "lake", name) for name in ("energy_weather_hourly", "system_hourly")}
    run_window(CHUNK_B, chunked / "lake", chunked / "warehouse.duckdb")
    run_window(UNION, union / "lake", union / "warehouse.duckdb")
    return {"chunked": chunked, "union": union, "after_a": after_a}


def test_the_last_hour_of_a_run_has_weather(lakes: dict[str, Any]) -> None:
    # GIVEN gold right after chunk A (operating days 11-02..11-03) ran alone
    zones, system = lakes["after_a"]["energy_weather_hourly"], lakes["after_a"]["system_hourly"]
    # THEN its last hour (HE 24 of 11-03, 05:00Z-06:00Z, aligned with the weather stamped 06:00Z) has weather in
    #      every zone and in the system table
    assert CHUNK_A.end_utc == dt.datetime(2024, 11, 4, 6, tzinfo=dt.UTC)
    zone_rows = last_hour(zones, CHUNK_A)
    assert sorted(zone_rows["weather_zone"].to_pylist()) == sorted(WEATHER_ZONES)
    assert pc.all(zone_rows["has_weather"]).as_py()
    assert zone_rows["temperature_2m_c"].null_count == 0 and zone_rows["shortwave_radiation_wm2"].null_count == 0
    (system_row,) = last_hour(system, CHUNK_A).to_pylist()
    assert system_row["has_weather"] and system_row["load_weighted_temperature_c"] is not None
    # AND so does every hour of the window's days
    in_window = zones.filter(
        pc.and_(
            pc.greater_equal(zones["interval_start_utc"], pa.scalar(CHUNK_A.start_utc, UTC_TIMESTAMP)),
            pc.less(zones["interval_start_utc"], pa.scalar(CHUNK_A.end_utc, UTC_TIMESTAMP)),
        )
    )
    assert in_window.num_rows == 8 * (24 + 25) and pc.all(in_window["has_weather"]).as_py()


def test_gold_across_a_chunk_seam_equals_gold_built_over_the_union(lakes: dict[str, Any]) -> None:
    # GIVEN gold built chunk by chunk (A then B) and gold built over A and B at once
    for name, schema in GOLD_TABLES.items():
        chunked = read_gold(lakes["chunked"] / "lake", name)
        union = read_gold(lakes["union"] / "lake", name)
        # THEN every row of every gold table is identical, the seam hours included
        assert chunked.schema == union.schema, name
        assert rows_of(chunked, schema.natural_key) == rows_of(union, schema.natural_key), name
    seam = read_gold(lakes["chunked"] / "lake", "energy_weather_hourly")
    assert pc.all(last_hour(seam, CHUNK_A)["has_weather"]).as_py()


def test_the_warehouse_loaded_chunk_by_chunk_equals_the_one_loaded_at_once(lakes: dict[str, Any]) -> None:
    # GIVEN the warehouse loaded with chunk A, then chunk B, and the one loaded with the union
    def gold_rows(kind: str, name: str) -> list[dict[str, Any]]:
        db = str(lakes[kind] / "warehouse.duckdb")
        table = warehouse.query(db, f"SELECT * EXCLUDE (loaded_at_utc) FROM {name}")  # noqa: S608 - model names
        return rows_of(table, GOLD_TABLES[name].natural_key)

    # THEN its gold tables hold the same rows: chunk A's load already had weather for its last hour, which chunk B's
    #      load (starting at the seam) never rewrites
    for name in GOLD_TABLES:
        assert gold_rows("chunked", name) == gold_rows("union", name), name
    seam_hour = {r["interval_start_utc"]: r for r in gold_rows("chunked", "system_hourly")}
    assert seam_hour[CHUNK_A.end_utc - HOUR]["has_weather"]
    # AND the weather table holds each instant once, with the same values (the seam instant came in twice)
    sql = (
        "SELECT weather_zone, time_utc, temperature_2m_c, shortwave_radiation_wm2, wind_speed_100m_ms "
        "FROM weather_hourly ORDER BY ALL"
    )
    weather = [warehouse.query(str(lakes[kind] / "warehouse.duckdb"), sql) for kind in ("chunked", "union")]
    assert weather[0] == weather[1]
    assert weather[0].num_rows == 8 * sum(24 + (day == dt.date(2024, 11, 3)) for day in UNION.days())
