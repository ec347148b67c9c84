"""What every source client hands to the lake's raw zone: one reply, byte for byte, and the request behind it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from energylake.contracts.datasets import DatasetName, SourceName

# Which door the bytes came through: the authenticated API's data endpoints or its archive, ERCOT's yearly files, the
# no-login MIS files, a dashboard, or one of Open-Meteo's three endpoints.
Origin = Literal[
    "ercot-api",
    "ercot-archive",
    "ercot-yearly",
    "ercot-mis",
    "ercot-dashboard",
    "open-meteo-forecast",
    "open-meteo-historical-forecast",
    "open-meteo-archive",
]
Extension = Literal["json", "zip"]


def request_fingerprint(method: str, url: str, params: dict[str, str], body: bytes = b"") -> str:
    """A stable name for a request: the same request always lands under the same key."""
    canonical = json.dumps(
        {
            "method": method.upper(),
            "url": url,
            "params": sorted(params.items()),
            "body": body.decode("latin-1"),
        },
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class RawReply:
    """One successful reply, checked to be well-formed, not yet parsed.

    ``url`` and ``params`` are safe to store: they never carry credentials.
    """

    source: SourceName
    dataset: DatasetName
    day: dt.date  # lake partition: the operating day requested (weather: the first day of the request)
    origin: Origin
    origin_reason: str  # why this door was used, for people reading the metadata
    method: str
    url: str
    params: dict[str, str]
    status_code: int
    body: bytes
    extension: Extension
    fetched_at: dt.datetime
    request_body: bytes = b""
    extra: dict[str, str] = field(default_factory=dict)  # e.g. page numbers, window end, document ids

    # Worked out once per reply (landing asks each several times; a year of archive documents is ~50,000 replies).
    @cached_property
    def fingerprint(self) -> str:
        return request_fingerprint(self.method, self.url, self.params, self.request_body)

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


# The bytes a lake already holds for a reply's request, checked against the hash their name records, or None. A source
# whose documents never change once posted (ERCOT's archive) asks it before downloading a document again.
LandedBody = Callable[[RawReply], bytes | None]
