"""The sample source's Open-Meteo: synthetic but physically plausible Texas weather in Open-Meteo's exact JSON format.

It answers the forecast, historical-forecast and archive endpoints like the real API does for the parameters
energylake uses: ``latitude``/``longitude`` (comma lists: several locations get a JSON list, one location a single
object), ``hourly`` (comma list), ``start_date``/``end_date`` (or ``past_days``/``forecast_days`` on the forecast
endpoints), ``wind_speed_unit`` (kmh, ms, mph, kn) and ``timezone``. Replies are always in GMT: any other
``timezone`` is answered in GMT too (documented simplification; energylake only ever asks for GMT). Bad or
missing parameters get HTTP 400 ``{"reason": "...", "error": true}`` like the real API.

Values come from the shared synthetic world of :mod:`energylake.sample.world` -- the same weather that
drives the ERCOT sample's zone loads, wind and solar (a grid cell within 0.3 degrees of a weather zone's point gets
exactly that zone's weather): a seasonal + diurnal temperature cycle that cools northward and dries westward,
smooth multi-day "weather systems" moving eastward, clouds and rain from them, clear-sky radiation attenuated by
clouds (radiation and precipitation stamped HH:00 are the mean/sum of the PRECEDING hour, as Open-Meteo defines
them) and a nocturnal low-level jet at 100 m. A pure function of (seed, latitude, longitude, hour); no global
random state: the same request always gives the same bytes, and
the same hour has the same values whichever request asks for it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from energylake.sample import world

if TYPE_CHECKING:
    from energylake.sample.context import SampleContext

ARCHIVE_FIRST_DAY = dt.date(1940, 1, 1)
HISTORICAL_FORECAST_FIRST_DAY = dt.date(2022, 1, 1)
FORECAST_MAX_PAST_DAYS = 92
FORECAST_MAX_DAYS = 16
_WIND_FACTORS = {"ms": 1.0, "kmh": 3.6, "mph": 2.236936, "kn": 1.943844}
_WIND_UNIT_LABELS = {"ms": "m/s", "kmh": "km/h", "mph": "mp/h", "kn": "kn"}
_GMT_NAMES = {"GMT", "UTC", "Z"}


class _BadRequestError(Exception):
    """A request the real API would refuse with HTTP 400; the message is its ``reason``."""


# name -> (unit label, how to round/convert a value given the wind factor)
_VARIABLES: dict[str, tuple[str, Callable[[world.Weather, float], float | int]]] = {
    "temperature_2m": ("°C", lambda h, _w: round(h.temperature_2m, 1)),
    "relative_humidity_2m": ("%", lambda h, _w: round(h.relative_humidity_2m)),
    "dew_point_2m": ("°C", lambda h, _w: round(h.dew_point_2m, 1)),
    "apparent_temperature": ("°C", lambda h, _w: round(h.apparent_temperature, 1)),
    "cloud_cover": ("%", lambda h, _w: round(h.cloud_cover)),
    "precipitation": ("mm", lambda h, _w: round(h.precipitation, 1)),
    "shortwave_radiation": ("W/m²", lambda h, _w: round(h.shortwave_radiation, 1)),
    "direct_normal_irradiance": ("W/m²", lambda h, _w: round(h.direct_normal_irradiance, 1)),
    "wind_speed_10m": ("m/s", lambda h, w: round(h.wind_speed_10m * w, 2)),
    "wind_speed_100m": ("m/s", lambda h, w: round(h.wind_speed_100m * w, 2)),
    "wind_direction_100m": ("°", lambda h, _w: round(h.wind_direction_100m) % 360),
}
SUPPORTED_HOURLY_VARIABLES: tuple[str, ...] = tuple(_VARIABLES)


def reply(request: httpx.Request, context: SampleContext) -> httpx.Response:
    """Answer one Open-Meteo request (called by :class:`~energylake.sample.router.SampleServer`)."""
    settings = context.settings
    url = str(request.url)
    is_archive = url.startswith(settings.open_meteo_archive_url)
    is_historical = url.startswith(settings.open_meteo_historical_forecast_url)
    try:
        body = _answer(request, context, is_archive=is_archive, is_historical=is_historical)
    except _BadRequestError as exc:
        return _json_response(400, {"reason": str(exc), "error": True})
    return _json_response(200, body)


def _json_response(status: int, payload: Any) -> httpx.Response:
    # The real API answers compact UTF-8 JSON ("°C" unescaped).
    content = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return httpx.Response(status, content=content, headers={"Content-Type": "application/json; charset=utf-8"})


def _answer(request: httpx.Request, context: SampleContext, *, is_archive: bool, is_historical: bool) -> Any:
    query = request.url.params
    latitudes = _floats(query.get("latitude"), "latitude", 90.0)
    longitudes = _floats(query.get("longitude"), "longitude", 180.0)
    if len(latitudes) != len(longitudes):
        raise _BadRequestError("Parameter 'latitude' and 'longitude' must have the same number of elements")
    variables = _hourly_variables(query.get("hourly"))
    wind_unit = query.get("wind_speed_unit") or query.get("windspeed_unit") or "kmh"
    if wind_unit not in _WIND_FACTORS:
        raise _BadRequestError(f"Cannot initialize WindspeedUnit from invalid String value {wind_unit}")
    if query.get("timeformat", "iso8601") != "iso8601":
        raise _BadRequestError("The sample source answers timeformat=iso8601 only")
    first_day, last_day = _date_range(query, context.now.astimezone(dt.UTC).date(), is_archive, is_historical)

    hours = int(((last_day - first_day).days + 1) * 24)
    start = dt.datetime.combine(first_day, dt.time(0), tzinfo=dt.UTC)
    times = [start + dt.timedelta(hours=offset) for offset in range(hours)]
    grid = 0.25 if is_archive else 0.03  # ERA5 0.25 degree cells; the forecast models are finer
    locations = [
        _location(
            context.seed,
            latitude=latitude,
            longitude=longitude,
            grid=grid,
            times=times,
            variables=variables,
            wind_factor=_WIND_FACTORS[wind_unit],
            wind_unit=wind_unit,
        )
        for latitude, longitude in zip(latitudes, longitudes, strict=True)
    ]
    return locations[0] if len(locations) == 1 else locations


def _floats(text: str | None, name: str, limit: float) -> list[float]:
    if not text:
        raise _BadRequestError(f"Parameter '{name}' is required")
    values: list[float] = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            raise _BadRequestError(f"Value of type 'Float' required for key '{name}'.") from None
        if not -limit <= value <= limit or math.isnan(value):
            raise _BadRequestError(f"Parameter '{name}' must be in range of -{limit:g} to {limit:g}. Given: {part}.")
        values.append(value)
    return values


def _hourly_variables(text: str | None) -> list[str]:
    if not text:
        raise _BadRequestError("Parameter 'hourly' is required by the sample source")
    names = [name.strip() for name in text.split(",") if name.strip()]
    for name in names:
        if name not in _VARIABLES:
            raise _BadRequestError(
                f"Cannot initialize SurfacePressureAndHeightVariable from invalid String value {name}."
            )
    return names


def _date_range(
    query: httpx.QueryParams, today: dt.date, is_archive: bool, is_historical: bool
) -> tuple[dt.date, dt.date]:
    start_text, end_text = query.get("start_date"), query.get("end_date")
    if (start_text is None) != (end_text is None):
        raise _BadRequestError("Parameter 'start_date' and 'end_date' must be set both or none")
    if start_text is None or end_text is None:
        if is_archive:
            raise _BadRequestError("Parameter 'start_date' and 'end_date' are required")
        past_days = _int_param(query, "past_days", 0, 0, FORECAST_MAX_PAST_DAYS)
        forecast_days = _int_param(query, "forecast_days", 7, 0, FORECAST_MAX_DAYS)
        return today - dt.timedelta(days=past_days), today + dt.timedelta(days=forecast_days - 1)
    first_day, last_day = _iso_date(start_text, "start_date"), _iso_date(end_text, "end_date")
    if last_day < first_day:
        raise _BadRequestError("End-date must be larger or equals than start-date")
    if is_archive:
        # The real archive accepts recent dates and answers null where ERA5 is not there yet; the sample has values.
        allowed = (ARCHIVE_FIRST_DAY, today)
    elif is_historical:
        allowed = (HISTORICAL_FORECAST_FIRST_DAY, today + dt.timedelta(days=FORECAST_MAX_DAYS - 1))
    else:
        allowed = (
            today - dt.timedelta(days=FORECAST_MAX_PAST_DAYS),
            today + dt.timedelta(days=FORECAST_MAX_DAYS - 1),
        )
    for name, day in (("start_date", first_day), ("end_date", last_day)):
        if not allowed[0] <= day <= allowed[1]:
            raise _BadRequestError(f"Parameter '{name}' is out of allowed range from {allowed[0]} to {allowed[1]}")
    return first_day, last_day


def _int_param(query: httpx.QueryParams, name: str, default: int, low: int, high: int) -> int:
    text = query.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise _BadRequestError(f"Value of type 'Int' required for key '{name}'.") from None
    if not low <= value <= high:
        raise _BadRequestError(f"Parameter '{name}' must be between {low} and {high}")
    return value


def _iso_date(text: str, name: str) -> dt.date:
    try:
        if len(text) != 10:
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise _BadRequestError(f"Invalid date format. Make sure to use 'YYYY-MM-DD' for '{name}'") from None


def _location(
    seed: int,
    *,
    latitude: float,
    longitude: float,
    grid: float,
    times: list[dt.datetime],
    variables: list[str],
    wind_factor: float,
    wind_unit: str,
) -> dict[str, Any]:
    # Like the real API: the reply names the grid cell used, not the point asked for.
    cell_latitude = round(round(latitude / grid) * grid, 6)
    cell_longitude = round(round(longitude / grid) * grid, 6)
    hours = [_hour(seed, cell_latitude, cell_longitude, moment) for moment in times]
    hourly: dict[str, list[Any]] = {"time": [moment.strftime("%Y-%m-%dT%H:%M") for moment in times]}
    units: dict[str, str] = {"time": "iso8601"}
    for name in variables:
        unit, value = _VARIABLES[name]
        units[name] = _WIND_UNIT_LABELS[wind_unit] if unit == "m/s" else unit
        hourly[name] = [value(hour, wind_factor) for hour in hours]
    return {
        "latitude": cell_latitude,
        "longitude": cell_longitude,
        # Deterministic (the same request gives the same bytes), in the range real replies show.
        "generationtime_ms": round(0.05 + (_mix(seed, cell_latitude, cell_longitude, len(times), 99) % 1000) / 1000, 6),
        "utc_offset_seconds": 0,
        "timezone": "GMT",
        "timezone_abbreviation": "GMT",
        "elevation": _elevation(cell_latitude, cell_longitude),
        "hourly_units": units,
        "hourly": hourly,
    }


def _elevation(latitude: float, longitude: float) -> float:
    # Texas rises from the Gulf coast (~10 m) to the Trans-Pecos (~1000 m+): a westward ramp is close enough.
    return float(round(max(3.0, (-longitude - 95.2) * 130 + (latitude - 29.0) * 20)))


_MASK64 = (1 << 64) - 1


def _mix(*parts: float) -> int:
    """A 64-bit hash of the parts (splitmix64 steps): cheap, stable across processes, no global state."""
    state = 0x9E3779B97F4A7C15
    for part in parts:
        state = (state ^ (round(part * 10_000) & _MASK64)) & _MASK64
        state = (state + 0x9E3779B97F4A7C15) & _MASK64
        state = ((state ^ (state >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        state = ((state ^ (state >> 27)) * 0x94D049BB133111EB) & _MASK64
        state ^= state >> 31
    return state


def _hour(seed: int, latitude: float, longitude: float, moment: dt.datetime) -> world.Weather:
    """Open-Meteo's view of the world at ``moment``: instantaneous values at ``moment``, radiation and
    precipitation of the hour before it."""
    model_latitude, model_longitude = world.model_point(latitude, longitude)
    now = world.weather_at(seed, model_latitude, model_longitude, moment)
    before = world.weather_at(seed, model_latitude, model_longitude, moment - dt.timedelta(hours=1))
    # Open-Meteo stamps radiation and precipitation at the END of the hour they describe.
    return dataclasses.replace(
        now,
        precipitation=before.precipitation,
        shortwave_radiation=before.shortwave_radiation,
        direct_normal_irradiance=before.direct_normal_irradiance,
    )
