"""Curation of a group that holds a re-posted document (an ERCOT correction): the later posting's rows win before
the quality gate, the report says how many rows were superseded, and duplicates inside one document are still
rejected by the gate."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from energylake.contracts.datasets import DatasetName
from energylake.contracts.raw import Origin, RawReply
from energylake.curate import curate, keep_latest_postings, posting_ranks
from energylake.lake.landing import land_group
from energylake.lake.storage import LocalStorage
from energylake.timeconv import CENTRAL
from tests.support.archive_replies import RT_HEADER, Doc, document_zip, rt_doc

DAY = dt.date(2024, 6, 1)
TEN_AM = dt.datetime(2024, 6, 1, 10, tzinfo=CENTRAL).astimezone(dt.UTC)
QUARTER = dt.timedelta(minutes=15)
FETCHED = dt.datetime(2024, 6, 1, 20, tzinfo=dt.UTC)  # during the day: a partial day is allowed


@pytest.fixture
def lake(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "lake")


def reply(doc: Doc, *, origin: Origin = "ercot-archive", extra: dict[str, str] | None = None) -> RawReply:
    metadata = {"doc-id": str(doc.doc_id), "post-datetime": doc.label} if extra is None else extra
    return RawReply(
        source="ercot",
        dataset="spp_rt",
        day=DAY,
        origin=origin,
        origin_reason="test",
        method="POST",
        url="https://api.ercot.com/api/public-reports/archive/np6-905-cd/download",
        params={},
        status_code=200,
        body=doc.body,
        extension="zip",
        fetched_at=FETCHED,
        request_body=json.dumps({"docIds": [doc.doc_id]}).encode(),
        extra=metadata,
    )


def silver_prices(lake: LocalStorage, keys: list[str]) -> dict[tuple[str, dt.datetime], float]:
    table = pa.concat_tables(pq.read_table(lake.root / key) for key in keys)
    return {
        (row["settlement_point"], row["interval_start_utc"]): row["price_usd_mwh"]
        for row in table.select(["settlement_point", "interval_start_utc", "price_usd_mwh"]).to_pylist()
    }


ORIGINAL = rt_doc(TEN_AM, 100, price=25.0)
NEXT = rt_doc(TEN_AM + QUARTER, 200, price=26.0)
CORRECTION = rt_doc(TEN_AM, 300, lag=dt.timedelta(minutes=9), price=31.5)


@pytest.mark.parametrize(
    "members", [[ORIGINAL, NEXT, CORRECTION], [CORRECTION, NEXT, ORIGINAL]], ids=["posting order", "any order"]
)
def test_a_re_posted_interval_keeps_the_later_postings_rows(lake: LocalStorage, members: list[Doc]) -> None:
    # GIVEN a day's group holding the 10:00 interval twice: posted, then corrected (higher docId, other prices)
    landed = land_group(lake, [reply(doc) for doc in members])
    # WHEN it is curated
    result = curate(landed.manifest_key, lake, run_id="r")
    # THEN it passes with the correction's prices, nothing rejected, and the report counts the superseded rows
    assert result.status == "passed"
    assert (result.rows_in, result.rows_out, result.rows_rejected) == (4, 4, 0)
    prices = silver_prices(lake, result.silver_keys)
    assert prices[("HB_NORTH", TEN_AM)] == 31.5
    assert prices[("HB_NORTH", TEN_AM + QUARTER)] == 26.0
    report = json.loads(lake.get(result.report_key or ""))
    assert report["rows_superseded"] == 2
    assert report["source_rows_read"] == 6
    assert any(note.startswith("2 rows superseded by a later posting") for note in report["notes"])


def test_a_duplicate_inside_one_document_is_still_rejected_by_the_gate(lake: LocalStorage) -> None:
    # GIVEN a document listing HB_NORTH twice for one interval (and no re-post)
    rows = [
        "06/01/2024,11,1,HB_NORTH,HU,       25.00,N",
        "06/01/2024,11,1,HB_NORTH,HU,       27.00,N",
        "06/01/2024,11,1,LZ_HOUSTON,LZ,       25.00,N",
    ]
    doubled = Doc(100, "SPPHLZNP6905_20240601_1015_csv", ORIGINAL.posted, b"")
    doubled = Doc(
        100, doubled.friendly_name, doubled.posted, document_zip("\n".join([RT_HEADER, *rows]), doubled.posted, "x")
    )
    landed = land_group(lake, [reply(doubled), reply(NEXT)])
    result = curate(landed.manifest_key, lake, run_id="r")
    # THEN nothing was superseded and the gate rejected the second HB_NORTH row as a duplicate
    report = json.loads(lake.get(result.report_key or ""))
    assert report["rows_superseded"] == 0
    assert result.rows_rejected == 1
    (rejected_key,) = [key for key in result.quarantine_keys if key.endswith("rejected.parquet")]
    rejected = pq.read_table(lake.root / rejected_key).to_pylist()
    assert "duplicate natural key" in rejected[0]["rejection_reason"]


def api_page(price: float) -> bytes:
    fields = ["deliveryDate", "deliveryHour", "deliveryInterval", "settlementPoint", "settlementPointType"]
    fields += ["settlementPointPrice", "DSTFlag"]
    row = ["2024-06-01", 11, 1, "HB_NORTH", "HU", price, False]
    document = {"_meta": {"totalPages": 2}, "fields": [{"name": name} for name in fields], "data": [row]}
    return json.dumps(document).encode()


def test_data_endpoint_pages_are_not_documents_and_keep_todays_behaviour(lake: LocalStorage) -> None:
    # GIVEN a day's two API pages that both hold HB_NORTH 10:00 (ERCOT posted while the pages were read)
    pages = [
        RawReply(
            "ercot", "spp_rt", DAY, "ercot-api", "t", "GET", "https://api/np6-905-cd/spp_node_zone_hub",
            {"page": str(n)}, 200, api_page(price), "json", FETCHED,
        )
        for n, price in ((1, 25.0), (2, 31.5))
    ]  # fmt: skip
    result = curate(land_group(lake, pages).manifest_key, lake, run_id="r")
    # THEN nothing is superseded: the gate keeps the first and rejects the second, as before
    report = json.loads(lake.get(result.report_key or ""))
    assert (report["rows_superseded"], result.rows_rejected) == (0, 1)
    assert "duplicate natural key" in json.dumps(report["checks"])


@pytest.mark.parametrize(
    ("metadata", "ranks"),
    [
        ([{"x-doc-id": "30"}, {"x-doc-id": "4"}, {"x-doc-id": "100"}], [1, 0, 2]),
        (
            [
                {"x-post-datetime": "2024-06-01T10:24:00.000"},
                {"x-post-datetime": "2024-06-01T10:17:00.000"},
            ],
            [1, 0],
        ),
        ([{"x-publish-date": "2024-06-01T10:24:00-05:00"}, {"x-post-datetime": "2024-06-01T10:17:00.000"}], [1, 0]),
        ([{}, {"x-doc-id": "1"}, {}], [0, 1, 2]),  # nothing to order by: member order
    ],
)
def test_posting_ranks_use_docids_then_posting_labels_then_member_order(
    metadata: list[dict[str, str]], ranks: list[int]
) -> None:
    assert posting_ranks(metadata) == ranks


def test_forecast_vintages_are_never_superseded() -> None:
    # Their natural key holds the posting time: a collision is a parsing problem for the gate to show, not a re-post.
    dataset: DatasetName = "wind"
    table = pa.table({"x": [1]})
    kept, superseded = keep_latest_postings(dataset, [table, table], [{"x-doc-id": "1"}, {"x-doc-id": "2"}])
    assert (kept.num_rows, superseded) == (2, 0)
