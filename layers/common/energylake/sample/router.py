"""The ``sample`` source: a deterministic fake of ERCOT and Open-Meteo speaking their exact reply formats.

It is an :class:`httpx.MockTransport` that the REAL clients use in place of the network, so a sample run exercises
the same token flow, paging, retries and parsing as a live one. Every ``throttle_every``-th request gets an HTTP 429
with ``Retry-After: 0`` so the retry path runs too. Routing is by the configured endpoint URLs.

The sample has its own clock (``now``): the MIS listings and dashboards cover the days before ``now``, as the real
ones cover the days before today.
"""

from __future__ import annotations

import datetime as dt
import threading

import httpx

from energylake.sample import ercot, ercot_archive, openmeteo
from energylake.sample.context import DEFAULT_SEED, SampleContext
from energylake.settings import Settings


class SampleServer:
    """Answers requests for every endpoint in ``settings`` with synthetic data in the real formats."""

    def __init__(
        self,
        settings: Settings,
        *,
        now: dt.datetime | None = None,
        throttle_every: int = 0,
        seed: int = DEFAULT_SEED,
    ) -> None:
        self.context = SampleContext(settings, now or dt.datetime.now(dt.UTC), seed)
        self.settings = settings
        self.now = self.context.now
        self.seed = seed
        self.throttle_every = throttle_every
        self.requests: list[httpx.Request] = []
        self._lock = threading.Lock()

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append(request)
            count = len(self.requests)
        if self.throttle_every and count % self.throttle_every == 0:
            return httpx.Response(
                429,
                headers={"Retry-After": "0", "Content-Type": "application/json"},
                json={"error_key": "throttled", "error_message": "Too Many Requests"},
            )
        url = str(request.url)
        s = self.settings
        if url.startswith(s.ercot_token_url):
            return ercot.token_reply(request, self.context)
        if url.startswith(s.ercot_api_url):
            archive = url.startswith(s.ercot_api_url + ercot_archive.ARCHIVE_PREFIX)
            return (ercot_archive.archive_reply if archive else ercot.api_reply)(request, self.context)
        if url.startswith(s.ercot_web_url):
            return ercot.web_reply(request, self.context)
        for base in (
            s.open_meteo_forecast_url,
            s.open_meteo_archive_url,
            s.open_meteo_historical_forecast_url,
        ):
            if url.startswith(base):
                return openmeteo.reply(request, self.context)
        return httpx.Response(404, json={"error": "sample source has no such endpoint", "url": url})
