"""The sample source's synthetic Texas: ONE world model behind both the ERCOT and the Open-Meteo samples.

Everything is a pure function of ``seed`` and time (no global random state), so the same request always gets the
same bytes, and the ERCOT sample's load, wind and solar are driven by exactly the weather the Open-Meteo sample
reports for each weather zone's point (:data:`energylake.contracts.zones.ZONE_POINTS`). The randomness is
:mod:`energylake.sample.noise`, a counter-based generator keyed by (seed, stream) and indexed by integer time
coordinates, so a whole day, every zone, or every hour of many forecast postings is drawn in one numpy call.

Weather, per place and UTC hour (:func:`weather_at`):

* temperature: a seasonal cycle by latitude (cooler north, drier and cooler west), a diurnal cycle peaking at about
  15:00 local solar time (larger inland), and a smooth multi-day anomaly ("weather systems") from random values
  every few days interpolated smoothly and reaching eastern places later (fronts move west to east);
* dew point and humidity (humid coast, dry west; dry air behind fronts), cloud cover and occasional rain from a
  second anomaly channel;
* shortwave radiation and DNI from solar geometry, zero at night, clear-sky scaled down by cloud; as in Open-Meteo the
  value of an hour describes the hour (``radiation`` of hour ``t`` is the mean of ``[t, t+1h)``);
* wind at 10 m and 100 m: windier west and in fronts, a nocturnal low-level jet at 100 m (strongest in the west).

Grid, per UTC hour (:func:`grid_at`):

* zone load = base x hour-of-day/weekday shape x (1 + cooling/heating response of the zone's temperature around
  18 °C) -- COAST and NORTH_CENTRAL largest, FAR_WEST smallest; about 45-55 GW on mild days, 70-85 GW summer peaks;
* wind = ~38 GW installed in three regions, a power curve (cut-in 3 m/s, rated 12 m/s, cut-out 25 m/s) of the
  regions' 100 m wind; solar = ~25 GW installed, proportional to the irradiance of the sunny zones;
* net load = load - wind - solar; hub price rises convexly with net load (tens of USD/MWh normally, hundreds to
  thousands near the top, slightly negative when wind floods a low-load night); settlement points differ by small
  congestion spreads; the day-ahead market is smoother than real time.

Forecasts (:func:`load_forecast_factors`, :func:`renewable_forecast_factors`, every hour of many postings at once)
are the actual times an error that grows with the lead time; the fuel mix (:func:`fuel_mix_at`) stacks nuclear,
coal, wind, solar, storage and gas on the load.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from energylake.contracts.zones import WEATHER_ZONES, ZONE_POINTS, WeatherZone
from energylake.sample import noise

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_HOUR = dt.timedelta(hours=1)
_CENTRAL_STANDARD = dt.timedelta(hours=-6)  # load shapes follow the clock people live by; see _local_hour

# ---------------------------------------------------------------------------------------------------------------
# Deterministic noise
# ---------------------------------------------------------------------------------------------------------------


def unit(*parts: object) -> float:
    """A deterministic number in [0, 1) for ``parts`` (blake2b of their repr: stable across processes)."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def units(count: int, *parts: object) -> list[float]:
    """``count`` (<= 16) deterministic numbers in [0, 1) from one hash of ``parts``."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=4 * count).digest()
    return [int.from_bytes(digest[4 * i : 4 * i + 4], "big") / 2**32 for i in range(count)]


def signed(*parts: object) -> float:
    """Uniform in [-1, 1)."""
    return 2.0 * unit(*parts) - 1.0


def smooth(seed: int, channel: int, days: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """A smooth signal in about [-1, 1] at each of ``days`` (days since the epoch): random knots every 2, 5 and 11
    days, joined by smoothstep (value noise)."""
    total = np.zeros(np.shape(days))
    for period, weight in ((2, 0.35), (5, 0.45), (11, 0.35)):
        position = np.asarray(days) / period
        index = np.floor(position)
        fraction = position - index
        blend = fraction * fraction * (3.0 - 2.0 * fraction)
        knots = noise.key(seed, "knot", channel, period)
        low = noise.signed(knots, index.astype(np.int64))
        high = noise.signed(knots, index.astype(np.int64) + 1)
        total += weight * (low + (high - low) * blend)
    return total


# ---------------------------------------------------------------------------------------------------------------
# Weather
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Weather:
    """One place and one UTC hour, SI units (wind m/s). Radiation and precipitation describe ``[t, t+1h)``."""

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


def vapour_pressure(celsius: Any) -> Any:
    """Saturation vapour pressure in hPa (Magnus formula), of a value or an array."""
    return 6.1094 * np.exp(17.625 * celsius / (243.04 + celsius))


def sine_solar_elevation(latitude: float, longitude: float, day_of_year: int, utc_hour: Any) -> Any:
    """Sine of the sun's elevation at UTC hour of day ``utc_hour`` (fractional; a value or an array)."""
    declination = math.radians(23.44) * math.sin(2 * math.pi * (284 + day_of_year) / 365.0)
    hour_angle = np.radians(15.0 * (utc_hour + longitude / 15.0 - 12.0))
    lat = math.radians(latitude)
    return math.sin(lat) * math.sin(declination) + math.cos(lat) * math.cos(declination) * np.cos(hour_angle)


def _weather_arrays(seed: int, latitude: float, longitude: float, day: dt.date) -> list[npt.NDArray[np.float64]]:
    """The 24 UTC hours of ``day`` at one place, a whole day at once: one array per :class:`Weather` field."""
    hour_of_day = np.arange(24, dtype=np.float64)
    epoch_hours = utc_hours(dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)) + np.arange(24, dtype=np.int64)
    days = epoch_hours / 24.0
    day_of_year = day.timetuple().tm_yday
    dryness = min(8.0, max(0.0, -longitude - 95.0))  # 0 on the coast, ~7 in the Far West
    # Fronts reach the west first: the east sees the same systems about 12 h later.
    front_days = days - (longitude + 102.0) * 0.07
    solar_hour = (hour_of_day + longitude / 15.0) % 24
    jitter = noise.signed(noise.key(seed, "wx", round(latitude, 2), round(longitude, 2)), epoch_hours)

    # Temperature: warmer south, bigger seasonal and daily swings inland and north.
    annual_mean = 21.5 - 0.8 * (latitude - 29.5) - 0.12 * dryness
    seasonal = -(8.5 + 0.8 * (latitude - 29.5)) * math.cos(2 * math.pi * (day_of_year - 18) / 365.25)
    diurnal_amplitude = 4.0 + 0.6 * dryness
    diurnal = diurnal_amplitude * np.cos(2 * np.pi * (solar_hour - 15.0) / 24)
    summer = 0.5 + 0.5 * math.cos(2 * math.pi * (day_of_year - 200) / 365.25)  # 1 in July, 0 in January
    systems = smooth(seed, 0, front_days)
    temperature = annual_mean + seasonal + diurnal + systems * (6.5 - 3.0 * summer) + 0.3 * jitter  # winter fronts

    # Moisture, clouds, rain: a second channel ("wet" phases), drier west and behind cold fronts.
    wet = smooth(seed, 1, front_days) - 0.07 * dryness + 0.25 * np.minimum(0.0, systems)
    depression = np.maximum(0.3, 2.5 + 1.5 * dryness + 0.55 * (diurnal + diurnal_amplitude) - 5.0 * wet)
    dew_point = temperature - depression
    humidity = np.clip(100.0 * vapour_pressure(dew_point) / vapour_pressure(temperature), 1.0, 100.0)
    cloud_noise = noise.signed(noise.key(seed, "cloud", round(latitude)), epoch_hours)
    cloud = np.clip(40.0 + 70.0 * wet + 10.0 * cloud_noise, 0.0, 100.0)
    rain_strength = wet - 0.45 + 0.25 * noise.signed(noise.key(seed, "rain", round(longitude)), epoch_hours)
    raining = (cloud > 75.0) & (rain_strength > 0)
    precipitation = np.where(raining, np.round(np.minimum(40.0, 6.0 * rain_strength), 1), 0.0)

    # Radiation of the hour [t, t+1h): the sun at t+30 min.
    sine_elevation = sine_solar_elevation(latitude, longitude, day_of_year, hour_of_day + 0.5)
    sun_up = sine_elevation > 0.0
    cloud_factor = 1.0 - 0.75 * (cloud / 100.0) ** 3.0
    clear_sky = 1098.0 * sine_elevation * np.exp(-0.057 / np.maximum(sine_elevation, 0.01))
    shortwave = np.where(sun_up, clear_sky * cloud_factor, 0.0)
    air_mass = 1.0 / np.maximum(sine_elevation, 0.05)
    direct_normal = np.where(sun_up, 1361.0 * 0.7 ** (air_mass**0.678) * (1.0 - cloud / 100.0) ** 1.5, 0.0)

    # Wind: windier west and in fronts (|d anomaly| ~ pressure gradients), the sun mixes momentum down by day,
    # and a stable night decouples 100 m from the surface (low-level jet, strongest in the west).
    front = np.abs(smooth(seed, 2, front_days))
    daylight = np.clip(3.0 * sine_solar_elevation(latitude, longitude, day_of_year, hour_of_day), 0.0, 1.0)
    wind_10m = np.maximum(0.3, 2.0 + 0.2 * dryness + 4.0 * front + 0.8 * daylight + 0.4 * jitter)
    shear = (1.3 + 0.02 * dryness) * daylight + (1.5 + 0.07 * dryness) * (1.0 - daylight)
    direction = (170.0 + 120.0 * smooth(seed, 3, front_days) + 15.0 * jitter) % 360.0

    vapour = humidity / 100.0 * vapour_pressure(temperature)
    apparent = temperature + 0.33 * vapour - 0.7 * wind_10m - 4.0
    # In Weather's field order.
    return [
        temperature,
        humidity,
        dew_point,
        apparent,
        cloud,
        precipitation,
        shortwave,
        direct_normal,
        wind_10m,
        wind_10m * shear,
        direction,
    ]


@functools.lru_cache(maxsize=4096)
def weather_day(seed: int, latitude: float, longitude: float, day: dt.date) -> tuple[Weather, ...]:
    """The 24 UTC hours of ``day`` at one place."""
    columns = [column.tolist() for column in _weather_arrays(seed, latitude, longitude, day)]
    return tuple(Weather(*hour) for hour in zip(*columns, strict=True))


def model_point(latitude: float, longitude: float) -> tuple[float, float]:
    """The place the model is evaluated at for a requested grid cell: a weather zone's point when the cell lies
    within 0.3 degrees of it (so Open-Meteo and ERCOT agree exactly), else the cell itself."""
    for point in ZONE_POINTS.values():
        if abs(point.latitude - latitude) <= 0.3 and abs(point.longitude - longitude) <= 0.3:
            return point.latitude, point.longitude
    return latitude, longitude


def weather_at(seed: int, latitude: float, longitude: float, moment: dt.datetime) -> Weather:
    """The weather at a place for the UTC hour starting at ``moment`` (floored to the hour)."""
    utc = moment.astimezone(dt.UTC)
    return weather_day(seed, latitude, longitude, utc.date())[utc.hour]


def zone_weather(seed: int, zone: WeatherZone, moment: dt.datetime) -> Weather:
    point = ZONE_POINTS[zone]
    return weather_at(seed, point.latitude, point.longitude, moment)


# ---------------------------------------------------------------------------------------------------------------
# Grid
# ---------------------------------------------------------------------------------------------------------------

# zone -> (mild-day mean MW, cooling sensitivity, heating sensitivity) ; sensitivities scale a shared curve.
ZONE_LOAD: dict[WeatherZone, tuple[float, float, float]] = {
    "COAST": (13400.0, 1.05, 1.1),
    "EAST": (2100.0, 1.0, 1.1),
    "FAR_WEST": (5600.0, 0.6, 0.7),  # Permian oil-field load: large and flat
    "NORTH": (1100.0, 1.0, 1.2),  # the smallest zone
    "NORTH_CENTRAL": (13300.0, 1.1, 1.15),
    "SOUTH_CENTRAL": (7400.0, 1.05, 1.1),
    "SOUTHERN": (3900.0, 0.95, 1.2),
    "WEST": (1650.0, 0.95, 1.1),
}
BALANCE_POINT_C = 18.0
COOLING_SATURATION_C = 16.0  # degrees above the balance point where cooling load stops growing fast
# Wind regions as ERCOT's wind report splits them: installed MW and the zones whose 100 m wind drives them.
WIND_REGIONS: dict[str, tuple[float, tuple[WeatherZone, ...]]] = {
    "SouthHouston": (9500.0, ("SOUTHERN", "COAST")),
    "West": (25500.0, ("FAR_WEST", "WEST")),
    "North": (3000.0, ("NORTH",)),
}
WIND_INSTALLED_MW = sum(installed for installed, _ in WIND_REGIONS.values())
SOLAR_INSTALLED_MW = 25000.0
SOLAR_SHARE: dict[WeatherZone, float] = {  # where the solar fleet sits
    "FAR_WEST": 0.38,
    "WEST": 0.14,
    "SOUTH_CENTRAL": 0.12,
    "SOUTHERN": 0.1,
    "NORTH_CENTRAL": 0.1,
    "COAST": 0.06,
    "NORTH": 0.05,
    "EAST": 0.05,
}
THERMAL_REFERENCE_MW = 72000.0  # net load at which the system runs out of cheap headroom


def _local_hour(moment: dt.datetime) -> tuple[float, int]:
    """(hour of day, weekday) on Central daylight/standard clock time."""
    from energylake.timeconv import CENTRAL

    local = moment.astimezone(CENTRAL)
    return local.hour + local.minute / 60, local.weekday()


def hour_shape(local_hour: float, weekday: int) -> float:
    """Relative load by hour of day (trough ~04:00, morning shoulder, evening peak ~18:00) and weekday."""
    shape = (
        1.0
        + 0.085 * math.cos(2 * math.pi * (local_hour - 17.5) / 24)
        + 0.035 * math.cos(4 * math.pi * (local_hour - 9.0) / 24)
    )
    if weekday >= 5:
        shape *= 0.93 if weekday == 5 else 0.91
    return shape


def temperature_response(celsius: float, cooling: float, heating: float) -> float:
    """1 + extra load share for cooling above / heating below the balance point (a U-shaped, convex curve). Cooling
    saturates in a heatwave (beyond ~34 °C every air conditioner already runs), so peaks stay near ERCOT's ~85 GW."""
    above = max(0.0, celsius - BALANCE_POINT_C)
    above = min(above, COOLING_SATURATION_C) + 0.3 * max(0.0, above - COOLING_SATURATION_C)
    below = max(0.0, BALANCE_POINT_C - celsius)
    return 1.0 + cooling * (0.02 * above + 0.0009 * above * above) + heating * (0.026 * below + 0.0006 * below * below)


def power_curve(speed: float) -> float:
    """Capacity factor of a turbine fleet at hub height ``speed`` (m/s): cut-in 3, rated 12, cut-out 25."""
    if speed < 3.0 or speed >= 25.0:
        return 0.0
    if speed >= 12.0:
        return 1.0
    return (speed**3 - 27.0) / (12.0**3 - 27.0)


def _price_parts(net_load: float, load: float, renewables: float) -> tuple[float, float]:
    """(normal price, scarcity adder) in USD/MWh: convex in net load, negative when renewables flood low load."""
    use = net_load / THERMAL_REFERENCE_MW
    normal = 16.0 + 22.0 * use + 14.0 * math.exp(7.5 * (use - 0.6))
    share = renewables / max(load, 1.0)
    if share > 0.45:
        normal -= 140.0 * (share - 0.45)
    scarcity = 2600.0 * ((use - 0.88) / 0.12) ** 2 if use > 0.88 else 0.0  # the adder near the top
    return normal, scarcity


def hub_price(net_load: float, load: float, renewables: float) -> float:
    """Energy price (USD/MWh) for a system state."""
    normal, scarcity = _price_parts(net_load, load, renewables)
    return min(5000.0, max(-250.0, normal + scarcity))


@dataclass(frozen=True, slots=True)
class GridHour:
    """The system in the UTC hour starting at ``start``."""

    start: dt.datetime
    zone_load: tuple[float, ...]  # MW per zone, WEATHER_ZONES order
    load: float
    wind_region: tuple[float, ...]  # MW per region, WIND_REGIONS order
    wind_speed: tuple[float, ...]  # region 100 m wind (m/s), WIND_REGIONS order
    wind: float
    solar: float
    irradiance: float  # solar-fleet-weighted shortwave radiation (W/m²)
    net_load: float
    price: float  # hub energy price before congestion and RT/DAM effects

    def zone(self, zone: WeatherZone) -> float:
        return self.zone_load[WEATHER_ZONES.index(zone)]


def _grid_hour(seed: int, start: dt.datetime) -> GridHour:
    local_hour, weekday = _local_hour(start)
    shape = hour_shape(local_hour, weekday)
    weather = {zone: zone_weather(seed, zone, start) for zone in WEATHER_ZONES}
    noise = units(len(WEATHER_ZONES) + 4, seed, "grid", start.timestamp())
    loads = []
    for index, zone in enumerate(WEATHER_ZONES):
        base, cooling, heating = ZONE_LOAD[zone]
        flat = 0.5 if zone == "FAR_WEST" else 0.0  # oil-field load runs around the clock
        zone_shape = flat + (1.0 - flat) * shape
        response = temperature_response(weather[zone].temperature_2m, cooling, heating)
        loads.append(round(base * zone_shape * response * (0.99 + 0.02 * noise[index]), 2))
    speeds, regions = [], []
    for index, (installed, zones) in enumerate(WIND_REGIONS.values()):
        speed = sum(weather[zone].wind_speed_100m for zone in zones) / len(zones)
        availability = 0.9 + 0.05 * noise[len(WEATHER_ZONES) + index]
        speeds.append(speed)
        regions.append(round(installed * availability * power_curve(speed), 2))
    irradiance = sum(share * weather[zone].shortwave_radiation for zone, share in SOLAR_SHARE.items())
    solar = 0.0
    if irradiance > 0.0:
        solar = round(min(0.92, 0.88 * irradiance / 1000.0) * SOLAR_INSTALLED_MW * (0.97 + 0.03 * noise[-1]), 2)
    load, wind = sum(loads), sum(regions)
    net_load = load - wind - solar
    return GridHour(
        start=start,
        zone_load=tuple(loads),
        load=round(load, 2),
        wind_region=tuple(regions),
        wind_speed=tuple(speeds),
        wind=round(wind, 2),
        solar=solar,
        irradiance=irradiance,
        net_load=net_load,
        price=hub_price(net_load, load, wind + solar),
    )


@functools.lru_cache(maxsize=1024)
def grid_day(seed: int, day: dt.date) -> tuple[GridHour, ...]:
    """The 24 UTC hours of UTC ``day``."""
    start = dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)
    return tuple(_grid_hour(seed, start + hour * _HOUR) for hour in range(24))


@functools.lru_cache(maxsize=1024)
def _grid_day_arrays(seed: int, day: dt.date) -> tuple[npt.NDArray[np.float64], ...]:
    """(zone load (24, zones), wind by region (24, regions), solar, load, net load, price (24,)) of UTC ``day``,
    read-only."""
    hours = grid_day(seed, day)
    arrays = (
        np.array([hour.zone_load for hour in hours], dtype=np.float64),
        np.array([hour.wind_region for hour in hours], dtype=np.float64),
        np.array([hour.solar for hour in hours], dtype=np.float64),
        np.array([hour.load for hour in hours], dtype=np.float64),
        np.array([hour.net_load for hour in hours], dtype=np.float64),
        np.array([hour.price for hour in hours], dtype=np.float64),
        np.array([hour.wind for hour in hours], dtype=np.float64),
    )
    for array in arrays:
        array.flags.writeable = False
    return arrays


@dataclass(frozen=True)
class GridSeries:
    """The grid's hours ``first_hour`` .. ``first_hour + len - 1`` (UTC hours since the epoch) as arrays."""

    first_hour: int
    zone_load: npt.NDArray[np.float64]  # (hours, zones), WEATHER_ZONES order
    wind_region: npt.NDArray[np.float64]  # (hours, regions), WIND_REGIONS order
    solar: npt.NDArray[np.float64]  # (hours,)
    load: npt.NDArray[np.float64]  # (hours,)
    net_load: npt.NDArray[np.float64]
    price: npt.NDArray[np.float64]  # the hub's, before congestion and RT/DAM effects
    wind: npt.NDArray[np.float64]


def grid_series(seed: int, first_hour: int, last_hour: int) -> GridSeries:
    """The grid hours from ``first_hour`` to ``last_hour`` (UTC hours since the epoch, both included)."""
    first_day, last_day = first_hour // 24, last_hour // 24
    days = [_grid_day_arrays(seed, _EPOCH_DAY + dt.timedelta(days=index)) for index in range(first_day, last_day + 1)]
    cut = slice(first_hour - 24 * first_day, last_hour - 24 * first_day + 1)
    parts = (np.concatenate([day[part] for day in days])[cut] for part in range(7))
    return GridSeries(first_hour, *parts)


_EPOCH_DAY = _EPOCH.date()


def grid_at(seed: int, moment: dt.datetime) -> GridHour:
    """The grid hour containing ``moment``."""
    utc = moment.astimezone(dt.UTC)
    return grid_day(seed, utc.date())[utc.hour]


# ---------------------------------------------------------------------------------------------------------------
# Prices at settlement points
# ---------------------------------------------------------------------------------------------------------------

# point -> (static spread USD/MWh, sensitivity to West wind output share, sensitivity to load above 60 GW)
_SPREADS: dict[str, tuple[float, float, float]] = {
    "HB_HOUSTON": (0.6, 2.0, 6.0),
    "HB_NORTH": (0.0, 0.0, 2.0),
    "HB_PAN": (-2.5, -28.0, 0.0),
    "HB_SOUTH": (-0.3, 1.0, 3.0),
    "HB_WEST": (-1.2, -16.0, 0.0),
    "LZ_AEN": (0.4, 0.5, 3.0),
    "LZ_CPS": (0.5, 0.5, 3.5),
    "LZ_HOUSTON": (0.9, 2.0, 7.0),
    "LZ_LCRA": (0.3, -1.0, 3.0),
    "LZ_NORTH": (0.3, 0.0, 2.5),
    "LZ_RAYBN": (0.5, 0.0, 2.0),
    "LZ_SOUTH": (0.0, 1.0, 3.5),
    "LZ_WEST": (-0.8, -12.0, 0.5),
    "7RNCHSLR_ALL": (-2.0, -20.0, 0.0),
    "A4_DGR1_RN": (-1.5, -10.0, 1.0),
    "APPALOSA_ALL": (-2.5, -24.0, 0.0),
    "DC_E": (0.2, -2.0, 1.0),
    "DC_L": (0.0, -6.0, 1.0),
    "DC_N": (-0.2, -8.0, 1.0),
}
_HUB_AVERAGE = ("HB_HOUSTON", "HB_NORTH", "HB_SOUTH", "HB_WEST")


def rt_prices(seed: int, interval_minutes: npt.NDArray[np.int64], points: Sequence[str]) -> npt.NDArray[np.float64]:
    """Real-time settlement point prices (USD/MWh), one row per 15-minute interval (its start in UTC minutes since
    the epoch) and one column per point: the hour's price with a system-wide shock and rare spikes shared by every
    point, plus each point's congestion spread and a little noise of its own."""
    minutes = np.asarray(interval_minutes, dtype=np.int64)
    hours = minutes // 60
    grid = grid_series(seed, int(hours.min()), int(hours.max())) if len(hours) else None
    if grid is None:
        return np.zeros((0, len(points)))
    at = hours - grid.first_hour
    price, net_load, load = grid.price[at], grid.net_load[at], grid.load[at]
    west_share = grid.wind_region[at, 1] / WIND_REGIONS["West"][0]
    energy = price * (1.0 + 0.12 * noise.signed(noise.key(seed, "rt-shock"), minutes))
    spike = noise.uniform(noise.key(seed, "rt-spike"), minutes) < 0.004  # a spike's chance
    spike_size = noise.uniform(noise.key(seed, "rt-spike-size"), minutes)
    energy = energy + np.where(spike & (net_load > 0.6 * THERMAL_REFERENCE_MW), 150.0 + 850.0 * spike_size, 0.0)
    stress = np.maximum(0.0, load - 60000.0) / 20000.0
    level = 1.0 + np.abs(energy) / 400.0
    prices: npt.NDArray[np.float64] = np.empty((len(minutes), len(points)))
    for column, point in enumerate(points):
        local = 0.4 * noise.signed(noise.key(seed, "rt", point), minutes)
        prices[:, column] = energy + _spread_array(point, west_share, stress, level) + local
    rounded: npt.NDArray[np.float64] = np.round(np.clip(prices, -250.0, 5000.0), 2).astype(np.float64) + 0.0
    return rounded


def _spread_array(
    point: str, west_share: npt.NDArray[np.float64], stress: npt.NDArray[np.float64], level: npt.NDArray[np.float64]
) -> Any:
    """:func:`_spread` for arrays of hours (``level``: ``1 + |energy| / 400``)."""
    if point in ("HB_HUBAVG", "HB_BUSAVG"):
        extra = 0.05 if point == "HB_BUSAVG" else 0.0
        hubs = sum(_spread_array(hub, west_share, stress, level) for hub in _HUB_AVERAGE)
        return hubs / len(_HUB_AVERAGE) + extra
    static, wind_sensitivity, load_sensitivity = _SPREADS.get(point, (0.0, 0.0, 0.0))
    return (static + wind_sensitivity * west_share + load_sensitivity * stress) * level


def rt_price(seed: int, point: str, interval_start: dt.datetime) -> float:
    """Real-time settlement point price (USD/MWh) of the 15-minute interval starting at ``interval_start``."""
    day, minute = divmod(utc_minutes(interval_start), 1440)
    return _rt_day_column(seed, day, point)[minute // 15]


@functools.lru_cache(maxsize=1024)
def _rt_day_column(seed: int, day: int, point: str) -> tuple[float, ...]:
    """:func:`rt_prices` of one point for the 96 quarter hours of UTC day ``day`` (days since the epoch)."""
    minutes = day * 1440 + 15 * np.arange(96, dtype=np.int64)
    return tuple(rt_prices(seed, minutes, (point,))[:, 0].tolist())


def dam_prices(seed: int, hours: npt.NDArray[np.int64], points: Sequence[str]) -> npt.NDArray[np.float64]:
    """Day-ahead settlement point prices, one row per hour (UTC hours since the epoch) and one column per point:
    smoother than real time (the market clears on expectations: scarcity is priced at half its weight, no real-time
    shocks)."""
    hours = np.asarray(hours, dtype=np.int64)
    if not len(hours):
        return np.zeros((0, len(points)))
    grid = grid_series(seed, int(hours.min()), int(hours.max()))
    at = hours - grid.first_hour
    load, net_load = grid.load[at], grid.net_load[at]
    use = net_load / THERMAL_REFERENCE_MW
    normal = 16.0 + 22.0 * use + 14.0 * np.exp(7.5 * (use - 0.6))
    share = (grid.wind[at] + grid.solar[at]) / np.maximum(load, 1.0)
    normal = normal - np.where(share > 0.45, 140.0 * (share - 0.45), 0.0)  # renewables flooding low load
    scarcity = np.where(use > 0.88, 2600.0 * ((use - 0.88) / 0.12) ** 2, 0.0)  # the adder near the top
    energy = (2.0 + normal + 0.5 * scarcity) * (1.0 + 0.03 * noise.signed(noise.key(seed, "dam"), hours))
    west_share = grid.wind_region[at, 1] / WIND_REGIONS["West"][0]
    stress = np.maximum(0.0, load - 60000.0) / 20000.0
    level = 1.0 + np.abs(energy) / 400.0
    prices: npt.NDArray[np.float64] = np.empty((len(hours), len(points)))
    for column, point in enumerate(points):
        local = 0.2 * noise.signed(noise.key(seed, "dam", point), hours)
        prices[:, column] = energy + 0.8 * _spread_array(point, west_share, stress, level) + local
    rounded: npt.NDArray[np.float64] = np.round(np.clip(prices, -250.0, 5000.0), 2).astype(np.float64) + 0.0
    return rounded


def dam_price(seed: int, point: str, hour_start: dt.datetime) -> float:
    """Day-ahead settlement point price of the hour starting at ``hour_start`` (:func:`dam_prices`)."""
    day, hour = divmod(utc_hours(hour_start), 24)
    return _dam_day_column(seed, day, point)[hour]


@functools.lru_cache(maxsize=1024)
def _dam_day_column(seed: int, day: int, point: str) -> tuple[float, ...]:
    """:func:`dam_prices` of one point for the 24 hours of UTC day ``day`` (days since the epoch)."""
    hours = day * 24 + np.arange(24, dtype=np.int64)
    return tuple(dam_prices(seed, hours, (point,))[:, 0].tolist())


# ---------------------------------------------------------------------------------------------------------------
# Forecasts
# ---------------------------------------------------------------------------------------------------------------


def _lead_sigma(lead_hours: float, floor: float, growth: float) -> float:
    return floor + growth * math.sqrt(max(0.0, lead_hours))


_LOAD_FORECAST_BIAS = {"A3": 0.004, "E": 0.0, "M": -0.005}
# (floor, growth with the square root of the lead in hours, weight of the error shared by a UTC date)
_LOAD_FORECAST_SHAPE = (0.006, 0.0035, 0.8)
_RENEWABLE_FORECAST_SHAPE = (0.03, 0.017, 0.7)
LOAD_FORECAST_NOISE = 0.6  # weight of the hour's own error in load_forecast_factor
RENEWABLE_FORECAST_NOISE = 0.7  # and in renewable_forecast_factor


def load_forecast_factors(
    seed: int, model: str, posted_minutes: npt.NDArray[np.int64], delivery_hours: npt.NDArray[np.int64], count: int
) -> npt.NDArray[np.float64]:
    """Multipliers turning actual load into the forecast of ``model``, one row per (posting, delivery hour) pair and
    ``count`` columns (zones): ``posted_minutes`` are the postings' UTC minutes since the epoch, ``delivery_hours``
    the delivery hours' UTC hours since the epoch. The error grows with the lead time (~1% a few hours ahead, ~5% a
    week ahead) and is mostly shared by the hours of one UTC date of one posting (a missed front)."""
    return _forecast_factors(
        (seed, "lf", model),
        posted_minutes,
        delivery_hours,
        count,
        shape=_LOAD_FORECAST_SHAPE,
        base=1.0 + _LOAD_FORECAST_BIAS.get(model, 0.0),
        noise_weight=LOAD_FORECAST_NOISE,
        floor_at_zero=False,
    )


def renewable_forecast_factors(
    seed: int, kind: str, posted_minutes: npt.NDArray[np.int64], delivery_hours: npt.NDArray[np.int64], count: int
) -> npt.NDArray[np.float64]:
    """Multipliers for wind/solar forecasts (as :func:`load_forecast_factors`): ~3% error an hour ahead growing to
    ~25% a week ahead, never below zero."""
    return _forecast_factors(
        (seed, kind),
        posted_minutes,
        delivery_hours,
        count,
        shape=_RENEWABLE_FORECAST_SHAPE,
        base=1.0,
        noise_weight=RENEWABLE_FORECAST_NOISE,
        floor_at_zero=True,
    )


def _forecast_factors(
    stream: tuple[object, ...],
    posted_minutes: npt.NDArray[np.int64],
    delivery_hours: npt.NDArray[np.int64],
    count: int,
    *,
    shape: tuple[float, float, float],
    base: float,
    noise_weight: float,
    floor_at_zero: bool,
) -> npt.NDArray[np.float64]:
    floor, growth, shared_weight = shape
    posted = np.asarray(posted_minutes, dtype=np.int64)
    delivery = np.asarray(delivery_hours, dtype=np.int64)
    lead_hours = (delivery * 60 - posted) / 60.0
    sigma = floor + growth * np.sqrt(np.maximum(lead_hours, 0.0))
    shared = shared_weight * noise.signed(noise.key(*stream, "day"), posted, delivery // 24)
    own = noise.signed(noise.key(*stream), posted[:, None], delivery[:, None], np.arange(count, dtype=np.int64))
    factors: npt.NDArray[np.float64] = base + sigma[:, None] * (shared[:, None] + noise_weight * own)
    return np.maximum(factors, 0.0) if floor_at_zero else factors


def utc_minutes(moment: dt.datetime) -> int:
    """Whole UTC minutes since the epoch (a posting's coordinate in the forecast noise)."""
    return int(moment.timestamp()) // 60


def utc_hours(moment: dt.datetime) -> int:
    """Whole UTC hours since the epoch (a delivery hour's coordinate)."""
    return int(moment.timestamp()) // 3600


def load_forecast_factor(seed: int, model: str, posted: dt.datetime, delivery: dt.datetime, count: int) -> list[float]:
    """:func:`load_forecast_factors` of one posting and one delivery hour."""
    factors = load_forecast_factors(seed, model, _one(utc_minutes(posted)), _one(utc_hours(delivery)), count)
    return [float(value) for value in factors[0]]


def renewable_forecast_factor(
    seed: int, kind: str, posted: dt.datetime, delivery: dt.datetime, count: int
) -> list[float]:
    """:func:`renewable_forecast_factors` of one posting and one delivery hour."""
    factors = renewable_forecast_factors(seed, kind, _one(utc_minutes(posted)), _one(utc_hours(delivery)), count)
    return [float(value) for value in factors[0]]


def _one(value: int) -> npt.NDArray[np.int64]:
    return np.array([value], dtype=np.int64)


# ---------------------------------------------------------------------------------------------------------------
# Fuel mix
# ---------------------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _daily_mean_net_load(seed: int, day: dt.date) -> float:
    hours = grid_day(seed, day)
    return sum(hour.net_load for hour in hours) / len(hours)


def fuel_mix_at(seed: int, moment: dt.datetime) -> dict[str, float]:
    """Generation (MW) by fuel at ``moment`` (interpolated between hours), summing to the system load."""
    utc = moment.astimezone(dt.UTC)
    hour_start = utc.replace(minute=0, second=0, microsecond=0)
    weight = (utc - hour_start).total_seconds() / 3600
    now, after = grid_at(seed, hour_start), grid_at(seed, hour_start + _HOUR)

    def mix(first: float, second: float) -> float:
        return first + (second - first) * weight

    load = mix(now.load, after.load)
    wind = mix(now.wind, after.wind)
    solar = mix(now.solar, after.solar)
    net_load = load - wind - solar
    noise = units(5, seed, "fuel", utc.timestamp())
    nuclear = 5030.0 + 60.0 * noise[0]
    coal = 8000.0 + 4000.0 * min(1.0, max(0.0, (net_load - 25000.0) / 40000.0)) + 150.0 * noise[1]
    hydro = 120.0 + 200.0 * noise[2]
    other = 40.0 + 60.0 * noise[3]
    # Batteries charge on the midday solar and discharge into the evening net-load peak.
    storage = min(4500.0, max(-3500.0, 0.12 * (net_load - _daily_mean_net_load(seed, utc.date())))) + 50 * noise[4]
    gas = max(2500.0, load - nuclear - coal - hydro - other - storage - wind - solar)
    return {
        "Coal and Lignite": coal,
        "Hydro": hydro,
        "Natural Gas": gas,
        "Nuclear": nuclear,
        "Other": other,
        "Power Storage": storage,
        "Solar": solar,
        "Wind": wind,
    }
