"""The label rules: ERCOT Central Prevailing Time labels <-> UTC instants, one value at a time.

ERCOT's calendar day is the America/Chicago day (:data:`CENTRAL`, the market time zone, defined here once): 23 hours
on the spring-forward Sunday, 25 on the fall-back one. ERCOT labels an interval by its END ("hour ending" 1..24, or
delivery hour + delivery interval for 15 minutes). The rules, as ERCOT's reports and market guides apply them:

* Arithmetic first, then localise: the interval of HE ``h`` on ``day`` starts at the wall-clock time
  ``day 00:00 + (h - 1) h`` (``+ (interval - 1) * 15 min`` for quarter hours), which is then resolved in Central time.
  HE 24 is the last hour of the SAME day.
* Spring forward (second Sunday of March): wall clock 02:00-02:59 does not exist, so HE 3 (and delivery hour 3)
  raises :class:`~energylake.errors.NonexistentLocalTime`.
* Fall back (first Sunday of November): wall clock 01:00-01:59 happens twice, so HE 2 (delivery hour 2) needs a flag:
  ``repeated=False`` ("N") is the first, daylight-time occurrence (CDT, UTC-5), ``repeated=True`` ("Y", or a label
  like ``"02:00 DST"``) the second, standard-time one (CST, UTC-6). No flag raises
  :class:`~energylake.errors.AmbiguousLocalTime` instead of guessing; ``repeated=True`` on an hour that does not
  repeat raises :class:`~energylake.errors.LocalTimeError`.
* Some files number the fall-back day 1..25 (``sequential=True``): HE ``h`` is then simply the ``h``-th real hour.

Plain Python (zoneinfo only). The per-row helpers at the end are what the vectorised paths
(:mod:`energylake.timeconv.arrays`, :mod:`energylake.timeconv.runs`) fall back to for one row, so a bad row gets the
same error whichever path met it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any, Literal, NamedTuple
from zoneinfo import ZoneInfo

from energylake.errors import AmbiguousLocalTime, LocalTimeError, NonexistentLocalTime

MARKET_TIME_ZONE = "America/Chicago"  # ERCOT's operating days and labels (Central Prevailing Time)
CENTRAL = ZoneInfo(MARKET_TIME_ZONE)
UTC = dt.UTC

AmbiguousPolicy = Literal["raise", "earlier", "later"]

HOUR = dt.timedelta(hours=1)
QUARTER = dt.timedelta(minutes=15)
EPOCH_UTC = dt.datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_NAIVE = dt.datetime(1970, 1, 1)
EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
ONE_US = dt.timedelta(microseconds=1)
US_PER_HOUR = 3_600_000_000
US_PER_DAY = 24 * US_PER_HOUR
US_PER_QUARTER = US_PER_HOUR // 4
_MAX_HOUR_ENDING = 25  # only meaningful with sequential numbering on a fall-back day


# --------------------------------------------------------------------------------------------------------------------
# Day-level helpers


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


def classify(naive: dt.datetime) -> _Kind:
    """Whether a naive Central wall-clock time exists once, twice (fall back) or not at all (spring forward)."""
    earlier = naive.replace(tzinfo=CENTRAL, fold=0).astimezone(UTC)
    later = naive.replace(tzinfo=CENTRAL, fold=1).astimezone(UTC)
    if earlier == later:
        return "unique"
    back = earlier.astimezone(CENTRAL).replace(tzinfo=None)
    return "ambiguous" if back == naive else "nonexistent"


def resolve(
    naive: dt.datetime, repeated: bool | None, ambiguous: AmbiguousPolicy, day: dt.date, label: str
) -> dt.datetime:
    """Naive Central wall clock -> aware UTC, applying the repeated flag / ambiguity policy."""
    kind = classify(naive)
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


def flag_text(repeated: bool | None) -> str:
    return {None: "", False: " (flag N)", True: " (flag Y, repeated)"}[repeated]


def hour_ending_interval_utc(
    day: dt.date, hour_ending: int, repeated: bool | None, *, sequential: bool = False
) -> tuple[dt.datetime, dt.datetime]:
    """The UTC interval ``[start, end)`` (one hour) of hour ending ``hour_ending`` on operating day ``day``.

    Flagged numbering (default): HE 1..24; see the module docstring for the DST rules. ``sequential=True``: HE 1..N
    counts the day's real hours in order (N = 23/24/25); a ``repeated=True`` flag is then only accepted on the hour
    that really is the second occurrence (False/None are accepted everywhere, the number alone decides)."""
    hour_ending = _check_int(hour_ending, "hour ending", day)
    label = f"HE {hour_ending}{flag_text(repeated)}"
    if sequential:
        hours = local_day_hours(day)
        if not 1 <= hour_ending <= hours:
            raise LocalTimeError(
                f"operating day {day.isoformat()}, {label}: outside 1..{hours} (sequential numbering; the day has "
                f"{hours} hours)",
                day=day,
                label=label,
            )
        start = local_day_bounds_utc(day)[0] + (hour_ending - 1) * HOUR
        if repeated and not ercot_labels(start)[3]:
            raise LocalTimeError(
                f"operating day {day.isoformat()}, {label}: flagged as the repeated hour but sequential hour "
                f"{hour_ending} is not the second occurrence of a repeated hour",
                day=day,
                label=label,
            )
        return start, start + HOUR
    if not 1 <= hour_ending <= 24:
        raise LocalTimeError(
            f"operating day {day.isoformat()}, {label}: outside 1..24 (flagged numbering; use sequential=True for "
            "files that number the fall-back day 1..25)",
            day=day,
            label=label,
        )
    naive = dt.datetime.combine(day, dt.time(0)) + (hour_ending - 1) * HOUR
    start = resolve(naive, repeated, "raise", day, label)
    return start, start + HOUR


def quarter_hour_interval_utc(
    day: dt.date, delivery_hour: int, delivery_interval: int, repeated: bool | None
) -> tuple[dt.datetime, dt.datetime]:
    """The UTC interval ``[start, end)`` (15 minutes) of delivery hour 1..24 / delivery interval 1..4 on ``day``:
    start = day 00:00 + (hour - 1) h + (interval - 1) * 15 min in Central wall clock, same DST rules as hours."""
    delivery_hour = _check_int(delivery_hour, "delivery hour", day)
    delivery_interval = _check_int(delivery_interval, "delivery interval", day)
    label = f"delivery hour {delivery_hour} interval {delivery_interval}{flag_text(repeated)}"
    if not 1 <= delivery_hour <= 24 or not 1 <= delivery_interval <= 4:
        raise LocalTimeError(
            f"operating day {day.isoformat()}, {label}: delivery hour must be 1..24 and interval 1..4",
            day=day,
            label=label,
        )
    naive = dt.datetime.combine(day, dt.time(0)) + (delivery_hour - 1) * HOUR + (delivery_interval - 1) * QUARTER
    start = resolve(naive, repeated, "raise", day, label)
    return start, start + QUARTER


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
    return resolve(local, repeated, ambiguous, local.date(), f"wall clock {local.isoformat()}{flag_text(repeated)}")


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
    repeated = local.fold == 1 and classify(naive) == "ambiguous"
    interval = None if minutes == 60 else local.minute // minutes + 1
    return local.date(), local.hour + 1, interval, repeated


def hour_ending_labels(day: dt.date) -> list[HourEnding]:
    """The day's hour-ending labels in ERCOT's publication order (flagged numbering): HE 1..24 without HE 3 on the
    spring-forward day, HE 2 twice (False then True) on the fall-back day. ``repeated`` is always a bool."""
    labels: list[HourEnding] = []
    for hour in range(1, 25):
        naive = dt.datetime.combine(day, dt.time(0)) + (hour - 1) * HOUR
        kind = classify(naive)
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
# One row of an array, as the vectorised paths see it


def to_us(instant: dt.datetime) -> int:
    return (instant - EPOCH_UTC) // ONE_US


def scalar_flag(label_repeated: bool | None, flag: Any, day: dt.date, label: str) -> bool | None:
    parsed = parse_dst_flag(flag)
    if label_repeated and parsed is False:
        raise LocalTimeError(
            f"operating day {day.isoformat()}, hour ending {label!r} says DST (repeated) but the flag says N",
            day=day,
            label=label,
        )
    return True if label_repeated else parsed


def coerce_day(value: Any) -> dt.date:
    if value is None:
        raise LocalTimeError("missing delivery date (null)", label="null")
    try:
        return parse_delivery_date(value)
    except ValueError as error:
        raise LocalTimeError(str(error), label=repr(value)) from None


def coerce_hour(value: Any, what: str, day: dt.date) -> HourEnding:
    if value is None:
        raise LocalTimeError(f"operating day {day.isoformat()}: missing {what} (null)", day=day, label="null")
    try:
        return parse_hour_ending(value)
    except ValueError as error:
        raise LocalTimeError(f"operating day {day.isoformat()}: {error}", day=day, label=repr(value)) from None


def scalar_hour_start(day_value: Any, hour_value: Any, flag_value: Any, sequential: bool) -> dt.datetime:
    """What the vectorised hour-ending path does for one row, on the original (unconverted) values."""
    day = coerce_day(day_value)
    hour = coerce_hour(hour_value, "hour ending", day)
    repeated = scalar_flag(hour.repeated, flag_value, day, str(hour_value))
    return hour_ending_interval_utc(day, hour.hour, repeated, sequential=sequential)[0]


def scalar_quarter_start(day_value: Any, hour_value: Any, interval_value: Any, flag_value: Any) -> dt.datetime:
    day = coerce_day(day_value)
    hour = coerce_hour(hour_value, "delivery hour", day)
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
    repeated = scalar_flag(hour.repeated, flag_value, day, str(hour_value))
    return quarter_hour_interval_utc(day, hour.hour, interval, repeated)[0]


def row_error(
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
