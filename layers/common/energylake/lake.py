"""The lake's layout: where raw, silver, quality-report and quarantine objects live, and how raw replies land.

Raw keys are Hive-style and deterministic::

    raw/source=ercot/dataset=spp_rt/date=2024-11-03/<request fingerprint>/<fetched at>-<sha256[:16]>.json

One folder per request (the fingerprint of method, URL, parameters and body, secrets excluded); one object per
distinct reply body. Landing the same bytes again is a no-op; different bytes for the same request become a new
version beside the old one (the newest sorts last), and nothing is ever overwritten.

Replies that answer one logical request together (all pages of one day; all MIS documents of one day) form a
*group*. After a group has landed whole, a manifest lists its members::

    raw/source=ercot/dataset=spp_rt/date=2024-11-03/_manifests/<group>/<fetched at>-<members hash>.manifest.json

A manifest is the unit of curation: on AWS its creation (suffix ``.manifest.json``) is the S3 event that queues
validation, so a group is never validated while pages are still arriving. The group key leaves out what varies
between pages or documents (``page``, ``doclookupId``), so refetching a day (even with a different page count)
lands a newer manifest for the same group, and curating it replaces that group's silver output.

Curated zones::

    silver/dataset=<dataset>/date=<UTC date>/<group>.parquet           typed rows, lineage, zstd
    quality/dataset=<dataset>/date=<raw date>/<group>.json             the quality report of every curated group
    quarantine/dataset=<dataset>/date=<raw date>/<group>/...           failed groups' rows and rejected rows
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from energylake.sources.base import RawReply, request_fingerprint
from energylake.storage import Storage

RAW_ZONE = "raw"
SILVER_ZONE = "silver"
QUALITY_ZONE = "quality"
QUARANTINE_ZONE = "quarantine"
MANIFEST_DIR = "_manifests"
MANIFEST_SUFFIX = ".manifest.json"
# Query parameters that differ between the members of one group rather than between groups.
_MEMBER_PARAMS = frozenset({"page", "doclookupId"})


@dataclass(frozen=True)
class LandedObject:
    key: str
    written: bool  # False: identical bytes were already in the lake
    sha256: str
    size_bytes: int


def raw_day_prefix(source: str, dataset: str, day: dt.date) -> str:
    return f"{RAW_ZONE}/source={source}/dataset={dataset}/date={day.isoformat()}/"


def raw_request_prefix(reply: RawReply) -> str:
    return f"{raw_day_prefix(reply.source, reply.dataset, reply.day)}{reply.fingerprint}/"


def group_key(reply: RawReply) -> str:
    """The group a reply belongs to: its request without the member-specific parameters."""
    params = {name: value for name, value in reply.params.items() if name not in _MEMBER_PARAMS}
    params.update({"~dataset": reply.dataset, "~date": reply.day.isoformat(), "~origin": reply.origin})
    return request_fingerprint(reply.method, reply.url, params)


def raw_metadata(reply: RawReply) -> dict[str, str]:
    """What is stored beside the bytes. Secrets never reach a RawReply, so none can reach here."""
    return {
        "source": reply.source,
        "dataset": reply.dataset,
        "date": reply.day.isoformat(),
        "source-used": reply.origin,
        "source-reason": reply.origin_reason,
        "request-method": reply.method,
        "request-url": reply.url,
        "request-params": json.dumps(reply.params, sort_keys=True, separators=(",", ":")),
        "request-fingerprint": reply.fingerprint,
        "request-group": group_key(reply),
        "http-status": str(reply.status_code),
        "fetched-at": reply.fetched_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "content-sha256": reply.sha256,
        "content-length": str(len(reply.body)),
        **({"request-body": reply.request_body.decode()} if reply.request_body else {}),
        **{f"x-{name}": value for name, value in reply.extra.items()},
    }


def land_raw(storage: Storage, reply: RawReply) -> LandedObject:
    """Store ``reply.body`` byte for byte under its deterministic key (idempotent, never overwrites)."""
    prefix = raw_request_prefix(reply)
    digest = reply.sha256
    suffix = f"-{digest[:16]}.{reply.extension}"
    for existing in storage.list(prefix):
        if existing.endswith(suffix):
            return LandedObject(existing, False, digest, len(reply.body))
    stamp = reply.fetched_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    key = f"{prefix}{stamp}{suffix}"
    written = storage.put_new(key, reply.body, raw_metadata(reply))
    return LandedObject(key, written, digest, len(reply.body))


@dataclass(frozen=True)
class LandedGroup:
    group: str
    members: list[LandedObject]
    manifest_key: str
    manifest_written: bool  # False: the same members were already recorded (a rerun)


def _covered_days(replies: list[RawReply]) -> list[str]:
    """The operating days a group's replies cover: the requested day, the dashboard's days, the weather window."""
    days: set[str] = set()
    for reply in replies:
        if "covered-days" in reply.extra:
            days.update(day for day in reply.extra["covered-days"].split(",") if day)
        elif "window-start" in reply.extra and "window-end" in reply.extra:
            start = dt.date.fromisoformat(reply.extra["window-start"])
            end = dt.date.fromisoformat(reply.extra["window-end"])
            days.update((start + dt.timedelta(days=n)).isoformat() for n in range((end - start).days + 1))
        else:
            days.add(reply.day.isoformat())
    return sorted(days)


def land_group(storage: Storage, replies: list[RawReply]) -> LandedGroup:
    """Land every reply of one group, then its manifest (only once all members are in the lake)."""
    if not replies:
        raise ValueError("a group has at least one reply")
    first = replies[0]
    group = group_key(first)
    members = [land_raw(storage, reply) for reply in replies]
    member_hash = hashlib.sha256("\n".join(m.key for m in members).encode()).hexdigest()[:16]
    manifest_prefix = f"{raw_day_prefix(first.source, first.dataset, first.day)}{MANIFEST_DIR}/{group}/"
    for existing in storage.list(manifest_prefix):
        if existing.endswith(f"-{member_hash}{MANIFEST_SUFFIX}"):
            return LandedGroup(group, members, existing, manifest_written=False)
    fetched_at = max(reply.fetched_at for reply in replies).astimezone(dt.UTC)
    manifest = {
        "group": group,
        "source": first.source,
        "dataset": first.dataset,
        "date": first.day.isoformat(),
        "origin": first.origin,
        "fetched_at": fetched_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "covered_days": _covered_days(replies),
        "members": [{"key": landed.key, "sha256": landed.sha256, "size": landed.size_bytes} for landed in members],
    }
    key = f"{manifest_prefix}{fetched_at.strftime('%Y%m%dT%H%M%S%fZ')}-{member_hash}{MANIFEST_SUFFIX}"
    written = storage.put_new(key, json.dumps(manifest, indent=1).encode(), {"request-group": group})
    return LandedGroup(group, members, key, written)


def is_manifest_key(key: str) -> bool:
    return key.startswith(f"{RAW_ZONE}/") and key.endswith(MANIFEST_SUFFIX)


def list_raw(storage: Storage, source: str | None = None, dataset: str | None = None) -> list[str]:
    """Raw data object keys (manifests excluded), optionally for one source and dataset."""
    prefix = f"{RAW_ZONE}/"
    if source:
        prefix += f"source={source}/"
        if dataset:
            prefix += f"dataset={dataset}/"
    return [key for key in storage.list(prefix) if f"/{MANIFEST_DIR}/" not in key]


def list_manifests(storage: Storage, source: str, dataset: str, day: dt.date) -> list[str]:
    """The newest manifest of every group landed under one raw day partition."""
    newest: dict[str, str] = {}
    for key in storage.list(f"{raw_day_prefix(source, dataset, day)}{MANIFEST_DIR}/"):
        if key.endswith(MANIFEST_SUFFIX):
            group = key.split("/")[-2]
            newest[group] = max(newest.get(group, ""), key)
    return sorted(newest.values())


def newest_manifest(storage: Storage, manifest_key: str) -> str:
    """The newest manifest of the group ``manifest_key`` belongs to (itself when none is newer)."""
    folder = manifest_key.rsplit("/", 1)[0] + "/"
    return max((key for key in storage.list(folder) if key.endswith(MANIFEST_SUFFIX)), default=manifest_key)


def silver_key(dataset: str, utc_day: dt.date, group: str) -> str:
    return f"{SILVER_ZONE}/dataset={dataset}/date={utc_day.isoformat()}/{group}.parquet"


def quality_report_key(dataset: str, raw_day: dt.date, group: str) -> str:
    return f"{QUALITY_ZONE}/dataset={dataset}/date={raw_day.isoformat()}/{group}.json"


def quarantine_prefix(dataset: str, raw_day: dt.date, group: str) -> str:
    return f"{QUARANTINE_ZONE}/dataset={dataset}/date={raw_day.isoformat()}/{group}/"
