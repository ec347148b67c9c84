"""The one HTTP policy: timeouts, rate limit, retries with backoff that honour Retry-After."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

import httpx
import pytest

from energylake.errors import FetchError
from energylake.settings import Settings
from energylake.sources.http import (
    PolicedClient,
    RateLimiter,
    RetryPolicy,
    describe_request,
    make_client,
    public_params,
    retry_after_seconds,
)
from tests.support.fakes import FakeClock


def scripted(*steps: httpx.Response | Exception) -> tuple[httpx.Client, list[httpx.Request]]:
    """A client whose transport plays ``steps`` in order (an exception is raised instead of answering)."""
    seen: list[httpx.Request] = []
    remaining = list(steps)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        step = remaining.pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    return httpx.Client(transport=httpx.MockTransport(handler)), seen


def policed(client: httpx.Client, clock: FakeClock, attempts: int = 4) -> PolicedClient:
    return PolicedClient(
        client,
        retry=RetryPolicy(max_attempts=attempts, backoff_base_s=1.0, backoff_max_s=30.0),
        sleep=clock.sleep,
        rng=random.Random(7),
    )


GET = httpx.Request("GET", "https://api.example/report?page=1&subscription-key=TOPSECRET&apikey=KEY2")


def test_429_with_retry_after_waits_at_least_that_long_then_succeeds() -> None:
    clock = FakeClock()
    client, seen = scripted(httpx.Response(429, headers={"Retry-After": "17"}), httpx.Response(200, text="ok"))
    police = policed(client, clock)
    response = police.send(GET)
    assert response.text == "ok"
    assert len(seen) == 2
    assert clock.sleeps[0] >= 17
    assert (police.stats.retries, police.stats.throttled, police.stats.requests) == (1, 1, 2)


@pytest.mark.parametrize(
    "failure",
    [httpx.Response(503), httpx.Response(500), httpx.ReadTimeout("slow"), httpx.ConnectError("refused")],
)
def test_transient_failures_are_retried(failure: httpx.Response | Exception) -> None:
    clock = FakeClock()
    client, seen = scripted(failure, httpx.Response(200, text="ok"))
    assert policed(client, clock).send(GET).status_code == 200
    assert len(seen) == 2


def test_backoff_grows_exponentially_under_a_cap_with_jitter() -> None:
    policy = RetryPolicy(max_attempts=10, backoff_base_s=1.0, backoff_max_s=8.0)
    rng = random.Random(1)
    for attempt, cap in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (7, 8.0)]:
        delays = [policy.delay(attempt, None, rng) for _ in range(200)]
        assert min(delays) >= 0 and max(delays) <= cap
        assert max(delays) > cap / 2  # jitter spreads over the whole range


def test_exhausted_retries_raise_a_clear_error_without_secrets() -> None:
    clock = FakeClock()
    client, seen = scripted(*[httpx.Response(502, text="bad gateway")] * 3)
    with pytest.raises(FetchError) as caught:
        policed(client, clock, attempts=3).send(GET)
    message = str(caught.value)
    assert "gave up after 3 attempts" in message
    assert "HTTP 502" in message
    assert "https://api.example/report?page=1" in message
    assert "TOPSECRET" not in message and "KEY2" not in message
    assert len(seen) == 3 and len(clock.sleeps) == 2


def test_a_client_error_is_returned_not_retried() -> None:
    client, seen = scripted(httpx.Response(400, json={"message": "bad"}))
    assert policed(client, FakeClock()).send(GET).status_code == 400
    assert len(seen) == 1


def test_a_retry_after_beyond_the_backoff_cap_gives_up_at_once_without_sleeping() -> None:
    # GIVEN a server that asks for an hour's wait (a Lambda would time out asleep, with no error and no metrics)
    clock = FakeClock()
    client, seen = scripted(httpx.Response(429, headers={"Retry-After": "3600"}), httpx.Response(200, text="ok"))
    # WHEN the request is sent under a 30 s backoff cap
    with pytest.raises(FetchError, match="asked to wait 3600 s") as caught:
        policed(client, clock).send(GET)
    # THEN it fails now, clearly, after one attempt and no sleep
    assert "gave up after 1 attempts" in str(caught.value)
    assert len(seen) == 1 and clock.sleeps == []


@pytest.mark.parametrize(
    ("failure", "named"),
    [(httpx.ReadTimeout("slow"), r"timed out \(ReadTimeout\)"), (httpx.ConnectError("refused"), "connection failed")],
)
def test_a_network_failure_on_every_attempt_is_a_clear_fetch_error(failure: Exception, named: str) -> None:
    clock = FakeClock()
    client, seen = scripted(failure, failure, failure)
    with pytest.raises(FetchError, match=named):
        policed(client, clock, attempts=3).send(GET)
    assert len(seen) == 3 and len(clock.sleeps) == 2


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = dt.datetime(2024, 11, 3, 12, 0, tzinfo=dt.UTC)
    assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": "5"})) == 5
    dated = httpx.Response(429, headers={"Retry-After": "Sun, 03 Nov 2024 12:00:30 GMT"})
    assert retry_after_seconds(dated, now=now) == 30
    assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": "soon"})) is None
    assert retry_after_seconds(httpx.Response(429)) is None


def test_rate_limiter_holds_the_31st_request_for_the_rest_of_the_minute() -> None:
    clock = FakeClock()
    limiter = RateLimiter(per_minute=30, clock=clock, sleep=clock.sleep)
    waits = [limiter.acquire() for _ in range(31)]
    assert waits[:30] == [0.0] * 30
    assert waits[30] == pytest.approx(60.0)
    clock.now += 60
    assert limiter.acquire() == 0.0


def test_rate_limiter_spaces_requests_in_a_sliding_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter(per_minute=2, clock=clock, sleep=clock.sleep)
    limiter.acquire()
    clock.now += 40
    limiter.acquire()
    assert limiter.acquire() == pytest.approx(20.0)  # the first request leaves the window at t+60


def test_secret_query_parameters_are_never_described_or_stored() -> None:
    assert "TOPSECRET" not in describe_request(GET)
    assert public_params({"page": "1", "apikey": "x", "Ocp-Apim-Subscription-Key": "y", "access_token": "z"}) == {
        "page": "1"
    }


def test_client_has_explicit_connect_and_read_timeouts() -> None:
    settings = Settings(http_connect_timeout_s=3, http_read_timeout_s=45)
    client = make_client(settings)
    assert (client.timeout.connect, client.timeout.read) == (3, 45)


def test_requests_carry_the_rate_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    client, _ = scripted(*[httpx.Response(200)] * 3)
    police = PolicedClient(
        client,
        retry=RetryPolicy(),
        limiter=RateLimiter(per_minute=2, clock=clock, sleep=clock.sleep),
        sleep=clock.sleep,
    )
    send: Callable[[], httpx.Response] = lambda: police.send(GET)  # noqa: E731
    send(), send(), send()
    assert clock.sleeps == [pytest.approx(60.0)]
