"""The sample source's ERCOT archive endpoints (energylake.sample.ercot_archive): the listing in the shape of ERCOT's
real listing reply, paging and limits, single and bulk downloads holding the same CSVs as the MIS downloads, the
fall-back day's 100 real-time documents, deterministic corrections, the sample's clock, and the rows the real client
gets through the archive matching the rows it gets through the data endpoints."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import re
import zipfile
from typing import Any

import httpx
import pyarrow as pa
import pytest
from pydantic import SecretStr

from energylake.contracts.datasets import CATALOG, ErcotDatasetName
from energylake.contracts.raw import RawReply
from energylake.lake.landing import raw_metadata
from energylake.parse import RawObject, parse_raw
from energylake.sample import SAMPLE_PASSWORD, SAMPLE_SUBSCRIPTION_KEY, SAMPLE_USERNAME, SampleServer, ercot_archive
from energylake.sample.ercot import _doc_id as mis_doc_id
from energylake.sample.ercot_reports import REPORTS, posting_records
from energylake.settings import ErcotCredentials, Settings
from energylake.sources.ercot import ErcotClient
from energylake.sources.ercot.postings import group_day, parse_post_datetime
from energylake.timeconv import local_day_bounds_utc
from energylake.window import Window
from tests.support.dst_days import FALL
from tests.support.sample_auth import signed_in_headers

SETTINGS = Settings(ercot_requests_per_minute=1e9)
API = SETTINGS.ercot_api_url
CREDENTIALS = ErcotCredentials(SAMPLE_USERNAME, SecretStr(SAMPLE_PASSWORD), SecretStr(SAMPLE_SUBSCRIPTION_KEY))
NOW = dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC)
AUTH = {"Ocp-Apim-Subscription-Key": SAMPLE_SUBSCRIPTION_KEY}
SEED = 20241103
ARCHIVED: tuple[ErcotDatasetName, ...] = ("spp_rt", "spp_dam", "load_weather_zone", "load_forecast", "wind", "solar")


def authorised(server: SampleServer) -> dict[str, str]:
    return signed_in_headers(server, SETTINGS)


def get(server: SampleServer, path: str, **params: str) -> httpx.Response:
    return server.handle(httpx.Request("GET", f"{API}{path}", params=params, headers=authorised(server)))


def listing(server: SampleServer, emil: str, start: str, end: str, **extra: str) -> dict[str, Any]:
    reply = get(server, f"/archive/{emil}", postDatetimeFrom=start, postDatetimeTo=end, **extra)
    assert reply.status_code == 200, reply.text
    document: dict[str, Any] = reply.json()
    return document


def csv_of(document_zip: bytes) -> tuple[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(document_zip)) as archive:
        (name,) = archive.namelist()
        return name, archive.read(name)


# ------------------------------------------------------------------------------------------------ formats


def test_the_listing_has_the_shape_of_ercots_real_listing_newest_first() -> None:
    server = SampleServer(SETTINGS, now=NOW, throttle_every=0)
    document = listing(server, "np6-905-cd", "2024-06-01T00:00:00", "2024-06-01T23:59:59", size="50", page="2")
    assert set(document) == {"_meta", "product", "archives", "_links"}
    meta = document["_meta"]
    assert {"totalRecords", "pageSize", "totalPages", "currentPage", "query"} <= set(meta)
    assert (meta["pageSize"], meta["currentPage"], meta["query"]["sortedBy"]) == (50, 2, "postDatetime: DESC")
    assert meta["totalPages"] == -(-meta["totalRecords"] // 50)
    assert document["product"] == {
        "emilId": "NP6-905-CD",
        "name": REPORTS["spp_rt"].display_name,
        "reportTypeId": 12301,
    }
    entries = document["archives"]
    assert len(entries) == meta["totalRecords"] - 50  # a day's 96 postings (and any re-post): page 2 is the rest
    assert all(set(entry) == {"docId", "friendlyName", "postDatetime", "_links"} for entry in entries)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}", entry["postDatetime"]) for entry in entries)
    assert all(re.fullmatch(r"SPPHLZNP6905_\d{8}_\d{4}_csv", entry["friendlyName"]) for entry in entries)
    assert all(
        entry["_links"]["endpoint"]["href"] == f"{API}/archive/np6-905-cd?download={entry['docId']}"
        for entry in entries
    )
    ids = [entry["docId"] for entry in entries]
    assert ids == sorted(ids, reverse=True)


def test_a_document_is_the_same_zip_by_single_and_by_bulk_download_and_holds_the_mis_csv() -> None:
    # GIVEN a wind posting the sample's MIS listing also holds (its clock a day after the posting)
    posted = dt.datetime(2024, 6, 1, 17, 55, tzinfo=dt.UTC)
    server = SampleServer(SETTINGS, now=posted + dt.timedelta(days=1), throttle_every=0)
    doc_id = ercot_archive.doc_id("wind", posted, correction=False)
    single = get(server, "/archive/np4-732-cd", download=str(doc_id))
    bulk = server.handle(
        httpx.Request(
            "POST",
            f"{API}/archive/np4-732-cd/download",
            json={"docIds": [doc_id]},
            headers=authorised(server),
        )
    )
    with zipfile.ZipFile(io.BytesIO(bulk.content)) as archive:
        (member,) = archive.namelist()
        from_bulk = archive.read(member)
    # THEN the single download is the bulk member, named after its docId
    assert member == f"{doc_id}.WPPHRLYAVGACTNP4732_csv.zip"
    assert from_bulk == single.content
    # AND it holds ERCOT's cdr-named CSV, the same bytes as the MIS download of that posting
    name, content = csv_of(single.content)
    assert name == "cdr.00013028.0000000000000000.20240601.125500.WPPHRLYAVGACTNP4732.csv"
    mis = server.handle(
        httpx.Request(
            "GET",
            f"{SETTINGS.ercot_web_url}/misdownload/servlets/mirDownload",
            params={"doclookupId": mis_doc_id(REPORTS["wind"], posted, csv_doc=True)},
        )
    )
    assert csv_of(mis.content)[1] == content


@pytest.mark.parametrize("day", [FALL, dt.date(2024, 6, 12)])
def test_each_real_time_document_holds_its_own_intervals_rows_and_the_mis_csv(day: dt.date) -> None:
    # GIVEN every real-time posting of a day, corrections included (the fall-back day: 100 intervals, the repeated
    # hour's labels)
    spec = REPORTS["spp_rt"]
    start, end = local_day_bounds_utc(day)
    posted = ercot_archive._postings(SEED, "spp_rt", start, end + dt.timedelta(minutes=30))
    # WHEN each document is generated (the day's CSVs laid out together)
    documents = {doc_id: ercot_archive.document_zip(spec, SEED, at, correction=ercot_archive._is_correction(doc_id))
                 for doc_id, at in posted}  # fmt: skip
    # THEN each holds the CSV of its own posting's rows written alone, as the MIS download of that posting does
    for doc_id, at in posted:
        correction = ercot_archive._is_correction(doc_id)
        original = ercot_archive.original_posting(spec, at, correction)
        alone = ercot_archive._document_zip(spec, SEED, at, correction, posting_records(SEED, spec, original))
        assert documents[doc_id] == alone, at
    # AND the documents of different intervals differ (a correction holds its original's rows)
    originals = {ercot_archive.original_posting(spec, at, ercot_archive._is_correction(d)) for d, at in posted}
    assert len({csv_of(body)[1] for body in documents.values()}) == len(originals) >= (100 if day == FALL else 96)


@pytest.mark.parametrize(
    ("method", "path", "params", "body", "status"),
    [
        ("GET", "/archive/np6-905-cd", {"size": "1001"}, None, 400),
        ("GET", "/archive/np6-905-cd", {"postDatetimeFrom": "June"}, None, 400),
        ("GET", "/archive/np6-905-cd", {"deliveryDate": "2024-06-01"}, None, 400),
        ("GET", "/archive/np9-999-cd", {}, None, 404),
        ("GET", "/archive/np6-905-cd", {"download": "123"}, None, 404),
        ("POST", "/archive/np6-905-cd/download", {}, {"docIds": list(range(1001))}, 400),
        ("POST", "/archive/np6-905-cd/download", {}, {"ids": [1]}, 400),
        ("GET", "/archive/np6-905-cd/download", {}, None, 405),
    ],
)
def test_bad_archive_requests_get_ercots_error_envelope(
    method: str, path: str, params: dict[str, str], body: Any, status: int
) -> None:
    server = SampleServer(SETTINGS, now=NOW, throttle_every=0)
    request = httpx.Request(method, f"{API}{path}", params=params, json=body, headers=authorised(server))
    reply = server.handle(request)
    assert reply.status_code == status
    assert {"timestamp", "code", "status", "message"} <= set(reply.json())


def test_the_archive_wants_the_key_and_a_token() -> None:
    server = SampleServer(SETTINGS, now=NOW, throttle_every=0)
    reply = server.handle(httpx.Request("GET", f"{API}/archive/np6-905-cd", headers=AUTH))
    assert reply.status_code == 401


# ------------------------------------------------------------------------------------------------ schedule


def test_the_fall_back_day_lists_100_real_time_documents_and_the_clock_hides_later_ones() -> None:
    # GIVEN the sample clock at 01:40 CST on the fall-back day, after the second 01:05 posting
    start, _ = local_day_bounds_utc(FALL)
    server = SampleServer(SETTINGS, now=start + dt.timedelta(hours=2, minutes=40), throttle_every=0)
    early = listing(server, "np6-905-cd", "2024-11-03T00:00:00", "2024-11-04T00:15:00")["archives"]
    # THEN what is listed stops at the clock: 01:05, 01:20, 01:35 twice each (the repeated labels), none later
    labels = [entry["postDatetime"][11:16] for entry in early if not ercot_archive.decode_doc_id(entry["docId"])[2]]
    assert labels[:5] == ["01:35", "01:20", "01:05", "01:50", "01:35"]
    # AND once the day is over, it has 100 regular documents, all placed on the fall-back day
    server = SampleServer(SETTINGS, now=NOW, throttle_every=0)
    entries = listing(server, "np6-905-cd", "2024-11-03T00:00:00", "2024-11-04T00:15:00")["archives"]
    regular = [entry for entry in entries if not ercot_archive.decode_doc_id(entry["docId"])[2]]
    archive = CATALOG["spp_rt"].archive
    assert archive is not None
    days = [group_day(archive, parse_post_datetime(entry["postDatetime"])) for entry in regular]
    assert days.count(FALL) == 100


def test_corrections_are_occasional_deterministic_later_and_carry_the_same_rows() -> None:
    server = SampleServer(SETTINGS, now=NOW, throttle_every=0)
    entries = listing(server, "np6-905-cd", "2024-06-01T00:00:00", "2024-06-30T23:59:59")["archives"]
    entries += listing(server, "np6-905-cd", "2024-06-01T00:00:00", "2024-06-30T23:59:59", page="2")["archives"]
    again = listing(server, "np6-905-cd", "2024-06-01T00:00:00", "2024-06-30T23:59:59")["archives"]
    corrections = [entry for entry in entries if ercot_archive.decode_doc_id(entry["docId"])[2]]
    # THEN a month has a few re-posts (about one in 300), the same ones every time
    assert 2 <= len(corrections) <= 20
    assert again == entries[:1000]
    by_name = {entry["friendlyName"]: entry for entry in entries if entry not in corrections}
    for correction in corrections:
        original = by_name[correction["friendlyName"]]
        # posted seven minutes after the original (same quarter hour: same interval), with a higher docId
        gap = parse_post_datetime(correction["postDatetime"]) - parse_post_datetime(original["postDatetime"])
        assert gap == dt.timedelta(minutes=7)
        assert correction["docId"] > original["docId"]
        first = csv_of(get(server, "/archive/np6-905-cd", download=str(original["docId"])).content)
        second = csv_of(get(server, "/archive/np6-905-cd", download=str(correction["docId"])).content)
        assert first[1] == second[1]
        assert first[0] != second[0]  # its own posting stamp in the file name


# ------------------------------------------------------------------------------------------------ both doors


def client_rows(dataset: ErcotDatasetName, window: Window, now: dt.datetime) -> pa.Table:
    """The rows the real client fetches for ``window`` (parsed, as curation parses them), sorted, within it."""
    server = SampleServer(SETTINGS, now=now, throttle_every=5)
    with ErcotClient(
        SETTINGS, credentials=CREDENTIALS, transport=server.transport(), sleep=lambda _: None, now=lambda: now,
        rng=random.Random(2),
    ) as client:  # fmt: skip
        groups: list[list[RawReply]] = list(client.iter_fetch(dataset, window))
    tables = []
    for group in groups:
        for reply in group:
            parsed = parse_raw(RawObject("k", dataset, reply.body, raw_metadata(reply)))
            tables.append(parsed.table)
    table = pa.concat_tables(tables)
    start, end = window.start_utc, window.end_utc
    times = table["interval_start_utc"].to_pylist()
    keep = [start <= time < end for time in times]
    table = table.filter(pa.array(keep))
    # A correction re-posts the same rows: count each row once (curation keeps the later posting's copy).
    table = table.group_by(table.column_names, use_threads=False).aggregate([])
    return table.sort_by([(name, "ascending") for name in table.column_names])


@pytest.mark.parametrize("dataset", ARCHIVED)
def test_the_archive_gives_the_rows_the_data_endpoints_give(dataset: ErcotDatasetName) -> None:
    # GIVEN a window fetched once through the archive (clock months later) and once through the data endpoints
    # (clock three days after, when every posting covering the window is out)
    archive = CATALOG[dataset].archive
    assert archive is not None
    vintage = archive.posting == "vintage"
    window = Window.parse("2024-06-01", "2024-06-01" if vintage else "2024-06-02")  # forecasts: postings of 10 days
    origins = {"archive": NOW, "api": dt.datetime(2024, 6, 5, 12, tzinfo=dt.UTC)}
    from_archive, from_api = (client_rows(dataset, window, now) for now in origins.values())
    # THEN the same rows, value for value (corrections re-post the same rows)
    assert from_archive.num_rows == from_api.num_rows > 0
    assert from_archive.equals(from_api), json.dumps(
        {name: from_archive[name].equals(from_api[name]) for name in from_archive.column_names}, indent=1
    )
