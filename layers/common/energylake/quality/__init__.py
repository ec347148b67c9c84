"""The quality gate: one declarative table of checks per dataset, one mechanism that runs them.

Design
------
:func:`checks_for` returns, for a dataset, the list of :class:`Check` to run, read off the silver contract
(:mod:`energylake.contracts.schemas`: columns, types, required columns, natural key, interval length) and the bounds
of a :class:`QualityConfig`. :func:`run_quality` runs them on one parsed object (one raw object's rows) and returns a
:class:`QualityOutcome`: the rows kept, the rows rejected (each with a ``rejection_reason``), whether the object
passes, and a JSON-able report. Every check has a kind and a severity:

* ``reject_rows`` checks flag single rows, which go to ``rejected`` with the reason (several reasons are joined
  with ``"; "``); the object still passes as long as the rejected fraction stays <= ``max_rejected_fraction``.
* ``fail_object`` checks fail the whole object (the caller quarantines it; nothing of it reaches silver).

Kinds, in the order they run:

``schema`` (fail_object)
    The table's column names and types, in order, equal the silver schema; the lineage columns may be all
    absent (a parser's output) or all present (curated rows). Nullability flags are not compared (nulls are the
    ``not_null`` checks' business); the rows kept are cast to the contract's schema, flags included. When the
    schema fails nothing else can run: the other checks are reported as
    skipped, no row is rejected.
``not_null`` (reject_rows), one per required column
    Reason ``null in required column 'x'``. A lineage column absent from the table is skipped.
``unique_key`` (reject_rows)
    The natural key must be unique within the object: the first occurrence is kept, the 2nd+ rejected with
    ``duplicate natural key (k=v, ...)``, saying whether the row is identical to the first one (all non-lineage
    columns equal: a re-posted document) or conflicting (same key, other values: a correction). The report counts
    both. Rows with a null key column are left to ``not_null``.
``range`` (reject_rows)
    A numeric column within ``[minimum, maximum]`` (NaN fails; null passes: nullable columns may be null), or a text
    column within ``allowed`` values; optionally only on the rows ``where`` a column has (or has not) given values
    (zone vs system load). Reason ``col=value outside [min, max]``.
``completeness`` (fail_object)
    For each Central (America/Chicago) day: the number of distinct intervals per entity must be the day's count
    (hours 23/24/25 x intervals per hour: RT prices 92/96/100, hourly 23/24/25, fuel mix 276/288/300 from the
    dashboard and 92/96/100 from the yearly fuel mix report: a door may have its own interval,
    :data:`ORIGIN_INTERVAL_MINUTES`). Days in
    ``expected_days`` must match exactly; days in ``partial_days`` may be short (listed in
    ``report["partial_days"]``, their counts in ``report["days"]``) but not long; other days are reported, not
    enforced. Counted on the rows with a valid, unique natural key, BEFORE value checks: it measures what the
    source delivered; rows rejected for their values are held in check by ``max_rejected_fraction``. Entities are
    the natural key minus the time column (for vintaged forecasts also minus ``posted_at_utc``: the day is complete
    when the vintages of the object together cover every hour), and for weather always the 8 zones (a zone missing
    altogether is caught).
``monotonic`` (fail_object)
    Per entity (natural key minus time, vintage included), interval starts sorted are strictly increasing in steps
    of exactly the interval length (a gap or an off-grid start fails), and ``end - start`` is the interval length.

Rows in = rows kept + rows rejected, always (checked in code, and shown in ``report["rows"]``). The object passes
when no ``fail_object`` check failed and ``rejected / in <= max_rejected_fraction``.

Bounds (:class:`QualityConfig`): range checks exist to catch parse and unit errors (sentinels like -9999, MW read
as kW, km/h read as m/s), never to second-guess the market, so each bound sits outside everything the market's
rules allow. Prices: ERCOT's offer floor is -250 USD/MWh and the system-wide offer cap 5,000 (9,000 before
2021-22), but settlement point prices are not bounded by offers: real-time prices add ORDC/reliability adders,
and congestion (shadow prices up to several thousand USD/MWh times shift factors) moves nodal prices past both
ends. Hence [-1,000, 10,000]: comfortably beyond every cap that has applied (including Winter Storm Uri's
9,000 + adders), yet tight enough to reject the usual sentinels (-9,999, 99,999) and unit slips (USD/kWh x 1000).
Loads: a weather zone 0..60,000 MW (the largest, North Central, peaks near 30 GW), the system 0..120,000 (record
~86 GW). Wind/solar 0..60,000 MW (installed ~40/~30 GW; the realdata night minimum of solar is +0.02 MW, so no
negative tolerance). Fuel mix -10,000..100,000 (storage charging is negative). Weather: physical limits for Texas
with room (temperature and dew point -40..60 °C, apparent temperature -60..80, humidity and clouds 0..100 %,
precipitation 0..200 mm/h, radiation 0..1,500 W/m², wind 0..100 m/s, direction 0..360 °).

Everything is vectorised with ``pyarrow.compute`` (group_by, sort_indices, filters); Python loops run only over
checks, days x entities aggregates, and at most 5 examples per check.

Modules: this one declares the checks (:func:`checks_for`, :class:`QualityConfig`) and runs them
(:func:`run_quality`); :mod:`.checks` holds what a check is and each kind's vectorised implementation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from energylake.arrow import as_array
from energylake.contracts.datasets import ALL_DATASETS, DatasetName
from energylake.contracts.schemas import silver_schema
from energylake.contracts.zones import WEATHER_ZONES
from energylake.quality.checks import (
    MAX_EXAMPLES,
    Check,
    CheckKind,
    CheckResult,
    RowFilter,
    Severity,
    all_false,
    all_true,
    check_completeness,
    check_monotonic,
    check_schema,
    contract_schema,
    has_lineage,
    row_check,
)

__all__ = [
    "DEFAULT_QUALITY_CONFIG",
    "MAX_EXAMPLES",
    "ORIGIN_INTERVAL_MINUTES",
    "REJECTION_REASON",
    "SYSTEM_ZONE_NAMES",
    "Check",
    "CheckKind",
    "QualityConfig",
    "QualityOutcome",
    "RowFilter",
    "Severity",
    "checks_for",
    "interval_minutes",
    "run_quality",
]

REJECTION_REASON = "rejection_reason"
# Names a parser may give the all-ERCOT total in the load tables (system bounds apply to those rows).
SYSTEM_ZONE_NAMES: tuple[str, ...] = ("ERCOT", "SYSTEM", "TOTAL")
# The price table's schema serves both markets, so its interval is open there: real-time 15, day-ahead 60.
_SPP_INTERVAL_MINUTES: dict[DatasetName, int] = {"spp_rt": 15, "spp_dam": 60}
# Doors (raw ``source-used``, a manifest's ``origin``) whose rows come at another interval than the dataset's own:
# ERCOT's yearly fuel mix report has one column per 15-minute interval, where the fuel-mix dashboard is 5-minute.
# (The yearly price and load files keep their dataset's interval: 15-minute real-time, hourly day-ahead and load.)
ORIGIN_INTERVAL_MINUTES: dict[tuple[DatasetName, str], int] = {("fuel_mix", "ercot-yearly"): 15}
_VINTAGE_COLUMN = "posted_at_utc"


def interval_minutes(dataset: DatasetName, origin: str | None = None) -> int:
    """The length of one interval of ``dataset``, from its silver schema (the one place it is declared), unless the
    door the rows came through (``origin``) has its own (:data:`ORIGIN_INTERVAL_MINUTES`)."""
    if origin is not None and (dataset, origin) in ORIGIN_INTERVAL_MINUTES:
        return ORIGIN_INTERVAL_MINUTES[(dataset, origin)]
    return silver_schema(dataset).interval_minutes or _SPP_INTERVAL_MINUTES[dataset]


@dataclass(frozen=True)
class QualityConfig:
    """Bounds and thresholds of the gate (see the module docstring for why these values)."""

    price_min_usd_mwh: float = -1_000.0
    price_max_usd_mwh: float = 10_000.0
    zone_load_max_mw: float = 60_000.0
    system_load_max_mw: float = 120_000.0
    renewable_min_mw: float = 0.0
    renewable_max_mw: float = 60_000.0
    fuel_mix_min_mw: float = -10_000.0
    fuel_mix_max_mw: float = 100_000.0
    temperature_min_c: float = -40.0
    temperature_max_c: float = 60.0
    apparent_temperature_min_c: float = -60.0
    apparent_temperature_max_c: float = 80.0
    precipitation_max_mm: float = 200.0
    radiation_max_wm2: float = 1_500.0
    wind_speed_max_ms: float = 100.0
    max_rejected_fraction: float = 0.01

    def __post_init__(self) -> None:
        if not 0.0 <= self.max_rejected_fraction <= 1.0:
            raise ValueError(f"max_rejected_fraction must be within [0, 1], got {self.max_rejected_fraction}")


DEFAULT_QUALITY_CONFIG = QualityConfig()


def checks_for(
    dataset: DatasetName, config: QualityConfig = DEFAULT_QUALITY_CONFIG, *, origin: str | None = None
) -> list[Check]:
    """The checks of ``dataset``'s rows from the door ``origin`` (its interval: :func:`interval_minutes`), in the
    order they run."""
    schema = silver_schema(dataset)
    interval = interval_minutes(dataset, origin)
    time_column = schema.time_column
    entity = tuple(column for column in schema.natural_key if column != time_column)
    day_entity = tuple(column for column in entity if column != _VINTAGE_COLUMN)
    end_column = "interval_end_utc" if "interval_end_utc" in schema.column_names else None
    checks: list[Check] = [Check("schema", "schema", "fail_object")]
    checks.extend(
        Check(f"not_null:{column}", "not_null", "reject_rows", columns=(column,)) for column in schema.required_columns
    )
    checks.append(Check("unique_key", "unique_key", "reject_rows", columns=schema.natural_key))
    checks.extend(_range_checks(dataset, config))
    checks.append(
        Check(
            "completeness",
            "completeness",
            "fail_object",
            columns=day_entity,
            time_column=time_column,
            interval_minutes=interval,
            expected_entities=tuple((zone,) for zone in WEATHER_ZONES) if dataset == "weather" else (),
        )
    )
    checks.append(
        Check(
            "monotonic",
            "monotonic",
            "fail_object",
            columns=entity,
            time_column=time_column,
            end_column=end_column,
            interval_minutes=interval,
        )
    )
    return checks


def _range(column: str, minimum: float, maximum: float, where: RowFilter | None = None, suffix: str = "") -> Check:
    return Check(
        f"range:{column}{suffix}",
        "range",
        "reject_rows",
        columns=(column,),
        minimum=minimum,
        maximum=maximum,
        where=where,
    )


def _allowed(column: str, values: Sequence[str]) -> Check:
    return Check(f"range:{column}", "range", "reject_rows", columns=(column,), allowed=tuple(values))


def _range_checks(dataset: DatasetName, c: QualityConfig) -> list[Check]:
    if dataset in ("spp_rt", "spp_dam"):
        market = "RT15" if dataset == "spp_rt" else "DAM"
        return [_allowed("market", (market,)), _range("price_usd_mwh", c.price_min_usd_mwh, c.price_max_usd_mwh)]
    if dataset == "load_weather_zone":
        system = RowFilter("weather_zone", SYSTEM_ZONE_NAMES)
        zone = RowFilter("weather_zone", SYSTEM_ZONE_NAMES, negate=True)
        return [
            _range("load_mw", 0.0, c.zone_load_max_mw, zone, "(zone)"),
            _range("load_mw", 0.0, c.system_load_max_mw, system, "(system)"),
        ]
    if dataset == "load_forecast":
        system = RowFilter("zone_type", ("SYSTEM",))
        zone = RowFilter("zone_type", ("SYSTEM",), negate=True)
        return [
            _allowed("zone_type", ("WEATHER", "FORECAST", "SYSTEM")),
            _range("load_forecast_mw", 0.0, c.zone_load_max_mw, zone, "(zone)"),
            _range("load_forecast_mw", 0.0, c.system_load_max_mw, system, "(system)"),
        ]
    if dataset in ("wind", "solar"):
        columns = ("generation_mw", "forecast_mw", "probabilistic_forecast_mw", "cop_hsl_mw", "hsl_mw")
        return [
            _allowed("resource", ("WIND",) if dataset == "wind" else ("SOLAR",)),
            *(_range(column, c.renewable_min_mw, c.renewable_max_mw) for column in columns),
        ]
    if dataset == "fuel_mix":
        return [_range("generation_mw", c.fuel_mix_min_mw, c.fuel_mix_max_mw)]
    if dataset == "weather":
        return [
            _allowed("weather_zone", WEATHER_ZONES),
            _range("temperature_2m_c", c.temperature_min_c, c.temperature_max_c),
            _range("relative_humidity_2m_pct", 0.0, 100.0),
            _range("dew_point_2m_c", c.temperature_min_c, c.temperature_max_c),
            _range("apparent_temperature_c", c.apparent_temperature_min_c, c.apparent_temperature_max_c),
            _range("cloud_cover_pct", 0.0, 100.0),
            _range("precipitation_mm", 0.0, c.precipitation_max_mm),
            _range("shortwave_radiation_wm2", 0.0, c.radiation_max_wm2),
            _range("direct_normal_irradiance_wm2", 0.0, c.radiation_max_wm2),
            _range("wind_speed_10m_ms", 0.0, c.wind_speed_max_ms),
            _range("wind_speed_100m_ms", 0.0, c.wind_speed_max_ms),
            _range("wind_direction_100m_deg", 0.0, 360.0),
        ]
    raise ValueError(f"no quality checks for dataset {dataset!r}; known: {', '.join(ALL_DATASETS)}")


# --- outcome ------------------------------------------------------------------------------------------------------


@dataclass
class QualityOutcome:
    passed: bool
    table: pa.Table  # rows kept (the input schema)
    rejected: pa.Table  # rows rejected: the input schema + rejection_reason
    report: dict[str, Any]  # JSON-able


def run_quality(
    dataset: DatasetName,
    table: pa.Table,
    *,
    expected_days: Iterable[dt.date] = (),
    partial_days: Iterable[dt.date] = (),
    config: QualityConfig = DEFAULT_QUALITY_CONFIG,
    context: Mapping[str, str] | None = None,
    origin: str | None = None,
) -> QualityOutcome:
    """Run the checks of ``dataset`` on ``table`` (one object's rows, fetched through the door ``origin``, which
    may set the interval the completeness and monotonic checks expect). See the module docstring."""
    checks = checks_for(dataset, config, origin=origin)
    expected = sorted(set(expected_days))
    partial = sorted(set(partial_days))
    rows_in = table.num_rows
    results: list[CheckResult] = []
    schema_result = check_schema(checks[0], table, silver_schema(dataset))
    results.append(schema_result)

    bad = all_false(rows_in)
    reasons: list[pa.Array] = []
    days: list[dict[str, Any]] = []
    if not schema_result.passed:
        results.extend(CheckResult(check, passed=False, skipped="schema failed") for check in checks[1:])
    else:
        key_ok = all_true(rows_in)  # rows with a valid and unique natural key: what the set checks look at
        for check in checks[1:]:
            if check.kind in ("not_null", "unique_key", "range"):
                result, mask, reason = row_check(check, table)
                results.append(result)
                if mask is not None and reason is not None:
                    bad = pc.or_(bad, mask)
                    reasons.append(reason)
                    if check.kind == "unique_key" or (
                        check.kind == "not_null" and check.columns[0] in _key_of(dataset)
                    ):
                        key_ok = pc.and_(key_ok, pc.invert(mask))
            elif check.kind == "completeness":
                result, days = check_completeness(check, table.filter(key_ok), expected, partial)
                results.append(result)
            elif check.kind == "monotonic":
                results.append(check_monotonic(check, table.filter(key_ok)))

    kept = table.filter(pc.invert(bad))
    if schema_result.passed:
        # Names and types are the contract's; kept rows have no null where the contract says not null: take its
        # nullability flags too, so what is kept is exactly the silver schema.
        kept = kept.cast(contract_schema(silver_schema(dataset), with_lineage=has_lineage(table)))
    rejected = table.filter(bad)
    joined = pa.nulls(rows_in, pa.string())
    for reason in reasons:
        # (binary_join_element_wise's null_handling="skip" drops rows when an input is all null: pyarrow 26 bug)
        joined = as_array(pc.coalesce(pc.binary_join_element_wise(joined, reason, "; "), joined, reason), "reasons")
    rejected_reasons = joined.filter(bad)
    rejected = rejected.append_column(pa.field(REJECTION_REASON, pa.string()), rejected_reasons)
    if kept.num_rows + rejected.num_rows != rows_in:  # the gate never loses or invents a row
        raise AssertionError(
            f"quality gate lost rows: {rows_in} in, {kept.num_rows} kept, {rejected.num_rows} rejected"
        )

    fraction = rejected.num_rows / rows_in if rows_in else 0.0
    failed_because = [
        f"{result.check.name} failed"
        for result in results
        if result.check.severity == "fail_object" and not result.passed and result.skipped is None
    ]
    if fraction > config.max_rejected_fraction:
        failed_because.append(
            f"{rejected.num_rows} of {rows_in} rows rejected ({fraction:.4%}), "
            f"more than max_rejected_fraction {config.max_rejected_fraction:.4%}"
        )
    passed = not failed_because
    report: dict[str, Any] = {
        "dataset": dataset,
        "passed": passed,
        "failed_because": failed_because,
        "rows": {
            "in": rows_in,
            "kept": kept.num_rows,
            "rejected": rejected.num_rows,
            "rejected_fraction": fraction,
            "max_rejected_fraction": config.max_rejected_fraction,
        },
        "checks": [result.as_json() for result in results],
        "expected_days": [day.isoformat() for day in expected],
        "partial_days": [summary["day"] for summary in days if summary["status"] == "partial"],
        "days": days,
        "context": dict(context or {}),
    }
    return QualityOutcome(passed=passed, table=kept, rejected=rejected, report=report)


def _key_of(dataset: DatasetName) -> tuple[str, ...]:
    return silver_schema(dataset).natural_key
