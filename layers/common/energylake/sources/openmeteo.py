"""Open-Meteo client: hourly weather at every ERCOT weather zone's point, one request for all 8 zones.

Three Open-Meteo endpoints serve different ages of data (https://open-meteo.com/en/docs):

* ``archive`` (ERA5 reanalysis, 1940 onwards) lags a few days: used for days older than
  ``settings.open_meteo_archive_delay_days``;
* ``historical-forecast`` (archived model runs, 2022 onwards) fills the recent past the archive lacks;
* ``forecast`` serves today and up to 16 days ahead (``start_date``/``end_date`` work there too).

Time zones: we always ask for ``timezone=GMT``. With a named zone Open-Meteo shifts the whole reply by ONE offset,
which is wrong across a DST change; GMT replies are converted to ERCOT time later, by the parser. An ERCOT
(Central) day spans UTC hours into the next UTC date (Central midnight is 05:00 or 06:00 UTC), so a window of
Central days ``start..end`` is requested as UTC dates ``start..end+1``: every Central hour of the window is then
in the reply, and so is the instant that closes the window (Central midnight after ``end``, 05:00/06:00 UTC on
``end+1``), which gold needs to align the window's last hour and the parser keeps; the other hours on either side
are dropped by the parser.

Each request covers all 8 zones (comma-separated ``latitude``/``longitude`` lists in :data:`WEATHER_ZONES` order);
the reply is a JSON list with one object per location, in the same order. The reply bytes are kept exactly as
received (:class:`RawReply`); this module only checks they are complete.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from energylake.contracts.raw import RawReply
from energylake.contracts.zones import ZonePoint, zone_points
from energylake.errors import FetchError, InvalidRequestError, MalformedReplyError
from energylake.settings import Settings
from energylake.sources.http import (
    FetchStats,
    HttpClientOwner,
    describe_request,
    public_params,
)
from energylake.timeconv import UTC, utc_now
from energylake.window import Window

HOURLY_VARIABLES: tuple[str, ...] = (
    "temperature_2m",
    "relative_humidity_2m",
    "dew_point_2m",
    "apparent_temperature",
    "cloud_cover",
    "precipitation",
    "shortwave_radiation",
    "direct_normal_irradiance",
    "wind_speed_10m",
    "wind_speed_100m",
    "wind_direction_100m",
)

OpenMeteoOrigin = Literal["open-meteo-forecast", "open-meteo-historical-forecast", "open-meteo-archive"]

# The forecast endpoint serves today and the next 15 UTC dates (16 forecast days).
FORECAST_DAYS = 16
ARCHIVE_FIRST_DAY = dt.date(1940, 1, 1)  # ERA5 starts here
HISTORICAL_FORECAST_FIRST_DAY = dt.date(2022, 1, 1)  # older days exist only in the archive
# A reply location may sit on the model's grid cell rather than on the exact point; the zones are hundreds of km
# apart, so anything further than this is a different (mis-ordered) location.
LOCATION_TOLERANCE_DEGREES = 0.5


@dataclass(frozen=True)
class WeatherRequest:
    """One Open-Meteo request: which endpoint, and which Central days (as UTC dates) it covers."""

    origin: OpenMeteoOrigin
    url: str
    window: Window  # ERCOT (Central) operating days covered
    reason: str  # why this endpoint, for the raw object's metadata

    @property
    def utc_start_date(self) -> dt.date:
        return self.window.start

    @property
    def utc_end_date(self) -> dt.date:
        # A Central day ends at 05:00/06:00 UTC the next date: ask for that date too. It also holds the instant
        # closing the window (end_utc itself), which aligning the last hour needs.
        return self.window.end + dt.timedelta(days=1)

    @property
    def expected_hours(self) -> int:
        return ((self.utc_end_date - self.utc_start_date).days + 1) * 24

    def params(self, points: Sequence[ZonePoint], variables: Sequence[str] = HOURLY_VARIABLES) -> dict[str, str]:
        """The query parameters (public: the API key is added by the client when sending)."""
        return {
            "latitude": ",".join(f"{point.latitude:.2f}" for point in points),
            "longitude": ",".join(f"{point.longitude:.2f}" for point in points),
            "hourly": ",".join(variables),
            "timezone": "GMT",
            "wind_speed_unit": "ms",
            "start_date": self.utc_start_date.isoformat(),
            "end_date": self.utc_end_date.isoformat(),
        }


def plan_requests(window: Window, settings: Settings, today: dt.date) -> list[WeatherRequest]:
    """Split ``window`` by endpoint (archive, historical forecast, forecast) relative to ``today`` (a UTC date),
    then into chunks of at most ``settings.open_meteo_max_days_per_call`` days.

    A Central day D needs UTC dates D and D+1. D goes to the archive when it is older than the archive delay
    (``today - D > delay``, i.e. D+1 is at least ``delay`` days old), to the forecast when ``D >= today``, and to the
    historical forecast in between.
    """
    delay = settings.open_meteo_archive_delay_days
    last_forecast_day = today + dt.timedelta(days=FORECAST_DAYS - 2)  # its next UTC date is the 16th forecast day
    if window.end > last_forecast_day:
        raise InvalidRequestError(
            f"window {window} reaches beyond Open-Meteo's {FORECAST_DAYS}-day forecast horizon: "
            f"the last day that can be fetched today ({today} UTC) is {last_forecast_day}"
        )
    if window.start < ARCHIVE_FIRST_DAY:
        raise InvalidRequestError(
            f"window {window} starts before {ARCHIVE_FIRST_DAY}, the first day of Open-Meteo's ERA5 archive"
        )
    # Days before the historical-forecast API's first day can only come from the archive (only reachable
    # with an archive delay of years, but then the archive is still the right door).
    last_archive_day = max(today - dt.timedelta(days=delay + 1), HISTORICAL_FORECAST_FIRST_DAY - dt.timedelta(days=1))
    first_forecast_day = max(today, last_archive_day + dt.timedelta(days=1))

    pieces: list[tuple[OpenMeteoOrigin, str, dt.date, dt.date, Callable[[Window], str]]] = [
        (
            "open-meteo-archive",
            settings.open_meteo_archive_url,
            window.start,
            min(window.end, last_archive_day),
            lambda w: f"{w} is older than the {delay}-day archive delay: ERA5 archive",
        ),
        (
            "open-meteo-historical-forecast",
            settings.open_meteo_historical_forecast_url,
            max(window.start, last_archive_day + dt.timedelta(days=1)),
            min(window.end, first_forecast_day - dt.timedelta(days=1)),
            lambda w: (
                f"{w} is within the {delay}-day archive delay and before today ({today} UTC): historical forecast"
            ),
        ),
        (
            "open-meteo-forecast",
            settings.open_meteo_forecast_url,
            max(window.start, first_forecast_day),
            window.end,
            lambda w: f"{w} is today ({today} UTC) or later: forecast",
        ),
    ]
    requests: list[WeatherRequest] = []
    for origin, url, piece_start, piece_end, reason in pieces:
        if piece_start > piece_end:
            continue
        for chunk in Window(piece_start, piece_end).chunks(settings.open_meteo_max_days_per_call):
            requests.append(WeatherRequest(origin, url, chunk, reason(chunk)))
    return requests


def check_reply(
    body: bytes,
    *,
    points: Sequence[ZonePoint],
    variables: Sequence[str],
    expected_hours: int,
    first_time: str,
    request: str,
) -> int:
    """Check a 200 reply is complete; return its row count (hours x locations).

    Raises FetchError for an ``{"error": true}`` body and MalformedReplyError naming what is missing otherwise.
    """
    locations = _locations(body, len(points), request)
    problems: list[str] = []
    rows = 0
    for index, (location, point) in enumerate(zip(locations, points, strict=True)):
        where = f"location {index} ({point.zone})"
        if not isinstance(location, dict):
            problems.append(f"{where} is not an object")
            continue
        problems.extend(_location_problems(location, point, where))
        location_rows, hourly_problems = _hourly_problems(location, variables, expected_hours, first_time, where)
        problems.extend(hourly_problems)
        rows += location_rows
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise MalformedReplyError(f"incomplete Open-Meteo reply: {shown}", request=request, status_code=200)
    return rows


def _locations(body: bytes, expected: int, request: str) -> list[Any]:
    """The reply's location objects: a list of ``expected``, or a lone object when one location was asked for."""
    try:
        payload: Any = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedReplyError(f"Open-Meteo reply is not JSON ({exc})", request=request, status_code=200) from None
    if isinstance(payload, dict) and payload.get("error") is True:
        raise FetchError(
            f"Open-Meteo returned an error: {payload.get('reason', 'no reason given')}",
            request=request,
            status_code=200,
        )
    if isinstance(payload, dict):
        if expected != 1:
            raise MalformedReplyError(
                f"expected a JSON list of {expected} locations (one per zone), got a single object",
                request=request,
                status_code=200,
            )
        return [payload]
    if not isinstance(payload, list):
        raise MalformedReplyError(
            f"expected a JSON list of locations, got {type(payload).__name__}", request=request, status_code=200
        )
    if len(payload) != expected:
        raise MalformedReplyError(
            f"expected {expected} locations (one per zone), got {len(payload)}", request=request, status_code=200
        )
    return payload


def _hourly_problems(
    location: dict[str, Any], variables: Sequence[str], expected_hours: int, first_time: str, where: str
) -> tuple[int, list[str]]:
    """(rows, problems) of one location's hourly block."""
    hourly = location.get("hourly")
    if not isinstance(hourly, dict):
        return 0, [f"{where} lacks the hourly block"]
    times = hourly.get("time")
    if not isinstance(times, list):
        return 0, [f"{where} lacks hourly.time"]
    problems: list[str] = []
    if len(times) != expected_hours:
        problems.append(f"{where} has {len(times)} hourly times, expected {expected_hours}")
    elif times[0] != first_time:
        problems.append(f"{where} starts at {times[0]!r}, expected {first_time!r} (GMT)")
    missing = [name for name in variables if not isinstance(hourly.get(name), list)]
    if missing:
        problems.append(f"{where} lacks hourly.{', hourly.'.join(missing)}")
    uneven = [name for name in variables if isinstance(hourly.get(name), list) and len(hourly[name]) != len(times)]
    if uneven:
        problems.append(f"{where} has hourly {', '.join(uneven)} of a different length than hourly.time")
    return len(times), problems


def _location_problems(location: dict[str, Any], point: ZonePoint, where: str) -> list[str]:
    problems: list[str] = []
    offset = location.get("utc_offset_seconds", 0)
    if offset != 0:
        problems.append(f"{where} has utc_offset_seconds={offset!r}, but GMT was requested")
    latitude, longitude = location.get("latitude"), location.get("longitude")
    if not isinstance(latitude, int | float) or not isinstance(longitude, int | float):
        problems.append(f"{where} lacks a numeric latitude/longitude")
    elif (
        abs(latitude - point.latitude) > LOCATION_TOLERANCE_DEGREES
        or abs(longitude - point.longitude) > LOCATION_TOLERANCE_DEGREES
    ):
        problems.append(
            f"{where} is at {latitude},{longitude} but {point.city} ({point.latitude},{point.longitude}) was requested"
        )
    return problems


def _refusal(response: httpx.Response, request: str) -> FetchError:
    """The error for a non-200 reply that is not worth retrying (400: Open-Meteo says why)."""
    reason: str | None = None
    try:
        payload: Any = response.json()
        if isinstance(payload, dict) and payload.get("reason"):
            reason = str(payload["reason"])
    except (UnicodeDecodeError, json.JSONDecodeError):
        pass
    if reason is None:
        reason = response.text.strip().replace("\n", " ")[:200] or "empty body"
    return FetchError(
        f"Open-Meteo refused the request (HTTP {response.status_code}): {reason}",
        request=request,
        status_code=response.status_code,
    )


class OpenMeteoClient(HttpClientOwner):
    """Fetches hourly weather for all ERCOT weather zones. Use as a context manager (it owns an httpx client)."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        stats: FetchStats | None = None,
        now: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.settings = settings
        self.points = zone_points()
        self._now = now or utc_now
        self._open_http(
            settings,
            requests_per_minute=settings.open_meteo_requests_per_minute,
            transport=transport,
            sleep=sleep,
            clock=clock,
            rng=rng,
            stats=stats,
        )

    def plan(self, window: Window) -> list[WeatherRequest]:
        """The requests :meth:`iter_fetch` will send for ``window`` (no I/O)."""
        today = self._now().astimezone(UTC).date()
        return plan_requests(window, self.settings, today)

    def iter_fetch(self, window: Window) -> Iterator[list[RawReply]]:
        """One group (of one reply) per request, in date order. Raises before any request if the window
        cannot be served (beyond the forecast horizon), and stops at the first failed request."""
        for weather_request in self.plan(window):
            yield [self._fetch(weather_request)]

    def _fetch(self, weather_request: WeatherRequest) -> RawReply:
        params = weather_request.params(self.points)
        sent = dict(params)
        if self.settings.open_meteo_api_key is not None:
            sent["apikey"] = self.settings.open_meteo_api_key.get_secret_value()
        http_request = self._http.build_request("GET", weather_request.url, params=sent)
        description = describe_request(http_request)  # secret-free: safe in errors
        response = self._policed.send(http_request)
        if response.status_code != 200:
            raise _refusal(response, description)
        rows = check_reply(
            response.content,
            points=self.points,
            variables=HOURLY_VARIABLES,
            expected_hours=weather_request.expected_hours,
            first_time=f"{weather_request.utc_start_date.isoformat()}T00:00",
            request=description,
        )
        self.stats.rows += rows
        return RawReply(
            source="openmeteo",
            dataset="weather",
            day=weather_request.window.start,
            origin=weather_request.origin,
            origin_reason=weather_request.reason,
            method="GET",
            url=weather_request.url,
            params=public_params(sent),
            status_code=response.status_code,
            body=response.content,
            extension="json",
            fetched_at=self._now().astimezone(UTC),
            extra={
                "window-start": weather_request.window.start.isoformat(),
                "window-end": weather_request.window.end.isoformat(),
                "utc-start-date": weather_request.utc_start_date.isoformat(),
                "utc-end-date": weather_request.utc_end_date.isoformat(),
                "zones": ",".join(point.zone for point in self.points),
            },
        )
