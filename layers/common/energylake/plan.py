"""The plan of a fetch over a long window: which door serves each operating day, the requests that implies, and the
least time ERCOT's and Open-Meteo's limits allow for them. Pure: no I/O, no clock (``today`` is an argument).

:func:`backfill_chunks` cuts a window into the fetches a backfill makes: chunks of at most ``chunk_days`` days, also
cut wherever the set of datasets some door reaches changes, so that every chunk fetches exactly the datasets every
day of it is reachable for (the ERCOT client refuses a window holding a day no door reaches).

:func:`plan_fetch` counts, per dataset, the operating days per door (:func:`~energylake.sources.ercot.doors.ercot_door`,
the rule the client follows, or Open-Meteo's endpoint from :func:`~energylake.sources.openmeteo.plan_requests`) and
the requests the clients send for them: one client per chunk and dataset, as :func:`energylake.fetch.fetch` makes,
the chunks run one after another by ONE process, whose ERCOT clients share their token and yearly files
(:mod:`energylake.sources.ercot.shared`):

* ``ercot-api`` - one request per page per operating day; a day's pages are its estimated rows
  (:data:`API_ROWS_PER_HOUR`) over ``settings.ercot_page_size``, at least one;
* ``ercot-mis`` - one listing per report type per client (it changes as ERCOT posts: no client reuses another's) and
  one download per document;
* ``ercot-archive`` - per span of consecutive archive days, listing pages of at most 1,000 documents over the span's
  posting range and bulk downloads of at most 1,000 documents; a ``vintage`` report's range is widened by its
  ``vintage_days_before``/``after``, so chunks re-fetch the postings their widened ranges share;
* ``ercot-yearly`` - one look-up per product per process (its MIS listing, or the www.ercot.com page linking the
  website files) and one download each time a product's year differs from the last one the process downloaded (it
  keeps the last file of each product): once per product and year when the chunks run in day order;
* ``ercot-dashboard`` - one request;
* one token per process, fetched by the first client that uses the API or the archive, and renewed after 55 minutes
  of the process's ERCOT requests (a token lasts an hour and is renewed 5 minutes early; the minutes are the
  requests at ``ercot_requests_per_minute``), counted for the dataset whose client renews it;
* Open-Meteo - one request per :class:`~energylake.sources.openmeteo.WeatherRequest`, weighted the way Open-Meteo
  counts calls against its limits (:func:`open_meteo_call_weight`).

The time is a LOWER BOUND: requests over the per-minute limits, without retries, 429 back-offs, the archive fallback
of API days that answer no rows, transfer time or the work of the other stages. The requests are those of one
process: on AWS each chunk's fetch is a Lambda invocation, and an invocation in a new execution environment fetches
its own token and yearly file again (at most one token and one file per environment). A multi-year fuel-mix file
(used where ERCOT's page links no file of the year) is counted as a download per year although the process
downloads it once.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from energylake.contracts.datasets import (
    Dataset,
    DatasetName,
    ErcotArchive,
    ErcotDatasetName,
    ErcotDoor,
    get_dataset,
    in_catalog_order,
)
from energylake.contracts.zones import zone_points
from energylake.settings import Settings
from energylake.sources.ercot import DEFAULT_TOKEN_LIFETIME_S, TOKEN_RENEW_MARGIN_S
from energylake.sources.ercot.doors import ercot_door, unreachable_reason
from energylake.sources.openmeteo import (
    ARCHIVE_FIRST_DAY,
    FORECAST_DAYS,
    HOURLY_VARIABLES,
    OpenMeteoOrigin,
    WeatherRequest,
    plan_requests,
)
from energylake.timeconv import local_day_hours
from energylake.window import Window

__all__ = [
    "API_ROWS_PER_HOUR",
    "ARCHIVE_MAX_DOCUMENTS",
    "BackfillChunk",
    "DatasetPlan",
    "DoorPlan",
    "FetchPlan",
    "PlanDoor",
    "RowsEstimate",
    "UnreachableSpan",
    "archive_documents",
    "backfill_chunks",
    "documents_on",
    "fixed_chunks",
    "open_meteo_call_weight",
    "plan_fetch",
]

PlanDoor = ErcotDoor | OpenMeteoOrigin

ARCHIVE_MAX_DOCUMENTS = 1000  # per listing page and per bulk download (ERCOT's Public Reports API)
TOKEN_SPAN_MINUTES = (DEFAULT_TOKEN_LIFETIME_S - TOKEN_RENEW_MARGIN_S) / 60  # the client renews a token after 55 min

# Open-Meteo's free tier, beyond the per-minute limit the client keeps (settings.open_meteo_requests_per_minute):
# 5,000 calls an hour and 10,000 a day (https://open-meteo.com/en/terms; DOMAIN.md). A commercial key lifts them.
OPEN_METEO_FREE_CALLS_PER_HOUR = 5000
OPEN_METEO_FREE_CALLS_PER_DAY = 10000


@dataclass(frozen=True)
class RowsEstimate:
    """Rows the data endpoint answers per hour of an operating day (a day's rows: this x its 23, 24 or 25 hours)."""

    per_hour: int
    source: str  # where the estimate comes from


# Rows per hour of a delivery day on each report's data endpoint: a day is one page unless its rows exceed
# settings.ercot_page_size (100,000 by default). Estimates, with their sources; none is checked against a live reply.
API_ROWS_PER_HOUR: dict[ErcotDatasetName, RowsEstimate] = {
    "spp_rt": RowsEstimate(
        4 * 1000,
        "about 1,000 settlement points per 15-minute interval (resource nodes, hubs, load zones as LZ and LZEW: "
        "DOMAIN.md; one NP6-788 SCED run's MIS file holds ~1,000 rows: realdata/ercot_np6788_lmp_excerpt), "
        "4 intervals an hour",
    ),
    "spp_dam": RowsEstimate(
        1000, "851 settlement points priced by NP4-190 in August 2023 (gridstatus issue #255), rounded up"
    ),
    "load_weather_zone": RowsEstimate(1, "one row per hour, the weather zones as columns (NP6-345 in ERCOT's OpenAPI)"),
    "load_forecast": RowsEstimate(
        8 * 24 * 3,
        "every hourly posting of the day and the 7 days before covers it (192 postings, vintage_days_before 7) x 3 "
        "models (the sample's A3, E, M; ERCOT's own count of models is not verified)",
    ),
    "wind": RowsEstimate(
        216,
        "each hourly posting holds 48 hours back and 168 ahead (216 rows: "
        "realdata/ercot_mis_wind_solar_loadfc_20250313), so 216 postings hold each hour",
    ),
    "solar": RowsEstimate(
        216, "as wind: the same 216-hour posting window (realdata/ercot_mis_wind_solar_loadfc_20250313)"
    ),
}


# ----------------------------------------------------------------------------------------------------------------
# What the plan says
# ----------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DoorPlan:
    """The operating days of one dataset that come through one door, and the requests they take."""

    door: PlanDoor
    spans: tuple[Window, ...]  # runs of consecutive days
    listings: int = 0  # archive listing pages, MIS listings, yearly product listings
    downloads: int = 0  # API pages, document downloads (bulk or single), yearly files, dashboard, Open-Meteo requests
    documents: int = 0  # posted documents (archive, MIS) or yearly files the downloads carry
    calls: float = 0.0  # Open-Meteo's weighted count of the requests (weather only)

    @property
    def days(self) -> int:
        return sum(span.days_count for span in self.spans)

    @property
    def requests(self) -> int:
        return self.listings + self.downloads


@dataclass(frozen=True)
class UnreachableSpan:
    """Consecutive operating days no door reaches, and why (naming what would help)."""

    span: Window
    reason: str


@dataclass(frozen=True)
class DatasetPlan:
    dataset: DatasetName
    doors: tuple[DoorPlan, ...]  # newest door last, in the order the days come
    unreachable: tuple[UnreachableSpan, ...] = ()
    tokens: int = 0  # ERCOT token requests this dataset's clients send (one per process, renewed every 55 minutes)

    @property
    def is_weather(self) -> bool:
        return get_dataset(self.dataset).source == "openmeteo"

    @property
    def requests(self) -> int:
        return sum(door.requests for door in self.doors) + self.tokens

    @property
    def calls(self) -> float:
        return sum(door.calls for door in self.doors)

    @property
    def unreachable_days(self) -> int:
        return sum(item.span.days_count for item in self.unreachable)

    def days_per_door(self) -> dict[str, int]:
        return {door.door: door.days for door in self.doors}


@dataclass(frozen=True)
class FetchPlan:
    """Every dataset's days per door and requests over ``window``, and the least time the limits allow."""

    window: Window
    today: dt.date  # Central: the day the ERCOT doors are chosen from
    credentials: bool
    fetches: int  # chunks planned (each one client per dataset)
    datasets: tuple[DatasetPlan, ...]
    ercot_requests_per_minute: float
    open_meteo_requests_per_minute: float
    open_meteo_free_tier: bool  # no commercial key: the hourly and daily call limits apply too

    @property
    def ercot_requests(self) -> int:
        return sum(plan.requests for plan in self.datasets if not plan.is_weather)

    @property
    def open_meteo_requests(self) -> int:
        return sum(plan.requests for plan in self.datasets if plan.is_weather)

    @property
    def open_meteo_calls(self) -> float:
        return sum(plan.calls for plan in self.datasets if plan.is_weather)

    @property
    def ercot_minutes(self) -> float:
        """At least this long: ERCOT answers at most ``ercot_requests_per_minute`` requests a minute per key."""
        return self.ercot_requests / self.ercot_requests_per_minute

    @property
    def open_meteo_minutes(self) -> float:
        """At least this long: Open-Meteo's per-minute limit counts weighted calls, and its free tier also caps an
        hour and a day (the last hour or day of calls can start just before its window closes)."""
        calls = self.open_meteo_calls
        if calls <= 0:
            return 0.0
        minutes = calls / self.open_meteo_requests_per_minute
        if self.open_meteo_free_tier:
            minutes = max(
                minutes,
                (math.ceil(calls / OPEN_METEO_FREE_CALLS_PER_HOUR) - 1) * 60.0,
                (math.ceil(calls / OPEN_METEO_FREE_CALLS_PER_DAY) - 1) * 1440.0,
            )
        return minutes

    @property
    def minutes(self) -> float:
        """The local backfill fetches one dataset after another: ERCOT's and Open-Meteo's times add up."""
        return self.ercot_minutes + self.open_meteo_minutes

    def summary(self) -> dict[str, Any]:
        """A small JSON-ready summary: days per door per dataset, requests, the implied minutes (a lower bound)."""
        datasets: dict[str, Any] = {}
        for plan in self.datasets:
            entry: dict[str, Any] = {"days": plan.days_per_door(), "requests": plan.requests}
            if plan.unreachable_days:
                entry["unreachable_days"] = plan.unreachable_days
            if plan.is_weather:
                entry["calls"] = round(plan.calls, 1)
            datasets[plan.dataset] = entry
        return {
            "window": str(self.window),
            "today": self.today.isoformat(),
            "credentials": self.credentials,
            "fetches": self.fetches,
            "datasets": datasets,
            "ercot_requests": self.ercot_requests,
            "ercot_requests_per_minute": self.ercot_requests_per_minute,
            "ercot_minutes": round(self.ercot_minutes, 1),
            "open_meteo_requests": self.open_meteo_requests,
            "open_meteo_calls": round(self.open_meteo_calls, 1),
            "open_meteo_minutes": round(self.open_meteo_minutes, 1),
            "minutes_at_least": round(self.minutes, 1),
        }

    def as_dict(self) -> dict[str, Any]:
        """Everything in the plan, JSON-ready: the summary plus each door's spans and counts and each unreachable
        span's reason."""
        document = self.summary()
        for plan in self.datasets:
            entry = document["datasets"][plan.dataset]
            entry["doors"] = [
                {
                    "door": door.door,
                    "days": door.days,
                    "spans": [str(span) for span in door.spans],
                    "listings": door.listings,
                    "downloads": door.downloads,
                    "documents": door.documents,
                    "requests": door.requests,
                    **({"calls": round(door.calls, 2)} if plan.is_weather else {}),
                }
                for door in plan.doors
            ]
            entry["tokens"] = plan.tokens
            entry["unreachable"] = [{"span": str(item.span), "reason": item.reason} for item in plan.unreachable]
        return document


@dataclass(frozen=True)
class BackfillChunk:
    """One fetch of a backfill: its days, and the datasets a door reaches on every one of them."""

    window: Window
    datasets: tuple[DatasetName, ...]


# ----------------------------------------------------------------------------------------------------------------
# Counting rules (pure, one day or one span at a time)
# ----------------------------------------------------------------------------------------------------------------


@lru_cache(maxsize=8192)
def _hours(day: dt.date) -> int:
    return local_day_hours(day)


def documents_on(archive: ErcotArchive, day: dt.date) -> int:
    """Documents a report posts for (or on) ``day``: an interval or hourly report posts one per interval, so 100
    real-time documents on the fall-back day and 92 on the spring-forward day (25 and 23 hourly ones); a daily
    report posts one."""
    if archive.documents_per_day < 24:
        return archive.documents_per_day
    return archive.documents_per_day * _hours(day) // 24


def _days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    for offset in range((end - start).days + 1):
        yield start + dt.timedelta(days=offset)


def archive_documents(archive: ErcotArchive, span: Window, *, today: dt.date) -> int:
    """Documents the archive door fetches for operating days ``span``: the span's own documents, or for a
    ``vintage`` report every posting from ``vintage_days_before`` days before the span to ``vintage_days_after``
    days after it (none before the product's first day nor after today)."""
    if archive.posting != "vintage":
        # interval: posted minutes after each interval; next_day / day_before: one per operating day, posted a day
        # off. Either way one listing range holds the span's documents (the range shifts, the count does not).
        return sum(documents_on(archive, day) for day in span.days())
    first = max(span.start - dt.timedelta(days=archive.vintage_days_before), archive.first_day)
    last = min(span.end + dt.timedelta(days=archive.vintage_days_after), today)
    return sum(documents_on(archive, day) for day in _days(first, last)) if first <= last else 0


def api_pages(dataset: ErcotDatasetName, day: dt.date, page_size: int) -> int:
    """Pages of one operating day on the data endpoint: its estimated rows over the page size, at least one."""
    estimate = API_ROWS_PER_HOUR.get(dataset)
    rows = estimate.per_hour * _hours(day) if estimate is not None else 0
    return max(1, math.ceil(rows / page_size))


def open_meteo_call_weight(request: WeatherRequest, *, locations: int, variables: int) -> float:
    """How many calls Open-Meteo counts for one request: per location ``max(1, v/10, v/10 x d/14)`` for ``v``
    variables over ``d`` days, summed over the locations (open-meteo/open-meteo, ForecastApiResult.swift,
    ``calculateQueryWeight``: "more than 10 weather variables or more than 2 weeks count as several calls")."""
    days = (request.utc_end_date - request.utc_start_date).days + 1
    variables_fraction = variables / 10
    per_location = max(1.0, variables_fraction, variables_fraction * days / 14)
    return locations * per_location


# ----------------------------------------------------------------------------------------------------------------
# Reachability and chunks
# ----------------------------------------------------------------------------------------------------------------


def _weather_reach(weather_today: dt.date) -> tuple[dt.date, dt.date]:
    """First and last Central day Open-Meteo serves, seen from ``weather_today`` (a UTC date)."""
    return ARCHIVE_FIRST_DAY, weather_today + dt.timedelta(days=FORECAST_DAYS - 2)


def _door(
    entry: Dataset, day: dt.date, *, today: dt.date, credentials: bool, weather_reach: tuple[dt.date, dt.date]
) -> PlanDoor | None:
    """The door of ``day`` (for weather: whether Open-Meteo serves it at all, as its archive stands for every
    endpoint here), or None when no door reaches it."""
    if entry.source == "openmeteo":
        return "open-meteo-archive" if weather_reach[0] <= day <= weather_reach[1] else None
    return ercot_door(entry, day, today=today, credentials=credentials)


def _years(window: Window) -> Iterator[Window]:
    """``window`` cut at every January 1st."""
    start = window.start
    while start <= window.end:
        end = min(window.end, dt.date(start.year, 12, 31))
        yield Window(start, end)
        start = end + dt.timedelta(days=1)


def backfill_chunks(
    window: Window,
    datasets: Sequence[str],
    *,
    today: dt.date,
    credentials: bool,
    chunk_days: int | None = None,
    weather_today: dt.date | None = None,
) -> list[BackfillChunk]:
    """``window`` as the fetches of a backfill, in day order. Each chunk lists the datasets some door reaches on
    all its days (maybe none); chunks are cut where that set changes, and are at most ``chunk_days`` days long
    (default: no limit) - except where every ERCOT dataset a chunk fetches comes from ERCOT's yearly files: there
    chunks are calendar years, the yearly files' own unit (a shorter chunk would download the same year's file
    again for each chunk of it)."""
    names = in_catalog_order(datasets)
    entries = [get_dataset(name) for name in names]
    weather_reach = _weather_reach(weather_today or today)
    size = chunk_days or window.days_count
    if size < 1:
        raise ValueError(f"chunk_days must be at least 1, got {chunk_days}")

    def kind(day: dt.date) -> tuple[tuple[DatasetName, ...], bool]:
        doors = {
            entry.name: _door(entry, day, today=today, credentials=credentials, weather_reach=weather_reach)
            for entry in entries
        }
        ercot = [door for name, door in doors.items() if door is not None and name != "weather"]
        yearly_only = bool(ercot) and all(door == "ercot-yearly" for door in ercot)
        return tuple(name for name, door in doors.items() if door is not None), yearly_only

    chunks: list[BackfillChunk] = []
    days = list(window.days())
    kinds = [kind(day) for day in days]
    start = 0
    for index in range(1, len(days) + 1):
        if index < len(days) and kinds[index] == kinds[start]:
            continue
        reach, yearly_only = kinds[start]
        run = Window(days[start], days[index - 1])
        pieces = _years(run) if yearly_only and chunk_days is not None else run.chunks(size)
        chunks.extend(BackfillChunk(piece, reach) for piece in pieces)
        start = index
    return chunks


def fixed_chunks(
    window: Window,
    datasets: Sequence[str],
    *,
    today: dt.date,
    credentials: bool,
    chunk_days: int,
    weather_today: dt.date | None = None,
) -> list[BackfillChunk]:
    """``window.chunks(chunk_days)`` (a state machine's fixed chunks), each with the datasets some door reaches on
    all its days: a fetch of any other dataset over that chunk fails, so its days there are lost."""
    names = in_catalog_order(datasets)
    entries = [get_dataset(name) for name in names]
    weather_reach = _weather_reach(weather_today or today)
    return [
        BackfillChunk(
            chunk,
            tuple(
                entry.name
                for entry in entries
                if all(
                    _door(entry, day, today=today, credentials=credentials, weather_reach=weather_reach) is not None
                    for day in chunk.days()
                )
            ),
        )
        for chunk in window.chunks(chunk_days)
    ]


# ----------------------------------------------------------------------------------------------------------------
# The plan
# ----------------------------------------------------------------------------------------------------------------


@dataclass
class _DoorTally:
    days: list[dt.date] = field(default_factory=list)
    listings: int = 0
    downloads: int = 0
    documents: int = 0
    calls: float = 0.0


def _spans(days: Sequence[dt.date]) -> tuple[Window, ...]:
    """Sorted days as runs of consecutive days."""
    spans: list[Window] = []
    ordered = sorted(days)
    start = previous = ordered[0] if ordered else None
    for day in ordered[1:]:
        assert start is not None and previous is not None
        if day != previous + dt.timedelta(days=1):
            spans.append(Window(start, previous))
            start = day
        previous = day
    if start is not None and previous is not None:
        spans.append(Window(start, previous))
    return tuple(spans)


def _door_runs(doors: dict[dt.date, ErcotDoor]) -> Iterator[tuple[ErcotDoor, Window]]:
    """Consecutive days of one door, in day order (how the client dispatches a window)."""
    days = sorted(doors)
    start = 0
    for index in range(1, len(days) + 1):
        ends = (
            index == len(days)
            or doors[days[index]] != doors[days[start]]
            or (days[index] - days[index - 1]) != dt.timedelta(days=1)
        )
        if ends:
            yield doors[days[start]], Window(days[start], days[index - 1])
            start = index


def plan_fetch(
    window: Window,
    datasets: Sequence[str],
    *,
    today: dt.date,
    credentials: bool,
    settings: Settings,
    chunks: Sequence[BackfillChunk] | None = None,
    weather_today: dt.date | None = None,
) -> FetchPlan:
    """The fetch plan of ``datasets`` over ``window`` seen from ``today`` (Central; ``weather_today``, the UTC date
    Open-Meteo's endpoints are chosen from, defaults to it). ``chunks`` are the fetches to count (a backfill's
    pending chunks, from :func:`backfill_chunks`), in the order one process runs them: chunk after chunk, the
    datasets of each in catalog order; by default the window in as few fetches as reachability allows. Only the
    chunks' days are counted."""
    names = in_catalog_order(datasets)
    weather_day = weather_today or today
    if chunks is None:
        chunks = backfill_chunks(window, names, today=today, credentials=credentials, weather_today=weather_day)
    walks = {name: _DatasetWalk() for name in names}
    process = _Process()
    for chunk in chunks:
        for name in names:
            entry, walk = get_dataset(name), walks[name]
            if name not in chunk.datasets:
                walk.unreachable.extend(chunk.window.days())
            elif entry.source == "openmeteo":
                _weather_fetch(chunk.window, walk.tallies, settings=settings, weather_today=weather_day)
            else:
                walk.tokens += _ercot_client(
                    entry,
                    chunk.window,
                    walk.tallies,
                    process,
                    today=today,
                    credentials=credentials,
                    settings=settings,
                )
    plans = tuple(
        _dataset_plan(get_dataset(name), walks[name], today=today, credentials=credentials, weather_today=weather_day)
        for name in names
    )
    return FetchPlan(
        window=window,
        today=today,
        credentials=credentials,
        fetches=sum(1 for chunk in chunks if chunk.datasets),
        datasets=plans,
        ercot_requests_per_minute=settings.ercot_requests_per_minute,
        open_meteo_requests_per_minute=settings.open_meteo_requests_per_minute,
        open_meteo_free_tier=settings.open_meteo_api_key is None,
    )


@dataclass
class _DatasetWalk:
    """One dataset's counts while the fetches are walked."""

    tallies: dict[PlanDoor, _DoorTally] = field(default_factory=dict)
    unreachable: list[dt.date] = field(default_factory=list)
    tokens: int = 0


@dataclass
class _Process:
    """What the ERCOT clients of one process share (:mod:`energylake.sources.ercot.shared`), as the walk goes: the
    requests sent so far (the clock: at the limit, a request takes ``1 / ercot_requests_per_minute`` minutes), when
    the id token was fetched, the yearly look-ups made and the year of each product's last downloaded file."""

    requests: float = 0
    token_at: float | None = None  # ``requests`` when the process's token was fetched
    looked_up: set[str] = field(default_factory=set)
    last_year: dict[str, int] = field(default_factory=dict)

    def tokens_for(self, sent: int, *, per_minute: float) -> int:
        """The token requests of an authenticating client that sends ``sent`` other requests: one when the process
        has no token or its token is due (55 minutes of requests old), and one more each 55 minutes it runs."""
        span = TOKEN_SPAN_MINUTES * per_minute  # in requests
        tokens = 0
        if self.token_at is None or self.requests - self.token_at >= span:
            tokens, self.token_at = 1, self.requests
            self.requests += 1
        end = self.requests + sent
        while end - self.token_at > span:
            self.token_at += span
            tokens += 1
            end += 1
        self.requests = end
        return tokens


def _dataset_plan(
    entry: Dataset, walk: _DatasetWalk, *, today: dt.date, credentials: bool, weather_today: dt.date
) -> DatasetPlan:
    doors = tuple(
        DoorPlan(door, _spans(tally.days), tally.listings, tally.downloads, tally.documents, tally.calls)
        for door, tally in sorted(walk.tallies.items(), key=lambda item: min(item[1].days))
    )
    return DatasetPlan(
        entry.name,
        doors,
        _unreachable_spans(entry, walk.unreachable, today=today, credentials=credentials, weather_today=weather_today),
        walk.tokens,
    )


def _ercot_client(
    entry: Dataset,
    chunk: Window,
    tallies: dict[PlanDoor, _DoorTally],
    process: _Process,
    *,
    today: dt.date,
    credentials: bool,
    settings: Settings,
) -> int:
    """Tally what one ERCOT client sends for ``chunk`` (every day of it reachable) in a process whose clients share
    ``process``; return its token requests."""
    doors: dict[dt.date, ErcotDoor] = {}
    for day in chunk.days():
        door = ercot_door(entry, day, today=today, credentials=credentials)
        if door is None:  # backfill_chunks keeps such days out of the dataset's chunks
            raise ValueError(f"{entry.name} is not reachable on {day}: plan with chunks from backfill_chunks")
        doors[day] = door
    sent = 0
    authenticated = False
    dashboard_days = [day for day, door in doors.items() if door == "ercot-dashboard"]
    if dashboard_days:  # the dashboard answers for the whole window at once
        tally = tallies.setdefault("ercot-dashboard", _DoorTally())
        tally.days += dashboard_days
        tally.downloads += 1
        sent += 1
    mis_listed = False
    for door, span in _door_runs({day: door for day, door in doors.items() if door != "ercot-dashboard"}):
        tally = tallies.setdefault(door, _DoorTally())
        tally.days += list(span.days())
        before = tally.listings + tally.downloads
        if door == "ercot-api":
            authenticated = True
            name = entry.name
            assert name != "weather"
            tally.downloads += sum(api_pages(name, day, settings.ercot_page_size) for day in span.days())
        elif door == "ercot-mis":
            documents = sum(documents_on(entry.archive, day) if entry.archive else 1 for day in span.days())
            tally.listings += (
                0 if mis_listed else 1
            )  # one listing per report type per client (it changes as ERCOT posts)
            mis_listed = True
            tally.downloads += documents
            tally.documents += documents
        elif door == "ercot-archive":
            assert entry.archive is not None
            authenticated = True
            documents = archive_documents(entry.archive, span, today=today)
            # The interval rule's listing range opens at midnight: the previous day's last interval is listed too.
            listed = documents + (1 if entry.archive.posting == "interval" else 0)
            tally.listings += max(1, math.ceil(listed / ARCHIVE_MAX_DOCUMENTS))
            tally.downloads += math.ceil(documents / ARCHIVE_MAX_DOCUMENTS)
            tally.documents += documents
        elif door == "ercot-yearly":
            assert entry.yearly is not None
            product = entry.yearly.product
            if product not in process.looked_up:  # the product's MIS listing or web page: once per process
                process.looked_up.add(product)
                tally.listings += 1
            for year in sorted({day.year for day in span.days()}):
                if process.last_year.get(product) != year:  # the process keeps the last file of each product
                    process.last_year[product] = year
                    tally.downloads += 1
                    tally.documents += 1
        sent += tally.listings + tally.downloads - before
    if not authenticated:
        process.requests += sent
        return 0
    return process.tokens_for(sent, per_minute=settings.ercot_requests_per_minute)


def _weather_fetch(
    chunk: Window, tallies: dict[PlanDoor, _DoorTally], *, settings: Settings, weather_today: dt.date
) -> None:
    locations, variables = len(zone_points()), len(HOURLY_VARIABLES)
    for request in plan_requests(chunk, settings, weather_today):
        tally = tallies.setdefault(request.origin, _DoorTally())
        tally.days += list(request.window.days())
        tally.downloads += 1
        tally.calls += open_meteo_call_weight(request, locations=locations, variables=variables)


def _unreachable_spans(
    entry: Dataset, days: list[dt.date], *, today: dt.date, credentials: bool, weather_today: dt.date
) -> tuple[UnreachableSpan, ...]:
    """Runs of unreachable days, cut where the reason changes (days before a door's reach, days after today), each
    with the reason its first day gives."""
    first_weather_day, last_weather_day = _weather_reach(weather_today)
    late = today if entry.source == "ercot" else last_weather_day
    spans: list[UnreachableSpan] = []
    for run in _spans(days):
        pieces = [
            (run.start, min(run.end, late)),
            (max(run.start, late + dt.timedelta(days=1)), run.end),
        ]
        for start, end in pieces:
            if start > end:
                continue
            if entry.source == "openmeteo":
                reason = (
                    f"Open-Meteo's ERA5 archive starts {first_weather_day}"
                    if start < first_weather_day
                    else f"Open-Meteo's forecasts reach {last_weather_day} at most (seen from {weather_today} UTC)"
                )
            else:
                reason = unreachable_reason(entry, start, today=today, credentials=credentials)
            spans.append(UnreachableSpan(Window(start, end), reason))
    return tuple(spans)
