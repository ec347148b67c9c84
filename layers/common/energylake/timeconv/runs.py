"""The runs path of the vectorised conversions: one conversion per run of identical labels.

ERCOT files are sorted by time, so (day, hour, interval, flag) stays constant over long stretches of rows (one per
settlement point). Each run is resolved once in Python (once per distinct label, cached) and spread back with a
run-end decode: no per-row key arithmetic, hashing or take. Unsorted or high-cardinality input (too many runs) makes
these functions return None, and :mod:`energylake.timeconv.arrays` uses its array path instead. Both paths give the
same values and the same error (class, message, row) for the first bad row.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

from energylake import arrow
from energylake.errors import LocalTimeError
from energylake.timeconv.labels import (
    CENTRAL,
    EPOCH_ORDINAL,
    ONE_US,
    US_PER_DAY,
    US_PER_HOUR,
    US_PER_QUARTER,
    parse_delivery_date,
    parse_dst_flag,
    parse_hour_ending,
    row_error,
    scalar_hour_start,
    scalar_quarter_start,
    to_us,
)

_MISSING = object()


def _starts_by_runs(
    columns: dict[str, Any | None], start_of: Callable[..., int], recompute: Callable[[int], object]
) -> Any | None:
    """Per-row int64 UTC starts (microseconds) computed once per run of identical labels, or None (use the array
    path). A failing label raises the error of its first row, recomputed by ``recompute(row)`` as the array path
    does."""
    import pyarrow as pa

    arrays = list(columns.values())
    length = arrow.check_lengths(**columns)
    if length == 0:
        return None
    found = arrow.merged_runs(arrays, length)
    if found is None:
        return None
    ends, per_column = found
    cache: dict[tuple[Any, ...], int] = {}
    results: list[int] = []
    for run, key in enumerate(zip(*per_column, strict=True)):
        value = cache.get(key, _MISSING)
        if value is _MISSING:
            try:
                value = start_of(*key)
            except (ValueError, OverflowError) as error:
                row = ends[run - 1] if run else 0
                fallback = error if isinstance(error, LocalTimeError) else LocalTimeError(str(error))
                raise row_error(row, columns, functools.partial(recompute, row), fallback) from None
            cache[key] = value
        results.append(value)  # type: ignore[arg-type]
    return arrow.spread_runs(ends, results, pa.int64())


def hour_starts_by_runs(days: Any, hours: Any, flags: Any | None, sequential: bool) -> Any | None:
    """:func:`hour_ending_starts_utc` by runs (int64 microseconds), or None when the array path must do it."""
    if not (
        arrow.is_kind(days, ("date", "string"))
        and arrow.is_kind(hours, ("integer", "string"))
        and arrow.is_kind(flags, ("boolean", "string"))
    ):
        return None
    day_info = _day_info_cache()

    def start_of(day_value: Any, hour_value: Any, flag_value: Any) -> int:
        info = day_info(day_value)
        hour = _quick_hour(hour_value)
        if info is not None and hour is not None and _quick_unflagged(flag_value):
            ordinal, shift, next_shift = info
            if sequential:
                fits = 1 <= hour <= (next_shift - shift) // US_PER_HOUR + 24
            else:
                fits = shift == next_shift and 1 <= hour <= 24
            if fits:
                return ordinal * US_PER_DAY + shift + (hour - 1) * US_PER_HOUR
        return to_us(scalar_hour_start(day_value, hour_value, flag_value, sequential))

    def recompute(row: int) -> object:
        return scalar_hour_start(days[row].as_py(), hours[row].as_py(), arrow.value_at(flags, row), sequential)

    return _starts_by_runs({"days": days, "hours": hours, "repeated": flags}, start_of, recompute)


def quarter_starts_by_runs(days: Any, hours: Any, intervals: Any, flags: Any | None) -> Any | None:
    """:func:`quarter_hour_starts_utc` by runs (int64 microseconds), or None when the array path must do it."""
    if not (
        arrow.is_kind(days, ("date", "string"))
        and arrow.is_kind(hours, ("integer", "string"))
        and arrow.is_kind(intervals, ("integer", "string"))
        and arrow.is_kind(flags, ("boolean", "string"))
    ):
        return None
    day_info = _day_info_cache()
    hour_starts: dict[tuple[Any, Any, Any], int | None] = {}

    def hour_start(day_value: Any, hour_value: Any, flag_value: Any) -> int | None:
        """Start of interval 1 of the hour, exactly (None if it fails): Central time changes offset only on whole
        hours, so the hour's four intervals are 15 minutes apart and exist (or repeat) together."""
        key = (day_value, hour_value, flag_value)
        if key not in hour_starts:
            try:
                hour_starts[key] = to_us(scalar_quarter_start(day_value, hour_value, 1, flag_value))
            except (ValueError, OverflowError):
                hour_starts[key] = None
        return hour_starts[key]

    def start_of(day_value: Any, hour_value: Any, interval_value: Any, flag_value: Any) -> int:
        info = day_info(day_value)
        hour = _quick_hour(hour_value)
        interval = _quick_interval(interval_value)
        if info is not None and hour is not None and interval is not None and 1 <= interval <= 4 and 1 <= hour <= 24:
            if info[1] == info[2] and _quick_unflagged(flag_value):
                return info[0] * US_PER_DAY + info[1] + (hour - 1) * US_PER_HOUR + (interval - 1) * US_PER_QUARTER
            first = hour_start(day_value, hour_value, flag_value)
            if first is not None:
                return first + (interval - 1) * US_PER_QUARTER
        return to_us(scalar_quarter_start(day_value, hour_value, interval_value, flag_value))

    def recompute(row: int) -> object:
        return scalar_quarter_start(
            days[row].as_py(), hours[row].as_py(), intervals[row].as_py(), arrow.value_at(flags, row)
        )

    return _starts_by_runs(
        {"days": days, "hours": hours, "intervals": intervals, "repeated": flags}, start_of, recompute
    )


_DayInfo = tuple[int, int, int]  # (days since 1970-01-01, shift at local midnight, shift at the next midnight)


def _day_info_cache() -> Callable[[Any], _DayInfo | None]:
    """day value (date or ERCOT date string) -> (ordinal, shift at its midnight, shift at the next), None if the
    value is not a plain valid day (the exact scalar path then judges it). shift = UTC - wall clock in us."""
    cache: dict[Any, _DayInfo | None] = {}

    def shift(day: dt.date) -> int:
        midnight = dt.datetime.combine(day, dt.time(0), CENTRAL)
        return -(midnight.utcoffset() or dt.timedelta(0)) // ONE_US

    def info(value: Any) -> _DayInfo | None:
        found = cache.get(value, _MISSING)
        if found is _MISSING:
            try:
                day = value if type(value) is dt.date else parse_delivery_date(value)
                found = (day.toordinal() - EPOCH_ORDINAL, shift(day), shift(day + dt.timedelta(days=1)))
            except (ValueError, OverflowError, TypeError):
                found = None
            cache[value] = found
        return found  # type: ignore[return-value]

    return info


def _quick_hour(value: Any) -> int | None:
    """An unmarked hour label as an int (``7``, ``"07"``), else None (the exact scalar path judges it)."""
    if type(value) is int:
        return value
    if type(value) is str:
        found = _QUICK_HOURS.get(value, _MISSING)
        if found is _MISSING:
            try:
                parsed = parse_hour_ending(value)
                found = None if parsed.repeated else parsed.hour
            except ValueError:
                found = None
            if len(_QUICK_HOURS) < 4096:
                _QUICK_HOURS[value] = found
        return found  # type: ignore[return-value]
    return None


_QUICK_HOURS: dict[str, int | None] = {}


def _quick_interval(value: Any) -> int | None:
    if type(value) is int:
        return value
    if type(value) is str:
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _quick_unflagged(value: Any) -> bool:
    """Whether a flag value means 'not the repeated occurrence' (no flag or N), as the array path reads it."""
    if value is None or value is False:
        return True
    if type(value) is str:
        try:
            return parse_dst_flag(value) is not True
        except ValueError:
            return False
    return False
