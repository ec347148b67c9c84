"""The pipeline's stage functions: each is one function of (window, lake) that every runtime calls.

The Lambda handlers and the CLI are thin doors into these: :func:`fetch` (sources -> raw), :func:`curate` (one raw
group -> silver or quarantine) and :func:`reprocess` (raw -> silver for a window, without fetching). Heavy modules
(pyarrow, the parsers) load inside the functions that need them, so a fetch Lambda never pays for them.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, cast

import httpx
from pydantic import SecretStr

from energylake.datasets import ALL_DATASETS, DatasetName, ErcotDatasetName, get_dataset
from energylake.lake import land_group
from energylake.settings import ErcotCredentials, Settings, ercot_credentials
from energylake.sources.base import FetchStats, RawReply
from energylake.storage import Storage
from energylake.window import Window

if TYPE_CHECKING:
    from energylake.curate import CurateResult

logger = logging.getLogger(__name__)

SourceMode = Literal["live", "sample"]


@dataclass(frozen=True)
class Connection:
    """How stages reach the outside world: settings, and optionally a transport standing in for the network.

    ``ercot_credentials`` None means "no API credentials" (the ERCOT client then uses the no-login MIS files).
    """

    settings: Settings
    ercot_credentials: ErcotCredentials | None
    transport: httpx.BaseTransport | None = None
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], dt.datetime] | None = None
    mode: SourceMode = "live"


def live_connection(settings: Settings) -> Connection:
    """The real endpoints from ``settings``; ERCOT credentials from the environment or Secrets Manager."""
    return Connection(settings=settings, ercot_credentials=ercot_credentials(settings))


def sample_connection(settings: Settings, *, now: dt.datetime | None = None, throttle_every: int = 7) -> Connection:
    """The offline sample source served to the real clients through an in-process transport.

    The sample server has no rate limit of its own, so the client-side limits are lifted; its clock ``now``
    decides which days its MIS listings and dashboards cover.
    """
    from energylake.sources.sample import (
        SAMPLE_PASSWORD,
        SAMPLE_SUBSCRIPTION_KEY,
        SAMPLE_USERNAME,
        SampleServer,
    )

    sample_now = now or dt.datetime.now(dt.UTC)
    unthrottled = settings.model_copy(update={"ercot_requests_per_minute": 1e9, "open_meteo_requests_per_minute": 1e9})
    server = SampleServer(unthrottled, now=sample_now, throttle_every=throttle_every)
    return Connection(
        settings=unthrottled,
        ercot_credentials=ErcotCredentials(
            SAMPLE_USERNAME, SecretStr(SAMPLE_PASSWORD), SecretStr(SAMPLE_SUBSCRIPTION_KEY)
        ),
        transport=server.transport(),
        sleep=lambda _seconds: None,  # the sample's 429s say Retry-After: 0
        now=lambda: sample_now,
        mode="sample",
    )


@dataclass
class FetchResult:
    """What one fetch of one dataset over a window landed."""

    dataset: DatasetName
    window: Window
    keys: list[str] = field(default_factory=list)  # raw data objects
    manifests: list[str] = field(default_factory=list)  # one per landed group: what curation starts from
    written: int = 0  # new objects
    unchanged: int = 0  # identical bytes were already in the lake
    bytes_landed: int = 0
    sources_used: dict[str, str] = field(default_factory=dict)  # origin -> why it was used
    notes: list[str] = field(default_factory=list)
    stats: FetchStats = field(default_factory=FetchStats)

    def as_dict(self) -> dict[str, object]:
        return {
            "dataset": self.dataset,
            "start": self.window.start.isoformat(),
            "end": self.window.end.isoformat(),
            "keys": list(self.keys),
            "manifests": list(self.manifests),
            "written": self.written,
            "unchanged": self.unchanged,
            "bytes": self.bytes_landed,
            "sources_used": dict(self.sources_used),
            "notes": list(self.notes),
            "requests": self.stats.requests,
            "retries": self.stats.retries,
            "rows": self.stats.rows,
        }


@contextmanager
def _reply_groups(
    dataset: DatasetName, window: Window, connection: Connection, stats: FetchStats
) -> Iterator[Iterator[list[RawReply]]]:
    """The right client for ``dataset``, yielding complete groups of replies (e.g. all pages of one day)."""
    if get_dataset(dataset).source == "openmeteo":
        from energylake.sources.openmeteo import OpenMeteoClient

        with OpenMeteoClient(
            connection.settings,
            transport=connection.transport,
            sleep=connection.sleep,
            stats=stats,
            now=connection.now,
        ) as weather_client:
            yield weather_client.iter_fetch(window)
    else:
        from energylake.sources.ercot import ErcotClient

        with ErcotClient(
            connection.settings,
            credentials=connection.ercot_credentials,
            transport=connection.transport,
            sleep=connection.sleep,
            stats=stats,
            now=connection.now,
        ) as ercot_client:
            yield ercot_client.iter_fetch(cast(ErcotDatasetName, dataset), window)


def fetch(dataset: str, window: Window, storage: Storage, connection: Connection) -> FetchResult:
    """Fetch ``dataset`` for every operating day of ``window`` and land the replies, untouched, in the raw zone.

    Replies land one complete group at a time (all pages of a day), only after every reply of the group arrived
    well-formed, and the group's manifest lands last: a failure raises :class:`~energylake.errors.FetchError` naming
    the request and leaves no partial group behind. Groups landed before the failure stay (each is whole), so a
    rerun resumes without duplicates.
    """
    name = get_dataset(dataset).name
    result = FetchResult(dataset=name, window=window)
    with _reply_groups(name, window, connection, result.stats) as groups:
        for group in groups:
            landed = land_group(storage, group)
            result.manifests.append(landed.manifest_key)
            for reply, member in zip(group, landed.members, strict=True):
                result.keys.append(member.key)
                if member.written:
                    result.written += 1
                    result.bytes_landed += member.size_bytes
                else:
                    result.unchanged += 1
                result.sources_used[reply.origin] = reply.origin_reason
                uncovered = reply.extra.get("uncovered-days")
                if uncovered:
                    result.notes.append(f"{name}: no data available for {uncovered} ({reply.origin_reason})")
    logger.info(
        "fetched %s %s: %d objects (%d new, %d unchanged) via %s",
        name,
        window,
        len(result.keys),
        result.written,
        result.unchanged,
        ", ".join(sorted(result.sources_used)) or "nothing",
    )
    return result


def fetch_many(
    datasets: tuple[str, ...] | list[str], window: Window, storage: Storage, connection: Connection
) -> list[FetchResult]:
    """:func:`fetch` for several datasets in catalog order (unknown names fail before anything is fetched)."""
    names = [get_dataset(name).name for name in datasets]
    ordered = [name for name in ALL_DATASETS if name in names]
    return [fetch(name, window, storage, connection) for name in ordered]


# --- curate: raw group -> silver | quarantine ---------------------------------------------------------------------

# How far outside a window a raw partition may hold data for it: a weather request lands under its first day and
# covers up to 15 more; the fuel-mix dashboard lands under its newest day and covers the day before.
_PARTITION_LOOKBACK = dt.timedelta(days=16)
_PARTITION_LOOKAHEAD = dt.timedelta(days=1)


def new_run_id() -> str:
    import uuid

    return f"run-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def curate(manifest_key: str, storage: Storage, *, run_id: str | None = None) -> CurateResult:
    """Curate one landed group (named by its manifest) into silver, or quarantine it; always writes a report."""
    from energylake.curate import curate_manifest

    return curate_manifest(storage, manifest_key, run_id=run_id or new_run_id())


def manifests_for(window: Window, dataset: str, storage: Storage) -> list[str]:
    """The newest manifest of every group of ``dataset`` whose covered days meet ``window``.

    A malformed manifest raises :class:`~energylake.errors.ParseError` naming it (as curating it would).
    """
    from energylake.curate import Manifest
    from energylake.lake import list_manifests

    entry = get_dataset(dataset)
    found: list[str] = []
    day = window.start - _PARTITION_LOOKBACK
    while day <= window.end + _PARTITION_LOOKAHEAD:
        for key in list_manifests(storage, entry.source, entry.name, day):
            covered = Manifest.load(storage, key).covered_days
            if any(window.start <= covered_day <= window.end for covered_day in covered):
                found.append(key)
        day += dt.timedelta(days=1)
    return found


def reprocess(
    window: Window,
    storage: Storage,
    datasets: tuple[str, ...] | list[str] = ALL_DATASETS,
    *,
    run_id: str | None = None,
) -> list[CurateResult]:
    """Rebuild silver from raw for ``window`` without fetching: every group's newest manifest is curated again."""
    names = [get_dataset(name).name for name in datasets]
    run = run_id or new_run_id()
    results = []
    for name in [name for name in ALL_DATASETS if name in names]:
        for manifest_key in manifests_for(window, name, storage):
            results.append(curate(manifest_key, storage, run_id=run))
    return results


# --- gold (Spark) and the warehouse ------------------------------------------------------------------------------


def build_gold(window: Window, lake_uri: str) -> dict[str, int]:
    """Build the gold tables for ``window`` with a local Spark session (on AWS the Glue job calls gold directly)."""
    from energylake.gold import build_gold as build
    from energylake.gold import local_spark_session

    return build(local_spark_session(), lake_uri, window.start, window.end)


def load_warehouse(
    window: Window, lake_uri: str, warehouse_path: str, tables: tuple[str, ...] | list[str] | None = None
) -> dict[str, int]:
    """Upsert the window's silver and gold rows into the local DuckDB warehouse (rows written per table)."""
    from energylake.warehouse.duckdb import load

    return load(lake_uri, warehouse_path, window.start, window.end, tables)
