"""Parity: the same silver through both engines (DuckDB, and Spark running the same SQL transpiled by sqlglot) gives
identical gold rows, floats to 1e-9, and files of the same columns and types.

(a) The sample source's silver for the demo's week (the fall-back day 2024-11-03) and the spring-forward day
2024-03-10 with a day either side, built by each engine into its own lake (the session's shared gold fixtures).
(b) Hand-made edge cases in one small silver set: a missing zone, a missing weather hour, a duplicated fetch (same
key twice, the later fetch wins), forecasts posted exactly at the hour's start (never counted: strictly before),
a load zone listed as LZ and LZEW, day-ahead prices without real time. The expected outcome of each is asserted too,
so the two engines cannot agree on a wrong answer unnoticed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from energylake.contracts.schemas import GOLD_TABLES
from energylake.contracts.zones import WEATHER_ZONES
from tests.support.gold import FETCHED, HOUR, QUARTER, read_gold, row_differences, run_rules, snapshot, spp_inputs

pytest.importorskip("pyspark", reason="pyspark is not installed (pip install -e '.[spark]')")

from pyspark.sql import SparkSession

UTC = dt.UTC
START = dt.datetime(2024, 7, 1, 10, tzinfo=UTC)
END = START + 4 * HOUR  # hours 10:00Z .. 13:00Z
HOURS = [START + n * HOUR for n in range(4)]


# --- (a) the sample's silver: a week with the fall-back day, and the spring-forward day ---------------------------


def test_both_engines_build_the_same_gold_from_the_sample_weeks(duckdb_gold: Path, spark_gold: Path) -> None:
    # GIVEN the sample silver built into gold by DuckDB and by Spark, over the same two windows
    duckdb_rows, spark_rows = snapshot(duckdb_gold), snapshot(spark_gold)
    # THEN every table holds the same rows (floats to 1e-9), in the same date partitions
    for table in GOLD_TABLES:
        assert duckdb_rows[table], f"{table} is empty: nothing compared"
        assert row_differences(duckdb_rows[table], spark_rows[table], table) == [], table
    # AND both DST days are in: 25 hours on 2024-11-03, 23 on 2024-03-10
    hours_per_day: dict[dt.date, int] = {}
    for row in duckdb_rows["system_hourly"]:
        hours_per_day[row["operating_day"]] = hours_per_day.get(row["operating_day"], 0) + 1
    assert (hours_per_day[dt.date(2024, 11, 3)], hours_per_day[dt.date(2024, 3, 10)]) == (25, 23)


def test_both_engines_write_files_of_the_same_columns_and_types(duckdb_gold: Path, spark_gold: Path) -> None:
    # GIVEN one file of each table from each engine
    for table in GOLD_TABLES:
        duckdb_file = next((duckdb_gold / "gold" / table).glob("date=2024-11-03/*.parquet"))
        spark_file = next((spark_gold / "gold" / table).glob("date=2024-11-03/*.parquet"))
        duckdb_schema, spark_schema = pq.read_schema(duckdb_file), pq.read_schema(spark_file)
        # THEN both are the contract's names and types in its order (nullability: see the rules' Output)
        contract = [(f.name, f.type) for f in GOLD_TABLES[table].arrow_schema()]
        assert [(f.name, f.type) for f in duckdb_schema] == contract, table
        assert [(f.name, f.type) for f in spark_schema] == contract, table
        assert read_gold(duckdb_gold, table).num_rows == read_gold(spark_gold, table).num_rows


# --- (b) hand-made edge cases ---------------------------------------------------------------------------------------


def _load(zone: str, start: dt.datetime, mw: float, **lineage: Any) -> dict[str, Any]:
    return {
        "weather_zone": zone,
        "interval_start_utc": start,
        "interval_end_utc": start + HOUR,
        "load_mw": mw,
        **lineage,
    }


def _price(market: str, point: str, kind: str | None, start: dt.datetime, price: float, **lineage: Any) -> dict:
    end = start + (QUARTER if market == "RT15" else HOUR)
    return {
        "market": market,
        "settlement_point": point,
        "settlement_point_type": kind,
        "interval_start_utc": start,
        "interval_end_utc": end,
        "price_usd_mwh": price,
        **lineage,
    }


def _forecast(posted: dt.datetime, start: dt.datetime, mw: float) -> dict[str, Any]:
    return {
        "model": "E",
        "in_use": True,
        "posted_at_utc": posted,
        "zone_type": "SYSTEM",
        "zone": "ERCOT",
        "interval_start_utc": start,
        "interval_end_utc": start + HOUR,
        "load_forecast_mw": mw,
    }


def _renewable(resource: str, posted: dt.datetime, start: dt.datetime, **values: float) -> dict[str, Any]:
    return {
        "resource": resource,
        "region": "SYSTEM",
        "posted_at_utc": posted,
        "interval_start_utc": start,
        "interval_end_utc": start + HOUR,
        **values,
    }


def edge_case_silver() -> dict[str, list[dict[str, Any]]]:
    reporting = [zone for zone in WEATHER_ZONES if zone != "FAR_WEST"]  # a missing zone
    load = [_load(zone, hour, 1000.0) for zone in reporting for hour in HOURS if (zone, hour) != ("NORTH", START)]
    # a duplicated fetch: NORTH's 10:00Z load seen twice, the later fetch wins
    load += [
        _load("NORTH", START, 111.0, fetched_at_utc=FETCHED - HOUR, raw_key="raw/z"),
        _load("NORTH", START, 222.0, fetched_at_utc=FETCHED, raw_key="raw/a"),
    ]
    stamps = [START + n * HOUR for n in range(5)]
    # a missing weather hour: COAST has nothing stamped 12:00Z (the 11:00Z and 12:00Z hours lose their weather)
    weather = [
        {"weather_zone": zone, "time_utc": t, "temperature_2m_c": 20.0 + n, "shortwave_radiation_wm2": 100.0 * n}
        for zone in WEATHER_ZONES
        for n, t in enumerate(stamps)
        if (zone, t) != ("COAST", START + 2 * HOUR)
    ]
    prices = []
    for hour in HOURS:
        # LZ and LZEW series of one load zone, and its day-ahead price
        prices += [_price("RT15", "LZ_HOUSTON", "LZ", hour + q * QUARTER, 30.0 + q) for q in range(4)]
        prices += [_price("RT15", "LZ_HOUSTON", "LZEW", hour + q * QUARTER, 40.0 + q) for q in range(4)]
        prices.append(_price("DAM", "LZ_HOUSTON", "LZ", hour, 35.0))
        prices += [_price("RT15", "HB_HUBAVG", "AH", hour + q * QUARTER, 20.0 + q) for q in range(4)]
        prices.append(_price("DAM", "HB_HUBAVG", "HU", hour, 21.0))
    # day-ahead without real time: a typed load zone, and a resource node curated before the type was required
    prices += [_price("DAM", "LZ_NORTH", "LZ", START + HOUR, 44.0), _price("DAM", "RN_OLD", None, START, 9.0)]
    # a duplicated price fetch: the later one wins
    prices.append(_price("RT15", "HB_HUBAVG", "AH", START, 99.0, fetched_at_utc=FETCHED + HOUR, raw_key="raw/b"))
    at_start = START + HOUR  # forecasts posted exactly at the 11:00Z hour's start must not count for it
    forecast = [_forecast(at_start - 30 * dt.timedelta(minutes=1), at_start, 51_000.0)]
    forecast.append(_forecast(at_start, at_start, 59_000.0))
    wind = [
        _renewable("WIND", at_start - HOUR, at_start, forecast_mw=9_500.0),
        _renewable("WIND", at_start, at_start, forecast_mw=9_999.0, generation_mw=9_800.0),
    ]
    solar = [_renewable("SOLAR", at_start + HOUR, at_start, generation_mw=100.0)]
    return {
        "load_weather_zone": load,
        "weather": weather,
        **spp_inputs(prices),
        "load_forecast": forecast,
        "wind": wind,
        "solar": solar,
    }


@pytest.fixture(scope="module")
def edge_gold(spark: SparkSession) -> dict[str, dict[str, list[dict[str, Any]]]]:
    silver = edge_case_silver()
    return {
        "duckdb": run_rules(silver, START, END),
        "spark": run_rules(silver, START, END, engine="spark", spark=spark),
    }


def test_both_engines_agree_on_every_edge_case(edge_gold: dict[str, dict[str, list[dict[str, Any]]]]) -> None:
    # GIVEN the edge-case silver built by both engines  THEN every table's rows are the same (floats to 1e-9)
    for table in GOLD_TABLES:
        assert edge_gold["duckdb"][table], table
        assert row_differences(edge_gold["duckdb"][table], edge_gold["spark"][table], table) == [], table


def test_the_edge_cases_come_out_as_the_rules_say(edge_gold: dict[str, dict[str, list[dict[str, Any]]]]) -> None:
    for engine, built in edge_gold.items():
        zones = {(r["weather_zone"], r["interval_start_utc"]): r for r in built["energy_weather_hourly"]}
        system = {r["interval_start_utc"]: r for r in built["system_hourly"]}
        prices = {(r["settlement_point"], r["settlement_point_type"], r["interval_start_utc"]): r
                  for r in built["ercot_spp_hourly"]}  # fmt: skip
        # a missing zone keeps its rows, without load; the system counts 7 zones and is not complete
        assert all(not zones["FAR_WEST", hour]["has_load"] for hour in HOURS), engine
        assert {(system[hour]["load_zones"], system[hour]["has_load"]) for hour in HOURS} == {(7, False)}, engine
        # a missing weather instant: the two hours it bounds have no weather for that zone; the zone's others do
        assert [zones["COAST", hour]["has_weather"] for hour in HOURS] == [True, False, False, True], engine
        assert zones["COAST", HOURS[1]]["temperature_2m_c"] is None, engine
        assert zones["EAST", HOURS[1]]["temperature_2m_c"] == 21.5, engine
        # a duplicated fetch: the later one wins (a load and a price)
        assert zones["NORTH", START]["load_mw"] == 222.0, engine
        assert prices["HB_HUBAVG", "AH", START]["rt_price_max_usd_mwh"] == 99.0, engine
        # posted exactly at the hour's start: not before it, so the earlier vintage is the forecast
        assert system[START + HOUR]["load_forecast_mw"] == 51_000.0, engine
        assert system[START + HOUR]["wind_forecast_mw"] == 9_500.0, engine
        assert system[START + HOUR]["wind_generation_mw"] == 9_800.0, engine
        # LZ and LZEW: two rows, the day-ahead price on LZ only
        lz, lzew = prices["LZ_HOUSTON", "LZ", START], prices["LZ_HOUSTON", "LZEW", START]
        assert (lz["rt_price_mean_usd_mwh"], lz["dam_price_usd_mwh"]) == (31.5, 35.0), engine
        assert (lzew["rt_price_mean_usd_mwh"], lzew["dam_price_usd_mwh"]) == (41.5, None), engine
        # day-ahead without real time: rows of their own with 0 RT intervals (an untyped one as RN)
        assert prices["LZ_NORTH", "LZ", START + HOUR]["rt_intervals"] == 0, engine
        old = prices["RN_OLD", "RN", START]
        assert (old["rt_intervals"], old["dam_price_usd_mwh"]) == (0, 9.0), engine
