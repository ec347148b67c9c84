"""What the ERCOT clients of one process share (sources/ercot/shared.py, tokens.py): one id token per credentials
until it nears expiry, and one request schedule, so that a backfill's many clients spend ERCOT's 30 requests a
minute on data. Against the scripted fake ERCOT (httpx.MockTransport); clients sharing a transport are one process."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from energylake.errors import ErcotAuthenticationError, FetchError
from energylake.settings import ErcotCredentials, Settings
from energylake.sources.ercot.tokens import TokenCache, TokenKey
from energylake.window import Window
from tests.support.fake_ercot import (
    CREDENTIALS,
    SETTINGS,
    FakeErcot,
    fetch_all,
    make_client,
    one_day,
    one_process,
    page,
    token_ok,
)
from tests.support.fakes import FakeClock

TOKEN_URL = SETTINGS.ercot_token_url
ROW = [["HB_NORTH", 21.5]]  # a day with rows (a day answering none would fall back to the archive)


def bearers(fake: FakeErcot) -> list[str]:
    return [request.headers["Authorization"] for request in fake.requests_to(SETTINGS.ercot_api_url)]


# ------------------------------------------------------------------------------------------------ one token


def test_two_clients_of_one_process_send_one_token_request() -> None:
    # GIVEN two clients of one process (one transport, one clock) with the same credentials
    fake = FakeErcot(api_default=page(ROW))
    transport, clock = one_process(fake), FakeClock()
    first, _ = make_client(fake, transport=transport, clock=clock)
    second, _ = make_client(fake, transport=transport, clock=clock)
    # WHEN each fetches a day
    fetch_all(first, "spp_rt", one_day("2024-11-04"))
    fetch_all(second, "spp_rt", one_day("2024-11-05"))
    # THEN one token request served both, and the second client's stats count no token request
    assert len(fake.requests_to(TOKEN_URL)) == 1
    assert (first.stats.requests, second.stats.requests) == (2, 1)
    assert len(set(bearers(fake))) == 1


def test_clients_of_another_process_or_other_credentials_fetch_their_own_token() -> None:
    fake = FakeErcot(token=[token_ok("first"), token_ok("second"), token_ok("third")], api_default=page(ROW))
    transport, clock = one_process(fake), FakeClock()
    other_user = ErcotCredentials("someone-else", SecretStr("another password"), CREDENTIALS.subscription_key)
    # GIVEN a client, one of another user in the same process, and one of the same user in another process
    clients = [
        make_client(fake, transport=transport, clock=clock)[0],
        make_client(fake, transport=transport, clock=clock, credentials=other_user)[0],
        make_client(fake, clock=clock)[0],
    ]
    for client in clients:
        fetch_all(client, "spp_rt", one_day())
    # THEN each fetched its own token
    assert bearers(fake) == ["Bearer first", "Bearer second", "Bearer third"]


def test_an_expired_token_is_renewed_once_for_every_client() -> None:
    # GIVEN a token fetched by one client of a process
    fake = FakeErcot(token=[token_ok("old"), token_ok("new")], api_default=page(ROW))
    transport, clock = one_process(fake), FakeClock()
    first, _ = make_client(fake, transport=transport, clock=clock)
    fetch_all(first, "spp_rt", one_day("2024-11-01"))
    # WHEN 56 minutes later (past the 55 the client keeps a one-hour token) two more clients fetch
    clock.now += 56 * 60
    for day in ("2024-11-02", "2024-11-03"):
        client, _ = make_client(fake, transport=transport, clock=clock)
        fetch_all(client, "spp_rt", one_day(day))
    # THEN the token was renewed once, and both used the renewed one
    assert len(fake.requests_to(TOKEN_URL)) == 2
    assert bearers(fake) == ["Bearer old", "Bearer new", "Bearer new"]


def test_a_401_on_a_cached_token_drops_it_and_renews_once() -> None:
    # GIVEN a process whose cached token ERCOT now refuses (revoked), then accepts the renewed one
    refused = httpx.Response(401, json={"statusCode": 401, "message": "Unauthorized"})
    fake = FakeErcot(token=[token_ok("revoked"), token_ok("renewed")], api=[page(ROW), refused], api_default=page(ROW))
    transport, clock = one_process(fake), FakeClock()
    first, _ = make_client(fake, transport=transport, clock=clock)
    fetch_all(first, "spp_rt", one_day("2024-11-01"))
    # WHEN another client uses the cached token and gets a 401
    second, _ = make_client(fake, transport=transport, clock=clock)
    fetch_all(second, "spp_rt", one_day("2024-11-02"))
    # THEN it dropped the token, fetched one new token and retried once
    assert bearers(fake) == ["Bearer revoked", "Bearer revoked", "Bearer renewed"]
    # AND the next client of the process uses the renewed token without asking again
    third, _ = make_client(fake, transport=transport, clock=clock)
    fetch_all(third, "spp_rt", one_day("2024-11-03"))
    assert len(fake.requests_to(TOKEN_URL)) == 2
    assert bearers(fake)[-1] == "Bearer renewed"


def test_a_second_401_is_an_error_not_a_loop() -> None:
    # GIVEN an API that refuses every token (a wrong subscription key looks like this)
    fake = FakeErcot(api_default=httpx.Response(401, json={"statusCode": 401, "message": "Unauthorized"}))
    transport, clock = one_process(fake), FakeClock()
    first, _ = make_client(fake, transport=transport, clock=clock)
    with pytest.raises(FetchError, match="refused the request twice with HTTP 401"):
        fetch_all(first, "spp_rt", one_day())
    # THEN each client asks for one new token at most, and each request is tried twice
    second, _ = make_client(fake, transport=transport, clock=clock)
    with pytest.raises(FetchError, match="refused the request twice with HTTP 401"):
        fetch_all(second, "spp_rt", one_day())
    assert len(fake.requests_to(SETTINGS.ercot_api_url)) == 4
    assert len(fake.requests_to(TOKEN_URL)) == 3  # the first token, and one renewal per client


def test_a_refused_password_caches_nothing() -> None:
    fake = FakeErcot(token=[httpx.Response(400, json={"error": "invalid_grant"})], api_default=page(ROW))
    transport, clock = one_process(fake), FakeClock()
    first, _ = make_client(fake, transport=transport, clock=clock)
    with pytest.raises(ErcotAuthenticationError):
        fetch_all(first, "spp_rt", one_day())
    # WHEN the endpoint accepts the next attempt THEN the next client gets a token (no failure was cached)
    second, _ = make_client(fake, transport=transport, clock=clock)
    fetch_all(second, "spp_rt", one_day())
    assert len(fake.requests_to(TOKEN_URL)) == 2


def test_threads_needing_a_token_at_once_send_one_request() -> None:
    # GIVEN a token endpoint that takes a while, and eight threads of one process asking for a token together
    cache, clock = TokenCache(), FakeClock()
    key = TokenKey.of(CREDENTIALS, token_url=TOKEN_URL, client_id="app", clock=clock)
    fetched: list[int] = []
    started = threading.Barrier(8)

    def fetch() -> tuple[SecretStr, float]:
        fetched.append(1)
        threading.Event().wait(0.05)
        return SecretStr(f"token-{len(fetched)}"), 3600.0

    tokens: list[str] = []

    def ask() -> None:
        started.wait()
        tokens.append(cache.get(key, fetch).get_secret_value())

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # THEN one fetch, and every thread has its token
    assert fetched == [1]
    assert tokens == ["token-1"] * 8


def test_dropping_a_token_another_client_already_renewed_keeps_the_new_one() -> None:
    cache, clock = TokenCache(), FakeClock()
    key = TokenKey.of(CREDENTIALS, token_url=TOKEN_URL, client_id="app", clock=clock)
    cache.get(key, lambda: (SecretStr("old"), 3600.0))
    assert cache.drop(key, SecretStr("old")) is True
    cache.get(key, lambda: (SecretStr("new"), 3600.0))
    # WHEN a slower client drops the old token it was refused with THEN the new one stays
    assert cache.drop(key, SecretStr("old")) is False
    assert cache.get(key, lambda: (SecretStr("never"), 3600.0)).get_secret_value() == "new"


def test_the_token_key_holds_no_password() -> None:
    key = TokenKey.of(CREDENTIALS, token_url=TOKEN_URL, client_id="app", clock=FakeClock())
    assert CREDENTIALS.password.get_secret_value() not in repr(key) + str(vars(key))


# ------------------------------------------------------------------------------------------------ one schedule


def test_back_to_back_clients_of_one_process_share_one_schedule() -> None:
    # GIVEN 30 requests a minute, and a client that sent 30 (1 token + 29 one-page days)
    settings = Settings(ercot_requests_per_minute=30)
    fake = FakeErcot(api_default=page(ROW))
    transport, clock = one_process(fake), FakeClock()
    first, _ = make_client(fake, transport=transport, clock=clock, settings=settings)
    fetch_all(first, "spp_rt", Window.parse("2024-10-01", "2024-10-29"))
    # WHEN a new client of the same process sends its first request at once
    second, _ = make_client(fake, transport=transport, clock=clock, settings=settings)
    fetch_all(second, "spp_rt", one_day("2024-11-01"))
    # THEN it waited for the minute to pass: 31 requests never go within one minute
    assert len(fake.seen) == 31
    assert fake.seen_at[30] - fake.seen_at[0] == pytest.approx(60.0, abs=0.5)


def test_without_a_table_no_dynamodb_call_is_made(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN no shared-schedule table, and boto3 unusable
    import boto3

    def no_aws(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the local schedule must not touch AWS")

    monkeypatch.setattr(boto3, "client", no_aws)
    fake = FakeErcot(api_default=page(ROW))
    client, _ = make_client(fake, settings=SETTINGS.model_copy(update={"ercot_rate_limit_table": None}))
    # WHEN a day is fetched THEN it goes through the process's own schedule
    fetch_all(client, "spp_rt", one_day())
    assert len(fake.seen) == 2
