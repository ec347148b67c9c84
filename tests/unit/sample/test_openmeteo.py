"""The sample Open-Meteo: the REAL client against SampleServer, and the reply format against real Open-Meteo replies."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from typing import Any

import httpx
import pytest

from energylake.contracts.raw import RawReply
from energylake.contracts.zones import zone_points
from energylake.sample import SampleServer
from energylake.settings import Settings
from energylake.sources.http import FetchStats
from energylake.sources.openmeteo import HOURLY_VARIABLES, OpenMeteoClient
from energylake.window import Window
from tests.support.paths import realdata_path

NOW = dt.datetime(2024, 11, 20, 15, 0, tzinfo=dt.UTC)
ARCHIVE = "https://archive-api.open-meteo.com/v1/archive"
FORECAST = "https://api.open-meteo.com/v1/forecast"
ISO_MINUTE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$")

# Physical ranges for Texas (SI units, wind in m/s).
RANGES: dict[str, tuple[float, float]] = {
    "temperature_2m": (-25.0, 50.0),
    "relative_humidity_2m": (0.0, 100.0),
    "dew_point_2m": (-40.0, 32.0),
    "apparent_temperature": (-40.0, 60.0),
    "cloud_cover": (0.0, 100.0),
    "precipitation": (0.0, 80.0),
    "shortwave_radiation": (0.0, 1200.0),
    "direct_normal_irradiance": (0.0, 1100.0),
    "wind_speed_10m": (0.0, 40.0),
    "wind_speed_100m": (0.0, 60.0),
    "wind_direction_100m": (0.0, 360.0),
}


def magnus(celsius: float) -> float:
    """Saturation vapour pressure (hPa)."""
    return 6.1094 * math.exp(17.625 * celsius / (243.04 + celsius))


def fetch(
    window: Window, *, server: SampleServer | None = None, stats: FetchStats | None = None
) -> tuple[list[RawReply], SampleServer]:
    settings = Settings()
    server = server or SampleServer(settings, now=NOW)
    sleeps: list[float] = []
    with OpenMeteoClient(
        settings, transport=server.transport(), sleep=sleeps.append, stats=stats, now=lambda: NOW
    ) as client:
        replies = [reply for group in client.iter_fetch(window) for reply in group]
    return replies, server


def ask(params: dict[str, str], url: str = ARCHIVE, seed: int = 20241103) -> httpx.Response:
    """One raw request to the sample server, outside the client."""
    server = SampleServer(Settings(), now=NOW, seed=seed)
    with httpx.Client(transport=server.transport()) as client:
        return client.get(url, params=params)


def one_point(**extra: str) -> dict[str, str]:
    return {
        "latitude": "29.76",
        "longitude": "-95.37",
        "hourly": ",".join(HOURLY_VARIABLES),
        "start_date": "2024-11-03",
        "end_date": "2024-11-03",
        **extra,
    }


def test_a_week_including_the_fall_back_day_returns_every_zone_and_hour_in_range() -> None:
    # GIVEN the sample server and a 7-day window including 2024-11-03 (25-hour Central day)
    window = Window(dt.date(2024, 11, 1), dt.date(2024, 11, 7))
    stats = FetchStats()
    # WHEN the real client fetches it
    replies, _server = fetch(window, stats=stats)
    # THEN one archive reply holds 8 locations of (7 + 1) * 24 hours, every variable present and plausible
    assert len(replies) == 1
    assert replies[0].origin == "open-meteo-archive"
    payload = json.loads(replies[0].body)
    assert isinstance(payload, list)
    assert len(payload) == 8
    assert stats.rows == 8 * 8 * 24
    for entry, point in zip(payload, zone_points(), strict=True):
        hourly = entry["hourly"]
        assert len(hourly["time"]) == 8 * 24
        assert hourly["time"][0] == "2024-11-01T00:00"
        assert hourly["time"][-1] == "2024-11-08T23:00"
        assert abs(entry["latitude"] - point.latitude) <= 0.25
        assert abs(entry["longitude"] - point.longitude) <= 0.25
        for name, (low, high) in RANGES.items():
            values = hourly[name]
            assert len(values) == len(hourly["time"]), name
            assert all(low <= value <= high for value in values), (point.zone, name, min(values), max(values))
        assert all(d <= t + 0.1 for d, t in zip(hourly["dew_point_2m"], hourly["temperature_2m"], strict=True))
        for humidity, dew_point, temperature in zip(
            hourly["relative_humidity_2m"], hourly["dew_point_2m"], hourly["temperature_2m"], strict=True
        ):
            # humidity, dew point and temperature agree (Magnus formula), as in a real reply
            assert humidity == pytest.approx(100 * magnus(dew_point) / magnus(temperature), abs=1.2)
        assert all(v100 >= v10 for v10, v100 in zip(hourly["wind_speed_10m"], hourly["wind_speed_100m"], strict=True))


def test_radiation_is_zero_at_night_and_positive_at_midday() -> None:
    # GIVEN one day at Houston (UTC-6 in November: local midnight = 06:00 UTC, local noon ~ 18:00 UTC)
    hourly = ask(one_point()).json()["hourly"]
    radiation = zip(hourly["shortwave_radiation"], hourly["direct_normal_irradiance"], strict=True)
    by_hour = dict(zip(hourly["time"], radiation, strict=True))
    # THEN the hour ending 08:00 UTC (02:00 local) has no sun, the hour ending 19:00 UTC has some
    assert by_hour["2024-11-03T08:00"] == (0.0, 0.0)
    assert by_hour["2024-11-03T19:00"][0] > 100
    # AND temperature follows a daily cycle: the afternoon is warmer than before dawn
    temperature = dict(zip(hourly["time"], hourly["temperature_2m"], strict=True))
    assert temperature["2024-11-03T21:00"] > temperature["2024-11-03T11:00"]


def test_the_same_request_gives_the_same_bytes_and_another_seed_different_ones() -> None:
    # GIVEN two fresh servers with the same seed
    window = Window(dt.date(2024, 11, 1), dt.date(2024, 11, 3))
    first, _ = fetch(window)
    second, _ = fetch(window)
    # THEN their replies are byte for byte equal
    assert first[0].body == second[0].body
    # AND a different seed gives different weather
    other, _ = fetch(window, server=SampleServer(Settings(), now=NOW, seed=7))
    assert other[0].body != first[0].body


def test_an_hour_has_the_same_values_whichever_request_asks_for_it() -> None:
    # GIVEN two overlapping requests
    early = ask(one_point(start_date="2024-11-01", end_date="2024-11-03")).json()["hourly"]
    late = ask(one_point(start_date="2024-11-03", end_date="2024-11-05")).json()["hourly"]
    # THEN the overlapping day agrees everywhere
    for name in HOURLY_VARIABLES:
        assert early[name][48:] == late[name][:24], name


def test_throttling_every_second_request_still_succeeds_with_retries_counted() -> None:
    # GIVEN a server answering 429 to every 2nd request and a window needing 3 requests
    server = SampleServer(Settings(), now=NOW, throttle_every=2)
    stats = FetchStats()
    # WHEN fetched
    replies, _ = fetch(Window(dt.date(2024, 9, 1), dt.date(2024, 10, 10)), server=server, stats=stats)
    # THEN every chunk arrived and the retries show in the stats
    assert len(replies) == 3
    assert stats.throttled >= 1
    assert stats.retries == stats.throttled
    assert stats.requests == len(server.requests) == 3 + stats.retries


def test_a_window_across_today_is_served_by_all_three_endpoints() -> None:
    replies, server = fetch(Window(dt.date(2024, 11, 10), dt.date(2024, 11, 25)))
    assert [reply.origin for reply in replies] == [
        "open-meteo-archive",
        "open-meteo-historical-forecast",
        "open-meteo-forecast",
    ]
    assert len(server.requests) == 3


def test_one_location_gets_a_single_object_and_wind_units_follow_the_request() -> None:
    # GIVEN one location, asked in the default km/h and in m/s
    in_kmh = ask(one_point()).json()
    in_ms = ask(one_point(wind_speed_unit="ms")).json()
    # THEN each reply is a single object, units are labelled, and km/h = 3.6 x m/s
    assert isinstance(in_kmh, dict)
    assert in_kmh["hourly_units"]["wind_speed_10m"] == "km/h"
    assert in_ms["hourly_units"]["wind_speed_10m"] == "m/s"
    for kmh, ms in zip(in_kmh["hourly"]["wind_speed_10m"], in_ms["hourly"]["wind_speed_10m"], strict=True):
        assert kmh == pytest.approx(ms * 3.6, abs=0.05)


def test_only_the_requested_variables_are_returned() -> None:
    reply = ask(one_point(hourly="temperature_2m,cloud_cover")).json()
    assert list(reply["hourly"]) == ["time", "temperature_2m", "cloud_cover"]
    assert reply["hourly_units"] == {"time": "iso8601", "temperature_2m": "°C", "cloud_cover": "%"}


@pytest.mark.parametrize(
    ("params", "url", "reason"),
    [
        ({"latitude": None}, ARCHIVE, "latitude"),
        ({"longitude": "-95.37,-96.8"}, ARCHIVE, "same number"),
        ({"latitude": "95"}, ARCHIVE, "latitude"),
        ({"hourly": "temperature_2m,snow_fall_depth"}, ARCHIVE, "snow_fall_depth"),
        ({"start_date": "2024-11-05"}, ARCHIVE, "End-date must be larger"),
        ({"start_date": None, "end_date": None}, ARCHIVE, "start_date"),
        ({"end_date": None}, FORECAST, "start_date"),
        ({"start_date": "2024-13-01"}, ARCHIVE, "YYYY-MM-DD"),
        ({"start_date": "1939-12-31"}, ARCHIVE, "out of allowed range"),
        ({"end_date": "2024-12-10"}, FORECAST, "out of allowed range"),
        ({"wind_speed_unit": "furlongs"}, ARCHIVE, "furlongs"),
    ],
)
def test_bad_parameters_get_a_400_with_a_reason_like_the_real_api(
    params: dict[str, str | None], url: str, reason: str
) -> None:
    # GIVEN a request with one bad or missing parameter
    query = {name: value for name, value in {**one_point(), **params}.items() if value is not None}
    # WHEN asked
    response = ask(query, url=url)
    # THEN the reply is Open-Meteo's error shape
    assert response.status_code == 400
    body = response.json()
    assert body["error"] is True
    assert reason in body["reason"]


def test_the_forecast_endpoint_without_dates_answers_seven_days_from_today() -> None:
    query = {name: value for name, value in one_point().items() if name not in {"start_date", "end_date"}}
    hourly = ask(query, url=FORECAST).json()["hourly"]
    assert hourly["time"][0] == "2024-11-20T00:00"
    assert len(hourly["time"]) == 7 * 24


def test_another_timezone_is_still_answered_in_gmt() -> None:
    reply = ask(one_point(timezone="America/Chicago")).json()
    assert (reply["timezone"], reply["utc_offset_seconds"]) == ("GMT", 0)


@pytest.mark.realdata
def test_the_reply_shape_matches_real_open_meteo_replies() -> None:
    # GIVEN a real archive reply (trimmed, from python-open-meteo's fixtures) and our sample's single-object reply
    real: dict[str, Any] = json.loads(
        realdata_path("openmeteo_response_shapes", "historical_weather.frenck_fixture.json").read_text()
    )
    ours: dict[str, Any] = ask(one_point(hourly="temperature_2m,wind_speed_10m")).json()
    # THEN the top-level keys match (we ask for no daily block), with the same value types
    assert set(ours) == set(real) - {"daily", "daily_units"}
    for key, value in ours.items():
        if key not in {"hourly", "hourly_units"}:
            assert type(value) is type(real[key]) or {type(value), type(real[key])} <= {int, float}, key
    # AND the hourly blocks look alike: time first, ISO minutes, the same units for the same variables
    assert next(iter(ours["hourly"])) == next(iter(real["hourly"])) == "time"
    assert ours["hourly_units"]["time"] == real["hourly_units"]["time"] == "iso8601"
    assert ours["hourly_units"]["temperature_2m"] == real["hourly_units"]["temperature_2m"]
    assert ours["hourly_units"]["wind_speed_10m"] == real["hourly_units"]["wind_speed_10m"] == "km/h"
    assert all(ISO_MINUTE.match(text) for text in real["hourly"]["time"] + ours["hourly"]["time"])
    assert set(ours["hourly"]) == set(ours["hourly_units"])
    assert set(real["hourly"]) == set(real["hourly_units"])


@pytest.mark.realdata
def test_multi_location_replies_are_lists_of_real_shaped_objects() -> None:
    real: dict[str, Any] = json.loads(
        realdata_path("openmeteo_response_shapes", "historical_weather.frenck_fixture.json").read_text()
    )
    replies, _ = fetch(Window(dt.date(2024, 11, 2), dt.date(2024, 11, 2)))
    for entry in json.loads(replies[0].body):
        assert set(entry) == set(real) - {"daily", "daily_units"}
