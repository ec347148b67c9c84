"""ERCOT's older report layouts and document zips: every layout the wind (NP4-732) and solar (NP4-737) reports have
used is read or quarantined with a message naming it, and a document's zip yields its one report file.

Fixture headers and first rows are ERCOT's own, as found in public repositories: the 2014 NP4-732 and 2016 NP4-737
timestamp layouts (kvkenyon/tinyercot tools/inputs/history/np4-73{2,7}-cd-history-samples.csv, copies of real
archive files' first rows), the 2020 NP4-732 ACTUAL_LZ_* header (gridstatus/gridstatus test_ercot_api.py, a real
archive download), the 2017 NP4-732 field set (tinyercot annual-evidence.json: DELIVERY_DATE, HOUR_ENDING 24,
ACTUAL_SYSTEM_WIDE 7172.73, ACTUAL_SOUTH_HOUSTON 751.69, ACTUAL_WEST_NORTH 6421.04, ...) and the 2016 HOUR_BEGINNING
variant (same file; its header name only)."""

from __future__ import annotations

import datetime as dt

import pyarrow.compute as pc
import pytest

from energylake.errors import ParseError
from energylake.parse import ParseResult, RawObject
from energylake.parse.ercot import parse, parse_api_page, parse_csv_bytes, parse_mis_zip
from tests.support.dst_days import utc
from tests.support.ercot_files import api_page, zipped

WIND_MEMBER = "cdr.00013028.0000000000000000.20140429.235500.WPPHRLYAVGACTNP4732.csv"
SOLAR_MEMBER = "cdr.00013483.0000000000000000.20160209.235500.PVGRHRLYAVGACTNP4737.csv"

WIND_2014 = (
    "HOUR_ENDING,ACTUAL_SYSTEM_WIDE,COP_HSL_SYSTEM_WIDE,STWPF_SYSTEM_WIDE,WGRPP_SYSTEM_WIDE,ACTUAL_SOUTH_HOUSTON,"
    "COP_HSL_SOUTH_HOUSTON,STWPF_SOUTH_HOUSTON,WGRPP_SOUTH_HOUSTON,ACTUAL_WEST_NORTH,COP_HSL_WEST_NORTH,"
    "STWPF_WEST_NORTH,WGRPP_WEST_NORTH,DSTFlag\n"
    "04/29/2014 01:00,4222.85,5540.7,5410.8,4510.1,960.72,1238.5,1333.8,1102.6,3262.13,4302.2,4077,3407.5,N\n"
    "04/29/2014 02:00,5103.39,5891.6,4938.2,4037.1,1027.02,1270.8,1090.4,859.4,4076.37,4620.8,3847.8,3177.7,N\n"
    "04/29/2014 03:00,5249.97,5644.9,5843.5,4942.9,1015.66,1258.2,1208.9,977.7,4234.31,4386.7,4634.6,3965.2,N\n"
)
WIND_2017 = (
    "DELIVERY_DATE,HOUR_ENDING,ACTUAL_SYSTEM_WIDE,COP_HSL_SYSTEM_WIDE,STWPF_SYSTEM_WIDE,WGRPP_SYSTEM_WIDE,"
    "ACTUAL_SOUTH_HOUSTON,COP_HSL_SOUTH_HOUSTON,STWPF_SOUTH_HOUSTON,WGRPP_SOUTH_HOUSTON,ACTUAL_WEST_NORTH,"
    "COP_HSL_WEST_NORTH,STWPF_WEST_NORTH,WGRPP_WEST_NORTH,DSTFlag\n"
    "01/29/2017,24,7172.73,7882.2,7655.4,6328.2,751.69,582.1,594.7,355.6,6421.04,7300.1,7060.7,5972.6,N\n"
)
WIND_2020 = (
    "DELIVERY_DATE,HOUR_ENDING,ACTUAL_SYSTEM_WIDE,COP_HSL_SYSTEM_WIDE,STWPF_SYSTEM_WIDE,WGRPP_SYSTEM_WIDE,"
    "ACTUAL_LZ_SOUTH_HOUSTON,COP_HSL_LZ_SOUTH_HOUSTON,STWPF_LZ_SOUTH_HOUSTON,WGRPP_LZ_SOUTH_HOUSTON,ACTUAL_LZ_WEST,"
    "COP_HSL_LZ_WEST,STWPF_LZ_WEST,WGRPP_LZ_WEST,ACTUAL_LZ_NORTH,COP_HSL_LZ_NORTH,STWPF_LZ_NORTH,WGRPP_LZ_NORTH,"
    "DSTFlag\n"
    "12/01/2020,1,9000,9500,9100,8500,1000,1100,1050,900,7000,7300,7100,6600,1000,1100,950,1000,N\n"
)
SOLAR_2016 = (
    "HOUR_ENDING,ACTUAL_SYSTEM_WIDE,COP_HSL_SYSTEM_WIDE,STPPF_SYSTEM_WIDE,PVGRPP_SYSTEM_WIDE,DSTFlag\n"
    "02/08/2016 00:00,0,29.4,0,0,N\n"
    "02/08/2016 01:00,0,29.4,0,0,N\n"
    "02/08/2016 02:00,0,29.4,0,0,N\n"
)
WIND_2016_HOUR_BEGINNING = (
    "HOUR_BEGINNING,ACTUAL_SYSTEM_WIDE,COP_HSL_SYSTEM_WIDE,STWPF_SYSTEM_WIDE,WGRPP_SYSTEM_WIDE,ACTUAL_SOUTH_HOUSTON,"
    "COP_HSL_SOUTH_HOUSTON,STWPF_SOUTH_HOUSTON,WGRPP_SOUTH_HOUSTON,ACTUAL_WEST_NORTH,COP_HSL_WEST_NORTH,"
    "STWPF_WEST_NORTH,WGRPP_WEST_NORTH,DSTFlag\n"
    "01/30/2016 00:00,6986.24,7732.1,7960.3,6761.2,2151.24,2358.7,2429,2174.9,4835,5373.4,5531.3,4586.3,N\n"
)


def by_region(result: ParseResult) -> dict[str, list[dict[str, object]]]:
    rows: dict[str, list[dict[str, object]]] = {}
    for row in result.table.to_pylist():
        rows.setdefault(str(row["region"]), []).append(row)
    return rows


# ---------------------------------------------------------------------------------------------------------------
# NP4-732 wind
# ---------------------------------------------------------------------------------------------------------------


def test_wind_2014_timestamp_layout_keeps_actuals_and_the_combined_regions() -> None:
    # GIVEN the NP4-732 layout with the date inside HOUR_ENDING, ACTUAL_* columns, regions SOUTH_HOUSTON/WEST_NORTH
    result = parse_csv_bytes("wind", WIND_2014.encode(), member_name=WIND_MEMBER)
    # THEN every column is read, one row per source row and region, with the actuals as generation
    assert result.unknown_columns == []
    rows = by_region(result)
    assert set(rows) == {"SYSTEM", "SOUTH_HOUSTON", "WEST_NORTH"}
    assert [row["generation_mw"] for row in rows["SYSTEM"]] == [4222.85, 5103.39, 5249.97]
    assert [row["generation_mw"] for row in rows["WEST_NORTH"]] == [3262.13, 4076.37, 4234.31]
    first = rows["SOUTH_HOUSTON"][0]
    assert (first["cop_hsl_mw"], first["forecast_mw"], first["probabilistic_forecast_mw"]) == (1238.5, 1333.8, 1102.6)
    # "04/29/2014 01:00" is hour ending 1: 00:00-01:00 CDT
    assert [row["interval_start_utc"] for row in rows["SYSTEM"]] == [utc(2014, 4, 29, h) for h in (5, 6, 7)]


def test_wind_2017_date_and_hour_layout_with_actual_columns() -> None:
    result = parse_csv_bytes("wind", WIND_2017.encode(), member_name=WIND_MEMBER)
    assert result.unknown_columns == []
    rows = by_region(result)
    assert {region: values[0]["generation_mw"] for region, values in rows.items()} == {
        "SYSTEM": 7172.73, "SOUTH_HOUSTON": 751.69, "WEST_NORTH": 6421.04
    }  # fmt: skip
    assert rows["SYSTEM"][0]["interval_start_utc"] == utc(2017, 1, 30, 5)  # HE 24 of 01/29 = 23:00 CST


def test_wind_2020_actual_lz_layout_and_its_api_field_names() -> None:
    result = parse_csv_bytes("wind", WIND_2020.encode(), member_name=WIND_MEMBER)
    assert result.unknown_columns == []
    generation = {region: values[0]["generation_mw"] for region, values in by_region(result).items()}
    assert generation == {"SYSTEM": 9000, "LZ_SOUTH_HOUSTON": 1000, "LZ_WEST": 7000, "LZ_NORTH": 1000}
    # the API of that era: actualSystemWide, actualLoadZoneWest, ... (ERCOT's OpenAPI parameter names)
    fields = ["postedDatetime", "deliveryDate", "hourEnding", "actualSystemWide", "actualLoadZoneWest", "DSTFlag"]
    page = parse_api_page("wind", api_page(fields, [["2020-12-01T09:55:00", "2020-12-01", 1, 9000, 7000, False]]))
    assert page.unknown_columns == []
    assert {row["region"]: row["generation_mw"] for row in page.table.to_pylist()} == {"SYSTEM": 9000, "LZ_WEST": 7000}


def test_wind_2016_hour_beginning_layout_is_quarantined_by_name() -> None:
    # GIVEN the 2016 variant whose timestamps sit under HOUR_BEGINNING
    with pytest.raises(ParseError) as caught:
        parse_csv_bytes("wind", WIND_2016_HOUR_BEGINNING.encode(), member_name=WIND_MEMBER)
    # THEN the error names the layout (never a guess an hour off)
    assert "NP4-732-CD layout with HOUR_BEGINNING timestamps and ACTUAL_* columns" in str(caught.value)
    assert caught.value.column == "HOUR_BEGINNING"


def test_a_layout_whose_numbers_are_all_empty_is_refused_not_kept_as_empty_rows() -> None:
    csv_text = (
        "DELIVERY_DATE,HOUR_ENDING,ACTUAL_SYSTEM_WIDE,STWPF_SYSTEM_WIDE,DSTFlag\n11/05/2024,1,,,N\n11/05/2024,2,,,N\n"
    )
    with pytest.raises(ParseError, match="every NP4-732-CD generation and forecast value is empty"):
        parse_csv_bytes("wind", csv_text.encode(), member_name=WIND_MEMBER)


# ---------------------------------------------------------------------------------------------------------------
# NP4-737 solar
# ---------------------------------------------------------------------------------------------------------------


def test_solar_2016_layout_labelled_from_midnight_reads_00_00_as_the_hour_ending_at_midnight() -> None:
    # GIVEN NP4-737's timestamp layout, whose first label is "02/08/2016 00:00"
    result = parse_csv_bytes("solar", SOLAR_2016.encode(), member_name=SOLAR_MEMBER)
    # THEN it parses: 00:00 is the hour ENDING at midnight (23:00-24:00 CST of 02/07), then 00-01 and 01-02
    assert result.unknown_columns == []
    starts = result.table.column("interval_start_utc").to_pylist()
    assert starts == [utc(2016, 2, 8, 5), utc(2016, 2, 8, 6), utc(2016, 2, 8, 7)]
    assert result.table.column("generation_mw").to_pylist() == [0.0, 0.0, 0.0]  # a zero at night is a number
    assert set(result.table.column("cop_hsl_mw").to_pylist()) == {29.4}


def test_midnight_and_24_00_labels_of_the_same_hour_collide_rather_than_shift() -> None:
    # (both spellings of the hour ending at midnight land on the same interval: the quality gate sees a duplicate)
    csv_text = SOLAR_2016.splitlines()[0] + "\n02/07/2016 24:00,0,29.4,0,0,N\n02/08/2016 00:00,0,29.4,0,0,N\n"
    starts = parse_csv_bytes("solar", csv_text.encode(), member_name=SOLAR_MEMBER).table.column("interval_start_utc")
    assert starts.to_pylist() == [utc(2016, 2, 8, 5)] * 2


def test_solar_intermediate_layout_with_delivery_date_and_actual_system_wide() -> None:
    csv_text = (
        "DELIVERY_DATE,HOUR_ENDING,ACTUAL_SYSTEM_WIDE,COP_HSL_SYSTEM_WIDE,STPPF_SYSTEM_WIDE,PVGRPP_SYSTEM_WIDE,DSTFlag\n"
        "01/31/2017,13,310.5,402.1,390,350.2,N\n"
    )
    (row,) = parse_csv_bytes("solar", csv_text.encode(), member_name=SOLAR_MEMBER).table.to_pylist()
    assert (row["region"], row["generation_mw"], row["forecast_mw"]) == ("SYSTEM", 310.5, 390)


# ---------------------------------------------------------------------------------------------------------------
# Document zips
# ---------------------------------------------------------------------------------------------------------------

CURRENT_WIND = "DELIVERY_DATE,HOUR_ENDING,SYSTEM_WIDE_GEN,STWPF_SYSTEM_WIDE,DSTFlag\n11/05/2024,1,100,110,N\n"


def generation(result: ParseResult) -> list[object]:
    return result.table.filter(pc.equal(result.table.column("region"), "SYSTEM")).column("generation_mw").to_pylist()


@pytest.mark.parametrize(
    "extra",
    [
        ("cdr.00013028.0000000000000000.20241105.015500.WPPHRLYAVGACTNP4732.xml", "<report/>"),
        ("readme.txt", "notes"),
        ("Data_Dictionary.CSV.pdf", b"%PDF"),
    ],
)
def test_a_document_with_a_twin_or_a_readme_beside_its_csv_reads_the_csv(extra: tuple[str, str]) -> None:
    body = zipped(extra, (WIND_MEMBER, CURRENT_WIND))
    assert generation(parse_mis_zip("wind", body)) == [100]


def test_several_csvs_pick_the_one_named_for_the_report() -> None:
    body = zipped(("Wind_Data_Dictionary.csv", "Field,Meaning\nA,B\n"), (WIND_MEMBER, CURRENT_WIND))
    assert generation(parse_mis_zip("wind", body)) == [100]


def test_several_report_csvs_are_a_parse_error_naming_the_members() -> None:
    second = WIND_MEMBER.replace("235500", "235900")
    with pytest.raises(ParseError) as caught:
        parse_mis_zip("wind", zipped((WIND_MEMBER, CURRENT_WIND), (second, CURRENT_WIND)), what="doc")
    assert WIND_MEMBER in str(caught.value) and second in str(caught.value)
    assert "2 CSV files" in str(caught.value)


def test_a_document_zipped_once_more_is_opened() -> None:
    inner = zipped((WIND_MEMBER, CURRENT_WIND))
    assert generation(parse_mis_zip("wind", zipped(("1049861718.WPPHRLYAVGACTNP4732_csv.zip", inner)))) == [100]


def test_a_bulk_download_of_several_documents_is_refused_naming_them() -> None:
    inner = zipped((WIND_MEMBER, CURRENT_WIND))
    body = zipped(("1.doc_csv.zip", inner), ("2.doc_csv.zip", inner))
    with pytest.raises(ParseError, match="2 inner zips or workbooks: one document per raw object") as caught:
        parse_mis_zip("wind", body)
    assert "1.doc_csv.zip" in str(caught.value)


def test_an_empty_zip_or_one_without_a_report_names_what_it_holds() -> None:
    with pytest.raises(ParseError, match=r"no CSV file in the zip; members: notes\.txt"):
        parse_mis_zip("wind", zipped(("notes.txt", "x")))


def test_a_document_holding_a_workbook_goes_to_the_yearly_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN an archive document whose zip holds an xlsx (ERCOT's yearly files are workbooks in zips)
    seen: list[RawObject] = []

    def yearly(raw: RawObject) -> ParseResult:
        seen.append(raw)
        raise ParseError("read by the yearly reader")

    monkeypatch.setattr("energylake.parse.ercot.yearly.parse_yearly", yearly)
    body = zipped(("rpt.00013060.0000000000000000.DAMLZHBSPP_2016.xlsx", b"PK-workbook"))
    # WHEN parsed through the archive origin THEN the yearly reader gets the workbook and the document's metadata
    with pytest.raises(ParseError, match="yearly reader"):
        parse(RawObject("raw/doc.zip", "spp_dam", body, {"source-used": "ercot-archive", "x-doc-id": "7"}))
    assert seen[0].body == b"PK-workbook"
    assert seen[0].metadata["x-doc-id"] == "7"
    assert seen[0].dataset == "spp_dam"


def test_the_realdata_style_member_with_metadata_still_reads() -> None:
    # (a single-CSV zip, the common case, is unchanged: the member name's stamp dates the vintage)
    result = parse_mis_zip("wind", zipped((WIND_MEMBER, CURRENT_WIND)))
    assert set(result.table.column("posted_at_utc").to_pylist()) == {dt.datetime(2014, 4, 30, 4, 55, tzinfo=dt.UTC)}
