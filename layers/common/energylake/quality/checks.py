"""What a quality check is (:class:`Check`, :class:`RowFilter`), what running one found (:class:`CheckResult`), and the
vectorised implementation of each kind: the schema comparison, the row checks (not_null, unique_key, range) that give
a bad-row mask and a reason per bad row, and the set checks (completeness per Central day, the monotonic interval
grid). :mod:`energylake.quality` declares which checks each dataset gets and runs them; the rules are in its
docstring.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc

from energylake.arrow import as_array, between
from energylake.contracts.schemas import LINEAGE, TableSchema
from energylake.timeconv import MARKET_TIME_ZONE, local_day_hours

CheckKind = Literal["schema", "not_null", "unique_key", "range", "completeness", "monotonic"]
Severity = Literal["reject_rows", "fail_object"]

MAX_EXAMPLES = 5
LINEAGE_NAMES = tuple(column.name for column in LINEAGE)
_CENTRAL_TIMESTAMP = pa.timestamp("us", tz=MARKET_TIME_ZONE)
_US_PER_MINUTE = 60_000_000


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


@dataclass
class CheckResult:
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


# --- schema -------------------------------------------------------------------------------------------------------


def has_lineage(table: pa.Table) -> bool:
    return any(name in LINEAGE_NAMES for name in table.column_names)


def contract_schema(schema: TableSchema, *, with_lineage: bool) -> pa.Schema:
    full = schema.arrow_schema()
    return full if with_lineage else pa.schema([field for field in full if field.name not in LINEAGE_NAMES])


def check_schema(check: Check, table: pa.Table, schema: TableSchema) -> CheckResult:
    contract = contract_schema(schema, with_lineage=has_lineage(table))
    wanted = [(field.name, field.type) for field in contract]
    actual = [(field.name, field.type) for field in table.schema]
    if actual == wanted:
        return CheckResult(check, passed=True)
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
    return CheckResult(
        check,
        passed=False,
        failures=len(problems),
        examples=problems[:MAX_EXAMPLES],
        details={"expected": [f"{name}: {kind}" for name, kind in wanted]},
    )


# --- row checks ---------------------------------------------------------------------------------------------------


# A reject_rows check gives a bad-row mask and a function naming why, called only on the bad rows' positions.
_Describe = Callable[[pa.Array], pa.Array]


def row_check(check: Check, table: pa.Table) -> tuple[CheckResult, pa.Array | None, pa.Array | None]:
    """(result, bad-row mask, reason per row (null where fine)) of a reject_rows check."""
    missing = [column for column in check.columns if column not in table.column_names]
    if missing:  # only lineage columns can be absent once the schema passed
        return CheckResult(check, passed=True, skipped=f"column {missing[0]!r} absent"), None, None
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
        return CheckResult(check, passed=True, details=details), None, None
    positions = pc.indices_nonzero(mask)
    # Scatter the bad rows' reasons back to their positions (null elsewhere): strings are built for bad rows only.
    scattered = pc.replace_with_mask(pa.nulls(table.num_rows, pa.string()), mask, describe(positions))
    reason = as_array(scattered, check.name)
    examples = _row_examples(table, positions, reason, value_columns)
    result = CheckResult(check, passed=False, failures=failures, examples=examples, details=details)
    return result, mask, reason


def _duplicates(check: Check, table: pa.Table) -> tuple[pa.Array, _Describe, dict[str, Any]]:
    key = list(check.columns)
    valid = all_true(table.num_rows)
    for column in key:
        valid = pc.and_(valid, pc.is_valid(table.column(column)))
    key_first = _group_first_index(table, key)
    duplicate = _filled(pc.and_(valid, pc.not_equal(_row_numbers(table.num_rows), key_first)))
    if not _count(duplicate):
        return duplicate, _no_description, {"identical_duplicates": 0, "conflicting_duplicates": 0}
    values = [name for name in table.column_names if name not in key and name not in LINEAGE_NAMES]
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
    values = as_array(table.column(column), column)
    applies = all_true(table.num_rows)
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
        outside = pc.invert(between(as_float, low, high))  # NaN is outside: it compares false to both bounds
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


def check_completeness(
    check: Check, table: pa.Table, expected: Sequence[dt.date], partial: Sequence[dt.date]
) -> tuple[CheckResult, list[dict[str, Any]]]:
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
    result = CheckResult(
        check,
        passed=not failures,
        failures=len(failures),
        examples=failures[:MAX_EXAMPLES],
        details={"entity_columns": entity, "interval_minutes": check.interval_minutes},
    )
    return result, summaries


def check_monotonic(check: Check, table: pa.Table) -> CheckResult:
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
        same = all_true(count)
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
    return CheckResult(
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
    return as_array(pc.take(first_of_member, pc.sort_indices(pc.list_flatten(members))), "first index")


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
    return as_array(pc.binary_join_element_wise(*parts, separator), "text")


def _filled(mask: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A boolean mask without nulls (null -> False), as one array."""
    return as_array(pc.fill_null(mask, False), "mask")


def all_true(rows: int) -> pa.Array:
    return pa.nulls(rows, pa.bool_()).fill_null(True)


def all_false(rows: int) -> pa.Array:
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
