"""The ERCOT parser on hand-written recorded-format fixtures: column drift, ERCOT's header and value habits, posting
times, the fuel-mix dashboard's stamps, and the error paths (a ParseError naming the column and row)."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from typing import Any

import pyarrow.compute as pc
import pytest

from energylake.contracts.datasets import ErcotDatasetName
from energylake.errors import ParseError
from energylake.parse import RawObject
from energylake.parse.ercot import (
    parse,
    parse_api_page,
    parse_csv_bytes,
    parse_fuel_mix_dashboard,
    parse_mis_zip,
)
from tests.support.parsing import silver_minus_lineage

UTC = dt.UTC

# ---------------------------------------------------------------------------------------------------------------
# Recorded-format fixtures: drift and errors
# ---------------------------------------------------------------------------------------------------------------

RT_FIELDS = [
    "deliveryDate",
    "deliveryHour",
    "deliveryInterval",
    "settlementPoint",
    "settlementPointType",
    "settlementPointPrice",
    "DSTFlag",
]


def api_page(fields: list[str], rows: list[list[Any]]) -> bytes:
    document = {
        "_meta": {"totalRecords": len(rows), "pageSize": 100000, "totalPages": 1, "currentPage": 1},
        "report": {"reportEMIL": "NP6-905-CD"},
        "fields": [{"name": name, "label": name, "dataType": "VARCHAR"} for name in fields],
        "data": rows,
    }
    return json.dumps(document).encode()


def zipped(member: str, content: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(member, content)
    return buffer.getvalue()


def test_an_unknown_extra_column_is_reported_not_silently_dropped() -> None:
    # GIVEN an API page where ERCOT added a column
    body = api_page([*RT_FIELDS, "newThing"], [["2024-11-04", 1, 1, "HB_NORTH", "HU", 20.5, False, "x"]])
    # WHEN parsed
    result = parse_api_page("spp_rt", body)
    # THEN the row is read and the new column is listed
    assert result.unknown_columns == ["newThing"]
    assert result.table.num_rows == 1
    assert result.table.column("price_usd_mwh").to_pylist() == [20.5]


def test_a_missing_required_column_is_named_with_the_columns_present() -> None:
    body = api_page(
        [name for name in RT_FIELDS if name != "settlementPointPrice"], [["2024-11-04", 1, 1, "HB_NORTH", "HU", False]]
    )
    with pytest.raises(ParseError) as caught:
        parse_api_page("spp_rt", body)
    assert caught.value.column == "settlement point price"
    assert "settlementPointPrice" in str(caught.value)
    assert "columns present: deliveryDate, deliveryHour" in str(caught.value)


def test_an_unparseable_price_names_the_column_and_the_data_row() -> None:
    csv_text = (
        "DeliveryDate,HourEnding,SettlementPoint,SettlementPointPrice,DSTFlag\n"
        "11/04/2024,01:00,HB_NORTH,21.50,N\n"
        "11/04/2024,02:00,HB_NORTH,#VALUE!,N\n"
    )
    with pytest.raises(ParseError) as caught:
        parse_csv_bytes("spp_dam", csv_text.encode())
    assert caught.value.column == "SettlementPointPrice"
    assert caught.value.row == 2
    assert "#VALUE!" in str(caught.value)


def test_an_empty_required_value_names_the_column_and_row() -> None:
    body = api_page(
        RT_FIELDS,
        [["2024-11-04", 1, 1, "HB_NORTH", "HU", 20.5, False], ["2024-11-04", 1, 2, "HB_NORTH", "HU", None, False]],
    )
    with pytest.raises(ParseError) as caught:
        parse_api_page("spp_rt", body)
    assert (caught.value.column, caught.value.row) == ("settlementPointPrice", 2)


def test_hour_ending_three_on_the_spring_forward_day_is_a_parse_error_at_its_row() -> None:
    csv_text = (
        "DeliveryDate,HourEnding,SettlementPoint,SettlementPointPrice,DSTFlag\n"
        "03/10/2024,02:00,HB_NORTH,21.50,N\n"
        "03/10/2024,03:00,HB_NORTH,22.50,N\n"
    )
    with pytest.raises(ParseError) as caught:
        parse_csv_bytes("spp_dam", csv_text.encode())
    assert caught.value.column == "HourEnding"
    assert caught.value.row == 2
    assert "does not exist" in str(caught.value)


def test_a_repeated_hour_without_any_flag_is_a_parse_error() -> None:
    # GIVEN the fall-back day's hour ending 02:00 twice and no DSTFlag column
    csv_text = (
        "DeliveryDate,HourEnding,SettlementPoint,SettlementPointPrice\n"
        "11/03/2024,01:00,HB_NORTH,21.50\n"
        "11/03/2024,02:00,HB_NORTH,22.50\n"
        "11/03/2024,02:00,HB_NORTH,23.50\n"
    )
    with pytest.raises(ParseError) as caught:
        parse_csv_bytes("spp_dam", csv_text.encode())
    assert caught.value.row == 2
    assert "happens twice" in str(caught.value)


def test_rt_interval_out_of_range_names_the_row() -> None:
    body = api_page(
        RT_FIELDS,
        [["2024-11-04", 1, 1, "HB_NORTH", "HU", 20.5, False], ["2024-11-04", 1, 5, "HB_NORTH", "HU", 1.0, False]],
    )
    with pytest.raises(ParseError) as caught:
        parse_api_page("spp_rt", body)
    assert caught.value.row == 2


def test_messy_mis_headers_and_padded_prices_are_read() -> None:
    # GIVEN ERCOT's header habits: trailing spaces, other case, underscores; prices padded to 12 characters
    csv_text = (
        "deliverydate ,DELIVERY_HOUR,Delivery Interval,SettlementPointName  ,SETTLEMENTPOINTTYPE,"
        '"SettlementPointPrice ","DSTFlag    "\n'
        "11/03/2024,02,1,HB_NORTH,HU,       27.04,N\n"
        "11/03/2024,02,1,HB_NORTH,HU,      -12.50,Y\n"
    )
    result = parse_csv_bytes("spp_rt", csv_text.encode())
    assert result.unknown_columns == []
    assert result.table.column("price_usd_mwh").to_pylist() == [27.04, -12.5]
    # N = first (CDT) occurrence 01:00 local = 06:00Z; Y = second (CST) = 07:00Z
    assert result.table.column("interval_start_utc").to_pylist() == [
        dt.datetime(2024, 11, 3, 6, tzinfo=UTC),
        dt.datetime(2024, 11, 3, 7, tzinfo=UTC),
    ]


@pytest.mark.parametrize(("no_flag", "yes_flag"), [("N", "Y"), (False, True), ("false", "true")])
def test_dst_flag_as_letters_or_json_booleans(no_flag: Any, yes_flag: Any) -> None:
    body = api_page(
        RT_FIELDS,
        [
            ["2024-11-03", 2, 4, "HB_NORTH", "HU", 20.5, no_flag],
            ["2024-11-03", 2, 4, "HB_NORTH", "HU", 21.5, yes_flag],
        ],
    )
    starts = parse_api_page("spp_rt", body).table.column("interval_start_utc").to_pylist()
    assert starts == [dt.datetime(2024, 11, 3, 6, 45, tzinfo=UTC), dt.datetime(2024, 11, 3, 7, 45, tzinfo=UTC)]


@pytest.mark.parametrize("dataset", ["spp_rt", "spp_dam", "load_weather_zone", "load_forecast", "wind", "solar"])
def test_an_empty_api_report_is_an_empty_table_with_the_schema(dataset: ErcotDatasetName) -> None:
    result = parse_api_page(dataset, api_page(RT_FIELDS, []))
    assert result.table.num_rows == 0
    assert result.rows_read == 0
    assert result.table.schema == silver_minus_lineage(dataset)


def test_an_empty_mis_csv_is_an_empty_table() -> None:
    body = zipped(
        "cdr.00012331.0000000000000000.20241103.123000.DAMSPNP4190.csv",
        "DeliveryDate,HourEnding,SettlementPoint,SettlementPointPrice,DSTFlag\n",
    )
    result = parse_mis_zip("spp_dam", body)
    assert (result.table.num_rows, result.table.schema) == (0, silver_minus_lineage("spp_dam"))


def test_dam_point_types_from_names() -> None:
    # GIVEN DAM prices (NP4-190 has no type column) for a hub, a load zone, an _EW name and a resource node
    csv_text = "Delivery Date,Hour Ending,Repeated Hour Flag,Settlement Point,Settlement Point Price\n" + "".join(
        f"11/04/2024,01:00,N,{point},10\n" for point in ("HB_WEST", "LZ_AEN", "LZ_AEN_EW", "SOMENODE_RN")
    )
    # WHEN parsed THEN every row has a type from its name; anything not a hub or load zone is a resource node
    types = parse_csv_bytes("spp_dam", csv_text.encode()).table.column("settlement_point_type").to_pylist()
    assert types == ["HU", "LZ", "LZEW", "RN"]


def test_load_total_that_does_not_add_up_is_noted_not_emitted() -> None:
    csv_text = (
        "OperDay,HourEnding,COAST,EAST,FAR_WEST,NORTH,NORTH_C,SOUTHERN,SOUTH_C,WEST,TOTAL,DSTFlag\n"
        "11/04/2024,01:00,1,1,1,1,1,1,1,1,8,N\n"
        "11/04/2024,02:00,1,1,1,1,1,1,1,1,10.5,N\n"
    )
    result = parse_csv_bytes("load_weather_zone", csv_text.encode())
    assert result.table.num_rows == 16
    assert "TOTAL" not in result.table.column("weather_zone").to_pylist()
    assert len(result.notes) == 1
    assert "1 rows" in result.notes[0]
    assert "data row 2" in result.notes[0]


def test_native_load_layout_with_dst_suffix_labels() -> None:
    # GIVEN ERCOT's native load archive layout: the date inside Hour Ending, the repeated hour spelled "02:00 DST"
    csv_text = (
        "Hour Ending,COAST,EAST,FWEST,NORTH,NCENT,SOUTH,SCENT,WEST,ERCOT\n"
        "11/03/2024 01:00,1,1,1,1,1,1,1,1,8\n"
        "11/03/2024 02:00,1,1,1,1,1,1,1,1,8\n"
        "11/03/2024 02:00 DST,1,1,1,1,1,1,1,1,8\n"
        "11/03/2024 03:00,1,1,1,1,1,1,1,1,8\n"
        "11/03/2024 24:00,1,1,1,1,1,1,1,1,8\n"
    )
    result = parse_csv_bytes("load_weather_zone", csv_text.encode())
    coast = result.table.filter(pc.equal(result.table.column("weather_zone"), "COAST"))
    assert coast.column("interval_start_utc").to_pylist() == [
        dt.datetime(2024, 11, 3, 5, tzinfo=UTC),
        dt.datetime(2024, 11, 3, 6, tzinfo=UTC),  # 02:00: the first (CDT) pass
        dt.datetime(2024, 11, 3, 7, tzinfo=UTC),  # 02:00 DST: the second (CST) pass
        dt.datetime(2024, 11, 3, 8, tzinfo=UTC),
        dt.datetime(2024, 11, 4, 5, tzinfo=UTC),  # HE 24 is the last hour of the same day
    ]
    assert set(result.table.column("weather_zone").to_pylist()) == {
        "COAST", "EAST", "FAR_WEST", "NORTH", "NORTH_CENTRAL", "SOUTHERN", "SOUTH_CENTRAL", "WEST"
    }  # fmt: skip
    assert result.notes == []


NP3560_MEMBER = "cdr.00012311.0000000000000000.20241103.013000.LFCCONGESTNP3560.csv"
NP3560_CSV = (
    'DeliveryDate,HourEnding,North,South,West,Houston,SystemTotal,"DSTFlag    "\n'
    "11/03/2024,1:00,10,20,30,40,100,N\n"
    "11/03/2024,2:00,10,20,30,40,100,N\n"
    "11/03/2024,2:00,10,20,30,40,100,Y\n"
)


def test_np3560_forecast_zones_posting_time_from_the_member_name() -> None:
    # GIVEN an NP3-560 zip without metadata, posted 01:30 on the fall-back day (an ambiguous wall clock)
    result = parse_mis_zip("load_forecast", zipped(NP3560_MEMBER, NP3560_CSV))
    table = result.table
    assert table.num_rows == 3 * 5
    assert set(table.column("model").to_pylist()) == {"IN_USE"}
    assert set(table.column("in_use").to_pylist()) == {True}
    kinds = set(zip(table.column("zone_type").to_pylist(), table.column("zone").to_pylist(), strict=True))
    assert kinds == {("FORECAST", z) for z in ("NORTH", "SOUTH", "WEST", "HOUSTON")} | {("SYSTEM", "ERCOT")}
    # THEN the posting is the member name's stamp, the ambiguous label resolved to the first (CDT) occurrence
    assert set(table.column("posted_at_utc").to_pylist()) == {dt.datetime(2024, 11, 3, 6, 30, tzinfo=UTC)}
    assert result.unknown_columns == []


def test_posting_time_from_metadata_wins_over_the_member_name() -> None:
    raw = RawObject(
        "raw/x.zip",
        "load_forecast",
        zipped(NP3560_MEMBER, NP3560_CSV),
        {"source-used": "ercot-mis", "x-publish-date": "2024-11-03T09:30:05-05:00"},
    )
    posted = set(parse(raw).table.column("posted_at_utc").to_pylist())
    assert posted == {dt.datetime(2024, 11, 3, 15, 30, 5, tzinfo=UTC)}  # 09:30:05 CST; the -05:00 is ignored


def test_forecast_without_any_posting_time_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="no posting time"):
        parse_csv_bytes("load_forecast", NP3560_CSV.encode())


def test_api_posted_datetime_in_the_repeated_hour_resolves_to_the_first_occurrence() -> None:
    fields = ["postedDatetime", "deliveryDate", "hourEnding", "genSystemWide", "STPPFSystemWide", "DSTFlag"]
    body = api_page(fields, [["2024-11-03T01:55:00", "2024-11-04", 1, "", 10.0, False]])
    table = parse_api_page("solar", body).table
    assert table.column("posted_at_utc").to_pylist() == [dt.datetime(2024, 11, 3, 6, 55, tzinfo=UTC)]
    assert table.column("generation_mw").to_pylist() == [None]  # an empty string is a null
    assert table.column("forecast_mw").to_pylist() == [10.0]


def test_wind_csv_regions_and_measures_from_mis_headers() -> None:
    csv_text = (
        "DELIVERY_DATE,HOUR_ENDING,SYSTEM_WIDE_GEN,STWPF_SYSTEM_WIDE,GEN_LZ_WEST,STWPF_LZ_WEST,SYSTEM_WIDE_HSL,DSTFlag\n"
        "03/13/2025,14,100,110,60,,105,N\n"
    )
    table = parse_csv_bytes("wind", csv_text.encode(), member_name=NP3560_MEMBER).table
    rows = {row["region"]: row for row in table.to_pylist()}
    assert set(rows) == {"SYSTEM", "LZ_WEST"}
    assert (rows["SYSTEM"]["generation_mw"], rows["SYSTEM"]["forecast_mw"], rows["SYSTEM"]["hsl_mw"]) == (100, 110, 105)
    assert (rows["LZ_WEST"]["generation_mw"], rows["LZ_WEST"]["forecast_mw"], rows["LZ_WEST"]["hsl_mw"]) == (
        60,
        None,
        None,
    )


def fuel_mix_body(stamps: list[str]) -> bytes:
    data: dict[str, dict[str, Any]] = {}
    for stamp in stamps:
        data.setdefault(stamp[:10], {})[stamp] = {
            "Coal and Lignite": {"gen": 100.0, "hsl": 1, "seasonalCapacity": 2},
            "Power Storage": {"gen": -5.5},
        }
    return json.dumps(
        {"lastUpdated": stamps[-1], "types": ["Coal and Lignite", "Power Storage"], "data": data}
    ).encode()


def test_fuel_mix_stamps_snap_to_the_grid_and_end_their_interval() -> None:
    # GIVEN stamps a few seconds early (and one a few seconds late)
    body = fuel_mix_body(["2024-11-23 00:04:57-0600", "2024-11-23 00:10:02-0600", "2024-11-23 23:59:57-0600"])
    result = parse_fuel_mix_dashboard(body)
    table = result.table
    coal = table.filter(pc.equal(table.column("fuel"), "COAL_AND_LIGNITE"))
    # THEN each stamp is the END of the 5 minutes before it
    assert coal.column("interval_start_utc").to_pylist() == [
        dt.datetime(2024, 11, 23, 6, 0, tzinfo=UTC),
        dt.datetime(2024, 11, 23, 6, 5, tzinfo=UTC),
        dt.datetime(2024, 11, 24, 5, 55, tzinfo=UTC),
    ]
    assert coal.column("interval_end_utc").to_pylist()[0] == dt.datetime(2024, 11, 23, 6, 5, tzinfo=UTC)
    assert set(table.column("fuel").to_pylist()) == {"COAL_AND_LIGNITE", "POWER_STORAGE"}
    assert table.filter(pc.equal(table.column("fuel"), "POWER_STORAGE")).column("generation_mw").to_pylist()[0] == -5.5
    assert result.rows_read == 3
    assert result.notes == []


def test_fuel_mix_far_off_grid_stamp_is_noted() -> None:
    result = parse_fuel_mix_dashboard(fuel_mix_body(["2024-11-23 00:04:57-0600", "2024-11-23 00:11:40-0600"]))
    assert len(result.notes) == 1
    assert "off the 5-minute grid" in result.notes[0]


def test_fuel_without_gen_is_a_parse_error() -> None:
    body = json.dumps({"data": {"2024-11-23": {"2024-11-23 00:04:57-0600": {"Hydro": {"hsl": 3}}}}}).encode()
    with pytest.raises(ParseError) as caught:
        parse_fuel_mix_dashboard(body)
    assert caught.value.column == "gen"


def test_origin_dispatch_refuses_what_it_cannot_read() -> None:
    body = api_page(RT_FIELDS, [])
    with pytest.raises(ParseError, match="unknown origin"):
        parse(RawObject("k", "spp_rt", body, {"source-used": "somewhere"}))
    with pytest.raises(ParseError, match="ercot-dashboard"):
        parse(RawObject("k", "fuel_mix", body, {"source-used": "ercot-api"}))
    with pytest.raises(ParseError, match="not JSON"):
        parse(RawObject("k", "spp_rt", b"<html>", {"source-used": "ercot-api"}))
    with pytest.raises(ParseError, match="readable zip"):
        parse(RawObject("k", "spp_rt", b"PK-not-a-zip", {"source-used": "ercot-mis"}))


def test_a_short_csv_row_is_a_parse_error_naming_the_row() -> None:
    csv_text = (
        "DeliveryDate,HourEnding,SettlementPoint,SettlementPointPrice,DSTFlag\n"
        "11/04/2024,01:00,HB_NORTH,21.50,N\n"
        "11/04/2024,02:00,HB_NORTH\n"
    )
    with pytest.raises(ParseError) as caught:
        parse_csv_bytes("spp_dam", csv_text.encode())
    assert caught.value.row == 2


def test_an_unreadable_date_names_column_and_row() -> None:
    body = api_page(
        RT_FIELDS,
        [["2024-11-04", 1, 1, "HB_NORTH", "HU", 1.0, False], ["2024-13-40", 1, 1, "HB_NORTH", "HU", 1.0, False]],
    )
    with pytest.raises(ParseError) as caught:
        parse_api_page("spp_rt", body)
    assert (caught.value.column, caught.value.row) == ("deliveryDate", 2)
