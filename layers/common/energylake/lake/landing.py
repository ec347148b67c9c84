"""Landing: replies into the raw zone byte for byte, groups sealed by a manifest, and the manifest read back.

One folder per request (the fingerprint of method, URL, parameters and body, secrets excluded); one object per
distinct reply body. Landing the same bytes again is a no-op; different bytes for the same request become a new
version beside the old one (the newest sorts last), and nothing is ever overwritten.

Replies that answer one logical request together (all pages of one day; all MIS documents of one day) form a
*group*. After a group has landed whole, a manifest lists its members. A manifest is the unit of curation: on AWS its
creation (suffix ``.manifest.json``) is the S3 event that queues validation, so a group is never validated while pages
are still arriving. The group key leaves out what varies between pages or documents (``page``, ``doclookupId``), so
refetching a day (even with a different page count) lands a newer manifest for the same group, and curating it
replaces that group's silver output.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from energylake.contracts.datasets import DatasetName, get_dataset
from energylake.contracts.raw import RawReply, request_fingerprint
from energylake.errors import ParseError
from energylake.lake import layout
from energylake.lake.storage import Storage

# Query parameters that differ between the members of one group rather than between groups.
_MEMBER_PARAMS = frozenset({"page", "doclookupId"})


@dataclass(frozen=True)
class LandedObject:
    key: str
    written: bool  # False: identical bytes were already in the lake
    sha256: str
    size_bytes: int


@dataclass(frozen=True)
class LandedGroup:
    group: str
    members: list[LandedObject]
    manifest_key: str
    manifest_written: bool  # False: the same members were already recorded (a rerun)


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
    request_folder = layout.raw_object_key(reply.source, reply.dataset, reply.day, reply.fingerprint, "")
    digest = reply.sha256
    suffix = f"-{digest[:16]}.{reply.extension}"
    for existing in storage.list(request_folder):
        if existing.endswith(suffix):
            return LandedObject(existing, False, digest, len(reply.body))
    stamp = reply.fetched_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    key = f"{request_folder}{stamp}{suffix}"
    written = storage.put_new(key, reply.body, raw_metadata(reply))
    return LandedObject(key, written, digest, len(reply.body))


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
    folder = layout.manifest_prefix(first.source, first.dataset, first.day, group)
    for existing in storage.list(folder):
        if existing.endswith(f"-{member_hash}{layout.MANIFEST_SUFFIX}"):
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
    key = f"{folder}{fetched_at.strftime('%Y%m%dT%H%M%S%fZ')}-{member_hash}{layout.MANIFEST_SUFFIX}"
    written = storage.put_new(key, json.dumps(manifest, indent=1).encode(), {"request-group": group})
    return LandedGroup(group, members, key, written)


@dataclass(frozen=True)
class Manifest:
    """A landed group's manifest, read back (:func:`land_group` writes it)."""

    key: str
    group: str
    dataset: DatasetName
    day: dt.date
    origin: str
    fetched_at: dt.datetime
    covered_days: tuple[dt.date, ...]
    member_keys: tuple[str, ...]

    @classmethod
    def load(cls, storage: Storage, key: str) -> Manifest:
        """Read the manifest at ``key``; a malformed one is a ParseError naming it."""
        try:
            document: dict[str, Any] = json.loads(storage.get(key))
            return cls(
                key=key,
                group=str(document["group"]),
                dataset=get_dataset(str(document["dataset"])).name,
                day=dt.date.fromisoformat(document["date"]),
                origin=str(document["origin"]),
                fetched_at=dt.datetime.fromisoformat(str(document["fetched_at"]).replace("Z", "+00:00")),
                covered_days=tuple(dt.date.fromisoformat(day) for day in document["covered_days"]),
                member_keys=tuple(str(member["key"]) for member in document["members"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ParseError(f"manifest {key} is malformed: {exc}") from None


def list_raw(storage: Storage, source: str | None = None, dataset: str | None = None) -> list[str]:
    """Raw data object keys (manifests excluded), optionally for one source and dataset."""
    return [key for key in storage.list(layout.raw_prefix(source, dataset)) if layout.is_raw_object_key(key)]


def list_manifests(storage: Storage, source: str, dataset: str, day: dt.date) -> list[str]:
    """The newest manifest of every group landed under one raw day partition."""
    newest: dict[str, str] = {}
    for key in storage.list(layout.manifests_prefix(source, dataset, day)):
        if key.endswith(layout.MANIFEST_SUFFIX):
            group = layout.parse_manifest_key(key).group
            newest[group] = max(newest.get(group, ""), key)
    return sorted(newest.values())


def newest_manifest(storage: Storage, manifest_key: str) -> str:
    """The newest manifest of the group ``manifest_key`` belongs to (itself when none is newer)."""
    folder = layout.parse_manifest_key(manifest_key).folder
    return max((key for key in storage.list(folder) if key.endswith(layout.MANIFEST_SUFFIX)), default=manifest_key)
