"""The sample source's Open-Meteo: synthetic but physically plausible Texas weather in Open-Meteo's exact JSON format.

It answers the forecast, historical-forecast and archive endpoints like the real API does for the parameters
energylake uses: ``latitude``/``longitude`` (comma lists: several locations get a JSON list, one location a single
object), ``hourly`` (comma list), ``start_date``/``end_date`` (or ``past_days``/``forecast_days`` on the forecast
endpoints), ``wind_speed_unit`` (kmh, ms, mph, kn) and ``timezone``. Replies are always in GMT: any other
``timezone`` is answered in GMT too (documented simplification; energylake only ever asks for GMT). Bad or
missing parameters get HTTP 400 ``{"reason": "...", "error": true}`` like the real API.

Values are a pure function of (seed, latitude, longitude, hour): a seasonal + diurnal temperature cycle that
cools northward and dries westward, a few slow "weather systems" moving eastward, clouds and rain from them,
clear-sky radiation attenuated by clouds (the mean of the PRECEDING hour, as Open-Meteo defines it) and a
nocturnal low-level jet at 100 m. No global random state: the same request always gives the same bytes, and
the same hour has the same values whichever request asks for it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from energylake.sources.sample import SampleServer

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
ARCHIVE_FIRST_DAY = dt.date(1940, 1, 1)
HISTORICAL_FORECAST_FIRST_DAY = dt.date(2022, 1, 1)
FORECAST_MAX_PAST_DAYS = 92
FORECAST_MAX_DAYS = 16
_WIND_FACTORS = {"ms": 1.0, "kmh": 3.6, "mph": 2.236936, "kn": 1.943844}
_WIND_UNIT_LABELS = {"ms": "m/s", "kmh": "km/h", "mph": "mp/h", "kn": "kn"}
_GMT_NAMES = {"GMT", "UTC", "Z"}


class _BadRequestError(Exception):
    """A request the real API would refuse with HTTP 400; the message is its ``reason``."""


@dataclass(frozen=True)
class _Hour:
    """Everything about one location and one hour, in SI units (wind in m/s)."""

    temperature_2m: float
    relative_humidity_2m: float
    dew_point_2m: float
    apparent_temperature: float
    cloud_cover: float
    precipitation: float
    shortwave_radiation: float
    direct_normal_irradiance: float
    wind_speed_10m: float
    wind_speed_100m: float
    wind_direction_100m: float


# name -> (unit label, how to round/convert a value given the wind factor)
_VARIABLES: dict[str, tuple[str, Callable[[_Hour, float], float | int]]] = {
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


def reply(request: httpx.Request, server: SampleServer) -> httpx.Response:
    """Answer one Open-Meteo request (called by :class:`~energylake.sources.sample.SampleServer`)."""
    settings = server.settings
    url = str(request.url)
    is_archive = url.startswith(settings.open_meteo_archive_url)
    is_historical = url.startswith(settings.open_meteo_historical_forecast_url)
    try:
        body = _answer(request, server, is_archive=is_archive, is_historical=is_historical)
    except _BadRequestError as exc:
        return _json_response(400, {"reason": str(exc), "error": True})
    return _json_response(200, body)


def _json_response(status: int, payload: Any) -> httpx.Response:
    # The real API answers compact UTF-8 JSON ("°C" unescaped).
    content = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return httpx.Response(status, content=content, headers={"Content-Type": "application/json; charset=utf-8"})


def _answer(request: httpx.Request, server: SampleServer, *, is_archive: bool, is_historical: bool) -> Any:
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
    first_day, last_day = _date_range(query, server.now.astimezone(dt.UTC).date(), is_archive, is_historical)

    hours = int(((last_day - first_day).days + 1) * 24)
    start = dt.datetime.combine(first_day, dt.time(0), tzinfo=dt.UTC)
    times = [start + dt.timedelta(hours=offset) for offset in range(hours)]
    grid = 0.25 if is_archive else 0.03  # ERA5 0.25 degree cells; the forecast models are finer
    locations = [
        _location(
            server.seed,
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
    weather = _Weather(seed, cell_latitude, cell_longitude)
    hours = [weather.at(moment) for moment in times]
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


def _noise(*parts: float) -> float:
    """Uniform in [-1, 1), a pure function of the parts."""
    return _mix(*parts) / 2**63 - 1.0


class _Weather:
    """The synthetic climate of one grid cell."""

    # Periods (hours) of the slow oscillations standing in for passing weather systems.
    _PERIODS = (61.0, 109.0, 157.0, 233.0)

    def __init__(self, seed: int, latitude: float, longitude: float) -> None:
        self.seed = seed
        self.latitude = latitude
        self.longitude = longitude
        # Phases depend on the seed only (not the place): all of Texas shares the same weather systems...
        phases = random.Random(seed)
        self.phases = [[phases.uniform(0, 2 * math.pi) for _ in self._PERIODS] for _channel in range(4)]
        # ...reaching eastern points later, as fronts move west to east.
        self.lag_hours = (longitude + 100.0) * -3.0
        self.dryness = max(0.0, -longitude - 95.0)  # 0 on the coast, ~7 in the Far West

    def _system(self, channel: int, hours: float) -> float:
        """A smooth signal in about [-1, 1] for weather channel ``channel``."""
        total = sum(
            math.sin(2 * math.pi * (hours - self.lag_hours) / period + phase)
            for period, phase in zip(self._PERIODS, self.phases[channel], strict=True)
        )
        return total / 2.0

    def at(self, moment: dt.datetime) -> _Hour:
        hours = (moment - _EPOCH).total_seconds() / 3600
        day_of_year = moment.timetuple().tm_yday
        solar_hour = (moment.hour + self.longitude / 15.0) % 24  # local solar time
        noise = _noise(self.seed, self.latitude, self.longitude, hours, 1)

        # Temperature: warmer south, bigger seasonal and daily swings inland and north.
        annual_mean = 21.0 - 0.9 * (self.latitude - 29.5) - 0.15 * self.dryness
        seasonal_amplitude = 8.5 + 0.8 * (self.latitude - 29.5)
        seasonal = -math.cos(2 * math.pi * (day_of_year - 17) / 365.25) * seasonal_amplitude
        diurnal_amplitude = 4.5 + 0.5 * self.dryness
        diurnal = diurnal_amplitude * math.cos(2 * math.pi * (solar_hour - 15.0) / 24)
        synoptic = self._system(0, hours)
        temperature = annual_mean + seasonal + diurnal + 4.0 * synoptic + 0.4 * noise

        # Moisture: humid coast, dry west; the air dries in the afternoon and behind fronts.
        depression = 3.0 + 1.6 * self.dryness + 0.6 * (diurnal + diurnal_amplitude) - 2.5 * self._system(1, hours)
        dew_point = temperature - max(0.2, depression)
        humidity = min(100.0, max(1.0, 100.0 * _vapour_pressure(dew_point) / _vapour_pressure(temperature)))

        # Clouds and rain follow the moist phase of the weather systems.
        wetness = self._system(1, hours) - 0.08 * self.dryness
        cloud = min(100.0, max(0.0, 45.0 + 55.0 * wetness + 12.0 * _noise(self.seed, self.latitude, hours, 2)))
        rain_strength = wetness - 0.6 + 0.2 * _noise(self.seed, self.longitude, hours, 3)
        precipitation = 4.0 * rain_strength if cloud > 80.0 and rain_strength > 0 else 0.0

        # Radiation: Open-Meteo's value at HH:00 is the mean of the preceding hour, so use the sun at HH-1:30.
        sine_elevation = _sine_solar_elevation(self.latitude, self.longitude, moment - dt.timedelta(minutes=30))
        cloud_factor = 1.0 - 0.75 * (cloud / 100.0) ** 3.4
        if sine_elevation > 0:
            shortwave = 1098.0 * sine_elevation * math.exp(-0.057 / sine_elevation) * cloud_factor
            air_mass = 1.0 / max(sine_elevation, 0.05)
            direct_normal = 1361.0 * 0.7 ** (air_mass**0.678) * (1.0 - cloud / 100.0) ** 1.5
        else:
            shortwave = direct_normal = 0.0

        # Wind: windier west and in fronts; a stable night decouples 100 m from the surface (low-level jet).
        wind_10m = max(
            0.2,
            3.2 + 0.25 * self.dryness + 2.0 * abs(self._system(2, hours)) + 0.8 * max(0.0, diurnal / 5) + 0.4 * noise,
        )
        shear_exponent = 0.14 if sine_elevation > 0 else 0.32
        wind_100m = wind_10m * 10.0**shear_exponent
        direction = (170.0 + 110.0 * self._system(3, hours) + 15.0 * noise) % 360.0

        vapour = humidity / 100.0 * _vapour_pressure(temperature)
        apparent = temperature + 0.33 * vapour - 0.7 * wind_10m - 4.0
        return _Hour(
            temperature_2m=temperature,
            relative_humidity_2m=humidity,
            dew_point_2m=dew_point,
            apparent_temperature=apparent,
            cloud_cover=cloud,
            precipitation=precipitation,
            shortwave_radiation=shortwave,
            direct_normal_irradiance=direct_normal,
            wind_speed_10m=wind_10m,
            wind_speed_100m=wind_100m,
            wind_direction_100m=direction,
        )


def _vapour_pressure(celsius: float) -> float:
    """Saturation vapour pressure in hPa (Magnus formula)."""
    return 6.1094 * math.exp(17.625 * celsius / (243.04 + celsius))


def _sine_solar_elevation(latitude: float, longitude: float, moment: dt.datetime) -> float:
    day_of_year = moment.timetuple().tm_yday
    declination = math.radians(23.44) * math.sin(2 * math.pi * (284 + day_of_year) / 365.0)
    solar_hour = moment.hour + moment.minute / 60 + longitude / 15.0
    hour_angle = math.radians(15.0 * (solar_hour - 12.0))
    lat = math.radians(latitude)
    return math.sin(lat) * math.sin(declination) + math.cos(lat) * math.cos(declination) * math.cos(hour_angle)
