"""The ERCOT client against a scripted fake ERCOT (httpx.MockTransport): token flow, paging, retries, MIS fallback,
dashboard coverage, rate limit and secret hygiene. No real sleeping: sleep and clock are injected."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from pydantic import SecretStr

from energylake.errors import ConfigurationError, FetchError, MalformedReplyError
from energylake.settings import ErcotCredentials, Settings
from energylake.contracts.raw import RawReply
from energylake.sources.http import FetchStats
from energylake.sources.ercot import ErcotAuthenticationError, ErcotClient
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
        now=lambda: FIXED_NOW,
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
    # GIVEN a window spanning a DST change
    fake = FakeErcot(api_default=page([]))
    client, _ = make_client(fake)
    # WHEN fetched
    groups = fetch_all(client, "spp_dam", Window.parse(start, end))
    # THEN one group per calendar day, each asking for exactly that Central day (from == to)
    asked = [dict(request.url.params) for request in fake.requests_to(API)]
    expected = [str(day) for day in Window.parse(start, end).days()]
    assert [params["deliveryDateFrom"] for params in asked] == expected
    assert all(params["deliveryDateFrom"] == params["deliveryDateTo"] for params in asked)
    assert [str(group[0].day) for group in groups] == expected


# ------------------------------------------------------------------------------------------------ MIS fallback


def mis_listing(*documents: tuple[str, str, str]) -> httpx.Response:
    """A listing in ERCOT's shape from (doc id, friendly name, publish date)."""
    entries = [
        {
            "Document": {
                "DocID": doc_id,
                "FriendlyName": friendly,
                "ConstructedName": f"cdr.00013028.0000000000000000.x.{friendly}.zip",
                "PublishDate": published,
                "ReportTypeID": "13028",
                "Extension": "zip",
            }
        }
        for doc_id, friendly, published in documents
    ]
    return httpx.Response(200, json={"ListDocsByRptTypeRes": {"DocumentList": entries}})


def zip_of(name: str, text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, text)
    return buffer.getvalue()


WIND_CSV = "DELIVERY_DATE,HOUR_ENDING,SYSTEM_WIDE_GEN,DSTFlag\n03/09/2025,1,100.5,N\n03/09/2025,2,101.5,N\n"
WIND_LISTING = mis_listing(
    ("101", "WPPHRLYAVGACTNP4732_csv", "2025-03-09T00:55:08-05:00"),
    ("102", "WPPHRLYAVGACTNP4732_xml", "2025-03-09T00:55:08-05:00"),
    ("103", "WPPHRLYAVGACTNP4732_csv", "2025-03-09T23:55:09-05:00"),
    ("104", "WPPHRLYAVGACTNP4732_csv", "2025-03-08T23:55:09-05:00"),
    ("105", "WPPHRLYAVGACTNP4732_csv", "2025-03-10T00:55:09-05:00"),
)


def mis_download(request: httpx.Request) -> httpx.Response:
    doc_id = request.url.params["doclookupId"]
    return httpx.Response(200, content=zip_of(f"doc{doc_id}.csv", WIND_CSV))


def test_missing_credentials_fall_back_to_mis_and_say_why() -> None:
    # GIVEN no credentials and an MIS listing with csv and xml postings around 2025-03-09
    fake = FakeErcot(web=[WIND_LISTING], web_default=mis_download)
    stats = FetchStats()
    client, _ = make_client(fake, credentials=None, stats=stats)
    # THEN the client says it uses MIS, and why
    origin, reason = client.source_choice
    assert origin == "ercot-mis"
    assert "ENERGYLAKE_ERCOT_USERNAME" in reason
    assert "recent days" in reason
    # WHEN 2025-03-09 is fetched
    groups = fetch_all(client, "wind", Window.parse("2025-03-09", "2025-03-09"))
    # THEN only that day's _csv postings were downloaded, oldest first, each as a checked zip reply
    replies = groups[0]
    assert [reply.extra["doc-id"] for reply in replies] == ["101", "103"]
    assert {reply.origin for reply in replies} == {"ercot-mis"}
    assert {reply.origin_reason for reply in replies} == {reason}
    assert {reply.extension for reply in replies} == {"zip"}
    assert replies[0].url == f"{WEB}/misdownload/servlets/mirDownload"
    assert replies[0].params == {"doclookupId": "101"}
    assert replies[0].extra["publish-date"] == "2025-03-09T00:55:08-05:00"
    assert replies[0].extra["friendly-name"] == "WPPHRLYAVGACTNP4732_csv"
    assert stats.rows == 4  # 2 data lines per CSV
    # AND no token was asked for; the listing was asked once with the report type id
    assert not fake.requests_to(SETTINGS.ercot_token_url)
    listing_requests = fake.requests_to(f"{WEB}/misapp")
    assert [dict(r.url.params) for r in listing_requests] == [{"reportTypeId": "13028"}]


def test_mis_listing_is_fetched_once_per_client() -> None:
    fake = FakeErcot(web=[WIND_LISTING], web_default=mis_download)
    client, _ = make_client(fake, credentials=None)
    fetch_all(client, "wind", Window.parse("2025-03-08", "2025-03-10"))
    assert len(fake.requests_to(f"{WEB}/misapp")) == 1


def test_mis_day_outside_the_listing_names_the_oldest_day_and_the_variables() -> None:
    # GIVEN a listing whose oldest posting is 2025-03-08
    fake = FakeErcot(web=[WIND_LISTING])
    client, _ = make_client(fake, credentials=None)
    # WHEN an older day is asked for THEN the error explains MIS's reach and what to configure
    with pytest.raises(FetchError) as caught:
        fetch_all(client, "wind", Window.parse("2025-01-15", "2025-01-15"))
    message = str(caught.value)
    assert "only recent days" in message
    assert "2025-03-08" in message
    for variable in ("ENERGYLAKE_ERCOT_USERNAME", "ENERGYLAKE_ERCOT_PASSWORD", "ENERGYLAKE_ERCOT_SUBSCRIPTION_KEY"):
        assert variable in message


def test_truncated_zip_is_malformed() -> None:
    # GIVEN a download that stops halfway
    whole = zip_of("doc.csv", WIND_CSV * 50)
    fake = FakeErcot(web=[WIND_LISTING, httpx.Response(200, content=whole[: len(whole) // 2])])
    client, _ = make_client(fake, credentials=None)
    # WHEN/THEN MalformedReplyError naming the document and the download request
    with pytest.raises(MalformedReplyError, match="zip") as caught:
        fetch_all(client, "wind", Window.parse("2025-03-09", "2025-03-09"))
    assert "doclookupId=101" in caught.value.request
    assert "DocID 101" in str(caught.value)


def test_corrupt_zip_member_is_malformed() -> None:
    # GIVEN a zip whose member bytes were damaged (the CRC check fails, the central directory is intact)
    body = bytearray(zip_of("doc.csv", WIND_CSV * 50))
    body[40] ^= 0xFF  # inside the compressed data of the only member
    fake = FakeErcot(web=[WIND_LISTING, httpx.Response(200, content=bytes(body))])
    client, _ = make_client(fake, credentials=None)
    with pytest.raises(MalformedReplyError):
        fetch_all(client, "wind", Window.parse("2025-03-09", "2025-03-09"))


def test_malformed_mis_listing() -> None:
    fake = FakeErcot(web=[httpx.Response(200, text="<html>down for maintenance</html>")])
    client, _ = make_client(fake, credentials=None)
    with pytest.raises(MalformedReplyError, match="not JSON"):
        fetch_all(client, "wind", one_day())


@pytest.mark.parametrize(
    ("dataset", "day", "expected_ids"),
    [
        # real-time: posted during D, plus the posting at 00:05 of D+1 (D's last interval); not 00:20 of D+1
        ("spp_rt", "2024-11-03", ["2", "3", "4"]),
        # day-ahead prices for D post during D-1
        ("spp_dam", "2024-11-04", ["2", "3"]),
        # actual load for D posts during D+1
        ("load_weather_zone", "2024-11-02", ["2", "3"]),
        # forecasts: every vintage posted during D
        ("load_forecast", "2024-11-03", ["2", "3"]),
    ],
)
def test_mis_selection_rule_per_dataset(dataset: Any, day: str, expected_ids: list[str]) -> None:
    # GIVEN postings around 2024-11-03 (the fall-back day: 01:30 appears twice on the wall clock)
    listing = mis_listing(
        ("1", "X_csv", "2024-11-02T23:59:00-05:00"),
        ("2", "X_csv", "2024-11-03T00:05:00-05:00"),
        ("3", "X_csv", "2024-11-03T01:30:00-05:00"),
        ("33", "X_xml", "2024-11-03T01:30:00-05:00"),
        ("4", "X_csv", "2024-11-04T00:05:00-05:00"),
        ("5", "X_csv", "2024-11-04T00:20:00-05:00"),
    )
    fake = FakeErcot(web=[listing], web_default=mis_download)
    client, _ = make_client(fake, credentials=None)
    # WHEN the day is fetched
    groups = fetch_all(client, dataset, Window.parse(day, day))
    # THEN exactly the _csv documents of the documented rule were downloaded, oldest first
    assert [reply.extra["doc-id"] for reply in groups[0]] == expected_ids


# ------------------------------------------------------------------------------------------------ fuel mix


def dashboard(*days: str) -> httpx.Response:
    data = {
        day: {f"{day} 00:04:57-0600": {"Wind": {"gen": 1.0}}, f"{day} 00:09:57-0600": {"Wind": {"gen": 2.0}}}
        for day in days
    }
    return httpx.Response(200, json={"lastUpdated": f"{days[-1]} 00:09:57-0600", "types": ["Wind"], "data": data})


@pytest.mark.parametrize("credentials", [CREDENTIALS, None])
def test_fuel_mix_window_fully_covered(credentials: ErcotCredentials | None) -> None:
    # GIVEN the dashboard holds 2024-11-23 and 2024-11-24
    served = dashboard("2024-11-23", "2024-11-24")
    fake = FakeErcot(web=[served])
    stats = FetchStats()
    client, _ = make_client(fake, credentials=credentials, stats=stats)
    # WHEN the window is exactly those days
    groups = fetch_all(client, "fuel_mix", Window.parse("2024-11-23", "2024-11-24"))
    # THEN one reply, landed under the newest day, with nothing uncovered; no token is needed even with credentials
    assert len(groups) == 1
    (reply,) = groups[0]
    assert reply.day == dt.date(2024, 11, 24)
    assert reply.origin == "ercot-dashboard"
    assert reply.url == f"{WEB}/api/1/services/read/dashboards/fuel-mix.json"
    assert reply.body == served.content
    assert "uncovered-days" not in reply.extra
    assert reply.extra["covered-days"] == "2024-11-23,2024-11-24"
    assert stats.rows == 4
    assert not fake.requests_to(SETTINGS.ercot_token_url)


def test_fuel_mix_window_partly_covered_lists_the_uncovered_days() -> None:
    fake = FakeErcot(web=[dashboard("2024-11-23", "2024-11-24")])
    client, _ = make_client(fake)
    groups = fetch_all(client, "fuel_mix", Window.parse("2024-11-21", "2024-11-23"))
    (reply,) = groups[0]
    assert reply.day == dt.date(2024, 11, 23)
    assert reply.extra["uncovered-days"] == "2024-11-21,2024-11-22"


def test_fuel_mix_window_not_covered_says_which_days_the_dashboard_covers() -> None:
    fake = FakeErcot(web=[dashboard("2024-11-23", "2024-11-24")])
    client, _ = make_client(fake)
    with pytest.raises(FetchError, match="covers only 2024-11-23, 2024-11-24"):
        fetch_all(client, "fuel_mix", Window.parse("2024-10-01", "2024-10-02"))


def test_fuel_mix_without_data_is_malformed() -> None:
    fake = FakeErcot(web=[httpx.Response(200, json={"lastUpdated": "x", "types": []})])
    client, _ = make_client(fake)
    with pytest.raises(MalformedReplyError, match="'data'"):
        fetch_all(client, "fuel_mix", one_day())


# ------------------------------------------------------------------------------------------------ rate limit


def test_the_31st_request_in_a_minute_waits_about_60_seconds() -> None:
    # GIVEN the default 30 requests/minute and an API that answers at once
    settings = Settings(ercot_requests_per_minute=30)
    fake = FakeErcot(api_default=page([]))
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
