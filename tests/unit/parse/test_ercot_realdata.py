"""The ERCOT parser on real ERCOT files from ../shared/realdata (skipped where that folder is absent)."""

from __future__ import annotations

import collections
import datetime as dt
import itertools
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from energylake.parse import RawObject
from energylake.parse.ercot import parse, parse_csv_bytes, parse_mis_zip
from tests.support.parsing import silver_minus_lineage
from tests.support.paths import realdata_path

pytestmark = pytest.mark.realdata
UTC = dt.UTC
MIS_2025 = "ercot_mis_wind_solar_loadfc_20250313"
WEATHER_ZONES = {"COAST", "EAST", "FAR_WEST", "NORTH", "NORTH_CENTRAL", "SOUTH_CENTRAL", "SOUTHERN", "WEST"}


def local_days(starts: pa.ChunkedArray) -> list[dt.date]:
    local = pc.local_timestamp(starts.cast(pa.timestamp("us", tz="America/Chicago")))
    days: list[dt.date] = local.cast(pa.date32()).to_pylist()
    return days


def mis_zip(name: str) -> bytes:
    return Path(realdata_path(MIS_2025, name)).read_bytes()


def test_wind_np4732_zip_around_the_2025_spring_forward() -> None:
    # GIVEN the real NP4-732 MIS zip (216 hourly rows, 03/11 HE14 .. 03/20 HE13), no lake metadata
    result = parse_mis_zip("wind", mis_zip("wind_specific_reportid.zip"))
    table = result.table
    # THEN every source row becomes one row per region, nothing is unknown
    assert result.rows_read == 216
    assert table.num_rows == 216 * 4
    assert result.unknown_columns == []
    assert table.schema == silver_minus_lineage("wind")
    assert collections.Counter(table.column("region").to_pylist()) == {
        "SYSTEM": 216,
        "LZ_SOUTH_HOUSTON": 216,
        "LZ_WEST": 216,
        "LZ_NORTH": 216,
    }
    # the posting time comes from the member name cdr....20250313.135509 (CDT, after the 03-09 change)
    assert set(table.column("posted_at_utc").to_pylist()) == {dt.datetime(2025, 3, 13, 18, 55, 9, tzinfo=UTC)}
    system = table.filter(pc.equal(table.column("region"), "SYSTEM"))
    starts = system.column("interval_start_utc").to_pylist()
    assert len(set(starts)) == 216
    assert starts[0] == dt.datetime(2025, 3, 11, 18, tzinfo=UTC)  # 03/11 HE14 = 13:00 CDT
    assert starts == sorted(starts)
    assert {b - a for a, b in itertools.pairwise(starts)} == {dt.timedelta(hours=1)}
    # the first row's numbers, as in the file
    first = system.slice(0, 1).to_pylist()[0]
    assert (first["generation_mw"], first["cop_hsl_mw"], first["forecast_mw"]) == (15527.49, 17318.8, 17404.1)
    assert (first["probabilistic_forecast_mw"], first["hsl_mw"]) == (16284.6, 17449.72)
    # actuals are empty for the future hours: null, never zero
    assert 0 < system.column("generation_mw").null_count < 216
    assert table.filter(pc.not_equal(table.column("region"), "SYSTEM")).column("hsl_mw").null_count == 216 * 3


def test_solar_np4737_zip() -> None:
    result = parse_mis_zip("solar", mis_zip("solar_specific_reportid.zip"))
    assert result.rows_read == 216
    assert result.table.num_rows == 216
    assert result.unknown_columns == []
    assert set(result.table.column("region").to_pylist()) == {"SYSTEM"}
    assert set(result.table.column("posted_at_utc").to_pylist()) == {dt.datetime(2025, 3, 13, 18, 55, 8, tzinfo=UTC)}
    days = collections.Counter(local_days(result.table.column("interval_start_utc")))
    assert days[dt.date(2025, 3, 12)] == 24
    assert dt.date(2025, 3, 9) not in days  # the window starts after the spring-forward day


def test_load_forecast_np3560_zip_by_forecast_zone() -> None:
    # GIVEN the real NP3-560 zip: header "DSTFlag    " with trailing spaces, HourEnding "1:00"
    result = parse_mis_zip("load_forecast", mis_zip("load_forecast_specific_reportid.zip"))
    table = result.table
    assert result.rows_read == 192
    assert table.num_rows == 192 * 5
    assert result.unknown_columns == []
    assert table.schema == silver_minus_lineage("load_forecast")
    kinds = collections.Counter(
        zip(table.column("zone_type").to_pylist(), table.column("zone").to_pylist(), strict=True)
    )
    assert kinds == {
        ("FORECAST", "NORTH"): 192,
        ("FORECAST", "SOUTH"): 192,
        ("FORECAST", "WEST"): 192,
        ("FORECAST", "HOUSTON"): 192,
        ("SYSTEM", "ERCOT"): 192,
    }
    assert set(table.column("model").to_pylist()) == {"IN_USE"}
    # posted 2025-03-13 12:30:00 Central (CDT) per the member name
    assert set(table.column("posted_at_utc").to_pylist()) == {dt.datetime(2025, 3, 13, 17, 30, tzinfo=UTC)}
    days = collections.Counter(local_days(table.column("interval_start_utc")))
    assert sorted(days) == [dt.date(2025, 3, 13) + dt.timedelta(days=n) for n in range(8)]
    assert set(days.values()) == {24 * 5}
    # SystemTotal is the sum of the four zones (within 1 MW): no note
    assert result.notes == []


def test_same_zip_with_lake_metadata_uses_the_publish_date() -> None:
    raw = RawObject(
        "raw/source=ercot/dataset=wind/x.zip",
        "wind",
        mis_zip("wind_specific_reportid.zip"),
        {"source-used": "ercot-mis", "x-publish-date": "2025-03-13T13:55:09-05:00"},
    )
    posted = set(parse(raw).table.column("posted_at_utc").to_pylist())
    assert posted == {dt.datetime(2025, 3, 13, 18, 55, 9, tzinfo=UTC)}


@pytest.mark.parametrize(
    ("name", "day", "count", "first_local"),
    [
        ("fuel-mix_2024-11-23_24.json", dt.date(2024, 11, 23), 288, dt.date(2024, 11, 24)),
        ("fuel-mix_2025-10-08_09.json", dt.date(2025, 10, 8), 288, dt.date(2025, 10, 9)),
    ],
)
def test_fuel_mix_dashboard_captures(name: str, day: dt.date, count: int, first_local: dt.date) -> None:
    body = Path(realdata_path("ercot_fuel_mix_dashboard", name)).read_bytes()
    result = parse(RawObject(f"raw/{name}", "fuel_mix", body, {"source-used": "ercot-dashboard"}))
    table = result.table
    assert table.schema == silver_minus_lineage("fuel_mix")
    assert result.notes == []  # every stamp is within a few seconds of the grid
    days = collections.Counter(local_days(table.column("interval_start_utc")))
    assert days[day] == count * 8  # 288 intervals x 8 fuels
    assert set(table.column("fuel").to_pylist()) == {
        "COAL_AND_LIGNITE", "HYDRO", "NATURAL_GAS", "NUCLEAR", "OTHER", "POWER_STORAGE", "SOLAR", "WIND"
    }  # fmt: skip
    coal = table.filter(pc.equal(table.column("fuel"), "COAL_AND_LIGNITE"))
    starts = coal.column("interval_start_utc").to_pylist()
    assert len(set(starts)) == len(starts)
    assert all(value.second == 0 and value.minute % 5 == 0 for value in starts)
    assert first_local in days


def test_fuel_mix_2024_first_interval_is_midnight_to_five_past() -> None:
    body = Path(realdata_path("ercot_fuel_mix_dashboard", "fuel-mix_2024-11-23_24.json")).read_bytes()
    table = parse(RawObject("k", "fuel_mix", body, {"source-used": "ercot-dashboard"})).table
    first = table.slice(0, 1).to_pylist()[0]
    # "2024-11-23 00:04:57-0600" -> [00:00, 00:05) CST = [06:00, 06:05) UTC; Coal and Lignite gen 5248
    assert first == {
        "fuel": "COAL_AND_LIGNITE",
        "interval_start_utc": dt.datetime(2024, 11, 23, 6, 0, tzinfo=UTC),
        "interval_end_utc": dt.datetime(2024, 11, 23, 6, 5, tzinfo=UTC),
        "generation_mw": 5248.0,
    }


def test_dam_hub_and_load_zone_prices_2016() -> None:
    # GIVEN the derived CSV of ERCOT's 2016 DAM hub/LZ archive (Repeated Hour Flag layout)
    csv_bytes = Path(realdata_path("ercot_dam_spp_hub_lz_2016", "DAMLZHBSPP_2016.derived.csv")).read_bytes()
    result = parse_csv_bytes("spp_dam", csv_bytes)
    table = result.table
    # THEN 14 points x 8784 hours, each hour once per point
    assert result.rows_read == 14 * 8784
    assert table.num_rows == 14 * 8784
    assert result.unknown_columns == []
    per_point = collections.Counter(table.column("settlement_point").to_pylist())
    assert len(per_point) == 14
    assert set(per_point.values()) == {8784}
    north = table.filter(pc.equal(table.column("settlement_point"), "HB_NORTH"))
    assert len(set(north.column("interval_start_utc").to_pylist())) == 8784
    days = collections.Counter(local_days(north.column("interval_start_utc")))
    assert days[dt.date(2016, 11, 6)] == 25
    assert days[dt.date(2016, 3, 13)] == 23
    # the repeated hour: HE 02:00 N = 06:00Z (CDT), HE 02:00 Y = 07:00Z (CST), distinct
    fall_back = [
        value
        for value in north.column("interval_start_utc").to_pylist()
        if dt.datetime(2016, 11, 6, 5, tzinfo=UTC) <= value < dt.datetime(2016, 11, 6, 9, tzinfo=UTC)
    ]
    assert fall_back == [dt.datetime(2016, 11, 6, h, tzinfo=UTC) for h in (5, 6, 7, 8)]
    assert set(table.column("settlement_point_type").to_pylist()) == {"HU", "LZ"}
    assert set(table.column("market").to_pylist()) == {"DAM"}


def test_native_load_2024() -> None:
    # GIVEN ERCOT's 2024 native load archive (labels "MM/DD/YYYY HH:MM" and "11/03/2024 02:00 DST")
    csv_bytes = Path(realdata_path("ercot_native_load_2024", "Native_Load_2024.derived.csv")).read_bytes()
    result = parse_csv_bytes("load_weather_zone", csv_bytes)
    table = result.table
    # THEN 8 zones x 8784 hours; the ERCOT total is checked, not emitted
    assert result.rows_read == 8784
    assert table.num_rows == 8 * 8784
    assert result.unknown_columns == []
    assert set(table.column("weather_zone").to_pylist()) == WEATHER_ZONES
    coast = table.filter(pc.equal(table.column("weather_zone"), "COAST"))
    starts = coast.column("interval_start_utc").to_pylist()
    assert len(set(starts)) == 8784
    assert {b - a for a, b in itertools.pairwise(starts)} == {dt.timedelta(hours=1)}
    days = collections.Counter(local_days(coast.column("interval_start_utc")))
    assert days[dt.date(2024, 11, 3)] == 25
    assert days[dt.date(2024, 3, 10)] == 23
    assert starts[0] == dt.datetime(2024, 1, 1, 6, tzinfo=UTC)
    assert coast.column("load_mw").to_pylist()[0] == pytest.approx(10484.137154)
    assert result.notes == []  # ERCOT = sum of the zones within 1 MW everywhere
