"""Source clients. Each client returns :class:`RawReply` objects: reply bytes exactly as received, plus the
request that produced them (secrets removed). Parsing happens later, from the lake."""

from energylake.sources.base import FetchStats, RawReply, request_fingerprint

__all__ = ["FetchStats", "RawReply", "request_fingerprint"]
