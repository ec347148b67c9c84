"""The ERCOT parser (energylake.parse.ercot) on the sample source's replies, fetched by the REAL client: API pages,
MIS zips and the fuel-mix dashboard over both 2024 DST days, every dataset through every door."""

from __future__ import annotations

import collections
import datetime as dt
import functools
import itertools
import random
from dataclasses import replace
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from pydantic import SecretStr

from energylake.contracts.datasets import ErcotDatasetName
from energylake.contracts.schemas import SILVER_TABLES
from energylake.lake.landing import raw_metadata
from energylake.parse import ParseResult, RawObject, parse_raw
from energylake.parse.ercot import output_schema, parse
from energylake.sample import SAMPLE_PASSWORD, SAMPLE_SUBSCRIPTION_KEY, SAMPLE_USERNAME, SampleServer
from energylake.sample.ercot_reports import HUBS, LOAD_ZONES, RESOURCE_NODES
from energylake.settings import ErcotCredentials, Settings
from energylake.sources.ercot import ErcotClient
from energylake.sources.ercot.postings import parse_post_datetime, resolve_posted_instants
from energylake.timeconv import local_day_bounds_utc, local_day_hours
from energylake.window import Window
from tests.support.parsing import silver_minus_lineage

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
FORECASTS: tuple[ErcotDatasetName, ...] = ("load_forecast", "wind", "solar")
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


def with_resolved_postings(raws: tuple[RawObject, ...]) -> tuple[RawObject, ...]:
    """The documents with what the fetcher writes from the listing: each posting's instant (``x-posted-at-utc``),
    resolved from docIds and labels by the archive door's own function (the fall-back hour's labels repeat)."""
    listed = [(int(raw.metadata["x-doc-id"]), parse_post_datetime(raw.metadata["x-publish-date"])) for raw in raws]
    instants = resolve_posted_instants(listed)
    return tuple(
        RawObject(raw.key, raw.dataset, raw.body, {**raw.metadata, "x-posted-at-utc": instant.isoformat()})
        for raw, instant in zip(raws, instants, strict=True)
    )


@functools.cache
def parsed(dataset: ErcotDatasetName, day: dt.date, origin: str) -> tuple[pa.Table, tuple[ParseResult, ...]]:
    raws = sample_raws(dataset, day, origin)
    if origin == "mis" and dataset in FORECASTS:
        raws = with_resolved_postings(raws)
    results = tuple(parse(raw) for raw in raws)
    return pa.concat_tables([result.table for result in results]), results


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
    # (real-time: every load zone twice under one name, types LZ and LZEW: two series, both kept)
    per_series = collections.Counter(
        zip(own.column("settlement_point").to_pylist(), own.column("settlement_point_type").to_pylist(), strict=True)
    )
    assert len(per_series) == POINTS + (len(LOAD_ZONES) if dataset == "spp_rt" else 0)
    assert set(per_series.values()) == {local_day_hours(day) * 60 // minutes}
    hub = own.filter(pc.equal(own.column("settlement_point"), "HB_NORTH"))
    assert set(hub.column("interval_start_utc").to_pylist()) == grid(day, minutes)
    ends = pc.subtract(hub.column("interval_end_utc"), hub.column("interval_start_utc")).to_pylist()
    assert set(ends) == {dt.timedelta(minutes=minutes)}
    assert duplicate_keys(table, SILVER_TABLES[dataset].natural_key) == []
    assert set(table.column("market").to_pylist()) == {"RT15" if dataset == "spp_rt" else "DAM"}


@pytest.mark.parametrize("day", DST_DAYS)
def test_rt_prices_have_100_or_92_quarter_hours(day: dt.date) -> None:
    table, _ = parsed("spp_rt", day, "api")
    per_series = collections.Counter(
        zip(
            table.column("settlement_point").to_pylist(), table.column("settlement_point_type").to_pylist(), strict=True
        )
    )
    assert set(per_series.values()) == {100 if day == FALL_BACK else 92}


@pytest.mark.parametrize("origin", ["api", "mis"])
def test_rt_load_zones_keep_both_the_lz_and_the_lzew_series(origin: str) -> None:
    # GIVEN the sample's NP6-905 replies, which list every load zone twice per interval (LZ, then LZEW)
    table, _ = parsed("spp_rt", FALL_BACK, origin)
    own = on_day(table, FALL_BACK)  # (the MIS selection also holds the next day's first interval)
    houston = own.filter(pc.equal(own.column("settlement_point"), "LZ_HOUSTON"))
    # THEN both rows of every interval survive, each with its own type and price
    by_type = {kind: houston.filter(pc.equal(houston.column("settlement_point_type"), kind)) for kind in ("LZ", "LZEW")}
    assert by_type["LZ"].num_rows == by_type["LZEW"].num_rows == 100
    assert by_type["LZ"].column("interval_start_utc").equals(by_type["LZEW"].column("interval_start_utc"))
    assert by_type["LZ"].column("price_usd_mwh") != by_type["LZEW"].column("price_usd_mwh")
    assert houston.column("settlement_point_type").null_count == 0


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
    assert {dam_types[node] for node in RESOURCE_NODES} == {"RN"}  # never null: the type is in the key
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


def _every_vintage_is_its_own(table: pa.Table, results: tuple[ParseResult, ...], dataset: ErcotDatasetName) -> None:
    """Two postings in the repeated fall-back hour share a wall-clock label: told apart (API rows by their order of
    appearance, documents by the fetcher's metadata), no two rows collide on the natural key, nothing is noted."""
    assert duplicate_keys(table, SILVER_TABLES[dataset].natural_key) == []
    assert all(result.notes == [] for result in results)


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
        # hourly postings, each an hour after the one before (the repeated hour's two passes too), give or take the
        # few seconds after the minute that ERCOT (and the sample) post at
        instants = sorted(result.table.column("posted_at_utc")[0].as_py() for result in results)
        assert {round((later - earlier).total_seconds() / 60) for earlier, later in itertools.pairwise(instants)} == {
            60
        }
    _every_vintage_is_its_own(table, results, "load_forecast")


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
    # (the postings of the repeated fall-back hour included: each is dated by its own pass of that hour)
    future = table.filter(pc.greater_equal(table.column("interval_end_utc"), table.column("posted_at_utc")))
    past = table.filter(pc.less(table.column("interval_end_utc"), table.column("posted_at_utc")))
    assert future.num_rows > 0
    assert future.column("generation_mw").null_count == future.num_rows
    assert past.column("generation_mw").null_count == 0
    _every_vintage_is_its_own(table, results, dataset)


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


def test_fall_back_documents_without_the_fetchers_instant_are_noted_not_silently_dated() -> None:
    # GIVEN the fall-back day's load-forecast documents landed without the fetcher's posting instant (raw landed
    # before the MIS client wrote x-posted-at-utc; the client writes it now)
    landed = sample_raws("load_forecast", FALL_BACK, "mis")
    assert all("x-posted-at-utc" in raw.metadata for raw in landed)
    without_instant = [
        replace(raw, metadata={name: value for name, value in raw.metadata.items() if name != "x-posted-at-utc"})
        for raw in landed
    ]
    results = [parse(raw) for raw in without_instant]
    # THEN the two postings of the repeated hour (01:30 CDT and 01:30 CST) are read as CDT, each with a note
    notes = [note for result in results for note in result.notes]
    assert len(notes) == 2
    assert all("repeated fall-back hour" in note for note in notes)
