"""ERCOT's real yearly files through the real parser, every interval checked against zoneinfo (not timeconv) and
every value against the realdata's own CSV export of the same workbook (skipped where ../shared/realdata is absent)."""

from __future__ import annotations

import collections
import csv
import datetime as dt
from pathlib import Path

import pyarrow.compute as pc
import pytest

from energylake.parse import parse_raw
from tests.support.parsing import silver_minus_lineage
from tests.support.paths import realdata_path
from tests.support.yearly_files import CHICAGO, yearly_raw, zoneinfo_start

pytestmark = pytest.mark.realdata
DAM_2016 = "ercot_dam_spp_hub_lz_2016"
LOAD_2024 = "ercot_native_load_2024"
ZONE_COLUMNS = {
    "COAST": "COAST",
    "EAST": "EAST",
    "FWEST": "FAR_WEST",
    "NORTH": "NORTH",
    "NCENT": "NORTH_CENTRAL",
    "SOUTH": "SOUTHERN",
    "SCENT": "SOUTH_CENTRAL",
    "WEST": "WEST",
}


def csv_rows(folder: str, name: str) -> list[dict[str, str]]:
    with Path(realdata_path(folder, name)).open(newline="") as handle:
        return list(csv.DictReader(handle))


def hour_ending_start(day_text: str, hour_text: str, second_pass: bool) -> dt.datetime:
    """ERCOT's label arithmetic, done independently: start = date + (hour ending - 1) h, then localise."""
    day = dt.datetime.strptime(day_text, "%m/%d/%Y").date()
    return zoneinfo_start(day, (int(hour_text.split(":", 1)[0]) - 1) * 60, second_pass)


def operating_day_hours(starts: list[dt.datetime]) -> collections.Counter[dt.date]:
    return collections.Counter(start.astimezone(CHICAGO).date() for start in starts)


def test_np4_180_dam_2016_every_hour_of_every_point_as_zoneinfo_places_it() -> None:
    # GIVEN ERCOT's NP4-180-ER 2016 zip (one xlsx, twelve month sheets) landed by the yearly door
    body = Path(realdata_path(DAM_2016, "NP4-180-ER_DAMLZHBSPP_2016.zip")).read_bytes()
    # WHEN it is parsed through the ordinary entry point
    result = parse_raw(yearly_raw("spp_dam", "NP4-180-ER", body, 2016))
    table = result.table
    # THEN every row of every sheet is kept: 14 points x 8,784 hours, no HB_PAN in 2016
    assert result.rows_read == table.num_rows == 122_976
    assert table.schema == silver_minus_lineage("spp_dam")
    assert result.unknown_columns == [] and result.notes == []
    points = collections.Counter(table.column("settlement_point").to_pylist())
    assert len(points) == 14 and set(points.values()) == {8_784}
    assert "HB_PAN" not in points
    # the file has no type column: hubs are HU, load zones LZ, never null
    names, kinds = table.column("settlement_point").to_pylist(), table.column("settlement_point_type").to_pylist()
    types = dict(zip(names, kinds, strict=True))
    assert types == {point: "HU" if point.startswith("HB_") else "LZ" for point in points}
    assert set(table.column("market").to_pylist()) == {"DAM"}
    # AND every row is the CSV export's row (same order, same point and price), its interval placed as zoneinfo does
    expected = csv_rows(DAM_2016, "DAMLZHBSPP_2016.derived.csv")
    assert len(expected) == table.num_rows
    starts = table.column("interval_start_utc").to_pylist()
    ends = table.column("interval_end_utc").to_pylist()
    names = table.column("settlement_point").to_pylist()
    prices = table.column("price_usd_mwh").to_pylist()
    for index, row in enumerate(expected):
        start = hour_ending_start(row["Delivery Date"], row["Hour Ending"], row["Repeated Hour Flag"] == "Y")
        assert starts[index] == start, (index, row)
        assert ends[index] == start + dt.timedelta(hours=1)
        assert names[index] == row["Settlement Point"]
        assert prices[index] == float(row["Settlement Point Price"])
    # AND the DST days: 23 hours on 2016-03-13, 25 on 2016-11-06 (per point), no point-hour twice
    hub = [start for start, name in zip(starts, names, strict=True) if name == "HB_NORTH"]
    hours = operating_day_hours(hub)
    assert (hours[dt.date(2016, 3, 13)], hours[dt.date(2016, 11, 6)], hours[dt.date(2016, 7, 1)]) == (23, 25, 24)
    assert len(set(hub)) == 8_784 and len(hours) == 366


def test_np4_180_fall_back_hour_twice_with_different_prices() -> None:
    body = Path(realdata_path(DAM_2016, "NP4-180-ER_DAMLZHBSPP_2016.zip")).read_bytes()
    table = parse_raw(yearly_raw("spp_dam", "NP4-180-ER", body, 2016)).table
    hub = table.filter(pc.equal(table.column("settlement_point"), "HB_BUSAVG"))
    starts, prices = hub.column("interval_start_utc").to_pylist(), hub.column("price_usd_mwh").to_pylist()
    by_start = dict(zip(starts, prices, strict=True))
    # HE 02:00 N (01:00 CDT = 06:00 UTC) and HE 02:00 Y (01:00 CST = 07:00 UTC), as in the file: 12.04 then 12.52
    utc = dt.UTC
    assert by_start[dt.datetime(2016, 11, 6, 6, tzinfo=utc)] == 12.04
    assert by_start[dt.datetime(2016, 11, 6, 7, tzinfo=utc)] == 12.52
    assert by_start[dt.datetime(2016, 11, 6, 8, tzinfo=utc)] == 12.4  # HE 03:00 = 02:00 CST


def test_native_load_2024_every_hour_of_every_zone_as_zoneinfo_places_it() -> None:
    # GIVEN ERCOT's Native_Load_2024.xlsx (one sheet, "MM/DD/YYYY HH:MM" labels, "... 02:00 DST" for the repeat)
    body = Path(realdata_path(LOAD_2024, "Native_Load_2024.xlsx")).read_bytes()
    # WHEN it is parsed
    result = parse_raw(yearly_raw("load_weather_zone", "native-load", body, 2024))
    table = result.table
    # THEN 8,784 hours x 8 zones, FWEST/NCENT/SCENT/SOUTH normalised, the ERCOT total left out
    assert result.rows_read == 8_784
    assert table.num_rows == 8_784 * 8
    assert table.schema == silver_minus_lineage("load_weather_zone")
    assert result.unknown_columns == []
    zones = collections.Counter(table.column("weather_zone").to_pylist())
    assert zones == dict.fromkeys(ZONE_COLUMNS.values(), 8_784)
    # AND every value is the CSV export's, at the hour zoneinfo gives its label
    expected = csv_rows(LOAD_2024, "Native_Load_2024.derived.csv")
    assert len(expected) == 8_784
    got = {
        (zone, start): load
        for zone, start, load in zip(
            table.column("weather_zone").to_pylist(),
            table.column("interval_start_utc").to_pylist(),
            table.column("load_mw").to_pylist(),
            strict=True,
        )
    }
    assert len(got) == table.num_rows  # no zone-hour twice
    for row in expected:
        label = row["Hour Ending"]
        second_pass = label.endswith(" DST")
        day_text, hour_text = label.removesuffix(" DST").split(" ")
        start = hour_ending_start(day_text, hour_text, second_pass)
        for column, zone in ZONE_COLUMNS.items():
            assert got[zone, start] == float(row[column]), (label, zone)
    lengths = pc.subtract(table.column("interval_end_utc"), table.column("interval_start_utc"))
    assert set(lengths.to_pylist()) == {dt.timedelta(hours=1)}
    coast = [start for (zone, start) in got if zone == "COAST"]
    hours = operating_day_hours(coast)
    assert (hours[dt.date(2024, 3, 10)], hours[dt.date(2024, 11, 3)], hours[dt.date(2024, 2, 29)]) == (23, 25, 24)
    assert len(hours) == 366 and min(hours) == dt.date(2024, 1, 1) and max(hours) == dt.date(2024, 12, 31)


def test_native_load_fall_back_hour_reads_02_00_then_02_00_dst() -> None:
    body = Path(realdata_path(LOAD_2024, "Native_Load_2024.xlsx")).read_bytes()
    table = parse_raw(yearly_raw("load_weather_zone", "native-load", body, 2024)).table
    coast = table.filter(pc.equal(table.column("weather_zone"), "COAST"))
    starts, loads = coast.column("interval_start_utc").to_pylist(), coast.column("load_mw").to_pylist()
    by_start = dict(zip(starts, loads, strict=True))
    utc = dt.UTC
    assert by_start[dt.datetime(2024, 11, 3, 6, tzinfo=utc)] == 12661.742358  # "11/03/2024 02:00": 01:00 CDT
    assert by_start[dt.datetime(2024, 11, 3, 7, tzinfo=utc)] == 12392.327195  # "11/03/2024 02:00 DST": 01:00 CST
    assert by_start[dt.datetime(2024, 11, 3, 8, tzinfo=utc)] == 12290.803021  # "11/03/2024 03:00": 02:00 CST
    # the spring-forward day jumps from HE 02:00 (01:00 CST = 07:00 UTC) to HE 04:00 (03:00 CDT = 08:00 UTC)
    assert by_start[dt.datetime(2024, 3, 10, 7, tzinfo=utc)] == 9748.50291
    assert by_start[dt.datetime(2024, 3, 10, 8, tzinfo=utc)] == 9552.63582
