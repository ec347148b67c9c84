"""The ERCOT parser (energylake.parse.ercot) on the sample source's replies (API pages, MIS zips, fuel-mix dashboard)
over both 2024 DST days, and on hand-written recorded-format fixtures for drift and error paths."""

from __future__ import annotations

import collections
import datetime as dt
import functools
import io
import json
import random
import zipfile
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from pydantic import SecretStr

from energylake.contracts.datasets import ErcotDatasetName
from energylake.errors import ParseError
from energylake.lake import raw_metadata
from energylake.parse import ParseResult, RawObject, parse_raw
from energylake.parse.ercot import (
    output_schema,
    parse,
    parse_api_page,
    parse_csv_bytes,
    parse_fuel_mix_dashboard,
    parse_mis_zip,
)
from energylake.contracts.schemas import LINEAGE, SILVER_TABLES
from energylake.settings import ErcotCredentials, Settings
from energylake.sources.ercot import ErcotClient
from energylake.sample.router import SAMPLE_PASSWORD, SAMPLE_SUBSCRIPTION_KEY, SAMPLE_USERNAME, SampleServer
from energylake.sample.ercot import HUBS, LOAD_ZONES, RESOURCE_NODES
from energylake.timeconv import local_day_bounds_utc, local_day_hours
from energylake.window import Window

SETTINGS = Settings(ercot_page_size=100_000, ercot_requests_per_minute=1e9)
CREDENTIALS = ErcotCredentials(SAMPLE_USERNAME, SecretStr(SAMPLE_PASSWORD), SecretStr(SAMPLE_SUBSCRIPTION_KEY))
API_NOW = dt.datetime(2024, 11, 20, 18, 0, tzinfo=dt.UTC)  # after both DST days and all their postings
FALL_BACK = dt.date(2024, 11, 3)
SPRING_FORWARD = dt.date(2024, 3, 10)
DST_DAYS = [pytest.param(FALL_BACK, id="fall-back"), pytest.param(SPRING_FORWARD, id="spring-forward")]
REPORT_DATASETS: tuple[ErcotDatasetName, ...] = (
    "spp_rt",
    "spp_dam",
    "load_weather_zone",
    "load_forecast",
    "wind",
    "solar",
)
POINTS = 21  # the sample's 7 hubs, 8 load zones and 6 resource nodes
UTC = dt.UTC


# ---------------------------------------------------------------------------------------------------------------
# Sample raw objects, fetched by the REAL client from the sample source
# ---------------------------------------------------------------------------------------------------------------


@functools.cache
def sample_raws(dataset: ErcotDatasetName, day: dt.date, origin: str) -> tuple[RawObject, ...]:
    """The raw objects the real ErcotClient lands for ``day`` through ``origin`` (api, mis or dashboard)."""
    if origin == "api":
        now, credentials = API_NOW, CREDENTIALS
    else:  # the MIS listing and the dashboard cover only the days just before the sample's clock
        now, credentials = dt.datetime.combine(day + dt.timedelta(days=2), dt.time(18), UTC), None
        if origin == "dashboard":
            now = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(18), UTC)
    server = SampleServer(SETTINGS, now=now)
    with ErcotClient(
        SETTINGS,
        credentials=credentials,
        transport=server.transport(),
        sleep=lambda _: None,
        clock=lambda: 0.0,
        rng=random.Random(1),
        now=lambda: now,
    ) as client:
        groups = list(client.iter_fetch(dataset, Window(day, day)))
    return tuple(
        RawObject(f"raw/{dataset}/{day}/{index}", dataset, reply.body, raw_metadata(reply))
        for index, reply in enumerate(reply for group in groups for reply in group)
    )


@functools.cache
def parsed(dataset: ErcotDatasetName, day: dt.date, origin: str) -> tuple[pa.Table, tuple[ParseResult, ...]]:
    results = tuple(parse(raw) for raw in sample_raws(dataset, day, origin))
    return pa.concat_tables([result.table for result in results]), results


def silver_minus_lineage(dataset: ErcotDatasetName) -> pa.Schema:
    lineage = {column.name for column in LINEAGE}
    return pa.schema([field for field in SILVER_TABLES[dataset].arrow_schema() if field.name not in lineage])


def local_dates(starts: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """The Central calendar day of each UTC instant."""
    return pc.local_timestamp(starts.cast(pa.timestamp("us", tz="America/Chicago"))).cast(pa.date32())


def on_day(table: pa.Table, day: dt.date) -> pa.Table:
    return table.filter(pc.equal(local_dates(table.column("interval_start_utc")), pa.scalar(day, pa.date32())))


def grid(day: dt.date, minutes: int) -> set[dt.datetime]:
    start, end = local_day_bounds_utc(day)
    count = int((end - start) / dt.timedelta(minutes=minutes))
    return {start + index * dt.timedelta(minutes=minutes) for index in range(count)}


def duplicate_keys(table: pa.Table, key: tuple[str, ...]) -> list[tuple[Any, ...]]:
    counts = table.group_by(list(key)).aggregate([([], "count_all")])
    repeated = counts.filter(pc.greater(counts.column("count_all"), 1))
    return [tuple(row[name] for name in key) for row in repeated.to_pylist()]


# ---------------------------------------------------------------------------------------------------------------
# Sample: every dataset x origin over both DST days
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("day", DST_DAYS)
@pytest.mark.parametrize("origin", ["api", "mis"])
@pytest.mark.parametrize("dataset", ["spp_rt", "spp_dam"])
def test_prices_cover_every_interval_of_the_central_day_once(
    dataset: ErcotDatasetName, origin: str, day: dt.date
) -> None:
    # GIVEN the sample's price reports for a DST day, WHEN parsed
    table, results = parsed(dataset, day, origin)
    # THEN the table has exactly the silver schema minus lineage
    assert table.schema == silver_minus_lineage(dataset)
    assert sum(result.rows_read for result in results) == table.num_rows
    assert all(result.unknown_columns == [] for result in results)
    # ... and every point has every interval of the Central day once: 100 quarter hours on the fall-back day, 92 in
    # spring (25 / 23 hours for the DAM), with the right UTC starts
    minutes = 15 if dataset == "spp_rt" else 60
    own = on_day(table, day)
    per_point = collections.Counter(own.column("settlement_point").to_pylist())
    assert len(per_point) == POINTS
    assert set(per_point.values()) == {local_day_hours(day) * 60 // minutes}
    hub = own.filter(pc.equal(own.column("settlement_point"), "HB_NORTH"))
    assert set(hub.column("interval_start_utc").to_pylist()) == grid(day, minutes)
    ends = pc.subtract(hub.column("interval_end_utc"), hub.column("interval_start_utc")).to_pylist()
    assert set(ends) == {dt.timedelta(minutes=minutes)}
    assert duplicate_keys(table, SILVER_TABLES[dataset].natural_key) == []
    assert set(table.column("market").to_pylist()) == {"RT15" if dataset == "spp_rt" else "DAM"}


@pytest.mark.parametrize("day", DST_DAYS)
def test_rt_prices_have_100_or_92_quarter_hours(day: dt.date) -> None:
    table, _ = parsed("spp_rt", day, "api")
    per_point = collections.Counter(table.column("settlement_point").to_pylist())
    assert set(per_point.values()) == {100 if day == FALL_BACK else 92}


@pytest.mark.parametrize("day", DST_DAYS)
@pytest.mark.parametrize("dataset", ["spp_rt", "spp_dam", "load_weather_zone"])
def test_api_and_mis_give_the_same_rows(dataset: ErcotDatasetName, day: dt.date) -> None:
    # GIVEN the same day through both doors
    api, _ = parsed(dataset, day, "api")
    mis, _ = parsed(dataset, day, "mis")
    mis = on_day(mis, day)
    # THEN the rows are the same (the MIS CSV writes the price padded to 12 characters and dates as MM/DD/YYYY)
    columns = [name for name in api.column_names if name != "settlement_point_type"]
    assert sorted(map(tuple, zip(*(api.column(c).to_pylist() for c in columns), strict=True))) == sorted(
        map(tuple, zip(*(mis.column(c).to_pylist() for c in columns), strict=True))
    )


def test_point_types_come_from_the_report_when_it_has_them_and_from_the_name_otherwise() -> None:
    rt, _ = parsed("spp_rt", FALL_BACK, "api")
    dam, _ = parsed("spp_dam", FALL_BACK, "api")
    rt_types = dict(
        zip(rt.column("settlement_point").to_pylist(), rt.column("settlement_point_type").to_pylist(), strict=True)
    )
    dam_types = dict(
        zip(dam.column("settlement_point").to_pylist(), dam.column("settlement_point_type").to_pylist(), strict=True)
    )
    assert rt_types["HB_BUSAVG"] == "AH"  # as the real-time report says
    assert rt_types["DC_E"] == "RN"
    assert dam_types["HB_BUSAVG"] == "HU"  # derived from the name: the DAM report has no type column
    assert dam_types["LZ_HOUSTON"] == "LZ"
    assert all(dam_types[node] is None for node in RESOURCE_NODES)
    assert {dam_types[hub] for hub in HUBS} == {"HU"}
    assert {dam_types[zone] for zone in LOAD_ZONES} == {"LZ"}


@pytest.mark.parametrize("day", DST_DAYS)
@pytest.mark.parametrize("origin", ["api", "mis"])
def test_load_by_weather_zone_is_long_with_eight_zones(origin: str, day: dt.date) -> None:
    table, results = parsed("load_weather_zone", day, origin)
    assert table.schema == silver_minus_lineage("load_weather_zone")
    hours = local_day_hours(day)
    assert sum(result.rows_read for result in results) == hours
    per_zone = collections.Counter(table.column("weather_zone").to_pylist())
    assert set(per_zone) == {
        "COAST", "EAST", "FAR_WEST", "NORTH", "NORTH_CENTRAL", "SOUTH_CENTRAL", "SOUTHERN", "WEST"
    }  # fmt: skip
    assert set(per_zone.values()) == {hours}
    assert set(table.column("interval_start_utc").to_pylist()) == grid(day, 60)
    assert duplicate_keys(table, SILVER_TABLES["load_weather_zone"].natural_key) == []
    # the sample's total is the sum of its zones: no note
    assert all(result.notes == [] for result in results)


def _forecast_duplicates_only_in_the_repeated_hour(table: pa.Table, dataset: ErcotDatasetName) -> None:
    """Posting times are Central wall clock without a flag: two postings in the repeated hour share a label and
    resolve to the first occurrence (the schema's rule), so only they can collide."""
    duplicates = duplicate_keys(table, SILVER_TABLES[dataset].natural_key)
    posted_index = SILVER_TABLES[dataset].natural_key.index("posted_at_utc")
    repeated_hour = (dt.datetime(2024, 11, 3, 6, tzinfo=UTC), dt.datetime(2024, 11, 3, 7, tzinfo=UTC))
    assert all(repeated_hour[0] <= key[posted_index] < repeated_hour[1] for key in duplicates)


@pytest.mark.parametrize("day", DST_DAYS)
@pytest.mark.parametrize("origin", ["api", "mis"])
def test_load_forecast_is_long_by_model_zone_and_vintage(origin: str, day: dt.date) -> None:
    table, results = parsed("load_forecast", day, origin)
    assert table.schema == silver_minus_lineage("load_forecast")
    rows_read = sum(result.rows_read for result in results)
    assert table.num_rows == rows_read * 9  # 8 weather zones + the system total
    assert set(table.column("model").to_pylist()) == {"A3", "E", "M"}
    in_use = table.filter(pc.equal(table.column("in_use"), True))
    assert set(in_use.column("model").to_pylist()) == {"E"}
    kinds = collections.Counter(
        zip(table.column("zone_type").to_pylist(), table.column("zone").to_pylist(), strict=True)
    )
    assert ("SYSTEM", "ERCOT") in kinds
    assert {zone for kind, zone in kinds if kind == "WEATHER"} == {
        "COAST", "EAST", "FAR_WEST", "NORTH", "NORTH_CENTRAL", "SOUTH_CENTRAL", "SOUTHERN", "WEST"
    }  # fmt: skip
    own = on_day(table, day)
    assert set(own.column("interval_start_utc").to_pylist()) == grid(day, 60)
    # posting times: API postedDatetime (up to 8 days before), MIS the document's publish date (one per document,
    # during the day itself: the sample posts hourly at :30)
    posted = set(table.column("posted_at_utc").to_pylist())
    day_start, day_end = local_day_bounds_utc(day)
    if origin == "api":
        assert all(day_start - dt.timedelta(days=8) <= value < day_end for value in posted)
        assert {value.minute for value in posted} == {30}
    else:
        assert all(len(result.table.column("posted_at_utc").unique()) == 1 for result in results)
        assert all(day_start <= value < day_end for value in posted)
        assert len(results) == local_day_hours(day)
    _forecast_duplicates_only_in_the_repeated_hour(table, "load_forecast")


@pytest.mark.parametrize("day", DST_DAYS)
@pytest.mark.parametrize("origin", ["api", "mis"])
@pytest.mark.parametrize("dataset", ["wind", "solar"])
def test_wind_and_solar_are_long_by_region(dataset: ErcotDatasetName, origin: str, day: dt.date) -> None:
    table, results = parsed(dataset, day, origin)
    assert table.schema == silver_minus_lineage(dataset)
    regions = ["SYSTEM", "LZ_SOUTH_HOUSTON", "LZ_WEST", "LZ_NORTH"] if dataset == "wind" else ["SYSTEM"]
    rows_read = sum(result.rows_read for result in results)
    assert table.num_rows == rows_read * len(regions)
    assert set(table.column("region").to_pylist()) == set(regions)
    assert set(table.column("resource").to_pylist()) == {dataset.upper()}
    own = on_day(table, day)
    assert set(own.column("interval_start_utc").to_pylist()) == grid(day, 60)
    # hsl only on SYSTEM rows; future actuals are null, forecasts never
    not_system = table.filter(pc.not_equal(table.column("region"), "SYSTEM"))
    assert not_system.column("hsl_mw").null_count == not_system.num_rows
    assert table.column("forecast_mw").null_count == 0
    # (postings inside the repeated fall-back hour are left out: their label resolves to the first occurrence, so
    # the second one's actuals look an hour early)
    outside = pc.invert(pc.equal(pc.hour(table.column("posted_at_utc")), 6))
    future = table.filter(
        pc.and_(pc.greater_equal(table.column("interval_end_utc"), table.column("posted_at_utc")), outside)
    )
    assert future.num_rows > 0
    assert future.column("generation_mw").null_count == future.num_rows
    _forecast_duplicates_only_in_the_repeated_hour(table, dataset)


@pytest.mark.parametrize("day", DST_DAYS)
def test_fuel_mix_dashboard_has_every_five_minutes_of_the_day(day: dt.date) -> None:
    (raw,) = sample_raws("fuel_mix", day, "dashboard")
    result = parse(raw)
    table = result.table
    assert table.schema == silver_minus_lineage("fuel_mix")
    own = on_day(table, day)
    per_fuel = collections.Counter(own.column("fuel").to_pylist())
    assert set(per_fuel) == {
        "COAL_AND_LIGNITE", "HYDRO", "NATURAL_GAS", "NUCLEAR", "OTHER", "POWER_STORAGE", "SOLAR", "WIND"
    }  # fmt: skip
    assert set(per_fuel.values()) == {300 if day == FALL_BACK else 276}
    coal = own.filter(pc.equal(own.column("fuel"), "COAL_AND_LIGNITE"))
    assert set(coal.column("interval_start_utc").to_pylist()) == grid(day, 5)
    assert duplicate_keys(table, SILVER_TABLES["fuel_mix"].natural_key) == []
    assert result.rows_read * 8 == table.num_rows
    assert result.notes == []


def test_parse_raw_dispatches_to_this_parser() -> None:
    (raw,) = sample_raws("spp_dam", FALL_BACK, "api")
    assert parse_raw(raw).table.equals(parse(raw).table)


def test_output_schema_is_the_silver_schema_minus_lineage() -> None:
    for dataset in ("spp_rt", "spp_dam", "load_weather_zone", "load_forecast", "wind", "solar", "fuel_mix"):
        assert output_schema(dataset) == silver_minus_lineage(dataset)  # type: ignore[arg-type]


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
    csv_text = "Delivery Date,Hour Ending,Repeated Hour Flag,Settlement Point,Settlement Point Price\n" + "".join(
        f"11/04/2024,01:00,N,{point},10\n" for point in ("HB_WEST", "LZ_AEN", "LZ_AEN_EW", "SOMENODE_RN")
    )
    types = parse_csv_bytes("spp_dam", csv_text.encode()).table.column("settlement_point_type").to_pylist()
    assert types == ["HU", "LZ", "LZEW", None]


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


# --- the fast CSV path: typed price read, runs, chunked columns, and its fallbacks ------------------------------


def _rt_csv(rows: int, *, point: str = "HB_NORTH", special: dict[int, str] | None = None) -> str:
    """An NP6-905 style CSV of ``rows`` rows on 2024-11-04 (sorted by time, as ERCOT writes them)."""
    lines = [
        "DeliveryDate,DeliveryHour,DeliveryInterval,SettlementPointName,SettlementPointType,SettlementPointPrice,DSTFlag"
    ]
    for row in range(rows):
        quarter = row // 100
        hour, interval = quarter // 4 % 24 + 1, quarter % 4 + 1
        lines.append((special or {}).get(row, f"11/04/2024,{hour},{interval},{point}_{row % 100},HU,{row % 97}.5,N"))
    return "\n".join(lines) + "\n"


def test_a_csv_bigger_than_one_read_block_with_messy_values_late_in_the_file() -> None:
    # GIVEN > 1 MB (several pyarrow blocks) where, far down, a name has spaces around it and a price is padded
    rows = 40_000
    special = {
        35_000: "11/04/2024,15,3, HB_WEST ,HU,       27.04,N",
        35_001: "11/04/2024,15,3,HB_EAST,HU,-12.50,N",
    }
    result = parse_csv_bytes("spp_rt", _rt_csv(rows, special=special).encode())
    table = result.table
    assert table.num_rows == rows
    assert table.column("settlement_point")[35_000].as_py() == "HB_WEST"
    assert table.column("price_usd_mwh")[35_000].as_py() == 27.04
    assert table.column("price_usd_mwh")[35_001].as_py() == -12.5
    starts = table.column("interval_start_utc").to_pylist()
    # HE 15 interval 3 on 2024-11-04 (CST) = 14:30 local = 20:30Z
    assert starts[35_000] == dt.datetime(2024, 11, 4, 20, 30, tzinfo=UTC)
    assert starts[0] == dt.datetime(2024, 11, 4, 6, 0, tzinfo=UTC)
    assert table.column("interval_end_utc").to_pylist()[0] == dt.datetime(2024, 11, 4, 6, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        ("11/04/2024,15,3,HB_WEST,HU,    ,N", "SettlementPointPrice", "empty value"),
        ("11/04/2024,15,3,HB_WEST,HU,0x10,N", "SettlementPointPrice", "'0x10' is not a number"),
        ("11/04/2024,15,3,HB_WEST,HU,,N", "SettlementPointPrice", "empty value"),
        ("11/04/2024,15,3,,HU,1.5,N", "SettlementPointName", "empty value"),
        ("11/04/2024,15,3,   ,HU,1.5,N", "SettlementPointName", "empty value"),
        ("11/31/2024,15,3,HB_WEST,HU,1.5,N", "DeliveryDate", "cannot read"),
        ("11/04/2024,15,3,HB_WEST,HU,1.5,maybe", "DSTFlag", "cannot read"),
        ("11/04/2024,+1,3,HB_WEST,HU,1.5,N", "DeliveryHour", "not a label"),
        ("11/04/2024,007,3,HB_WEST,HU,1.5,N", "DeliveryHour", "not a label"),
    ],
)
def test_a_bad_value_deep_in_a_big_csv_names_its_column_and_row(line: str, column: str, message: str) -> None:
    body = _rt_csv(30_000, special={25_000: line, 27_000: line}).encode()
    with pytest.raises(ParseError) as caught:
        parse_csv_bytes("spp_rt", body)
    assert (caught.value.column, caught.value.row) == (column, 25_001)
    assert message in str(caught.value)


def test_unsorted_csv_rows_give_the_same_table_as_sorted_ones() -> None:
    # GIVEN the same rows in ERCOT's order and shuffled (no runs: the per-row paths answer)
    text = _rt_csv(6_000)
    header, *lines = text.splitlines()
    shuffled = lines[:]
    random.Random(7).shuffle(shuffled)
    sorted_table = parse_csv_bytes("spp_rt", text.encode()).table
    shuffled_table = parse_csv_bytes("spp_rt", ("\n".join([header, *shuffled]) + "\n").encode()).table
    key = ["settlement_point", "interval_start_utc"]
    assert sorted_table.sort_by([(k, "ascending") for k in key]).equals(
        shuffled_table.sort_by([(k, "ascending") for k in key])
    )
