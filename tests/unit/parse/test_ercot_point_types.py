"""Settlement point types: real-time prices list every load zone twice per interval under one name (types LZ and
LZEW, different prices), so the type is part of a price's key and is always stated."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from energylake.contracts.schemas import UTC_TIMESTAMP
from energylake.errors import ParseError
from energylake.parse.ercot import parse_api_page, parse_csv_bytes
from energylake.quality import run_quality
from tests.support.dst_days import utc
from tests.support.ercot_files import api_page

RT_FIELDS = [
    "deliveryDate",
    "deliveryHour",
    "deliveryInterval",
    "settlementPoint",
    "settlementPointType",
    "settlementPointPrice",
    "DSTFlag",
]
TWINS = [
    ["2024-11-05", 1, 1, "LZ_HOUSTON", "LZ", 21.05, False],
    ["2024-11-05", 1, 1, "LZ_HOUSTON", "LZEW", 21.37, False],
    ["2024-11-05", 1, 1, "HB_HUBAVG", "AH", 20.9, False],
]


def with_lineage(table: pa.Table) -> pa.Table:
    rows = table.num_rows
    table = table.append_column("source_dataset", pa.array(["spp_rt"] * rows))
    table = table.append_column("raw_key", pa.array(["raw/page.json"] * rows))
    table = table.append_column("run_id", pa.array(["run-1"] * rows))
    return table.append_column(
        "fetched_at_utc", pa.array([dt.datetime(2024, 11, 6, tzinfo=dt.UTC)] * rows, UTC_TIMESTAMP)
    )


def test_both_load_zone_series_survive_parsing_and_the_gate() -> None:
    # GIVEN an NP6-905 page listing LZ_HOUSTON twice in one interval, as LZ and as LZEW
    result = parse_api_page("spp_rt", api_page(RT_FIELDS, TWINS))
    rows = result.table.to_pylist()
    # THEN both rows are kept, each with its own type and price
    assert [(row["settlement_point"], row["settlement_point_type"], row["price_usd_mwh"]) for row in rows] == [
        ("LZ_HOUSTON", "LZ", 21.05),
        ("LZ_HOUSTON", "LZEW", 21.37),
        ("HB_HUBAVG", "AH", 20.9),
    ]
    assert {row["interval_start_utc"] for row in rows} == {utc(2024, 11, 5, 6)}
    # ... and the quality gate keys them apart: nothing rejected as a duplicate
    outcome = run_quality("spp_rt", with_lineage(result.table), partial_days=[dt.date(2024, 11, 5)])
    assert outcome.rejected.num_rows == 0
    assert outcome.table.num_rows == 3


def test_a_real_time_row_without_its_type_is_a_parse_error_naming_the_row() -> None:
    # GIVEN the LZEW twin with its type left blank
    rows = [TWINS[0], ["2024-11-05", 1, 1, "LZ_HOUSTON", "  ", 21.37, False]]
    # THEN it is not guessed from the name (that would make it a second LZ row): the page is refused
    with pytest.raises(ParseError, match="'LZ_HOUSTON' has no settlement point type") as caught:
        parse_api_page("spp_rt", api_page(RT_FIELDS, rows))
    assert (caught.value.column, caught.value.row) == ("settlementPointType", 2)


def test_a_real_time_report_without_a_type_column_is_a_parse_error() -> None:
    fields = [name for name in RT_FIELDS if name != "settlementPointType"]
    rows = [[value for index, value in enumerate(row) if index != 4] for row in TWINS]
    with pytest.raises(ParseError, match="required column 'settlement point type' is missing"):
        parse_api_page("spp_rt", api_page(fields, rows))


def test_a_real_time_mis_csv_with_a_blank_type_names_the_csv_row() -> None:
    csv_text = (
        "DeliveryDate,DeliveryHour,DeliveryInterval,SettlementPointName,SettlementPointType,SettlementPointPrice,DSTFlag\n"
        "11/05/2024,1,1,LZ_HOUSTON,LZ,21.05,N\n"
        "11/05/2024,1,1,LZ_HOUSTON,,21.37,N\n"
    )
    with pytest.raises(ParseError) as caught:
        parse_csv_bytes("spp_rt", csv_text.encode())
    assert (caught.value.column, caught.value.row) == ("SettlementPointType", 2)


def test_dam_types_come_from_the_report_where_stated_and_from_the_name_where_blank() -> None:
    # GIVEN a DAM CSV with a type column that is blank on some rows (a layout that states it partly)
    csv_text = (
        "DeliveryDate,HourEnding,SettlementPoint,SettlementPointType,SettlementPointPrice,DSTFlag\n"
        "11/05/2024,01:00,HB_BUSAVG,SH,20,N\n"
        "11/05/2024,01:00,LZ_WEST,,21,N\n"
        "11/05/2024,01:00,DC_E,,22,N\n"
    )
    types = parse_csv_bytes("spp_dam", csv_text.encode()).table.column("settlement_point_type").to_pylist()
    assert types == ["SH", "LZ", "RN"]


@pytest.mark.parametrize(
    ("point", "kind"),
    [("HB_NORTH", "HU"), ("HB_BUSAVG", "HU"), ("LZ_LCRA", "LZ"), ("LZ_LCRA_EW", "LZEW"), ("APPALOSA_ALL", "RN")],
)
def test_dam_api_page_types_every_point_from_its_name(point: str, kind: str) -> None:
    fields = ["deliveryDate", "hourEnding", "settlementPoint", "settlementPointPrice", "DSTFlag"]
    table = parse_api_page("spp_dam", api_page(fields, [["2024-11-05", "01:00", point, 20.0, False]])).table
    assert table.column("settlement_point_type").to_pylist() == [kind]
