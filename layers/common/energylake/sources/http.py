"""One HTTP policy for every source: explicit timeouts, a client-side rate limit, and retries with
exponential backoff and full jitter on 429/5xx/timeouts that honour ``Retry-After``.

Clients build an :class:`httpx.Client` with :func:`make_client` and send every request through
:meth:`PolicedClient.send`; after the last attempt it raises :class:`~energylake.errors.FetchError` naming the
request (never its secrets).
"""

from __future__ import annotations

import collections
import datetime as dt
import email.utils
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, Self
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from energylake.errors import FetchError
from energylake.settings import Settings

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Query parameters that may carry a secret: never logged, stored or put in an error.
_SECRET_PARAM_WORDS = ("key", "token", "password", "secret", "apikey", "signature")


@dataclass
class FetchStats:
    """Counters a client keeps while it works; handlers turn them into metrics."""

    requests: int = 0
    retries: int = 0
    bytes_received: int = 0
    rows: int = 0
    throttled: int = 0
    reused: int = 0  # documents taken from the lake instead of downloaded again (they never change once posted)


Clock = Callable[[], float]
Sleep = Callable[[float], None]


def is_secret_param(name: str) -> bool:
    lowered = name.lower().replace("-", "").replace("_", "")
    return any(word in lowered for word in _SECRET_PARAM_WORDS)


def public_params(params: dict[str, str]) -> dict[str, str]:
    """The query parameters that are safe to store: secret-looking ones are dropped."""
    return {name: value for name, value in params.items() if not is_secret_param(name)}


def describe_request(request: httpx.Request) -> str:
    """``GET https://host/path?query`` with secret query parameters removed."""
    parts = urlsplit(str(request.url))
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if not is_secret_param(k)])
    return f"{request.method} {urlunsplit((parts.scheme, parts.netloc, parts.path, query, ''))}"


def retry_after_seconds(response: httpx.Response, now: dt.datetime | None = None) -> float | None:
    """Seconds the server asked us to wait (``Retry-After`` as seconds or an HTTP date), if it said."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0
    retry_statuses: frozenset[int] = RETRY_STATUSES

    def delay(self, attempt: int, retry_after_s: float | None, rng: random.Random) -> float:
        """Wait before attempt ``attempt + 1``: full jitter over an exponential cap, never less than the
        server's ``Retry-After`` (a server that names its wait knows best; retrying sooner only earns another
        429). :class:`PolicedClient` gives up instead when that wait exceeds ``backoff_max_s``."""
        cap = min(self.backoff_max_s, self.backoff_base_s * (2 ** (attempt - 1)))
        jittered = rng.uniform(0, cap)
        return max(jittered, retry_after_s) if retry_after_s is not None else jittered


class Limiter(Protocol):
    """A request schedule: :meth:`acquire` blocks until the next request may go (an in-process
    :class:`RateLimiter`, or :class:`~energylake.sources.shared_limit.SharedRateLimiter` shared by processes)."""

    def acquire(self) -> float:
        """Block until a request may go; returns the seconds waited."""
        ...


@dataclass
class RateLimiter:
    """At most ``per_minute`` requests in any sliding 60-second window (thread-safe)."""

    per_minute: float
    clock: Clock = time.monotonic
    sleep: Sleep = time.sleep
    _sent: collections.deque[float] = field(default_factory=collections.deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def acquire(self) -> float:
        """Block until a request may go; returns the seconds waited."""
        waited = 0.0
        limit = max(1, int(self.per_minute))
        window_s = 60.0 * limit / self.per_minute  # a fractional rate stretches the window
        with self._lock:
            while True:
                now = self.clock()
                while self._sent and now - self._sent[0] >= window_s:
                    self._sent.popleft()
                if len(self._sent) < limit:
                    self._sent.append(now)
                    return waited
                pause = window_s - (now - self._sent[0])
                self.sleep(pause)
                waited += pause


def make_timeout(settings: Settings) -> httpx.Timeout:
    return httpx.Timeout(
        connect=settings.http_connect_timeout_s,
        read=settings.http_read_timeout_s,
        write=settings.http_read_timeout_s,
        pool=settings.http_connect_timeout_s,
    )


def make_client(settings: Settings, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """An httpx client with the project's timeouts. ``transport`` swaps in the sample source or a test double."""
    return httpx.Client(
        timeout=make_timeout(settings),
        transport=transport,
        follow_redirects=True,
        headers={"User-Agent": "energylake/0.1 (+https://github.com/energylake)"},
    )


def retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=settings.http_max_attempts,
        backoff_base_s=settings.http_backoff_base_s,
        backoff_max_s=settings.http_backoff_max_s,
    )


class PolicedClient:
    """Sends requests under one :class:`RetryPolicy` and an optional :class:`Limiter`."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        retry: RetryPolicy,
        limiter: Limiter | None = None,
        sleep: Sleep = time.sleep,
        rng: random.Random | None = None,
        stats: FetchStats | None = None,
    ) -> None:
        self.client = client
        self.retry = retry
        self.limiter = limiter
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.stats = stats if stats is not None else FetchStats()

    def send(self, request: httpx.Request) -> httpx.Response:
        """Send ``request``, retrying transient failures. Returns the last response whatever its status when
        it is not retryable (the caller decides what a 4xx means); raises FetchError when attempts run out, or
        at once when the server asks for a wait longer than ``backoff_max_s`` (a Lambda would time out asleep)."""
        description = describe_request(request)
        last_problem = "no attempt made"
        for attempt in range(1, self.retry.max_attempts + 1):
            if self.limiter is not None:
                self.limiter.acquire()
            self.stats.requests += 1
            retry_after: float | None = None
            try:
                response = self.client.send(request)
                response.read()
            except httpx.TimeoutException as exc:
                last_problem = f"timed out ({type(exc).__name__})"
            except httpx.TransportError as exc:
                last_problem = f"connection failed ({type(exc).__name__}: {exc})"
            else:
                self.stats.bytes_received += len(response.content)
                if response.status_code not in self.retry.retry_statuses:
                    return response
                if response.status_code == 429:
                    self.stats.throttled += 1
                retry_after = retry_after_seconds(response)
                last_problem = f"HTTP {response.status_code}{_short_body(response)}"
                if retry_after is not None and retry_after > self.retry.backoff_max_s:
                    last_problem += f" (the server asked to wait {retry_after:.0f} s)"
                    break
            if attempt == self.retry.max_attempts:
                break
            self.stats.retries += 1
            self.sleep(self.retry.delay(attempt, retry_after, self.rng))
        raise FetchError(f"gave up after {attempt} attempts; last: {last_problem}", request=description)


def _short_body(response: httpx.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return f": {text[:200]}" if text else ""


class HttpClientOwner:
    """A source client that owns an :class:`httpx.Client` behind the shared policy: ``close()`` and the
    context-manager protocol."""

    _http: httpx.Client
    _policed: PolicedClient
    stats: FetchStats

    def _open_http(
        self,
        settings: Settings,
        *,
        requests_per_minute: float,
        transport: httpx.BaseTransport | None,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
        rng: random.Random | None,
        stats: FetchStats | None,
        limiter: Limiter | None = None,
    ) -> None:
        """The owned client, behind retries and ONE rate limiter for every request to the source (token calls
        included: a source's budget is per key): ``limiter`` when the source shares one beyond this client, else a
        new :class:`RateLimiter` of ``requests_per_minute``."""
        self.stats = stats if stats is not None else FetchStats()
        self._http = make_client(settings, transport)
        self._policed = PolicedClient(
            self._http,
            retry=retry_policy(settings),
            limiter=limiter if limiter is not None else RateLimiter(requests_per_minute, clock=clock, sleep=sleep),
            sleep=sleep,
            rng=rng,
            stats=self.stats,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
