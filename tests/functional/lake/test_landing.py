"""The raw zone on a local folder and on S3 (moto): bytes untouched, idempotent, versioned, never overwritten."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from energylake.contracts.raw import RawReply
from energylake.errors import StorageError
from energylake.lake import layout
from energylake.lake.landing import land_raw, list_raw
from energylake.lake.storage import LocalStorage, S3Storage, Storage, open_storage

BODY = b'{"_meta": {"totalPages": 1}, "data": [["2024-11-03", 2, "HB_NORTH", 23.5, "Y"]]}'


def reply(body: bytes = BODY, fetched_minute: int = 0, **changes: object) -> RawReply:
    base = RawReply(
        source="ercot",
        dataset="spp_rt",
        day=dt.date(2024, 11, 3),
        origin="ercot-api",
        origin_reason="ERCOT API credentials configured",
        method="GET",
        url="https://api.ercot.com/api/public-reports/np6-905-cd/spp_node_zone_hub",
        params={"deliveryDateFrom": "2024-11-03", "deliveryDateTo": "2024-11-03", "page": "1"},
        status_code=200,
        body=body,
        extension="json",
        fetched_at=dt.datetime(2024, 11, 4, 12, fetched_minute, tzinfo=dt.UTC),
        extra={"page": "1", "total-pages": "1"},
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_reply_lands_byte_for_byte_under_a_hive_key(lake: Storage) -> None:
    landed = land_raw(lake, reply())
    assert landed.written
    assert landed.key.startswith("raw/source=ercot/dataset=spp_rt/date=2024-11-03/")
    assert landed.key.endswith(".json")
    assert lake.get(landed.key) == BODY


def test_metadata_records_the_request_and_content(lake: Storage) -> None:
    landed = land_raw(lake, reply())
    meta = lake.metadata(landed.key)
    assert meta["request-url"] == "https://api.ercot.com/api/public-reports/np6-905-cd/spp_node_zone_hub"
    assert json.loads(meta["request-params"])["deliveryDateFrom"] == "2024-11-03"
    assert meta["fetched-at"] == "2024-11-04T12:00:00Z"
    assert meta["http-status"] == "200"
    assert meta["source-used"] == "ercot-api"
    assert meta["content-sha256"] == landed.sha256
    assert meta["x-total-pages"] == "1"


def test_landing_the_same_bytes_again_is_a_no_op(lake: Storage) -> None:
    first = land_raw(lake, reply())
    again = land_raw(lake, reply(fetched_minute=30))
    assert not again.written
    assert again.key == first.key
    assert list_raw(lake) == [first.key]
    assert lake.metadata(first.key)["fetched-at"] == "2024-11-04T12:00:00Z"  # the original stays


def test_changed_bytes_for_the_same_request_become_a_new_version(lake: Storage) -> None:
    first = land_raw(lake, reply())
    corrected = land_raw(lake, reply(body=BODY.replace(b"23.5", b"24.1"), fetched_minute=45))
    assert corrected.written and corrected.key != first.key
    assert lake.get(first.key) == BODY  # never overwritten
    versions = list_raw(lake)
    assert versions == sorted([first.key, corrected.key])
    assert versions[-1] == corrected.key  # the newest sorts last
    assert first.key.rsplit("/", 1)[0] == corrected.key.rsplit("/", 1)[0]  # same request folder


def test_different_requests_land_in_different_folders(lake: Storage) -> None:
    page1 = land_raw(lake, reply())
    page2 = land_raw(lake, reply(params={**reply().params, "page": "2"}))
    assert page1.key.rsplit("/", 1)[0] != page2.key.rsplit("/", 1)[0]
    first = reply()
    assert layout.raw_object_key(first.source, first.dataset, first.day, first.fingerprint, "") in page1.key


def test_no_secret_reaches_stored_metadata(lake: Storage) -> None:
    landed = land_raw(lake, reply())
    stored = json.dumps(lake.metadata(landed.key)).lower()
    for word in ("password", "subscription", "bearer", "authorization"):
        assert word not in stored


def test_put_new_never_replaces_an_existing_object(lake: Storage) -> None:
    assert lake.put_new("raw/x/a.json", b"first", {})
    assert not lake.put_new("raw/x/a.json", b"second", {})
    assert lake.get("raw/x/a.json") == b"first"


@pytest.mark.parametrize("key", ["../escape.json", "/abs.json", "raw/../../x", ""])
def test_keys_cannot_escape_the_lake(lake: Storage, key: str) -> None:
    with pytest.raises(StorageError, match="invalid object key"):
        lake.put(key, b"x")


def test_reading_a_missing_object_names_it(lake: Storage) -> None:
    with pytest.raises(StorageError, match=r"raw/none\.json"):
        lake.get("raw/none.json")


def test_local_writes_leave_no_temp_files_or_partial_objects(tmp_path: Path) -> None:
    lake = LocalStorage(tmp_path / "lake")
    land_raw(lake, reply())
    leftovers = [p for p in (tmp_path / "lake").rglob(".tmp-*")]
    assert leftovers == []
    assert all(not key.startswith(".meta") for key in lake.list(""))


def test_local_write_failure_is_a_storage_error_and_writes_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "lake"
    blocker.write_text("a file where the lake folder should be")
    with pytest.raises(StorageError, match="cannot write"):
        land_raw(LocalStorage(blocker), reply())
    assert blocker.read_text().startswith("a file")


def test_uri_chooses_the_backend(tmp_path: Path) -> None:
    assert isinstance(open_storage(str(tmp_path)), LocalStorage)
    s3 = open_storage("s3://bucket/some/prefix")
    assert isinstance(s3, S3Storage) and s3.prefix == "some/prefix/"
    with pytest.raises(StorageError, match="unsupported lake URI"):
        open_storage("gs://bucket")
    with pytest.raises(StorageError, match="needs a bucket"):
        open_storage("s3:///prefix")


@mock_aws
def test_s3_object_metadata_is_real_user_metadata() -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="lake")
    landed = land_raw(S3Storage("lake", client=s3), reply())
    head = s3.head_object(Bucket="lake", Key=landed.key)
    assert head["Metadata"]["content-sha256"] == landed.sha256
    assert head["ContentLength"] == len(BODY)
