"""The yearly parser on the native-load workbook and the fuel mix report: small workbooks in the real layouts
(native load: as ERCOT's 2024 file; fuel mix: as public code describes ERCOT's IntGenbyFuel files, unverified)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow.compute as pc
import pytest

from energylake.errors import ParseError
from energylake.parse import parse_raw
from energylake.parse.ercot.yearly import FUEL_MIX_MWH_TO_MW, parse_yearly_workbook
from tests.support.parsing import silver_minus_lineage
from tests.support.yearly_files import (
    LOAD_HEADER,
    MONTHS,
    load_rows,
    local_hours,
    workbook,
    yearly_raw,
    zipped,
    zoneinfo_start,
)

SPRING = dt.date(2016, 3, 13)
FALL = dt.date(2016, 11, 6)
DAYS = (dt.date(2016, 1, 1), SPRING, dt.date(2016, 7, 4), FALL)


def load_book(rows: list, header: tuple = LOAD_HEADER) -> bytes:
    return workbook([("Sheet1", [header, *rows])])


# --- native load -----------------------------------------------------------------------------------------------


def test_native_load_labels_and_zone_spellings() -> None:
    # GIVEN a native-load workbook: ordinary, spring-forward and fall-back days, "... 02:00 DST" for the repeat
    rows = [row for day in DAYS for row in load_rows(day)]
    result = parse_raw(
        yearly_raw("load_weather_zone", "native-load", zipped([("Native_Load_2016.xlsx", load_book(rows))]))
    )
    table = result.table
    assert table.schema == silver_minus_lineage("load_weather_zone")
    assert result.rows_read == len(rows) == 24 + 23 + 24 + 25
    # THEN FWEST/NCENT/SOUTH/SCENT are the canonical zones, ERCOT (the total) is no zone
    assert set(table.column("weather_zone").to_pylist()) == {
        "COAST", "EAST", "FAR_WEST", "NORTH", "NORTH_CENTRAL", "SOUTHERN", "SOUTH_CENTRAL", "WEST"
    }  # fmt: skip
    assert result.unknown_columns == [] and result.notes == []
    # AND every hour is where zoneinfo puts its label
    coast = table.filter(pc.equal(table.column("weather_zone"), "COAST"))
    expected = [zoneinfo_start(day, (hour - 1) * 60, second) for day in DAYS for hour, second in local_hours(day)]
    assert coast.column("interval_start_utc").to_pylist() == expected
    far_west = table.filter(pc.equal(table.column("weather_zone"), "FAR_WEST"))
    assert far_west.column("load_mw").to_pylist()[:2] == [3001.0, 3002.0]  # FWEST is the third zone column


def test_native_load_total_that_disagrees_gets_a_note() -> None:
    rows = [
        (*row[:-1], row[-1] + 50.0) if row[0].startswith("07/04") else row for day in DAYS for row in load_rows(day)
    ]
    result = parse_yearly_workbook("native-load", load_book(rows), what="load")
    assert result.notes == ["load [native-load sheet 'Sheet1']: 24 rows where the zones do not add up to 'ERCOT' "
                            "within 1.0 MW (first: data row 48)"]  # fmt: skip


def test_native_load_excel_date_time_cells_read_as_the_same_wall_clock() -> None:
    # GIVEN a day whose labels are Excel date-times instead of text (midnight: the day's 24:00), one text label
    rows: list[Any] = []
    for hour, _ in local_hours(dt.date(2016, 7, 4)):
        stamp = dt.datetime(2016, 7, 4) + dt.timedelta(hours=hour)
        rows.append((stamp if hour != 5 else f"{stamp:%m/%d/%Y %H:%M}", *([100.0] * 8), 800.0))
    # WHEN parsed
    table = parse_yearly_workbook("native-load", load_book(rows)).table
    coast = table.filter(pc.equal(table.column("weather_zone"), "COAST"))
    # THEN each is the hour its wall clock ends, 24:00 included
    expected = [zoneinfo_start(dt.date(2016, 7, 4), hour * 60, False) for hour in range(24)]
    assert coast.column("interval_start_utc").to_pylist() == expected


def test_native_load_repeat_without_dst_marker_is_read_in_order() -> None:
    # GIVEN a file that writes the repeated hour's label twice and marks neither
    rows = [(label.removesuffix(" DST"), *rest) for label, *rest in load_rows(FALL)]
    table = parse_yearly_workbook("native-load", load_book(rows)).table
    coast = table.filter(pc.equal(table.column("weather_zone"), "COAST"))
    # THEN the first is the daylight-time pass, the second the standard-time pass
    starts = coast.column("interval_start_utc").to_pylist()
    assert starts[1:3] == [dt.datetime(2016, 11, 6, 6, tzinfo=dt.UTC), dt.datetime(2016, 11, 6, 7, tzinfo=dt.UTC)]
    assert len(set(starts)) == 25


def test_native_load_dst_marker_on_an_ordinary_day_is_an_error() -> None:
    rows = load_rows(dt.date(2016, 7, 4))
    rows[1] = (rows[1][0] + " DST", *rows[1][1:])
    with pytest.raises(ParseError, match=r"flagged as the repeated hour but .* happens only once"):
        parse_yearly_workbook("native-load", load_book(rows))


def test_native_load_missing_zone_column_is_named() -> None:
    header = tuple(name for name in LOAD_HEADER if name != "NCENT")
    rows = [(label, *values[:4], *values[5:]) for label, *values in load_rows(dt.date(2016, 7, 4))]
    with pytest.raises(ParseError, match=r"a column per weather zone; missing NORTH_CENTRAL"):
        parse_yearly_workbook("native-load", load_book(rows, header))


def test_native_load_unknown_header_and_bad_label_are_errors() -> None:
    with pytest.raises(ParseError, match=r"sheet 'Sheet1' is not the native-load layout: no header row with hour"):
        parse_yearly_workbook("native-load", load_book([("x", 1.0)], ("Time", "COAST")))
    rows = load_rows(dt.date(2016, 7, 4))
    rows[5] = ("2016-07-04T06:00", *rows[5][1:])
    with pytest.raises(ParseError, match=r"'2016-07-04T06:00' is not 'MM/DD/YYYY HH:MM'") as caught:
        parse_yearly_workbook("native-load", load_book(rows))
    assert caught.value.row == 6


# --- fuel mix report -------------------------------------------------------------------------------------------


def end_label(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


REGULAR = list(range(15, 1441, 15))
REPEATED = list(range(75, 121, 15))


def fuel_sheet(month: int, days: list[dt.date], *, time_headers: bool = False, blank: tuple | None = None) -> tuple:
    """One month sheet: Date, Fuel, Settlement Type, Total, the 96 interval ends (+4 "(DST)" on a fall-back
    month); Wind = 100 MWh + the interval's number, Solar = 40 MWh; blanks where no interval exists."""
    columns: list[tuple[int, bool]] = [(minutes, False) for minutes in REGULAR]
    if any(len(local_hours(day)) == 25 for day in days):
        columns[8:8] = [(minutes, True) for minutes in REPEATED]
    labels: list[Any] = []
    for minutes, second in columns:
        if time_headers and not second:
            labels.append(dt.time((minutes // 60) % 24, minutes % 60))
        else:
            labels.append(end_label(minutes) + (" (DST)" if second else ""))
    rows: list[Any] = [("Date", "Fuel", "Settlement Type", "Total", *labels)]
    for day in days:
        hours = len(local_hours(day))
        for fuel, base in (("Wind", 100.0), ("Solar", 40.0)):
            cells: list[Any] = []
            for number, (minutes, second) in enumerate(columns):
                exists = (hours == 25 or not second) and not (hours == 23 and 120 < minutes <= 180)
                cells.append(base + number if exists and blank != (day, minutes, second) else None)
            rows.append((day, fuel, "FINAL", sum(cell for cell in cells if cell is not None), *cells))
    return MONTHS[month - 1], rows


def fuel_book(**options: Any) -> bytes:
    sheets = [fuel_sheet(month, [day for day in (dt.date(2016, month, 1), SPRING, FALL) if day.month == month],
                         **options) for month in range(1, 13)]  # fmt: skip
    return workbook([("Summary", [("Year", "Total")]), *sheets])


def test_fuel_mix_every_interval_where_zoneinfo_puts_it_in_mw() -> None:
    # GIVEN a fuel mix report: a Summary sheet, twelve month sheets, the November sheet with four "(DST)" columns
    result = parse_raw(yearly_raw("fuel_mix", "fuel-mix-report", fuel_book()))
    table = result.table
    assert table.schema == silver_minus_lineage("fuel_mix")
    assert result.rows_read == (12 + 2) * 2  # a row per day and fuel
    assert result.notes == [] and result.unknown_columns == []
    wind = table.filter(pc.equal(table.column("fuel"), "WIND"))
    # THEN 96 quarter hours a day, 92 on the spring-forward day, 100 on the fall-back day
    assert wind.num_rows == 12 * 96 + 92 + 100
    days = [day for month in range(1, 13) for day in (dt.date(2016, month, 1), SPRING, FALL) if day.month == month]
    expected = []
    for day in days:
        for hour, second in local_hours(day):
            expected += [zoneinfo_start(day, (hour - 1) * 60 + quarter * 15, second) for quarter in range(4)]
    assert sorted(wind.column("interval_start_utc").to_pylist()) == sorted(expected)
    assert len(set(expected)) == len(expected)
    # AND the values are the cells' MWh per quarter hour as average MW (x 4)
    first = wind.slice(0, 1).to_pylist()[0]
    assert first["interval_start_utc"] == dt.datetime(2016, 1, 1, 6, tzinfo=dt.UTC)
    assert first["interval_end_utc"] == dt.datetime(2016, 1, 1, 6, 15, tzinfo=dt.UTC)
    assert first["generation_mw"] == 100.0 * FUEL_MIX_MWH_TO_MW
    assert set(table.column("fuel").to_pylist()) == {"WIND", "SOLAR"}


def test_fuel_mix_dst_columns_are_the_second_pass() -> None:
    table = parse_yearly_workbook("fuel-mix-report", fuel_book()).table
    wind = table.filter(pc.equal(table.column("fuel"), "WIND"))
    starts, values = wind.column("interval_start_utc").to_pylist(), wind.column("generation_mw").to_pylist()
    by_start = dict(zip(starts, values, strict=True))
    utc = dt.UTC
    # "1:15" (column 4: 01:00-01:15 CDT) and "1:15 (DST)" (column 8: 01:00-01:15 CST) on 2016-11-06
    assert by_start[dt.datetime(2016, 11, 6, 6, tzinfo=utc)] == (100.0 + 4) * 4
    assert by_start[dt.datetime(2016, 11, 6, 7, tzinfo=utc)] == (100.0 + 8) * 4


def test_fuel_mix_headers_typed_as_times_of_day() -> None:
    table = parse_yearly_workbook("fuel-mix-report", fuel_book(time_headers=True)).table
    assert table.num_rows == 2 * (12 * 96 + 92 + 100)


def test_fuel_mix_blank_where_the_interval_exists_is_an_error() -> None:
    with pytest.raises(ParseError, match=r"sheet 'Jul'.*blank generation for '10:30'") as caught:
        parse_yearly_workbook("fuel-mix-report", fuel_book(blank=(dt.date(2016, 7, 1), 630, False)))
    assert caught.value.row == 1
    with pytest.raises(ParseError, match=r"blank generation for '1:30 \(DST\)'"):
        parse_yearly_workbook("fuel-mix-report", fuel_book(blank=(FALL, 90, True)))


def test_fuel_mix_value_in_the_skipped_hour_is_an_error() -> None:
    # GIVEN a spring-forward day with values in every column, 2:15 .. 3:00 included (those intervals never were)
    sheets = [fuel_sheet(month, [dt.date(2016, month, 1)]) for month in range(1, 13)]
    name, rows = sheets[2]
    rows = [rows[0], (SPRING, "Wind", "FINAL", 1.0, *([1.0] * 96))]
    sheets[2] = (name, rows)
    with pytest.raises(ParseError, match=r"sheet 'Mar'.*interval '2:15'.*does not exist"):
        parse_yearly_workbook("fuel-mix-report", workbook(sheets))


def test_fuel_mix_missing_interval_columns_are_named() -> None:
    sheets = [fuel_sheet(month, [dt.date(2016, month, 1)]) for month in range(1, 13)]
    name, rows = sheets[0]
    sheets[0] = (name, [row[:-1] for row in rows])  # no "24:00"
    with pytest.raises(ParseError, match=r"sheet 'Jan'.*one column per 15-minute interval end.*missing 24:00"):
        parse_yearly_workbook("fuel-mix-report", workbook(sheets))


def test_fuel_mix_total_that_disagrees_gets_a_note() -> None:
    sheets = [fuel_sheet(month, [dt.date(2016, month, 1)]) for month in range(1, 13)]
    name, rows = sheets[5]
    rows[1] = (*rows[1][:3], rows[1][3] + 10, *rows[1][4:])
    sheets[5] = (name, rows)
    notes = parse_yearly_workbook("fuel-mix-report", workbook(sheets), what="fm").notes
    assert notes == ["fm [fuel-mix-report sheet 'Jun']: 1 rows whose intervals do not add up to 'Total' within 1.0 "
                     "(first: data row 1)"]  # fmt: skip


def test_fuel_mix_zip_of_previous_years_reads_the_year_asked() -> None:
    body = zipped([("IntGenbyFuel2015.xlsx", b"broken"), ("IntGenbyFuel2016.xlsx", fuel_book())])
    result = parse_raw(yearly_raw("fuel_mix", "fuel-mix-report", body, 2016))
    assert result.table.num_rows == 2 * (12 * 96 + 92 + 100)
