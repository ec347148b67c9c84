"""ERCOT Central Prevailing Time <-> UTC. The one place that knows about America/Chicago.

ERCOT's calendar day is the America/Chicago day: 23 hours on the spring-forward Sunday, 25 on the fall-back one.
ERCOT labels an interval by its END ("hour ending" 1..24, or delivery hour + delivery interval for 15 minutes).
Rules implemented here (see docs in ../shared/DOMAIN.md, "ERCOT time conventions"):

* Arithmetic first, then localise: the interval of HE ``h`` on ``day`` starts at the wall-clock time
  ``day 00:00 + (h - 1) h`` (``+ (interval - 1) * 15 min`` for quarter hours), which is then resolved in Central time.
  HE 24 is the last hour of the SAME day.
* Spring forward (second Sunday of March): wall clock 02:00-02:59 does not exist, so HE 3 (and delivery hour 3)
  raises :class:`NonexistentLocalTime`.
* Fall back (first Sunday of November): wall clock 01:00-01:59 happens twice, so HE 2 (delivery hour 2) needs a flag:
  ``repeated=False`` ("N") is the first, daylight-time occurrence (CDT, UTC-5), ``repeated=True`` ("Y", or a label
  like ``"02:00 DST"``) the second, standard-time one (CST, UTC-6). No flag raises :class:`AmbiguousLocalTime`
  instead of guessing; ``repeated=True`` on an hour that does not repeat raises :class:`LocalTimeError`.
* Some files number the fall-back day 1..25 (``sequential=True``): HE ``h`` is then simply the ``h``-th real hour.

The scalar functions are plain Python (zoneinfo only). The vectorised ``*_starts_utc`` / ``*_array_to_utc``
functions take pyarrow arrays and import pyarrow lazily: ``import energylake.timeconv`` never loads pyarrow (the
fetch Lambdas import this module without the data layer). They resolve each DISTINCT label once and map the results
back with ``take``, so a million rows cost a few array kernels plus a Python loop over the (few) distinct labels.
``hour_ending_starts_utc`` / ``quarter_hour_starts_utc`` first try runs: ERCOT files are sorted by time, so the
label is constant over long stretches of rows; when there are few runs (<= 1/16 of the rows) each run is resolved
once (cached by label) and spread back with a run-end decode. Both paths give the same values and the same error
(class, message, row) for the first bad row; ChunkedArrays are read chunk by chunk on the runs path.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, NamedTuple
from zoneinfo import ZoneInfo

from energylake.errors import EnergylakeError

if TYPE_CHECKING:
    import pyarrow as pa

CENTRAL = ZoneInfo("America/Chicago")
UTC = dt.UTC

AmbiguousPolicy = Literal["raise", "earlier", "later"]

_HOUR = dt.timedelta(hours=1)
_QUARTER = dt.timedelta(minutes=15)
_EPOCH_UTC = dt.datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE = dt.datetime(1970, 1, 1)
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_ONE_US = dt.timedelta(microseconds=1)
_US_PER_HOUR = 3_600_000_000
_US_PER_DAY = 24 * _US_PER_HOUR
_US_PER_QUARTER = _US_PER_HOUR // 4
_MAX_HOUR_ENDING = 25  # only meaningful with sequential numbering on a fall-back day


# --------------------------------------------------------------------------------------------------------------------
# Errors


class LocalTimeError(EnergylakeError, ValueError):
    """An ERCOT local-time label that cannot be turned into one UTC interval. The message names the day and label;
    the vectorised functions add ``row`` (0-based index into the input arrays) and name it in the message too."""

    def __init__(
        self, message: str, *, day: dt.date | None = None, label: str | None = None, row: int | None = None
    ) -> None:
        super().__init__(message)
        self.reason = message
        self.day = day
        self.label = label
        self.row = row

    def at_row(self, row: int, written: str = "") -> LocalTimeError:
        """The same error (same class) for row ``row`` of an array; ``written``: the row's values as given."""
        suffix = f" [row {row} as written: {written}]" if written else ""
        return type(self)(f"row {row}: {self.reason}{suffix}", day=self.day, label=self.label, row=row)


class NonexistentLocalTime(LocalTimeError):  # noqa: N818 - name fixed by the parsers' API
    """The wall-clock time was skipped by the spring-forward change (e.g. HE 3 on the second Sunday of March)."""


class AmbiguousLocalTime(LocalTimeError):  # noqa: N818 - name fixed by the parsers' API
    """The wall-clock time happens twice (fall-back day, 01:00-01:59) and nothing says which occurrence is meant."""


# --------------------------------------------------------------------------------------------------------------------
# Day-level helpers (unchanged behaviour)


def local_day_bounds_utc(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants where the Central operating day ``day`` starts and ends ([start, end))."""
    start_local = dt.datetime.combine(day, dt.time(0), tzinfo=CENTRAL)
    end_local = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=CENTRAL)
    return start_local.astimezone(UTC), end_local.astimezone(UTC)


def local_day_hours(day: dt.date) -> int:
    """How many hours the Central operating day has: 23, 24 or 25."""
    start_utc, end_utc = local_day_bounds_utc(day)
    return int((end_utc - start_utc) / dt.timedelta(hours=1))


def utc_now() -> dt.datetime:
    return dt.datetime.now(UTC)


def central_today(now_utc: dt.datetime | None = None) -> dt.date:
    """Today's ERCOT operating day."""
    return (now_utc or utc_now()).astimezone(CENTRAL).date()


# --------------------------------------------------------------------------------------------------------------------
# Label parsing


class HourEnding(NamedTuple):
    """A parsed hour-ending label. ``repeated=True``: the label itself marked the 2nd (CST) occurrence of the
    repeated fall-back hour (``"02:00 DST"``); ``None``: the label says nothing about it."""

    hour: int
    repeated: bool | None


_HOUR_ENDING_RE = re.compile(r"(?:HE\s*)?(\d{1,2})(?::00(?::00)?)?\s*(DST)?", re.IGNORECASE)
_TRUE_FLAGS = frozenset({"Y", "TRUE"})
_FALSE_FLAGS = frozenset({"N", "FALSE"})
_DATE_FORMATS = ("%m/%d/%Y", "%Y-%m-%d")


def parse_hour_ending(label: str | int) -> HourEnding:
    """Parse an hour-ending label: ``1``, ``"1"``, ``"01"``, ``"1:00"``, ``"01:00"``, ``"01:00:00"``, ``"24:00"``,
    ``" 02:00 "``, ``"HE 7"``/``"HE07"``, and ``"02:00 DST"``/``"02:00DST"`` (-> ``repeated=True``: the Native Load
    archive's spelling of the second fall-back hour). Hours 1..25 (25 only makes sense with sequential numbering).
    Anything else raises ValueError naming the label."""
    if isinstance(label, bool) or not isinstance(label, int | str):
        raise ValueError(f"hour ending {label!r} is not an integer or a label like '01:00'")
    if isinstance(label, int):
        hour, repeated = label, None
    else:
        match = _HOUR_ENDING_RE.fullmatch(label.strip())
        if match is None:
            raise ValueError(f"hour ending {label!r} is not a label like '01:00', '1', 'HE 7' or '02:00 DST'")
        hour, repeated = int(match.group(1)), (True if match.group(2) else None)
    if not 1 <= hour <= _MAX_HOUR_ENDING:
        raise ValueError(f"hour ending {label!r} is outside 1..{_MAX_HOUR_ENDING}")
    return HourEnding(hour, repeated)


def parse_dst_flag(value: str | bool | None) -> bool | None:
    """A repeated-hour flag (``DSTFlag``, ``Repeated Hour Flag``): ``"Y"``/``"true"``/True -> True,
    ``"N"``/``"false"``/False -> False, ``""``/None -> None (no flag). Case and surrounding spaces are ignored.
    Anything else raises ValueError naming the value."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().upper()
        if not text:
            return None
        if text in _TRUE_FLAGS:
            return True
        if text in _FALSE_FLAGS:
            return False
    raise ValueError(f"repeated-hour flag {value!r} is not Y/N/true/false/empty")


def parse_delivery_date(value: str | dt.date) -> dt.date:
    """An ERCOT delivery date: ``"MM/DD/YYYY"`` (ERCOT's spelling), ``"YYYY-MM-DD"``, a date, or a datetime at
    midnight. Anything else raises ValueError naming the value."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None or value.time() != dt.time(0):
            raise ValueError(f"delivery date {value!r} is not a naive midnight")
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        for fmt in _DATE_FORMATS:
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
    raise ValueError(f"delivery date {value!r} is not MM/DD/YYYY or YYYY-MM-DD")


# --------------------------------------------------------------------------------------------------------------------
# Scalar conversions

_Kind = Literal["unique", "ambiguous", "nonexistent"]


def _classify(naive: dt.datetime) -> _Kind:
    """Whether a naive Central wall-clock time exists once, twice (fall back) or not at all (spring forward)."""
    earlier = naive.replace(tzinfo=CENTRAL, fold=0).astimezone(UTC)
    later = naive.replace(tzinfo=CENTRAL, fold=1).astimezone(UTC)
    if earlier == later:
        return "unique"
    back = earlier.astimezone(CENTRAL).replace(tzinfo=None)
    return "ambiguous" if back == naive else "nonexistent"


def _resolve(
    naive: dt.datetime, repeated: bool | None, ambiguous: AmbiguousPolicy, day: dt.date, label: str
) -> dt.datetime:
    """Naive Central wall clock -> aware UTC, applying the repeated flag / ambiguity policy."""
    kind = _classify(naive)
    when = f"local {naive:%Y-%m-%d %H:%M}"
    if kind == "nonexistent":
        raise NonexistentLocalTime(
            f"operating day {day.isoformat()}, {label}: {when} does not exist (skipped by the spring-forward change)",
            day=day,
            label=label,
        )
    if kind == "ambiguous":
        if repeated is None:
            if ambiguous == "raise":
                raise AmbiguousLocalTime(
                    f"operating day {day.isoformat()}, {label}: {when} happens twice (fall-back day) and no "
                    "repeated-hour flag says which (N = first/CDT, Y = second/CST)",
                    day=day,
                    label=label,
                )
            fold = 0 if ambiguous == "earlier" else 1
        else:
            fold = 1 if repeated else 0
    else:
        if repeated:
            raise LocalTimeError(
                f"operating day {day.isoformat()}, {label}: flagged as the repeated hour but {when} happens only once",
                day=day,
                label=label,
            )
        fold = 0
    return naive.replace(tzinfo=CENTRAL, fold=fold).astimezone(UTC)


def _check_int(value: object, what: str, day: dt.date) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise LocalTimeError(f"operating day {day}: {what} {value!r} is not an integer", day=day, label=repr(value))
    return value


def _flag_text(repeated: bool | None) -> str:
    return {None: "", False: " (flag N)", True: " (flag Y, repeated)"}[repeated]


def hour_ending_interval_utc(
    day: dt.date, hour_ending: int, repeated: bool | None, *, sequential: bool = False
) -> tuple[dt.datetime, dt.datetime]:
    """The UTC interval ``[start, end)`` (one hour) of hour ending ``hour_ending`` on operating day ``day``.

    Flagged numbering (default): HE 1..24; see the module docstring for the DST rules. ``sequential=True``: HE 1..N
    counts the day's real hours in order (N = 23/24/25); a ``repeated=True`` flag is then only accepted on the hour
    that really is the second occurrence (False/None are accepted everywhere, the number alone decides)."""
    hour_ending = _check_int(hour_ending, "hour ending", day)
    label = f"HE {hour_ending}{_flag_text(repeated)}"
    if sequential:
        hours = local_day_hours(day)
        if not 1 <= hour_ending <= hours:
            raise LocalTimeError(
                f"operating day {day.isoformat()}, {label}: outside 1..{hours} (sequential numbering; the day has "
                f"{hours} hours)",
                day=day,
                label=label,
            )
        start = local_day_bounds_utc(day)[0] + (hour_ending - 1) * _HOUR
        if repeated and not ercot_labels(start)[3]:
            raise LocalTimeError(
                f"operating day {day.isoformat()}, {label}: flagged as the repeated hour but sequential hour "
                f"{hour_ending} is not the second occurrence of a repeated hour",
                day=day,
                label=label,
            )
        return start, start + _HOUR
    if not 1 <= hour_ending <= 24:
        raise LocalTimeError(
            f"operating day {day.isoformat()}, {label}: outside 1..24 (flagged numbering; use sequential=True for "
            "files that number the fall-back day 1..25)",
            day=day,
            label=label,
        )
    naive = dt.datetime.combine(day, dt.time(0)) + (hour_ending - 1) * _HOUR
    start = _resolve(naive, repeated, "raise", day, label)
    return start, start + _HOUR


def quarter_hour_interval_utc(
    day: dt.date, delivery_hour: int, delivery_interval: int, repeated: bool | None
) -> tuple[dt.datetime, dt.datetime]:
    """The UTC interval ``[start, end)`` (15 minutes) of delivery hour 1..24 / delivery interval 1..4 on ``day``:
    start = day 00:00 + (hour - 1) h + (interval - 1) * 15 min in Central wall clock, same DST rules as hours."""
    delivery_hour = _check_int(delivery_hour, "delivery hour", day)
    delivery_interval = _check_int(delivery_interval, "delivery interval", day)
    label = f"delivery hour {delivery_hour} interval {delivery_interval}{_flag_text(repeated)}"
    if not 1 <= delivery_hour <= 24 or not 1 <= delivery_interval <= 4:
        raise LocalTimeError(
            f"operating day {day.isoformat()}, {label}: delivery hour must be 1..24 and interval 1..4",
            day=day,
            label=label,
        )
    naive = dt.datetime.combine(day, dt.time(0)) + (delivery_hour - 1) * _HOUR + (delivery_interval - 1) * _QUARTER
    start = _resolve(naive, repeated, "raise", day, label)
    return start, start + _QUARTER


def local_wallclock_to_utc(
    local: dt.datetime, *, repeated: bool | None = None, ambiguous: AmbiguousPolicy = "raise"
) -> dt.datetime:
    """A naive Central wall-clock time (e.g. a posting time ``2024-11-03T01:30:00``) -> aware UTC.

    Nonexistent (spring-forward gap) -> :class:`NonexistentLocalTime`. Ambiguous (fall-back repeat): ``repeated``
    decides when given (True = second/CST occurrence), else ``ambiguous``: ``"raise"`` ->
    :class:`AmbiguousLocalTime`, ``"earlier"`` (CDT) or ``"later"`` (CST). ``repeated=True`` on a time that is not
    ambiguous raises :class:`LocalTimeError`. An aware datetime raises ValueError (its offset may be wrong:
    ERCOT's document listings stamp -05:00 on CST times; strip it knowingly with ``.replace(tzinfo=None)``)."""
    if local.tzinfo is not None:
        raise ValueError(f"local_wallclock_to_utc wants a naive Central wall-clock time, got aware {local.isoformat()}")
    if ambiguous not in ("raise", "earlier", "later"):
        raise ValueError(f"ambiguous must be 'raise', 'earlier' or 'later', not {ambiguous!r}")
    return _resolve(local, repeated, ambiguous, local.date(), f"wall clock {local.isoformat()}{_flag_text(repeated)}")


def ercot_labels(start_utc: dt.datetime, minutes: int = 60) -> tuple[dt.date, int, int | None, bool]:
    """The ERCOT labels of the ``minutes``-long interval starting at ``start_utc``: (operating day, hour ending /
    delivery hour, delivery interval (None when ``minutes == 60``), repeated). ``repeated`` is True only for the
    second (CST) occurrence of the repeated fall-back hour. ``minutes`` must divide 60 and ``start_utc`` must be
    aware and on that grid in Central time."""
    if start_utc.tzinfo is None or start_utc.utcoffset() is None:
        raise ValueError(f"ercot_labels wants an aware UTC datetime, got naive {start_utc.isoformat()}")
    if minutes <= 0 or 60 % minutes:
        raise ValueError(f"minutes must divide 60, not {minutes!r}")
    local = start_utc.astimezone(CENTRAL)
    if local.second or local.microsecond or local.minute % minutes:
        raise ValueError(f"{start_utc.isoformat()} is not the start of a {minutes}-minute interval")
    naive = local.replace(tzinfo=None)
    repeated = local.fold == 1 and _classify(naive) == "ambiguous"
    interval = None if minutes == 60 else local.minute // minutes + 1
    return local.date(), local.hour + 1, interval, repeated


def hour_ending_labels(day: dt.date) -> list[HourEnding]:
    """The day's hour-ending labels in ERCOT's publication order (flagged numbering): HE 1..24 without HE 3 on the
    spring-forward day, HE 2 twice (False then True) on the fall-back day. ``repeated`` is always a bool."""
    labels: list[HourEnding] = []
    for hour in range(1, 25):
        naive = dt.datetime.combine(day, dt.time(0)) + (hour - 1) * _HOUR
        kind = _classify(naive)
        if kind == "unique":
            labels.append(HourEnding(hour, False))
        elif kind == "ambiguous":
            labels.extend((HourEnding(hour, False), HourEnding(hour, True)))
    return labels


def quarter_hour_labels(day: dt.date) -> list[tuple[int, int, bool]]:
    """The day's (delivery hour, delivery interval, repeated) labels in publication order: 92, 96 or 100 of them.
    On the fall-back day the four intervals of hour 2 (flag N) come before the four of hour 2 (flag Y)."""
    return [(he.hour, interval, bool(he.repeated)) for he in hour_ending_labels(day) for interval in range(1, 5)]


# --------------------------------------------------------------------------------------------------------------------
# Vectorised conversions (pyarrow imported lazily)


def _to_us(instant: dt.datetime) -> int:
    return (instant - _EPOCH_UTC) // _ONE_US


def _as_array(values: Any, name: str) -> Any:
    import pyarrow as pa

    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.Array):
        raise TypeError(f"{name} must be a pyarrow Array or ChunkedArray, not {type(values).__name__}")
    return values


def _column(values: Any, name: str) -> Any:
    """Like :func:`_as_array` but a ChunkedArray stays chunked (the runs path reads it chunk by chunk)."""
    import pyarrow as pa

    if not isinstance(values, pa.Array | pa.ChunkedArray):
        raise TypeError(f"{name} must be a pyarrow Array or ChunkedArray, not {type(values).__name__}")
    return values


def _map_unique(values: Any, func: Callable[[Any], int | None], out_type: Any) -> Any:
    """Apply ``func`` to each distinct non-null value once; nulls (and values ``func`` maps to None) give null."""
    import pyarrow as pa
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(values)
    mapped = [func(value) for value in encoded.dictionary.to_pylist()]
    return pc.take(pa.array(mapped, out_type), encoded.indices)


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
        return _map_unique(
            days, _or_none(lambda text: parse_delivery_date(text).toordinal() - _EPOCH_ORDINAL), pa.int64()
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

        codes = _map_unique(hours, _or_none(code), pa.int64())
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
        codes = _map_unique(repeated, _or_none(lambda text: _FLAG_CODE[parse_dst_flag(text)]), pa.int64())
        flags = pc.if_else(pc.is_null(repeated), pa.scalar(0, pa.int64()), codes)
    else:
        raise TypeError(f"repeated must be a boolean or string array, not {repeated.type}")
    # A "02:00 DST" label means Y: fine with no flag or Y, contradicts N.
    says_dst = pc.equal(label_repeated, 1)
    merged = pc.if_else(pc.equal(flags, 1), pa.scalar(None, pa.int64()), pa.scalar(2, pa.int64()))
    return pc.if_else(says_dst, merged, flags)


_FLAG_CODE: dict[bool | None, int] = {None: 0, False: 1, True: 2}


def _scalar_flag(label_repeated: bool | None, flag: Any, day: dt.date, label: str) -> bool | None:
    parsed = parse_dst_flag(flag)
    if label_repeated and parsed is False:
        raise LocalTimeError(
            f"operating day {day.isoformat()}, hour ending {label!r} says DST (repeated) but the flag says N",
            day=day,
            label=label,
        )
    return True if label_repeated else parsed


def _coerce_day(value: Any) -> dt.date:
    if value is None:
        raise LocalTimeError("missing delivery date (null)", label="null")
    try:
        return parse_delivery_date(value)
    except ValueError as error:
        raise LocalTimeError(str(error), label=repr(value)) from None


def _coerce_hour(value: Any, what: str, day: dt.date) -> HourEnding:
    if value is None:
        raise LocalTimeError(f"operating day {day.isoformat()}: missing {what} (null)", day=day, label="null")
    try:
        return parse_hour_ending(value)
    except ValueError as error:
        raise LocalTimeError(f"operating day {day.isoformat()}: {error}", day=day, label=repr(value)) from None


def _scalar_hour_start(day_value: Any, hour_value: Any, flag_value: Any, sequential: bool) -> dt.datetime:
    """What the vectorised hour-ending path does for one row, on the original (unconverted) values."""
    day = _coerce_day(day_value)
    hour = _coerce_hour(hour_value, "hour ending", day)
    repeated = _scalar_flag(hour.repeated, flag_value, day, str(hour_value))
    return hour_ending_interval_utc(day, hour.hour, repeated, sequential=sequential)[0]


def _scalar_quarter_start(day_value: Any, hour_value: Any, interval_value: Any, flag_value: Any) -> dt.datetime:
    day = _coerce_day(day_value)
    hour = _coerce_hour(hour_value, "delivery hour", day)
    if interval_value is None:
        raise LocalTimeError(
            f"operating day {day.isoformat()}: missing delivery interval (null)", day=day, label="null"
        )
    try:
        interval = int(interval_value.strip()) if isinstance(interval_value, str) else interval_value
    except ValueError:
        raise LocalTimeError(
            f"operating day {day.isoformat()}: delivery interval {interval_value!r} is not an integer",
            day=day,
            label=repr(interval_value),
        ) from None
    repeated = _scalar_flag(hour.repeated, flag_value, day, str(hour_value))
    return quarter_hour_interval_utc(day, hour.hour, interval, repeated)[0]


def _row_error(
    row: int, values: dict[str, Any | None], recompute: Callable[[], object], fallback: LocalTimeError | None
) -> LocalTimeError:
    """The error of row ``row``, recomputed from its original values (named in the message as written)."""
    written = ", ".join(f"{name}={(None if array is None else array[row].as_py())!r}" for name, array in values.items())
    try:
        recompute()
    except LocalTimeError as error:
        return error.at_row(row, written)
    except (ValueError, OverflowError) as error:
        return LocalTimeError(str(error)).at_row(row, written)
    if fallback is not None:  # pragma: no cover - the scalar path raises whenever the array path failed
        return fallback.at_row(row, written)
    return LocalTimeError("cannot convert this label").at_row(row, written)  # pragma: no cover - defensive


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


def _first_bad_row(per_row: Any, must_be_valid: Any | None = None) -> int | None:
    import pyarrow.compute as pc

    bad = pc.is_null(per_row)
    if must_be_valid is not None:
        bad = pc.and_(bad, pc.is_valid(must_be_valid))
    if not pc.any(bad).as_py():
        return None
    return int(pc.index(bad, True).as_py())


def _utc_timestamps(micros: Any) -> Any:
    import pyarrow as pa

    return micros.cast(pa.timestamp("us", tz="UTC"))


def _check_lengths(**arrays: Any) -> int:
    lengths = {name: len(array) for name, array in arrays.items() if array is not None}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"arrays differ in length: {lengths}")
    return next(iter(lengths.values()))


def _pyval(array: Any | None, row: int) -> Any:
    return None if array is None else array[row].as_py()


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
                midnight = dt.datetime.combine(dt.date.fromordinal(ordinal + _EPOCH_ORDINAL), dt.time(0), CENTRAL)
                midnight_shift[ordinal] = -(midnight.utcoffset() or dt.timedelta(0)) // _ONE_US
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


def _fast_then_exact(simple: Any, fast: Any, keys: Any, compute: Callable[[int], int]) -> tuple[Any, Any]:
    """Rows where ``simple`` is true take ``fast`` (pure array arithmetic); the others (DST days, flagged rows,
    anything invalid) are resolved exactly, once per distinct key, by ``compute``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    simple = pc.fill_null(simple, False)
    slow, error_of = _resolve_unique(pc.if_else(simple, pa.scalar(None, pa.int64()), keys), compute)
    return pc.if_else(simple, fast, slow), error_of


def _between(values: Any, low: Any, high: Any) -> Any:
    import pyarrow.compute as pc

    return pc.and_(pc.greater_equal(values, low), pc.less_equal(values, high))


# Runs: ERCOT files are sorted by time, so (day, hour, interval, flag) stays constant over long stretches of rows
# (one per settlement point). Run-end encoding each column is a cheap linear scan; when the merged runs are few, each
# run is resolved once in Python (once per distinct label, cached) and spread back with a run-end decode: no per-row
# key arithmetic, hashing or take. Unsorted or high-cardinality input (too many runs) uses the array path instead.

_RUNS_MIN_LIMIT = 256
_RUNS_ROWS_PER_RUN = 16  # use runs when there are at most len / 16 of them (Python per run vs ~10 kernels per row)
_RUN_TYPES = ("date", "string", "integer", "boolean")
_MISSING = object()


def runs_limit(length: int) -> int:
    """How many runs of equal values a column of ``length`` rows may have for per-run work to beat per-row work."""
    return max(_RUNS_MIN_LIMIT, length // _RUNS_ROWS_PER_RUN)


def _runs_type_ok(array: Any | None, kinds: tuple[str, ...]) -> bool:
    import pyarrow as pa

    if array is None:
        return True
    kind = array.type
    checks = {
        "date": pa.types.is_date32(kind) or pa.types.is_date64(kind),
        "string": pa.types.is_string(kind) or pa.types.is_large_string(kind),
        "integer": pa.types.is_integer(kind),
        "boolean": pa.types.is_boolean(kind),
    }
    return any(checks[name] for name in kinds)


def changes(column: Any) -> Any:
    """Per row 1..n-1: does the value differ from the previous row's (null-aware: null = null, null != value)."""
    import pyarrow.compute as pc

    length = len(column)
    current, previous = column.slice(1), column.slice(0, length - 1)
    changed = pc.not_equal(current, previous)
    if column.null_count:
        changed = pc.coalesce(changed, pc.xor(pc.is_null(current), pc.is_null(previous)))
    return changed


def values_at(column: Any, rows: list[int]) -> list[Any]:
    """The Python values of ``column`` at the (ascending) ``rows``; a ChunkedArray is read chunk by chunk (a take
    on a ChunkedArray would concatenate it)."""
    import pyarrow as pa

    if not isinstance(column, pa.ChunkedArray):
        return list(column.take(pa.array(rows, pa.int64())).to_pylist())
    picked = []
    position, count, chunk_start = 0, len(rows), 0
    for chunk in column.chunks:
        chunk_end = chunk_start + len(chunk)
        local: list[int] = []
        while position < count and rows[position] < chunk_end:
            local.append(rows[position] - chunk_start)
            position += 1
        if local:
            picked.append(chunk.take(pa.array(local, pa.int64())))
        chunk_start = chunk_end
    return list(pa.concat_arrays(picked).to_pylist()) if picked else []


def _merged_runs(columns: list[Any | None], length: int) -> tuple[list[int], list[list[Any]]] | None:
    """(run ends, and per column its value in each run) over the runs where every column is constant, or None
    when there are too many runs to be worth it (or a value has no Python equivalent). ``None`` columns give
    ``None`` values. Finding the runs is one comparison of each column with itself shifted by a row (no hashing)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    limit = runs_limit(length)
    present = [column for column in columns if column is not None]
    changed: Any = None
    for column in present:
        try:
            column_changes = changes(column)
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid, pa.ArrowTypeError):  # pragma: no cover - defensive
            return None
        changed = column_changes if changed is None else pc.or_(changed, column_changes)
        if (pc.sum(changed).as_py() or 0) >= limit:
            return None
    if changed is None:  # pragma: no cover - there is always a day column
        return None
    # changed[i] compares rows i + 1 and i: a run starts at i + 1
    boundaries = [index + 1 for index in pc.indices_nonzero(changed).to_pylist()]
    merged = [*boundaries, length]
    first_rows = [0, *boundaries]
    per_column: list[list[Any]] = []
    for column in columns:
        if column is None:
            per_column.append([None] * len(merged))
            continue
        try:
            per_column.append(values_at(column, first_rows))
        except (ValueError, OverflowError):  # e.g. a date32 outside Python's date range: the array path judges it
            return None
    return merged, per_column


def _starts_by_runs(
    columns: dict[str, Any | None], start_of: Callable[..., int], recompute: Callable[[int], object]
) -> Any | None:
    """Per-row int64 UTC starts (microseconds) computed once per run of identical labels, or None (use the array
    path). A failing label raises the error of its first row, recomputed by ``recompute(row)`` as the array path
    does."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arrays = list(columns.values())
    length = _check_lengths(**columns)
    if length == 0:
        return None
    found = _merged_runs(arrays, length)
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
                raise _row_error(row, columns, functools.partial(recompute, row), fallback) from None
            cache[key] = value
        results.append(value)  # type: ignore[arg-type]
    encoded = pa.RunEndEncodedArray.from_arrays(pa.array(ends, pa.int32()), pa.array(results, pa.int64()))
    return pc.run_end_decode(encoded)


def _hour_starts_by_runs(days: Any, hours: Any, flags: Any | None, sequential: bool) -> Any | None:
    """:func:`hour_ending_starts_utc` by runs (int64 microseconds), or None when the array path must do it."""
    if not (
        _runs_type_ok(days, ("date", "string"))
        and _runs_type_ok(hours, ("integer", "string"))
        and _runs_type_ok(flags, ("boolean", "string"))
    ):
        return None
    day_info = _day_info_cache()

    def start_of(day_value: Any, hour_value: Any, flag_value: Any) -> int:
        info = day_info(day_value)
        hour = _quick_hour(hour_value)
        if info is not None and hour is not None and _quick_unflagged(flag_value):
            ordinal, shift, next_shift = info
            if sequential:
                fits = 1 <= hour <= (next_shift - shift) // _US_PER_HOUR + 24
            else:
                fits = shift == next_shift and 1 <= hour <= 24
            if fits:
                return ordinal * _US_PER_DAY + shift + (hour - 1) * _US_PER_HOUR
        return _to_us(_scalar_hour_start(day_value, hour_value, flag_value, sequential))

    def recompute(row: int) -> object:
        return _scalar_hour_start(days[row].as_py(), hours[row].as_py(), _pyval(flags, row), sequential)

    return _starts_by_runs({"days": days, "hours": hours, "repeated": flags}, start_of, recompute)


def _quarter_starts_by_runs(days: Any, hours: Any, intervals: Any, flags: Any | None) -> Any | None:
    """:func:`quarter_hour_starts_utc` by runs (int64 microseconds), or None when the array path must do it."""
    if not (
        _runs_type_ok(days, ("date", "string"))
        and _runs_type_ok(hours, ("integer", "string"))
        and _runs_type_ok(intervals, ("integer", "string"))
        and _runs_type_ok(flags, ("boolean", "string"))
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
                hour_starts[key] = _to_us(_scalar_quarter_start(day_value, hour_value, 1, flag_value))
            except (ValueError, OverflowError):
                hour_starts[key] = None
        return hour_starts[key]

    def start_of(day_value: Any, hour_value: Any, interval_value: Any, flag_value: Any) -> int:
        info = day_info(day_value)
        hour = _quick_hour(hour_value)
        interval = _quick_interval(interval_value)
        if info is not None and hour is not None and interval is not None and 1 <= interval <= 4 and 1 <= hour <= 24:
            if info[1] == info[2] and _quick_unflagged(flag_value):
                return info[0] * _US_PER_DAY + info[1] + (hour - 1) * _US_PER_HOUR + (interval - 1) * _US_PER_QUARTER
            first = hour_start(day_value, hour_value, flag_value)
            if first is not None:
                return first + (interval - 1) * _US_PER_QUARTER
        return _to_us(_scalar_quarter_start(day_value, hour_value, interval_value, flag_value))

    def recompute(row: int) -> object:
        return _scalar_quarter_start(days[row].as_py(), hours[row].as_py(), intervals[row].as_py(), _pyval(flags, row))

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
        return -(midnight.utcoffset() or dt.timedelta(0)) // _ONE_US

    def info(value: Any) -> _DayInfo | None:
        found = cache.get(value, _MISSING)
        if found is _MISSING:
            try:
                day = value if type(value) is dt.date else parse_delivery_date(value)
                found = (day.toordinal() - _EPOCH_ORDINAL, shift(day), shift(day + dt.timedelta(days=1)))
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

    days = _column(days, "days")
    hours = _column(hours, "hours")
    flags = None if repeated is None else _column(repeated, "repeated")
    _check_lengths(days=days, hours=hours, repeated=flags)

    by_runs = _hour_starts_by_runs(days, hours, flags, sequential)
    if by_runs is not None:
        return _utc_timestamps(by_runs)

    days = _as_array(days, "days")
    hours = _as_array(hours, "hours")
    flags = None if flags is None else _as_array(flags, "repeated")
    day_ordinals = _day_ordinals(days)
    hour_values, label_repeated = _hour_codes(hours, "hours")
    flag_codes = _flag_codes(flags, label_repeated)
    # key = day * 512 + hour * 4 + flag  (hour in 0..127, flag in 0..2): injective, null when any part is invalid
    keys = pc.add(pc.add(pc.multiply(day_ordinals, 512), pc.multiply(hour_values, 4)), flag_codes)

    shift_start, shift_end, simple_day = _day_shifts(day_ordinals)
    unflagged_y = pc.less(flag_codes, 2)
    hour_offset = pc.multiply(pc.subtract(hour_values, 1), _US_PER_HOUR)
    day_start = pc.add(pc.multiply(day_ordinals, _US_PER_DAY), shift_start)
    if sequential:
        day_hours = pc.add(pc.divide(pc.subtract(shift_end, shift_start), _US_PER_HOUR), 24)
        simple = pc.and_(unflagged_y, _between(hour_values, 1, day_hours))
    else:
        simple = pc.and_(pc.and_(simple_day, unflagged_y), _between(hour_values, 1, 24))
    fast = pc.add(day_start, hour_offset)

    def compute(key: int) -> int:
        day_ordinal, rest = divmod(key, 512)
        hour, flag = divmod(rest, 4)
        day = dt.date.fromordinal(day_ordinal + _EPOCH_ORDINAL)
        repeated_flag = (None, False, True)[flag]
        return _to_us(hour_ending_interval_utc(day, hour, repeated_flag, sequential=sequential)[0])

    starts, error_of = _fast_then_exact(simple, fast, keys, compute)
    row = _first_bad_row(starts)
    if row is not None:
        raise _row_error(
            row,
            {"days": days, "hours": hours, "repeated": flags},
            lambda: _scalar_hour_start(days[row].as_py(), hours[row].as_py(), _pyval(flags, row), sequential),
            error_of(row),
        )
    return _utc_timestamps(starts)


def quarter_hour_starts_utc(
    days: pa.Array, hours: pa.Array, intervals: pa.Array, repeated: pa.Array | None = None
) -> pa.Array:
    """Vectorised :func:`quarter_hour_interval_utc`: UTC starts (``timestamp[us, tz=UTC]``; add 15 minutes for the
    ends) of rows labelled (day, delivery hour, delivery interval, repeated flag). ``days``/``hours``/``repeated``
    as in :func:`hour_ending_starts_utc`; ``intervals``: integers 1..4 (or digit strings). Errors and speed as there."""
    import pyarrow as pa
    import pyarrow.compute as pc

    days = _column(days, "days")
    hours = _column(hours, "hours")
    intervals = _column(intervals, "intervals")
    flags = None if repeated is None else _column(repeated, "repeated")
    _check_lengths(days=days, hours=hours, intervals=intervals, repeated=flags)

    by_runs = _quarter_starts_by_runs(days, hours, intervals, flags)
    if by_runs is not None:
        return _utc_timestamps(by_runs)

    days = _as_array(days, "days")
    hours = _as_array(hours, "hours")
    intervals = _as_array(intervals, "intervals")
    flags = None if flags is None else _as_array(flags, "repeated")
    day_ordinals = _day_ordinals(days)
    hour_values, label_repeated = _hour_codes(hours, "hours")
    if pa.types.is_integer(intervals.type):
        interval_values = pc.cast(intervals, pa.int64())
    elif pa.types.is_string(intervals.type) or pa.types.is_large_string(intervals.type):
        interval_values = _map_unique(intervals, _or_none(lambda text: int(text.strip())), pa.int64())
    else:
        raise TypeError(f"intervals must be an integer or string array, not {intervals.type}")
    interval_values = pc.if_else(_between(interval_values, 0, 7), interval_values, pa.scalar(None, pa.int64()))
    flag_codes = _flag_codes(flags, label_repeated)
    # key = day * 4096 + hour * 32 + interval * 4 + flag  (hour 0..127, interval 0..7, flag 0..2)
    keys = pc.add(
        pc.add(pc.multiply(day_ordinals, 4096), pc.multiply(hour_values, 32)),
        pc.add(pc.multiply(interval_values, 4), flag_codes),
    )

    shift_start, _, simple_day = _day_shifts(day_ordinals)
    simple = pc.and_(
        pc.and_(simple_day, pc.less(flag_codes, 2)),
        pc.and_(_between(hour_values, 1, 24), _between(interval_values, 1, 4)),
    )
    local_us = pc.add(
        pc.add(pc.multiply(day_ordinals, _US_PER_DAY), pc.multiply(pc.subtract(hour_values, 1), _US_PER_HOUR)),
        pc.multiply(pc.subtract(interval_values, 1), _US_PER_QUARTER),
    )
    fast = pc.add(local_us, shift_start)

    def compute(key: int) -> int:
        day_ordinal, rest = divmod(key, 4096)
        hour, rest = divmod(rest, 32)
        interval, flag = divmod(rest, 4)
        day = dt.date.fromordinal(day_ordinal + _EPOCH_ORDINAL)
        return _to_us(quarter_hour_interval_utc(day, hour, interval, (None, False, True)[flag])[0])

    starts, error_of = _fast_then_exact(simple, fast, keys, compute)
    row = _first_bad_row(starts)
    if row is not None:
        raise _row_error(
            row,
            {"days": days, "hours": hours, "intervals": intervals, "repeated": flags},
            lambda: _scalar_quarter_start(
                days[row].as_py(), hours[row].as_py(), intervals[row].as_py(), _pyval(flags, row)
            ),
            error_of(row),
        )
    return _utc_timestamps(starts)


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
    local = _as_array(local, "local")
    flags = None if repeated is None else _as_array(repeated, "repeated")
    _check_lengths(local=local, repeated=flags)
    if not pa.types.is_timestamp(local.type) or local.type.tz is not None:
        raise TypeError(f"local must be a naive timestamp array (Central wall clock), not {local.type}")
    local_us = pc.cast(local, pa.timestamp("us"))
    micros = pc.cast(local_us, pa.int64())
    hour_index = pc.divide(pc.cast(pc.floor_temporal(local_us, unit="hour"), pa.int64()), _US_PER_HOUR)
    flag_codes = _flag_codes(flags, pa.scalar(0, pa.int64()))
    keys = pc.add(pc.multiply(hour_index, 4), flag_codes)

    day_ordinals = pc.cast(pc.cast(pc.cast(local_us, pa.date32()), pa.int32()), pa.int64())
    shift_start, _, simple_day = _day_shifts(day_ordinals)
    simple = pc.and_(simple_day, pc.less(flag_codes, 2))

    def compute(key: int) -> int:
        hour, flag = divmod(key, 4)
        naive = _EPOCH_NAIVE + hour * _HOUR
        repeated_flag = (None, False, True)[flag]
        label = f"wall clock {naive:%Y-%m-%dT%H}:xx{_flag_text(repeated_flag)}"
        start = _resolve(naive, repeated_flag, ambiguous, naive.date(), label)
        last = naive + _HOUR - _ONE_US
        end = _resolve(last, repeated_flag, ambiguous, naive.date(), label)
        shift = _to_us(start) - (naive - _EPOCH_NAIVE) // _ONE_US
        if _to_us(end) - (last - _EPOCH_NAIVE) // _ONE_US != shift:  # pragma: no cover - only before 1884
            raise LocalTimeError(f"{label}: the UTC offset changes inside this hour (unsupported)", label=label)
        return shift

    shifts, error_of = _fast_then_exact(simple, shift_start, keys, compute)
    row = _first_bad_row(shifts, must_be_valid=local)
    if row is not None:
        raise _row_error(
            row,
            {"local": local, "repeated": flags},
            lambda: local_wallclock_to_utc(
                local_us[row].as_py(), repeated=parse_dst_flag(_pyval(flags, row)), ambiguous=ambiguous
            ),
            error_of(row),
        )
    return _utc_timestamps(pc.add(micros, shifts))
