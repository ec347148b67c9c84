"""The sample's yearly files, fetched by the REAL client (the yearly door) and read by the REAL parser: every
interval of the year, where zoneinfo puts it, with the synthetic world's numbers; only complete years served."""

from __future__ import annotations

import collections
import datetime as dt
import random
from collections.abc import Iterator

import httpx
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from energylake.contracts.datasets import ErcotDatasetName
from energylake.contracts.raw import RawReply
from energylake.lake.landing import raw_metadata
from energylake.parse import ParseResult, RawObject, parse_raw
from energylake.sample import SampleServer, ercot_yearly, world
from energylake.settings import Settings
from energylake.sources.ercot import ErcotClient
from energylake.window import Window
from tests.support.yearly_files import CHICAGO, local_hours, zoneinfo_start

SETTINGS = Settings(ercot_requests_per_minute=1e9)
SAMPLE_NOW = dt.datetime(2014, 2, 10, 18, tzinfo=dt.UTC)  # the 2013 files are out, 2014's are not
SEED = 20241103
YEAR = 2013
UTC = dt.UTC


def fetch(dataset: ErcotDatasetName, window: Window, server: SampleServer | None = None) -> list[list[RawReply]]:
    server = server or SampleServer(SETTINGS, now=SAMPLE_NOW, seed=SEED)
    client = ErcotClient(
        SETTINGS,
        credentials=None,  # no login: these years come only from the yearly files
        transport=server.transport(),
        sleep=lambda _: None,
        rng=random.Random(1),
        now=lambda: SAMPLE_NOW,
    )
    with client:
        return list(client.iter_fetch(dataset, window))


def parsed(dataset: ErcotDatasetName, day: str) -> tuple[RawReply, ParseResult]:
    (group,) = fetch(dataset, Window.parse(day, day))
    (reply,) = group
    raw = RawObject(key=f"raw/{dataset}/{YEAR}.zip", dataset=dataset, body=reply.body, metadata=raw_metadata(reply))
    return reply, parse_raw(raw)


def year_hours() -> list[tuple[dt.date, int, bool]]:
    first = dt.date(YEAR, 1, 1)
    days = [first + dt.timedelta(days=n) for n in range(365)]
    return [(day, hour, second) for day in days for hour, second in local_hours(day)]


@pytest.fixture
def two_price_points() -> Iterator[None]:
    """The real-time file with two points instead of fifteen (a full year of all of them takes seconds)."""
    saved = ercot_yearly.PRICE_POINTS
    ercot_yearly.price_workbook.cache_clear()
    ercot_yearly.PRICE_POINTS = ("HB_NORTH", "LZ_WEST")
    try:
        yield
    finally:
        ercot_yearly.PRICE_POINTS = saved
        ercot_yearly.price_workbook.cache_clear()


def test_sample_dam_year_through_the_door_and_the_parser() -> None:
    # GIVEN the sample clock in February 2014 and a day of 2013, no API credentials
    reply, result = parsed("spp_dam", "2013-11-03")
    # THEN the door took the 2013 document of the MIS listing, and the parser read all of it
    assert reply.extra["friendly-name"] == "DAMLZHBSPP_2013" and reply.day == dt.date(YEAR, 1, 1)
    table = result.table
    assert result.notes == [] and result.unknown_columns == []
    hours = year_hours()
    assert len(hours) == 8_760
    assert table.num_rows == 8_760 * len(ercot_yearly.PRICE_POINTS)
    # AND every hour of HB_NORTH is where zoneinfo puts it, at the world's day-ahead price
    north = table.filter(pc.equal(table.column("settlement_point"), "HB_NORTH"))
    starts = north.column("interval_start_utc").to_pylist()
    assert starts == [zoneinfo_start(day, (hour - 1) * 60, second) for day, hour, second in hours]
    prices = north.column("price_usd_mwh").to_pylist()
    for index in range(0, 8_760, 97):
        assert prices[index] == world.dam_price(SEED, "HB_NORTH", starts[index])
    names, types = table.column("settlement_point").to_pylist(), table.column("settlement_point_type").to_pylist()
    kinds = dict(zip(names, types, strict=True))
    assert kinds["HB_HUBAVG"] == "HU" and kinds["LZ_CPS"] == "LZ"


def test_sample_rtm_year_every_quarter_hour_both_load_zone_series(two_price_points: None) -> None:
    _, result = parsed("spp_rt", "2013-03-10")
    table = result.table
    # 35,040 quarter hours; the load zone twice (LZ and LZEW), the hub once
    assert table.num_rows == 35_040 * 3
    counts = collections.Counter(zip(table.column("settlement_point").to_pylist(),
                                     table.column("settlement_point_type").to_pylist(), strict=True))  # fmt: skip
    assert counts == {("HB_NORTH", "HU"): 35_040, ("LZ_WEST", "LZ"): 35_040, ("LZ_WEST", "LZEW"): 35_040}
    zone = table.filter(pc.equal(table.column("settlement_point_type"), "LZ"))
    starts = zone.column("interval_start_utc").to_pylist()
    expected = [
        zoneinfo_start(day, (hour - 1) * 60 + quarter * 15, second)
        for day, hour, second in year_hours()
        for quarter in range(4)
    ]
    assert starts == expected
    prices = zone.column("price_usd_mwh").to_pylist()
    for index in range(0, 35_040, 331):
        assert prices[index] == world.rt_price(SEED, "LZ_WEST", starts[index])
    weighted = table.filter(pc.equal(table.column("settlement_point_type"), "LZEW"))
    assert weighted.column("interval_start_utc").to_pylist() == starts
    same = pc.equal(weighted.column("price_usd_mwh"), zone.column("price_usd_mwh"))
    at_limits = zone.filter(same).column("price_usd_mwh").to_pylist()
    assert set(at_limits) <= {-250.0, 5000.0}  # two different series, equal only at the offer floor or cap


def test_sample_native_load_year_is_the_worlds_zone_load() -> None:
    reply, result = parsed("load_weather_zone", "2013-07-04")
    assert (
        reply.extra["file-name"] == "Native_Load_2013.zip" and reply.extra["source-page"] == "/gridinfo/load/load_hist"
    )
    table = result.table
    assert result.rows_read == 8_760 and table.num_rows == 8_760 * 8
    assert result.notes == []  # the ERCOT column is the zones' sum
    far_west = table.filter(pc.equal(table.column("weather_zone"), "FAR_WEST"))
    starts = far_west.column("interval_start_utc").to_pylist()
    assert starts == [zoneinfo_start(day, (hour - 1) * 60, second) for day, hour, second in year_hours()]
    loads = far_west.column("load_mw").to_pylist()
    for index in range(0, 8_760, 101):
        assert loads[index] == round(world.grid_at(SEED, starts[index]).zone("FAR_WEST"), 2)


def test_sample_fuel_mix_year_in_average_mw() -> None:
    reply, result = parsed("fuel_mix", "2013-11-03")
    assert reply.extra["file-name"] == "IntGenbyFuel2013.xlsx"
    table = result.table
    fuels = collections.Counter(table.column("fuel").to_pylist())
    assert fuels == dict.fromkeys(("BIOMASS", "COAL", "GAS", "GAS_CC", "HYDRO", "NUCLEAR", "OTHER", "SOLAR", "WIND",
                                   "WSL"), 35_040)  # fmt: skip
    assert result.notes == []  # every row's intervals add up to its Total
    nuclear = table.filter(pc.equal(table.column("fuel"), "NUCLEAR"))
    starts = nuclear.column("interval_start_utc").to_pylist()
    assert len(set(starts)) == 35_040
    by_day = collections.Counter(start.astimezone(CHICAGO).date() for start in starts)
    assert (by_day[dt.date(YEAR, 3, 10)], by_day[dt.date(YEAR, 11, 3)], by_day[dt.date(YEAR, 6, 1)]) == (92, 100, 96)
    generation = nuclear.column("generation_mw").to_pylist()
    for index in range(0, 35_040, 503):
        middle = starts[index] + dt.timedelta(minutes=7, seconds=30)
        assert generation[index] == pytest.approx(world.fuel_mix_at(SEED, middle)["Nuclear"], abs=0.001)


def test_only_complete_years_are_served_and_bytes_are_stable() -> None:
    server = SampleServer(SETTINGS, now=SAMPLE_NOW, seed=SEED)
    transport = server.transport()
    with httpx.Client(transport=transport, base_url=SETTINGS.ercot_web_url) as http:
        listing = http.get("/misapp/servlets/IceDocListJsonWS", params={"reportTypeId": "13060"}).json()
        names = [entry["Document"]["FriendlyName"] for entry in listing["ListDocsByRptTypeRes"]["DocumentList"]]
        assert names == [f"DAMLZHBSPP_{year}" for year in range(2013, 2010, -1)]  # newest first, 2011..2013
        page = http.get("/gridinfo/generation").text
        assert "IntGenbyFuel2013.xlsx" in page and "IntGenbyFuel2014" not in page
        assert http.get("/files/docs/2015/01/05/Native_Load_2014.zip").status_code == 404
        assert http.get("/misdownload/servlets/mirDownload", params={"doclookupId": "9130602014"}).status_code == 404
        first = http.get("/files/docs/2014/01/05/Native_Load_2013.zip").content
        assert first == http.get("/files/docs/2014/01/05/Native_Load_2013.zip").content


def test_the_spring_forward_hour_has_no_fuel_mix_cells() -> None:
    # The November sheet carries four "(DST)" columns; March leaves 2:15 .. 3:00 blank on the spring-forward day
    import io

    import python_calamine

    body = ercot_yearly.fuel_mix_workbook(SEED, YEAR)
    book = python_calamine.load_workbook(io.BytesIO(body))
    november = book.get_sheet_by_name("Nov").to_python()
    repeated = [label for label in november[0] if "DST" in str(label)]
    assert repeated == ["1:15 (DST)", "1:30 (DST)", "1:45 (DST)", "2:00 (DST)"]
    march = book.get_sheet_by_name("Mar").to_python()
    header = march[0]
    spring = next(row for row in march[1:] if row[0] == dt.date(YEAR, 3, 10))
    blanks = [header[index] for index, cell in enumerate(spring) if cell == ""]
    assert blanks == ["2:15", "2:30", "2:45", "3:00"]
    assert pa.array([row[3] for row in march[1:]]).null_count == 0
