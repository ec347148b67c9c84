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
    (hours 23/24/25 x intervals per hour: RT prices 92/96/100, hourly 23/24/25, fuel mix 276/288/300). Days in
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
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc

from energylake.contracts.datasets import ALL_DATASETS, DatasetName
from energylake.contracts.schemas import LINEAGE, TableSchema, silver_schema
from energylake.contracts.zones import WEATHER_ZONES
from energylake.timeconv import local_day_hours

CheckKind = Literal["schema", "not_null", "unique_key", "range", "completeness", "monotonic"]
Severity = Literal["reject_rows", "fail_object"]

REJECTION_REASON = "rejection_reason"
MAX_EXAMPLES = 5
# Names a parser may give the all-ERCOT total in the load tables (system bounds apply to those rows).
SYSTEM_ZONE_NAMES: tuple[str, ...] = ("ERCOT", "SYSTEM", "TOTAL")
# The price table's schema serves both markets, so its interval is open there: real-time 15, day-ahead 60.
_SPP_INTERVAL_MINUTES: dict[DatasetName, int] = {"spp_rt": 15, "spp_dam": 60}


def interval_minutes(dataset: DatasetName) -> int:
    """The length of one interval of ``dataset``, from its silver schema (the one place it is declared)."""
    return silver_schema(dataset).interval_minutes or _SPP_INTERVAL_MINUTES[dataset]


_LINEAGE_NAMES = tuple(column.name for column in LINEAGE)
_VINTAGE_COLUMN = "posted_at_utc"
_CENTRAL_TIMESTAMP = pa.timestamp("us", tz="America/Chicago")
_US_PER_MINUTE = 60_000_000


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


@dataclass(frozen=True)
class RowFilter:
    """Restricts a range check to the rows whose ``column`` is (``negate``: is not) one of ``values``."""

    column: str
    values: tuple[str, ...]
    negate: bool = False

    def describe(self) -> str:
        return f"{self.column} {'not in' if self.negate else 'in'} {{{', '.join(self.values)}}}"


@dataclass(frozen=True)
class Check:
    """One declarative check. Which fields matter depends on ``kind`` (see the module docstring)."""

    name: str
    kind: CheckKind
    severity: Severity
    columns: tuple[str, ...] = ()  # not_null/range: (column,); unique_key: the key; completeness/monotonic: entity
    time_column: str | None = None  # completeness/monotonic
    end_column: str | None = None  # monotonic: end - start must be the interval length
    interval_minutes: int | None = None  # completeness/monotonic
    minimum: float | None = None  # range (numeric)
    maximum: float | None = None
    allowed: tuple[str, ...] | None = None  # range (text)
    where: RowFilter | None = None  # range: only these rows
    expected_entities: tuple[tuple[str, ...], ...] = ()  # completeness: entities that must be there every day


def checks_for(dataset: DatasetName, config: QualityConfig = DEFAULT_QUALITY_CONFIG) -> list[Check]:
    """The checks of ``dataset``, in the order they run."""
    schema = silver_schema(dataset)
    interval = interval_minutes(dataset)
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


@dataclass
class _CheckResult:
    check: Check
    passed: bool
    failures: int = 0
    examples: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    skipped: str | None = None

    def as_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "name": self.check.name,
            "kind": self.check.kind,
            "severity": self.check.severity,
            "passed": self.passed,
            "failures": self.failures,
            "examples": self.examples,
        }
        if self.details:
            entry["details"] = self.details
        if self.skipped:
            entry["skipped"] = self.skipped
        return entry


def run_quality(
    dataset: DatasetName,
    table: pa.Table,
    *,
    expected_days: Iterable[dt.date] = (),
    partial_days: Iterable[dt.date] = (),
    config: QualityConfig = DEFAULT_QUALITY_CONFIG,
    context: Mapping[str, str] | None = None,
) -> QualityOutcome:
    """Run the checks of ``dataset`` on ``table`` (one object's rows). See the module docstring."""
    checks = checks_for(dataset, config)
    expected = sorted(set(expected_days))
    partial = sorted(set(partial_days))
    rows_in = table.num_rows
    results: list[_CheckResult] = []
    schema_result = _check_schema(checks[0], table, silver_schema(dataset))
    results.append(schema_result)

    bad = _all_false(rows_in)
    reasons: list[pa.Array] = []
    days: list[dict[str, Any]] = []
    if not schema_result.passed:
        results.extend(_CheckResult(check, passed=False, skipped="schema failed") for check in checks[1:])
    else:
        key_ok = _all_true(rows_in)  # rows with a valid and unique natural key: what the set checks look at
        for check in checks[1:]:
            if check.kind in ("not_null", "unique_key", "range"):
                result, mask, reason = _row_check(check, table)
                results.append(result)
                if mask is not None and reason is not None:
                    bad = pc.or_(bad, mask)
                    reasons.append(reason)
                    if check.kind == "unique_key" or (
                        check.kind == "not_null" and check.columns[0] in _key_of(dataset)
                    ):
                        key_ok = pc.and_(key_ok, pc.invert(mask))
            elif check.kind == "completeness":
                result, days = _check_completeness(check, table.filter(key_ok), expected, partial)
                results.append(result)
            elif check.kind == "monotonic":
                results.append(_check_monotonic(check, table.filter(key_ok)))

    kept = table.filter(pc.invert(bad))
    if schema_result.passed:
        # Names and types are the contract's; kept rows have no null where the contract says not null: take its
        # nullability flags too, so what is kept is exactly the silver schema.
        kept = kept.cast(_contract_schema(silver_schema(dataset), with_lineage=_has_lineage(table)))
    rejected = table.filter(bad)
    joined = pa.nulls(rows_in, pa.string())
    for reason in reasons:
        # (binary_join_element_wise's null_handling="skip" drops rows when an input is all null: pyarrow 26 bug)
        joined = _array(pc.coalesce(pc.binary_join_element_wise(joined, reason, "; "), joined, reason))
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


# --- schema -------------------------------------------------------------------------------------------------------


def _has_lineage(table: pa.Table) -> bool:
    return any(name in _LINEAGE_NAMES for name in table.column_names)


def _contract_schema(schema: TableSchema, *, with_lineage: bool) -> pa.Schema:
    full = schema.arrow_schema()
    return full if with_lineage else pa.schema([field for field in full if field.name not in _LINEAGE_NAMES])


def _check_schema(check: Check, table: pa.Table, schema: TableSchema) -> _CheckResult:
    contract = _contract_schema(schema, with_lineage=_has_lineage(table))
    wanted = [(field.name, field.type) for field in contract]
    actual = [(field.name, field.type) for field in table.schema]
    if actual == wanted:
        return _CheckResult(check, passed=True)
    wanted_types = dict(wanted)
    actual_types = dict(actual)
    problems: list[dict[str, Any]] = []
    problems.extend({"column": name, "problem": "missing"} for name in wanted_types if name not in actual_types)
    problems.extend({"column": name, "problem": "unexpected"} for name in actual_types if name not in wanted_types)
    problems.extend(
        {"column": name, "problem": "wrong type", "expected": str(wanted_types[name]), "found": str(kind)}
        for name, kind in actual
        if name in wanted_types and wanted_types[name] != kind
    )
    if not problems:
        problems.append(
            {"problem": "column order", "expected": [n for n, _ in wanted], "found": [n for n, _ in actual]}
        )
    return _CheckResult(
        check,
        passed=False,
        failures=len(problems),
        examples=problems[:MAX_EXAMPLES],
        details={"expected": [f"{name}: {kind}" for name, kind in wanted]},
    )


# --- row checks ---------------------------------------------------------------------------------------------------


# A reject_rows check gives a bad-row mask and a function naming why, called only on the bad rows' positions.
_Describe = Callable[[pa.Array], pa.Array]


def _row_check(check: Check, table: pa.Table) -> tuple[_CheckResult, pa.Array | None, pa.Array | None]:
    """(result, bad-row mask, reason per row (null where fine)) of a reject_rows check."""
    missing = [column for column in check.columns if column not in table.column_names]
    if missing:  # only lineage columns can be absent once the schema passed
        return _CheckResult(check, passed=True, skipped=f"column {missing[0]!r} absent"), None, None
    details: dict[str, Any] = {}
    value_columns: tuple[str, ...] = ()
    describe: _Describe
    if check.kind == "not_null":
        column = check.columns[0]
        mask = _filled(pc.is_null(table.column(column)))
        text = f"null in required column {column!r}"
        describe = lambda positions: _constant(text, len(positions))  # noqa: E731
    elif check.kind == "unique_key":
        mask, describe, details = _duplicates(check, table)
    else:
        mask, describe = _out_of_range(check, table)
        value_columns = check.columns
    failures = _count(mask)
    if not failures:
        return _CheckResult(check, passed=True, details=details), None, None
    positions = pc.indices_nonzero(mask)
    # Scatter the bad rows' reasons back to their positions (null elsewhere): strings are built for bad rows only.
    reason = _array(pc.replace_with_mask(pa.nulls(table.num_rows, pa.string()), mask, describe(positions)))
    examples = _row_examples(table, positions, reason, value_columns)
    result = _CheckResult(check, passed=False, failures=failures, examples=examples, details=details)
    return result, mask, reason


def _duplicates(check: Check, table: pa.Table) -> tuple[pa.Array, _Describe, dict[str, Any]]:
    key = list(check.columns)
    valid = _all_true(table.num_rows)
    for column in key:
        valid = pc.and_(valid, pc.is_valid(table.column(column)))
    key_first = _group_first_index(table, key)
    duplicate = _filled(pc.and_(valid, pc.not_equal(_row_numbers(table.num_rows), key_first)))
    if not _count(duplicate):
        return duplicate, _no_description, {"identical_duplicates": 0, "conflicting_duplicates": 0}
    values = [name for name in table.column_names if name not in key and name not in _LINEAGE_NAMES]
    identical = pc.equal(_group_first_index(table, key + values), key_first)
    details = {
        "identical_duplicates": _count(pc.and_(duplicate, identical)),
        "conflicting_duplicates": _count(pc.and_(duplicate, pc.invert(identical))),
    }

    def describe(positions: pa.Array) -> pa.Array:
        bad = table.take(positions)
        key_text = _join_text([_labelled(column, bad.column(column)) for column in key], ", ")
        how = pc.if_else(
            pc.take(identical, positions),
            pa.scalar(") identical to the first occurrence, row ", pa.string()),
            pa.scalar(") conflicting with row ", pa.string()),
        )
        first_row = pc.cast(pc.add(pc.take(key_first, positions), 1), pa.string())
        return _join_text([_constant("duplicate natural key (", len(positions)), key_text, how, first_row], "")

    return duplicate, describe, details


def _no_description(positions: pa.Array) -> pa.Array:
    return pa.nulls(len(positions), pa.string())


def _out_of_range(check: Check, table: pa.Table) -> tuple[pa.Array, _Describe]:
    column = check.columns[0]
    values = _array(table.column(column))
    applies = _all_true(table.num_rows)
    if check.where is not None:
        member = _filled(pc.is_in(table.column(check.where.column), value_set=pa.array(check.where.values)))
        applies = pc.invert(member) if check.where.negate else member
    if check.allowed is not None:
        outside = pc.invert(_filled(pc.is_in(values, value_set=pa.array(check.allowed, values.type))))
        bounds = f"not one of {{{', '.join(check.allowed)}}}"
    else:
        low = pa.scalar(check.minimum, pa.float64())
        high = pa.scalar(check.maximum, pa.float64())
        as_float = pc.cast(values, pa.float64())
        outside = pc.or_(pc.or_(pc.less(as_float, low), pc.greater(as_float, high)), pc.is_nan(as_float))
        bounds = f"outside [{check.minimum:g}, {check.maximum:g}]"
    if check.where is not None:
        bounds += f" (rows with {check.where.describe()})"
    mask = _filled(pc.and_(pc.and_(pc.is_valid(values), outside), applies))

    def describe(positions: pa.Array) -> pa.Array:
        return _join_text([_labelled(column, values.take(positions)), _constant(f" {bounds}", len(positions))], "")

    return mask, describe


def _row_examples(
    table: pa.Table, bad_positions: pa.Array, reason: pa.Array, value_columns: Sequence[str]
) -> list[dict[str, Any]]:
    positions = bad_positions.slice(0, MAX_EXAMPLES)
    sample = table.take(positions)
    reasons = reason.take(positions).to_pylist()
    examples: list[dict[str, Any]] = []
    for n, position in enumerate(positions.to_pylist()):
        example: dict[str, Any] = {"row": position + 1, "reason": reasons[n]}
        for column in value_columns:
            example[column] = _jsonable(sample.column(column)[n].as_py())
        examples.append(example)
    return examples


# --- set checks ---------------------------------------------------------------------------------------------------


def _check_completeness(
    check: Check, table: pa.Table, expected: Sequence[dt.date], partial: Sequence[dt.date]
) -> tuple[_CheckResult, list[dict[str, Any]]]:
    assert check.time_column is not None and check.interval_minutes is not None
    entity = list(check.columns)
    day = pc.cast(pc.local_timestamp(pc.cast(table.column(check.time_column), _CENTRAL_TIMESTAMP)), pa.date32())
    slim = table.select([*entity, check.time_column]).append_column("__day", day)
    distinct = slim.group_by([*entity, "__day", check.time_column], use_threads=False).aggregate([])
    counts = distinct.group_by([*entity, "__day"], use_threads=False).aggregate([([], "count_all")])
    by_day: dict[dt.date, dict[tuple[Any, ...], int]] = {}
    for row in counts.to_pylist():  # one row per (entity, day): an aggregate, not the table
        by_day.setdefault(row["__day"], {})[tuple(row[column] for column in entity)] = row["count_all"]
    entities: set[tuple[Any, ...]] = {key for per_entity in by_day.values() for key in per_entity}
    entities.update(check.expected_entities)
    per_hour = 60 // check.interval_minutes
    enforced_expected, enforced_partial = set(expected), set(partial) - set(expected)
    failures: list[dict[str, Any]] = []
    summaries: list[dict[str, Any]] = []
    for current in sorted(set(by_day) | enforced_expected | enforced_partial):
        want = local_day_hours(current) * per_hour
        found = by_day.get(current, {})
        status = (
            "expected" if current in enforced_expected else "partial" if current in enforced_partial else "not_enforced"
        )
        considered = entities if status != "not_enforced" else set(found)
        if not considered and status != "not_enforced":
            considered = {()}  # nothing at all on a day that must have rows
        day_failures = []
        short = 0
        for key in sorted(considered, key=lambda k: tuple(str(part) for part in k)):
            count = found.get(key, 0)
            problem = "extra" if count > want else "short" if count < want else None
            if problem == "short":
                short += 1
            if problem is None or status == "not_enforced" or (status == "partial" and problem == "short"):
                continue
            day_failures.append(
                {
                    "day": current.isoformat(),
                    "entity": {column: _jsonable(part) for column, part in zip(entity, key, strict=False)},
                    "count": count,
                    "expected": want,
                    "problem": problem,
                }
            )
        failures.extend(day_failures)
        values = [found.get(key, 0) for key in considered] or [0]
        summaries.append(
            {
                "day": current.isoformat(),
                "status": status,
                "expected_per_entity": want,
                "entities": len(considered),
                "min_count": min(values),
                "max_count": max(values),
                "short_entities": short,
                "failing_entities": len(day_failures),
            }
        )
    result = _CheckResult(
        check,
        passed=not failures,
        failures=len(failures),
        examples=failures[:MAX_EXAMPLES],
        details={"entity_columns": entity, "interval_minutes": check.interval_minutes},
    )
    return result, summaries


def _check_monotonic(check: Check, table: pa.Table) -> _CheckResult:
    assert check.time_column is not None and check.interval_minutes is not None
    step = check.interval_minutes * _US_PER_MINUTE
    entity = list(check.columns)
    columns = [*entity, check.time_column, *([check.end_column] if check.end_column else [])]
    rows = table.select(columns)
    rows = rows.take(pc.sort_indices(rows, sort_keys=[(name, "ascending") for name in [*entity, check.time_column]]))
    start = pc.cast(rows.column(check.time_column), pa.int64())
    examples: list[dict[str, Any]] = []
    failures = 0
    if rows.num_rows > 1:
        count = rows.num_rows - 1
        same = _all_true(count)
        for name in entity:
            column = rows.column(name)
            same = pc.and_(same, _filled(pc.equal(column.slice(1), column.slice(0, count))))
        gap = pc.subtract(start.slice(1), start.slice(0, count))
        broken = _filled(pc.and_(same, pc.not_equal(gap, step)))
        failures += _count(broken)
        for position in pc.indices_nonzero(broken).slice(0, MAX_EXAMPLES).to_pylist():
            examples.append(
                {
                    "entity": {name: _jsonable(rows.column(name)[position].as_py()) for name in entity},
                    "previous": _jsonable(rows.column(check.time_column)[position].as_py()),
                    "next": _jsonable(rows.column(check.time_column)[position + 1].as_py()),
                    "step_minutes": _jsonable(gap[position].as_py() / _US_PER_MINUTE),
                    "expected_minutes": check.interval_minutes,
                }
            )
    if check.end_column:
        length = pc.subtract(pc.cast(rows.column(check.end_column), pa.int64()), start)
        wrong = _filled(pc.not_equal(length, step))
        failures += _count(wrong)
        for position in pc.indices_nonzero(wrong).slice(0, max(0, MAX_EXAMPLES - len(examples))).to_pylist():
            examples.append(
                {
                    "entity": {name: _jsonable(rows.column(name)[position].as_py()) for name in entity},
                    check.time_column: _jsonable(rows.column(check.time_column)[position].as_py()),
                    check.end_column: _jsonable(rows.column(check.end_column)[position].as_py()),
                    "length_minutes": _jsonable(length[position].as_py() / _US_PER_MINUTE),
                    "expected_minutes": check.interval_minutes,
                }
            )
    return _CheckResult(
        check,
        passed=failures == 0,
        failures=failures,
        examples=examples,
        details={"entity_columns": entity, "interval_minutes": check.interval_minutes},
    )


# --- helpers ------------------------------------------------------------------------------------------------------


def _row_numbers(rows: int) -> pa.Array:
    """0, 1, ..., rows - 1 (vectorised: no numpy in the runtime)."""
    if rows == 0:
        return pa.array([], pa.int64())
    ones = pa.nulls(rows, pa.int64()).fill_null(1)
    return pc.subtract(pc.cumulative_sum(ones), 1)


def _group_first_index(table: pa.Table, columns: Sequence[str]) -> pa.Array:
    """For every row, the index of the first row with the same values in ``columns`` (nulls compare equal)."""
    rows = table.num_rows
    if rows == 0:
        return pa.array([], pa.int64())
    indexed = table.select(list(columns)).append_column("__row", _row_numbers(rows))
    groups = indexed.group_by(list(columns), use_threads=False).aggregate([("__row", "min"), ("__row", "list")])
    members = groups.column("__row_list").combine_chunks()
    first_of_member = pc.take(groups.column("__row_min"), pc.list_parent_indices(members))
    # The flattened members are a permutation of 0..rows-1: sorting them puts every row back in its place.
    return _array(pc.take(first_of_member, pc.sort_indices(pc.list_flatten(members))))


def _labelled(name: str, values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """``name=value`` per row, timestamps as ISO UTC, nulls as ``null``."""
    if pa.types.is_timestamp(values.type):
        seconds = pc.cast(values, pa.timestamp("s", tz="UTC"), safe=False)
        text = pc.strftime(seconds, format="%Y-%m-%dT%H:%M:%SZ")
    else:
        text = pc.cast(values, pa.string())
    text = pc.fill_null(text, "null")
    return _join_text([_constant(f"{name}=", len(values)), text], "")


def _constant(text: str, rows: int) -> pa.Array:
    return pa.nulls(rows, pa.string()).fill_null(text)


def _join_text(parts: Sequence[pa.Array | pa.ChunkedArray], separator: str) -> pa.Array:
    return _array(pc.binary_join_element_wise(*parts, separator))


def _array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One contiguous array (pyarrow hands back chunked arrays from table columns)."""
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _filled(mask: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A boolean mask without nulls (null -> False), as one array."""
    return _array(pc.fill_null(mask, False))


def _all_true(rows: int) -> pa.Array:
    return pa.nulls(rows, pa.bool_()).fill_null(True)


def _all_false(rows: int) -> pa.Array:
    return pa.nulls(rows, pa.bool_()).fill_null(False)


def _count(mask: pa.Array) -> int:
    return int(pc.sum(pc.cast(mask, pa.int64())).as_py() or 0)


def _jsonable(value: Any) -> Any:
    """A value json.dumps accepts: instants and dates as ISO strings, NaN/inf as strings."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
            return value.isoformat().replace("+00:00", "Z")
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
