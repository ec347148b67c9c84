"""Properties of the ERCOT label <-> UTC conversion for every day 2015..2035 (hypothesis)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable

import pyarrow as pa
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from energylake.timeconv import (
    AmbiguousLocalTime,
    LocalTimeError,
    NonexistentLocalTime,
    ercot_labels,
    hour_ending_interval_utc,
    hour_ending_labels,
    hour_ending_starts_utc,
    local_day_bounds_utc,
    local_day_hours,
    quarter_hour_interval_utc,
    quarter_hour_labels,
    quarter_hour_starts_utc,
)

H = dt.timedelta(hours=1)
Q = dt.timedelta(minutes=15)

# DST days (second Sunday of March, first Sunday of November) of the first, a middle and the last year of the range
DST_DAYS = (
    dt.date(2015, 3, 8),
    dt.date(2015, 11, 1),
    dt.date(2024, 3, 10),
    dt.date(2024, 11, 3),
    dt.date(2035, 3, 11),
    dt.date(2035, 11, 4),
)
days = st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2035, 12, 31))


def with_dst_examples(test: Callable[[dt.date], None]) -> Callable[[dt.date], None]:
    decorated = test
    for day in DST_DAYS:
        decorated = example(day=day)(decorated)
    return decorated


def _try_hour(day: dt.date, he: int, repeated: bool) -> tuple[dt.datetime, dt.datetime] | None:
    """The interval, or None when the label does not exist (nonexistent hour, Y on an hour that does not repeat)."""
    try:
        return hour_ending_interval_utc(day, he, repeated)
    except NonexistentLocalTime:
        return None
    except AmbiguousLocalTime:  # pragma: no cover - a flag is always given here
        raise
    except LocalTimeError:
        assert repeated, f"HE {he} flag N on {day} must exist unless the hour is skipped"
        return None


def _try_quarter(day: dt.date, hour: int, interval: int, repeated: bool) -> tuple[dt.datetime, dt.datetime] | None:
    try:
        return quarter_hour_interval_utc(day, hour, interval, repeated)
    except NonexistentLocalTime:
        return None
    except LocalTimeError:
        assert repeated
        return None


@settings(max_examples=300, deadline=None)
@given(day=days)
@with_dst_examples
def test_hourly_labels_tile_the_local_day(day: dt.date) -> None:
    # GIVEN any operating day WHEN converting every flagged label (HE 1..24 x flag N/Y, in ERCOT's publication order:
    # by HE, N before Y) THEN the labels that exist are exactly local_day_hours(day) hours, strictly increasing,
    # one hour long, tiling [local midnight, next local midnight), and ercot_labels gives each label back
    published = [(he, repeated) for he in range(1, 25) for repeated in (False, True)]
    intervals = [(he, rep, iv) for he, rep in published if (iv := _try_hour(day, he, rep)) is not None]
    assert len(intervals) == local_day_hours(day)
    starts = [iv[0] for _, _, iv in intervals]
    assert all(later > earlier for earlier, later in itertools.pairwise(starts))
    assert all(end - start == H for _, _, (start, end) in intervals)
    day_start, day_end = local_day_bounds_utc(day)
    assert starts == [day_start + i * H for i in range(len(starts))]
    assert intervals[-1][2][1] == day_end
    for he, rep, (start, _) in intervals:
        assert ercot_labels(start) == (day, he, None, rep)
    assert [(he, rep) for he, rep, _ in intervals] == [tuple(label) for label in hour_ending_labels(day)]
    # the flags matter only on the repeated hour: an unflagged label equals flag N wherever it is not ambiguous
    for he, rep, (start, _) in intervals:
        if not rep and (he, True) not in {(h, r) for h, r, _ in intervals}:
            assert hour_ending_interval_utc(day, he, None)[0] == start


@settings(max_examples=300, deadline=None)
@given(day=days)
@with_dst_examples
def test_quarter_hour_labels_tile_the_local_day(day: dt.date) -> None:
    # GIVEN any operating day WHEN converting every (delivery hour, interval, flag) THEN 92/96/100 quarter hours exist,
    # strictly increasing and 15 minutes apart in publication order, each round-tripping through ercot_labels
    published = [(h, i, rep) for h in range(1, 25) for rep in (False, True) for i in range(1, 5)]
    intervals = [(h, i, rep, iv) for h, i, rep in published if (iv := _try_quarter(day, h, i, rep)) is not None]
    assert len(intervals) == 4 * local_day_hours(day)
    assert len(intervals) in (92, 96, 100)
    day_start, day_end = local_day_bounds_utc(day)
    assert [iv[0] for *_, iv in intervals] == [day_start + n * Q for n in range(len(intervals))]
    assert all(end - start == Q for *_, (start, end) in intervals)
    assert intervals[-1][3][1] == day_end
    for h, i, rep, (start, _) in intervals:
        assert ercot_labels(start, minutes=15) == (day, h, i, rep)
    assert [(h, i, rep) for h, i, rep, _ in intervals] == quarter_hour_labels(day)


@settings(max_examples=300, deadline=None)
@given(day=days)
@with_dst_examples
def test_sequential_numbering_agrees_with_flagged(day: dt.date) -> None:
    # GIVEN any day WHEN numbering its hours 1..N sequentially THEN hour n is the n-th flagged label, and N + 1 fails
    flagged = [hour_ending_interval_utc(day, he.hour, he.repeated) for he in hour_ending_labels(day)]
    sequential = [hour_ending_interval_utc(day, n, None, sequential=True) for n in range(1, local_day_hours(day) + 1)]
    assert sequential == flagged
    with pytest.raises(LocalTimeError):
        hour_ending_interval_utc(day, local_day_hours(day) + 1, None, sequential=True)


@settings(max_examples=300, deadline=None)
@given(start=st.datetimes(min_value=dt.datetime(2015, 1, 1, 6), max_value=dt.datetime(2036, 1, 1, 5)))
@example(start=dt.datetime(2024, 11, 3, 7, 0))
@example(start=dt.datetime(2024, 11, 3, 6, 0))
@example(start=dt.datetime(2035, 3, 11, 8, 0))
def test_any_utc_hour_round_trips(start: dt.datetime) -> None:
    # GIVEN any UTC hour / quarter-hour start WHEN taking its ERCOT labels and converting back THEN the same instant
    hour_start = start.replace(minute=0, second=0, microsecond=0, tzinfo=dt.UTC)
    day, he, interval, repeated = ercot_labels(hour_start)
    assert interval is None
    assert hour_ending_interval_utc(day, he, repeated)[0] == hour_start
    quarter_start = hour_start + (start.minute // 15) * Q
    day, hour, interval, repeated = ercot_labels(quarter_start, minutes=15)
    assert interval is not None
    assert quarter_hour_interval_utc(day, hour, interval, repeated)[0] == quarter_start


@settings(max_examples=30, deadline=None)
@given(picked=st.lists(days, min_size=1, max_size=6), data=st.data())
@example(picked=list(DST_DAYS), data=None)
def test_vectorised_forms_equal_scalar(picked: list[dt.date], data: st.DataObject | None) -> None:
    # GIVEN all labels of some days, in a random order WHEN converting as arrays THEN row for row the scalar result
    rows = [(day, he.hour, he.repeated) for day in picked for he in hour_ending_labels(day)]
    if data is not None:
        rows = data.draw(st.permutations(rows))
    day_values, hours, flags = (list(column) for column in zip(*rows, strict=True))
    result = hour_ending_starts_utc(pa.array(day_values, pa.date32()), pa.array(hours), pa.array(flags))
    assert result.to_pylist() == [hour_ending_interval_utc(d, h, f)[0] for d, h, f in rows]
    quarters = [(day, h, i, rep) for day in picked for h, i, rep in quarter_hour_labels(day)]
    q_days, q_hours, q_intervals, q_flags = (list(column) for column in zip(*quarters, strict=True))
    q_result = quarter_hour_starts_utc(
        pa.array(q_days, pa.date32()), pa.array(q_hours), pa.array(q_intervals), pa.array(q_flags)
    )
    assert q_result.to_pylist() == [quarter_hour_interval_utc(d, h, i, f)[0] for d, h, i, f in quarters]
    sequential = [(day, n) for day in picked for n in range(1, local_day_hours(day) + 1)]
    s_result = hour_ending_starts_utc(
        pa.array([d for d, _ in sequential], pa.date32()), pa.array([n for _, n in sequential]), sequential=True
    )
    assert s_result.to_pylist() == [hour_ending_interval_utc(d, n, None, sequential=True)[0] for d, n in sequential]
