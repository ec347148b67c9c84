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

Landing compares content, not names. An object whose name already carries the reply's SHA-256 is read back and
hashed: when the lake's bytes still match, landing is a no-op; when they do not (someone edited a raw reply), the
true bytes are written again under the same key, a *repair*, and the group gets a new manifest (on AWS its
creation queues the group for curation again). Raw stays immutable in the sense that matters: an object's content
is what its name and its manifest say. An object that no longer matches its own name was already mutated, so
rewriting it restores the promise rather than breaking it; a new version beside it would instead leave two keys
claiming one hash, one of them lying. The repair is logged as a warning naming the object and both hashes, the
repaired object's metadata records the hash it replaced (``repaired-from-sha256``), and on S3 (versioned buckets)
the altered bytes stay as a noncurrent version for whoever investigates.

A group whose manifest is gone (deleted by hand, or a first fetch interrupted before sealing it) is found by
:func:`unmanifested_groups`, and :func:`rebuild_manifest` writes its manifest again from what landing stored beside
every object (``request-group``, ``source-used``, ``fetched-at``, ``content-sha256``, the covered days, the page
numbers). Member hashes come from that metadata, never from the bytes as they are now, so a rebuilt manifest cannot
bless an altered object: curation still checks every member against them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from energylake.contracts.datasets import DatasetName, get_dataset
from energylake.contracts.raw import RawReply, request_fingerprint
from energylake.errors import InvalidRequestError, ParseError, StorageError
from energylake.lake import layout
from energylake.lake.storage import Storage

logger = logging.getLogger(__name__)

# Query parameters that differ between the members of one group rather than between groups.
_MEMBER_PARAMS = frozenset({"page", "doclookupId"})


@dataclass(frozen=True)
class LandedObject:
    key: str
    written: bool  # False: identical bytes were already in the lake
    sha256: str
    size_bytes: int
    repaired: bool = False  # the key held other bytes than its name says: the true bytes were written again


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
    """Store ``reply.body`` byte for byte under its deterministic key (idempotent, never overwrites true bytes;
    an object whose content no longer matches its name is repaired: see the module docstring)."""
    request_folder = layout.raw_object_key(reply.source, reply.dataset, reply.day, reply.fingerprint, "")
    digest = reply.sha256
    suffix = f"-{digest[:16]}.{reply.extension}"
    same_name = [existing for existing in storage.list(request_folder) if existing.endswith(suffix)]
    for existing in same_name:
        if hashlib.sha256(storage.get(existing)).hexdigest() == digest:
            return LandedObject(existing, False, digest, len(reply.body))
    if same_name:
        return _repair(storage, same_name[0], reply)
    stamp = reply.fetched_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    key = f"{request_folder}{stamp}{suffix}"
    written = storage.put_new(key, reply.body, raw_metadata(reply))
    return LandedObject(key, written, digest, len(reply.body))


def landed_body(storage: Storage, reply: RawReply) -> bytes | None:
    """The bytes the lake holds for ``reply``'s request (its request folder; ``reply.body`` is not looked at), the
    newest object whose content still matches the SHA-256 its name records; None when there is none (a changed
    object is never handed out: the download goes ahead, and landing repairs the object)."""
    request_folder = layout.raw_object_key(reply.source, reply.dataset, reply.day, reply.fingerprint, "")
    for key in reversed(list(storage.list(request_folder))):  # names start with the fetch instant: newest last
        if not key.endswith(f".{reply.extension}"):
            continue
        body = storage.get(key)
        if key.endswith(f"-{hashlib.sha256(body).hexdigest()[:16]}.{reply.extension}"):
            return body
    return None


def _repair(storage: Storage, key: str, reply: RawReply) -> LandedObject:
    """Write the true bytes of ``reply`` over ``key``, whose content no longer matches the hash in its name."""
    found = hashlib.sha256(storage.get(key)).hexdigest()
    logger.warning(
        "repaired raw object %s: it held content with SHA-256 %s, not the %s its name and manifest record; the "
        "refetched reply's bytes were written again",
        key,
        found,
        reply.sha256,
        extra={"object": key, "found_sha256": found, "expected_sha256": reply.sha256},
    )
    storage.put(key, reply.body, {**raw_metadata(reply), "repaired-from-sha256": found})
    return LandedObject(key, True, reply.sha256, len(reply.body), repaired=True)


def _covered_days(replies: list[RawReply]) -> list[str]:
    """The operating days a group's replies cover: the requested day, the dashboard's days, the weather window."""
    return _covered_days_of([(reply.day, reply.extra) for reply in replies])


def _covered_days_of(members: Sequence[tuple[dt.date, dict[str, str]]]) -> list[str]:
    """The days covered by members given as (requested day, extra fields without their ``x-`` prefix)."""
    days: set[str] = set()
    for day, extra in members:
        if "covered-days" in extra:
            days.update(covered for covered in extra["covered-days"].split(",") if covered)
        elif "window-start" in extra and "window-end" in extra:
            start = dt.date.fromisoformat(extra["window-start"])
            end = dt.date.fromisoformat(extra["window-end"])
            days.update((start + dt.timedelta(days=n)).isoformat() for n in range((end - start).days + 1))
        else:
            days.add(day.isoformat())
    return sorted(days)


def land_group(storage: Storage, replies: list[RawReply]) -> LandedGroup:
    """Land every reply of one group, then its manifest (only once all members are in the lake). A group with a
    repaired member gets a new manifest even when one already lists the same members: its creation is what queues
    the group for curation again."""
    sealed: list[LandedGroup] = []
    land_groups(storage, [replies], lambda _, landed: sealed.append(landed))
    return sealed[0]


def land_groups(
    storage: Storage,
    groups: Iterable[list[RawReply]],
    landed: Callable[[list[RawReply], LandedGroup], None],
    *,
    per_sync: int = 1,
) -> None:
    """:func:`land_group` for each group of ``groups``, ``per_sync`` groups' members made durable by one sync before
    their manifests are written (a year's fetch is thousands of groups: one sync each was seconds of it), then
    ``landed(replies, group)`` for each, in order. When a group fails (its fetch or its landing), the whole groups
    before it are still sealed and reported, then the error goes on: they stay, and a rerun resumes after them."""
    if per_sync < 1:
        raise ValueError(f"per_sync is at least 1, got {per_sync}")
    remaining = iter(groups)
    while True:
        whole: list[tuple[list[RawReply], list[LandedObject]]] = []
        try:
            with storage.synced_together():
                for replies in itertools.islice(remaining, per_sync):
                    if not replies:
                        raise ValueError("a group has at least one reply")
                    whole.append((replies, [land_raw(storage, reply) for reply in replies]))
        finally:
            for replies, members in whole:
                landed(replies, _seal(storage, replies, members))
        if len(whole) < per_sync:
            return


def _seal(storage: Storage, replies: list[RawReply], members: list[LandedObject]) -> LandedGroup:
    """Write the manifest of a group whose members are in the lake, durable (unless the same members already
    have one)."""
    first = replies[0]
    group = group_key(first)
    member_hash = _member_hash([m.key for m in members])
    folder = layout.manifest_prefix(first.source, first.dataset, first.day, group)
    if not any(member.repaired for member in members):
        for existing in storage.list(folder):
            if existing.endswith(f"-{member_hash}{layout.MANIFEST_SUFFIX}"):
                return LandedGroup(group, members, existing, manifest_written=False)
    fetched_at = max(reply.fetched_at for reply in replies).astimezone(dt.UTC)
    manifest = _manifest_document(
        group=group,
        source=first.source,
        dataset=first.dataset,
        day=first.day,
        origin=first.origin,
        fetched_at=fetched_at,
        covered_days=_covered_days(replies),
        members=[(landed.key, landed.sha256, landed.size_bytes) for landed in members],
    )
    key = f"{folder}{fetched_at.strftime('%Y%m%dT%H%M%S%fZ')}-{member_hash}{layout.MANIFEST_SUFFIX}"
    written = storage.put_new(key, json.dumps(manifest, indent=1).encode(), {"request-group": group})
    return LandedGroup(group, members, key, written)


def _member_hash(member_keys: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(member_keys).encode()).hexdigest()[:16]


def _manifest_document(
    *,
    group: str,
    source: str,
    dataset: str,
    day: dt.date,
    origin: str,
    fetched_at: dt.datetime,
    covered_days: list[str],
    members: Sequence[tuple[str, str, int]],
) -> dict[str, Any]:
    return {
        "group": group,
        "source": source,
        "dataset": dataset,
        "date": day.isoformat(),
        "origin": origin,
        "fetched_at": fetched_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "covered_days": covered_days,
        "members": [{"key": key, "sha256": sha256, "size": size} for key, sha256, size in members],
    }


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
    member_sha256: tuple[str, ...]  # each member's SHA-256 as landed, in member order

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
                member_sha256=tuple(str(member["sha256"]) for member in document["members"]),
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


# --- raw objects that no manifest lists -----------------------------------------------------------------------------


@dataclass(frozen=True)
class UnmanifestedGroup:
    """Raw objects of one day partition that no manifest lists, gathered by the group their metadata names."""

    source: str
    dataset: str
    day: dt.date  # the raw day partition
    group: str  # "" when the objects' metadata names no group
    keys: tuple[str, ...]
    metadata: tuple[dict[str, str], ...]  # each key's stored metadata, in key order
    covered_days: tuple[dt.date, ...]
    sealed: bool  # the group has manifests; these objects are in none of them (a refetch interrupted before sealing)
    problem: str  # why no manifest can be rebuilt from these objects ("" when one can)


def unmanifested_groups(storage: Storage, source: str, dataset: str, day: dt.date) -> list[UnmanifestedGroup]:
    """The raw objects of one day partition that no manifest (newest or older) lists, by group: one listing of the
    partition, every manifest in it read, and the metadata of the unlisted objects only. A malformed manifest is a
    ParseError naming it (as curating it would be)."""
    prefix = layout.raw_day_prefix(source, dataset, day)
    local_root = storage.location.path
    if local_root is not None and not (local_root / prefix).is_dir():
        # Most partitions a window widens to do not exist; listing a missing local folder walks its parent.
        return []
    keys = list(storage.list(prefix))
    objects = [key for key in keys if layout.is_raw_object_key(key)]
    if not objects:
        return []
    listed: set[str] = set()
    sealed_groups: set[str] = set()
    for key in keys:
        if key.endswith(layout.MANIFEST_SUFFIX):
            listed.update(Manifest.load(storage, key).member_keys)
            sealed_groups.add(layout.parse_manifest_key(key).group)
    by_group: dict[str, list[tuple[str, dict[str, str]]]] = {}
    for key in objects:
        if key not in listed:
            metadata = storage.metadata(key)
            by_group.setdefault(metadata.get("request-group", ""), []).append((key, metadata))
    found = []
    for group, members in sorted(by_group.items()):
        extras = [(_metadata_day(metadata, day), _extra_fields(metadata)) for _, metadata in members]
        sealed = group in sealed_groups
        found.append(
            UnmanifestedGroup(
                source=source,
                dataset=dataset,
                day=day,
                group=group,
                keys=tuple(key for key, _ in members),
                metadata=tuple(metadata for _, metadata in members),
                covered_days=tuple(dt.date.fromisoformat(covered) for covered in _covered_days_of(extras)),
                sealed=sealed,
                problem=_rebuild_problem(group, sealed, [metadata for _, metadata in _newest_per_request(members)]),
            )
        )
    return found


def rebuild_manifest(storage: Storage, orphans: UnmanifestedGroup) -> str:
    """Write the manifest of a group that has none, from its objects' stored metadata (the newest object of every
    request of the group, in page order), and return its key. The member hashes are the ones recorded at landing
    (``content-sha256``), so curation still catches an object changed since. InvalidRequestError when the objects
    cannot make one (``orphans.problem``)."""
    if orphans.problem:
        raise InvalidRequestError(f"cannot rebuild the manifest of {orphans.dataset} {orphans.day}: {orphans.problem}")
    members = _newest_per_request(list(zip(orphans.keys, orphans.metadata, strict=True)))
    members.sort(key=lambda member: (_page(member[1]), member[0]))
    first = members[0][1]
    fetched_at = max(_stored_time(metadata["fetched-at"]) for _, metadata in members)
    manifest = _manifest_document(
        group=orphans.group,
        source=orphans.source,
        dataset=orphans.dataset,
        day=orphans.day,
        origin=first["source-used"],
        fetched_at=fetched_at,
        covered_days=[covered.isoformat() for covered in orphans.covered_days],
        members=[(key, meta["content-sha256"], int(meta["content-length"])) for key, meta in members],
    )
    manifest["rebuilt_from"] = "the members' stored metadata (the original manifest was missing)"
    folder = layout.manifest_prefix(orphans.source, orphans.dataset, orphans.day, orphans.group)
    member_hash = _member_hash([key for key, _ in members])
    key = f"{folder}{fetched_at.strftime('%Y%m%dT%H%M%S%fZ')}-{member_hash}{layout.MANIFEST_SUFFIX}"
    storage.put_new(key, json.dumps(manifest, indent=1).encode(), {"request-group": orphans.group})
    logger.info("rebuilt manifest %s from %d objects' metadata", key, len(members), extra={"manifest": key})
    return key


# What a rebuilt manifest needs from every member's metadata (landing.raw_metadata writes them all).
_REBUILD_FIELDS = ("source-used", "fetched-at", "content-sha256", "content-length", "request-fingerprint")


def _rebuild_problem(group: str, sealed: bool, newest: list[dict[str, str]]) -> str:
    if sealed:
        return "the group has a manifest already; these objects are in none of its manifests"
    if not group:
        return "the objects' metadata names no group (request-group)"
    for metadata in newest:
        missing = [name for name in _REBUILD_FIELDS if not metadata.get(name)]
        if missing:
            return f"an object's metadata lacks {', '.join(missing)}"
    if len({metadata["source-used"] for metadata in newest}) > 1:
        return "the objects came through different doors (source-used)"
    totals = {metadata["x-total-pages"] for metadata in newest if "x-total-pages" in metadata}
    if totals:
        total = max(int(value) for value in totals)
        pages = sorted(_page(metadata) for metadata in newest)
        if pages != list(range(1, max(total, 1) + 1)):
            return f"incomplete: pages {', '.join(map(str, pages))} of {total} landed"
    return ""


def _newest_per_request(members: list[tuple[str, dict[str, str]]]) -> list[tuple[str, dict[str, str]]]:
    """The newest object (keys sort by landing time within a request folder) of every request."""
    newest: dict[str, tuple[str, dict[str, str]]] = {}
    for key, metadata in members:
        request = metadata.get("request-fingerprint") or key.rsplit("/", 1)[0]
        if request not in newest or key > newest[request][0]:
            newest[request] = (key, metadata)
    return list(newest.values())


def _page(metadata: dict[str, str]) -> int:
    page = metadata.get("x-page", "")
    return int(page) if page.isdigit() else 0


def _extra_fields(metadata: dict[str, str]) -> dict[str, str]:
    return {name.removeprefix("x-"): value for name, value in metadata.items() if name.startswith("x-")}


def _metadata_day(metadata: dict[str, str], fallback: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(metadata["date"])
    except (KeyError, ValueError):
        return fallback


def _stored_time(stamp: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(dt.UTC)
    except ValueError:
        raise StorageError(f"unreadable fetched-at {stamp!r} in raw object metadata") from None
