"""The gold rules: silver -> ``energy_weather_hourly``, ``system_hourly``, ``ercot_spp_hourly``, defined ONCE.

The definition is SQL in DuckDB's dialect, one CTE-structured statement per table in ``gold/sql/`` (:data:`STATEMENTS`,
run in that order, each able to read the earlier ones' rows as views). :mod:`.duckdb` runs it as written;
:mod:`.spark` transpiles it to Spark SQL with sqlglot and runs it over temporary views. This docstring is the
specification the SQL implements; the column names and types are the gold contracts of
:mod:`energylake.contracts.schemas`.

Rules
=====

Input
    Views named after the silver datasets (``spp_rt``, ``spp_dam``, ``load_weather_zone``, ``load_forecast``,
    ``wind``, ``solar``, ``weather``: :data:`SILVER_INPUTS`), holding the contract's columns of the silver files in
    the build range's UTC date partitions (``weather`` one date more: the last hour's end point); a dataset without
    silver files is an empty view, not an error. Parameters (:func:`parameters`) are rendered into the SQL as checked
    literals (:func:`render`): the build range's UTC bounds, the market time zone, the weather zones, the hub and
    energy-weighted settlement point types, the degree-hour base. Rows are filtered to the build's UTC bounds, then
    **deduplicated**: silver may hold one natural key from several fetches (a dashboard seen twice, a day
    refetched), and the row with the greatest ``fetched_at_utc`` (then the greatest ``raw_key``) wins, for every
    table alike. Rows gold never uses are dropped BEFORE the dedupe by natural-key columns only (forecast
    ``zone_type``, renewable ``region``), so which row wins for a key is unchanged.

Build range (why it is wider than the window)
    A window is ERCOT operating days (Central), but gold is partitioned by UTC date and a Central day straddles two
    UTC dates. Writing only the window's hours would replace a partly covered UTC date partition with part of its
    hours, dropping the hours another window wrote. So the build is expanded to the **whole UTC dates the window
    touches** (``start`` .. ``end + 1``; their hours ``[start 00:00Z, end + 2 00:00Z)``) and every one of those
    hours is computed from silver. Each gold partition is therefore always whole (24 hours), a pure function of the
    silver that exists for its hours: rerunning any window that touches it rewrites the same rows, and nothing stale
    survives. Hours outside the requested days whose silver was never fetched come out as rows of NULLs with false
    ``has_*`` flags (until a build of their own days fills them).

Hours (``hours.sql``)
    ``energy_weather_hourly`` and ``system_hourly`` have a row for EVERY UTC hour of the build range (the grid comes
    from the bounds, not from data): a missing side gives NULLs and a false ``has_*`` flag, never a dropped hour.
    ``operating_day``/``hour_ending`` come from the hour's start on the America/Chicago wall clock (``hour_ending`` =
    local hour + 1, so the spring-forward day has no HE 3 and the fall-back day has HE 2 twice). ``repeated_hour``
    is true when the hour's local wall clock is not later than the local wall clock one UTC hour earlier, i.e.
    exactly the second (standard-time, UTC-6) occurrence of the fall-back hour. Both engines compute in UTC (the
    DuckDB connection's ``TimeZone``, Spark's ``spark.sql.session.timeZone``).

energy_weather_hourly (one row per weather zone of :data:`energylake.contracts.zones.WEATHER_ZONES` and hour)
    ``load_mw``: silver ``load_weather_zone`` at ``interval_start_utc``; ``has_load``: that row exists.
    Instantaneous weather (temperature, dew point, humidity, 100 m wind, cloud cover): the mean of Open-Meteo's
    values at ``time_utc`` = the hour's start and = its end; both rows are required, else NULL and
    ``has_weather`` false. Preceding-hour weather (shortwave radiation, precipitation): the value stamped at the
    hour's end (it describes exactly ``[start, end)``), present whenever that row exists. Degree hours from the
    hour's temperature: ``max(0, t - DEGREE_BASE_C)`` cooling, ``max(0, DEGREE_BASE_C - t)`` heating, NULL without t.

system_hourly (one row per hour; reads the two other tables' rows)
    ``load_mw``: sum of the zones that reported (NULL when none), ``load_zones``: how many; ``has_load``: all 8.
    ``load_forecast_mw``: zone_type SYSTEM, ``in_use`` true, ``posted_at_utc`` strictly before the hour's start;
    the latest ``posted_at_utc`` wins, ties between in-use models go to the greatest model code (deterministic).
    Wind/solar (region SYSTEM): generation = the actual of the latest vintage that carries one for the hour;
    forecast = ``forecast_mw`` of the latest vintage posted strictly before the hour's start.
    ``net_load_mw`` = load - wind - solar, NULL unless all 8 zones and both actuals are present.
    ``rt_price_<hub>_usd_mwh``: the hub's hourly RT mean and ``dam_price_<hub>`` its DAM price, both read from
    ``ercot_spp_hourly``'s rows of a hub type (:data:`~energylake.contracts.schemas.HUB_POINT_TYPES`); ``hub_avg`` is
    ``HB_HUBAVG``. ``has_prices``: the hub average has both RT and DAM. ``has_renewables``: both actuals present.
    ``load_weighted_temperature_c`` = sum(t * load) / sum(load) over the zones having both; ``has_weather``: every
    zone has weather.

ercot_spp_hourly (one row per settlement point, settlement point type and hour with any RT or DAM price)
    Real-time reports list each load zone twice under one name (``LZ`` and the energy-weighted ``LZEW``, at
    different prices): each type is its own series and its own row. RT mean/min/max over the series' RT15 prices
    whose ``interval_start_utc`` falls in the hour, ``rt_intervals`` their count (0: no RT price).
    ``dam_price_usd_mwh``: the DAM report has no type column (the parser infers HU/LZ/RN from the name; a DAM row
    without any type, curated before the type joined the key, is RN), so the point's DAM price joins the RT row of
    the same point and hour whose type matches, else one whose type is not energy weighted
    (:data:`~energylake.contracts.schemas.ENERGY_WEIGHTED_POINT_TYPES`: there is no energy-weighted day-ahead
    price), e.g. a DAM ``RN`` joins RT's ``PCCRN``, a DAM ``HU`` for ``HB_HUBAVG`` joins RT's ``AH``; ties go to the
    smallest type. A point-hour without such an RT row keeps a row of its own, typed as DAM, with ``rt_intervals`` 0.

Output
    ``gold/<table>/date=<UTC date>/`` holds the table's rows of that date (the UTC date of ``interval_start_utc``),
    the contract's columns in its order, timestamps as ``TIMESTAMP_MICROS`` UTC-adjusted (pyarrow reads
    ``timestamp[us, tz=UTC]``). Every partition of the build range is replaced whole (DuckDB: one file written aside
    then swapped in; Spark: dynamic partition overwrite); a partition of the range that gets no rows (e.g. every
    price deleted) is removed. Names, order and types are the contract's in both engines' files; nullability is the
    contract's in DuckDB's (a NULL where it forbids one fails the build before anything is written) and Spark's plan
    inference in Spark's (the contract's, except a few columns it cannot prove non-null: ``system_hourly.has_weather``,
    ``ercot_spp_hourly``'s point and type), so NOT NULL is the warehouse's to declare and readers go by names.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Final

from energylake.contracts.datasets import DatasetName
from energylake.contracts.tables import (
    DEGREE_BASE_C,
    ENERGY_WEATHER_HOURLY,
    ENERGY_WEIGHTED_POINT_TYPES,
    ERCOT_SPP_HOURLY,
    HUB_POINT_TYPES,
    SYSTEM_HOURLY,
    TableSchema,
)
from energylake.contracts.zones import WEATHER_ZONES
from energylake.timeconv import MARKET_TIME_ZONE
from energylake.window import Window

__all__ = [
    "GOLD_STATEMENTS",
    "NEXT_DATE_INPUTS",
    "SILVER_INPUTS",
    "STATEMENTS",
    "BuildRange",
    "SqlValue",
    "build_range",
    "parameters",
    "placeholders",
    "render",
    "sql_text",
    "statement",
]

# The statements in run order: ``hours`` (the labelled grid), then the gold tables; system_hourly reads the rows of
# the two before it (a hub's hourly RT mean / DAM price is exactly its ercot_spp_hourly row).
STATEMENTS: Final[tuple[str, ...]] = ("hours", "energy_weather_hourly", "ercot_spp_hourly", "system_hourly")
GOLD_STATEMENTS: Final[dict[str, TableSchema]] = {
    table.name: table for table in (ENERGY_WEATHER_HOURLY, ERCOT_SPP_HOURLY, SYSTEM_HOURLY)
}
# The silver datasets the SQL reads, each as a view of its name.
SILVER_INPUTS: Final[tuple[DatasetName, ...]] = (
    "load_weather_zone",
    "weather",
    "spp_rt",
    "spp_dam",
    "load_forecast",
    "wind",
    "solar",
)
# Read from one more UTC date than the build range: the last hour's end-point weather is stamped on the next date.
NEXT_DATE_INPUTS: Final[frozenset[str]] = frozenset({"weather"})

_HOUR = dt.timedelta(hours=1)
_DAY = dt.timedelta(days=1)
_PLACEHOLDER = re.compile(r"\$([a-z_][a-z0-9_]*)")
_SAFE_TEXT = re.compile(r"[A-Za-z0-9_ ./:+-]*")

SqlValue = dt.datetime | float | int | str | tuple[str, ...]


# --- the build range --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuildRange:
    """The operating-day window and the whole UTC dates it touches (what is computed and written)."""

    window_start_utc: dt.datetime  # the window's Central bounds
    window_end_utc: dt.datetime
    dates: tuple[dt.date, ...]  # UTC dates touched: the gold partitions written

    @property
    def start_utc(self) -> dt.datetime:
        return dt.datetime.combine(self.dates[0], dt.time(0), tzinfo=dt.UTC)

    @property
    def end_utc(self) -> dt.datetime:
        return dt.datetime.combine(self.dates[-1] + _DAY, dt.time(0), tzinfo=dt.UTC)

    @property
    def hours(self) -> int:
        return int((self.end_utc - self.start_utc) / _HOUR)

    def input_dates(self, dataset: str) -> tuple[dt.date, ...]:
        """The silver UTC date partitions ``dataset``'s view holds for this build."""
        if dataset in NEXT_DATE_INPUTS:
            return (*self.dates, self.dates[-1] + _DAY)
        return self.dates


def build_range(window: Window) -> BuildRange:
    """The UTC dates the window's operating days touch (``start`` .. ``end + 1``)."""
    return BuildRange(window.start_utc, window.end_utc, window.utc_dates())


# --- the SQL and its parameters -----------------------------------------------------------------------------------


def sql_text(name: str) -> str:
    """The SQL of statement ``name`` as written (``gold/sql/<name>.sql``, DuckDB's dialect, ``$name`` parameters).

    Read through importlib.resources, so it works from a folder, an installed wheel and Glue's zipped package alike.
    """
    if name not in STATEMENTS:
        raise KeyError(f"no gold statement {name!r}; statements: {', '.join(STATEMENTS)}")
    return resources.files("energylake.gold").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")


def parameters(start_utc: dt.datetime, end_utc: dt.datetime) -> dict[str, SqlValue]:
    """The values the statements' ``$name`` parameters take for hours ``[start_utc, end_utc)`` (whole UTC hours)."""
    for bound in (start_utc, end_utc):
        if bound.tzinfo is None or bound.utcoffset() is None:
            raise ValueError(f"gold bounds must be timezone-aware UTC instants, got {bound!r}")
        if bound.timestamp() % 3600:
            raise ValueError(f"gold bounds must be whole hours, got {bound.isoformat()}")
    if end_utc <= start_utc:
        raise ValueError(f"gold end {end_utc.isoformat()} is not after start {start_utc.isoformat()}")
    return {
        "start_utc": start_utc,
        "end_utc": end_utc,
        "market_time_zone": MARKET_TIME_ZONE,
        "weather_zones": tuple(WEATHER_ZONES),
        "hub_point_types": tuple(HUB_POINT_TYPES),
        "energy_weighted_point_types": tuple(ENERGY_WEIGHTED_POINT_TYPES),
        "degree_base_c": DEGREE_BASE_C,
    }


def _literal(name: str, value: SqlValue) -> str:
    """``value`` as a DuckDB literal; anything that could change the statement's meaning is refused."""
    if isinstance(value, bool):
        raise TypeError(f"parameter ${name}: booleans are not gold parameters")
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"parameter ${name}: a timestamp must be timezone-aware, got {value!r}")
        return f"TIMESTAMPTZ '{value.astimezone(dt.UTC).isoformat(sep=' ')}'"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"parameter ${name}: {value} is not a finite number")
        return f"CAST({value!r} AS DOUBLE)"
    if isinstance(value, str):
        return _text(name, value)
    if isinstance(value, tuple) and value and all(isinstance(item, str) for item in value):
        # A DuckDB list: `x IN $list` and `unnest($list)` read naturally (Spark: IN (...) / explode(array(...))).
        return "[" + ", ".join(_text(name, item) for item in value) + "]"
    raise TypeError(f"parameter ${name}: unsupported value {value!r}")


def _text(name: str, value: str) -> str:
    if not _SAFE_TEXT.fullmatch(value):
        raise ValueError(f"parameter ${name}: {value!r} holds characters a gold parameter never needs")
    return f"'{value}'"


def render(sql: str, values: Mapping[str, SqlValue]) -> str:
    """``sql`` with every ``$name`` replaced by ``values[name]`` as a checked literal; a missing value is an error."""
    missing = sorted({name for name in _PLACEHOLDER.findall(sql) if name not in values})
    if missing:
        raise KeyError(f"gold SQL needs parameters with no value: {', '.join('$' + name for name in missing)}")
    return _PLACEHOLDER.sub(lambda match: _literal(match.group(1), values[match.group(1)]), sql)


def statement(name: str, start_utc: dt.datetime, end_utc: dt.datetime) -> str:
    """Statement ``name`` rendered for hours ``[start_utc, end_utc)``, in DuckDB's dialect."""
    return render(sql_text(name), parameters(start_utc, end_utc))


def placeholders(sql: str) -> Sequence[str]:
    """The ``$name`` parameters ``sql`` uses, in order of first use."""
    return list(dict.fromkeys(_PLACEHOLDER.findall(sql)))
