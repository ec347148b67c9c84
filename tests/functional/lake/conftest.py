"""The lake every test here runs against: a local folder and an S3 bucket (moto), the same tests on both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from energylake.lake.storage import Storage, open_storage


@pytest.fixture(params=["local", "s3"])
def lake(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    if request.param == "local":
        yield open_storage(str(tmp_path / "lake"))
        return
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="energylake-lake")
        yield open_storage("s3://energylake-lake/data", s3_client=s3)
