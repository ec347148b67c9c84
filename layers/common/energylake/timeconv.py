"""ERCOT Central Prevailing Time <-> UTC. The one place that knows about America/Chicago.

ERCOT's calendar day is the America/Chicago day: 23 hours on the spring-forward Sunday, 25 on the fall-back one.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

CENTRAL = ZoneInfo("America/Chicago")
UTC = dt.UTC


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
