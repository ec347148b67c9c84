"""A scripted fake ERCOT for the ERCOT client tests (httpx.MockTransport): token, API and www.ercot.com routes,
each playing a script then a default answer, and a client wired to it with a fake clock (no real sleeping).

Clients of one process share their token, schedule and yearly files per transport (sources/ercot/shared.py): each
:func:`make_client` gets a transport of its own (a fresh process) unless it is given one (``transport=``, e.g. from
:func:`one_process`) to share with other clients."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import SecretStr

from energylake.contracts.raw import RawReply
from energylake.settings import ErcotCredentials, Settings
from energylake.sources.ercot import ErcotClient
from energylake.sources.http import FetchStats
from energylake.window import Window
from tests.support.fakes import FakeClock

PASSWORD = "pw-Sup3r-S3cret!"
SUBSCRIPTION_KEY = "key0123456789abcdef0123456789abcd"
ID_TOKEN = "eyJhbGciOiJSUzI1NiJ9.id-token-payload.signature-XYZ"
CREDENTIALS = ErcotCredentials("someone@example.com", SecretStr(PASSWORD), SecretStr(SUBSCRIPTION_KEY))
SETTINGS = Settings(ercot_page_size=1000, http_max_attempts=3, http_backoff_base_s=1.0, http_backoff_max_s=8.0)
API = SETTINGS.ercot_api_url
WEB = SETTINGS.ercot_web_url
RT_PATH = "/np6-905-cd/spp_node_zone_hub"
FIXED_NOW = dt.datetime(2024, 11, 5, 12, 0, tzinfo=dt.UTC)


def page(rows: list[list[Any]], *, page_number: int = 1, total_pages: int = 1) -> httpx.Response:
    document = {
        "_meta": {"totalRecords": len(rows), "pageSize": 1000, "totalPages": total_pages, "currentPage": page_number},
        "report": {"reportEMIL": "NP6-905-CD"},
        "fields": [{"name": "settlementPoint"}, {"name": "settlementPointPrice"}],
        "data": rows,
    }
    return httpx.Response(200, json=document)


def token_ok(token: str = ID_TOKEN, expires_in: str | None = "3600") -> httpx.Response:
    document: dict[str, Any] = {"access_token": token, "id_token": token, "token_type": "Bearer"}
    if expires_in is not None:
        document["expires_in"] = expires_in
    return httpx.Response(200, json=document)


Answer = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


@dataclass
class FakeErcot:
    """Routes token, API and www.ercot.com requests; each route plays a script, then its default answer."""

    api: list[Answer] = field(default_factory=list)
    token: list[Answer] = field(default_factory=list)
    web: list[Answer] = field(default_factory=list)
    api_default: Answer | None = None
    web_default: Answer | None = None
    clock: FakeClock | None = None
    seen: list[httpx.Request] = field(default_factory=list)
    seen_at: list[float] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        self.seen_at.append(self.clock() if self.clock else 0.0)
        url = str(request.url)
        if url.startswith(SETTINGS.ercot_token_url):
            answer: Answer | None = self.token.pop(0) if self.token else token_ok()
        elif url.startswith(API):
            answer = self.api.pop(0) if self.api else self.api_default
        else:
            answer = self.web.pop(0) if self.web else self.web_default
        if answer is None:
            return httpx.Response(404, json={"message": "no script"})
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        return answer(request)

    def requests_to(self, prefix: str) -> list[httpx.Request]:
        return [request for request in self.seen if str(request.url).startswith(prefix)]


def one_process(fake: FakeErcot) -> httpx.MockTransport:
    """A transport to the fake that several clients can share, as the clients of one process share the network."""
    return httpx.MockTransport(fake.handle)


def make_client(
    fake: FakeErcot,
    *,
    credentials: ErcotCredentials | None = CREDENTIALS,
    settings: Settings = SETTINGS,
    clock: FakeClock | None = None,
    stats: FetchStats | None = None,
    now: dt.datetime | Callable[[], dt.datetime] = FIXED_NOW,
    transport: httpx.MockTransport | None = None,
) -> tuple[ErcotClient, FakeClock]:
    """A client of ``fake`` on a fake clock; ``now`` a fixed instant or a wall clock; ``transport`` shared with
    other clients (:func:`one_process`), else a new one (a process of its own)."""
    clock = clock or FakeClock()
    fake.clock = clock
    client = ErcotClient(
        settings,
        credentials=credentials,
        transport=transport or one_process(fake),
        sleep=clock.sleep,
        clock=clock,
        rng=random.Random(3),
        stats=stats,
        now=now if callable(now) else lambda: now,
    )
    return client, clock


def wall_clock(clock: FakeClock, start: dt.datetime = FIXED_NOW) -> Callable[[], dt.datetime]:
    """A wall clock that moves with ``clock`` (what the shared schedule's epoch slots are read on)."""
    origin = clock()
    return lambda: start + dt.timedelta(seconds=clock() - origin)


def one_day(day: str = "2024-11-05") -> Window:
    return Window.parse(day, day)


def fetch_all(client: ErcotClient, dataset: Any, window: Window) -> list[list[RawReply]]:
    return list(client.iter_fetch(dataset, window))


def collect_into(groups: list[list[RawReply]], client: ErcotClient, dataset: Any, window: Window) -> None:
    """Iterate like a caller that lands each group as it arrives (keeps what came before a failure)."""
    for group in client.iter_fetch(dataset, window):
        groups.append(group)
