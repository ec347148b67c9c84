"""Central Prevailing Time <-> UTC: the one place that knows about America/Chicago.

* :mod:`.labels`: the rules, one value at a time (operating-day bounds, hour-ending and quarter-hour labels, DST
  flags, wall clocks), and :data:`CENTRAL`, the market time zone, defined once;
* :mod:`.arrays`: the same rules over pyarrow arrays (vectorised; pyarrow loads only when they are called);
* :mod:`.runs`: the fast path of :mod:`.arrays` for sorted input (one conversion per run of identical labels).

Errors are :class:`~energylake.errors.LocalTimeError` and its two kinds,
:class:`~energylake.errors.NonexistentLocalTime` and :class:`~energylake.errors.AmbiguousLocalTime`, re-exported here
for the parsers and tests.
"""

from __future__ import annotations

from energylake.errors import AmbiguousLocalTime, LocalTimeError, NonexistentLocalTime
from energylake.timeconv.arrays import (
    hour_ending_starts_utc,
    local_wallclock_array_to_utc,
    quarter_hour_starts_utc,
)
from energylake.timeconv.labels import (
    CENTRAL,
    MARKET_TIME_ZONE,
    UTC,
    AmbiguousPolicy,
    HourEnding,
    central_today,
    ercot_labels,
    hour_ending_interval_utc,
    hour_ending_labels,
    local_day_bounds_utc,
    local_day_hours,
    local_wallclock_to_utc,
    parse_delivery_date,
    parse_dst_flag,
    parse_hour_ending,
    quarter_hour_interval_utc,
    quarter_hour_labels,
    utc_now,
)

__all__ = [
    "CENTRAL",
    "MARKET_TIME_ZONE",
    "UTC",
    "AmbiguousLocalTime",
    "AmbiguousPolicy",
    "HourEnding",
    "LocalTimeError",
    "NonexistentLocalTime",
    "central_today",
    "ercot_labels",
    "hour_ending_interval_utc",
    "hour_ending_labels",
    "hour_ending_starts_utc",
    "local_day_bounds_utc",
    "local_day_hours",
    "local_wallclock_array_to_utc",
    "local_wallclock_to_utc",
    "parse_delivery_date",
    "parse_dst_flag",
    "parse_hour_ending",
    "quarter_hour_interval_utc",
    "quarter_hour_labels",
    "quarter_hour_starts_utc",
    "utc_now",
]
