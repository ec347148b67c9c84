"""The archive door: a report's posted documents behind the Public Reports API's archive endpoints.

``GET /archive/{emil id}?postDatetimeFrom=&postDatetimeTo=&size=&page=`` lists documents by POSTING time (Central wall
clock without an offset, newest first, pages of at most 1,000); ``POST /archive/{emil id}/download`` with
``{"docIds": [...]}`` (at most 1,000) returns a zip of per-document zips, each holding one CSV; ``GET /archive/{emil
id}?download=<docId>`` returns one document's zip.

:class:`ArchiveDoor` fetches a window in as few requests as those limits allow: every listing page of the window's
posting range (:mod:`.postings` says which range, and which group each listed document belongs to), then the
window's documents in posting order, 1,000 per bulk download (``?download=`` only where one document is left). A
group (one operating day; one posting day for ``vintage`` reports) is yielded as soon as all its documents are in,
so memory holds one batch and the groups it leaves open. Each DOCUMENT lands as one raw reply: the zip ERCOT posted
for it, byte for byte, recorded as the one-document download request that names it (so the same document always lands
under the same key, whichever batch brought it); the request that really brought it is in the metadata. Documents
posted again (corrections) are kept: curation keeps the later posting's rows.

Everything goes through the client's authenticated request helper (token, subscription key, one 401 renewal), its
HTTP policy and its one rate limiter. A listing or bulk reply that is not what ERCOT promises is a
:class:`~energylake.errors.MalformedReplyError` naming the document; nothing of a group is yielded until every one of
its documents passed its check.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from energylake.contracts.datasets import Dataset, ErcotArchive, ErcotDatasetName
from energylake.contracts.raw import RawReply
from energylake.errors import InvalidRequestError, MalformedReplyError
from energylake.sources.ercot.mis import CheckedZip, ZipProblemError, check_zip, zip_members
from energylake.sources.ercot.postings import (
    PostingRange,
    covered_days,
    group_day,
    group_days,
    parse_post_datetime,
    posting_range,
    resolve_posted_instants,
)
from energylake.sources.http import describe_request, public_params
from energylake.window import Window

if TYPE_CHECKING:
    import httpx

    from energylake.sources.ercot import ErcotClient

logger = logging.getLogger(__name__)

ARCHIVE_PAGE_SIZE = 1000  # ERCOT's largest listing page
DOWNLOAD_LIMIT = 1000  # ERCOT's most documents per bulk download
REUSED = "none: already in the lake"  # the download-request recorded for a document taken from the lake
ARCHIVE_REASON = (
    "ERCOT's data endpoints serve only recent days (about 90): older operating days come from the archive of "
    "posted documents"
)
_ERROR_ENVELOPE_KEYS = frozenset({"timestamp", "code", "status", "message"})
_LEADING_DOC_ID = re.compile(r"^(\d+)(?:\D|$)")


def archive_path(emil_id: str) -> str:
    """The listing path of a product (ERCOT's URLs take the EMIL id lower-cased)."""
    return f"/archive/{emil_id.lower()}"


def fallback_reason(day: dt.date) -> str:
    """Why a day the data endpoints should serve came from the archive."""
    return (
        f"ERCOT's data endpoint answered no rows for {day}, a day it should serve: it comes from the archive of "
        "posted documents"
    )


# ---------------------------------------------------------------------------------------------------------------
# Pure: listings, bulk zips, placement
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArchivedDocument:
    """One entry of an archive listing."""

    doc_id: int
    friendly_name: str
    post_datetime: str  # as listed, e.g. 2024-11-05T03:16:10.000 (naive Central wall clock)
    posted_local: dt.datetime


@dataclass(frozen=True)
class PlacedDocument:
    """A listed document with its group and its posting instant."""

    document: ArchivedDocument
    group: dt.date  # operating day; posting day for vintage reports
    posted: dt.datetime  # UTC, the fall-back hour resolved from the docIds


def api_json_object(body: bytes, what: str, redact: Callable[[str], str] = lambda text: text) -> dict[str, Any]:
    """The JSON object of a Public Reports API reply (a data page or an archive listing). Raises ValueError naming
    the problem: not JSON, not an object, or ERCOT's error envelope (answered with 200 at times). ``redact`` hides
    secrets in the quoted text."""
    try:
        document = json.loads(body)
    except ValueError:
        raise ValueError(f"{what} is not JSON (starts {redact(body[:80].decode('utf-8', 'replace'))!r})") from None
    if not isinstance(document, dict):
        raise ValueError(f"{what} JSON is not an object")
    if document.keys() >= _ERROR_ENVELOPE_KEYS and "_meta" not in document:
        raise ValueError(
            f"ERCOT error envelope: code={document.get('code')!r} status={document.get('status')!r} "
            f"message={redact(str(document.get('message'))[:200])!r}"
        )
    return document


def parse_archive_listing(body: bytes) -> tuple[list[ArchivedDocument], int]:
    """The documents of one archive listing page and its ``_meta.totalPages``. Raises ValueError naming what is
    wrong with the shape (an ERCOT error envelope, a missing field, an entry without docId or postDatetime)."""
    document = api_json_object(body, "archive listing")
    meta = document.get("_meta")
    try:
        total_pages = int(meta["totalPages"]) if isinstance(meta, dict) else -1
    except (KeyError, TypeError, ValueError):
        total_pages = -1
    if total_pages < 0:
        raise ValueError("archive listing has no usable '_meta.totalPages'")
    entries: Any = document.get("archives", [])
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        raise ValueError("archive listing's 'archives' is not a list")
    documents = []
    for position, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise ValueError(f"archive listing entry {position} is not an object")
        raw_id, posted = entry.get("docId"), entry.get("postDatetime")
        if isinstance(raw_id, bool) or not (isinstance(raw_id, int) or (isinstance(raw_id, str) and raw_id.isdigit())):
            raise ValueError(f"archive listing entry {position} has no numeric docId (got {raw_id!r})")
        if not isinstance(posted, str):
            raise ValueError(f"archive listing entry {position} (docId {raw_id}) has no postDatetime string")
        try:
            posted_local = parse_post_datetime(posted)
        except ValueError as exc:
            raise ValueError(f"archive listing entry {position} (docId {raw_id}): {exc}") from None
        documents.append(ArchivedDocument(int(raw_id), str(entry.get("friendlyName") or ""), posted, posted_local))
    return documents, total_pages


def is_xml_rendition(document: ArchivedDocument) -> bool:
    """A document ERCOT posts as XML beside the CSV (the MIS listings carry both; the parsers read the CSV)."""
    return document.friendly_name.lower().endswith("_xml")


def place_documents(
    archive: ErcotArchive, documents: Sequence[ArchivedDocument], window: Window
) -> list[PlacedDocument]:
    """The window's documents in posting (docId) order, each with its group and posting instant; documents of
    neighbouring days that the posting range brought along, repeats of a docId and XML renditions are left out.
    Every listed document takes part in resolving the fall-back hour (the neighbours are its clock)."""
    unique = list({doc.doc_id: doc for doc in documents if not is_xml_rendition(doc)}.values())
    instants = resolve_posted_instants([(doc.doc_id, doc.posted_local) for doc in unique])
    wanted = group_days(archive, window)
    placed = [
        PlacedDocument(doc, day, instant)
        for doc, instant in zip(unique, instants, strict=True)
        if wanted.start <= (day := group_day(archive, doc.posted_local)) <= wanted.end
    ]
    return sorted(placed, key=lambda item: item.document.doc_id)


def bulk_member_doc_id(name: str) -> int | None:
    """The docId a bulk download's member is named after (``<docId>.<name>.zip``), or None."""
    match = _LEADING_DOC_ID.match(name.rsplit("/", 1)[-1])
    return int(match.group(1)) if match else None


def split_bulk_download(body: bytes, doc_ids: Sequence[int]) -> dict[int, CheckedZip]:
    """Each requested document's own zip out of a bulk download (a zip of per-document zips), checked. Raises
    ValueError naming the docId when the bulk zip is unreadable, a document is missing or twice there, or a
    document's zip is not a readable zip; members nobody asked for are ignored. Each zip is read once, outer and
    inner: a year of archive documents is tens of thousands of them."""
    wanted = set(doc_ids)
    found: dict[int, CheckedZip] = {}
    try:
        for name, content in zip_members(body, keep=lambda name: bulk_member_doc_id(name) in wanted):
            doc_id = bulk_member_doc_id(name)
            if content is None or doc_id is None:
                logger.debug("ERCOT bulk download member %r was not asked for: ignored", name)
                continue
            if doc_id in found:
                raise ValueError(f"ERCOT's bulk download holds docId {doc_id} twice")
            try:
                found[doc_id] = check_zip(content)
            except ZipProblemError as inner:
                raise ValueError(f"docId {doc_id} in ERCOT's bulk download is malformed: {inner}") from None
    except ZipProblemError as problem:
        raise ValueError(f"ERCOT's bulk download of docIds {_id_list(doc_ids)} is malformed: {problem}") from None
    missing = [doc_id for doc_id in doc_ids if doc_id not in found]
    if missing:
        raise ValueError(f"ERCOT's bulk download lacks docId {_id_list(missing)} ({len(missing)} of {len(doc_ids)})")
    return found


def _id_list(doc_ids: Sequence[int]) -> str:
    shown = ", ".join(str(doc_id) for doc_id in doc_ids[:5])
    return shown + (f", ... ({len(doc_ids)} in all)" if len(doc_ids) > 5 else "")


def _batches(placed: Sequence[PlacedDocument]) -> Iterator[list[PlacedDocument]]:
    for first in range(0, len(placed), DOWNLOAD_LIMIT):
        yield list(placed[first : first + DOWNLOAD_LIMIT])


# ---------------------------------------------------------------------------------------------------------------
# The door
# ---------------------------------------------------------------------------------------------------------------


class ArchiveDoor:
    """Fetches operating days of a report from its archive, through the client's HTTP policy and token."""

    def __init__(self, client: ErcotClient) -> None:
        self._client = client

    def iter_fetch(
        self, dataset: ErcotDatasetName, entry: Dataset, window: Window, *, reason: str = ARCHIVE_REASON
    ) -> Iterator[list[RawReply]]:
        """One complete group of documents per operating day (a posting day for ``vintage`` reports), in day
        order; ``reason`` is recorded as why the archive was used."""
        archive = entry.archive
        if archive is None:
            raise InvalidRequestError(f"ERCOT dataset {dataset!r} has no archive product")
        placed = place_documents(archive, self._list(archive, posting_range(archive, window)), window)
        expected: dict[dt.date, int] = {}
        for item in placed:
            expected[item.group] = expected.get(item.group, 0) + 1
        missing = [day for day in group_days(archive, window).days() if day not in expected]
        if missing and archive.posting != "vintage":
            logger.warning(
                "ERCOT archive %s lists no documents for %d day(s) of %s (first %s)",
                archive.emil_id,
                len(missing),
                window,
                missing[0],
            )
        arrived: dict[dt.date, list[RawReply]] = {}
        for batch in _batches(placed):
            # A forecast's postings of the days before the window were most likely landed by the fetch of the
            # window before (a backfill's previous chunk, yesterday's run): taken from the lake when there, as a
            # posted document never changes. The window's own postings are always downloaded: fetching a window
            # asks ERCOT for it.
            reused = {
                item.document.doc_id: body
                for item in batch
                if archive.posting == "vintage"
                and item.group < window.start
                and (body := self._landed_body(dataset, archive, item, reason)) is not None
            }
            wanted = [item.document.doc_id for item in batch if item.document.doc_id not in reused]
            bodies, how = self._download(archive, wanted) if wanted else ({}, "")
            self._client.stats.reused += len(reused)
            for item in batch:
                doc_id = item.document.doc_id
                reply = (
                    self._reply(dataset, archive, item, body=reused[doc_id], how=REUSED, batch_size=0, reason=reason)
                    if doc_id in reused
                    else self._reply(
                        dataset,
                        archive,
                        item,
                        body=bodies[doc_id].body,
                        how=how,
                        batch_size=len(wanted),
                        reason=reason,
                    )
                )
                arrived.setdefault(item.group, []).append(reply)
            for day in sorted(day for day, replies in arrived.items() if len(replies) == expected[day]):
                group = arrived.pop(day)
                logger.info("ERCOT archive %s %s: %d documents", archive.emil_id, day, len(group))
                yield group

    # -- requests --------------------------------------------------------------------------------------------

    def _list(self, archive: ErcotArchive, posted: PostingRange) -> list[ArchivedDocument]:
        """Every listing page of the posting range (page 1 says how many)."""
        url = f"{self._client._settings.ercot_api_url}{archive_path(archive.emil_id)}"
        documents: list[ArchivedDocument] = []
        page = total_pages = 1
        while page <= total_pages:
            params = {**posted.params(), "size": str(ARCHIVE_PAGE_SIZE), "page": str(page)}
            request, response = self._client._send_api("GET", url, params)
            try:
                found, page_total = parse_archive_listing(response.content)
            except ValueError as exc:
                raise self._malformed(request, f"{archive.emil_id} archive listing is malformed: {exc}") from None
            if page == 1:
                total_pages = page_total  # later pages may disagree if ERCOT posts meanwhile: page 1 decides
            documents += found
            page += 1
        logger.info(
            "ERCOT archive %s %s..%s: %d documents listed in %d page(s)",
            archive.emil_id,
            posted.params()["postDatetimeFrom"],
            posted.params()["postDatetimeTo"],
            len(documents),
            max(total_pages, 1),
        )
        return documents

    def _download(self, archive: ErcotArchive, doc_ids: list[int]) -> tuple[dict[int, CheckedZip], str]:
        """The documents' own zips, checked, and how they came (one bulk request, or ``?download=`` for one)."""
        base = f"{self._client._settings.ercot_api_url}{archive_path(archive.emil_id)}"
        if len(doc_ids) == 1:
            (doc_id,) = doc_ids
            request, response = self._client._send_api("GET", base, {"download": str(doc_id)}, accept="*/*")
            try:
                checked = check_zip(response.content)
            except ZipProblemError as problem:
                raise self._malformed(
                    request, f"{archive.emil_id} archive: docId {doc_id} is malformed: {problem}"
                ) from None
            self._client.stats.rows += checked.csv_rows
            return {doc_id: checked}, describe_request(request)
        body = json.dumps({"docIds": doc_ids}, separators=(",", ":")).encode()
        request, response = self._client._send_api("POST", f"{base}/download", {}, body=body, accept="*/*")
        try:
            bodies = split_bulk_download(response.content, doc_ids)
        except ValueError as exc:
            raise self._malformed(request, f"{archive.emil_id} archive: {exc}") from None
        self._client.stats.rows += sum(checked.csv_rows for checked in bodies.values())
        return bodies, describe_request(request)

    def _landed_body(
        self, dataset: ErcotDatasetName, archive: ErcotArchive, item: PlacedDocument, reason: str
    ) -> bytes | None:
        """The document's bytes when the lake already holds them (asked by the request that names it)."""
        if self._client._landed is None:
            return None
        return self._client._landed(
            self._reply(dataset, archive, item, body=b"", how=REUSED, batch_size=0, reason=reason)
        )

    def _malformed(self, request: httpx.Request, message: str) -> MalformedReplyError:
        return MalformedReplyError(self._client._redact(message), request=describe_request(request), status_code=200)

    def _reply(
        self,
        dataset: ErcotDatasetName,
        archive: ErcotArchive,
        item: PlacedDocument,
        *,
        body: bytes,
        how: str,
        batch_size: int,
        reason: str,
    ) -> RawReply:
        doc = item.document
        url = f"{self._client._settings.ercot_api_url}{archive_path(archive.emil_id)}/download"
        extra = {
            "emil-id": archive.emil_id,
            "doc-id": str(doc.doc_id),
            "friendly-name": doc.friendly_name,
            "post-datetime": doc.post_datetime,
            # The instant, the fall-back hour resolved from the docIds: the parser dates forecast vintages by it.
            "posted-at-utc": item.posted.astimezone(dt.UTC).isoformat(),
            "download-request": how,
            "download-doc-ids": str(batch_size),
        }
        if archive.posting == "vintage":
            extra["covered-days"] = ",".join(day.isoformat() for day in covered_days(archive, item.group))
        return RawReply(
            source="ercot",
            dataset=dataset,
            day=item.group,
            origin="ercot-archive",
            origin_reason=reason,
            method="POST",
            url=url,
            params=public_params({}),
            status_code=200,
            body=body,
            extension="zip",
            fetched_at=self._client._now().astimezone(dt.UTC),
            # The one-document request that names this document: its key in the lake, whatever batch brought it.
            request_body=json.dumps({"docIds": [doc.doc_id]}, separators=(",", ":")).encode(),
            extra=extra,
        )
