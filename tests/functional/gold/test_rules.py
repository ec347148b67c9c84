"""The gold rules (the SQL of energylake.gold, run by DuckDB) on small hand-built silver rows: hour labels over DST
days, energy_weather_hourly, ercot_spp_hourly, system_hourly and the dedupe of silver rows. Both engines agree on
these rules: tests/functional/gold/test_parity.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from energylake.contracts.schemas import DEGREE_BASE_C, SYSTEM_HOURLY
from energylake.contracts.zones import WEATHER_ZONES
from energylake.timeconv import local_day_bounds_utc
from tests.support.gold import FETCHED, HOUR, QUARTER, run_rules, spp_inputs

UTC = dt.UTC
FALL_BACK_DAY = dt.date(2024, 11, 3)
SPRING_FORWARD_DAY = dt.date(2024, 3, 10)


# --- helpers: silver-shaped rows ---------------------------------------------------------------------------------


def hours_of(day: dt.date) -> list[dt.datetime]:
    start, end = local_day_bounds_utc(day)
    return [start + n * HOUR for n in range(int((end - start) / HOUR))]


def load_rows(hours: list[dt.datetime], zones: tuple[str, ...] = WEATHER_ZONES, mw: float = 1000.0) -> list[dict]:
    return [
        {"weather_zone": zone, "interval_start_utc": h, "interval_end_utc": h + HOUR, "load_mw": mw}
        for zone in zones
        for h in hours
    ]


def weather_rows(times: list[dt.datetime], zones: tuple[str, ...] = WEATHER_ZONES, **values: float) -> list[dict]:
    return [{"weather_zone": zone, "time_utc": t, **values} for zone in zones for t in times]


def ordered(rows: list[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda row: [row[k] for k in keys])


def zone_table(silver: dict[str, list[dict]], start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    return ordered(run_rules(silver, start, end)["energy_weather_hourly"], "weather_zone", "interval_start_utc")


def system_table(silver: dict[str, list[dict]], start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    return ordered(run_rules(silver, start, end)["system_hourly"], "interval_start_utc")


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return local_day_bounds_utc(day)


# --- hours and DST ------------------------------------------------------------------------------------------------


def test_fall_back_day_has_25_hours_per_zone_with_hour_ending_2_repeated_once() -> None:
    # GIVEN load and weather for every zone over the fall-back day
    hours = hours_of(FALL_BACK_DAY)
    silver = {
        "load_weather_zone": load_rows(hours),
        "weather": weather_rows([*hours, hours[-1] + HOUR], temperature_2m_c=20.0),
    }
    # WHEN the zone table is built for that day's hours
    out = zone_table(silver, *day_bounds(FALL_BACK_DAY))
    # THEN 8 x 25 rows, all on 2024-11-03; HE 2 twice per zone, the second (07:00Z, UTC-6) flagged repeated
    assert len(out) == 8 * 25
    coast = [r for r in out if r["weather_zone"] == "COAST"]
    assert [r["hour_ending"] for r in coast] == [1, 2, 2, *range(3, 25)]
    assert [r["interval_start_utc"] for r in coast if r["repeated_hour"]] == [dt.datetime(2024, 11, 3, 7, tzinfo=UTC)]
    assert {r["operating_day"] for r in out} == {FALL_BACK_DAY}
    assert all(r["has_load"] and r["has_weather"] for r in out)


def test_spring_forward_day_has_23_hours_and_no_hour_ending_3() -> None:
    # GIVEN no data at all WHEN the zone table is built for the spring-forward day
    out = zone_table({}, *day_bounds(SPRING_FORWARD_DAY))
    # THEN every zone still has all 23 hours (NULL sides, false flags), labelled without HE 3 and never repeated
    assert len(out) == 8 * 23
    assert [r["hour_ending"] for r in out if r["weather_zone"] == "WEST"] == [1, 2, *range(4, 25)]
    assert not any(r["repeated_hour"] or r["has_load"] or r["has_weather"] for r in out)
    assert {r["operating_day"] for r in out} == {SPRING_FORWARD_DAY}
    assert all(r["load_mw"] is None and r["temperature_2m_c"] is None for r in out)


# --- energy_weather_hourly ------------------------------------------------------------------------------------------


def test_a_missing_zone_keeps_its_rows_with_null_load() -> None:
    # GIVEN load from 7 zones (no FAR_WEST) for a day
    day = dt.date(2024, 7, 1)
    present = tuple(zone for zone in WEATHER_ZONES if zone != "FAR_WEST")
    silver = {"load_weather_zone": load_rows(hours_of(day), present)}
    # WHEN the zone and system tables are built
    built = run_rules(silver, *day_bounds(day))
    zone_rows, system = built["energy_weather_hourly"], built["system_hourly"]
    # THEN FAR_WEST has all 24 rows with NULL load and has_load false; the system sums 7 zones but is not complete
    far_west = [r for r in zone_rows if r["weather_zone"] == "FAR_WEST"]
    assert len(far_west) == 24 and all(r["load_mw"] is None and not r["has_load"] for r in far_west)
    assert all(r["has_load"] for r in zone_rows if r["weather_zone"] != "FAR_WEST")
    assert len(system) == 24
    assert {(r["load_mw"], r["load_zones"], r["has_load"], r["net_load_mw"]) for r in system} == {
        (7000.0, 7, False, None)
    }


def test_late_weather_gives_null_weather_and_a_false_flag_for_the_last_hours() -> None:
    # GIVEN weather stamped up to 20:00Z only (the archive has not caught up), load for every hour
    day = dt.date(2024, 7, 1)  # CDT: hours 05:00Z .. 04:00Z next day
    hours = hours_of(day)
    stamps = [t for t in [*hours, hours[-1] + HOUR] if t <= dt.datetime(2024, 7, 1, 20, tzinfo=UTC)]
    silver = {
        "weather": weather_rows(stamps, temperature_2m_c=30.0, shortwave_radiation_wm2=500.0),
        "load_weather_zone": load_rows(hours),
    }
    # WHEN the zone table is built
    out = zone_table(silver, *day_bounds(day))
    by_start = {(r["weather_zone"], r["interval_start_utc"]): r for r in out}
    # THEN hours ending by 20:00Z have weather; from the 20:00Z hour on (end missing) it is NULL and flagged
    full = by_start[("EAST", dt.datetime(2024, 7, 1, 19, tzinfo=UTC))]
    assert (full["has_weather"], full["temperature_2m_c"], full["shortwave_radiation_wm2"]) == (True, 30.0, 500.0)
    late = [r for r in out if r["interval_start_utc"] >= dt.datetime(2024, 7, 1, 20, tzinfo=UTC)]
    assert len(late) == 8 * 9
    assert all(
        not r["has_weather"]
        and r["temperature_2m_c"] is None
        and r["cooling_degree_hours"] is None
        and r["shortwave_radiation_wm2"] is None
        and r["has_load"]
        for r in late
    )


def test_instantaneous_weather_is_the_mean_of_both_ends_and_radiation_comes_from_the_end() -> None:
    # GIVEN COAST weather at 12:00Z and 13:00Z with different values
    start = dt.datetime(2024, 7, 1, 12, tzinfo=UTC)
    values = [
        {
            "temperature_2m_c": 28.0,
            "dew_point_2m_c": 20.0,
            "relative_humidity_2m_pct": 60.0,
            "wind_speed_100m_ms": 4.0,
            "cloud_cover_pct": 10.0,
            "shortwave_radiation_wm2": 100.0,
            "precipitation_mm": 0.0,
        },
        {
            "temperature_2m_c": 30.0,
            "dew_point_2m_c": 22.0,
            "relative_humidity_2m_pct": 50.0,
            "wind_speed_100m_ms": 6.0,
            "cloud_cover_pct": 30.0,
            "shortwave_radiation_wm2": 300.0,
            "precipitation_mm": 1.5,
        },
    ]
    weather = [{"weather_zone": "COAST", "time_utc": start + n * HOUR, **v} for n, v in enumerate(values)]
    # WHEN the 12:00Z hour is built
    (row,) = [r for r in zone_table({"weather": weather}, start, start + HOUR) if r["weather_zone"] == "COAST"]
    # THEN instantaneous values are means of 12:00 and 13:00; radiation/precipitation are the 13:00 values
    assert (row["temperature_2m_c"], row["dew_point_2m_c"], row["relative_humidity_2m_pct"]) == (29.0, 21.0, 55.0)
    assert (row["wind_speed_100m_ms"], row["cloud_cover_pct"]) == (5.0, 20.0)
    assert (row["shortwave_radiation_wm2"], row["precipitation_mm"]) == (300.0, 1.5)
    assert row["has_weather"] and not row["has_load"] and row["load_mw"] is None
    assert row["cooling_degree_hours"] == pytest.approx(29.0 - DEGREE_BASE_C)
    assert row["heating_degree_hours"] == 0.0


def test_degree_hours_split_at_the_base_temperature() -> None:
    # GIVEN a cold hour (8.333 C) in NORTH and a mild one (exactly the base) in WEST
    start = dt.datetime(2024, 1, 15, 12, tzinfo=UTC)
    weather = [
        *weather_rows([start, start + HOUR], ("NORTH",), temperature_2m_c=DEGREE_BASE_C - 10),
        *weather_rows([start, start + HOUR], ("WEST",), temperature_2m_c=DEGREE_BASE_C),
    ]
    # WHEN built
    out = {r["weather_zone"]: r for r in zone_table({"weather": weather}, start, start + HOUR)}
    # THEN heating degree hours are 10 for NORTH, both are 0 at the base, NULL where there is no temperature
    assert (out["NORTH"]["heating_degree_hours"], out["NORTH"]["cooling_degree_hours"]) == (pytest.approx(10.0), 0.0)
    assert (out["WEST"]["heating_degree_hours"], out["WEST"]["cooling_degree_hours"]) == (0.0, 0.0)
    assert (out["COAST"]["heating_degree_hours"], out["COAST"]["cooling_degree_hours"]) == (None, None)


# --- ercot_spp_hourly -----------------------------------------------------------------------------------------------


def _spp(market: str, point: str, start: dt.datetime, price: float, point_type: str | None = "HU") -> dict[str, Any]:
    minutes = 15 if market == "RT15" else 60
    return {
        "market": market,
        "settlement_point": point,
        "settlement_point_type": point_type,
        "interval_start_utc": start,
        "interval_end_utc": start + dt.timedelta(minutes=minutes),
        "price_usd_mwh": price,
    }


def test_rt_statistics_and_interval_counts_per_point_and_hour() -> None:
    # GIVEN HB_NORTH with 4 RT prices in the 12:00Z hour, 3 in the 13:00Z hour, DAM for both hours;
    #       LZ_WEST with only a DAM price (type only in DAM)
    h12 = dt.datetime(2024, 7, 1, 12, tzinfo=UTC)
    quarter = dt.timedelta(minutes=15)
    prices = [
        *[_spp("RT15", "HB_NORTH", h12 + n * quarter, p) for n, p in enumerate([10.0, 20.0, 30.0, 40.0])],
        *[_spp("RT15", "HB_NORTH", h12 + HOUR + n * quarter, p) for n, p in enumerate([-5.0, 5.0, 9.0])],
        _spp("DAM", "HB_NORTH", h12, 22.0),
        _spp("DAM", "HB_NORTH", h12 + HOUR, 8.0),
        _spp("DAM", "LZ_WEST", h12, 31.0, "LZ"),
    ]
    # WHEN the hourly table is built
    built = run_rules(spp_inputs(prices), h12, h12 + 2 * HOUR)["ercot_spp_hourly"]
    out = {(r["settlement_point"], r["interval_start_utc"].hour): r for r in built}
    # THEN mean/min/max/count per hour, the DAM price beside them, and a DAM-only point with 0 RT intervals
    assert len(out) == len(built) == 3
    first = out[("HB_NORTH", 12)]
    assert (first["rt_price_mean_usd_mwh"], first["rt_price_min_usd_mwh"], first["rt_price_max_usd_mwh"]) == (
        25.0,
        10.0,
        40.0,
    )
    assert (first["rt_intervals"], first["dam_price_usd_mwh"], first["settlement_point_type"]) == (4, 22.0, "HU")
    second = out[("HB_NORTH", 13)]
    assert (second["rt_price_mean_usd_mwh"], second["rt_intervals"]) == (pytest.approx(3.0), 3)
    assert second["interval_end_utc"] == dt.datetime(2024, 7, 1, 14, tzinfo=UTC)
    dam_only = out[("LZ_WEST", 12)]
    assert (dam_only["rt_intervals"], dam_only["rt_price_mean_usd_mwh"], dam_only["dam_price_usd_mwh"]) == (
        0,
        None,
        31.0,
    )
    assert dam_only["settlement_point_type"] == "LZ"
    assert (first["operating_day"], first["hour_ending"], first["repeated_hour"]) == (dt.date(2024, 7, 1), 8, False)


def test_prices_outside_the_build_hours_are_left_out() -> None:
    # GIVEN RT prices in the hour before, in, and just after a one-hour build
    h12 = dt.datetime(2024, 7, 1, 12, tzinfo=UTC)
    prices = [_spp("RT15", "HB_WEST", h12 + n * QUARTER, 1.0 + n) for n in range(-1, 5)]
    # WHEN built for [12:00Z, 13:00Z) THEN only the four intervals starting in the hour count
    (row,) = run_rules(spp_inputs(prices), h12, h12 + HOUR)["ercot_spp_hourly"]
    assert (row["rt_intervals"], row["rt_price_min_usd_mwh"], row["rt_price_max_usd_mwh"]) == (4, 1.0, 4.0)


# --- system_hourly --------------------------------------------------------------------------------------------------


def _forecast(
    model: str, posted: dt.datetime, start: dt.datetime, mw: float, *, in_use: bool = True, zone_type: str = "SYSTEM"
) -> dict[str, Any]:
    return {
        "model": model,
        "in_use": in_use,
        "posted_at_utc": posted,
        "zone_type": zone_type,
        "zone": "ERCOT" if zone_type == "SYSTEM" else "COAST",
        "interval_start_utc": start,
        "interval_end_utc": start + HOUR,
        "load_forecast_mw": mw,
    }


def _renewable(
    resource: str,
    posted: dt.datetime,
    start: dt.datetime,
    *,
    generation: float | None = None,
    forecast: float | None = None,
    region: str = "SYSTEM",
) -> dict[str, Any]:
    return {
        "resource": resource,
        "region": region,
        "posted_at_utc": posted,
        "interval_start_utc": start,
        "interval_end_utc": start + HOUR,
        "generation_mw": generation,
        "forecast_mw": forecast,
    }


def test_forecasts_come_from_the_latest_vintage_posted_before_the_hour() -> None:
    # GIVEN vintages for the 12:00Z hour: in-use E posted 09:30 and 10:30 (latest before), 12:00 (at the start: too
    #       late) and 13:30 (after); model A3 not in use posted 11:30; a WEATHER zone row posted 11:00
    h = dt.datetime(2024, 7, 1, 12, tzinfo=UTC)
    forecast = [
        _forecast("E", h - dt.timedelta(hours=2, minutes=30), h, 50_000.0),
        _forecast("E", h - dt.timedelta(hours=1, minutes=30), h, 51_000.0),
        _forecast("E", h, h, 59_000.0),
        _forecast("E", h + dt.timedelta(hours=1, minutes=30), h, 60_000.0),
        _forecast("A3", h - dt.timedelta(minutes=30), h, 40_000.0, in_use=False),
        _forecast("E", h - HOUR, h, 1_000.0, zone_type="WEATHER"),
    ]
    # AND wind/solar vintages: forecasts posted before and after the hour; actuals in two later vintages
    wind = [
        _renewable("WIND", h - 2 * HOUR, h, forecast=9_000.0),
        _renewable("WIND", h - HOUR, h, forecast=9_500.0),
        _renewable("WIND", h + HOUR, h, generation=9_800.0, forecast=9_700.0),
        _renewable("WIND", h + 2 * HOUR, h, generation=9_900.0, forecast=9_600.0),
        _renewable("WIND", h - HOUR, h, forecast=1.0, region="LZ_WEST"),
    ]
    solar = [_renewable("SOLAR", h - HOUR, h, forecast=4_000.0), _renewable("SOLAR", h + HOUR, h, generation=4_100.0)]
    silver = {"load_weather_zone": load_rows([h], mw=7_000.0), "load_forecast": forecast, "wind": wind, "solar": solar}
    # WHEN the system table is built for that hour
    (row,) = system_table(silver, h, h + HOUR)
    # THEN the in-use SYSTEM vintage posted last before 12:00Z wins; actuals come from the latest vintage carrying them
    assert row["load_forecast_mw"] == 51_000.0
    assert (row["wind_forecast_mw"], row["wind_generation_mw"]) == (9_500.0, 9_900.0)
    assert (row["solar_forecast_mw"], row["solar_generation_mw"]) == (4_000.0, 4_100.0)
    assert (row["load_mw"], row["load_zones"], row["has_load"], row["has_renewables"]) == (56_000.0, 8, True, True)
    assert row["net_load_mw"] == 56_000.0 - 9_900.0 - 4_100.0
    assert not row["has_prices"] and not row["has_weather"]


def test_two_in_use_models_posted_at_once_resolve_to_the_greatest_model_code() -> None:
    # GIVEN two in-use models posted at the same instant for the 12:00Z hour
    h = dt.datetime(2024, 7, 1, 12, tzinfo=UTC)
    forecast = [_forecast("A3", h - HOUR, h, 40_000.0), _forecast("E", h - HOUR, h, 41_000.0)]
    # WHEN built THEN the tie goes to the greatest model code, E
    (row,) = system_table({"load_forecast": forecast}, h, h + HOUR)
    assert row["load_forecast_mw"] == 41_000.0


def test_hub_prices_load_weighted_temperature_and_flags() -> None:
    # GIVEN RT and DAM prices for every hub and the hub average; COAST at 30 C with 3000 MW, the rest at 10 C/1000 MW
    h = dt.datetime(2024, 7, 1, 12, tzinfo=UTC)
    quarter = dt.timedelta(minutes=15)
    prices = []
    for n, point in enumerate(("HB_HUBAVG", "HB_HOUSTON", "HB_NORTH", "HB_SOUTH", "HB_WEST", "HB_PAN", "LZ_WEST")):
        prices += [_spp("RT15", point, h + q * quarter, 10.0 * n + q) for q in range(4)]
        prices.append(_spp("DAM", point, h, 100.0 + n))
    others = tuple(zone for zone in WEATHER_ZONES if zone != "COAST")
    silver = {
        **spp_inputs(prices),
        "load_weather_zone": [*load_rows([h], ("COAST",), 3000.0), *load_rows([h], others)],
        "weather": [
            *weather_rows([h, h + HOUR], ("COAST",), temperature_2m_c=30.0),
            *weather_rows([h, h + HOUR], others, temperature_2m_c=10.0),
        ],
    }
    # WHEN the system table is built
    (row,) = system_table(silver, h, h + HOUR)
    # THEN each hub column is that hub's hourly RT mean / DAM price, hub_avg is HB_HUBAVG
    assert (row["rt_price_hub_avg_usd_mwh"], row["dam_price_hub_avg_usd_mwh"]) == (1.5, 100.0)
    assert (row["rt_price_hb_houston_usd_mwh"], row["dam_price_hb_houston_usd_mwh"]) == (11.5, 101.0)
    assert (row["rt_price_hb_pan_usd_mwh"], row["dam_price_hb_pan_usd_mwh"]) == (51.5, 105.0)
    assert row["has_prices"] and row["has_weather"] and row["has_load"] and not row["has_renewables"]
    # AND the temperature is weighted by zone load: (30*3000 + 7*10*1000) / 10000
    assert row["load_weighted_temperature_c"] == pytest.approx(16.0)
    assert row["net_load_mw"] is None
    assert list(row) == list(SYSTEM_HOURLY.column_names)


# --- dedupe ---------------------------------------------------------------------------------------------------------


def test_dedupe_keeps_the_latest_fetch_then_the_greatest_raw_key() -> None:
    # GIVEN one natural key seen in three fetches, and another key twice at the same fetch time
    h = dt.datetime(2024, 11, 3, 12, tzinfo=UTC)
    early, late = FETCHED - HOUR, FETCHED
    load = [
        {**load_rows([h], ("COAST",), 1.0)[0], "fetched_at_utc": early, "raw_key": "raw/z"},
        {**load_rows([h], ("COAST",), 2.0)[0], "fetched_at_utc": late, "raw_key": "raw/a"},
        {**load_rows([h], ("COAST",), 3.0)[0], "fetched_at_utc": early, "raw_key": "raw/b"},
        {**load_rows([h], ("EAST",), 4.0)[0], "fetched_at_utc": late, "raw_key": "raw/a"},
        {**load_rows([h], ("EAST",), 5.0)[0], "fetched_at_utc": late, "raw_key": "raw/b"},
    ]
    # WHEN the zone table is built for that hour
    out = {r["weather_zone"]: r["load_mw"] for r in zone_table({"load_weather_zone": load}, h, h + HOUR)}
    # THEN the latest fetch wins, and among equal fetch times the greatest raw key
    assert (out["COAST"], out["EAST"]) == (2.0, 5.0)
