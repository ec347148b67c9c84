"""Open-Meteo hourly replies -> the silver ``weather`` table (minus lineage): one row per weather zone and hour.

Two layers:

* :func:`parse_locations` reads the reply's SHAPE, whatever it is: a JSON list of location objects or a lone object,
  ISO ``YYYY-MM-DDTHH:MM`` times (local to the reply's ``utc_offset_seconds``) or ``timeformat=unixtime`` epoch
  seconds (always UTC, whatever the offset). It returns one :class:`Location` per object with a columnar table
  (``time_utc`` + each hourly variable under its Open-Meteo name, as float64 with nulls kept). It knows nothing of
  ERCOT, so any real Open-Meteo reply (Netherlands, per-model suffixed keys...) goes through it.
* :func:`parse` applies energylake's CONTRACT on top: the reply must be in GMT (``utc_offset_seconds == 0``; we always
  ask for GMT because a named zone shifts the whole reply by one offset, wrong across DST), every one of the 11
  requested variables must be there (an unsuffixed key: per-model keys such as ``temperature_2m_gfs_seamless`` are
  not a substitute) in the unit we asked for (wind in m/s, temperatures in °C...), all arrays of one location must
  have the length of ``time``. Each location gets its weather zone: by position in the raw object's ``x-zones``
  metadata (the order the client sent the coordinates in) when present, else the nearest zone point; either way the
  location must lie within :data:`~energylake.sources.openmeteo.LOCATION_TOLERANCE_DEGREES` of that zone's point
  (Open-Meteo answers with its grid cell, not the exact point). Anything else is a ParseError naming the location
  and variable.

Window: the client asks for UTC dates ``window-start .. window-end + 1`` so that every hour of the Central
(America/Chicago) days of the window is present. When the raw object carries ``x-window-start``/``x-window-end``,
the instants kept are those of the Central days AND the instant that closes them, ``[start_utc, end_utc]``: gold
aligns an hour with the weather at both its ends, so the window's last hour needs the value stamped at
``end_utc`` (the next day's first instant); without it every run's last hour, and every seam of a chunked backfill,
had no weather. The next window keeps that instant too (its first), so adjacent windows overlap by one stamp per
zone, which later stages resolve like any refetch (latest ``fetched_at_utc`` wins). The other hours are dropped
(and counted in a note): they belong to days another request covers, possibly from another endpoint. ``rows_read``
counts every (location, hour) of the reply.

Extra hourly variables are left out and listed in ``unknown_columns``; other blocks (``daily``, ``minutely_15``,
``current``) are ignored with a note. Null values are kept (the archive answers null for its last few days).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from energylake.contracts.schemas import LINEAGE, UTC_TIMESTAMP, WEATHER
from energylake.contracts.zones import ZONE_POINTS, WeatherZone, normalize_zone_name, zone_points
from energylake.errors import InvalidRequestError, ParseError
from energylake.parse import ParseResult, RawObject
from energylake.sources.openmeteo import HOURLY_VARIABLES, LOCATION_TOLERANCE_DEGREES
from energylake.window import Window

# Open-Meteo variable -> silver column.
VARIABLE_COLUMNS: dict[str, str] = {
    "temperature_2m": "temperature_2m_c",
    "relative_humidity_2m": "relative_humidity_2m_pct",
    "dew_point_2m": "dew_point_2m_c",
    "apparent_temperature": "apparent_temperature_c",
    "cloud_cover": "cloud_cover_pct",
    "precipitation": "precipitation_mm",
    "shortwave_radiation": "shortwave_radiation_wm2",
    "direct_normal_irradiance": "direct_normal_irradiance_wm2",
    "wind_speed_10m": "wind_speed_10m_ms",
    "wind_speed_100m": "wind_speed_100m_ms",
    "wind_direction_100m": "wind_direction_100m_deg",
}
# The unit labels Open-Meteo uses for what we request (wind_speed_unit=ms). Anything else is a wrong request.
EXPECTED_UNITS: dict[str, frozenset[str]] = {
    "temperature_2m": frozenset({"°C"}),
    "relative_humidity_2m": frozenset({"%"}),
    "dew_point_2m": frozenset({"°C"}),
    "apparent_temperature": frozenset({"°C"}),
    "cloud_cover": frozenset({"%"}),
    "precipitation": frozenset({"mm"}),
    "shortwave_radiation": frozenset({"W/m²", "W/m2"}),
    "direct_normal_irradiance": frozenset({"W/m²", "W/m2"}),
    "wind_speed_10m": frozenset({"m/s"}),
    "wind_speed_100m": frozenset({"m/s"}),
    "wind_direction_100m": frozenset({"°"}),
}
assert set(VARIABLE_COLUMNS) == set(HOURLY_VARIABLES) == set(EXPECTED_UNITS)

_ISO_MINUTE = "%Y-%m-%dT%H:%M"
_DATA_BLOCKS = ("current", "minutely_15", "daily", "hourly")
_OUTPUT_SCHEMA = pa.schema(
    [pa.field(c.name, c.type, nullable=c.nullable) for c in WEATHER.columns if c not in LINEAGE],
)


@dataclass(frozen=True)
class Location:
    """One location object of a reply, as read (no contract applied)."""

    index: int  # 0-based position in the reply
    latitude: float
    longitude: float
    utc_offset_seconds: int
    units: dict[str, str]  # hourly_units
    variables: tuple[str, ...]  # every hourly key except ``time``, in reply order
    table: pa.Table  # time_utc + the variables read, float64
    other_blocks: tuple[str, ...]  # daily, minutely_15, current... present but not read

    def describe(self) -> str:
        return f"location {self.index} ({self.latitude},{self.longitude})"


def parse_locations(
    document: bytes | Any, *, variables: Sequence[str] | None = None, require: bool = True
) -> list[Location]:
    """Read every location object of an Open-Meteo reply (bytes or already-decoded JSON).

    ``variables``: the hourly variables to read into each table (all of them when None); one that is missing is a
    ParseError naming it (``require=False``: it is just not read). Times become UTC instants: ISO times minus the
    reply's ``utc_offset_seconds``, epoch seconds as they are. Arrays of another length than ``time`` are a ParseError.
    """
    payload = _decode(document) if isinstance(document, bytes | bytearray | memoryview) else document
    if isinstance(payload, dict):
        if payload.get("error") is True:
            raise ParseError(f"Open-Meteo error reply: {payload.get('reason', 'no reason given')}")
        objects: list[Any] = [payload]
    elif isinstance(payload, list):
        objects = payload
    else:
        raise ParseError(f"expected a JSON list of locations or one location object, got {type(payload).__name__}")
    if not objects:
        raise ParseError("the reply holds no location")
    return [_location(index, obj, variables, require) for index, obj in enumerate(objects)]


def parse(raw: RawObject) -> ParseResult:
    """Parse one Open-Meteo reply (the ``weather`` dataset) into silver rows, lineage columns excluded."""
    locations = parse_locations(raw.body, variables=HOURLY_VARIABLES, require=False)
    for location in locations:
        _check_contract(location)
    zones = _assign_zones(locations, raw.metadata.get("x-zones"))
    unknown: list[str] = []
    other_blocks: list[str] = []
    tables: list[pa.Table] = []
    rows_read = 0
    for location, zone in zip(locations, zones, strict=True):
        rows_read += location.table.num_rows
        unknown.extend(name for name in location.variables if name not in VARIABLE_COLUMNS and name not in unknown)
        other_blocks.extend(block for block in location.other_blocks if block not in other_blocks)
        tables.append(_silver_rows(location, zone))
    table = pa.concat_tables(tables) if tables else _OUTPUT_SCHEMA.empty_table()
    notes: list[str] = []
    if other_blocks:
        notes.append(f"ignored blocks: {', '.join(other_blocks)}")
    table, dropped = _trim_to_window(table, raw.metadata)
    if dropped:
        notes.append(f"dropped {dropped} rows outside the Central days of the window and their closing instant")
    return ParseResult(table=table, rows_read=rows_read, unknown_columns=unknown, notes=notes)


# --- shape --------------------------------------------------------------------------------------------------------


def _decode(body: bytes | bytearray | memoryview) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ParseError(f"Open-Meteo reply is not JSON ({exc})") from None


def _location(index: int, obj: Any, wanted: Sequence[str] | None, require: bool) -> Location:
    where = f"location {index}"
    if not isinstance(obj, dict):
        raise ParseError(f"{where} is not a JSON object but {type(obj).__name__}")
    latitude, longitude = obj.get("latitude"), obj.get("longitude")
    if not _is_number(latitude) or not _is_number(longitude):
        raise ParseError(f"{where} lacks a numeric latitude/longitude", column="latitude")
    where = f"location {index} ({latitude},{longitude})"
    offset = obj.get("utc_offset_seconds", 0)
    if not isinstance(offset, int) or isinstance(offset, bool):
        raise ParseError(f"{where} has a non-integer utc_offset_seconds {offset!r}", column="utc_offset_seconds")
    hourly = obj.get("hourly")
    if not isinstance(hourly, dict):
        raise ParseError(f"{where} lacks the hourly block", column="hourly")
    units = obj.get("hourly_units") or {}
    if not isinstance(units, dict):
        raise ParseError(f"{where} has a hourly_units that is not an object", column="hourly_units")
    times = hourly.get("time")
    if not isinstance(times, list):
        raise ParseError(f"{where} lacks hourly.time", column="time")
    names = tuple(name for name in hourly if name != "time")
    to_read = names if wanted is None else tuple(wanted)
    columns: dict[str, pa.Array] = {"time_utc": _times(times, offset, units.get("time"), where)}
    for name in to_read:
        values = hourly.get(name)
        if name not in hourly:
            if not require:
                continue
            raise ParseError(f"{where} lacks the hourly variable {name}{_suffix_hint(name, names)}", column=name)
        if not isinstance(values, list):
            raise ParseError(f"{where}: hourly.{name} is not an array", column=name)
        if len(values) != len(times):
            raise ParseError(
                f"{where}: hourly.{name} has {len(values)} values but hourly.time has {len(times)}", column=name
            )
        columns[name] = _floats(values, name, where)
    return Location(
        index=index,
        latitude=float(latitude),
        longitude=float(longitude),
        utc_offset_seconds=offset,
        units={str(key): str(value) for key, value in units.items()},
        variables=names,
        table=pa.table(columns),
        other_blocks=tuple(block for block in _DATA_BLOCKS if block != "hourly" and block in obj),
    )


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _suffix_hint(name: str, names: Sequence[str]) -> str:
    suffixed = [other for other in names if other.startswith(f"{name}_")]
    if not suffixed:
        return ""
    return f" (the reply has per-model keys {', '.join(suffixed)}: request one model, without models=)"


def _times(times: list[Any], offset: int, unit: str | None, where: str) -> pa.Array:
    """UTC instants of ``hourly.time``: ISO minutes local to ``offset``, or epoch seconds (already UTC)."""
    if not times:
        return pa.array([], UTC_TIMESTAMP)
    if unit == "unixtime" or (unit is None and _is_number(times[0])):
        try:
            seconds = pa.array(times, pa.int64())
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            raise ParseError(f"{where}: hourly.time holds values that are not epoch seconds", column="time") from None
        _no_nulls(seconds, "time", where)
        return pc.multiply(seconds, 1_000_000).cast(UTC_TIMESTAMP)
    try:
        text = pa.array(times, pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        raise ParseError(f"{where}: hourly.time holds values that are not ISO strings", column="time") from None
    _no_nulls(text, "time", where)
    parsed = pc.strptime(text, format=_ISO_MINUTE, unit="us", error_is_null=True)
    if parsed.null_count:
        row = pc.index(pc.is_null(parsed), True).as_py()
        raise ParseError(
            f"{where}: hourly.time {times[row]!r} is not YYYY-MM-DDTHH:MM", column="time", row=row + 1
        ) from None
    local = parsed.cast(pa.int64())
    return pc.subtract(local, offset * 1_000_000).cast(UTC_TIMESTAMP)


def _no_nulls(array: pa.Array, column: str, where: str) -> None:
    if array.null_count:
        row = pc.index(pc.is_null(array), True).as_py()
        raise ParseError(f"{where}: hourly.{column} is null", column=column, row=row + 1)


def _floats(values: list[Any], name: str, where: str) -> pa.Array:
    try:
        return pa.array(values, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    for row, value in enumerate(values, start=1):  # error path only: find the culprit
        if value is not None and not _is_number(value):
            raise ParseError(f"{where}: hourly.{name} holds a non-number {value!r}", column=name, row=row)
    raise ParseError(f"{where}: hourly.{name} is not numeric", column=name)


# --- contract -----------------------------------------------------------------------------------------------------


def _check_contract(location: Location) -> None:
    where = location.describe()
    if location.utc_offset_seconds != 0:
        raise ParseError(
            f"{where} has utc_offset_seconds={location.utc_offset_seconds}: energylake always requests GMT "
            "(a named timezone applies one offset to the whole reply, wrong across DST)",
            column="utc_offset_seconds",
        )
    for name in HOURLY_VARIABLES:
        if name not in location.variables:
            hint = _suffix_hint(name, location.variables)
            raise ParseError(f"{where} lacks the requested hourly variable {name}{hint}", column=name)
        unit = location.units.get(name)
        if unit not in EXPECTED_UNITS[name]:
            expected = " or ".join(sorted(EXPECTED_UNITS[name]))
            hint = " (was wind_speed_unit=ms requested?)" if name.startswith("wind_speed") else ""
            raise ParseError(
                f"{where}: hourly.{name} is in unit {unit!r}, expected {expected}{hint}",
                column=name,
            )


def _assign_zones(locations: Sequence[Location], zones_text: str | None) -> list[WeatherZone]:
    if zones_text:
        try:
            zones = [normalize_zone_name(name) for name in zones_text.split(",")]
        except InvalidRequestError as exc:
            raise ParseError(f"raw metadata x-zones={zones_text!r}: {exc}", column="x-zones") from None
        if len(zones) != len(locations):
            raise ParseError(
                f"raw metadata x-zones names {len(zones)} zones but the reply holds {len(locations)} locations",
                column="x-zones",
            )
        for location, zone in zip(locations, zones, strict=True):
            if not _near(location, zone):
                point = ZONE_POINTS[zone]
                raise ParseError(
                    f"{location.describe()} is listed as {zone} in x-zones but lies more than "
                    f"{LOCATION_TOLERANCE_DEGREES} degrees from {point.city} ({point.latitude},{point.longitude})",
                    column="latitude",
                )
    else:
        zones = [_nearest_zone(location) for location in locations]
    seen: dict[WeatherZone, int] = {}
    for location, zone in zip(locations, zones, strict=True):
        if zone in seen:
            raise ParseError(
                f"{location.describe()} and location {seen[zone]} both belong to weather zone {zone}",
                column="latitude",
            )
        seen[zone] = location.index
    return zones


def _near(location: Location, zone: WeatherZone) -> bool:
    point = ZONE_POINTS[zone]
    return (
        abs(location.latitude - point.latitude) <= LOCATION_TOLERANCE_DEGREES
        and abs(location.longitude - point.longitude) <= LOCATION_TOLERANCE_DEGREES
    )


def _nearest_zone(location: Location) -> WeatherZone:
    nearest = min(
        zone_points(),
        key=lambda p: (p.latitude - location.latitude) ** 2 + (p.longitude - location.longitude) ** 2,
    )
    if not _near(location, nearest.zone):
        raise ParseError(
            f"{location.describe()} is no weather zone's point: the nearest, {nearest.zone} "
            f"({nearest.city} {nearest.latitude},{nearest.longitude}), is more than "
            f"{LOCATION_TOLERANCE_DEGREES} degrees away",
            column="latitude",
        )
    return nearest.zone


def _silver_rows(location: Location, zone: WeatherZone) -> pa.Table:
    rows = location.table.num_rows
    arrays: list[pa.Array] = [pa.array([zone] * rows, pa.string()), location.table.column("time_utc")]
    arrays.extend(location.table.column(name) for name in VARIABLE_COLUMNS)
    return pa.Table.from_arrays(arrays, schema=_OUTPUT_SCHEMA)


def _trim_to_window(table: pa.Table, metadata: Mapping[str, str]) -> tuple[pa.Table, int]:
    """Keep the instants of the Central days ``x-window-start .. x-window-end`` and the one closing the last day,
    ``[start_utc, end_utc]`` (everything when the metadata is absent): see the module docstring."""
    start_text, end_text = metadata.get("x-window-start"), metadata.get("x-window-end")
    if not start_text or not end_text:
        return table, 0
    try:
        window = Window(dt.date.fromisoformat(start_text), dt.date.fromisoformat(end_text))
    except ValueError:  # not ISO dates, or an end before the start (InvalidRequestError is a ValueError)
        raise ParseError(
            f"raw metadata x-window-start/x-window-end {start_text!r}/{end_text!r} are not a window of ISO dates",
            column="x-window-start",
        ) from None
    times = table.column("time_utc")
    inside = pc.and_(
        pc.greater_equal(times, pa.scalar(window.start_utc, UTC_TIMESTAMP)),
        pc.less_equal(times, pa.scalar(window.end_utc, UTC_TIMESTAMP)),
    )
    kept = table.filter(inside)
    return kept, table.num_rows - kept.num_rows
