"""The fetch stage: sources -> raw. One function of (dataset, window, lake, connection) that every door calls.

The fetch Lambdas and the CLI are thin doors into :func:`fetch`. A :class:`Connection` says how to reach the
outside world: the live endpoints (:func:`live_connection`) or, locally, the offline sample
(:func:`energylake.sample.connection`) standing in for the network. Only the source client a dataset needs is
imported, and no pyarrow: a fetch Lambda never pays for the parsers.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal, cast

import httpx

from energylake.contracts.datasets import DatasetName, ErcotDatasetName, get_dataset, in_catalog_order
from energylake.contracts.raw import LandedBody, RawReply
from energylake.lake.landing import LandedGroup, land_groups, landed_body
from energylake.lake.storage import Storage
from energylake.settings import ErcotCredentials, Settings, ercot_credentials
from energylake.sources.http import FetchStats
from energylake.window import Window

logger = logging.getLogger(__name__)

SourceMode = Literal["live", "sample"]

# Groups whose members one sync makes durable in a local lake, before their manifests are written.
_GROUPS_PER_SYNC = 32


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
            "reused": self.stats.reused,
        }


@contextmanager
def _reply_groups(
    dataset: DatasetName, window: Window, connection: Connection, stats: FetchStats, landed: LandedBody | None = None
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
            landed=landed,
        ) as ercot_client:
            yield ercot_client.iter_fetch(cast(ErcotDatasetName, dataset), window)


def fetch(window: Window, dataset: str, lake: Storage, connection: Connection) -> FetchResult:
    """Fetch ``dataset`` for every operating day of ``window`` and land the replies, untouched, in the raw zone.

    Replies land one complete group at a time (all pages of a day), only after every reply of the group arrived
    well-formed, and the group's manifest lands last: a failure raises :class:`~energylake.errors.FetchError` naming
    the request and leaves no partial group behind. Groups landed before the failure stay (each is whole), so a
    rerun resumes without duplicates.
    """
    name = get_dataset(dataset).name
    result = FetchResult(dataset=name, window=window)
    # A local lake is asked for archive documents it already holds (a backfill's chunks each need the forecast
    # postings of the days before them, which the chunk before landed): a failed folder lookup costs microseconds
    # there. Not on S3, where a LIST and a GET per document cost more than ERCOT's one bulk download of them.
    in_lake = None if lake.location.is_s3 else functools.partial(landed_body, lake)

    def record(group: list[RawReply], landed: LandedGroup) -> None:
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

    with _reply_groups(name, window, connection, result.stats, in_lake) as groups:
        # A local lake syncs several groups' members at once (a year's archive is thousands of groups); an S3 PUT is
        # durable when it returns, so there each group is sealed as soon as it landed.
        land_groups(lake, groups, record, per_sync=1 if lake.location.is_s3 else _GROUPS_PER_SYNC)
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
    window: Window, datasets: tuple[str, ...] | list[str], lake: Storage, connection: Connection
) -> list[FetchResult]:
    """:func:`fetch` for several datasets in catalog order (unknown names fail before anything is fetched)."""
    return [fetch(window, name, lake, connection) for name in in_catalog_order(datasets)]
