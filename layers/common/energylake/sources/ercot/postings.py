"""When ERCOT posts a report's documents, and which operating day each posted document belongs to: pure functions of
the catalog's :data:`~energylake.contracts.datasets.PostingRule`, a window and the archive listing's labels.

ERCOT's archive lists documents by POSTING time, as a naive Central wall-clock label (``postDatetime``, e.g.
``2024-11-05T03:16:10.000``). Per rule, for a window of operating days ``S..E``:

* ``interval`` (real-time prices): one document per 15-minute interval, posted minutes after the interval ends; the
  last interval of day D posts after midnight of D+1. A document posted at label L holds the interval that ended at
  the last quarter hour at or before L, so it belongs to the day of ``floor15(L) - 15 min``. Listed range
  ``S 00:00 .. E+1 00:15``;
* ``next_day`` (actual load): posted during D+1 -> day ``L.date() - 1``; listed range ``S+1 00:00 .. E+2 00:00``;
* ``day_before`` (day-ahead prices): posted during D-1 -> day ``L.date() + 1``; range ``S-1 00:00 .. E 00:00``;
* ``vintage`` (hourly forecasts): each posting covers many operating days, so its group is its POSTING day
  ``L.date()``; a window needs the postings of days ``S - vintage_days_before .. E + vintage_days_after`` (the
  catalog's figures), and a posting of day P covers the operating days ``P - after .. P + before``.

Every range bound is a midnight or 00:15, which Central time never skips or repeats (its changes happen at 02:00), and
every day rule reads only the label's calendar date and quarter hour. So the day a document belongs to never depends
on which pass of the fall-back hour its label means: an ambiguous label still gets exactly one, right, day.

The posting INSTANT (UTC) of a label in the repeated fall-back hour is ambiguous. :func:`resolve_posted_instants`
decides it from the listing itself: ERCOT's docIds grow with posting time, so in docId order the labels of one
fall-back night run through the hour twice (first daylight, then standard time). The split between the two passes
must keep each pass's labels in order, and among the splits that do, the one whose instants best match the docIds
read as a clock (interpolated between the nearest unambiguous postings on either side, or extrapolated from the two
nearest on one side when the run ends the listing) wins; without such neighbours, the split sits at the largest
docId gap. The instant orders postings for curation and dates forecast
vintages; the day never depends on it.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from energylake.contracts.datasets import ErcotArchive
from energylake.errors import AmbiguousLocalTime, NonexistentLocalTime
from energylake.timeconv import local_wallclock_to_utc
from energylake.window import Window

# The longest an interval document may take to post after its interval ends for the ``interval`` rule to place it:
# a later posting would read as the next interval's. ERCOT posts real-time prices one to five minutes after.
INTERVAL_POSTING_LAG_MAX = dt.timedelta(minutes=15)
QUARTER_HOUR = dt.timedelta(minutes=15)
ONE_DAY = dt.timedelta(days=1)
_HOUR = dt.timedelta(hours=1)
# The archive's query parameters take the wall clock to the second, without an offset.
POST_DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S"


@dataclass(frozen=True)
class PostingRange:
    """The posting labels (naive Central wall clock, both ends inclusive) to list for a window."""

    start: dt.datetime
    end: dt.datetime

    def params(self) -> dict[str, str]:
        """The archive listing's ``postDatetimeFrom`` / ``postDatetimeTo`` query parameters."""
        return {
            "postDatetimeFrom": self.start.strftime(POST_DATETIME_FORMAT),
            "postDatetimeTo": self.end.strftime(POST_DATETIME_FORMAT),
        }

    def __contains__(self, label: object) -> bool:
        return isinstance(label, dt.datetime) and self.start <= label <= self.end


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0))


def group_days(archive: ErcotArchive, window: Window) -> Window:
    """The groups a window needs: its operating days, or for ``vintage`` reports the posting days whose postings
    cover it (``S - vintage_days_before .. E + vintage_days_after``)."""
    if archive.posting != "vintage":
        return window
    return Window(
        window.start - archive.vintage_days_before * ONE_DAY, window.end + archive.vintage_days_after * ONE_DAY
    )


def posting_range(archive: ErcotArchive, window: Window) -> PostingRange:
    """The posting labels to list so that every document of the window's groups is in the listing (a few of the
    neighbouring days' documents come too: :func:`group_day` tells them apart)."""
    days = group_days(archive, window)
    if archive.posting == "interval":
        return PostingRange(_midnight(days.start), _midnight(days.end + ONE_DAY) + INTERVAL_POSTING_LAG_MAX)
    if archive.posting == "next_day":
        return PostingRange(_midnight(days.start + ONE_DAY), _midnight(days.end + 2 * ONE_DAY))
    if archive.posting == "day_before":
        return PostingRange(_midnight(days.start - ONE_DAY), _midnight(days.end))
    return PostingRange(_midnight(days.start), _midnight(days.end + ONE_DAY))


def group_day(archive: ErcotArchive, label: dt.datetime) -> dt.date:
    """The group (operating day; posting day for ``vintage``) of a document posted at ``label`` (naive Central wall
    clock). Pure calendar arithmetic on the label: the same answer for either pass of the fall-back hour."""
    if archive.posting == "interval":
        floored = label.replace(minute=label.minute - label.minute % 15, second=0, microsecond=0)
        return (floored - QUARTER_HOUR).date()
    if archive.posting == "next_day":
        return label.date() - ONE_DAY
    if archive.posting == "day_before":
        return label.date() + ONE_DAY
    return label.date()


def covered_days(archive: ErcotArchive, posting_day: dt.date) -> list[dt.date]:
    """The operating days the postings of ``posting_day`` hold rows for (``vintage``: ``P - after .. P + before``;
    otherwise the day itself)."""
    if archive.posting != "vintage":
        return [posting_day]
    first = posting_day - archive.vintage_days_after * ONE_DAY
    last = posting_day + archive.vintage_days_before * ONE_DAY
    return [first + offset * ONE_DAY for offset in range((last - first).days + 1)]


def parse_post_datetime(text: str) -> dt.datetime:
    """A listing's ``postDatetime`` (``2024-11-05T03:16:10.000``; seconds and fraction optional) as a naive Central
    wall clock. An offset, if ERCOT ever writes one, is dropped: its MIS listings prove the offsets unreliable, and
    the archive's labels are documented as wall clock. Raises ValueError naming the text."""
    value = text.strip()
    try:
        parsed = dt.datetime.fromisoformat(value[:19] if len(value) >= 19 else value)
    except ValueError:
        raise ValueError(f"postDatetime {text!r} is not a date and time") from None
    return parsed.replace(tzinfo=None)


# ---------------------------------------------------------------------------------------------------------------
# Posting instants
# ---------------------------------------------------------------------------------------------------------------


def _candidates(label: dt.datetime) -> tuple[dt.datetime, ...]:
    """The UTC instants a wall-clock label can mean: one, two in the repeated fall-back hour (daylight first)."""
    try:
        return (local_wallclock_to_utc(label),)
    except AmbiguousLocalTime:
        return local_wallclock_to_utc(label, repeated=False), local_wallclock_to_utc(label, repeated=True)
    except NonexistentLocalTime:
        # A label inside the spring-forward gap was written by a clock not yet moved on (02:30 CST is 03:30 CDT).
        return (local_wallclock_to_utc(label + _HOUR),)


def _ordered(labels: Sequence[dt.datetime]) -> bool:
    return all(earlier <= later for earlier, later in itertools.pairwise(labels))


def _ambiguous_runs(labels: Sequence[dt.datetime], kinds: Sequence[int]) -> Iterator[tuple[int, int]]:
    """``[first, last)`` index ranges of consecutive ambiguous labels of one calendar date."""
    index = 0
    while index < len(labels):
        if kinds[index] != 2:
            index += 1
            continue
        end = index + 1
        while end < len(labels) and kinds[end] == 2 and labels[end].date() == labels[index].date():
            end += 1
        yield index, end
        index = end


Anchor = tuple[int, dt.datetime]  # an unambiguous posting: (docId, UTC instant)


def _split(
    doc_ids: Sequence[int],
    labels: Sequence[dt.datetime],
    run: tuple[int, int],
    anchors: tuple[Anchor, Anchor] | None,
) -> int:
    """How many of the run's postings (in docId order) are in the daylight pass. ``anchors``: two unambiguous
    postings (lower docId first) through which the docIds read as a clock."""
    first, last = run
    run_labels = labels[first:last]
    size = last - first
    feasible = [k for k in range(size + 1) if _ordered(run_labels[:k]) and _ordered(run_labels[k:])]
    if len(feasible) == 1:
        return feasible[0]
    if not feasible:  # docIds out of posting order: keep the labels' own order as far as it goes
        feasible = list(range(size + 1))
    options = [_candidates(label) for label in run_labels]
    if anchors is not None:
        (low_id, low_time), (high_id, high_time) = anchors
        span = (high_time - low_time).total_seconds()

        def estimate(doc_id: int) -> float:
            return span * (doc_id - low_id) / (high_id - low_id)

        def cost(k: int) -> float:
            chosen = [pair[0] if n < k else pair[1] for n, pair in enumerate(options)]
            return sum(
                abs((instant - low_time).total_seconds() - estimate(doc_ids[first + n]))
                for n, instant in enumerate(chosen)
            )

        return min(feasible, key=lambda k: (cost(k), k))
    # No clock to read the docIds against: the two passes are an hour apart, so split at the widest docId gap.
    inner = [k for k in feasible if 0 < k < size]
    if not inner:
        return max(feasible)
    return max(inner, key=lambda k: (doc_ids[first + k] - doc_ids[first + k - 1], -k))


def _anchors(before: list[Anchor], after: list[Anchor]) -> tuple[Anchor, Anchor] | None:
    """The clock a run is read against: the nearest unambiguous postings on either side (interpolating); on one side
    only, the two nearest there (extrapolating: the run is the newest or the oldest of the listing). ``before`` and
    ``after`` are nearest first."""
    if before and after and after[0][0] > before[0][0]:
        return before[0], after[0]
    side = before[:2][::-1] if before else after[:2]
    if len(side) == 2 and side[1][0] > side[0][0] and side[1][1] > side[0][1]:
        return side[0], side[1]
    return None


def resolve_posted_instants(postings: Sequence[tuple[int, dt.datetime]]) -> list[dt.datetime]:
    """The UTC posting instant of each ``(docId, naive Central label)``, in the input's order.

    Unambiguous labels convert directly; labels of the repeated fall-back hour are split between its two passes from
    the docIds (see the module docstring); a label inside the spring-forward gap reads as the clock not yet moved.
    """
    order = sorted(range(len(postings)), key=lambda index: postings[index][0])
    doc_ids = [postings[index][0] for index in order]
    labels = [postings[index][1] for index in order]
    options = [_candidates(label) for label in labels]
    kinds = [len(option) for option in options]
    instants: list[dt.datetime | None] = [option[0] if len(option) == 1 else None for option in options]
    for first, last in _ambiguous_runs(labels, kinds):
        before = [(doc_ids[i], instant) for i in range(first - 1, -1, -1) if (instant := instants[i]) is not None]
        after = [(doc_ids[i], instant) for i in range(last, len(labels)) if (instant := instants[i]) is not None]
        daylight = _split(doc_ids, labels, (first, last), _anchors(before[:2], after[:2]))
        for n in range(first, last):
            instants[n] = options[n][0] if n - first < daylight else options[n][1]
    resolved: list[dt.datetime] = [dt.datetime.min] * len(postings)
    for position, index in enumerate(order):
        instant = instants[position]
        assert instant is not None  # every ambiguous label belongs to a run
        resolved[index] = instant
    return resolved
