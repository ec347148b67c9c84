"""The Open-Meteo client: one request for all zones, the right endpoint per day, retries, and strict reply checks.

Every test answers through an httpx.MockTransport; sleeps, the monotonic clock and "now" are injected.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from energylake.contracts.raw import RawReply
from energylake.contracts.zones import WEATHER_ZONES, zone_points
from energylake.errors import FetchError, InvalidRequestError, MalformedReplyError
from energylake.settings import Settings
from energylake.sources.http import FetchStats
from energylake.sources.openmeteo import (
    HOURLY_VARIABLES,
    OpenMeteoClient,
    check_reply,
    plan_requests,
)
from energylake.window import Window
from tests.support.fakes import FakeClock

# 12:00 UTC on 2024-11-20: "today" for endpoint choice is the UTC date 2024-11-20.
NOW = dt.datetime(2024, 11, 20, 12, 0, tzinfo=dt.UTC)
ARCHIVE = "https://archive-api.open-meteo.com/v1/archive"
HISTORICAL = "https://historical-forecast-api.open-meteo.com/v1/forecast"
FORECAST = "https://api.open-meteo.com/v1/forecast"
API_KEY = "om-secret-key-0123456789"

Handler = Callable[[httpx.Request], httpx.Response]


def location(latitude: float, longitude: float, start: dt.date, end: dt.date) -> dict[str, Any]:
    """One location object of a valid Open-Meteo GMT reply covering UTC dates start..end."""
    hours = ((end - start).days + 1) * 24
    first = dt.datetime.combine(start, dt.time(0))
    times = [(first + dt.timedelta(hours=offset)).strftime("%Y-%m-%dT%H:%M") for offset in range(hours)]
    return {
        "latitude": round(latitude + 0.01, 4),  # snapped to a grid cell, as the real API does
        "longitude": round(longitude - 0.01, 4),
        "generationtime_ms": 1.2,
        "utc_offset_seconds": 0,
        "timezone": "GMT",
        "timezone_abbreviation": "GMT",
        "elevation": 12.0,
        "hourly_units": {"time": "iso8601", **dict.fromkeys(HOURLY_VARIABLES, "x")},
        "hourly": {"time": times, **{name: [1.0] * hours for name in HOURLY_VARIABLES}},
    }


def valid_payload(request: httpx.Request) -> list[dict[str, Any]]:
    """What Open-Meteo answers for ``request``: one location object per latitude/longitude pair."""
    params = request.url.params
    start = dt.date.fromisoformat(params["start_date"])
    end = dt.date.fromisoformat(params["end_date"])
    pairs = zip(params["latitude"].split(","), params["longitude"].split(","), strict=True)
    return [location(float(lat), float(lon), start, end) for lat, lon in pairs]


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=valid_payload(request))


def recording(*handlers: Handler) -> tuple[Handler, list[httpx.Request]]:
    """A handler playing ``handlers`` in turn (the last one repeats) and recording every request."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handlers[min(len(seen), len(handlers)) - 1](request)

    return handle, seen


def make(
    handler: Handler,
    settings: Settings | None = None,
    fake_time: FakeClock | None = None,
    stats: FetchStats | None = None,
    now: dt.datetime = NOW,
) -> OpenMeteoClient:
    fake_time = fake_time or FakeClock()
    return OpenMeteoClient(
        settings or Settings(),
        transport=httpx.MockTransport(handler),
        sleep=fake_time.sleep,
        clock=fake_time.clock,
        rng=random.Random(3),
        stats=stats,
        now=lambda: now,
    )


def fetch_all(client: OpenMeteoClient, window: Window) -> list[RawReply]:
    with client:
        return [reply for group in client.iter_fetch(window) for reply in group]


# --- the request -------------------------------------------------------------------------------------------------


def test_one_request_carries_all_eight_zones_in_gmt_and_metres_per_second() -> None:
    # GIVEN a 2-day archive window
    handler, seen = recording(ok)
    # WHEN fetched
    fetch_all(make(handler), Window(dt.date(2024, 11, 2), dt.date(2024, 11, 3)))
    # THEN a single GET to the archive asks for every zone, all variables, GMT, m/s, and UTC dates start..end+1
    assert len(seen) == 1
    request = seen[0]
    assert request.method == "GET"
    assert str(request.url.copy_with(query=None)) == ARCHIVE
    params = request.url.params
    assert params["latitude"] == "29.76,32.35,32.00,33.91,32.78,29.42,27.80,32.45"
    assert params["longitude"] == "-95.37,-95.30,-102.08,-98.49,-96.80,-98.49,-97.40,-99.73"
    assert params["hourly"] == ",".join(HOURLY_VARIABLES)
    assert params["timezone"] == "GMT"
    assert params["wind_speed_unit"] == "ms"
    assert (params["start_date"], params["end_date"]) == ("2024-11-02", "2024-11-04")
    assert "apikey" not in params


@pytest.mark.parametrize(
    "window",
    [
        Window(dt.date(2024, 3, 1), dt.date(2024, 3, 31)),  # spring forward inside, chunked by 14 days
        Window(dt.date(2024, 10, 20), dt.date(2024, 11, 3)),  # ends on the 25-hour fall-back day
        Window(dt.date(2024, 11, 10), dt.date(2024, 11, 22)),  # archive, historical forecast and forecast pieces
    ],
    ids=["spring-chunks", "fall-back-end", "three-endpoints"],
)
def test_every_request_covers_its_central_days_and_the_instant_that_closes_them(window: Window) -> None:
    # GIVEN the requests planned for a window (split by endpoint and into chunks)
    requests = plan_requests(window, Settings(), NOW.date())
    # THEN together they cover the window's days without gap or overlap ...
    assert requests[0].window.start == window.start and requests[-1].window.end == window.end
    for before, after in itertools.pairwise(requests):
        assert after.window.start == before.window.end + dt.timedelta(days=1)
    # ... and each asks for UTC hours from its first Central instant up to AND including its last day's end, the
    #     value gold needs to align the last hour (a chunk seam included): the parser keeps that instant
    for request in requests:
        first = dt.datetime.combine(request.utc_start_date, dt.time(0), tzinfo=dt.UTC)
        last = dt.datetime.combine(request.utc_end_date, dt.time(23), tzinfo=dt.UTC)
        assert first <= request.window.start_utc and request.window.end_utc <= last, request.window
        assert request.expected_hours == ((request.utc_end_date - request.utc_start_date).days + 1) * 24


def test_the_latitude_list_follows_the_zone_table_order() -> None:
    handler, seen = recording(ok)
    fetch_all(make(handler), Window(dt.date(2024, 11, 2), dt.date(2024, 11, 2)))
    latitudes = [float(text) for text in seen[0].url.params["latitude"].split(",")]
    assert latitudes == [point.latitude for point in zone_points()]


# --- which endpoint ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "origin"),
    [
        (dt.date(1940, 1, 1), "open-meteo-archive"),
        (dt.date(2024, 11, 14), "open-meteo-archive"),  # 6 days old: older than the 5-day delay
        (dt.date(2024, 11, 15), "open-meteo-historical-forecast"),  # 5 days old: within the delay
        (dt.date(2024, 11, 19), "open-meteo-historical-forecast"),  # yesterday
        (dt.date(2024, 11, 20), "open-meteo-forecast"),  # today
        (dt.date(2024, 12, 4), "open-meteo-forecast"),  # last day whose next UTC date is within 16 forecast days
    ],
)
def test_plan_picks_the_endpoint_by_age_at_the_boundaries(day: dt.date, origin: str) -> None:
    # GIVEN today is 2024-11-20 (UTC) and the archive lags 5 days
    client = make(ok)
    # WHEN planning a one-day window
    plan = client.plan(Window(day, day))
    # THEN the day goes to the expected endpoint, which the reason explains
    assert [request.origin for request in plan] == [origin]
    expected_url = {"open-meteo-archive": ARCHIVE, "open-meteo-historical-forecast": HISTORICAL}.get(origin, FORECAST)
    assert plan[0].url == expected_url
    assert str(Window(day, day)) in plan[0].reason


def test_today_is_the_utc_date_of_now_even_while_central_time_is_still_yesterday() -> None:
    # GIVEN 03:00 UTC on 2024-11-20 (21:00 CST on the 19th)
    client = make(ok, now=dt.datetime(2024, 11, 20, 3, 0, tzinfo=dt.UTC))
    # THEN 2024-11-20 is "today" for the endpoint choice: the forecast endpoint
    assert client.plan(Window(dt.date(2024, 11, 20), dt.date(2024, 11, 20)))[0].origin == "open-meteo-forecast"
    assert client.plan(Window(dt.date(2024, 11, 19), dt.date(2024, 11, 19)))[0].origin == (
        "open-meteo-historical-forecast"
    )


def test_the_archive_delay_setting_moves_the_boundary() -> None:
    # GIVEN an archive delay of 10 days
    plan = plan_requests(
        Window(dt.date(2024, 11, 9), dt.date(2024, 11, 10)), Settings(open_meteo_archive_delay_days=10), NOW.date()
    )
    # THEN 11-09 (11 days old) is archive and 11-10 (10 days old) historical forecast
    assert [(request.origin, str(request.window)) for request in plan] == [
        ("open-meteo-archive", "2024-11-09..2024-11-09"),
        ("open-meteo-historical-forecast", "2024-11-10..2024-11-10"),
    ]


def test_a_forty_day_archive_window_splits_into_fourteen_day_chunks() -> None:
    # GIVEN a 40-day window long in the past
    handler, seen = recording(ok)
    window = Window(dt.date(2024, 1, 1), dt.date(2024, 2, 9))
    # WHEN fetched
    replies = fetch_all(make(handler), window)
    # THEN three archive requests of 14, 14 and 12 days cover it without gap or overlap
    assert len(seen) == 3
    assert [(r.extra["window-start"], r.extra["window-end"]) for r in replies] == [
        ("2024-01-01", "2024-01-14"),
        ("2024-01-15", "2024-01-28"),
        ("2024-01-29", "2024-02-09"),
    ]
    assert [(r.url.params["start_date"], r.url.params["end_date"]) for r in seen] == [
        ("2024-01-01", "2024-01-15"),
        ("2024-01-15", "2024-01-29"),
        ("2024-01-29", "2024-02-10"),
    ]
    assert {reply.origin for reply in replies} == {"open-meteo-archive"}
    assert [reply.day for reply in replies] == [dt.date(2024, 1, 1), dt.date(2024, 1, 15), dt.date(2024, 1, 29)]


def test_a_window_crossing_the_archive_delay_and_today_splits_by_endpoint() -> None:
    # GIVEN a window from 11-10 to 11-22 with today 11-20
    handler, seen = recording(ok)
    # WHEN fetched
    replies = fetch_all(make(handler), Window(dt.date(2024, 11, 10), dt.date(2024, 11, 22)))
    # THEN archive, historical forecast and forecast each serve their part, in date order
    assert [(reply.origin, reply.extra["window-start"], reply.extra["window-end"]) for reply in replies] == [
        ("open-meteo-archive", "2024-11-10", "2024-11-14"),
        ("open-meteo-historical-forecast", "2024-11-15", "2024-11-19"),
        ("open-meteo-forecast", "2024-11-20", "2024-11-22"),
    ]
    assert [str(request.url.copy_with(query=None)) for request in seen] == [ARCHIVE, HISTORICAL, FORECAST]
    assert "older than the 5-day archive delay" in replies[0].origin_reason


@pytest.mark.parametrize("end", [dt.date(2024, 12, 5), dt.date(2025, 1, 1)])
def test_beyond_the_sixteen_day_forecast_horizon_is_an_invalid_request_before_any_call(end: dt.date) -> None:
    # GIVEN a window ending past the forecast horizon
    handler, seen = recording(ok)
    # WHEN fetched
    with pytest.raises(InvalidRequestError, match="16-day forecast horizon") as caught:
        fetch_all(make(handler), Window(dt.date(2024, 11, 20), end))
    # THEN it names the last fetchable day, and nothing was requested
    assert "2024-12-04" in str(caught.value)
    assert seen == []


def test_days_before_the_era5_archive_are_an_invalid_request() -> None:
    handler, seen = recording(ok)
    with pytest.raises(InvalidRequestError, match="1940-01-01"):
        fetch_all(make(handler), Window(dt.date(1939, 12, 30), dt.date(1940, 1, 2)))
    assert seen == []


# --- the reply ----------------------------------------------------------------------------------------------------


def test_a_list_reply_becomes_one_raw_reply_with_exact_bytes_and_public_metadata() -> None:
    # GIVEN Open-Meteo answers with a list of 8 locations
    body_sent: list[bytes] = []

    def answer(request: httpx.Request) -> httpx.Response:
        body_sent.append(json.dumps(valid_payload(request), indent=1).encode())
        return httpx.Response(200, content=body_sent[-1])

    stats = FetchStats()
    # WHEN a 2-day window is fetched
    with make(answer, stats=stats) as client:
        groups = list(client.iter_fetch(Window(dt.date(2024, 11, 2), dt.date(2024, 11, 3))))
    # THEN one group of one reply keeps the bytes untouched and describes the request
    assert [len(group) for group in groups] == [1]
    reply = groups[0][0]
    assert reply.body == body_sent[0]
    assert (reply.source, reply.dataset, reply.day, reply.origin) == (
        "openmeteo",
        "weather",
        dt.date(2024, 11, 2),
        "open-meteo-archive",
    )
    assert reply.origin_reason == "2024-11-02..2024-11-03 is older than the 5-day archive delay: ERA5 archive"
    assert (reply.method, reply.url, reply.status_code, reply.extension) == ("GET", ARCHIVE, 200, "json")
    assert reply.params["start_date"] == "2024-11-02"
    assert reply.params["end_date"] == "2024-11-04"
    assert reply.fetched_at == NOW
    assert reply.extra == {
        "window-start": "2024-11-02",
        "window-end": "2024-11-03",
        "utc-start-date": "2024-11-02",
        "utc-end-date": "2024-11-04",
        "zones": ",".join(WEATHER_ZONES),
    }
    # 3 UTC dates x 24 hours x 8 locations
    assert stats.rows == 72 * 8
    assert stats.requests == 1


def test_a_single_object_is_accepted_when_one_location_was_requested() -> None:
    # GIVEN one requested location and a single-object reply (Open-Meteo's shape for one location)
    point = zone_points()[0]
    body = json.dumps(location(point.latitude, point.longitude, dt.date(2024, 11, 2), dt.date(2024, 11, 3))).encode()
    # WHEN checked THEN it is complete: 48 rows
    rows = check_reply(
        body, points=[point], variables=HOURLY_VARIABLES, expected_hours=48, first_time="2024-11-02T00:00", request="r"
    )
    assert rows == 48


def test_a_single_object_is_malformed_when_eight_locations_were_requested() -> None:
    def single(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=valid_payload(request)[0])

    with pytest.raises(MalformedReplyError, match="list of 8 locations"):
        fetch_all(make(single), Window(dt.date(2024, 11, 2), dt.date(2024, 11, 2)))


def test_a_400_error_is_a_fetch_error_quoting_the_reason_without_retry_and_nothing_is_yielded() -> None:
    # GIVEN Open-Meteo refuses the request
    reason = "Parameter 'start_date' is out of allowed range from 1940-01-01 to 2024-11-19"
    handler, seen = recording(lambda _r: httpx.Response(400, json={"reason": reason, "error": True}))
    fake_time = FakeClock()
    yielded: list[list[RawReply]] = []

    def drain(client: OpenMeteoClient) -> None:
        with client:
            for group in client.iter_fetch(Window(dt.date(2024, 11, 2), dt.date(2024, 11, 3))):
                yielded.append(group)

    # WHEN fetched
    with pytest.raises(FetchError) as caught:
        drain(make(handler, fake_time=fake_time))
    # THEN the error quotes the reason and names the request; one attempt, no sleep, nothing yielded
    assert reason in str(caught.value)
    assert caught.value.status_code == 400
    assert "archive-api.open-meteo.com/v1/archive" in caught.value.request
    assert not isinstance(caught.value, MalformedReplyError)
    assert len(seen) == 1
    assert fake_time.sleeps == []
    assert yielded == []


def test_an_error_body_with_status_200_is_a_fetch_error() -> None:
    handler, _seen = recording(lambda _r: httpx.Response(200, json={"error": True, "reason": "No data is available"}))
    with pytest.raises(FetchError, match="No data is available") as caught:
        fetch_all(make(handler), Window(dt.date(2024, 11, 2), dt.date(2024, 11, 2)))
    assert type(caught.value) is FetchError


def test_a_429_is_retried_after_waiting_at_least_retry_after() -> None:
    # GIVEN the minutely limit is hit once
    limited = httpx.Response(
        429, headers={"Retry-After": "7"}, json={"reason": "Minutely API request limit exceeded", "error": True}
    )
    handler, seen = recording(lambda _r: limited, ok)
    fake_time = FakeClock()
    stats = FetchStats()
    # WHEN fetched
    replies = fetch_all(
        make(handler, fake_time=fake_time, stats=stats), Window(dt.date(2024, 11, 2), dt.date(2024, 11, 2))
    )
    # THEN the client waited >= 7 s, retried, and succeeded
    assert len(replies) == 1
    assert len(seen) == 2
    assert fake_time.sleeps and max(fake_time.sleeps) >= 7
    assert (stats.retries, stats.throttled, stats.requests) == (1, 1, 2)


def test_a_5xx_is_retried_then_succeeds() -> None:
    handler, seen = recording(lambda _r: httpx.Response(502, text="Bad Gateway"), ok)
    fake_time = FakeClock()
    replies = fetch_all(make(handler, fake_time=fake_time), Window(dt.date(2024, 11, 2), dt.date(2024, 11, 2)))
    assert len(replies) == 1
    assert len(seen) == 2
    assert len(fake_time.sleeps) == 1


def test_exhausted_retries_are_a_fetch_error_naming_the_request() -> None:
    # GIVEN the server is down for every attempt
    handler, seen = recording(lambda _r: httpx.Response(503, text="Service Unavailable"))
    # WHEN fetched with 3 attempts
    with pytest.raises(FetchError) as caught:
        fetch_all(make(handler, Settings(http_max_attempts=3)), Window(dt.date(2024, 11, 2), dt.date(2024, 11, 2)))
    # THEN three attempts were made and the error names the request and the last problem
    assert len(seen) == 3
    message = str(caught.value)
    assert "gave up after 3 attempts" in message
    assert "HTTP 503" in message
    assert "GET https://archive-api.open-meteo.com/v1/archive?" in message
    assert "start_date=2024-11-02" in message


def _drop_variable(payload: list[dict[str, Any]]) -> object:
    del payload[2]["hourly"]["wind_direction_100m"]
    return payload


def _shorten_variable(payload: list[dict[str, Any]]) -> object:
    payload[1]["hourly"]["cloud_cover"].pop()
    return payload


def _drop_time(payload: list[dict[str, Any]]) -> object:
    del payload[0]["hourly"]["time"]
    return payload


def _truncate_hours(payload: list[dict[str, Any]]) -> object:
    for entry in payload:
        entry["hourly"] = {name: values[:-24] for name, values in entry["hourly"].items()}
    return payload


def _start_a_day_late(payload: list[dict[str, Any]]) -> object:
    # Right length, wrong hours: the server ignored start_date (or answered in another time zone).
    payload[5]["hourly"]["time"] = payload[5]["hourly"]["time"][24:] * 2
    return payload


def _shift_offset(payload: list[dict[str, Any]]) -> object:
    payload[4]["utc_offset_seconds"] = -21600
    return payload


def _swap_locations(payload: list[dict[str, Any]]) -> object:
    payload[0], payload[1] = payload[1], payload[0]
    return payload


@pytest.mark.parametrize(
    ("mutate", "named"),
    [
        (_drop_variable, "location 2 (FAR_WEST) lacks hourly.wind_direction_100m"),
        (_shorten_variable, "location 1 (EAST) has hourly cloud_cover of a different length"),
        (_drop_time, "location 0 (COAST) lacks hourly.time"),
        (_truncate_hours, "has 24 hourly times, expected 48"),
        (_start_a_day_late, "location 5 (SOUTH_CENTRAL) starts at '2024-11-03T00:00'"),
        (_shift_offset, "utc_offset_seconds=-21600"),
        (_swap_locations, "location 0 (COAST) is at 32.36"),
        (lambda payload: payload[:7], "expected 8 locations (one per zone), got 7"),
        (lambda payload: [*payload, payload[0]], "got 9"),
        (lambda payload: {"hourly": {}}, "single object"),
        (lambda payload: "nope", "got str"),
    ],
)
def test_an_incomplete_reply_is_malformed_naming_what_is_missing(
    mutate: Callable[[list[dict[str, Any]]], object], named: str
) -> None:
    # GIVEN a 200 reply damaged one way
    handler, seen = recording(lambda request: httpx.Response(200, json=mutate(valid_payload(request))))
    stats = FetchStats()
    # WHEN fetched
    with pytest.raises(MalformedReplyError) as caught:
        fetch_all(make(handler, stats=stats), Window(dt.date(2024, 11, 2), dt.date(2024, 11, 2)))
    # THEN it is rejected (no retry: the reply will not improve) with what is wrong
    assert named in str(caught.value)
    assert len(seen) == 1
    assert stats.rows == 0


def test_a_reply_that_is_not_json_is_malformed() -> None:
    handler, _seen = recording(lambda _r: httpx.Response(200, content=b"<html>maintenance</html>"))
    with pytest.raises(MalformedReplyError, match="not JSON"):
        fetch_all(make(handler), Window(dt.date(2024, 11, 2), dt.date(2024, 11, 2)))


def test_null_values_are_kept_as_data_not_rejected() -> None:
    # GIVEN the archive has no value yet for some hours (Open-Meteo answers null)
    def with_nulls(request: httpx.Request) -> httpx.Response:
        payload = valid_payload(request)
        payload[3]["hourly"]["temperature_2m"][-5:] = [None] * 5
        return httpx.Response(200, json=payload)

    # THEN the reply is accepted: nulls are the parser's business
    assert len(fetch_all(make(with_nulls), Window(dt.date(2024, 11, 2), dt.date(2024, 11, 2)))) == 1


# --- secrets and limits -------------------------------------------------------------------------------------------


def test_the_api_key_is_sent_but_never_stored_nor_in_errors() -> None:
    # GIVEN a commercial key
    settings = Settings(open_meteo_api_key=API_KEY)
    handler, seen = recording(ok)
    # WHEN fetched
    replies = fetch_all(make(handler, settings), Window(dt.date(2024, 11, 2), dt.date(2024, 11, 2)))
    # THEN the request carried it, the stored reply does not
    assert seen[0].url.params["apikey"] == API_KEY
    reply = replies[0]
    assert "apikey" not in reply.params
    assert API_KEY not in repr(reply)
    assert API_KEY not in json.dumps([reply.url, reply.params, reply.extra, reply.origin_reason])

    # AND neither a refusal nor exhausted retries quote it
    refusing, _ = recording(lambda _r: httpx.Response(400, json={"reason": "Invalid API key", "error": True}))
    with pytest.raises(FetchError) as refused:
        fetch_all(make(refusing, settings), Window(dt.date(2024, 11, 2), dt.date(2024, 11, 2)))
    failing, _ = recording(lambda _r: httpx.Response(500, text="oops"))
    with pytest.raises(FetchError) as exhausted:
        fetch_all(
            make(failing, Settings(open_meteo_api_key=API_KEY, http_max_attempts=2)),
            Window(dt.date(2024, 11, 2), dt.date(2024, 11, 2)),
        )
    for error in (refused.value, exhausted.value):
        assert "Open-Meteo" in str(error) or "gave up" in str(error)
        assert API_KEY not in str(error)
        assert API_KEY not in error.request


def test_the_client_side_rate_limit_spaces_requests() -> None:
    # GIVEN a limit of 1 request per minute and a window needing 2 requests
    handler, seen = recording(ok)
    fake_time = FakeClock()
    settings = Settings(open_meteo_requests_per_minute=1, open_meteo_max_days_per_call=1)
    # WHEN fetched
    fetch_all(make(handler, settings, fake_time=fake_time), Window(dt.date(2024, 11, 2), dt.date(2024, 11, 3)))
    # THEN the second request waited a minute on the injected clock (no real sleep)
    assert len(seen) == 2
    assert fake_time.sleeps == [60.0]
