"""The ERCOT client: three doors, one contract.

* **ercot-api** - ERCOT's Public Reports API (token + subscription key), queried one Central operating day at a time
  and paged until ``_meta.totalPages``; the rows received must add up to page 1's ``_meta.totalRecords`` (a reply
  whose page count lies fails the fetch rather than landing a partial day). Used whenever credentials are configured.
* **ercot-mis** - the no-login MIS document listing and zip downloads. Used when no credentials are configured; it
  covers only the last few days (a rolling window), so older days fail with an error naming the variables to set.
* **ercot-dashboard** - the no-login ``fuel-mix.json`` dashboard (the API has no fuel mix); it covers only the
  previous and the current day.
* **ercot-archive** - the API's archive endpoints (:mod:`.archive`: posted documents listed by posting time, bulk
  downloads), for days older than the data endpoints serve, and for a day they answer without rows.

:meth:`ErcotClient.iter_fetch` yields one complete, checked group of :class:`~energylake.contracts.raw.RawReply` per
unit of work. Every request goes through the project's HTTP policy (timeouts, retries on 429/5xx/timeouts honouring
``Retry-After``) and one rate limiter shared by the token, API, MIS and dashboard requests.

ERCOT's budget is per key, not per client: the clients of a process share their id token (one per credentials,
renewed 5 minutes before it expires), their request schedule (the process's one limiter; on AWS, whenever
``settings.ercot_rate_limit_table`` is set, the DynamoDB slot schedule every process shares) and the yearly files
(:mod:`.shared`).

Errors: a reply that arrived but is not what ERCOT promises raises :class:`~energylake.errors.MalformedReplyError`;
any other failure of a request raises :class:`~energylake.errors.FetchError`; credentials the token endpoint refuses
raise :class:`~energylake.errors.ErcotAuthenticationError`, a :class:`~energylake.errors.ConfigurationError`
(retrying cannot fix a wrong password, so it is a configuration problem, not a fetch problem). No message, log line,
reply field or repr ever carries the password, the subscription key or a token.

The client is here; the pure functions of the no-login doors are in :mod:`.mis` (listings, document selection, zip
checks) and :mod:`.dashboards` (dashboard shape and coverage), re-exported here.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
from pydantic import SecretStr

from energylake.contracts.datasets import (
    CATALOG,
    Dataset,
    ErcotApiReport,
    ErcotDashboard,
    ErcotDatasetName,
    ErcotDoor,
)
from energylake.contracts.raw import Extension, LandedBody, Origin, RawReply
from energylake.errors import (
    ConfigurationError,
    ErcotAuthenticationError,
    FetchError,
    InvalidRequestError,
    MalformedReplyError,
)
from energylake.settings import ErcotCredentials, Settings
from energylake.sources.ercot.archive import ArchiveDoor, api_json_object, fallback_reason
from energylake.sources.ercot.dashboards import DASHBOARD_PATH, DashboardCoverage, dashboard_coverage, parse_dashboard
from energylake.sources.ercot.doors import ercot_door, unreachable_reason
from energylake.sources.ercot.mis import (
    MIS_DOWNLOAD_PATH,
    MIS_LISTING_PATH,
    SPP_RT_NEXT_DAY_GRACE,
    MisDocument,
    ZipProblemError,
    check_zip,
    mis_days_available,
    mis_days_served,
    mis_posting_instants,
    parse_mis_listing,
    select_mis_documents,
    zip_problem,
)
from energylake.sources.ercot.shared import ErcotShare, ercot_share
from energylake.sources.ercot.tokens import DEFAULT_TOKEN_LIFETIME_S, TOKEN_RENEW_MARGIN_S, TokenKey
from energylake.sources.ercot.yearly import YearlyDoor
from energylake.sources.http import (
    FetchStats,
    HttpClientOwner,
    Limiter,
    describe_request,
    public_params,
)
from energylake.sources.shared_limit import SharedRateLimiter
from energylake.timeconv import central_today, utc_now
from energylake.window import Window

__all__ = [
    "API_REASON",
    "CREDENTIAL_VARIABLES",
    "DASHBOARD_PATH",
    "DASHBOARD_REASON",
    "DEFAULT_TOKEN_LIFETIME_S",
    "MIS_DOWNLOAD_PATH",
    "MIS_LISTING_PATH",
    "MIS_REASON",
    "SPP_RT_NEXT_DAY_GRACE",
    "TOKEN_RENEW_MARGIN_S",
    "DashboardCoverage",
    "ErcotAuthenticationError",
    "ErcotClient",
    "MisDocument",
    "dashboard_coverage",
    "mis_days_available",
    "mis_days_served",
    "parse_dashboard",
    "parse_mis_listing",
    "select_mis_documents",
    "zip_problem",
]

logger = logging.getLogger(__name__)

CREDENTIAL_VARIABLES = (
    "ENERGYLAKE_ERCOT_USERNAME, ENERGYLAKE_ERCOT_PASSWORD, ENERGYLAKE_ERCOT_SUBSCRIPTION_KEY "
    "(or ENERGYLAKE_ERCOT_SECRET_ARN on AWS)"
)
API_REASON = "ERCOT API credentials are configured: the Public Reports API serves any day since 2023-12-11"
MIS_REASON = (
    f"no ERCOT API credentials configured (set {CREDENTIAL_VARIABLES}); MIS public files cover only recent days"
)
DASHBOARD_REASON = (
    "ERCOT's Public Reports API has no fuel mix: the no-login fuel-mix dashboard is the source "
    "(it covers only the previous and the current day)"
)

# The item of the shared schedule's table: ERCOT's budget is one per subscription key, and the stack has one key.
SHARED_LIMIT_NAME = "ercot"


# ---------------------------------------------------------------------------------------------------------------
# The client
# ---------------------------------------------------------------------------------------------------------------


def _door_spans(doors: dict[dt.date, ErcotDoor | None]) -> Iterator[tuple[ErcotDoor, Window]]:
    """Consecutive days of one door, as windows, in day order."""
    days = sorted(day for day, door in doors.items() if door is not None)
    start = previous = None
    current: ErcotDoor | None = None
    for day in days:
        door = doors[day]
        if current is not None and start is not None and previous is not None:
            if door == current and day == previous + dt.timedelta(days=1):
                previous = day
                continue
            yield current, Window(start, previous)
        start = previous = day
        current = door
    if current is not None and start is not None and previous is not None:
        yield current, Window(start, previous)


class ErcotClient(HttpClientOwner):
    """Fetches ERCOT datasets as checked raw replies; see the module docstring for the three doors."""

    def __init__(
        self,
        settings: Settings,
        *,
        credentials: ErcotCredentials | None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        stats: FetchStats | None = None,
        now: Callable[[], dt.datetime] | None = None,
        landed: LandedBody | None = None,
    ) -> None:
        self._settings = settings
        self._landed = landed  # what the lake already holds: archive documents are not downloaded twice
        self._credentials = credentials
        self._clock = clock
        self._now = now or utc_now
        self._share: ErcotShare = ercot_share(transport)
        # ERCOT's 30/minute budget is per key: the one limiter covers token calls too, and every client shares it.
        self._open_http(
            settings,
            requests_per_minute=settings.ercot_requests_per_minute,
            transport=transport,
            sleep=sleep,
            clock=clock,
            rng=rng,
            stats=stats,
            limiter=self._limiter(sleep=sleep, clock=clock),
        )
        self._token: SecretStr | None = None  # the last token this client used (redacted from every message)
        self._mis_listings: dict[int, tuple[list[MisDocument], dict[str, str]]] = {}
        self._archive: ArchiveDoor | None = None
        self._yearly: YearlyDoor | None = None

    def _limiter(self, *, sleep: Callable[[float], None], clock: Callable[[], float]) -> Limiter:
        """The schedule every ERCOT request of this process keeps: the DynamoDB one all processes share when
        ``settings.ercot_rate_limit_table`` is set (on AWS), else the process's own."""
        per_minute = self._settings.ercot_requests_per_minute
        table = self._settings.ercot_rate_limit_table
        if table:
            return SharedRateLimiter(
                table,
                SHARED_LIMIT_NAME,
                per_minute,
                dynamodb=self._share.dynamodb(),
                wall_clock=lambda: self._now().timestamp(),  # slots are epoch instants: the client's wall clock
                sleep=sleep,
            )
        return self._share.local_limiter(per_minute, clock=clock, sleep=sleep)

    def __repr__(self) -> str:
        door, _ = self.source_choice
        return f"ErcotClient(door={door!r}, api={self._settings.ercot_api_url!r})"

    @property
    def source_choice(self) -> tuple[Origin, str]:
        """Which door API reports go through, and why (fuel_mix always uses the dashboard)."""
        if self._credentials is not None:
            return "ercot-api", API_REASON
        return "ercot-mis", MIS_REASON

    # -- the contract ----------------------------------------------------------------------------------------

    def iter_fetch(self, dataset: ErcotDatasetName, window: Window) -> Iterator[list[RawReply]]:
        """One complete, checked group of replies per unit of work (an operating day; the whole window for the
        dashboard; a posting day for the archive's forecasts; a year for a yearly file).

        Each operating day goes through the door :func:`~energylake.sources.ercot.doors.ercot_door` chooses; a day
        the data endpoints should serve but answer with no rows falls back to the archive. A failure anywhere in a
        group raises before any reply of that group is yielded.
        """
        entry = CATALOG.get(dataset)
        if entry is None or entry.source != "ercot":
            raise InvalidRequestError(f"{dataset!r} is not an ERCOT dataset")
        today = central_today(self._now())
        credentials = self._credentials is not None
        doors = {day: ercot_door(entry, day, today=today, credentials=credentials) for day in window.days()}
        if entry.dashboard is not None and "ercot-dashboard" in doors.values():
            # The dashboard answers for the window as a whole (it notes the days it does not cover).
            yield self._fetch_dashboard(dataset, entry.dashboard, window)
            doors = {day: door for day, door in doors.items() if door not in (None, "ercot-dashboard")}
        unreachable = [day for day, door in doors.items() if door is None]
        if unreachable:
            raise FetchError(
                unreachable_reason(entry, unreachable[0], today=today, credentials=credentials)
                + f" ({len(unreachable)} day(s) of {window} unreachable; fetch a window a door reaches)",
                request=f"{dataset} {window}",
            )
        for door, span in _door_spans(doors):
            if door == "ercot-archive":
                yield from self._archive_door().iter_fetch(dataset, entry, span)
            elif door == "ercot-yearly":
                yield from self._yearly_door().iter_fetch(dataset, entry, span)
            elif entry.api is None:
                raise InvalidRequestError(f"ERCOT dataset {dataset!r} has no API report for door {door}")
            elif door == "ercot-mis":
                for day in span.days():
                    yield self._fetch_mis_day(dataset, entry.api, day)
            else:
                yield from self._fetch_api_days(dataset, entry, span, today=today)

    def _fetch_api_days(
        self, dataset: ErcotDatasetName, entry: Dataset, window: Window, *, today: dt.date
    ) -> Iterator[list[RawReply]]:
        """The data endpoints, one operating day at a time; a day that answers no rows although the archive holds
        it (a gap, or a day just past the endpoints' reach) comes from the archive instead."""
        assert entry.api is not None
        for day in window.days():  # Central operating days: the API's date filters are Central calendar days
            group, rows = self._fetch_api_day(dataset, entry.api, day)
            archived = entry.archive is not None and entry.archive.first_day <= day < today
            if rows == 0 and archived:
                logger.info("ERCOT API %s %s answered no rows: trying the archive", entry.api.report_id, day)
                archive_door = self._archive_door()
                from_archive = list(
                    archive_door.iter_fetch(dataset, entry, Window(day, day), reason=fallback_reason(day))
                )
                # An archive without the day's documents either: the data endpoint's empty answer stands.
                yield from from_archive or [group]
            else:
                yield group

    def _archive_door(self) -> ArchiveDoor:
        """The archive door, sharing this client's HTTP policy, rate limiter, token and clock."""
        if self._archive is None:
            self._archive = ArchiveDoor(self)
        return self._archive

    def _yearly_door(self) -> YearlyDoor:
        """The yearly-files door, sharing this client's HTTP policy, rate limiter and clock, and the process's
        yearly look-ups and files."""
        if self._yearly is None:
            self._yearly = YearlyDoor(self)
        return self._yearly

    # -- API -------------------------------------------------------------------------------------------------

    def _fetch_api_day(
        self, dataset: ErcotDatasetName, report: ErcotApiReport, day: dt.date
    ) -> tuple[list[RawReply], int]:
        """All pages of one operating day, and how many rows they hold; a MalformedReplyError when they hold fewer
        rows than page 1's ``_meta.totalRecords`` announced (nothing of the day is yielded then)."""
        url = f"{self._settings.ercot_api_url}{report.path}"
        replies: list[RawReply] = []
        rows = 0
        page = 1
        total_pages = 1
        total_records = 0
        while True:
            params = {
                report.date_from_param: day.isoformat(),
                report.date_to_param: day.isoformat(),
                "page": str(page),
                "size": str(self._settings.ercot_page_size),
            }
            request, response = self._send_api("GET", url, params)
            data, page_total, page_records = self._check_api_page(request, response)
            if page == 1:
                # Later pages may disagree if ERCOT posts meanwhile: page 1 decides.
                total_pages, total_records = page_total, page_records
            rows += len(data)
            replies.append(
                self._reply(
                    request,
                    response,
                    dataset=dataset,
                    day=day,
                    origin="ercot-api",
                    reason=API_REASON,
                    url=url,
                    params=params,
                    extension="json",
                    extra={"page": str(page), "total-pages": str(total_pages), "report-id": report.report_id},
                )
            )
            if page >= total_pages:  # totalPages 0: an empty report, page 1 is the whole (truthful) answer
                break
            page += 1
        if rows < total_records:
            # More rows than announced is ERCOT posting while we paged (the quality gate judges those); fewer means
            # pages we never asked for: landing them would seal a partial day as if it were whole.
            raise MalformedReplyError(
                f"ERCOT API {report.report_id} {day}: page 1's _meta.totalRecords says {total_records:,} rows but "
                f"the {len(replies)} page(s) its _meta.totalPages announced held {rows:,} (page {page} of "
                f"{total_pages} was the last asked for); nothing of the day was landed, fetch it again later",
                request=describe_request(request),
                status_code=200,
            )
        self.stats.rows += rows
        logger.info("ERCOT API %s %s: %d pages, %d rows", report.report_id, day, len(replies), rows)
        return replies, rows

    def _send_api(
        self,
        method: str,
        url: str,
        params: dict[str, str],
        *,
        body: bytes = b"",
        accept: str = "application/json",
    ) -> tuple[httpx.Request, httpx.Response]:
        """Send an authenticated API request (``body``: a JSON request body); a 401 renews the token and retries
        once. Anything but HTTP 200 raises FetchError."""
        request = self._api_request(method, url, params, body=body, accept=accept)
        response = self._send(request)
        if response.status_code == 401:
            logger.info("ERCOT API answered 401 for %s: renewing the token once", describe_request(request))
            refused = self._token
            if refused is not None:  # forget it for every client of the process (unless one already renewed it)
                self._share.tokens.drop(self._token_key(), refused)
            request = self._api_request(method, url, params, body=body, accept=accept)
            response = self._send(request)
            if response.status_code == 401:
                raise FetchError(
                    "ERCOT API refused the request twice with HTTP 401 even with a fresh token: check "
                    f"ENERGYLAKE_ERCOT_SUBSCRIPTION_KEY and the API account ({self._server_message(response)})",
                    request=describe_request(request),
                    status_code=401,
                )
        if response.status_code != 200:
            hint = " (ERCOT's API blocks non-US addresses and unsubscribed keys)" if response.status_code == 403 else ""
            raise FetchError(
                f"ERCOT API answered HTTP {response.status_code}{hint}: {self._server_message(response)}",
                request=describe_request(request),
                status_code=response.status_code,
            )
        return request, response

    def _api_request(
        self, method: str, url: str, params: dict[str, str], *, body: bytes = b"", accept: str = "application/json"
    ) -> httpx.Request:
        credentials = self._require_credentials()
        headers = {
            "Authorization": f"Bearer {self._id_token().get_secret_value()}",
            "Ocp-Apim-Subscription-Key": credentials.subscription_key.get_secret_value(),
            "Accept": accept,
        }
        if body:
            headers["Content-Type"] = "application/json"
        return self._http.build_request(method, url, params=params, headers=headers, content=body or None)

    def _check_api_page(self, request: httpx.Request, response: httpx.Response) -> tuple[list[Any], int, int]:
        """The rows, ``totalPages`` and ``totalRecords`` of a well-formed API page; MalformedReplyError otherwise."""

        def malformed(problem: str) -> MalformedReplyError:
            return MalformedReplyError(
                f"ERCOT API reply is malformed: {problem}", request=describe_request(request), status_code=200
            )

        try:
            document = api_json_object(response.content, "the page", self._redact)
        except ValueError as problem:
            raise malformed(str(problem)) from None
        missing = [key for key in ("_meta", "data") if key not in document]
        if missing:
            raise malformed(f"missing {', '.join(missing)}")
        meta, data = document["_meta"], document["data"]
        if not isinstance(data, list):
            raise malformed("'data' is not a list of rows")
        try:
            total_pages = int(meta["totalPages"])
        except (TypeError, KeyError, ValueError):
            raise malformed("'_meta.totalPages' is missing or not a number") from None
        if total_pages < 0:
            raise malformed(f"'_meta.totalPages' is negative ({total_pages})")
        try:
            total_records = int(meta["totalRecords"])
        except (TypeError, KeyError, ValueError):
            raise malformed("'_meta.totalRecords' is missing or not a number") from None
        return data, total_pages, total_records

    # -- token -----------------------------------------------------------------------------------------------

    def _require_credentials(self) -> ErcotCredentials:
        if self._credentials is None:  # the MIS door never calls here; guard against a future slip
            raise ConfigurationError(f"ERCOT API credentials are not configured: set {CREDENTIAL_VARIABLES}")
        return self._credentials

    def _token_key(self) -> TokenKey:
        return TokenKey.of(
            self._require_credentials(),
            token_url=self._settings.ercot_token_url,
            client_id=self._settings.ercot_client_id,
            clock=self._clock,
        )

    def _id_token(self) -> SecretStr:
        """The process's id token for these credentials, fetched anew when absent or within 5 minutes of expiry."""
        self._token = self._share.tokens.get(self._token_key(), self._request_token)
        return self._token

    def _request_token(self) -> tuple[SecretStr, float]:
        """A new id token from ERCOT's token endpoint, and its lifetime in seconds."""
        credentials = self._require_credentials()
        client_id = self._settings.ercot_client_id
        form = {
            "grant_type": "password",
            "username": credentials.username,
            "password": credentials.password.get_secret_value(),
            "response_type": "id_token",
            "scope": f"openid {client_id} offline_access",
            "client_id": client_id,
        }
        request = self._http.build_request("POST", self._settings.ercot_token_url, data=form)
        response = self._send(request)
        where = describe_request(request)
        if response.status_code in (400, 401, 403):
            raise ErcotAuthenticationError(
                f"ERCOT's token endpoint refused the credentials of user {credentials.username!r} "
                f"(HTTP {response.status_code}: {self._server_message(response)}); check "
                f"ENERGYLAKE_ERCOT_USERNAME and ENERGYLAKE_ERCOT_PASSWORD [request: {where}]"
            )
        if response.status_code != 200:
            raise FetchError(
                f"ERCOT token endpoint answered HTTP {response.status_code}: {self._server_message(response)}",
                request=where,
                status_code=response.status_code,
            )
        try:
            document = json.loads(response.content)
            id_token = document["id_token"]
            if not isinstance(id_token, str) or not id_token:
                raise TypeError
        except (ValueError, KeyError, TypeError):
            # Never echo the body: a half-good reply may still hold a token.
            raise MalformedReplyError(
                "ERCOT token reply has no id_token string", request=where, status_code=200
            ) from None
        try:
            lifetime = float(document.get("expires_in", DEFAULT_TOKEN_LIFETIME_S))
        except (TypeError, ValueError):
            lifetime = DEFAULT_TOKEN_LIFETIME_S
        logger.info("fetched an ERCOT id token (valid %.0f s)", lifetime)
        return SecretStr(id_token), lifetime

    # -- MIS -------------------------------------------------------------------------------------------------

    def _fetch_mis_day(self, dataset: ErcotDatasetName, report: ErcotApiReport, day: dt.date) -> list[RawReply]:
        documents, posted_at, listing_request = self._mis_listing(report)
        selected = select_mis_documents(documents, dataset, day)
        if not selected:
            available = mis_days_available(documents, dataset)
            if not available:
                coverage = "the listing is empty"
            elif day < available[0]:
                coverage = f"the oldest day available is {available[0]}"
            else:
                coverage = f"days available: {available[0]}..{available[-1]}; {day} may not be posted yet"
            raise FetchError(
                f"ERCOT MIS has no {report.report_id} documents for operating day {day}: MIS public files cover "
                f"only recent days ({coverage}); API credentials are needed for older data: set "
                f"{CREDENTIAL_VARIABLES}",
                request=listing_request,
            )
        url = f"{self._settings.ercot_web_url}{MIS_DOWNLOAD_PATH}"
        replies: list[RawReply] = []
        rows = 0
        for doc in selected:
            params = {"doclookupId": doc.doc_id}
            request = self._http.build_request("GET", url, params=params)
            response = self._send(request)
            self._require_ok(request, response, "ERCOT MIS download")
            try:
                rows += check_zip(response.content).csv_rows
            except ZipProblemError as problem:
                raise MalformedReplyError(
                    f"ERCOT MIS download of {doc.friendly_name} (DocID {doc.doc_id}) is malformed: {problem}",
                    request=describe_request(request),
                    status_code=response.status_code,
                ) from None
            replies.append(
                self._reply(
                    request,
                    response,
                    dataset=dataset,
                    day=day,
                    origin="ercot-mis",
                    reason=MIS_REASON,
                    url=url,
                    params=params,
                    extension="zip",
                    extra={
                        "report-id": report.report_id,
                        "report-type-id": str(report.mis_report_type_id),
                        "doc-id": doc.doc_id,
                        "friendly-name": doc.friendly_name,
                        "constructed-name": doc.constructed_name,
                        "publish-date": doc.publish_date,
                        # The instant, the fall-back hour resolved from the listing's docIds (as the archive door
                        # writes it): the parser dates forecast vintages by it instead of guessing daylight time.
                        **({"posted-at-utc": posted_at[doc.doc_id]} if doc.doc_id in posted_at else {}),
                    },
                )
            )
        self.stats.rows += rows
        logger.info("ERCOT MIS %s %s: %d documents, %d rows", report.report_id, day, len(replies), rows)
        return replies

    def _mis_listing(self, report: ErcotApiReport) -> tuple[list[MisDocument], dict[str, str], str]:
        """The listing of a report type, fetched once per client (it covers every day of the rolling window, and
        changes as ERCOT posts: it is not kept beyond the client), and each CSV document's posting instant."""
        url = f"{self._settings.ercot_web_url}{MIS_LISTING_PATH}"
        request = self._http.build_request("GET", url, params={"reportTypeId": str(report.mis_report_type_id)})
        where = describe_request(request)
        cached = self._mis_listings.get(report.mis_report_type_id)
        if cached is not None:
            return *cached, where
        response = self._send(request)
        self._require_ok(request, response, "ERCOT MIS listing")
        try:
            documents = parse_mis_listing(response.content)
        except ValueError as exc:
            raise MalformedReplyError(str(exc), request=where, status_code=response.status_code) from None
        posted_at = mis_posting_instants(documents)
        self._mis_listings[report.mis_report_type_id] = documents, posted_at
        return documents, posted_at, where

    # -- dashboard -------------------------------------------------------------------------------------------

    def _fetch_dashboard(self, dataset: ErcotDatasetName, dashboard: ErcotDashboard, window: Window) -> list[RawReply]:
        url = f"{self._settings.ercot_web_url}{DASHBOARD_PATH}{dashboard.name}"
        request = self._http.build_request("GET", url)
        response = self._send(request)
        self._require_ok(request, response, "ERCOT dashboard")
        where = describe_request(request)
        try:
            document = parse_dashboard(response.content)
        except ValueError as exc:
            raise MalformedReplyError(str(exc), request=where, status_code=response.status_code) from None
        coverage = dashboard_coverage(document, window)
        newest = coverage.newest_covered
        if newest is None:
            covers = ", ".join(day.isoformat() for day in coverage.available) or "no day"
            raise FetchError(
                f"the ERCOT {dashboard.name} dashboard covers only {covers} (the previous and the current day); "
                f"none of {window} is in it, and ERCOT publishes no older fuel mix as JSON",
                request=where,
                status_code=response.status_code,
            )
        extra = {
            "dashboard": dashboard.name,
            "covered-days": ",".join(day.isoformat() for day in coverage.covered),
        }
        if coverage.uncovered:
            extra["uncovered-days"] = ",".join(day.isoformat() for day in coverage.uncovered)
        self.stats.rows += sum(len(document["data"][day.isoformat()]) for day in coverage.covered)
        reply = self._reply(
            request,
            response,
            dataset=dataset,
            day=newest,
            origin="ercot-dashboard",
            reason=DASHBOARD_REASON,
            url=url,
            params={},
            extension="json",
            extra=extra,
        )
        return [reply]

    # -- shared plumbing -------------------------------------------------------------------------------------

    def _send(self, request: httpx.Request) -> httpx.Response:
        """Send under the retry policy and rate limit; scrub secrets from any error the policy raises."""
        logger.debug("ERCOT request %s", describe_request(request))
        try:
            return self._policed.send(request)
        except FetchError as exc:
            full = str(exc)
            suffix = f" [request: {exc.request}]"
            message = full.removesuffix(suffix)
            redacted = self._redact(message)
            if redacted == message:
                raise
            raise type(exc)(redacted, request=exc.request, status_code=exc.status_code) from None

    def _require_ok(self, request: httpx.Request, response: httpx.Response, what: str) -> None:
        if response.status_code != 200:
            raise FetchError(
                f"{what} answered HTTP {response.status_code}: {self._server_message(response)}",
                request=describe_request(request),
                status_code=response.status_code,
            )

    def _server_message(self, response: httpx.Response) -> str:
        """ERCOT's own words about an error (its JSON message, B2C's error_description, or the text), redacted."""
        message = ""
        try:
            document = json.loads(response.content)
        except ValueError:
            document = None
        if isinstance(document, dict):
            for key in ("message", "error_description", "error_message", "error"):
                if document.get(key):
                    message = str(document[key])
                    break
        if not message:
            message = response.text.strip() or "(empty body)"
        return self._redact(" ".join(message.split())[:300])

    def _redact(self, text: str) -> str:
        secrets: list[str] = []
        if self._credentials is not None:
            secrets += [
                self._credentials.password.get_secret_value(),
                self._credentials.subscription_key.get_secret_value(),
            ]
        if self._token is not None:
            secrets.append(self._token.get_secret_value())
        for secret in secrets:
            if secret:
                text = text.replace(secret, "***")
        return text

    def _reply(
        self,
        request: httpx.Request,
        response: httpx.Response,
        *,
        dataset: ErcotDatasetName,
        day: dt.date,
        origin: Origin,
        reason: str,
        url: str,
        params: dict[str, str],
        extension: Extension,
        extra: dict[str, str],
    ) -> RawReply:
        return RawReply(
            source="ercot",
            dataset=dataset,
            day=day,
            origin=origin,
            origin_reason=reason,
            method=request.method,
            url=url,
            params=public_params(params),
            status_code=response.status_code,
            body=response.content,
            extension=extension,
            fetched_at=self._now().astimezone(dt.UTC),
            extra=extra,
        )
