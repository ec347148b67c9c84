"""Windows of operating days (inclusive, tiled by chunks), their UTC bounds and the UTC dates they touch (both DST
days included), and the Central operating day's UTC bounds: bad input is refused with a message naming the field."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from energylake.errors import InvalidRequestError
from energylake.timeconv import local_day_bounds_utc, local_day_hours
from energylake.window import Window


def test_window_days_are_inclusive_and_chunks_cover_exactly() -> None:
    # GIVEN a 40-day window WHEN it is split into 14-day chunks
    window = Window(dt.date(2024, 1, 1), dt.date(2024, 2, 9))
    chunks = list(window.chunks(14))
    # THEN the chunks tile the window with no gap or overlap
    assert [c.days_count for c in chunks] == [14, 14, 12]
    assert chunks[0].start == window.start and chunks[-1].end == window.end
    assert all(b.start - a.end == dt.timedelta(days=1) for a, b in itertools.pairwise(chunks))
    assert list(window.days())[-1] == dt.date(2024, 2, 9)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2024-11-07", "2024-11-01", "before start"),
        ("2024-02-30", "2024-03-01", "start must be a real calendar date"),
        ("2024-1-5", "2024-01-06", "start must be a real calendar date"),
        ("2024-01-05", "tomorrow", "end must be a real calendar date"),
        ("1990-01-01", "2024-01-01", "the limit is"),
    ],
)
def test_bad_windows_name_the_problem(start: str, end: str, message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        Window.parse(start, end)


@pytest.mark.parametrize(
    ("day", "hours"),
    [(dt.date(2024, 3, 10), 23), (dt.date(2024, 11, 3), 25), (dt.date(2024, 7, 4), 24)],
)
def test_central_operating_days_have_dst_lengths(day: dt.date, hours: int) -> None:
    assert local_day_hours(day) == hours


def test_fall_back_day_starts_at_cdt_and_ends_at_cst() -> None:
    start, end = local_day_bounds_utc(dt.date(2024, 11, 3))
    assert start == dt.datetime(2024, 11, 3, 5, tzinfo=dt.UTC)
    assert end == dt.datetime(2024, 11, 4, 6, tzinfo=dt.UTC)


# --- the window's UTC bounds and the UTC dates it touches -------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "start_utc", "end_utc", "hours"),
    [
        # spring forward: the day starts in CST (UTC-6) and ends in CDT (UTC-5): 23 hours, no 02:00-02:59
        (
            dt.date(2024, 3, 10),
            dt.datetime(2024, 3, 10, 6, tzinfo=dt.UTC),
            dt.datetime(2024, 3, 11, 5, tzinfo=dt.UTC),
            23,
        ),
        # fall back: the day starts in CDT (UTC-5) and ends in CST (UTC-6): 25 hours, 01:00-01:59 twice
        (
            dt.date(2024, 11, 3),
            dt.datetime(2024, 11, 3, 5, tzinfo=dt.UTC),
            dt.datetime(2024, 11, 4, 6, tzinfo=dt.UTC),
            25,
        ),
        (dt.date(2024, 7, 4), dt.datetime(2024, 7, 4, 5, tzinfo=dt.UTC), dt.datetime(2024, 7, 5, 5, tzinfo=dt.UTC), 24),
        (
            dt.date(2024, 1, 15),
            dt.datetime(2024, 1, 15, 6, tzinfo=dt.UTC),
            dt.datetime(2024, 1, 16, 6, tzinfo=dt.UTC),
            24,
        ),
    ],
)
def test_a_one_day_window_is_its_central_day_in_utc(
    day: dt.date, start_utc: dt.datetime, end_utc: dt.datetime, hours: int
) -> None:
    # GIVEN the window of one operating day (the two DST days included)
    window = Window(day, day)
    # THEN its UTC bounds are the Central day's midnights, [start_utc, end_utc), as many hours apart as the day has
    assert (window.start_utc, window.end_utc) == (start_utc, end_utc)
    assert (window.start_utc, window.end_utc) == local_day_bounds_utc(day)
    assert window.start_utc.utcoffset() == dt.timedelta(0) and window.end_utc.utcoffset() == dt.timedelta(0)
    assert window.end_utc - window.start_utc == dt.timedelta(hours=hours)
    # AND the Central day straddles two UTC dates: its own and the next (the lake's silver and gold partitions)
    assert window.utc_dates() == (day, day + dt.timedelta(days=1))


@pytest.mark.parametrize(
    ("start", "end", "dates", "hours"),
    [
        # the fall-back day inside a window: 24 + 25 + 24 hours over the UTC dates 11-02 .. 11-05
        (dt.date(2024, 11, 2), dt.date(2024, 11, 4), [dt.date(2024, 11, d) for d in (2, 3, 4, 5)], 73),
        # the spring-forward day at the window's end: 24 + 23 hours
        (dt.date(2024, 3, 9), dt.date(2024, 3, 10), [dt.date(2024, 3, d) for d in (9, 10, 11)], 47),
        # both DST days of 2024 in one window: as many hours as the calendar days, one lost and one gained
        (dt.date(2024, 3, 1), dt.date(2024, 11, 30), None, 275 * 24),
        # across a year end
        (
            dt.date(2024, 12, 31),
            dt.date(2025, 1, 1),
            [dt.date(2024, 12, 31), dt.date(2025, 1, 1), dt.date(2025, 1, 2)],
            48,
        ),
    ],
)
def test_a_window_spans_its_days_hours_and_touches_every_utc_date_between(
    start: dt.date, end: dt.date, dates: list[dt.date] | None, hours: int
) -> None:
    window = Window(start, end)
    assert window.start_utc == local_day_bounds_utc(start)[0]
    assert window.end_utc == local_day_bounds_utc(end)[1]
    assert window.end_utc - window.start_utc == dt.timedelta(hours=hours)
    assert window.end_utc - window.start_utc == dt.timedelta(hours=sum(local_day_hours(d) for d in window.days()))
    utc_dates = window.utc_dates()
    if dates is not None:
        assert list(utc_dates) == dates
    # one UTC date per operating day plus the next one, without gap, from the first hour's date to the last's
    assert len(utc_dates) == window.days_count + 1
    assert all(b - a == dt.timedelta(days=1) for a, b in itertools.pairwise(utc_dates))
    assert utc_dates[0] == window.start_utc.date()
    assert utc_dates[-1] == (window.end_utc - dt.timedelta(microseconds=1)).date()


def test_chunks_tile_the_window_in_utc_too() -> None:
    # GIVEN a window holding both 2024 DST days, cut into 7-day chunks
    window = Window(dt.date(2024, 3, 1), dt.date(2024, 11, 30))
    chunks = list(window.chunks(7))
    # THEN each chunk starts in UTC where the previous one ended: no hour lost or counted twice
    assert chunks[0].start_utc == window.start_utc and chunks[-1].end_utc == window.end_utc
    assert all(a.end_utc == b.start_utc for a, b in itertools.pairwise(chunks))
    assert sum((c.end_utc - c.start_utc for c in chunks), dt.timedelta(0)) == window.end_utc - window.start_utc
