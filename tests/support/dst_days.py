"""The days the time-conversion tests keep coming back to (2024's two DST changes and an ordinary summer day), and a
short way to write a UTC instant."""

from __future__ import annotations

import datetime as dt

SPRING = dt.date(2024, 3, 10)  # 23 hours: 02:00 -> 03:00 Central
FALL = dt.date(2024, 11, 3)  # 25 hours: 01:00-02:00 Central happens twice
PLAIN = dt.date(2024, 7, 15)
H = dt.timedelta(hours=1)
Q = dt.timedelta(minutes=15)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:  # noqa: PLR0917
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)
