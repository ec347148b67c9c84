"""What every ERCOT client of one process shares: id tokens, one request schedule, and the yearly files.

ERCOT allows 30 requests a minute per subscription key, token requests included, and a backfill builds one client per
chunk and dataset. Each client fetching its own token, keeping its own schedule (back-to-back clients could then
burst past the limit) and downloading its own copy of a year's file spent the budget badly. So the clients of a
process share one :class:`ErcotShare`:

* :attr:`ErcotShare.tokens` - one id token per credentials (:mod:`.tokens`);
* :meth:`ErcotShare.local_limiter` - one in-process :class:`~energylake.sources.http.RateLimiter` per rate and clock,
  used when no shared schedule is configured; on AWS the client uses the DynamoDB slot schedule every process shares
  instead (:class:`~energylake.sources.shared_limit.SharedRateLimiter`, ``settings.ercot_rate_limit_table``), with the
  one DynamoDB client :meth:`ErcotShare.dynamodb` keeps;
* :attr:`ErcotShare.yearly` - the yearly files' look-ups and the last file per product (:mod:`.yearly`).

A share belongs to a SERVER as much as to a process: the live network (no transport) has one share per process, and
each transport standing in for the network (the sample source of one run, a test's ``httpx.MockTransport``) has its
own, which lives as long as the transport. So an offline run never hands its tokens or its schedule to another, and
tests stay independent of each other without any reset.
"""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING, Any

from energylake.sources.ercot.tokens import TokenCache
from energylake.sources.ercot.yearly import YearlyFiles
from energylake.sources.http import Clock, RateLimiter, Sleep

if TYPE_CHECKING:
    import httpx

__all__ = ["ErcotShare", "ercot_share"]


class ErcotShare:
    """The state ERCOT clients of one process (and one server) share; every method is thread-safe."""

    def __init__(self) -> None:
        self.tokens = TokenCache()
        self.yearly = YearlyFiles()
        self._limiters: dict[tuple[float, Clock, Sleep], RateLimiter] = {}
        self._dynamodb: Any | None = None
        self._lock = threading.Lock()

    def local_limiter(self, per_minute: float, *, clock: Clock, sleep: Sleep) -> RateLimiter:
        """The process's one schedule of ``per_minute`` requests on ``clock`` (a clock of its own, as tests give,
        is a schedule of its own: a sliding window is only meaningful on one clock)."""
        key = (per_minute, clock, sleep)
        with self._lock:
            limiter = self._limiters.get(key)
            if limiter is None:
                limiter = self._limiters[key] = RateLimiter(per_minute, clock=clock, sleep=sleep)
            return limiter

    def dynamodb(self) -> Any:
        """The process's DynamoDB client for the shared schedule (created on first use: boto3 is imported only by
        processes that use the shared schedule)."""
        with self._lock:
            if self._dynamodb is None:
                import boto3

                self._dynamodb = boto3.client("dynamodb")
            return self._dynamodb


_LIVE = ErcotShare()
_BY_TRANSPORT: weakref.WeakKeyDictionary[httpx.BaseTransport, ErcotShare] = weakref.WeakKeyDictionary()
_BY_TRANSPORT_LOCK = threading.Lock()


def ercot_share(transport: httpx.BaseTransport | None) -> ErcotShare:
    """The share of the clients that reach ERCOT through ``transport`` (None: the live network)."""
    if transport is None:
        return _LIVE
    with _BY_TRANSPORT_LOCK:
        share = _BY_TRANSPORT.get(transport)
        if share is None:
            share = _BY_TRANSPORT[transport] = ErcotShare()
        return share
