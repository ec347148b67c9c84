"""The ERCOT client's API door against a scripted fake ERCOT (httpx.MockTransport): paging, token flow, retries,
malformed replies, one request per Central day across DST, rate limit and secret hygiene. No real sleeping: sleep
and clock are injected."""

from __future__ import annotations

import datetime as dt
import json
import logging
from urllib.parse import parse_qs

import httpx
import pytest

from energylake.contracts.raw import RawReply
from energylake.errors import ConfigurationError, FetchError, MalformedReplyError
from energylake.settings import Settings
from energylake.sources.ercot import ErcotAuthenticationError
from energylake.sources.http import FetchStats
from energylake.window import Window
from tests.support.fake_ercot import (
    API,
    CREDENTIALS,
    FIXED_NOW,
    ID_TOKEN,
    PASSWORD,
    RT_PATH,
    SETTINGS,
    SUBSCRIPTION_KEY,
    FakeErcot,
    collect_into,
    fetch_all,
    make_client,
    one_day,
    page,
    token_ok,
)

# ------------------------------------------------------------------------------------------------ API paging


def test_paging_yields_every_page_in_order_with_bytes_untouched() -> None:
    # GIVEN an API report of 3 pages for one day
    pages = [page([["HB_NORTH", 20.5 + n]], page_number=n, total_pages=3) for n in (1, 2, 3)]
    fake = FakeErcot(api=list(pages))
    stats = FetchStats()
    client, _ = make_client(fake, stats=stats)
    # WHEN the day is fetched
    groups = fetch_all(client, "spp_rt", one_day())
    # THEN one group of 3 replies, in page order, each body exactly as served
    assert len(groups) == 1
    replies = groups[0]
    assert [reply.params["page"] for reply in replies] == ["1", "2", "3"]
    assert [reply.body for reply in replies] == [served.content for served in pages]
    assert [reply.extra["page"] for reply in replies] == ["1", "2", "3"]
    assert {reply.extra["total-pages"] for reply in replies} == {"3"}
    assert {reply.extra["report-id"] for reply in replies} == {"NP6-905-CD"}
    first = replies[0]
    assert first.url == f"{API}{RT_PATH}"
    assert "?" not in first.url
    assert first.params == {
        "deliveryDateFrom": "2024-11-05",
        "deliveryDateTo": "2024-11-05",
        "page": "1",
        "size": "1000",
    }
    assert (first.origin, first.source, first.dataset, first.day) == (
        "ercot-api",
        "ercot",
        "spp_rt",
        dt.date(2024, 11, 5),
    )
    assert (first.method, first.status_code, first.extension) == ("GET", 200, "json")
    assert first.fetched_at == FIXED_NOW
    assert first.request_body == b""
    assert stats.rows == 3
    assert stats.requests == 4  # token + 3 pages


def test_api_requests_carry_bearer_token_and_subscription_key() -> None:
    # GIVEN a one-page report
    fake = FakeErcot(api=[page([])])
    client, _ = make_client(fake)
    # WHEN fetched
    fetch_all(client, "spp_dam", one_day())
    # THEN the API request has both auth headers and the token request sends exactly ERCOT's form fields
    api_request = fake.requests_to(API)[0]
    assert api_request.headers["Authorization"] == f"Bearer {ID_TOKEN}"
    assert api_request.headers["Ocp-Apim-Subscription-Key"] == SUBSCRIPTION_KEY
    token_request = fake.requests_to(SETTINGS.ercot_token_url)[0]
    assert token_request.method == "POST"
    form = {name: values[0] for name, values in parse_qs(token_request.content.decode()).items()}
    client_id = SETTINGS.ercot_client_id
    assert form == {
        "grant_type": "password",
        "username": "someone@example.com",
        "password": PASSWORD,
        "response_type": "id_token",
        "scope": f"openid {client_id} offline_access",
        "client_id": client_id,
    }


def test_empty_report_is_one_truthful_reply() -> None:
    # GIVEN a report with no rows (totalPages 0)
    fake = FakeErcot(api=[page([], total_pages=0)])
    client, _ = make_client(fake)
    # WHEN fetched
    groups = fetch_all(client, "load_weather_zone", one_day())
    # THEN exactly one reply (page 1) is yielded, and no second page is asked for
    assert len(groups) == 1
    assert len(groups[0]) == 1
    assert groups[0][0].extra["total-pages"] == "0"
    assert len(fake.requests_to(API)) == 1
    assert groups[0][0].params["operatingDayFrom"] == "2024-11-05"


# ------------------------------------------------------------------------------------------------ token


def test_token_is_cached_across_requests_and_renewed_after_expiry() -> None:
    # GIVEN an API that answers every request with one page
    fake = FakeErcot(api_default=page([["HB_WEST", 1.0]]))
    client, clock = make_client(fake)
    # WHEN two days are fetched back to back
    fetch_all(client, "spp_rt", Window.parse("2024-11-01", "2024-11-02"))
    # THEN one token served both
    assert len(fake.requests_to(SETTINGS.ercot_token_url)) == 1
    # WHEN the clock passes the renewal point (5 minutes before the 1-hour expiry)
    clock.now += 3600 - 300 + 1
    fetch_all(client, "spp_rt", one_day())
    # THEN a new token is fetched
    assert len(fake.requests_to(SETTINGS.ercot_token_url)) == 2


def test_token_without_expires_in_lasts_one_hour() -> None:
    # GIVEN a token reply without expires_in
    fake = FakeErcot(token=[token_ok(expires_in=None), token_ok()], api_default=page([]))
    client, clock = make_client(fake)
    fetch_all(client, "spp_rt", one_day())
    # WHEN 54 minutes pass, the token is still used; after 55+ it is renewed
    clock.now += 54 * 60
    fetch_all(client, "spp_rt", one_day())
    assert len(fake.requests_to(SETTINGS.ercot_token_url)) == 1
    clock.now += 2 * 60
    fetch_all(client, "spp_rt", one_day())
    assert len(fake.requests_to(SETTINGS.ercot_token_url)) == 2


def test_401_renews_the_token_and_retries_once() -> None:
    # GIVEN the API rejects the first token
    fake = FakeErcot(
        token=[token_ok("old-token"), token_ok("new-token")],
        api=[httpx.Response(401, json={"statusCode": 401, "message": "Unauthorized"}), page([["HB_PAN", 3.0]])],
    )
    client, _ = make_client(fake)
    # WHEN a day is fetched
    groups = fetch_all(client, "spp_rt", one_day())
    # THEN a new token was fetched and the retried request used it
    assert len(groups[0]) == 1
    api_requests = fake.requests_to(API)
    assert [r.headers["Authorization"] for r in api_requests] == ["Bearer old-token", "Bearer new-token"]


def test_second_401_is_a_clear_fetch_error() -> None:
    # GIVEN the API rejects every token
    fake = FakeErcot(api_default=httpx.Response(401, json={"statusCode": 401, "message": "Access denied"}))
    client, _ = make_client(fake)
    # WHEN a day is fetched THEN a FetchError with status 401 names the request and the subscription key variable
    with pytest.raises(FetchError, match="HTTP 401") as caught:
        fetch_all(client, "spp_rt", one_day())
    assert caught.value.status_code == 401
    assert "ENERGYLAKE_ERCOT_SUBSCRIPTION_KEY" in str(caught.value)
    assert RT_PATH in caught.value.request
    assert len(fake.requests_to(SETTINGS.ercot_token_url)) == 2


def test_refused_credentials_raise_a_configuration_error_without_the_password() -> None:
    # GIVEN the token endpoint refuses the password (B2C's error reply, which here even echoes it)
    refusal = {"error": "invalid_grant", "error_description": f"AADB2C90225: bad username or password {PASSWORD}"}
    fake = FakeErcot(token=[httpx.Response(400, json=refusal)])
    client, _ = make_client(fake)
    # WHEN a day is fetched THEN ErcotAuthenticationError (a ConfigurationError) names the variables, not the secret
    with pytest.raises(ErcotAuthenticationError) as caught:
        fetch_all(client, "spp_rt", one_day())
    assert isinstance(caught.value, ConfigurationError)
    message = str(caught.value)
    assert "AADB2C90225" in message
    assert "ENERGYLAKE_ERCOT_PASSWORD" in message
    assert PASSWORD not in message
    assert not fake.requests_to(API)


def test_token_reply_without_id_token_is_malformed() -> None:
    # GIVEN a 200 token reply lacking id_token
    fake = FakeErcot(token=[httpx.Response(200, json={"access_token": "abc"})])
    client, _ = make_client(fake)
    # WHEN/THEN MalformedReplyError, and the body is not echoed
    with pytest.raises(MalformedReplyError, match="id_token") as caught:
        fetch_all(client, "spp_rt", one_day())
    assert "abc" not in str(caught.value)


# ------------------------------------------------------------------------------------------------ retries


def test_429_with_retry_after_waits_at_least_that_long_then_succeeds() -> None:
    # GIVEN one throttled answer asking to wait 7 seconds
    throttled = httpx.Response(
        429, headers={"Retry-After": "7"}, json={"error_key": "throttled", "error_message": "Too Many Requests"}
    )
    fake = FakeErcot(api=[throttled, page([["HB_HOUSTON", 9.0]])])
    stats = FetchStats()
    client, clock = make_client(fake, stats=stats)
    # WHEN a day is fetched
    groups = fetch_all(client, "spp_rt", one_day())
    # THEN it succeeds after sleeping at least 7 s, and the retry and throttle are counted
    assert len(groups[0]) == 1
    assert max(clock.sleeps) >= 7
    assert (stats.retries, stats.throttled) == (1, 1)


def test_5xx_then_success() -> None:
    fake = FakeErcot(api=[httpx.Response(503, text="busy"), page([["HB_SOUTH", 1.0]])])
    stats = FetchStats()
    client, _ = make_client(fake, stats=stats)
    groups = fetch_all(client, "spp_rt", one_day())
    assert len(groups[0]) == 1
    assert stats.retries == 1


def test_timeout_then_success() -> None:
    fake = FakeErcot(api=[httpx.ReadTimeout("slow"), page([["HB_SOUTH", 1.0]])])
    stats = FetchStats()
    client, _ = make_client(fake, stats=stats)
    groups = fetch_all(client, "spp_rt", one_day())
    assert len(groups[0]) == 1
    assert stats.retries == 1


def test_retries_exhausted_raise_naming_the_request_and_yield_nothing_of_the_group() -> None:
    # GIVEN day 1 answers fine, and day 2's first page answers but its page 2 keeps failing with 502
    fake = FakeErcot(
        api=[page([["A", 1]])]  # day 1
        + [page([["B", 2]], total_pages=2)]  # day 2, page 1
        + [httpx.Response(502, text="bad gateway")] * 3  # day 2, page 2: every attempt
    )
    client, _ = make_client(fake)
    yielded: list[list[RawReply]] = []
    # WHEN the window is iterated
    with pytest.raises(FetchError) as caught:
        collect_into(yielded, client, "spp_rt", Window.parse("2024-11-01", "2024-11-02"))
    # THEN only day 1's group came out; the error names day 2's page-2 request (no secrets) and the attempts
    assert [group[0].day for group in yielded] == [dt.date(2024, 11, 1)]
    assert "gave up after 3 attempts" in str(caught.value)
    assert "deliveryDateFrom=2024-11-02" in caught.value.request
    assert "page=2" in caught.value.request
    assert SUBSCRIPTION_KEY not in str(caught.value)


def test_other_4xx_is_a_fetch_error_with_ercots_message() -> None:
    envelope = {"timestamp": "2024-11-05T12:00:00", "code": 400, "status": "BAD_REQUEST", "message": "Invalid date"}
    fake = FakeErcot(api=[httpx.Response(400, json=envelope)])
    client, _ = make_client(fake)
    with pytest.raises(FetchError, match="HTTP 400: Invalid date") as caught:
        fetch_all(client, "spp_rt", one_day())
    assert caught.value.status_code == 400
    assert not isinstance(caught.value, MalformedReplyError)


# ------------------------------------------------------------------------------------------------ malformed


@pytest.mark.parametrize(
    ("served", "problem"),
    [
        (httpx.Response(200, text="<html>maintenance</html>"), "not JSON"),
        (httpx.Response(200, json={"data": []}), "missing _meta"),
        (httpx.Response(200, json={"_meta": {"totalPages": 1}}), "missing data"),
        (httpx.Response(200, json=[1, 2]), "not an object"),
        (httpx.Response(200, json={"_meta": {"totalPages": 1}, "data": {"x": 1}}), "not a list"),
        (httpx.Response(200, json={"_meta": {}, "data": []}), "totalPages"),
        (
            httpx.Response(
                200, json={"timestamp": "t", "code": 500, "status": "ERROR", "message": "Report unavailable"}
            ),
            "error envelope.*Report unavailable",
        ),
    ],
)
def test_malformed_api_reply(served: httpx.Response, problem: str) -> None:
    # GIVEN a 200 reply that is not a report page
    fake = FakeErcot(api=[served])
    client, _ = make_client(fake)
    # WHEN/THEN MalformedReplyError naming the request and the problem
    with pytest.raises(MalformedReplyError, match=problem) as caught:
        fetch_all(client, "spp_rt", one_day())
    assert RT_PATH in caught.value.request


# ------------------------------------------------------------------------------------------------ DST


@pytest.mark.parametrize(("start", "end"), [("2024-11-02", "2024-11-04"), ("2024-03-09", "2024-03-11")])
def test_requests_are_one_per_central_operating_day_across_dst(start: str, end: str) -> None:
    # GIVEN a window spanning a DST change, fetched the day after it (the data endpoints' reach)
    fake = FakeErcot(api_default=page([["HB_NORTH", 1.0]]))
    after = dt.datetime.combine(dt.date.fromisoformat(end) + dt.timedelta(days=1), dt.time(12), dt.UTC)
    client, _ = make_client(fake, now=after)
    # WHEN fetched
    groups = fetch_all(client, "spp_dam", Window.parse(start, end))
    # THEN one group per calendar day, each asking for exactly that Central day (from == to)
    asked = [dict(request.url.params) for request in fake.requests_to(API)]
    expected = [str(day) for day in Window.parse(start, end).days()]
    assert [params["deliveryDateFrom"] for params in asked] == expected
    assert all(params["deliveryDateFrom"] == params["deliveryDateTo"] for params in asked)
    assert [str(group[0].day) for group in groups] == expected


# ------------------------------------------------------------------------------------------------ rate limit


def test_the_31st_request_in_a_minute_waits_about_60_seconds() -> None:
    # GIVEN the default 30 requests/minute and an API that answers at once
    settings = Settings(ercot_requests_per_minute=30)
    fake = FakeErcot(api_default=page([["HB_NORTH", 1.0]]))
    client, clock = make_client(fake, settings=settings)
    # WHEN 31 requests go out (1 token + 30 one-page days)
    fetch_all(client, "spp_rt", Window.parse("2024-11-01", "2024-11-30"))
    # THEN the first 30 went at once and the 31st only after ~60 s
    assert len(fake.seen) == 31
    assert fake.seen_at[29] == fake.seen_at[0]
    assert fake.seen_at[30] - fake.seen_at[0] == pytest.approx(60.0, abs=0.5)
    assert sum(clock.sleeps) == pytest.approx(60.0, abs=0.5)


# ------------------------------------------------------------------------------------------------ secrets


def assert_no_secret(text: str) -> None:
    for secret in (PASSWORD, SUBSCRIPTION_KEY, ID_TOKEN):
        assert secret not in text


def test_secrets_never_reach_replies_errors_reprs_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    # GIVEN an API that pages, then fails with an error message echoing the key and token back
    echo = {"statusCode": 403, "message": f"key {SUBSCRIPTION_KEY} with token {ID_TOKEN} is forbidden"}
    fake = FakeErcot(
        api=[
            httpx.Response(401, json={"message": "expired"}),
            page([["HB_NORTH", 1.0]], total_pages=2),
            page([["HB_NORTH", 2.0]], page_number=2, total_pages=2),
            httpx.Response(403, json=echo),
        ]
    )
    client, _ = make_client(fake)
    groups: list[list[RawReply]] = []
    # WHEN two days are fetched (the second fails)
    with pytest.raises(FetchError) as caught:
        collect_into(groups, client, "spp_rt", Window.parse("2024-11-01", "2024-11-02"))
    # THEN no secret is in any reply field, the error, the client's repr or the log
    for reply in groups[0]:
        assert_no_secret(repr(reply))
        assert_no_secret(json.dumps(reply.params) + json.dumps(reply.extra) + reply.url + reply.origin_reason)
        assert_no_secret(reply.request_body.decode())
    assert "HTTP 403" in str(caught.value)
    assert "forbidden" in str(caught.value)
    assert_no_secret(str(caught.value) + caught.value.request + repr(caught.value))
    assert_no_secret(repr(client))
    assert_no_secret(caplog.text)
    assert caplog.records  # the client did log: the check above looked at real lines


def test_secret_echoed_by_an_exhausted_retry_is_redacted() -> None:
    # GIVEN the token endpoint keeps failing with a 500 whose body echoes the password
    failing = httpx.Response(500, text=f"internal error for password={PASSWORD}")
    fake = FakeErcot(token=[failing, failing, failing])
    client, _ = make_client(fake)
    # WHEN/THEN the FetchError after the last attempt does not carry the password
    with pytest.raises(FetchError, match="gave up after 3 attempts") as caught:
        fetch_all(client, "spp_rt", one_day())
    assert PASSWORD not in str(caught.value)
    assert "***" in str(caught.value)


def test_credentials_repr_and_client_repr_hide_secrets() -> None:
    client, _ = make_client(FakeErcot())
    assert_no_secret(repr(CREDENTIALS) + repr(client) + repr(client.source_choice))
    assert client.source_choice[0] == "ercot-api"
