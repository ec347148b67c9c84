"""The yearly-files door: ERCOT's yearly historical files, for the years before the archive reaches (no login).

Where each product's file comes from (catalog: :class:`~energylake.contracts.datasets.ErcotYearly`):

* ``NP4-180-ER`` (day-ahead hub and load-zone prices) and ``NP6-785-ER`` (real-time): the MIS listing
  ``IceDocListJsonWS?reportTypeId=13060`` / ``13061`` (the format :mod:`.mis` parses) lists one document per year
  (``DAMLZHBSPP_2016``); the document whose name holds the year is downloaded with ``mirDownload?doclookupId=`` (a
  zip holding the year's xlsx). When the year was posted more than once, the newest posting wins.
* ``native-load``: ERCOT's "Hourly Load Data Archives" page (:data:`NATIVE_LOAD_PAGE`) links one file per year,
  ``Native_Load_<year>.zip``; the link's URL carries the day it was posted (``/files/docs/2024/02/06/...``), so it is
  read from the page rather than guessed.
* ``fuel-mix-report``: ERCOT's generation page (:data:`FUEL_MIX_PAGE`) links the fuel mix report: the year's
  ``IntGenbyFuel<year>.xlsx`` where the page has it, else the zip of previous years (``FuelMixReport_PreviousYears``,
  which holds one workbook per year; the parser reads the member naming the year).

UNVERIFIED (no network from here): the two page paths and the link file-name patterns below come from public code
that downloads these files, not from fetching the pages; the sample source serves pages in the same shape.

One group per yearly file: a single reply, landed raw once, with ``x-yearly-product``, ``x-year`` and the year's
days (``x-window-start``/``x-window-end``, from which the manifest lists every day of the year: a year of dates in
``covered-days`` would pass the 2 KB of S3 user metadata). Its lake partition (``day``) is the year's 1 January.
Every request goes through the client's HTTP policy and rate limiter; the page and listing lookups are not landed
(as the MIS listing is not). The file's rows are not counted here: that needs the xlsx reader, which the fetch side
does not load.

Once per process: a backfill fetches in weekly chunks, one client per chunk and dataset, and where the fuel mix still
comes from its yearly file while the other datasets come from the archive, every weekly chunk needs the same year.
So the doors of a process share :class:`YearlyFiles` (:mod:`.shared`): each look-up (a product's MIS listing, a
page's links) is made once, and made again only when it lacks the year asked for (a year published since); and the
last file downloaded per product is kept (at most one file per product: four, each a few MB to about 30 MB), so the
chunks of one year download it once. Every chunk still yields its year's one group, byte for byte the same reply
covering the whole year (``window-start``/``window-end``): landing finds the same bytes and the same manifest
already in the lake, exactly as when each chunk downloaded the file again.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from collections.abc import Iterator
from html import unescape
from typing import TYPE_CHECKING
from urllib.parse import unquote, urljoin, urlsplit

import httpx

from energylake.contracts.datasets import Dataset, ErcotDatasetName, ErcotYearly
from energylake.contracts.raw import RawReply
from energylake.errors import FetchError, InvalidRequestError, MalformedReplyError
from energylake.sources.ercot.mis import (
    MIS_DOWNLOAD_PATH,
    MIS_LISTING_PATH,
    MisDocument,
    parse_mis_listing,
    zip_problem,
)
from energylake.sources.http import describe_request
from energylake.timeconv import central_today
from energylake.window import Window

if TYPE_CHECKING:
    from energylake.sources.ercot import ErcotClient

logger = logging.getLogger(__name__)

YEARLY_REASON = (
    "before the days ERCOT's data endpoints and archive reach: ERCOT's yearly historical file of the year (no login)"
)
# Pages on www.ercot.com that link the website's yearly files (UNVERIFIED paths; see the module docstring).
NATIVE_LOAD_PAGE = "/gridinfo/load/load_hist"  # "Hourly Load Data Archives": Native_Load_<year>.zip
FUEL_MIX_PAGE = "/gridinfo/generation"  # "Fuel Mix Report": IntGenbyFuel<year>.xlsx, FuelMixReport_PreviousYears.zip
WEBSITE_PAGES: dict[str, str] = {"native-load": NATIVE_LOAD_PAGE, "fuel-mix-report": FUEL_MIX_PAGE}
# The file name a page links for one year ({year} is filled in); matched case-insensitively (2018's is lower case).
YEAR_FILE_PATTERNS: dict[str, str] = {
    "native-load": r"native_load_{year}\.(?:zip|xlsx)",
    "fuel-mix-report": r"intgenbyfuel_?{year}\.(?:xlsx|zip)",
}
# Files covering several years, used when the page has no file of the year itself.
MULTI_YEAR_FILE_PATTERNS: dict[str, str] = {"fuel-mix-report": r"fuelmixreport[^/]*\.zip"}
_HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


class YearlyFiles:
    """The yearly doors' look-ups and files, shared by the clients of a process (thread-safe).

    Look-ups are keyed by the request that made them (URL and query, never a secret); a file by its product, so
    that at most one file per product is held: the last one downloaded."""

    def __init__(self) -> None:
        self._listings: dict[str, list[MisDocument]] = {}
        self._links: dict[str, list[str]] = {}
        self._files: dict[str, tuple[str, httpx.Request, httpx.Response]] = {}
        self._lock = threading.Lock()

    def listing(self, where: str) -> list[MisDocument] | None:
        with self._lock:
            return self._listings.get(where)

    def keep_listing(self, where: str, documents: list[MisDocument]) -> None:
        with self._lock:
            self._listings[where] = documents

    def links(self, where: str) -> list[str] | None:
        with self._lock:
            return self._links.get(where)

    def keep_links(self, where: str, links: list[str]) -> None:
        with self._lock:
            self._links[where] = links

    def file(self, product: str, where: str) -> tuple[httpx.Request, httpx.Response] | None:
        """The product's last file, if it is the one ``where`` asks for."""
        with self._lock:
            kept = self._files.get(product)
        if kept is None or kept[0] != where:
            return None
        return kept[1], kept[2]

    def keep_file(self, product: str, where: str, request: httpx.Request, response: httpx.Response) -> None:
        """Keep ``response`` as the product's last file (replacing the one before: memory holds one per product)."""
        with self._lock:
            self._files[product] = (where, request, response)


class YearlyDoor:
    """Fetches ERCOT's yearly files, through the client's HTTP policy and rate limiter, sharing the process's
    look-ups and files (:class:`YearlyFiles`)."""

    def __init__(self, client: ErcotClient) -> None:
        self._client = client
        self._files = client._share.yearly

    def iter_fetch(self, dataset: ErcotDatasetName, entry: Dataset, window: Window) -> Iterator[list[RawReply]]:
        """One group per yearly file the window needs (its manifest covers the year's days), oldest year first.

        Only complete years are published: a window reaching a year before ``first_year`` or the current (Central)
        year is an error naming the years the files cover, raised before any request."""
        yearly = entry.yearly
        if yearly is None:
            raise InvalidRequestError(f"ERCOT dataset {dataset!r} has no yearly file")
        this_year = central_today(self._client._now()).year
        years = sorted({day.year for day in window.days()})
        outside = [year for year in years if not yearly.first_year <= year < this_year]
        if outside:
            raise FetchError(
                f"ERCOT's yearly {yearly.product} files cover {yearly.first_year}..{this_year - 1} (a year's file is "
                f"published after it ends); {dataset} {window} needs {', '.join(map(str, outside))}",
                request=f"{dataset} {window}",
            )
        for year in years:
            yield [self._fetch_year(dataset, yearly, year)]

    # -- one year ---------------------------------------------------------------------------------------------

    def _fetch_year(self, dataset: ErcotDatasetName, yearly: ErcotYearly, year: int) -> RawReply:
        extra = {"yearly-product": yearly.product, "year": str(year)}
        if yearly.mis_report_type_id is not None:
            document = self._mis_document(yearly, year)
            url = f"{self._client._settings.ercot_web_url}{MIS_DOWNLOAD_PATH}"
            params = {"doclookupId": document.doc_id}
            extra |= {
                "report-type-id": str(yearly.mis_report_type_id),
                "doc-id": document.doc_id,
                "friendly-name": document.friendly_name,
                "constructed-name": document.constructed_name,
                "publish-date": document.publish_date,
            }
        else:
            page, url = self._website_file(yearly, year)
            params = {}
            extra |= {"source-page": page, "file-name": _file_name(url)}
        request, response = self._download(yearly, year, url, params)
        first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
        extra |= {"window-start": first.isoformat(), "window-end": last.isoformat()}
        logger.info("ERCOT yearly %s %d: %d bytes", yearly.product, year, len(response.content))
        return self._client._reply(
            request,
            response,
            dataset=dataset,
            day=first,
            origin="ercot-yearly",
            reason=YEARLY_REASON,
            url=url,
            params=params,
            extension="zip",
            extra=extra,
        )

    def _download(
        self, yearly: ErcotYearly, year: int, url: str, params: dict[str, str]
    ) -> tuple[httpx.Request, httpx.Response]:
        """The file, checked; the product's last file when it is the same one (a multi-year file serves each of
        its years, a year's file each chunk of its year). A malformed file is never kept."""
        request = self._client._http.build_request("GET", url, params=params)
        where = describe_request(request)
        kept = self._files.file(yearly.product, where)
        if kept is not None:
            logger.info("ERCOT yearly %s %d: the file this process downloaded last (%s)", yearly.product, year, where)
            return kept
        response = self._client._send(request)
        self._client._require_ok(request, response, "ERCOT yearly file download")
        problem = zip_problem(response.content)  # an xlsx is a zip too: every yearly file opens as one
        if problem is not None:
            raise MalformedReplyError(
                f"ERCOT's yearly {yearly.product} file for {year} is malformed: {problem}",
                request=where,
                status_code=response.status_code,
            )
        self._files.keep_file(yearly.product, where, request, response)
        return request, response

    # -- MIS products -----------------------------------------------------------------------------------------

    def _mis_document(self, yearly: ErcotYearly, year: int) -> MisDocument:
        """The year's document on the MIS listing of the product (the newest posting if there are several). A
        listing kept from earlier that lacks the year is fetched again once (the year may have been posted since)."""
        assert yearly.mis_report_type_id is not None
        rtid = yearly.mis_report_type_id
        pattern = re.compile(rf"(?<!\d){year}(?!\d)")
        documents: list[MisDocument] = []
        where = ""
        for fresh in (False, True):
            documents, where, fetched = self._mis_listing(rtid, fresh=fresh)
            matching = [doc for doc in documents if pattern.search(doc.friendly_name or doc.constructed_name)]
            if matching:
                return max(matching, key=lambda doc: (doc.posted_local, doc.doc_id))
            if fetched:
                break
        listed = sorted({match for doc in documents for match in re.findall(r"(?<!\d)20\d\d(?!\d)", doc.friendly_name)})
        raise FetchError(
            f"ERCOT's MIS listing of {yearly.product} (report type {rtid}) has no document for {year}; "
            f"years listed: {', '.join(listed) or 'none'}",
            request=where,
        )

    def _mis_listing(self, rtid: int, *, fresh: bool) -> tuple[list[MisDocument], str, bool]:
        """(documents, request, whether they were fetched now) of a report type's MIS listing: the process's kept
        listing unless ``fresh``."""
        url = f"{self._client._settings.ercot_web_url}{MIS_LISTING_PATH}"
        request = self._client._http.build_request("GET", url, params={"reportTypeId": str(rtid)})
        where = describe_request(request)
        kept = None if fresh else self._files.listing(where)
        if kept is not None:
            return kept, where, False
        response = self._client._send(request)
        self._client._require_ok(request, response, "ERCOT MIS listing")
        try:
            documents = parse_mis_listing(response.content)
        except ValueError as exc:
            raise MalformedReplyError(str(exc), request=where, status_code=response.status_code) from None
        self._files.keep_listing(where, documents)
        return documents, where, True

    # -- website files ----------------------------------------------------------------------------------------

    def _website_file(self, yearly: ErcotYearly, year: int) -> tuple[str, str]:
        """(page path, file URL) of the year's file linked from the page: the year's own file, else a file covering
        several years. A page kept from earlier that links neither is fetched again once."""
        page = WEBSITE_PAGES.get(yearly.product)
        if page is None:
            raise InvalidRequestError(f"no page is known to link ERCOT's yearly {yearly.product} files")
        own = re.compile(YEAR_FILE_PATTERNS[yearly.product].format(year=year), re.IGNORECASE)
        several = MULTI_YEAR_FILE_PATTERNS.get(yearly.product)
        links: list[str] = []
        for fresh in (False, True):
            links, fetched = self._page_links(page, fresh=fresh)
            found = [link for link in links if own.fullmatch(_file_name(link))]
            if not found and several is not None:
                found = [link for link in links if re.fullmatch(several, _file_name(link), re.IGNORECASE)]
            if found:
                return page, found[0]
            if fetched:
                break
        names = sorted({_file_name(link) for link in links if _file_name(link).lower().endswith((".zip", ".xlsx"))})
        raise FetchError(
            f"ERCOT's page {page} links no {yearly.product} file for {year} "
            f"(files linked: {', '.join(names[:20]) or 'none'})",
            request=f"GET {self._client._settings.ercot_web_url}{page}",
        )

    def _page_links(self, page: str, *, fresh: bool) -> tuple[list[str], bool]:
        """(every link of a www.ercot.com page as absolute URLs, whether fetched now): the process's kept links
        unless ``fresh``."""
        base = f"{self._client._settings.ercot_web_url}{page}"
        request = self._client._http.build_request("GET", base)
        where = describe_request(request)
        kept = None if fresh else self._files.links(where)
        if kept is not None:
            return kept, False
        response = self._client._send(request)
        self._client._require_ok(request, response, "ERCOT page")
        text = response.content.decode("utf-8", errors="replace")
        if "<" not in text:
            raise MalformedReplyError(
                f"ERCOT's page {page} is not HTML (starts {text[:60]!r})",
                request=where,
                status_code=response.status_code,
            )
        links = [urljoin(base, unescape(href.strip())) for href in _HREF.findall(text)]
        self._files.keep_links(where, links)
        return links, True


def _file_name(url: str) -> str:
    return unquote(urlsplit(url).path.rsplit("/", 1)[-1])
