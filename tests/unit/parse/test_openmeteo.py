"""The Open-Meteo parser: sample replies fetched by the REAL client, hand-made defects, and real reply shapes."""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from energylake.contracts.raw import RawReply
from energylake.contracts.schemas import LINEAGE, UTC_TIMESTAMP, WEATHER
from energylake.contracts.zones import WEATHER_ZONES
from energylake.errors import ParseError
from energylake.lake.landing import raw_metadata
from energylake.parse import RawObject, parse_raw
from energylake.parse.openmeteo import VARIABLE_COLUMNS, parse, parse_locations
from energylake.quality import run_quality
from energylake.sample import SampleServer
from energylake.settings import Settings
from energylake.sources.openmeteo import HOURLY_VARIABLES, OpenMeteoClient
from energylake.timeconv import local_day_bounds_utc, local_day_hours
from energylake.window import Window
from tests.support.paths import realdata_path

NOW = dt.datetime(2024, 11, 20, 15, 0, tzinfo=dt.UTC)
ARCHIVE = "https://archive-api.open-meteo.com/v1/archive"
FALL_BACK_WINDOW = Window(dt.date(2024, 11, 2), dt.date(2024, 11, 4))  # 24 + 25 + 24 Central hours
SILVER_WITHOUT_LINEAGE = pa.schema(
    [pa.field(c.name, c.type, nullable=c.nullable) for c in WEATHER.columns if c not in LINEAGE]
)


def fetch_raw(window: Window) -> RawObject:
    """The raw object the real client lands for ``window`` (one archive reply for all 8 zones)."""
    settings = Settings()
    server = SampleServer(settings, now=NOW)
    with OpenMeteoClient(settings, transport=server.transport(), sleep=lambda _: None, now=lambda: NOW) as client:
        replies: list[RawReply] = [reply for group in client.iter_fetch(window) for reply in group]
    assert len(replies) == 1
    reply = replies[0]
    return RawObject(key="raw/weather/test.json", dataset="weather", body=reply.body, metadata=raw_metadata(reply))


@pytest.fixture(scope="module")
def fall_back_raw() -> RawObject:
    return fetch_raw(FALL_BACK_WINDOW)


def houston_document(**params: str) -> dict[str, Any]:
    """A single-location reply from the sample server (Houston, 2024-11-03 UTC, all variables, m/s)."""
    query = {
        "latitude": "29.76",
        "longitude": "-95.37",
        "hourly": ",".join(HOURLY_VARIABLES),
        "start_date": "2024-11-03",
        "end_date": "2024-11-03",
        "wind_speed_unit": "ms",
        "timezone": "GMT",
        **params,
    }
    server = SampleServer(Settings(), now=NOW)
    with httpx.Client(transport=server.transport()) as client:
        response = client.get(ARCHIVE, params=query)
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def raw_of(document: Any, metadata: dict[str, str] | None = None) -> RawObject:
    return RawObject(
        key="raw/weather/doc.json", dataset="weather", body=orjson.dumps(document), metadata=metadata or {}
    )


def mutated(change: Callable[[dict[str, Any]], None]) -> RawObject:
    document = copy.deepcopy(houston_document())
    change(document)
    return raw_of(document)


# --- the sample source, end to end --------------------------------------------------------------------------------


def test_a_window_with_the_fall_back_day_gives_every_zone_and_central_hour(fall_back_raw: RawObject) -> None:
    # GIVEN the raw object the real client landed for 2024-11-02..04 (UTC dates 11-02..11-05 requested)
    # WHEN parsed through the dataset dispatcher
    result = parse_raw(fall_back_raw)
    table = result.table
    # THEN the table has exactly the silver columns minus lineage, times in UTC
    assert table.schema == SILVER_WITHOUT_LINEAGE
    assert table.schema.field("time_utc").type == UTC_TIMESTAMP
    # AND one row per zone and Central hour, 8 x (24 + 25 + 24), plus the instant closing the window (the last
    #     hour's end, which gold aligns it with); the other UTC hours are dropped with a note
    hours = sum(local_day_hours(day) for day in FALL_BACK_WINDOW.days())
    assert hours == 73
    assert table.num_rows == 8 * (73 + 1)
    assert result.rows_read == 8 * 4 * 24
    assert any("dropped 176 rows" in note for note in result.notes)
    assert result.unknown_columns == []
    # AND each zone covers [Central midnight 11-02, Central midnight 11-05] hour by hour, both ends included
    start, _ = local_day_bounds_utc(dt.date(2024, 11, 2))
    _, end = local_day_bounds_utc(dt.date(2024, 11, 4))
    for zone in WEATHER_ZONES:
        times = table.filter(pc.equal(table["weather_zone"], zone))["time_utc"].to_pylist()
        assert times[0] == start and times[-1] == end, zone
        assert all(b - a == dt.timedelta(hours=1) for a, b in itertools.pairwise(times)), zone


def test_adjacent_windows_share_exactly_the_instant_that_closes_the_first(fall_back_raw: RawObject) -> None:
    # GIVEN the window after the fall-back window, fetched by the real client as a chunked backfill would
    following = fetch_raw(Window(dt.date(2024, 11, 5), dt.date(2024, 11, 6)))
    # WHEN both are parsed
    first, second = parse(fall_back_raw).table, parse(following).table
    # THEN they overlap in exactly one instant per zone, Central midnight 11-05 (06:00Z), the first window's end and
    #      the second's start, with the same values: the first window's last hour can be aligned on its own
    seam = local_day_bounds_utc(dt.date(2024, 11, 5))[0]
    assert seam == dt.datetime(2024, 11, 5, 6, tzinfo=dt.UTC)
    first_times = set(first["time_utc"].to_pylist())
    second_times = set(second["time_utc"].to_pylist())
    assert first_times & second_times == {seam}
    assert max(first_times) == seam == min(second_times)

    def at_seam(table: pa.Table) -> list[dict[str, Any]]:
        rows = table.filter(pc.equal(table["time_utc"], pa.scalar(seam, UTC_TIMESTAMP))).to_pylist()
        return sorted(rows, key=lambda row: row["weather_zone"])

    assert at_seam(first) == at_seam(second)
    assert len(at_seam(first)) == len(WEATHER_ZONES)


def test_values_land_in_the_right_zone_hour_and_column(fall_back_raw: RawObject) -> None:
    # GIVEN the reply JSON and the parsed table
    document = json.loads(fall_back_raw.body)
    table = parse(fall_back_raw).table
    # THEN the 5th location (NORTH_CENTRAL) at 2024-11-03T07:00 GMT (01:00 CST, the repeated hour) matches the JSON
    hourly = document[4]["hourly"]
    position = hourly["time"].index("2024-11-03T07:00")
    row = table.filter(
        pc.and_(
            pc.equal(table["weather_zone"], "NORTH_CENTRAL"),
            pc.equal(table["time_utc"], pa.scalar(dt.datetime(2024, 11, 3, 7, tzinfo=dt.UTC), UTC_TIMESTAMP)),
        )
    ).to_pylist()
    assert len(row) == 1
    for variable, column in VARIABLE_COLUMNS.items():
        assert row[0][column] == pytest.approx(hourly[variable][position]), variable


def test_the_parsed_sample_passes_the_quality_gate(fall_back_raw: RawObject) -> None:
    # GIVEN the parsed fall-back window WHEN gated with every window day expected
    outcome = run_quality("weather", parse(fall_back_raw).table, expected_days=FALL_BACK_WINDOW.days())
    # THEN it passes: 25 hours on 11-03 for every zone, nothing rejected (the closing instant, on 11-05, is a day
    #      the gate does not enforce)
    assert outcome.passed, outcome.report
    assert outcome.report["rows"] == {
        "in": 592,
        "kept": 592,
        "rejected": 0,
        "rejected_fraction": 0.0,
        "max_rejected_fraction": 0.01,
    }
    fall_back = next(day for day in outcome.report["days"] if day["day"] == "2024-11-03")
    assert (fall_back["expected_per_entity"], fall_back["min_count"], fall_back["entities"]) == (25, 25, 8)


# --- single object, unixtime, zones -------------------------------------------------------------------------------


def test_a_single_object_reply_without_metadata_gets_the_nearest_zone() -> None:
    # GIVEN a lone object for Houston's grid cell and no lake metadata (no x-zones, no window)
    result = parse(raw_of(houston_document()))
    # THEN every UTC hour is kept, all in COAST
    assert result.table.num_rows == 24
    assert set(result.table["weather_zone"].to_pylist()) == {"COAST"}
    assert result.table["time_utc"][0].as_py() == dt.datetime(2024, 11, 3, tzinfo=dt.UTC)
    assert result.notes == []


def test_unixtime_replies_give_the_same_instants_as_iso_ones() -> None:
    # GIVEN the same reply with epoch seconds (timeformat=unixtime)
    iso = houston_document()
    epoch = copy.deepcopy(iso)
    epoch["hourly"]["time"] = [
        int(dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp()) for text in iso["hourly"]["time"]
    ]
    epoch["hourly_units"]["time"] = "unixtime"
    # WHEN both are parsed THEN the tables are equal
    assert parse(raw_of(epoch)).table.equals(parse(raw_of(iso)).table)


def test_x_zones_assigns_by_position_and_refuses_a_misordered_list(fall_back_raw: RawObject) -> None:
    # GIVEN the landed metadata with COAST and EAST swapped
    zones = fall_back_raw.metadata["x-zones"].split(",")
    zones[0], zones[1] = zones[1], zones[0]
    swapped = RawObject(
        fall_back_raw.key, "weather", fall_back_raw.body, {**fall_back_raw.metadata, "x-zones": ",".join(zones)}
    )
    # THEN the location that is not where its zone is gets named
    with pytest.raises(ParseError, match=r"location 0 \(29\.75,.*listed as EAST"):
        parse(swapped)
    # AND a list of the wrong length is refused
    short = RawObject(fall_back_raw.key, "weather", fall_back_raw.body, {"x-zones": "COAST,EAST"})
    with pytest.raises(ParseError, match="names 2 zones but the reply holds 8"):
        parse(short)


@pytest.mark.parametrize(
    ("start", "end"),
    [("2024-11-04", "2024-11-03"), ("11/03/2024", "2024-11-03"), ("2024-11-03", "2024-02-30")],
    ids=["end-before-start", "not-iso", "impossible-date"],
)
def test_a_bad_window_in_the_raw_metadata_is_named(fall_back_raw: RawObject, start: str, end: str) -> None:
    # GIVEN landed metadata whose window cannot be a window of operating days
    metadata = {**fall_back_raw.metadata, "x-window-start": start, "x-window-end": end}
    # THEN parsing refuses it, naming the metadata, rather than trimming to a guess
    with pytest.raises(ParseError, match=r"x-window-start/x-window-end .* are not a window of ISO dates"):
        parse(RawObject(fall_back_raw.key, "weather", fall_back_raw.body, metadata))


def test_a_location_far_from_every_zone_point_is_refused() -> None:
    # GIVEN a reply for Amarillo (Panhandle: no zone point within half a degree)
    def move(document: dict[str, Any]) -> None:
        document["latitude"], document["longitude"] = 35.2, -101.8

    # THEN the error names the location
    with pytest.raises(ParseError, match=r"location 0 \(35\.2,-101\.8\) is no weather zone's point"):
        parse(mutated(move))


def test_two_locations_of_the_same_zone_are_refused() -> None:
    document = houston_document()
    with pytest.raises(ParseError, match="both belong to weather zone COAST"):
        parse(raw_of([document, document]))


# --- the contract -------------------------------------------------------------------------------------------------


def test_a_reply_not_in_gmt_is_refused() -> None:
    def shift(document: dict[str, Any]) -> None:
        document["utc_offset_seconds"] = -21600
        document["timezone"] = "America/Chicago"

    with pytest.raises(ParseError, match="utc_offset_seconds=-21600") as caught:
        parse(mutated(shift))
    assert caught.value.column == "utc_offset_seconds"


def test_wind_in_kmh_is_a_unit_error_naming_the_variable() -> None:
    # GIVEN a reply asked without wind_speed_unit=ms (the API default is km/h)
    raw = raw_of(houston_document(wind_speed_unit="kmh"))
    # THEN the error names the variable and the unit
    with pytest.raises(ParseError, match=r"wind_speed_10m is in unit 'km/h', expected m/s") as caught:
        parse(raw)
    assert caught.value.column == "wind_speed_10m"


def test_a_temperature_in_fahrenheit_is_a_unit_error() -> None:
    def fahrenheit(document: dict[str, Any]) -> None:
        document["hourly_units"]["apparent_temperature"] = "°F"

    with pytest.raises(ParseError, match="apparent_temperature is in unit '°F', expected °C"):
        parse(mutated(fahrenheit))


def test_a_missing_requested_variable_is_an_error_naming_it() -> None:
    def drop(document: dict[str, Any]) -> None:
        del document["hourly"]["dew_point_2m"]
        del document["hourly_units"]["dew_point_2m"]

    with pytest.raises(ParseError, match="lacks the requested hourly variable dew_point_2m") as caught:
        parse(mutated(drop))
    assert caught.value.column == "dew_point_2m"


def test_arrays_of_unequal_length_are_refused() -> None:
    def shorten(document: dict[str, Any]) -> None:
        document["hourly"]["cloud_cover"].pop()

    with pytest.raises(ParseError, match=r"hourly\.cloud_cover has 23 values but hourly\.time has 24"):
        parse(mutated(shorten))


def test_extra_variables_are_left_out_and_reported() -> None:
    def extra(document: dict[str, Any]) -> None:
        document["hourly"]["snow_depth"] = [0.0] * 24
        document["hourly_units"]["snow_depth"] = "m"
        document["daily"] = {"time": ["2024-11-03"]}

    result = parse(mutated(extra))
    assert result.unknown_columns == ["snow_depth"]
    assert result.table.schema == SILVER_WITHOUT_LINEAGE
    assert result.notes == ["ignored blocks: daily"]


def test_null_values_are_kept_as_nulls() -> None:
    # GIVEN the archive's nulls for the latest hours
    def nulls(document: dict[str, Any]) -> None:
        for name in HOURLY_VARIABLES:
            document["hourly"][name][-3:] = [None, None, None]

    table = parse(mutated(nulls)).table
    # THEN every row is there, the last 3 hours null in every variable column
    assert table.num_rows == 24
    for column in VARIABLE_COLUMNS.values():
        assert table[column].null_count == 3, column
        assert table[column][20].as_py() is not None


def test_a_bad_time_and_a_non_number_name_the_row() -> None:
    def bad_time(document: dict[str, Any]) -> None:
        document["hourly"]["time"][5] = "2024-11-03 05:00"

    def bad_value(document: dict[str, Any]) -> None:
        document["hourly"]["precipitation"][7] = "n/a"

    with pytest.raises(ParseError, match="not YYYY-MM-DDTHH:MM") as caught:
        parse(mutated(bad_time))
    assert caught.value.row == 6
    with pytest.raises(ParseError, match=r"hourly\.precipitation holds a non-number 'n/a'") as caught:
        parse(mutated(bad_value))
    assert caught.value.row == 8


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>oops</html>", "not JSON"),
        (b'{"error": true, "reason": "Cannot initialize"}', "error reply: Cannot initialize"),
        (b"[]", "no location"),
        (b"42", "got int"),
    ],
)
def test_bodies_that_are_not_replies_are_refused(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse(RawObject("k", "weather", body, {}))


# --- real reply shapes (not Texas: read through parse_locations) ---------------------------------------------------


@pytest.mark.realdata
def test_a_real_archive_reply_reads_with_its_offset_and_units() -> None:
    # GIVEN python-open-meteo's archive fixture (Netherlands, Europe/Amsterdam = +7200 s, wind in km/h)
    body = realdata_path("openmeteo_response_shapes", "historical_weather.frenck_fixture.json").read_bytes()
    # WHEN its shape is read
    (location,) = parse_locations(body)
    # THEN local times become UTC instants (00:00 +02:00 -> 22:00Z the day before) and every variable is read
    assert location.utc_offset_seconds == 7200
    assert location.table["time_utc"].to_pylist() == [
        dt.datetime(1953, 1, 30, 22, tzinfo=dt.UTC),
        dt.datetime(1953, 1, 30, 23, tzinfo=dt.UTC),
        dt.datetime(1953, 1, 31, 0, tzinfo=dt.UTC),
    ]
    assert location.variables == ("temperature_2m", "wind_speed_10m", "soil_moisture_index_0_to_7cm")
    assert location.table["temperature_2m"].to_pylist() == [5.8, 5.5, 5.1]
    assert location.units["wind_speed_10m"] == "km/h"
    assert location.other_blocks == ("daily",)
    # AND the contract refuses it as an energylake reply (not GMT)
    with pytest.raises(ParseError, match="utc_offset_seconds=7200"):
        parse(RawObject("k", "weather", body, {}))


@pytest.mark.realdata
def test_per_model_keys_are_unknown_columns_unless_the_plain_key_is_missing() -> None:
    # GIVEN the multi-model fixture (temperature_2m_<model> keys, no plain temperature_2m)
    real: dict[str, Any] = json.loads(
        realdata_path("openmeteo_response_shapes", "forecast_models.frenck_fixture.json").read_text()
    )
    (location,) = parse_locations(real)
    assert "temperature_2m_gfs_seamless" in location.variables
    assert location.other_blocks == ("current", "minutely_15", "daily")
    # WHEN the plain variable is asked for THEN the error points at the per-model keys
    with pytest.raises(ParseError, match=r"lacks the hourly variable temperature_2m \(the reply has per-model keys"):
        parse_locations(real, variables=["temperature_2m"])
    # GIVEN the same shape, in GMT at Houston, with every plain variable added
    gmt = copy.deepcopy(real)
    gmt.update(latitude=29.76, longitude=-95.37, utc_offset_seconds=0, timezone="GMT")
    hours = len(gmt["hourly"]["time"])
    for name, unit in houston_document()["hourly_units"].items():
        if name != "time":
            gmt["hourly"][name] = [1.0] * hours
            gmt["hourly_units"][name] = unit
    # THEN it parses, the per-model keys listed as unknown columns
    result = parse(raw_of(gmt))
    assert result.table.num_rows == hours
    assert "temperature_2m_gfs_seamless" in result.unknown_columns
    assert "weather_code_icon_seamless" in result.unknown_columns
    # AND without the plain temperature_2m it is a ParseError
    del gmt["hourly"]["temperature_2m"]
    with pytest.raises(ParseError, match="temperature_2m_icon_seamless"):
        parse(raw_of(gmt))
