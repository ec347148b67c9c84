"""Storage.list_sizes: every object under a prefix with its size, sorted by key, from a folder lake and from S3 (moto)
alike; what a Redshift COPY manifest needs (Parquet entries must state their length)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from energylake.errors import StorageError
from energylake.lake.layout import redshift_copy_manifest_key
from energylake.lake.storage import LocalStorage, S3Storage, Storage

WEEK = (dt.date(2024, 11, 1), dt.date(2024, 11, 7))
OBJECTS = {
    "silver/dataset=weather/date=2024-11-02/b.parquet": b"x" * 7,
    "silver/dataset=weather/date=2024-11-02/a.parquet": b"x" * 3,
    "silver/dataset=weather/date=2024-11-03/a.parquet": b"",
    "silver/dataset=wind/date=2024-11-02/a.parquet": b"x" * 11,
}


def _check(lake: Storage) -> None:
    for key, data in OBJECTS.items():
        lake.put(key, data)
    # WHEN one UTC date of one dataset is listed THEN its objects, sorted, each with its size in bytes
    assert lake.list_sizes("silver/dataset=weather/date=2024-11-02/") == [
        ("silver/dataset=weather/date=2024-11-02/a.parquet", 3),
        ("silver/dataset=weather/date=2024-11-02/b.parquet", 7),
    ]
    # ... an empty object is listed with size 0; a prefix with nothing under it lists nothing
    assert lake.list_sizes("silver/dataset=weather/date=2024-11-03/") == [
        ("silver/dataset=weather/date=2024-11-03/a.parquet", 0)
    ]
    assert lake.list_sizes("silver/dataset=weather/date=2024-11-04/") == []
    # ... and list() names the same keys
    assert list(lake.list("silver/dataset=weather/")) == [key for key, _ in lake.list_sizes("silver/dataset=weather/")]


def test_a_folder_lake_lists_sizes(tmp_path: Path) -> None:
    _check(LocalStorage(tmp_path))


def test_an_s3_lake_lists_sizes_under_its_prefix() -> None:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="lake")
        client.put_object(Bucket="lake", Key="other/silver/dataset=weather/date=2024-11-02/z.parquet", Body=b"zz")
        _check(S3Storage("lake", "team", client=client))  # keys are relative to the lake's prefix


def test_copy_manifest_keys_are_one_per_table_window_and_load() -> None:
    key = redshift_copy_manifest_key("ercot_spp", *WEEK, "20241108T060000Z-1a2b3c4d")
    assert key == "artifacts/redshift/copy-manifests/ercot_spp/2024-11-01_2024-11-07/20241108T060000Z-1a2b3c4d.json"
    with pytest.raises(StorageError, match="invalid Redshift manifest table"):
        redshift_copy_manifest_key("ercot_spp/../x", *WEEK, "1")
    with pytest.raises(StorageError, match="load id"):
        redshift_copy_manifest_key("ercot_spp", *WEEK, "a/b")
