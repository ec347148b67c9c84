"""The yearly parser on the hub and load-zone price layouts (NP4-180-ER, NP6-785-ER) and on what wraps every
yearly file (the product metadata, the zip, the workbook, the month sheets): small workbooks in the real layouts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import pyarrow.compute as pc
import pytest

from energylake.errors import ParseError
from energylake.parse import parse_raw
from energylake.parse.ercot.yearly import PRODUCT_DATASETS, parse_yearly_workbook
from energylake.sample.xlsx import Row
from tests.support.parsing import silver_minus_lineage
from tests.support.yearly_files import (
    DAM_HEADER,
    MONTHS,
    RTM_HEADER,
    dam_rows,
    local_hours,
    month_sheets,
    rtm_rows,
    workbook,
    yearly_raw,
    zipped,
    zoneinfo_start,
)

SPRING = dt.date(2016, 3, 13)
FALL = dt.date(2016, 11, 6)


def first_and_dst_days(month: int) -> list[dt.date]:
    days = [dt.date(2016, month, 1)]
    days += [day for day in (SPRING, FALL) if day.month == month]
    return days


def dam_book(rows_of_day: Callable[[dt.date], list[Row]] = dam_rows, names: Sequence[str] = MONTHS) -> bytes:
    def rows(month: int) -> list[Row]:
        return [row for day in first_and_dst_days(month) for row in rows_of_day(day)]

    return workbook(month_sheets(rows, DAM_HEADER, names=names))


def test_catalog_products_map_to_their_datasets() -> None:
    assert PRODUCT_DATASETS == {
        "NP6-785-ER": "spp_rt",
        "NP4-180-ER": "spp_dam",
        "native-load": "load_weather_zone",
        "fuel-mix-report": "fuel_mix",
    }


def test_dam_zip_of_one_xlsx_every_hour_placed_as_zoneinfo_says() -> None:
    # GIVEN an NP4-180-ER zip holding one xlsx: twelve sheets "Jan_1".."Dec_12", the 1st of each month and both
    # DST days, two points
    names = [f"{month}_{number}" for number, month in enumerate(MONTHS, start=1)]
    body = zipped([("rpt.00013060.0000000000000000.DAMLZHBSPP_2016.xlsx", dam_book(names=names))])
    # WHEN parsed through the ordinary entry point
    result = parse_raw(yearly_raw("spp_dam", "NP4-180-ER", body))
    table = result.table
    # THEN every row is there, typed, in the silver schema, with types from the names
    expected_hours = sum(len(local_hours(day)) for month in range(1, 13) for day in first_and_dst_days(month))
    assert expected_hours == 14 * 24 - 1 + 1  # 12 ordinary days, a 23-hour day and a 25-hour day
    assert result.rows_read == table.num_rows == expected_hours * 2
    assert table.schema == silver_minus_lineage("spp_dam")
    assert set(zip(table.column("settlement_point").to_pylist(), table.column("settlement_point_type").to_pylist(),
                   strict=True)) == {("HB_NORTH", "HU"), ("LZ_WEST", "LZ")}  # fmt: skip
    # AND every interval is where zoneinfo puts its label
    north = table.filter(pc.equal(table.column("settlement_point"), "HB_NORTH"))
    expected = [
        zoneinfo_start(day, (hour - 1) * 60, second)
        for month in range(1, 13)
        for day in first_and_dst_days(month)
        for hour, second in local_hours(day)
    ]
    assert north.column("interval_start_utc").to_pylist() == expected
    assert set(pc.subtract(north.column("interval_end_utc"), north.column("interval_start_utc")).to_pylist()) == {
        dt.timedelta(hours=1)
    }


def test_rtm_quarter_hours_keep_the_file_types_including_lzew() -> None:
    # GIVEN an NP6-785-ER workbook listing a load zone twice per interval, as LZ and as LZEW
    points = (("HB_HUBAVG", "AH"), ("LZ_WEST", "LZ"), ("LZ_WEST", "LZEW"))

    def rows(month: int) -> list:
        return [row for day in first_and_dst_days(month) for row in rtm_rows(day, points)]

    body = zipped([("rpt.00013061.0000000000000000.RTMLZHBSPP_2016.xlsx", workbook(month_sheets(rows, RTM_HEADER)))])
    result = parse_raw(yearly_raw("spp_rt", "NP6-785-ER", body))
    table = result.table
    assert table.schema == silver_minus_lineage("spp_rt")
    assert set(table.column("market").to_pylist()) == {"RT15"}
    # THEN both load-zone series are kept, told apart by their type
    kinds = pc.value_counts(table.column("settlement_point_type")).to_pylist()
    assert {item["values"]: item["counts"] for item in kinds} == dict.fromkeys(
        ("AH", "LZ", "LZEW"), table.num_rows // 3
    )
    # AND every quarter hour is where zoneinfo puts it: the fall-back day has 100 of them, the spring day 92
    hub = table.filter(pc.equal(table.column("settlement_point"), "HB_HUBAVG"))
    expected = [
        zoneinfo_start(day, (hour - 1) * 60 + (interval - 1) * 15, second)
        for month in range(1, 13)
        for day in first_and_dst_days(month)
        for hour, second in local_hours(day)
        for interval in range(1, 5)
    ]
    assert hub.column("interval_start_utc").to_pylist() == expected
    assert len(expected) == 12 * 96 + 92 + 100


def test_hour_endings_stored_as_times_of_day_read_like_text() -> None:
    # GIVEN hour endings typed as Excel times (01:00 .. 23:00) beside the text "24:00" no time can hold
    def rows_of_day(day: dt.date) -> list[Row]:
        rows = dam_rows(day, ("HB_NORTH",))
        return [(d, dt.time(int(h[:2]), 0) if h != "24:00" else h, *rest) for d, h, *rest in rows]

    typed = parse_yearly_workbook("NP4-180-ER", dam_book(rows_of_day)).table
    text = parse_yearly_workbook("NP4-180-ER", dam_book(lambda day: dam_rows(day, ("HB_NORTH",)))).table
    # THEN the intervals are the same as from the text labels
    assert typed.column("interval_start_utc").equals(text.column("interval_start_utc"))


def test_a_point_that_is_neither_hub_nor_load_zone_without_a_type_is_an_error() -> None:
    body = dam_book(lambda day: dam_rows(day, ("HB_NORTH", "DC_E")))
    with pytest.raises(ParseError, match=r"'DC_E' is neither a hub \(HB_\*\) nor a load zone") as caught:
        parse_yearly_workbook("NP4-180-ER", body)
    assert "sheet 'Jan'" in str(caught.value)


def test_a_sheet_that_is_not_a_month_is_an_unknown_layout() -> None:
    sheets = [*month_sheets(lambda month: dam_rows(dt.date(2016, month, 1)), DAM_HEADER), ("Notes", [("About",)])]
    with pytest.raises(ParseError, match=r"NP4-180-ER workbook has a sheet 'Notes' that is not a month"):
        parse_yearly_workbook("NP4-180-ER", workbook(sheets))


def test_a_missing_month_is_named() -> None:
    sheets = month_sheets(lambda month: dam_rows(dt.date(2016, month, 1)), DAM_HEADER)
    del sheets[9]
    with pytest.raises(ParseError, match=r"lacks the month sheets Oct"):
        parse_yearly_workbook("NP4-180-ER", workbook(sheets))


def test_a_header_without_the_price_names_product_sheet_and_column() -> None:
    header = ("Delivery Date", "Hour Ending", "Repeated Hour Flag", "Settlement Point", "Price")
    sheets = month_sheets(lambda month: dam_rows(dt.date(2016, month, 1)), header)
    with pytest.raises(ParseError) as caught:
        parse_yearly_workbook("NP4-180-ER", workbook(sheets), what="dam.zip")
    message = str(caught.value)
    assert "dam.zip: sheet 'Jan' is not the NP4-180-ER layout" in message
    assert "price" in message and "Settlement Point" in message  # what is missing, and what the first row holds


def test_a_month_with_a_header_and_no_rows_is_an_error_not_an_empty_table() -> None:
    def rows(month: int) -> list:
        return [] if month == 4 else dam_rows(dt.date(2016, month, 1))

    with pytest.raises(ParseError, match=r"sheet 'Apr'\]: the sheet has a header but no data rows"):
        parse_yearly_workbook("NP4-180-ER", workbook(month_sheets(rows, DAM_HEADER)))


def test_an_hour_that_does_not_exist_names_the_sheet_and_row() -> None:
    # GIVEN the spring-forward day listing HE 03:00 (skipped by the clock change)
    def rows_of_day(day: dt.date) -> list:
        rows = dam_rows(day, ("HB_NORTH",))
        if day == SPRING:
            rows.insert(2, (f"{day:%m/%d/%Y}", "03:00", "N", "HB_NORTH", 1.0))
        return rows

    with pytest.raises(ParseError, match=r"sheet 'Mar'.*does not exist") as caught:
        parse_yearly_workbook("NP4-180-ER", dam_book(rows_of_day))
    assert caught.value.row == 24 + 3  # data row: the 1st's 24 hours, then the 13th's third row


def test_a_fall_back_hour_without_flags_cannot_be_placed() -> None:
    header = ("Delivery Date", "Hour Ending", "Settlement Point", "Settlement Point Price")

    def rows(month: int) -> list:
        return [(d, h, p, v) for day in first_and_dst_days(month) for d, h, _, p, v in dam_rows(day, ("HB_NORTH",))]

    with pytest.raises(ParseError, match=r"sheet 'Nov'.*happens twice"):
        parse_yearly_workbook("NP4-180-ER", workbook(month_sheets(rows, header)))


def test_a_price_that_is_not_a_number_names_the_row() -> None:
    def rows(month: int) -> list:
        found = dam_rows(dt.date(2016, month, 1), ("HB_NORTH",))
        if month == 2:
            found[4] = (*found[4][:4], "n/a")
        return found

    with pytest.raises(ParseError, match=r"sheet 'Feb'.*'n/a' is not a number") as caught:
        parse_yearly_workbook("NP4-180-ER", workbook(month_sheets(rows, DAM_HEADER)))
    assert caught.value.row == 5


# --- what wraps every yearly file ------------------------------------------------------------------------------


def test_unknown_product_and_mismatched_dataset_are_errors() -> None:
    body = dam_book()
    with pytest.raises(ParseError, match=r"yearly product 'NP9-999-ER' .* known: NP6-785-ER, NP4-180-ER"):
        parse_raw(yearly_raw("spp_dam", "NP9-999-ER", body))
    with pytest.raises(ParseError, match=r"yearly product NP4-180-ER holds spp_dam, not spp_rt"):
        parse_raw(yearly_raw("spp_rt", "NP4-180-ER", body))
    raw = yearly_raw("spp_dam", "NP4-180-ER", body)
    raw.metadata["x-year"] = "twenty16"
    with pytest.raises(ParseError, match=r"x-year='twenty16' is not a year"):
        parse_raw(raw)


def test_bytes_that_are_no_workbook_are_named() -> None:
    with pytest.raises(ParseError, match=r"neither a workbook nor a readable zip"):
        parse_yearly_workbook("NP4-180-ER", b"<html>maintenance</html>")
    with pytest.raises(ParseError, match=r"the zip holds no workbook .*readme.txt"):
        parse_yearly_workbook("NP4-180-ER", zipped([("readme.txt", b"hello")]))
    with pytest.raises(ParseError, match=r"not a readable workbook"):
        parse_yearly_workbook("NP4-180-ER", zipped([("DAMLZHBSPP_2016.xlsx", b"not really an xlsx")]))


def test_a_zip_of_several_workbooks_reads_the_one_naming_the_year() -> None:
    # GIVEN a zip of two years' workbooks (the 2015 one is broken: it must not be read)
    body = zipped([("DAMLZHBSPP_2015.xlsx", b"broken"), ("DAMLZHBSPP_2016.xlsx", dam_book())])
    result = parse_yearly_workbook("NP4-180-ER", body, year=2016, what="both.zip")
    assert result.table.num_rows > 0
    with pytest.raises(ParseError, match=r"holds 2 workbooks \(.*\) and no year says which"):
        parse_yearly_workbook("NP4-180-ER", body)
    with pytest.raises(ParseError, match=r"holds 2 workbooks and 0 name 2017"):
        parse_yearly_workbook("NP4-180-ER", body, year=2017)


def test_rows_outside_the_year_get_a_note() -> None:
    result = parse_yearly_workbook("NP4-180-ER", dam_book(), year=2017, what="dam")
    assert any("dated outside 2017" in note for note in result.notes)
