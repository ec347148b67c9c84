"""energylake.plan: which door serves each operating day of a long window, the requests that implies (counted the way
the clients send them, checked against hand counts), and the least time ERCOT's and Open-Meteo's limits allow.

The plan is pure: every test fixes ``today``. Hand counts in comments are the arithmetic the assertion checks.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from energylake.contracts.datasets import ALL_DATASETS, CATALOG
from energylake.plan import (
    DatasetPlan,
    DoorPlan,
    FetchPlan,
    archive_documents,
    backfill_chunks,
    documents_on,
    fixed_chunks,
    open_meteo_call_weight,
    plan_fetch,
)
from energylake.settings import Settings
from energylake.sources.openmeteo import plan_requests
from energylake.window import Window

TODAY = dt.date(2024, 11, 20)  # Central; the data endpoints reach back to 2024-08-22 (90 days)
DAY = dt.timedelta(days=1)
CHICAGO = ZoneInfo("America/Chicago")


def fetch_plan(
    start: dt.date,
    end: dt.date,
    *datasets: str,
    credentials: bool = True,
    today: dt.date = TODAY,
    chunk_days: int | None = None,
    **overrides: object,
) -> FetchPlan:
    window = Window(start, end)
    chunks = backfill_chunks(window, datasets, today=today, credentials=credentials, chunk_days=chunk_days)
    return plan_fetch(
        window, datasets, today=today, credentials=credentials, settings=Settings(**overrides), chunks=chunks
    )


def only(plan: FetchPlan) -> DatasetPlan:
    assert len(plan.datasets) == 1
    return plan.datasets[0]


def doors(plan: DatasetPlan) -> dict[str, list[str]]:
    return {door.door: [str(span) for span in door.spans] for door in plan.doors}


def door(plan: DatasetPlan, name: str) -> DoorPlan:
    return next(door for door in plan.doors if door.door == name)


# ----------------------------------------------------------------------------------------------------------------
# Doors at each boundary (the client's own rule: sources/ercot/doors.py)
# ----------------------------------------------------------------------------------------------------------------


def test_the_data_endpoints_serve_the_last_90_days_and_the_archive_the_day_before() -> None:
    # GIVEN day-ahead prices from 92 to 89 days ago, with credentials
    result = only(fetch_plan(TODAY - 92 * DAY, TODAY - 89 * DAY, "spp_dam"))
    # THEN days 92 and 91 come from the archive, days 90 and 89 from the data endpoints
    assert doors(result) == {
        "ercot-archive": ["2024-08-20..2024-08-21"],
        "ercot-api": ["2024-08-22..2024-08-23"],
    }
    assert result.unreachable == ()


def test_the_archive_starts_on_its_first_day_and_the_yearly_file_serves_the_days_before() -> None:
    result = only(fetch_plan(dt.date(2014, 4, 29), dt.date(2014, 5, 2), "spp_rt"))
    assert doors(result) == {"ercot-yearly": ["2014-04-29..2014-04-30"], "ercot-archive": ["2014-05-01..2014-05-02"]}


def test_days_before_the_first_yearly_file_are_unreachable_and_say_why() -> None:
    result = only(fetch_plan(dt.date(2010, 12, 30), dt.date(2011, 1, 2), "spp_rt"))
    assert doors(result) == {"ercot-yearly": ["2011-01-01..2011-01-02"]}
    [gap] = result.unreachable
    assert str(gap.span) == "2010-12-30..2010-12-31"
    assert "yearly NP6-785-ER files cover 2011..2023" in gap.reason


def test_the_current_year_has_no_yearly_file_yet() -> None:
    # GIVEN the fuel mix across New Year of the current year (2024): only the dashboard's two days are served
    result = only(fetch_plan(dt.date(2023, 12, 30), dt.date(2024, 1, 2), "fuel_mix"))
    assert doors(result) == {"ercot-yearly": ["2023-12-30..2023-12-31"]}
    [gap] = result.unreachable
    assert str(gap.span) == "2024-01-01..2024-01-02"
    assert "cover 2011..2023" in gap.reason and "dashboard covers 2024-11-19..2024-11-20" in gap.reason


def test_the_dashboard_serves_yesterday_and_today_in_one_request() -> None:
    result = only(fetch_plan(TODAY - 3 * DAY, TODAY, "fuel_mix"))
    assert doors(result) == {"ercot-dashboard": ["2024-11-19..2024-11-20"]}
    assert [str(gap.span) for gap in result.unreachable] == ["2024-11-17..2024-11-18"]
    assert door(result, "ercot-dashboard").requests == 1
    assert result.tokens == 0  # no login


def test_without_credentials_only_the_last_five_days_come_from_mis_and_older_ones_say_what_to_set() -> None:
    result = only(fetch_plan(TODAY - 7 * DAY, TODAY - DAY, "spp_rt", credentials=False))
    assert doors(result) == {"ercot-mis": ["2024-11-15..2024-11-19"]}
    [gap] = result.unreachable
    assert str(gap.span) == "2024-11-13..2024-11-14"
    assert "ENERGYLAKE_ERCOT_USERNAME" in gap.reason
    # 1 listing of the report type + 5 days x 96 interval documents, no token
    assert (door(result, "ercot-mis").listings, door(result, "ercot-mis").downloads) == (1, 480)
    assert result.requests == 481


def test_days_after_today_are_unreachable_apart_from_older_ones() -> None:
    # GIVEN the fuel mix (no data endpoint) from three days ago to two days ahead
    result = only(fetch_plan(TODAY - 3 * DAY, TODAY + 2 * DAY, "fuel_mix"))
    # THEN the past and the future gaps are listed apart, each with its own reason
    past, future = result.unreachable
    assert (str(past.span), str(future.span)) == ("2024-11-17..2024-11-18", "2024-11-21..2024-11-22")
    assert "dashboard covers" in past.reason
    assert "is after today (2024-11-20)" in future.reason


def test_the_data_endpoints_answer_for_days_ahead_as_the_client_asks_them() -> None:
    # day-ahead prices for tomorrow are posted today: the door rule sends days ahead to the data endpoints
    result = only(fetch_plan(TODAY, TODAY + DAY, "spp_dam"))
    assert doors(result) == {"ercot-api": ["2024-11-20..2024-11-21"]}


# ----------------------------------------------------------------------------------------------------------------
# Documents on DST days
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dataset", "day", "documents"),
    [
        ("spp_rt", dt.date(2024, 11, 3), 100),  # fall back: 25 hours of 15-minute intervals
        ("spp_rt", dt.date(2024, 3, 10), 92),  # spring forward: 23 hours
        ("spp_rt", dt.date(2024, 11, 4), 96),
        ("load_forecast", dt.date(2024, 11, 3), 25),  # hourly postings
        ("wind", dt.date(2024, 3, 10), 23),
        ("spp_dam", dt.date(2024, 11, 3), 1),  # one document per operating day, whatever its length
    ],
)
def test_documents_follow_the_length_of_the_day(dataset: str, day: dt.date, documents: int) -> None:
    archive = CATALOG[dataset].archive  # type: ignore[index]
    assert archive is not None
    assert documents_on(archive, day) == documents


def test_the_fall_back_day_takes_its_100_real_time_documents_from_the_archive() -> None:
    result = only(fetch_plan(dt.date(2023, 11, 5), dt.date(2023, 11, 5), "spp_rt"))
    archive = door(result, "ercot-archive")
    assert (archive.documents, archive.listings, archive.downloads, result.tokens) == (100, 1, 1, 1)


@settings(max_examples=60, deadline=None)
@given(
    start=st.dates(dt.date(2014, 5, 1), dt.date(2024, 6, 1)),
    days=st.integers(1, 400),
)
def test_interval_documents_are_the_quarter_hours_zoneinfo_counts(start: dt.date, days: int) -> None:
    # GIVEN any span of real-time operating days WHEN the archive's documents are counted
    span = Window(start, start + (days - 1) * DAY)
    archive = CATALOG["spp_rt"].archive
    assert archive is not None
    # THEN they are the span's quarter hours, counted independently from zoneinfo (midnight to midnight, in UTC)
    first = dt.datetime.combine(span.start, dt.time(0), tzinfo=CHICAGO).astimezone(dt.UTC)
    last = dt.datetime.combine(span.end + DAY, dt.time(0), tzinfo=CHICAGO).astimezone(dt.UTC)
    assert archive_documents(archive, span, today=TODAY) == (last - first) // dt.timedelta(minutes=15)


# ----------------------------------------------------------------------------------------------------------------
# Request arithmetic against hand counts
# ----------------------------------------------------------------------------------------------------------------


def test_archive_listing_pages_and_bulk_downloads_hold_at_most_1000_documents() -> None:
    # January 2024: 31 days x 96 = 2,976 documents -> 3 listing pages + 3 bulk downloads + 1 token = 7 requests
    result = only(fetch_plan(dt.date(2024, 1, 1), dt.date(2024, 1, 31), "spp_rt"))
    archive = door(result, "ercot-archive")
    assert (archive.documents, archive.listings, archive.downloads) == (2976, 3, 3)
    assert (result.tokens, result.requests) == (1, 7)


def test_daily_documents_fill_a_bulk_download_for_years() -> None:
    # 2015-01-01..2017-09-27: 1,001 operating days x 1 document -> 2 listing pages + 2 downloads + 1 token
    result = only(fetch_plan(dt.date(2015, 1, 1), dt.date(2017, 9, 27), "spp_dam"))
    archive = door(result, "ercot-archive")
    assert (archive.days, archive.documents, archive.requests, result.requests) == (1001, 1001, 4, 5)


def test_a_vintage_report_takes_the_postings_of_the_days_around_the_window() -> None:
    # Load forecast 2024-01-10..16: postings of 01-03..01-16 (7 days before) = 14 days x 24 = 336 documents
    load_forecast = only(fetch_plan(dt.date(2024, 1, 10), dt.date(2024, 1, 16), "load_forecast"))
    assert door(load_forecast, "ercot-archive").documents == 336
    assert load_forecast.requests == 3  # 1 listing + 1 download + 1 token
    # Wind: 7 days before and 2 after: 01-03..01-18 = 16 days x 24 = 384
    wind = only(fetch_plan(dt.date(2024, 1, 10), dt.date(2024, 1, 16), "wind"))
    assert door(wind, "ercot-archive").documents == 384
    # ... but never before the product's first posting (2014-08-08): 08-08..08-10 = 72
    first = only(fetch_plan(dt.date(2014, 8, 8), dt.date(2014, 8, 10), "load_forecast"))
    assert door(first, "ercot-archive").documents == 72


def test_chunks_fetch_the_shared_vintage_postings_again() -> None:
    # Two 7-day chunks of the load forecast: each lists and downloads its own 14 posting days (336 documents); the
    # second chunk's client uses the token the first one fetched (one per process)
    result = only(fetch_plan(dt.date(2024, 1, 10), dt.date(2024, 1, 23), "load_forecast", chunk_days=7))
    archive = door(result, "ercot-archive")
    assert (archive.documents, archive.listings, archive.downloads, result.tokens) == (672, 2, 2, 1)


def test_data_endpoint_pages_follow_the_estimated_rows_and_the_page_size() -> None:
    # 3 recent real-time days: 96,000 rows a day fit one 100,000-row page -> 3 pages + 1 token
    recent = (dt.date(2024, 11, 2), dt.date(2024, 11, 4))
    assert only(fetch_plan(*recent, "spp_rt")).requests == 4
    # with 50,000-row pages every day takes 2
    assert door(only(fetch_plan(*recent, "spp_rt", ercot_page_size=50_000)), "ercot-api").downloads == 6
    # with 96,000-row pages only the fall-back day (100 intervals: 100,000 rows) needs a second page
    assert door(only(fetch_plan(*recent, "spp_rt", ercot_page_size=96_000)), "ercot-api").downloads == 4
    # actual load is 24 rows a day: one page
    assert door(only(fetch_plan(*recent, "load_weather_zone")), "ercot-api").downloads == 3


def test_mis_lists_each_report_type_once_per_client() -> None:
    # 5 days in 1-day chunks: 5 clients, each listing once; 5 x 1 document of day-ahead prices
    result = only(fetch_plan(TODAY - 5 * DAY, TODAY - DAY, "spp_dam", credentials=False, chunk_days=1))
    assert (door(result, "ercot-mis").listings, door(result, "ercot-mis").downloads) == (5, 5)


def test_yearly_files_are_one_look_up_per_product_and_one_download_per_year() -> None:
    window = (dt.date(2011, 1, 1), dt.date(2014, 4, 30))
    # real-time prices: NP6-785-ER's MIS listing (once per process, whatever the chunks: here 4 calendar-year
    # chunks) + 1 download a year
    spp_rt = door(only(fetch_plan(*window, "spp_rt", chunk_days=7)), "ercot-yearly")
    assert (spp_rt.listings, spp_rt.downloads, spp_rt.documents) == (1, 4, 4)
    # native load is a website file: the page linking it, then the file; in one fetch, the page is read once
    load = door(only(fetch_plan(*window, "load_weather_zone")), "ercot-yearly")
    assert (load.listings, load.downloads) == (1, 4)
    # the fuel mix 2011..2023 in one fetch (2024 is the current year): 1 page + 13 files, no token (no login)
    fuel = only(fetch_plan(dt.date(2011, 1, 1), dt.date(2023, 12, 31), "fuel_mix"))
    assert (fuel.requests, fuel.tokens) == (14, 0)


def test_weekly_chunks_of_one_year_look_its_file_up_and_download_it_once() -> None:
    # GIVEN the fuel mix (yearly files) and real-time prices (archive) over four weeks of 2015, in weekly chunks
    plan = fetch_plan(dt.date(2015, 2, 2), dt.date(2015, 3, 1), "spp_rt", "fuel_mix", chunk_days=7)
    spp_rt, fuel_mix = plan.datasets
    # THEN the process looks the 2015 file up once and downloads it once: the other chunks' clients reuse both
    assert (door(fuel_mix, "ercot-yearly").listings, door(fuel_mix, "ercot-yearly").downloads) == (1, 1)
    # AND one token serves every chunk's archive requests (4 x (1 listing + 1 download) + 1 token)
    assert (spp_rt.tokens, spp_rt.requests, fuel_mix.tokens) == (1, 9, 0)


def test_crossing_new_year_downloads_each_year_once_and_keeps_only_the_last() -> None:
    # GIVEN weekly chunks of the fuel mix and real-time prices 2015-12-21..2016-01-17 (a chunk holds both years)
    plan = fetch_plan(dt.date(2015, 12, 21), dt.date(2016, 1, 17), "spp_rt", "fuel_mix", chunk_days=7)
    fuel = door(plan.datasets[1], "ercot-yearly")
    # THEN one look-up, and 2015's and 2016's files once each (the chunk crossing New Year downloads both)
    assert (fuel.listings, fuel.downloads) == (1, 2)


def test_tokens_are_per_process_and_renewed_every_55_minutes_of_requests() -> None:
    # GIVEN 2015's real-time prices from the archive in 53 weekly chunks: 2 requests each, 106 in all
    def tokens(per_minute: float) -> int:
        year = (dt.date(2015, 1, 1), dt.date(2015, 12, 31))
        result = only(fetch_plan(*year, "spp_rt", chunk_days=7, ercot_requests_per_minute=per_minute))
        assert door(result, "ercot-archive").requests == 106
        return result.tokens

    # THEN at 30 a minute (3.6 minutes) one token serves all 53 clients
    assert tokens(30) == 1
    # AND at 1 a minute (108 minutes with the tokens) the token is renewed once, at minute 55
    assert tokens(1) == 2


def test_a_client_renews_its_token_after_55_minutes_of_requests() -> None:
    # 2014-05-01..2024-06-30 of real-time prices in one fetch: 3,714 days, 356,544 documents -> 357 listing pages +
    # 357 downloads = 714 requests; at 10 a minute that is 71.4 minutes: 2 tokens
    result = only(fetch_plan(dt.date(2014, 5, 1), dt.date(2024, 6, 30), "spp_rt", ercot_requests_per_minute=10))
    assert door(result, "ercot-archive").requests == 714
    assert result.tokens == 2


def test_open_meteo_counts_more_than_ten_variables_and_two_weeks_as_several_calls() -> None:
    # GIVEN 28 archived days: two requests of 14 Central days, each asking 15 UTC dates of 11 variables at 8 points
    plan = fetch_plan(dt.date(2024, 1, 1), dt.date(2024, 1, 28), "weather")
    weather = door(only(plan), "open-meteo-archive")
    assert weather.requests == 2
    # THEN each counts 8 x 1.1 x 15/14 calls
    assert weather.calls == pytest.approx(2 * 8 * 1.1 * 15 / 14)
    assert plan.ercot_requests == 0 and plan.open_meteo_requests == 2
    assert plan.open_meteo_minutes == pytest.approx(weather.calls / 600)


def test_a_short_open_meteo_request_still_counts_its_variables() -> None:
    [request] = plan_requests(Window(dt.date(2024, 1, 1), dt.date(2024, 1, 1)), Settings(), TODAY)
    assert open_meteo_call_weight(request, locations=8, variables=11) == pytest.approx(8.8)
    assert open_meteo_call_weight(request, locations=1, variables=3) == 1.0


def test_open_meteo_free_tier_hours_and_days_bound_the_time_and_a_key_lifts_them() -> None:
    weather = DatasetPlan("weather", (DoorPlan("open-meteo-archive", (), downloads=1200, calls=12_000.0),))

    def with_key(free_tier: bool) -> FetchPlan:
        return FetchPlan(Window(TODAY, TODAY), TODAY, True, 1, (weather,), 30.0, 600.0, free_tier)

    # 12,000 calls: 20 minutes at 600 a minute, but the free tier's 10,000 a day push the rest into a second day
    assert with_key(True).open_meteo_minutes == 1440.0
    assert with_key(False).open_meteo_minutes == pytest.approx(20.0)


# ----------------------------------------------------------------------------------------------------------------
# Chunks
# ----------------------------------------------------------------------------------------------------------------


def test_chunks_are_cut_where_reachability_changes_and_years_where_only_yearly_files_serve() -> None:
    window = Window(dt.date(2013, 12, 30), dt.date(2014, 8, 20))
    chunks = backfill_chunks(
        window, ["spp_rt", "load_forecast", "weather"], today=TODAY, credentials=True, chunk_days=60
    )
    assert [(str(chunk.window), chunk.datasets) for chunk in chunks] == [
        # every ERCOT dataset here comes from yearly files: calendar years
        ("2013-12-30..2013-12-31", ("spp_rt", "weather")),
        ("2014-01-01..2014-04-30", ("spp_rt", "weather")),
        # the archive: at most 60 days, cut where the load forecast's archive starts
        ("2014-05-01..2014-06-29", ("spp_rt", "weather")),
        ("2014-06-30..2014-08-07", ("spp_rt", "weather")),
        ("2014-08-08..2014-08-20", ("spp_rt", "load_forecast", "weather")),
    ]


@settings(max_examples=40, deadline=None)
@given(
    start=st.dates(dt.date(2010, 6, 1), dt.date(2024, 12, 31)),
    days=st.integers(1, 900),
    chunk_days=st.integers(1, 40),
    credentials=st.booleans(),
    datasets=st.sets(st.sampled_from(ALL_DATASETS), min_size=1),
)
def test_chunks_cover_the_window_once_and_fetch_only_what_a_door_reaches(
    start: dt.date, days: int, chunk_days: int, credentials: bool, datasets: set[str]
) -> None:
    window = Window(start, start + (days - 1) * DAY)
    chunks = backfill_chunks(window, sorted(datasets), today=TODAY, credentials=credentials, chunk_days=chunk_days)
    # THEN the chunks tile the window in order
    assert chunks[0].window.start == window.start and chunks[-1].window.end == window.end
    assert all(a.window.end + DAY == b.window.start for a, b in itertools.pairwise(chunks))
    plan = plan_fetch(
        window, sorted(datasets), today=TODAY, credentials=credentials, settings=Settings(), chunks=chunks
    )
    for chunk in chunks:
        # each is at most chunk_days long, or within one calendar year
        assert chunk.window.days_count <= chunk_days or chunk.window.start.year == chunk.window.end.year
    # AND every day of every dataset is either served by one door or listed as unreachable
    for dataset in plan.datasets:
        assert sum(door.days for door in dataset.doors) + dataset.unreachable_days == window.days_count


def test_fixed_chunks_drop_a_dataset_from_a_chunk_holding_a_day_no_door_reaches() -> None:
    window = Window(dt.date(2014, 8, 4), dt.date(2014, 8, 17))
    chunks = fixed_chunks(window, ["load_forecast", "spp_dam"], today=TODAY, credentials=True, chunk_days=7)
    # 08-04..08-10 holds days before the load forecast's archive (08-08): only spp_dam can fetch it
    assert [(str(chunk.window), chunk.datasets) for chunk in chunks] == [
        ("2014-08-04..2014-08-10", ("spp_dam",)),
        ("2014-08-11..2014-08-17", ("spp_dam", "load_forecast")),
    ]


def test_a_chunk_a_dataset_cannot_reach_is_refused_by_the_planner() -> None:
    window = Window(dt.date(2012, 1, 1), dt.date(2012, 1, 2))
    from energylake.plan import BackfillChunk

    with pytest.raises(ValueError, match="load_forecast is not reachable on 2012-01-01"):
        plan_fetch(
            window,
            ["load_forecast"],
            today=TODAY,
            credentials=True,
            settings=Settings(),
            chunks=[BackfillChunk(window, ("load_forecast",))],
        )


# ----------------------------------------------------------------------------------------------------------------
# 2011 to now
# ----------------------------------------------------------------------------------------------------------------

NOW = dt.date(2026, 12, 6)
HISTORY = Window(dt.date(2011, 1, 1), dt.date(2026, 12, 5))


@pytest.fixture(scope="module")
def history() -> FetchPlan:
    """GIVEN every dataset 2011-01-01..2026-12-05, seen from 2026-12-06 with credentials, in 7-day chunks."""
    chunks = backfill_chunks(HISTORY, ALL_DATASETS, today=NOW, credentials=True, chunk_days=7)
    return plan_fetch(HISTORY, ALL_DATASETS, today=NOW, credentials=True, settings=Settings(), chunks=chunks)


def test_history_days_per_door(history: FetchPlan) -> None:
    plans = {plan.dataset: plan for plan in history.datasets}
    # yearly files to 2014-04-30, the archive to 2026-09-06 (91 days ago), the data endpoints for the last 90
    for name in ("spp_rt", "spp_dam", "load_weather_zone"):
        assert plans[name].days_per_door() == {"ercot-yearly": 1216, "ercot-archive": 4512, "ercot-api": 90}
    assert plans["solar"].days_per_door() == {"ercot-archive": 3831, "ercot-api": 90}
    assert str(plans["solar"].unreachable[0].span) == "2011-01-01..2016-03-11"
    # the fuel mix: yearly files for 2011..2025, the dashboard for yesterday; 2026 before that is unreachable
    assert plans["fuel_mix"].days_per_door() == {"ercot-yearly": 5479, "ercot-dashboard": 1}
    assert str(plans["fuel_mix"].unreachable[0].span) == "2026-01-01..2026-12-04"
    for plan in history.datasets:
        assert sum(plan.days_per_door().values()) + plan.unreachable_days == HISTORY.days_count == 5818


def test_history_totals(history: FetchPlan) -> None:
    plans = {plan.dataset: plan for plan in history.datasets}
    # 4,512 archive days of real-time prices: 96 documents a day; the 12 fall-back days' extra 4 and the 12
    # spring-forward days' missing 4 cancel out
    assert door(plans["spp_rt"], "ercot-archive").documents == 4512 * 96 == 433_152
    # yearly files: one download per dataset-year, one look-up per product: 2011..2014 each
    assert (door(plans["spp_rt"], "ercot-yearly").listings, door(plans["spp_rt"], "ercot-yearly").downloads) == (1, 4)
    # the fuel mix's 2011..2025 files: one look-up and 15 downloads, though 2014-05..2025 is fetched in weekly chunks
    assert door(plans["fuel_mix"], "ercot-yearly").requests == 16
    # one token for the process, renewed every 55 minutes of requests: 8,079 requests at 30 a minute are 269 minutes
    assert sum(plan.tokens for plan in history.datasets) == 5
    # the request budget (regression figures of this plan; 13,142 when every client fetched its own token and every
    # chunk its own yearly file) and its time at 30 requests a minute
    assert history.ercot_requests == 8_079
    assert history.ercot_minutes == pytest.approx(8_079 / 30)
    assert history.open_meteo_requests == 752
    assert history.minutes == pytest.approx(history.ercot_minutes + history.open_meteo_minutes)


def test_history_summary_is_small_and_json(history: FetchPlan) -> None:
    summary = history.summary()
    assert summary["ercot_requests"] == history.ercot_requests
    assert summary["datasets"]["load_forecast"]["unreachable_days"] == 1315
    assert len(json.dumps(summary)) < 4096
    detail = history.as_dict()
    assert detail["datasets"]["wind"]["unreachable"][0]["reason"].endswith("starts 2014-08-17")
    json.dumps(detail)
