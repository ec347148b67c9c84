"""The lake's layout: where raw (and later silver, gold, quarantine) objects live, and how raw replies land.

Raw keys are Hive-style and deterministic::

    raw/source=ercot/dataset=spp_rt/date=2024-11-03/<request fingerprint>/<fetched at>-<sha256[:16]>.json

One folder per request (the fingerprint of method, URL, parameters and body, secrets excluded); one object per
distinct reply body. Landing the same bytes again is a no-op; different bytes for the same request become a new
version beside the old one (the newest sorts last), and nothing is ever overwritten.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass

from energylake.sources.base import RawReply
from energylake.storage import Storage

RAW_ZONE = "raw"


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


def land_all(storage: Storage, replies: Iterable[RawReply]) -> list[LandedObject]:
    return [land_raw(storage, reply) for reply in replies]


def list_raw(storage: Storage, source: str | None = None, dataset: str | None = None) -> list[str]:
    """Raw object keys, optionally for one source and dataset."""
    prefix = f"{RAW_ZONE}/"
    if source:
        prefix += f"source={source}/"
        if dataset:
            prefix += f"dataset={dataset}/"
    return list(storage.list(prefix))
