"""A forecast's postings of the days before a window come from the lake when an earlier fetch landed them (issue 16:
a year's backfill downloaded every forecast posting about 2.3 times, once for its own chunk and again as the
look-back of the next one). A posted document never changes; one whose bytes in the lake no longer match their
recorded hash is downloaded again and repaired, never handed on.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import boto3
import httpx
import pytest
from moto import mock_aws

from energylake import fetch as fetch_module
from energylake.fetch import Connection, FetchResult, fetch
from energylake.lake.storage import LocalStorage, Storage, open_storage
from energylake.timeconv import CENTRAL
from energylake.window import Window
from tests.support.archive_replies import Doc, FakeArchive, hourly_docs
from tests.support.fake_ercot import CREDENTIALS, SETTINGS, FakeErcot
from tests.support.fakes import FakeClock

LATER = dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC)  # long after the windows below: the archive door serves them
DAY = dt.timedelta(days=1)
FIRST_CHUNK = Window.parse("2024-06-10", "2024-06-16")
NEXT_CHUNK = Window.parse("2024-06-17", "2024-06-23")


def wind_postings() -> list[Doc]:
    """Hourly wind postings of 2024-06-01 .. 2024-06-30 (24 a day)."""
    return [doc for n in range(30) for doc in hourly_docs(dt.date(2024, 6, 1) + n * DAY, 3_000_000 + n * 100_000)]


def fetched(window: Window, lake: Storage, archive: FakeArchive) -> FetchResult:
    transport = httpx.MockTransport(FakeErcot(api_default=archive.handle).handle)
    return fetch(window, "wind", lake, Connection(SETTINGS, CREDENTIALS, transport, FakeClock().sleep, lambda: LATER))


def downloaded_ids(archive: FakeArchive) -> set[int]:
    ids: set[int] = set()
    for request in archive.requests:
        if request.method == "POST":
            ids.update(json.loads(request.content)["docIds"])
        elif "download" in request.url.params:
            ids.add(int(request.url.params["download"]))
    return ids


def posting_day(doc: Doc) -> dt.date:
    return doc.posted.astimezone(CENTRAL).date()


def test_the_next_chunk_takes_the_look_back_postings_from_the_lake_and_lands_the_same_groups(tmp_path: Path) -> None:
    # GIVEN a lake holding the first week's fetch (postings of 06-03 .. 06-18: 7 days before, 2 after)
    docs = wind_postings()
    lake = LocalStorage(tmp_path / "lake")
    first = fetched(FIRST_CHUNK, lake, FakeArchive("NP4-732-CD", docs))
    # WHEN the next week is fetched (it needs the postings of 06-10 .. 06-25)
    archive = FakeArchive("NP4-732-CD", docs)
    result = fetched(NEXT_CHUNK, lake, archive)
    # THEN only its own days' postings (06-17 .. 06-25) are downloaded; the 7 days before come from the lake
    own = {doc.doc_id for doc in docs if dt.date(2024, 6, 17) <= posting_day(doc) <= dt.date(2024, 6, 25)}
    assert downloaded_ids(archive) == own
    assert result.stats.reused == 7 * 24
    assert result.as_dict()["reused"] == 7 * 24
    # AND the 9 posting days both weeks need are the same objects under the same manifests (none written again)
    assert len(set(first.keys) & set(result.keys)) == 9 * 24
    assert len(set(first.manifests) & set(result.manifests)) == 9
    assert (result.unchanged, result.written) == (9 * 24, 7 * 24)
    # AND a fresh lake fetching the next week alone lands the same requests and contents
    fresh = fetched(NEXT_CHUNK, LocalStorage(tmp_path / "fresh"), FakeArchive("NP4-732-CD", docs))
    assert sorted(_request_and_content(key) for key in fresh.keys) == sorted(
        _request_and_content(key) for key in result.keys
    )


def _request_and_content(key: str) -> tuple[str, str]:
    """A raw key's request folder and content hash (its fetch instant differs from lake to lake)."""
    folder, name = key.rsplit("/", 1)
    return folder, name.split("-", 1)[1]


def test_a_look_back_posting_changed_in_the_lake_is_downloaded_again_and_repaired(tmp_path: Path) -> None:
    # GIVEN the first week fetched, then one of its look-back objects changed on disk
    docs = wind_postings()
    lake = LocalStorage(tmp_path / "lake")
    first = fetched(FIRST_CHUNK, lake, FakeArchive("NP4-732-CD", docs))
    changed_doc = next(doc for doc in docs if posting_day(doc) == dt.date(2024, 6, 12))
    changed_key = next(key for key in first.keys if lake.metadata(key).get("x-doc-id") == str(changed_doc.doc_id))
    path = tmp_path / "lake" / changed_key
    content = path.read_bytes()
    middle = len(content) // 2
    path.write_bytes(content[:middle] + bytes([content[middle] ^ 0xFF]) + content[middle + 1 :])
    # WHEN the next week is fetched
    archive = FakeArchive("NP4-732-CD", docs)
    result = fetched(NEXT_CHUNK, lake, archive)
    # THEN the changed document is downloaded again (never handed on) and its object holds ERCOT's bytes again
    assert changed_doc.doc_id in downloaded_ids(archive)
    assert result.stats.reused == 7 * 24 - 1
    assert lake.get(changed_key) == changed_doc.body


def test_an_s3_lake_is_never_asked_and_every_posting_is_downloaded(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN an S3 lake (moto) holding the first week's fetch
    docs = wind_postings()
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="lake")
        lake = open_storage("s3://lake/prefix", s3_client=boto3.client("s3", region_name="us-east-1"))
        fetched(FIRST_CHUNK, lake, FakeArchive("NP4-732-CD", docs))
        asked: list[str] = []
        monkeypatch.setattr(fetch_module, "landed_body", lambda storage, reply: asked.append(reply.url))
        # WHEN the next week is fetched
        archive = FakeArchive("NP4-732-CD", docs)
        result = fetched(NEXT_CHUNK, lake, archive)
    # THEN the lake was never asked (a LIST and a GET per document cost more there than one bulk download): every
    # posting the week needs is downloaded, and the look-back lands unchanged
    assert asked == []
    assert result.stats.reused == 0
    assert downloaded_ids(archive) == {
        doc.doc_id for doc in docs if dt.date(2024, 6, 10) <= posting_day(doc) <= dt.date(2024, 6, 25)
    }
    assert result.unchanged == 9 * 24
