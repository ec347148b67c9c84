"""The sample's ERCOT archive endpoints: ``GET /archive/{emil id}`` (the posting-time listing, newest first, pages of
at most 1,000), ``GET /archive/{emil id}?download=<docId>`` (one document's zip) and ``POST /archive/{emil
id}/download`` with ``{"docIds": [...]}`` (at most 1,000: a zip of per-document zips), for every report the sample
serves, over any past window, in the shapes of ERCOT's real replies (the listing as ``DOMAIN.md`` records a real one;
each document's zip holding the CSV the sample's MIS download of the same posting holds).

Documents follow each report's posting schedule (:mod:`energylake.sample.ercot_reports`: a real-time document five
minutes after each 15-minute interval, 100 of them on the fall-back day; day-ahead prices the day before; actual
load the next day; forecasts hourly), from the product's first archived day up to the sample's clock. Now and then,
deterministically, a real-time or daily document is posted again (a correction): seven minutes after the original
for a real-time interval (still inside its quarter hour), two hours after for a daily report. The re-post carries the
same rows, because the sample's data endpoints serve one version of each interval; curation keeps the later
posting's rows either way.

Labels: ``postDatetime`` is the posting's Central wall clock to the millisecond, without an offset, exactly the
``postedDatetime`` the data endpoints give the same posting's rows (so both doors date a forecast vintage alike); the
fall-back hour's labels repeat. DocIds encode their posting (UTC minute, report, correction flag), so they grow with
posting time, as ERCOT's do, and downloads need no server-side memory.
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import io
import json
import threading
import zipfile
from typing import TYPE_CHECKING, Any

import httpx

from energylake.contracts.datasets import CATALOG, ErcotArchive, ErcotDatasetName
from energylake.sample.ercot import (
    _api_auth_problem,
    _csv_bytes,
    _csv_documents,
    _error_envelope,
    _json_response,
    _zip_bytes,
)
from energylake.sample.ercot_reports import (
    REPORT_ORDER,
    REPORTS,
    SampleReport,
    Table,
    posting_records,
    postings,
    rt_day_table,
    rt_interval_position,
    rt_posting_interval,
    to_central,
    unit,
    vintage_tables,
)
from energylake.timeconv import CENTRAL, UTC, local_day_bounds_utc

if TYPE_CHECKING:
    from energylake.sample.context import SampleContext

ARCHIVE_PREFIX = "/archive/"
PAGE_SIZE_LIMIT = 1000
DOWNLOAD_LIMIT = 1000
DOC_ID_BASE = 1_000_000_000  # ten digits, like ERCOT's
# How often a document is posted again, and how long after its original.
CORRECTION_RATE = {"rt": 1 / 300, "daily": 1 / 25}
CORRECTION_DELAY = {"rt": dt.timedelta(minutes=7), "daily": dt.timedelta(hours=2)}
_LISTING_PARAMS = frozenset({"postDatetimeFrom", "postDatetimeTo", "size", "page", "sort", "dir"})


def _archive(spec: SampleReport) -> ErcotArchive:
    archive = CATALOG[spec.dataset].archive
    assert archive is not None
    return archive


REPORT_BY_EMIL: dict[str, SampleReport] = {
    _archive(spec).emil_id.lower(): spec for spec in REPORTS.values() if CATALOG[spec.dataset].archive is not None
}


# ---------------------------------------------------------------------------------------------------------------
# Documents
# ---------------------------------------------------------------------------------------------------------------


def doc_id(dataset: ErcotDatasetName, posted: dt.datetime, *, correction: bool) -> int:
    """A docId that encodes its posting (UTC minute), its report and whether it re-posts an earlier document."""
    minutes = int(posted.timestamp()) // 60
    return DOC_ID_BASE + (minutes * len(REPORT_ORDER) + REPORT_ORDER.index(dataset)) * 2 + int(correction)


def decode_doc_id(value: int) -> tuple[SampleReport, dt.datetime, bool] | None:
    """(report, posting instant, is a correction) of a sample docId, or None when it is not one."""
    rest, correction = divmod(value - DOC_ID_BASE, 2)
    minutes, index = divmod(rest, len(REPORT_ORDER))
    if value < DOC_ID_BASE or index >= len(REPORT_ORDER):
        return None
    return REPORTS[REPORT_ORDER[index]], dt.datetime.fromtimestamp(minutes * 60, UTC), bool(correction)


def corrects(spec: SampleReport, seed: int, original: dt.datetime) -> bool:
    """Whether the sample posts the document of ``original`` again (never for forecasts: a later posting of a
    forecast is a new vintage, not a correction)."""
    rate = CORRECTION_RATE.get(spec.kind)
    return rate is not None and unit(seed, "archive-correction", spec.dataset, original.isoformat()) < rate


def original_posting(spec: SampleReport, posted: dt.datetime, correction: bool) -> dt.datetime:
    return posted - CORRECTION_DELAY[spec.kind] if correction else posted


def post_datetime(posted: dt.datetime) -> str:
    """The listing's label: Central wall clock to the millisecond, no offset."""
    return to_central(posted).strftime("%Y-%m-%dT%H:%M:%S.000")


def friendly_name(spec: SampleReport, posted: dt.datetime, correction: bool) -> str:
    """ERCOT's friendly name: real-time documents carry their interval's end (``SPPHLZNP6905_20220715_1145_csv``)."""
    if spec.kind == "rt":
        original = original_posting(spec, posted, correction)
        interval_end = to_central(original - dt.timedelta(minutes=spec.posting_minute))
        return f"{spec.friendly_name}_{interval_end:%Y%m%d_%H%M}_csv"
    return f"{spec.friendly_name}_csv"


def document_zip(spec: SampleReport, seed: int, posted: dt.datetime, correction: bool) -> bytes:
    """One document's zip: the CSV of its posting under ERCOT's ``cdr.<rtid>.<duns>.<local stamp>.<name>.csv``."""
    if spec.kind == "vintage":
        return _FORECAST_ZIPS.get(spec, seed, [(posted, correction)])[0]
    original = original_posting(spec, posted, correction)
    if spec.kind == "rt":
        interval = rt_posting_interval(spec, original)
        content = _rt_day_csvs(spec, seed, interval.day)[rt_interval_position(interval)]
        return _document_zip_of(spec, posted, correction, content)
    return _document_zip(spec, seed, posted, correction, posting_records(seed, spec, original))


@functools.lru_cache(maxsize=4)
def _rt_day_csvs(spec: SampleReport, seed: int, day: dt.date) -> tuple[bytes, ...]:
    """The CSV of each real-time document of operating day ``day``, laid out together (a year's archive is ~35,000
    of them, a few rows each: one layout per day rather than one table and one writer per document)."""
    table, bounds = rt_day_table(seed, day)
    return tuple(_csv_documents(spec, table, bounds))


# A backfill's chunks each download the forecast postings of the days before and after their span (7 before, 2 after:
# vintage_days_before/after): a 7-day chunk asks again for 7 to 9 days of postings its predecessor had, the sample's
# dearest documents (576 rows each for the load forecast). Kept: three reports x 24 days x 24 postings, more than a
# chunk's 14 to 16 days of each, so the three reports' turns do not evict each other (~13 kB each: ~25 MB).
_FORECAST_DOCUMENTS_KEPT = 3 * 24 * 24
_FORECAST_BATCH = 96  # postings generated in one go (a bulk download asks for up to 1,000)


class _ForecastZips:
    """The forecast documents' zips, least recently used out, generated a batch of postings at a time (one array
    computation for many postings rather than one per posting)."""

    def __init__(self, kept: int) -> None:
        self._kept = kept
        self._zips: collections.OrderedDict[tuple[str, int, dt.datetime, bool], bytes] = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, spec: SampleReport, seed: int, wanted: list[tuple[dt.datetime, bool]]) -> list[bytes]:
        """The zips of ``wanted`` (posting instant, is a correction), in order."""
        keys = [(spec.dataset, seed, posted, correction) for posted, correction in wanted]
        with self._lock:
            missing = list(dict.fromkeys(key for key in keys if key not in self._zips))
        made: dict[tuple[str, int, dt.datetime, bool], bytes] = {}
        for start in range(0, len(missing), _FORECAST_BATCH):
            batch = missing[start : start + _FORECAST_BATCH]
            originals = [original_posting(spec, posted, correction) for _, _, posted, correction in batch]
            table, bounds = vintage_tables(seed, spec.dataset, originals)
            for key, content in zip(batch, _csv_documents(spec, table, bounds), strict=True):
                made[key] = _document_zip_of(spec, key[2], key[3], content)
        with self._lock:
            zips = [made[key] if key in made else self._zips[key] for key in keys]
            for key in keys:
                if key in made:
                    self._zips[key] = made[key]
                self._zips.move_to_end(key)
            while len(self._zips) > self._kept:
                self._zips.popitem(last=False)
        return zips


_FORECAST_ZIPS = _ForecastZips(_FORECAST_DOCUMENTS_KEPT)


def _document_zip(spec: SampleReport, seed: int, posted: dt.datetime, correction: bool, table: Table) -> bytes:
    return _document_zip_of(spec, posted, correction, _csv_bytes(spec, table))


def _document_zip_of(spec: SampleReport, posted: dt.datetime, correction: bool, content: bytes) -> bytes:
    local = to_central(posted)
    stem = friendly_name(spec, posted, correction).removesuffix("_csv")
    member = f"cdr.{spec.report.mis_report_type_id:08d}.0000000000000000.{local:%Y%m%d.%H%M%S}.{stem}.csv"
    return _zip_bytes(member, content, local.replace(tzinfo=None))


@functools.lru_cache(maxsize=16)
def _postings(
    seed: int, dataset: ErcotDatasetName, start: dt.datetime, end: dt.datetime
) -> tuple[tuple[int, dt.datetime], ...]:
    """(docId, posting instant) of every document of ``dataset`` posted in ``[start, end]`` (UTC), newest first."""
    spec = REPORTS[dataset]
    found: list[tuple[int, dt.datetime]] = []
    first, _ = local_day_bounds_utc(_archive(spec).first_day - dt.timedelta(days=1))
    delay = CORRECTION_DELAY.get(spec.kind, dt.timedelta(0))
    for posted in postings(spec, max(start, first) - delay, end):
        if start <= posted:
            found.append((doc_id(dataset, posted, correction=False), posted))
        repost = posted + delay
        if corrects(spec, seed, posted) and start <= repost <= end:
            found.append((doc_id(dataset, repost, correction=True), repost))
    return tuple(sorted(found, reverse=True))


@functools.lru_cache(maxsize=16)
def _listed(
    seed: int, dataset: ErcotDatasetName, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> tuple[tuple[int, dt.datetime], ...]:
    """(docId, posting instant) of the documents whose labels (naive wall clock) are in ``[start, end]`` and that
    were posted by ``now``, newest first: every page of one listing reads the same tuple."""
    # Labels are wall clock: widen to UTC by a day each side, then compare labels as ERCOT does.
    utc_start = start.replace(tzinfo=CENTRAL).astimezone(UTC) - dt.timedelta(days=1)
    utc_end = min(now, end.replace(tzinfo=CENTRAL).astimezone(UTC) + dt.timedelta(days=1))
    return tuple(
        (value, posted)
        for value, posted in _postings(seed, dataset, utc_start, utc_end)
        if start <= to_central(posted).replace(tzinfo=None) <= end
    )


def _posted_document(context: SampleContext, spec: SampleReport, value: int) -> tuple[dt.datetime, bool] | None:
    """The posting of a docId of ``spec`` the sample has posted by its clock, or None."""
    decoded = decode_doc_id(value)
    if decoded is None or decoded[0] is not spec or decoded[1] > context.now:
        return None
    _, posted, correction = decoded
    original = original_posting(spec, posted, correction)
    if correction and not corrects(spec, context.seed, original):
        return None
    first, _ = local_day_bounds_utc(_archive(spec).first_day - dt.timedelta(days=1))
    if original < first or postings(spec, original, original) != [original]:
        return None  # not on the report's posting schedule
    return posted, correction


# ---------------------------------------------------------------------------------------------------------------
# Replies
# ---------------------------------------------------------------------------------------------------------------


def archive_reply(request: httpx.Request, context: SampleContext) -> httpx.Response:
    """Answer ``/archive/...`` under the API base URL."""
    auth_problem = _api_auth_problem(request, context)
    if auth_problem is not None:
        return auth_problem
    path = request.url.path.removeprefix(httpx.URL(context.settings.ercot_api_url).path.rstrip("/"))
    parts = path.removeprefix(ARCHIVE_PREFIX).split("/")
    spec = REPORT_BY_EMIL.get(parts[0].lower())
    if spec is None or len(parts) > 2 or (len(parts) == 2 and parts[1] != "download"):
        return _error_envelope(context, 404, "NOT_FOUND", f"No EMIL product archive at {path}")
    wanted_method = "POST" if len(parts) == 2 else "GET"
    if request.method != wanted_method:
        return _error_envelope(context, 405, "METHOD_NOT_ALLOWED", f"{path} answers {wanted_method} only")
    routes = {"bulk": _bulk_download, "single": _single_download, "listing": _listing}
    kind = "bulk" if len(parts) == 2 else "single" if "download" in request.url.params else "listing"
    return routes[kind](request, context, spec)


def _listing(request: httpx.Request, context: SampleContext, spec: SampleReport) -> httpx.Response:
    params = dict(request.url.params)
    unknown = sorted(set(params) - _LISTING_PARAMS)
    if unknown:
        return _error_envelope(context, 400, "BAD_REQUEST", f"Invalid query parameter(s): {', '.join(unknown)}")
    try:
        start = dt.datetime.fromisoformat(params.get("postDatetimeFrom", "2000-01-01T00:00:00"))
        end = dt.datetime.fromisoformat(params.get("postDatetimeTo", "2100-01-01T00:00:00"))
        page = int(params.get("page", "1"))
        size = int(params.get("size", str(PAGE_SIZE_LIMIT)))
    except ValueError:
        return _error_envelope(
            context, 400, "BAD_REQUEST", "postDatetimeFrom/To must be yyyy-MM-ddTHH:mm:ss; page and size integers"
        )
    if page < 1 or not 1 <= size <= PAGE_SIZE_LIMIT or start.tzinfo is not None or end.tzinfo is not None:
        return _error_envelope(
            context, 400, "BAD_REQUEST", f"page >= 1, 1 <= size <= {PAGE_SIZE_LIMIT} and wall-clock times required"
        )
    documents = _listed(context.seed, spec.dataset, start, end, context.now)
    base = context.settings.ercot_api_url
    emil = _archive(spec).emil_id
    archives = [
        {
            "docId": value,
            "friendlyName": friendly_name(spec, posted, _is_correction(value)),
            "postDatetime": post_datetime(posted),
            "_links": {"endpoint": {"href": f"{base}{ARCHIVE_PREFIX}{emil.lower()}?download={value}"}},
        }
        for value, posted in documents[(page - 1) * size : page * size]
    ]
    document: dict[str, Any] = {
        "_meta": {
            "totalRecords": len(documents),
            "pageSize": size,
            "totalPages": -(-len(documents) // size),
            "currentPage": page,
            "query": {"parameterCount": len(params), "parameters": params, "sortedBy": "postDatetime: DESC"},
        },
        "product": {"emilId": emil, "name": spec.display_name, "reportTypeId": spec.report.mis_report_type_id},
        "archives": archives,
        "_links": {"self": {"href": str(request.url)}},
    }
    return _json_response(200, document)


def _is_correction(value: int) -> bool:
    return bool((value - DOC_ID_BASE) % 2)


def _zip_response(body: bytes) -> httpx.Response:
    return httpx.Response(200, content=body, headers={"Content-Type": "application/zip"})


def _single_download(request: httpx.Request, context: SampleContext, spec: SampleReport) -> httpx.Response:
    text = request.url.params.get("download", "")
    found = _posted_document(context, spec, int(text)) if text.isdigit() else None
    if found is None:
        return _error_envelope(context, 404, "NOT_FOUND", f"Document {text} not found for {_archive(spec).emil_id}")
    return _zip_response(document_zip(spec, context.seed, *found))


def _bulk_download(request: httpx.Request, context: SampleContext, spec: SampleReport) -> httpx.Response:
    try:
        wanted = json.loads(request.content)["docIds"]
        if not isinstance(wanted, list) or not all(isinstance(value, int) for value in wanted):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        return _error_envelope(context, 400, "BAD_REQUEST", 'The body must be JSON {"docIds": [integers]}')
    if not 1 <= len(wanted) <= DOWNLOAD_LIMIT:
        return _error_envelope(
            context, 400, "BAD_REQUEST", f"Between 1 and {DOWNLOAD_LIMIT} docIds per download, got {len(wanted)}"
        )
    found = {value: _posted_document(context, spec, value) for value in wanted}
    unknown = [str(value) for value, posting in found.items() if posting is None]
    if unknown:
        return _error_envelope(context, 404, "NOT_FOUND", f"Document(s) not found: {', '.join(unknown[:10])}")
    postings_found = [posting for posting in found.values() if posting is not None]
    if spec.kind == "vintage":  # every posting's numbers at once, not one posting per document
        _FORECAST_ZIPS.get(spec, context.seed, postings_found)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as bulk:
        for value, posting in found.items():
            assert posting is not None
            posted, correction = posting
            # Stamped with the posting's wall clock, as the document inside: the same request, the same bytes.
            member = zipfile.ZipInfo(
                f"{value}.{friendly_name(spec, posted, correction)}.zip",
                date_time=to_central(posted).timetuple()[:6],
            )
            bulk.writestr(member, document_zip(spec, context.seed, posted, correction))
    return _zip_response(buffer.getvalue())
