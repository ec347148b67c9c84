"""Settlement point types in gold (the SQL rules, run by DuckDB): real-time reports list each load zone twice under
one name (types LZ and LZEW, at different prices), so ``ercot_spp_hourly`` keeps one row per point, TYPE and hour,
the day-ahead price joins the RT series it belongs to, and ``system_hourly``'s hub prices read hub-typed rows only.

Hand-built silver rows (every column nullable, as rows curated before the type was required read); the sample source
end to end is in test_point_types_end_to_end.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from energylake.contracts.schemas import ERCOT_SPP_HOURLY
from tests.support.gold import run_rules, spp_inputs

UTC = dt.UTC
H12 = dt.datetime(2024, 7, 1, 12, tzinfo=UTC)
HOUR = dt.timedelta(hours=1)
QUARTER = dt.timedelta(minutes=15)


def rt(point: str, point_type: str, prices: list[float], hour: dt.datetime = H12) -> list[dict[str, Any]]:
    """Consecutive 15-minute RT prices of one series from the start of ``hour``."""
    return [
        {
            "market": "RT15",
            "settlement_point": point,
            "settlement_point_type": point_type,
            "interval_start_utc": hour + n * QUARTER,
            "interval_end_utc": hour + (n + 1) * QUARTER,
            "price_usd_mwh": price,
        }
        for n, price in enumerate(prices)
    ]


def dam(point: str, point_type: str | None, price: float, hour: dt.datetime = H12) -> dict[str, Any]:
    return {
        "market": "DAM",
        "settlement_point": point,
        "settlement_point_type": point_type,
        "interval_start_utc": hour,
        "interval_end_utc": hour + HOUR,
        "price_usd_mwh": price,
    }


def hourly(rows: list[dict[str, Any]]) -> dict[tuple[str, str, int], dict[str, Any]]:
    """ercot_spp_hourly of ``rows`` (built for 12:00Z-14:00Z) by (point, type, UTC hour); every key once."""
    out = run_rules(spp_inputs(rows), H12, H12 + 2 * HOUR)["ercot_spp_hourly"]
    keyed = {(r["settlement_point"], r["settlement_point_type"], r["interval_start_utc"].hour): r for r in out}
    assert len(keyed) == len(out), "a (point, type, hour) key twice"
    return keyed


def summary(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["rt_price_mean_usd_mwh"], row["rt_intervals"], row["dam_price_usd_mwh"])


def test_an_lz_and_an_lzew_series_of_one_zone_are_two_rows_and_the_dam_price_joins_lz() -> None:
    # GIVEN LZ_HOUSTON's hour listed twice in real time (LZ at 30..33, LZEW at 40..43) and its day-ahead price
    rows = [*rt("LZ_HOUSTON", "LZ", [30.0, 31.0, 32.0, 33.0]), *rt("LZ_HOUSTON", "LZEW", [40.0, 41.0, 42.0, 43.0])]
    rows.append(dam("LZ_HOUSTON", "LZ", 35.0))
    # WHEN the hourly table is built
    out = hourly(rows)
    # THEN each series keeps its own statistics, never a mix of the two (which the old key averaged to 36.5) ...
    assert set(out) == {("LZ_HOUSTON", "LZ", 12), ("LZ_HOUSTON", "LZEW", 12)}
    lz, lzew = out["LZ_HOUSTON", "LZ", 12], out["LZ_HOUSTON", "LZEW", 12]
    assert (lz["rt_price_min_usd_mwh"], lz["rt_price_max_usd_mwh"]) == (30.0, 33.0)
    assert (lzew["rt_price_min_usd_mwh"], lzew["rt_price_max_usd_mwh"]) == (40.0, 43.0)
    # ... and the day-ahead price sits on the LZ row only: there is no energy-weighted day-ahead price
    assert summary(lz) == (31.5, 4, 35.0)
    assert summary(lzew) == (41.5, 4, None)
    assert list(lz) == list(ERCOT_SPP_HOURLY.column_names)


def test_a_dam_resource_node_joins_the_rt_series_whatever_its_rt_type_except_energy_weighted() -> None:
    # GIVEN a resource node RT types PCCRN (the day-ahead report has no type: the parser calls it RN); a DC tie
    #       listed in RT as LZ_DC and LZ_DCEW with a day-ahead RN price; and silver curated before the type was
    #       required, whose day-ahead row has no type at all
    rows = [
        *rt("7RNCHSLR_ALL", "PCCRN", [20.0, 22.0]),
        dam("7RNCHSLR_ALL", "RN", 21.0),
        *rt("DC_E", "LZ_DCEW", [50.0]),
        *rt("DC_E", "LZ_DC", [10.0]),
        dam("DC_E", "RN", 12.0),
        *rt("APPALOSA_ALL", "RN", [5.0]),
        dam("APPALOSA_ALL", None, 6.0),
    ]
    # WHEN built
    out = hourly(rows)
    # THEN every day-ahead price is on its point's RT row (one row per point and RT type, none typed RN twice),
    #      never on the energy-weighted one, and an untyped day-ahead row counts as RN
    assert summary(out["7RNCHSLR_ALL", "PCCRN", 12]) == (21.0, 2, 21.0)
    assert summary(out["DC_E", "LZ_DC", 12]) == (10.0, 1, 12.0)
    assert summary(out["DC_E", "LZ_DCEW", 12]) == (50.0, 1, None)
    assert summary(out["APPALOSA_ALL", "RN", 12]) == (5.0, 1, 6.0)
    assert set(out) == {
        ("7RNCHSLR_ALL", "PCCRN", 12),
        ("DC_E", "LZ_DC", 12),
        ("DC_E", "LZ_DCEW", 12),
        ("APPALOSA_ALL", "RN", 12),
    }


def test_a_hub_average_typed_ah_in_real_time_gets_its_day_ahead_hu_price() -> None:
    # GIVEN HB_HUBAVG typed AH by the real-time report and HU by the day-ahead parser (from its name), HB_NORTH HU
    rows = [*rt("HB_HUBAVG", "AH", [10.0, 12.0]), dam("HB_HUBAVG", "HU", 11.0)]
    rows += [*rt("HB_NORTH", "HU", [20.0]), dam("HB_NORTH", "HU", 21.0)]
    # WHEN built THEN one row each, typed as in real time, with both prices
    out = hourly(rows)
    assert set(out) == {("HB_HUBAVG", "AH", 12), ("HB_NORTH", "HU", 12)}
    assert summary(out["HB_HUBAVG", "AH", 12]) == (11.0, 2, 11.0)
    assert summary(out["HB_NORTH", "HU", 12]) == (20.0, 1, 21.0)


def test_a_point_or_type_without_real_time_keeps_a_day_ahead_row_of_its_own() -> None:
    # GIVEN LZ_WEST with a day-ahead price but only an LZEW series in real time that hour (its LZ series missing),
    #       and LZ_NORTH with a day-ahead price only; the next hour LZ_WEST has both series
    rows = [*rt("LZ_WEST", "LZEW", [60.0]), dam("LZ_WEST", "LZ", 55.0), dam("LZ_NORTH", "LZ", 44.0)]
    rows += [*rt("LZ_WEST", "LZ", [70.0], H12 + HOUR), *rt("LZ_WEST", "LZEW", [71.0], H12 + HOUR)]
    rows.append(dam("LZ_WEST", "LZ", 66.0, H12 + HOUR))
    # WHEN built
    out = hourly(rows)
    # THEN the day-ahead price is never moved onto the energy-weighted series: it keeps an LZ row with 0 RT
    #      intervals, as does the point without any real time
    assert summary(out["LZ_WEST", "LZEW", 12]) == (60.0, 1, None)
    assert summary(out["LZ_WEST", "LZ", 12]) == (None, 0, 55.0)
    assert summary(out["LZ_NORTH", "LZ", 12]) == (None, 0, 44.0)
    assert summary(out["LZ_WEST", "LZ", 13]) == (70.0, 1, 66.0)
    assert summary(out["LZ_WEST", "LZEW", 13]) == (71.0, 1, None)
    assert len(out) == 5


def test_system_hub_prices_read_only_hub_typed_rows() -> None:
    # GIVEN every hub and the hub average with RT and DAM prices, plus a stray non-hub series under a hub's name
    rows: list[dict[str, Any]] = []
    for n, point in enumerate(("HB_HUBAVG", "HB_HOUSTON", "HB_NORTH", "HB_SOUTH", "HB_WEST", "HB_PAN")):
        point_type = "AH" if point == "HB_HUBAVG" else "HU"
        rows += [*rt(point, point_type, [10.0 * n, 10.0 * n + 2.0]), dam(point, "HU", 100.0 + n)]
    rows += rt("HB_NORTH", "LZ", [9_999.0])
    # WHEN the system table is built for the hour
    (row,) = run_rules(spp_inputs(rows), H12, H12 + HOUR)["system_hourly"]
    # THEN the hub columns come from the hub series (HB_HUBAVG's AH row with its HU day-ahead price included)
    assert (row["rt_price_hub_avg_usd_mwh"], row["dam_price_hub_avg_usd_mwh"]) == (1.0, 100.0)
    assert (row["rt_price_hb_north_usd_mwh"], row["dam_price_hb_north_usd_mwh"]) == (21.0, 102.0)
    assert row["has_prices"]
