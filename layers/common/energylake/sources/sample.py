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

from energylake.settings import Settings

SAMPLE_USERNAME = "sample-user"
SAMPLE_PASSWORD = "sample-password"  # noqa: S105 - a fake credential the sample server accepts
SAMPLE_SUBSCRIPTION_KEY = "sample-subscription-key"


class SampleServer:
    """Answers requests for every endpoint in ``settings`` with synthetic data in the real formats."""

    def __init__(
        self,
        settings: Settings,
        *,
        now: dt.datetime | None = None,
        throttle_every: int = 0,
        seed: int = 20241103,
    ) -> None:
        self.settings = settings
        self.now = now or dt.datetime.now(dt.UTC)
        self.throttle_every = throttle_every
        self.seed = seed
        self.requests: list[httpx.Request] = []
        self._lock = threading.Lock()

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        # Imported here so the sample's data generators load only when the sample is used.
        from energylake.sources import sample_ercot, sample_openmeteo

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
            return sample_ercot.token_reply(request, self)
        if url.startswith(s.ercot_api_url):
            return sample_ercot.api_reply(request, self)
        if url.startswith(s.ercot_web_url):
            return sample_ercot.web_reply(request, self)
        for base in (
            s.open_meteo_forecast_url,
            s.open_meteo_archive_url,
            s.open_meteo_historical_forecast_url,
        ):
            if url.startswith(base):
                return sample_openmeteo.reply(request, self)
        return httpx.Response(404, json={"error": "sample source has no such endpoint", "url": url})
