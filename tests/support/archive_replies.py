"""Recorded-format replies of ERCOT's archive endpoints for the archive door's tests, and a scripted archive that
serves them.

Formats, as far as public sources show them (``../shared/DOMAIN.md``; gridstatus's archive client):

* listing ``GET /archive/{emil}``: ``{"_meta": {totalRecords, pageSize, totalPages, currentPage, query: {...,
  sortedBy: "postDatetime: DESC"}}, "product": {emilId, name, reportTypeId}, "archives": [{docId, friendlyName,
  postDatetime, _links: {endpoint: {href: ...?download=<docId>}}}], "_links": {...}}``, newest first;
* a document's zip holds one CSV named ``cdr.<rtid>.0000000000000000.<YYYYMMDD.HHMMSS>.<name>.csv``;
* ``POST /archive/{emil}/download`` answers a zip whose members are the documents' zips, each named after its docId
  (``<docId>.<friendly name>.zip``: gridstatus reads the docId before the first dot).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

from energylake.timeconv import CENTRAL, local_day_bounds_utc
from tests.support.fake_ercot import API

RT_HEADER = (
    "DeliveryDate,DeliveryHour,DeliveryInterval,SettlementPointName,SettlementPointType,SettlementPointPrice,DSTFlag"
)
DAM_HEADER = "DeliveryDate,HourEnding,SettlementPoint,SettlementPointPrice,DSTFlag"
QUARTER = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class Doc:
    """One posted document: its listing entry and its own zip."""

    doc_id: int
    friendly_name: str
    posted: dt.datetime  # UTC
    body: bytes

    @property
    def label(self) -> str:
        return self.posted.astimezone(CENTRAL).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]

    def entry(self, emil: str) -> dict[str, Any]:
        return {
            "docId": self.doc_id,
            "friendlyName": self.friendly_name,
            "postDatetime": self.label,
            "_links": {"endpoint": {"href": f"{API}/archive/{emil.lower()}?download={self.doc_id}"}},
        }


def document_zip(csv_text: str, posted: dt.datetime, name: str) -> bytes:
    local = posted.astimezone(CENTRAL)
    member = f"cdr.00012301.0000000000000000.{local:%Y%m%d.%H%M%S}.{name}.csv"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, csv_text)
    return buffer.getvalue()


def bulk_zip(docs: Iterable[Doc]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as bulk:
        for doc in docs:
            bulk.writestr(f"{doc.doc_id}.{doc.friendly_name}.zip", doc.body)
    return buffer.getvalue()


def rt_doc(
    interval_start: dt.datetime, doc_id: int, *, lag: dt.timedelta = dt.timedelta(minutes=2), price: float = 25.0
) -> Doc:
    """The NP6-905 document of one 15-minute interval (two settlement points), posted ``lag`` after it ends."""
    local = interval_start.astimezone(CENTRAL)
    end = (interval_start + QUARTER).astimezone(CENTRAL)
    flag = "Y" if local.fold == 1 else "N"
    day = local.date()
    hour, interval = local.hour + 1, local.minute // 15 + 1
    rows = [
        f"{day:%m/%d/%Y},{hour:02d},{interval},{point},{kind},{price:12.2f},{flag}"
        for point, kind in (("HB_NORTH", "HU"), ("LZ_HOUSTON", "LZ"))
    ]
    name = f"SPPHLZNP6905_{end:%Y%m%d_%H%M}"
    posted = interval_start + QUARTER + lag
    return Doc(doc_id, f"{name}_csv", posted, document_zip("\n".join([RT_HEADER, *rows]) + "\n", posted, name))


def rt_day(day: dt.date, first_id: int, *, id_step: int = 3600) -> list[Doc]:
    """Every real-time document of an operating day (92, 96 or 100), docIds growing with posting time."""
    start, end = local_day_bounds_utc(day)
    docs: list[Doc] = []
    instant = start
    while instant < end:
        docs.append(rt_doc(instant, first_id + id_step * len(docs)))
        instant += QUARTER
    return docs


def dam_doc(day: dt.date, doc_id: int) -> Doc:
    """The NP4-190 document of one delivery day, posted at 12:30 the day before."""
    posted = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(12, 30, 7), CENTRAL).astimezone(dt.UTC)
    rows = [f"{day:%m/%d/%Y},{he:02d}:00,HB_NORTH,{20 + he:.2f},N" for he in range(1, 25)]
    return Doc(
        doc_id, "DAMSPNP4190_csv", posted, document_zip("\n".join([DAM_HEADER, *rows]) + "\n", posted, "DAMSPNP4190")
    )


@dataclass
class FakeArchive:
    """Serves one product's listing (paged, newest first, filtered by wall-clock posting labels) and its downloads,
    recording every request; use as a FakeErcot answer (``api_default=archive.handle``)."""

    emil: str
    docs: list[Doc]
    bulk: Callable[[list[Doc]], bytes] = bulk_zip  # swap in to corrupt the bulk reply
    requests: list[httpx.Request] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = f"/archive/{self.emil.lower()}"
        by_id = {doc.doc_id: doc for doc in self.docs}
        if request.url.path.endswith(f"{path}/download") and request.method == "POST":
            wanted = json.loads(request.content)["docIds"]
            return httpx.Response(200, content=self.bulk([by_id[doc_id] for doc_id in wanted]))
        if not request.url.path.endswith(path):
            return httpx.Response(404, json={"timestamp": "t", "code": 404, "status": "NOT_FOUND", "message": "no"})
        params = request.url.params
        if "download" in params:
            return httpx.Response(200, content=by_id[int(params["download"])].body)
        start = dt.datetime.fromisoformat(params["postDatetimeFrom"])
        end = dt.datetime.fromisoformat(params["postDatetimeTo"])
        page, size = int(params["page"]), int(params["size"])
        listed = sorted(
            (doc for doc in self.docs if start <= dt.datetime.fromisoformat(doc.label) <= end),
            key=lambda doc: doc.doc_id,
            reverse=True,
        )
        return listing_page(
            self.emil,
            listed[(page - 1) * size : page * size],
            page=page,
            size=size,
            total=len(listed),
            params=dict(params),
        )

    def listings(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == "GET" and "download" not in r.url.params]

    def downloads(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == "POST" or "download" in r.url.params]


def listing_page(
    emil: str, docs: list[Doc], *, page: int, size: int, total: int, params: dict[str, str] | None = None
) -> httpx.Response:
    document = {
        "_meta": {
            "totalRecords": total,
            "pageSize": size,
            "totalPages": -(-total // size),
            "currentPage": page,
            "query": {
                "parameterCount": len(params or {}),
                "parameters": params or {},
                "sortedBy": "postDatetime: DESC",
            },
        },
        "product": {"emilId": emil, "name": "Settlement Point Prices", "reportTypeId": 12301},
        "archives": [doc.entry(emil) for doc in docs],
        "_links": {"self": {"href": f"{API}/archive/{emil.lower()}"}},
    }
    return httpx.Response(200, json=document)


def hourly_docs(day: dt.date, first_id: int, *, minute: int = 55, id_step: int = 3600) -> list[Doc]:
    """An hourly forecast report's postings of one posting day (wind, NP4-732: a two-row CSV each)."""
    start, end = local_day_bounds_utc(day)
    docs: list[Doc] = []
    posted = start + dt.timedelta(minutes=minute)
    while posted < end:
        local = posted.astimezone(CENTRAL)
        csv_text = (
            "DELIVERY_DATE,HOUR_ENDING,SYSTEM_WIDE_GEN,STWPF_SYSTEM_WIDE,DSTFlag\n"
            f"{local:%m/%d/%Y},{local.hour + 1},,1000.5,N\n"
        )
        name = "WPPHRLYAVGACTNP4732"
        docs.append(Doc(first_id + id_step * len(docs), f"{name}_csv", posted, document_zip(csv_text, posted, name)))
        posted += dt.timedelta(hours=1)
    return docs
