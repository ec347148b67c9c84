"""A window of ERCOT operating days (America/Chicago calendar days), both ends inclusive.

One :class:`Window` travels unchanged from each door (CLI, Lambda event, Glue arguments) down to the warehouse. Its
UTC bounds and the UTC dates it touches are its own methods, so no stage computes them again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from energylake.errors import InvalidRequestError
from energylake.timeconv.labels import local_day_bounds_utc

# Twenty years: ERCOT's whole nodal-market history (December 2010 on) with room to grow; anything longer is a typo.
# A long window is a backfill's, which fetches it in chunks.
MAX_WINDOW_DAYS = 7305


def parse_day(text: str, *, field: str = "date") -> dt.date:
    """Parse ``YYYY-MM-DD`` strictly; the error names the field and the bad value."""
    try:
        if len(text) != 10:
            raise ValueError
        return dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        raise InvalidRequestError(f"{field} must be a real calendar date YYYY-MM-DD, got {text!r}") from None


@dataclass(frozen=True, order=True)
class Window:
    """Operating days ``start`` .. ``end`` inclusive."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidRequestError(f"end {self.end} is before start {self.start}")
        if self.days_count > MAX_WINDOW_DAYS:
            raise InvalidRequestError(
                f"window {self.start}..{self.end} spans {self.days_count} days; the limit is {MAX_WINDOW_DAYS}"
            )

    @classmethod
    def parse(cls, start: str, end: str) -> Window:
        return cls(parse_day(start, field="start"), parse_day(end, field="end"))

    @property
    def days_count(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def start_utc(self) -> dt.datetime:
        """The instant the first operating day starts (Central midnight, in UTC)."""
        return local_day_bounds_utc(self.start)[0]

    @property
    def end_utc(self) -> dt.datetime:
        """The instant the last operating day ends (exclusive): the window is ``[start_utc, end_utc)``."""
        return local_day_bounds_utc(self.end)[1]

    def utc_dates(self) -> tuple[dt.date, ...]:
        """The UTC calendar dates the window's hours touch (a Central day straddles two): the lake's partitions."""
        first = self.start_utc.date()
        last = (self.end_utc - dt.timedelta(microseconds=1)).date()
        return tuple(first + dt.timedelta(days=offset) for offset in range((last - first).days + 1))

    def days(self) -> Iterator[dt.date]:
        for offset in range(self.days_count):
            yield self.start + dt.timedelta(days=offset)

    def chunks(self, max_days: int) -> Iterator[Window]:
        """Consecutive sub-windows of at most ``max_days`` days covering this window."""
        chunk_start = self.start
        while chunk_start <= self.end:
            chunk_end = min(self.end, chunk_start + dt.timedelta(days=max_days - 1))
            yield Window(chunk_start, chunk_end)
            chunk_start = chunk_end + dt.timedelta(days=1)

    def __str__(self) -> str:
        return f"{self.start}..{self.end}"
