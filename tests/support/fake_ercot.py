"""A scripted fake ERCOT for the ERCOT client tests (httpx.MockTransport): token, API and www.ercot.com routes,
each playing a script then a default answer, and a client wired to it with a fake clock (no real sleeping)."""

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


def make_client(
    fake: FakeErcot,
    *,
    credentials: ErcotCredentials | None = CREDENTIALS,
    settings: Settings = SETTINGS,
    clock: FakeClock | None = None,
    stats: FetchStats | None = None,
    now: dt.datetime = FIXED_NOW,
) -> tuple[ErcotClient, FakeClock]:
    clock = clock or FakeClock()
    fake.clock = clock
    client = ErcotClient(
        settings,
        credentials=credentials,
        transport=httpx.MockTransport(fake.handle),
        sleep=clock.sleep,
        clock=clock,
        rng=random.Random(3),
        stats=stats,
        now=lambda: now,
    )
    return client, clock


def one_day(day: str = "2024-11-05") -> Window:
    return Window.parse(day, day)


def fetch_all(client: ErcotClient, dataset: Any, window: Window) -> list[list[RawReply]]:
    return list(client.iter_fetch(dataset, window))


def collect_into(groups: list[list[RawReply]], client: ErcotClient, dataset: Any, window: Window) -> None:
    """Iterate like a caller that lands each group as it arrives (keeps what came before a failure)."""
    for group in client.iter_fetch(dataset, window):
        groups.append(group)
