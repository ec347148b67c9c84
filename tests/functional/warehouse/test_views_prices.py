"""v_prices_hourly and v_price_spikes on a hand-made three-day warehouse: DAM against RT per hub and load zone, and the
spike rule (absolute threshold, or percentile of what the lake holds guarded by its median) on a short lake."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from energylake.warehouse import views
from tests.support.warehouse_views import HOUR, build_warehouse, hour_labels, utc, view_rows

START = utc(2024, 7, 1, 5)  # operating day 2024-07-01, HE 1
HOURS = 72  # a three-day lake


def _price(point: str, kind: str, hour: int, rt: float | None, dam: float | None) -> dict[str, Any]:
    return {
        "settlement_point": point,
        "settlement_point_type": kind,
        **hour_labels(START + hour * HOUR),
        "rt_price_mean_usd_mwh": rt,
        "rt_price_min_usd_mwh": rt,
        "rt_price_max_usd_mwh": rt,
        "rt_intervals": 0 if rt is None else 4,
        "dam_price_usd_mwh": dam,
    }


# Every point 30 USD/MWh in every hour of the three days, except:
#   HB_NORTH  hour 5 (day 1): 120  -> p99 of its 72 prices = 30 + (0.99 x 71 - 70) x (120 - 30) = 56.1, median 30:
#                                     120 >= 56.1 and >= 2 x 30 -> a 'percentile' spike, on the lake's first day
#   HB_WEST   hour 40: 600         -> 'absolute' (>= 500); hour 41: 50 (p99 = 50 + 0.29 x 550 = 209.5: no spike)
#   HB_SOUTH  hour 60: 45          -> >= its p99 (34.35) but < 2 x its median: the median guard says no spike
#   LZ_HOUSTON (LZ) flat 30        -> nothing; its energy-weighted LZEW series has RT only (no DAM, no spread)
#   RN points are neither hubs nor load zones: not in the views
SPECIAL = {("HB_NORTH", 5): 120.0, ("HB_WEST", 40): 600.0, ("HB_WEST", 41): 50.0, ("HB_SOUTH", 60): 45.0}


@pytest.fixture
def warehouse_path(tmp_path: Path) -> str:
    prices = []
    for point, kind in (("HB_NORTH", "HU"), ("HB_WEST", "HU"), ("HB_SOUTH", "HU"), ("LZ_HOUSTON", "LZ")):
        for hour in range(HOURS):
            rt = SPECIAL.get((point, hour), 30.0)
            prices.append(_price(point, kind, hour, rt, 28.0 + hour % 3))
    prices += [_price("LZ_HOUSTON", "LZEW", hour, 31.0, None) for hour in range(HOURS)]
    prices += [_price("SOME_UNIT_RN", "RN", hour, 9_000.0, 30.0) for hour in range(HOURS)]
    system = [
        {**hour_labels(START + hour * HOUR), "load_mw": 50_000.0 + hour, "net_load_mw": 40_000.0 + hour,
         "load_zones": 8, "has_load": True, "has_prices": True, "has_renewables": True, "has_weather": True}
        for hour in range(HOURS)
    ]  # fmt: skip
    return build_warehouse(tmp_path, {"ercot_spp_hourly": prices, "system_hourly": system})


def test_prices_hourly_puts_dam_against_rt_per_hub_and_load_zone(warehouse_path: str) -> None:
    # GIVEN hubs, a load zone in two series, and a resource node
    rows = view_rows(warehouse_path, "v_prices_hourly", "settlement_point, settlement_point_type, interval_start_utc")
    # THEN only hubs and load zones are listed, each hour once per series
    assert {(r["settlement_point"], r["settlement_point_type"]) for r in rows} == {
        ("HB_NORTH", "HU"), ("HB_SOUTH", "HU"), ("HB_WEST", "HU"), ("LZ_HOUSTON", "LZ"), ("LZ_HOUSTON", "LZEW")
    }  # fmt: skip
    assert len(rows) == 5 * HOURS
    # AND the spread is DAM - RT (positive when the day-ahead price was the higher)
    north = [r for r in rows if r["settlement_point"] == "HB_NORTH"]
    assert north[5]["rt_price_usd_mwh"] == 120.0 and north[5]["dam_price_usd_mwh"] == 30.0
    assert north[5]["dam_rt_spread_usd_mwh"] == pytest.approx(30.0 - 120.0)
    assert north[0]["dam_rt_spread_usd_mwh"] == pytest.approx(28.0 - 30.0)
    assert north[0]["point_kind"] == "hub" and north[0]["hour_ending"] == 1
    # AND the energy-weighted series has no day-ahead price, hence no spread
    energy_weighted = [r for r in rows if r["settlement_point_type"] == "LZEW"]
    assert energy_weighted[0]["point_kind"] == "load_zone"
    assert {(r["dam_price_usd_mwh"], r["dam_rt_spread_usd_mwh"]) for r in energy_weighted} == {(None, None)}


def test_spikes_on_a_three_day_lake_are_found_by_the_documented_rules(warehouse_path: str) -> None:
    # GIVEN three days of prices (no 30-day history) WHEN the spikes are read
    spikes = view_rows(warehouse_path, "v_price_spikes", "interval_start_utc")
    # THEN the top hour of HB_NORTH on the FIRST day is a percentile spike and HB_WEST's 600 an absolute one;
    # HB_WEST's 50 is under its percentile, HB_SOUTH's 45 under twice its median, flat points have none
    found = [(s["settlement_point"], s["interval_start_utc"], s["rt_price_usd_mwh"], s["spike_rule"]) for s in spikes]
    assert found == [
        ("HB_NORTH", START + 5 * HOUR, 120.0, "percentile"),
        ("HB_WEST", START + 40 * HOUR, 600.0, "absolute"),
    ]  # fmt: skip
    north, west = spikes
    # AND each spike carries the lake statistics the rule compared it with
    assert north["lake_hours"] == HOURS and north["lake_median_rt_price_usd_mwh"] == 30.0
    assert north["lake_percentile_rt_price_usd_mwh"] == pytest.approx(56.1)
    assert north["price_to_median_ratio"] == pytest.approx(4.0)
    assert west["lake_percentile_rt_price_usd_mwh"] == pytest.approx(209.5)
    # AND the system context of the hour
    assert north["load_mw"] == 50_005.0 and north["net_load_mw"] == 40_005.0
    assert (north["operating_day"], north["hour_ending"]) == (START.date(), 6)


def test_the_rule_is_stated_in_the_view_description() -> None:
    description = next(v.description for v in views.analyst_views((), "loaded_at_utc") if v.name == "v_price_spikes")
    assert f"{views.SPIKE_ABSOLUTE_USD_MWH:.0f} USD/MWh" in description and "99th percentile" in description
    assert "any length" in description


def test_a_lake_of_one_flat_price_has_no_spike(tmp_path: Path) -> None:
    # GIVEN one hour of one hub (its own median and percentile) WHEN spikes are read THEN there are none
    path = build_warehouse(tmp_path, {"ercot_spp_hourly": [_price("HB_NORTH", "HU", 0, 80.0, 70.0)]})
    assert view_rows(path, "v_price_spikes", "interval_start_utc") == []
