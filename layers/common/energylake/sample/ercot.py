"""The ERCOT part of the sample source: the B2C token endpoint, the Public Reports API, the MIS listing and
downloads, and the fuel-mix dashboard, answering in ERCOT's exact formats. The rows come from
:mod:`energylake.sample.ercot_reports` (what each report holds and when it posts); the same request always gets the
same bytes.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import functools
import hashlib
import hmac
import io
import json
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import httpx
import orjson

from energylake.contracts.datasets import ErcotApiReport
from energylake.sample import ercot_yearly, world
from energylake.sample.context import SAMPLE_PASSWORD, SAMPLE_SUBSCRIPTION_KEY, SAMPLE_USERNAME
from energylake.sample.ercot_reports import (
    FUEL_CAPACITY_MW,
    FUELS,
    REPORT_BY_PATH,
    REPORT_BY_RTID,
    REPORT_ORDER,
    REPORTS,
    Column,
    SampleReport,
    Table,
    api_day_records,
    posting_records,
    postings,
    to_central,
    unit,
)
from energylake.timeconv import UTC, local_day_bounds_utc

if TYPE_CHECKING:
    from energylake.sample import csvtext
    from energylake.sample.context import SampleContext

MIS_LISTING_PATH = "/misapp/servlets/IceDocListJsonWS"
MIS_DOWNLOAD_PATH = "/misdownload/servlets/mirDownload"
FUEL_MIX_PATH = "/api/1/services/read/dashboards/fuel-mix.json"
MIS_WINDOW_DAYS = 5
TOKEN_LIFETIME_S = 3600

# ---------------------------------------------------------------------------------------------------------------
# Formatting
# ---------------------------------------------------------------------------------------------------------------


def _api_value(spec: SampleReport, column: Column, value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if column.api_name == "hourEnding" and spec.api_hour_format == "hh:00":
        return f"{value:02d}:00"
    if column.data_type == "BOOLEAN":
        return value == "Y"
    return value


def _csv_hour(spec: SampleReport, column: Column, value: int) -> str:
    if spec.csv_hour_format == "hh:00":
        return f"{value:02d}:00"
    if spec.csv_hour_format == "h:00":
        return f"{value}:00"
    return f"{value:02d}" if column.api_name == "deliveryHour" else str(value)


def _csv_value(spec: SampleReport, column: Column, value: Any) -> str:
    text: str
    if value is None:
        text = ""
    elif isinstance(value, dt.date):
        text = value.strftime("%m/%d/%Y")
    elif column.api_name in ("hourEnding", "deliveryHour"):
        text = _csv_hour(spec, column, value)
    elif column.api_name == "settlementPointPrice" and spec.kind == "rt":
        text = f"{value:12.2f}"  # ERCOT pads real-time prices to 12 characters
    elif isinstance(value, float):
        text = repr(value)
    else:
        text = str(value)
    return text


@functools.lru_cache(maxsize=4096)
def _csv_date(day: dt.date) -> str:
    return day.strftime("%m/%d/%Y")


@functools.lru_cache(maxsize=4096)
def _iso_date(day: dt.date) -> str:
    return day.isoformat()


def _csv_date_value(spec: SampleReport, column: Column, value: Any) -> str:
    return _csv_date(value) if type(value) is dt.date else _csv_value(spec, column, value)


def _api_date_value(spec: SampleReport, column: Column, value: Any) -> Any:
    return _iso_date(value) if type(value) is dt.date else _api_value(spec, column, value)


Converter = Callable[[Any], Any]


@dataclass(frozen=True)
class _Layout:
    """How a table becomes one reply's rows: the columns in order (``names``), then the converters of the few
    columns whose text is not the raw value's (by position)."""

    header: tuple[str, ...]
    names: tuple[str, ...]
    converters: tuple[tuple[int, Converter], ...]

    def columns(self, table: Table) -> list[list[Any]]:
        columns = [table.values(name) for name in self.names]
        for position, convert in self.converters:
            # Once per distinct value (a column holds a few dates, hours or flags many times over).
            converted = {value: convert(value) for value in dict.fromkeys(columns[position])}
            columns[position] = list(map(converted.__getitem__, columns[position]))
        return columns

    def rows(self, table: Table) -> list[tuple[Any, ...]]:
        return list(zip(*self.columns(table), strict=True))


@functools.cache
def _csv_layout(spec: SampleReport) -> _Layout:
    """The MIS CSV's layout: converters only where :func:`_csv_value` writes something else than :mod:`csv` does
    for the raw value (None -> "", floats -> repr, ints and strings -> str are the same either way)."""
    columns = [column for column in spec.columns if column.csv_name is not None]
    converters: list[tuple[int, Converter]] = []
    for position, column in enumerate(columns):
        if column.data_type == "DATE":
            converters.append((position, functools.partial(_csv_date_value, spec, column)))
        elif column.api_name in ("hourEnding", "deliveryHour") or (
            column.api_name == "settlementPointPrice" and spec.kind == "rt"
        ):
            converters.append((position, functools.partial(_csv_value, spec, column)))
    return _Layout(
        tuple(column.csv_name or "" for column in columns),
        tuple(column.api_name for column in columns),
        tuple(converters),
    )


@functools.cache
def _api_layout(spec: SampleReport) -> _Layout:
    """The API's ``data`` layout: converters only where :func:`_api_value` changes the value (dates, ``hh:00``
    hours, booleans)."""
    converters: list[tuple[int, Converter]] = []
    for position, column in enumerate(spec.columns):
        if column.data_type == "DATE":
            converters.append((position, functools.partial(_api_date_value, spec, column)))
        elif (column.api_name == "hourEnding" and spec.api_hour_format == "hh:00") or column.data_type == "BOOLEAN":
            converters.append((position, functools.partial(_api_value, spec, column)))
    names = tuple(column.api_name for column in spec.columns)
    return _Layout(names, names, tuple(converters))


def _csv_bytes(spec: SampleReport, table: Table) -> bytes:
    """The MIS CSV of ``table``: the bytes :func:`_csv_value` gives cell by cell."""
    (content,) = _csv_documents(spec, table, [(0, len(table))])
    return content


_ROWS_BY_COLUMNS = 200


def _csv_documents(spec: SampleReport, table: Table, bounds: Sequence[tuple[int, int]]) -> list[bytes]:
    """The MIS CSV of each ``table[start:stop]`` of ``bounds``. A large table (a forecast posting is hundreds of rows;
    several postings' or a day's real-time documents are worked out together) is laid out once by columns and each
    document cut out of it; a few rows go faster row by row."""
    layout = _csv_layout(spec)
    body = _csv_rows(spec, table) if len(table) >= _ROWS_BY_COLUMNS else None
    if body is not None:
        from energylake.sample import csvtext

        return [csvtext.document(layout.header, body[start:stop]) for start, stop in bounds]
    documents = []
    for start, stop in bounds:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(layout.header)
        writer.writerows(layout.rows(table.slice(start, stop)))
        documents.append(buffer.getvalue().encode())
    return documents


def _csv_rows(spec: SampleReport, table: Table) -> csvtext.ByteMatrix | None:
    """The CSV rows of ``table`` a column at a time (:mod:`energylake.sample.csvtext`): runs of number columns as
    one array, the other columns' text as :func:`_csv_value` writes it; None when the table has no number arrays
    or a text cell would need quoting (the row-by-row writer then does it)."""
    layout = _csv_layout(spec)
    if all(isinstance(table.columns[name], list) for name in layout.names):
        return None
    import numpy as np

    from energylake.sample import csvtext

    converters = dict(layout.converters)
    fields: list[csvtext.ByteMatrix] = []
    numbers: list[Any] = []  # a run of number columns, written as one block
    for position, name in enumerate(layout.names):
        column = table.columns[name]
        if not isinstance(column, list) and position not in converters:
            numbers.append(column)
            continue
        if numbers:
            fields.append(csvtext.cents(np.column_stack(numbers)))
            numbers = []
        values = column if isinstance(column, list) else table.values(name)
        field = csvtext.text(values, converters.get(position, _csv_cell))
        if field is None:
            return None
        fields.append(field)
    if numbers:
        fields.append(csvtext.cents(np.column_stack(numbers)))
    return csvtext.rows(fields)


def _csv_cell(value: Any) -> str:
    """What :mod:`csv` writes for a raw value."""
    return "" if value is None else repr(value) if isinstance(value, float) else str(value)


# Deflate's fastest level: the sample's documents are generated by the thousand for a backfill, and the client
# reads any level alike (ERCOT's own zips are deflated too).
_ZIP_LEVEL = 1


def _zip_bytes(member: str, content: bytes, posted_local: dt.datetime) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(member, date_time=posted_local.timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, content, compresslevel=_ZIP_LEVEL)
    return buffer.getvalue()


def _json_response(status: int, document: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    body = orjson.dumps(document)  # compact, as ERCOT's replies are
    return httpx.Response(status, content=body, headers={"Content-Type": "application/json", **(headers or {})})


def _error_envelope(context: SampleContext, code: int, status: str, message: str) -> httpx.Response:
    stamp = context.now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+00:00")
    return _json_response(code, {"timestamp": stamp, "code": code, "status": status, "message": message, "data": {}})


# ---------------------------------------------------------------------------------------------------------------
# Token endpoint (Azure AD B2C resource-owner password flow)
# ---------------------------------------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _signing_key(context: SampleContext) -> bytes:
    return hashlib.sha256(f"energylake-sample-token-{context.seed}".encode()).digest()


def _issue_token(context: SampleContext, username: str) -> str:
    """A JWT-shaped id token the sample can verify without remembering it (HMAC-signed with a seed key)."""
    issued = int(context.now.timestamp())
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = {"iss": "energylake-sample-b2c", "sub": username, "iat": issued, "exp": issued + TOKEN_LIFETIME_S}
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(_signing_key(context), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def _token_is_valid(context: SampleContext, token: str) -> bool:
    parts = token.split(".")
    if len(parts) != 3:
        return False
    expected = hmac.new(_signing_key(context), f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
    return hmac.compare_digest(_b64(expected), parts[2])


def token_reply(request: httpx.Request, context: SampleContext) -> httpx.Response:

    if request.method != "POST":
        return _json_response(405, {"error": "invalid_request", "error_description": "AADB2C90055: use POST"})
    form = {name: values[0] for name, values in parse_qs(request.content.decode()).items()}
    client_id = context.settings.ercot_client_id
    stamp = context.now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    if (
        form.get("grant_type") != "password"
        or form.get("client_id") != client_id
        or form.get("response_type") != "id_token"
        or form.get("scope") != f"openid {client_id} offline_access"
    ):
        return _json_response(
            400,
            {
                "error": "invalid_request",
                "error_description": f"AADB2C90117: The request is not a valid password flow request.\r\n"
                f"Timestamp: {stamp}",
            },
        )
    if form.get("username") != SAMPLE_USERNAME or form.get("password") != SAMPLE_PASSWORD:
        return _json_response(
            400,
            {
                "error": "invalid_grant",
                "error_description": "AADB2C90225: The username or password provided in the request are invalid.\r\n"
                f"Timestamp: {stamp}",
            },
        )
    token = _issue_token(context, SAMPLE_USERNAME)
    issued = int(context.now.timestamp())
    return _json_response(
        200,
        {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": str(TOKEN_LIFETIME_S),
            "expires_on": str(issued + TOKEN_LIFETIME_S),
            "not_before": str(issued),
            "resource": client_id,
            "id_token": token,
            "id_token_expires_in": str(TOKEN_LIFETIME_S),
            "refresh_token": "sample-refresh-" + _b64(hashlib.sha256(token.encode()).digest()[:12]),
            "refresh_token_expires_in": "86400",
        },
    )


# ---------------------------------------------------------------------------------------------------------------
# Public Reports API
# ---------------------------------------------------------------------------------------------------------------


def _api_auth_problem(request: httpx.Request, context: SampleContext) -> httpx.Response | None:
    """Azure API Management's 401 replies when the key or the bearer token is missing or wrong."""

    if request.headers.get("Ocp-Apim-Subscription-Key") != SAMPLE_SUBSCRIPTION_KEY:
        return _json_response(
            401,
            {
                "statusCode": 401,
                "message": "Access denied due to missing subscription key. Make sure to include subscription key "
                "when making requests to an API.",
            },
        )
    authorization = request.headers.get("Authorization", "")
    if not authorization.startswith("Bearer ") or not _token_is_valid(context, authorization.removeprefix("Bearer ")):
        return _json_response(401, {"statusCode": 401, "message": "Unauthorized. Access token is missing or invalid."})
    return None


def _api_query(report: ErcotApiReport, params: dict[str, str]) -> tuple[dt.date, dt.date, int, int] | str:
    """(first day, last day, page, size) of an API query, or what is wrong with it."""
    allowed = {report.date_from_param, report.date_to_param, "page", "size", "sort", "dir"}
    unknown = sorted(set(params) - allowed)
    if unknown:
        return f"Invalid query parameter(s): {', '.join(unknown)}"
    try:
        first = dt.date.fromisoformat(params[report.date_from_param])
        last = dt.date.fromisoformat(params.get(report.date_to_param, params[report.date_from_param]))
        page = int(params.get("page", "1"))
        size = int(params.get("size", "1000"))
    except (KeyError, ValueError):
        return f"{report.date_from_param} (yyyy-MM-dd) is required; page and size must be integers"
    if page < 1 or not 1 <= size <= 1_000_000 or last < first or (last - first).days > 31:
        return "page >= 1, 1 <= size <= 1000000 and a date range of at most 31 days are required"
    return first, last, page, size


def api_reply(request: httpx.Request, context: SampleContext) -> httpx.Response:
    auth_problem = _api_auth_problem(request, context)
    if auth_problem is not None:
        return auth_problem
    path = request.url.path.removeprefix(httpx.URL(context.settings.ercot_api_url).path.rstrip("/"))
    spec = REPORT_BY_PATH.get(path)
    if spec is None or request.method != "GET":
        return _error_envelope(context, 404, "NOT_FOUND", f"No report at {path}")
    report = spec.report
    params = dict(request.url.params)
    query = _api_query(report, params)
    if isinstance(query, str):
        return _error_envelope(context, 400, "BAD_REQUEST", query)
    first, last, page, size = query
    days = [
        api_day_records(context.seed, spec.dataset, first + dt.timedelta(days=offset), context.now)
        for offset in range((last - first).days + 1)
    ]
    records = Table.concat(spec, days)
    total_pages = -(-len(records) // size)
    page_records = records.slice((page - 1) * size, page * size)
    document = {
        "_meta": {
            "totalRecords": len(records),
            "pageSize": size,
            "totalPages": total_pages,
            "currentPage": page,
            "query": {"parameterCount": len(params), "parameters": params, "sortedBy": ""},
        },
        "report": {
            "reportName": spec.report_name,
            "reportDisplayName": spec.display_name,
            "reportId": str(report.mis_report_type_id),
            "reportEMIL": report.report_id,
            "downloadLimit": 1000,
        },
        "fields": [
            {
                "name": column.api_name,
                "label": column.label,
                "cardinality": 0,
                "dataType": column.data_type,
                "searchable": True,
                "sortable": True,
                "hasRange": column.data_type in ("DATE", "DATETIME", "DOUBLE", "INTEGER"),
            }
            for column in spec.columns
        ],
        "data": _api_layout(spec).rows(page_records),
    }
    return _json_response(200, document)


# ---------------------------------------------------------------------------------------------------------------
# www.ercot.com: MIS listing, MIS download, fuel-mix dashboard
# ---------------------------------------------------------------------------------------------------------------


def web_reply(request: httpx.Request, context: SampleContext) -> httpx.Response:
    path = request.url.path.removeprefix(httpx.URL(context.settings.ercot_web_url).path.rstrip("/"))
    yearly = ercot_yearly.web_reply(request, context, path)  # yearly files, their MIS listings and pages
    if yearly is not None:
        return yearly
    routes: dict[str, Callable[[httpx.Request, SampleContext], httpx.Response]] = {
        MIS_LISTING_PATH: _mis_listing,
        MIS_DOWNLOAD_PATH: _mis_download,
        FUEL_MIX_PATH: _fuel_mix,
    }
    route = routes.get(path)
    if route is None or request.method != "GET":
        return _json_response(404, {"error": "not found", "path": path})
    return route(request, context)


def _doc_id(spec: SampleReport, posted: dt.datetime, *, csv_doc: bool) -> str:
    """A 10-digit DocID that encodes its own posting, so downloads need no server-side memory."""
    minutes = int(posted.timestamp()) // 60
    return str((minutes * 10 + REPORT_ORDER.index(spec.dataset)) * 2 + (0 if csv_doc else 1))


def _decode_doc_id(text: str) -> tuple[SampleReport, dt.datetime, bool] | None:
    try:
        number = int(text)
    except ValueError:
        return None
    rest, kind = divmod(number, 2)
    minutes, index = divmod(rest, 10)
    if index >= len(REPORT_ORDER):
        return None
    posted = dt.datetime.fromtimestamp(minutes * 60, UTC)
    return REPORTS[REPORT_ORDER[index]], posted, kind == 0


def _mis_window(context: SampleContext) -> tuple[dt.datetime, dt.datetime]:
    today = to_central(context.now).date()
    start, _ = local_day_bounds_utc(today - dt.timedelta(days=MIS_WINDOW_DAYS))
    return start, context.now


def _constructed_name(spec: SampleReport, posted: dt.datetime, seed: int, *, csv_doc: bool) -> str:
    local = to_central(posted)
    millis = int(unit(seed, "ms", spec.dataset, posted.isoformat()) * 1000)
    rtid = spec.report.mis_report_type_id
    kind = "csv" if csv_doc else "xml"
    return f"cdr.{rtid:08d}.0000000000000000.{local:%Y%m%d.%H%M%S}{millis:03d}.{spec.friendly_name}_{kind}.zip"


def _publish_date(posted: dt.datetime, seed: int, dataset: str) -> dt.datetime:
    """Real postings land a few seconds after the minute."""
    return posted + dt.timedelta(seconds=int(unit(seed, "publish", dataset, posted.isoformat()) * 12))


def _mis_listing(request: httpx.Request, context: SampleContext) -> httpx.Response:
    try:
        spec = REPORT_BY_RTID[int(request.url.params.get("reportTypeId", ""))]
    except (KeyError, ValueError):
        return _json_response(200, {"ListDocsByRptTypeRes": {"DocumentList": []}})
    start, end = _mis_window(context)
    documents = []
    for posted in sorted(postings(spec, start, end), reverse=True):  # newest first, like ERCOT
        published = to_central(_publish_date(posted, context.seed, spec.dataset))
        expires = published.date() + dt.timedelta(days=7)
        for csv_doc in (True, False):
            size = 4000 + int(unit(context.seed, "size", spec.dataset, posted.isoformat(), csv_doc) * 12000)
            documents.append(
                {
                    "Document": {
                        "ExpiredDate": f"{expires.isoformat()}T23:59:59-05:00",
                        "ILMStatus": "EXT",
                        "SecurityStatus": "P",
                        "ContentSize": str(size),
                        "Extension": "zip",
                        "ReportTypeID": str(spec.report.mis_report_type_id),
                        "Prefix": "cdr",
                        "FriendlyName": f"{spec.friendly_name}_{'csv' if csv_doc else 'xml'}",
                        "ConstructedName": _constructed_name(spec, posted, context.seed, csv_doc=csv_doc),
                        "DocID": _doc_id(spec, posted, csv_doc=csv_doc),
                        # ERCOT's quirk: the wall clock is Central, the offset is always -05:00.
                        "PublishDate": f"{published:%Y-%m-%dT%H:%M:%S}-05:00",
                        "ReportName": spec.display_name,
                        "DUNS": "0000000000000000",
                        "DocCount": "0",
                    }
                }
            )
    return _json_response(200, {"ListDocsByRptTypeRes": {"DocumentList": documents}})


def _mis_download(request: httpx.Request, context: SampleContext) -> httpx.Response:
    decoded = _decode_doc_id(request.url.params.get("doclookupId", ""))
    start, end = _mis_window(context)
    if decoded is None or not start <= decoded[1] <= end:
        return httpx.Response(404, content=b"Document not found", headers={"Content-Type": "text/plain"})
    spec, posted, csv_doc = decoded
    records = posting_records(context.seed, spec, posted)
    local = to_central(posted)
    stem = f"cdr.{spec.report.mis_report_type_id:08d}.0000000000000000.{local:%Y%m%d.%H%M%S}.{spec.friendly_name}"
    if csv_doc:
        member, content = f"{stem}.csv", _csv_bytes(spec, records)
    else:
        rows = "".join(
            "<row>"
            + "".join(
                f"<{c.api_name}>{_csv_value(spec, c, r[c.api_name]).strip()}</{c.api_name}>" for c in spec.columns
            )
            + "</row>"
            for r in records.records()
        )
        member, content = (
            f"{stem}.xml",
            f'<?xml version="1.0"?><{spec.report_name}>{rows}</{spec.report_name}>'.encode(),
        )
    return httpx.Response(
        200,
        content=_zip_bytes(member, content, local.replace(tzinfo=None)),
        headers={"Content-Type": "application/zip"},
    )


def _fuel_hsl(fuel: str, generation: float, capacity: float) -> float:
    """High sustained limit: what the online units could give (wind/solar: what the weather allows)."""
    if fuel in ("Wind", "Solar"):
        return generation * 1.05
    if fuel == "Power Storage":
        return capacity * 0.6
    return min(capacity, max(generation * 1.12, generation + 0.05 * capacity))


def _fuel_mix(request: httpx.Request, context: SampleContext) -> httpx.Response:
    today = to_central(context.now).date()
    start, _ = local_day_bounds_utc(today - dt.timedelta(days=1))
    data: dict[str, dict[str, Any]] = {}
    last_stamp = ""
    instant = start
    while True:
        # ERCOT stamps the 5-minute values a few seconds before the grid (00:04:57, 00:09:57, ...).
        stamp = instant + dt.timedelta(minutes=4, seconds=57)
        if stamp > context.now:
            break
        local = to_central(stamp)
        key = f"{local:%Y-%m-%d %H:%M:%S%z}"
        mix = world.fuel_mix_at(context.seed, stamp)
        data.setdefault(local.date().isoformat(), {})[key] = {
            fuel: {
                "gen": round(mix[fuel], 1),
                "hsl": round(_fuel_hsl(fuel, mix[fuel], capacity), 1),
                "seasonalCapacity": capacity,
            }
            for fuel, capacity in FUEL_CAPACITY_MW.items()
        }
        last_stamp = key
        instant += dt.timedelta(minutes=5)
    return _json_response(200, {"lastUpdated": last_stamp, "types": list(FUELS), "data": data})
