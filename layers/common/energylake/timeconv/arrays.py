"""Vectorised label conversions over pyarrow arrays (pyarrow imported lazily, inside each function).

``import energylake.timeconv`` never loads pyarrow: the fetch Lambdas import it without the data layer. The functions
resolve each DISTINCT label once and map the results back with ``take``, so a million rows cost a few array kernels
plus a Python loop over the (few) distinct labels. :func:`hour_ending_starts_utc` and :func:`quarter_hour_starts_utc`
first try the runs path (:mod:`energylake.timeconv.runs`); both paths give the same values and the same error
(class, message, row) for the first bad row; ChunkedArrays are read chunk by chunk on the runs path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from energylake import arrow
from energylake.errors import LocalTimeError
from energylake.timeconv.labels import (
    CENTRAL,
    EPOCH_NAIVE,
    EPOCH_ORDINAL,
    HOUR,
    ONE_US,
    US_PER_DAY,
    US_PER_HOUR,
    US_PER_QUARTER,
    AmbiguousPolicy,
    flag_text,
    hour_ending_interval_utc,
    local_wallclock_to_utc,
    parse_delivery_date,
    parse_dst_flag,
    parse_hour_ending,
    quarter_hour_interval_utc,
    resolve,
    row_error,
    scalar_hour_start,
    scalar_quarter_start,
    to_us,
)
from energylake.timeconv.runs import hour_starts_by_runs, quarter_starts_by_runs

if TYPE_CHECKING:
    import pyarrow as pa


def _or_none(func: Callable[[Any], int]) -> Callable[[Any], int | None]:
    def wrapped(value: Any) -> int | None:
        try:
            return func(value)
        except (ValueError, OverflowError):
            return None

    return wrapped


def _day_ordinals(days: Any) -> Any:
    """date32 / date64 / naive timestamp at midnight / string (MM/DD/YYYY or YYYY-MM-DD) -> int64 days since
    1970-01-01; null where the value is null or invalid."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = days.type
    if pa.types.is_date32(kind) or pa.types.is_date64(kind):
        return pc.cast(pc.cast(pc.cast(days, pa.date32()), pa.int32()), pa.int64())
    if pa.types.is_timestamp(kind):
        if kind.tz is not None:
            raise ValueError(f"days must be dates or naive timestamps, not {kind} (which calendar day is that?)")
        as_date = pc.cast(days, pa.date32())
        midnight = pc.equal(pc.cast(as_date, kind), days)
        return pc.cast(pc.cast(pc.if_else(midnight, as_date, pa.scalar(None, pa.date32())), pa.int32()), pa.int64())
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return arrow.map_unique(
            days, _or_none(lambda text: parse_delivery_date(text).toordinal() - EPOCH_ORDINAL), pa.int64()
        )
    raise TypeError(f"days must be date32, date64, naive timestamp or string, not {kind}")


def _hour_codes(hours: Any, name: str) -> tuple[Any, Any]:
    """Integer or string hour labels -> (hour int64 in 0..127 or null, label-says-repeated int64 0/1)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = hours.type
    if pa.types.is_integer(kind):
        as_int = pc.cast(hours, pa.int64())
        in_range = pc.and_(pc.greater_equal(as_int, 0), pc.less(as_int, 128))
        return pc.if_else(in_range, as_int, pa.scalar(None, pa.int64())), pa.scalar(0, pa.int64())
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):

        def code(text: str) -> int:
            parsed = parse_hour_ending(text)
            return parsed.hour * 2 + (1 if parsed.repeated else 0)

        codes = arrow.map_unique(hours, _or_none(code), pa.int64())
        return pc.shift_right(codes, 1), pc.bit_wise_and(codes, 1)
    raise TypeError(f"{name} must be an integer or string array, not {kind}")


def _flag_codes(repeated: Any, label_repeated: Any) -> Any:
    """Flags -> int64 code 0 (no flag), 1 (N), 2 (Y); null where invalid or contradicting a 'DST' label."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if repeated is None:
        flags = pa.scalar(0, pa.int64())
    elif pa.types.is_boolean(repeated.type):
        flags = pc.fill_null(pc.if_else(repeated, 2, 1), 0)
    elif pa.types.is_string(repeated.type) or pa.types.is_large_string(repeated.type):
        # null string = no flag (0); a string parse_dst_flag rejects = null (an error for that row)
        codes = arrow.map_unique(repeated, _or_none(lambda text: _FLAG_CODE[parse_dst_flag(text)]), pa.int64())
        flags = pc.if_else(pc.is_null(repeated), pa.scalar(0, pa.int64()), codes)
    else:
        raise TypeError(f"repeated must be a boolean or string array, not {repeated.type}")
    # A "02:00 DST" label means Y: fine with no flag or Y, contradicts N.
    says_dst = pc.equal(label_repeated, 1)
    merged = pc.if_else(pc.equal(flags, 1), pa.scalar(None, pa.int64()), pa.scalar(2, pa.int64()))
    return pc.if_else(says_dst, merged, flags)


_FLAG_CODE: dict[bool | None, int] = {None: 0, False: 1, True: 2}


def _resolve_unique(keys: Any, compute: Callable[[int], int]) -> tuple[Any, Callable[[int], LocalTimeError | None]]:
    """dictionary-encode int64 ``keys``, run ``compute`` (key -> int64 result) once per distinct key, map back.
    Returns (per-row int64 results, null for null keys and failed keys; row -> the error its key raised)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(keys)
    results: list[int | None] = []
    errors: dict[int, LocalTimeError] = {}
    for index, key in enumerate(encoded.dictionary.to_pylist()):
        try:
            results.append(compute(key))
        except LocalTimeError as error:
            results.append(None)
            errors[index] = error
        except (ValueError, OverflowError) as error:
            results.append(None)
            errors[index] = LocalTimeError(str(error))

    def error_of(row: int) -> LocalTimeError | None:
        index = encoded.indices[row].as_py()
        return None if index is None else errors.get(index)

    return pc.take(pa.array(results, pa.int64()), encoded.indices), error_of


def _day_shifts(day_ordinals: Any) -> tuple[Any, Any, Any]:
    """Per row, with one Python step per DISTINCT day: (shift at the day's local midnight, shift at the next local
    midnight, day is simple), where shift = UTC - wall clock in microseconds (+6 h in CST) and a simple day has one
    offset from midnight to midnight (no DST change, not ambiguous at midnight). Null where the day is null."""
    import pyarrow as pa
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(day_ordinals)
    midnight_shift: dict[int, int | None] = {}

    def shift_at_midnight(ordinal: int) -> int | None:
        if ordinal not in midnight_shift:
            try:
                midnight = dt.datetime.combine(dt.date.fromordinal(ordinal + EPOCH_ORDINAL), dt.time(0), CENTRAL)
                midnight_shift[ordinal] = -(midnight.utcoffset() or dt.timedelta(0)) // ONE_US
            except (ValueError, OverflowError):
                midnight_shift[ordinal] = None
        return midnight_shift[ordinal]

    # A day whose two midnights have the same offset has no change in between (Central time changes at 02:00; a
    # change exactly at a midnight makes the two offsets differ too). fold=0 at midnight, as local_day_bounds_utc.
    starts = [shift_at_midnight(ordinal) for ordinal in encoded.dictionary.to_pylist()]
    ends = [shift_at_midnight(ordinal + 1) for ordinal in encoded.dictionary.to_pylist()]
    simple = [
        None if first is None or last is None else first == last for first, last in zip(starts, ends, strict=True)
    ]
    return (
        pc.take(pa.array(starts, pa.int64()), encoded.indices),
        pc.take(pa.array(ends, pa.int64()), encoded.indices),
        pc.take(pa.array(simple, pa.bool_()), encoded.indices),
    )


def _first_bad_row(per_row: Any, must_be_valid: Any | None = None) -> int | None:
    """The first row without a result (ignoring rows whose input ``must_be_valid`` is itself null)."""
    import pyarrow.compute as pc

    bad = pc.is_null(per_row)
    if must_be_valid is not None:
        bad = pc.and_(bad, pc.is_valid(must_be_valid))
    return arrow.first_true_row(bad)


def _fast_then_exact(simple: Any, fast: Any, keys: Any, compute: Callable[[int], int]) -> tuple[Any, Any]:
    """Rows where ``simple`` is true take ``fast`` (pure array arithmetic); the others (DST days, flagged rows,
    anything invalid) are resolved exactly, once per distinct key, by ``compute``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    simple = pc.fill_null(simple, False)
    slow, error_of = _resolve_unique(pc.if_else(simple, pa.scalar(None, pa.int64()), keys), compute)
    return pc.if_else(simple, fast, slow), error_of


def hour_ending_starts_utc(
    days: pa.Array, hours: pa.Array, repeated: pa.Array | None = None, *, sequential: bool = False
) -> pa.Array:
    """Vectorised :func:`hour_ending_interval_utc`: the UTC interval starts (``timestamp[us, tz=UTC]``; add one hour
    for the ends) of rows labelled (day, hour ending, repeated flag).

    * ``days``: date32/date64, a naive timestamp at midnight, or strings ``MM/DD/YYYY`` / ``YYYY-MM-DD``.
    * ``hours``: integers, or strings as :func:`parse_hour_ending` reads them (``"01:00"``, ``"24:00"``,
      ``"02:00 DST"`` -> repeated).
    * ``repeated``: booleans or strings as :func:`parse_dst_flag` reads them (``"Y"``/``"N"``/``""``); null = no flag.
      A ``"DST"`` hour label counts as Y; it contradicts an explicit N. Files that mark ONLY the second occurrence
      in the label (Native Load archive: ``"02:00"`` then ``"02:00 DST"``) mean "unmarked = N": pass
      ``repeated=pc.match_substring(hours, "DST", ignore_case=True)``; without it the unmarked ``"02:00"`` on the
      fall-back day is (rightly) ambiguous.

    Arrays or ChunkedArrays of equal length. Any bad row (null, unparseable, nonexistent, ambiguous...) raises the
    matching :class:`LocalTimeError` for the FIRST such row, with ``.row`` set (0-based) and named in the message.

    Speed: ordinary days are pure array arithmetic after one Python step per distinct day; rows on DST days (and
    rows flagged Y, and bad rows) go through the scalar function once per distinct label."""
    import pyarrow.compute as pc

    days = arrow.as_column(days, "days")
    hours = arrow.as_column(hours, "hours")
    flags = None if repeated is None else arrow.as_column(repeated, "repeated")
    arrow.check_lengths(days=days, hours=hours, repeated=flags)

    by_runs = hour_starts_by_runs(days, hours, flags, sequential)
    if by_runs is not None:
        return arrow.utc_timestamps(by_runs)

    days = arrow.as_array(days, "days")
    hours = arrow.as_array(hours, "hours")
    flags = None if flags is None else arrow.as_array(flags, "repeated")
    day_ordinals = _day_ordinals(days)
    hour_values, label_repeated = _hour_codes(hours, "hours")
    flag_codes = _flag_codes(flags, label_repeated)
    # key = day * 512 + hour * 4 + flag  (hour in 0..127, flag in 0..2): injective, null when any part is invalid
    keys = pc.add(pc.add(pc.multiply(day_ordinals, 512), pc.multiply(hour_values, 4)), flag_codes)

    shift_start, shift_end, simple_day = _day_shifts(day_ordinals)
    unflagged_y = pc.less(flag_codes, 2)
    hour_offset = pc.multiply(pc.subtract(hour_values, 1), US_PER_HOUR)
    day_start = pc.add(pc.multiply(day_ordinals, US_PER_DAY), shift_start)
    if sequential:
        day_hours = pc.add(pc.divide(pc.subtract(shift_end, shift_start), US_PER_HOUR), 24)
        simple = pc.and_(unflagged_y, arrow.between(hour_values, 1, day_hours))
    else:
        simple = pc.and_(pc.and_(simple_day, unflagged_y), arrow.between(hour_values, 1, 24))
    fast = pc.add(day_start, hour_offset)

    def compute(key: int) -> int:
        day_ordinal, rest = divmod(key, 512)
        hour, flag = divmod(rest, 4)
        day = dt.date.fromordinal(day_ordinal + EPOCH_ORDINAL)
        repeated_flag = (None, False, True)[flag]
        return to_us(hour_ending_interval_utc(day, hour, repeated_flag, sequential=sequential)[0])

    starts, error_of = _fast_then_exact(simple, fast, keys, compute)
    row = _first_bad_row(starts)
    if row is not None:
        raise row_error(
            row,
            {"days": days, "hours": hours, "repeated": flags},
            lambda: scalar_hour_start(days[row].as_py(), hours[row].as_py(), arrow.value_at(flags, row), sequential),
            error_of(row),
        )
    return arrow.utc_timestamps(starts)


def quarter_hour_starts_utc(
    days: pa.Array, hours: pa.Array, intervals: pa.Array, repeated: pa.Array | None = None
) -> pa.Array:
    """Vectorised :func:`quarter_hour_interval_utc`: UTC starts (``timestamp[us, tz=UTC]``; add 15 minutes for the
    ends) of rows labelled (day, delivery hour, delivery interval, repeated flag). ``days``/``hours``/``repeated``
    as in :func:`hour_ending_starts_utc`; ``intervals``: integers 1..4 (or digit strings). Errors and speed as there."""
    import pyarrow as pa
    import pyarrow.compute as pc

    days = arrow.as_column(days, "days")
    hours = arrow.as_column(hours, "hours")
    intervals = arrow.as_column(intervals, "intervals")
    flags = None if repeated is None else arrow.as_column(repeated, "repeated")
    arrow.check_lengths(days=days, hours=hours, intervals=intervals, repeated=flags)

    by_runs = quarter_starts_by_runs(days, hours, intervals, flags)
    if by_runs is not None:
        return arrow.utc_timestamps(by_runs)

    days = arrow.as_array(days, "days")
    hours = arrow.as_array(hours, "hours")
    intervals = arrow.as_array(intervals, "intervals")
    flags = None if flags is None else arrow.as_array(flags, "repeated")
    day_ordinals = _day_ordinals(days)
    hour_values, label_repeated = _hour_codes(hours, "hours")
    if pa.types.is_integer(intervals.type):
        interval_values = pc.cast(intervals, pa.int64())
    elif pa.types.is_string(intervals.type) or pa.types.is_large_string(intervals.type):
        interval_values = arrow.map_unique(intervals, _or_none(lambda text: int(text.strip())), pa.int64())
    else:
        raise TypeError(f"intervals must be an integer or string array, not {intervals.type}")
    interval_values = pc.if_else(arrow.between(interval_values, 0, 7), interval_values, pa.scalar(None, pa.int64()))
    flag_codes = _flag_codes(flags, label_repeated)
    # key = day * 4096 + hour * 32 + interval * 4 + flag  (hour 0..127, interval 0..7, flag 0..2)
    keys = pc.add(
        pc.add(pc.multiply(day_ordinals, 4096), pc.multiply(hour_values, 32)),
        pc.add(pc.multiply(interval_values, 4), flag_codes),
    )

    shift_start, _, simple_day = _day_shifts(day_ordinals)
    simple = pc.and_(
        pc.and_(simple_day, pc.less(flag_codes, 2)),
        pc.and_(arrow.between(hour_values, 1, 24), arrow.between(interval_values, 1, 4)),
    )
    local_us = pc.add(
        pc.add(pc.multiply(day_ordinals, US_PER_DAY), pc.multiply(pc.subtract(hour_values, 1), US_PER_HOUR)),
        pc.multiply(pc.subtract(interval_values, 1), US_PER_QUARTER),
    )
    fast = pc.add(local_us, shift_start)

    def compute(key: int) -> int:
        day_ordinal, rest = divmod(key, 4096)
        hour, rest = divmod(rest, 32)
        interval, flag = divmod(rest, 4)
        day = dt.date.fromordinal(day_ordinal + EPOCH_ORDINAL)
        return to_us(quarter_hour_interval_utc(day, hour, interval, (None, False, True)[flag])[0])

    starts, error_of = _fast_then_exact(simple, fast, keys, compute)
    row = _first_bad_row(starts)
    if row is not None:
        raise row_error(
            row,
            {"days": days, "hours": hours, "intervals": intervals, "repeated": flags},
            lambda: scalar_quarter_start(
                days[row].as_py(), hours[row].as_py(), intervals[row].as_py(), arrow.value_at(flags, row)
            ),
            error_of(row),
        )
    return arrow.utc_timestamps(starts)


def local_wallclock_array_to_utc(
    local: pa.Array, *, repeated: pa.Array | None = None, ambiguous: AmbiguousPolicy = "raise"
) -> pa.Array:
    """Vectorised :func:`local_wallclock_to_utc`: naive ``timestamp`` (Central wall clock, any unit that fits in
    microseconds) -> ``timestamp[us, tz=UTC]``. Null stays null. ``repeated`` (optional, booleans or Y/N strings)
    decides ambiguous rows where it is set, otherwise ``ambiguous`` does. Bad rows raise as in
    :func:`hour_ending_starts_utc` (first offending row, ``.row``).

    Speed: rows on ordinary days are array arithmetic after one Python step per distinct day; rows on DST days are
    resolved once per distinct wall-clock HOUR (Central time has changed offset only on whole hours since 1883)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if ambiguous not in ("raise", "earlier", "later"):
        raise ValueError(f"ambiguous must be 'raise', 'earlier' or 'later', not {ambiguous!r}")
    local = arrow.as_array(local, "local")
    flags = None if repeated is None else arrow.as_array(repeated, "repeated")
    arrow.check_lengths(local=local, repeated=flags)
    if not pa.types.is_timestamp(local.type) or local.type.tz is not None:
        raise TypeError(f"local must be a naive timestamp array (Central wall clock), not {local.type}")
    local_us = pc.cast(local, pa.timestamp("us"))
    micros = pc.cast(local_us, pa.int64())
    hour_index = pc.divide(pc.cast(pc.floor_temporal(local_us, unit="hour"), pa.int64()), US_PER_HOUR)
    flag_codes = _flag_codes(flags, pa.scalar(0, pa.int64()))
    keys = pc.add(pc.multiply(hour_index, 4), flag_codes)

    day_ordinals = pc.cast(pc.cast(pc.cast(local_us, pa.date32()), pa.int32()), pa.int64())
    shift_start, _, simple_day = _day_shifts(day_ordinals)
    simple = pc.and_(simple_day, pc.less(flag_codes, 2))

    def compute(key: int) -> int:
        hour, flag = divmod(key, 4)
        naive = EPOCH_NAIVE + hour * HOUR
        repeated_flag = (None, False, True)[flag]
        label = f"wall clock {naive:%Y-%m-%dT%H}:xx{flag_text(repeated_flag)}"
        start = resolve(naive, repeated_flag, ambiguous, naive.date(), label)
        last = naive + HOUR - ONE_US
        end = resolve(last, repeated_flag, ambiguous, naive.date(), label)
        shift = to_us(start) - (naive - EPOCH_NAIVE) // ONE_US
        if to_us(end) - (last - EPOCH_NAIVE) // ONE_US != shift:  # pragma: no cover - only before 1884
            raise LocalTimeError(f"{label}: the UTC offset changes inside this hour (unsupported)", label=label)
        return shift

    shifts, error_of = _fast_then_exact(simple, shift_start, keys, compute)
    row = _first_bad_row(shifts, must_be_valid=local)
    if row is not None:
        raise row_error(
            row,
            {"local": local, "repeated": flags},
            lambda: local_wallclock_to_utc(
                local_us[row].as_py(), repeated=parse_dst_flag(arrow.value_at(flags, row)), ambiguous=ambiguous
            ),
            error_of(row),
        )
    return arrow.utc_timestamps(pc.add(micros, shifts))
