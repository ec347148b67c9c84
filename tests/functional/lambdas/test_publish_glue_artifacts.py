"""PublishGlueArtifactsFunction, the custom resource that makes `sam build && sam deploy` leave a runnable Glue job:
on moto S3 for the lake and respx for CloudFormation's response URL (a presigned S3 PUT)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import respx
from moto import mock_aws

from energylake.errors import EnergylakeError
from energylake.lake.layout import LakeUri
from energylake.lake.storage import S3Storage
from energylake.lambdas import _shared
from energylake.lambdas.publish_glue_artifacts import glue_artifacts, handle, publish
from energylake.settings import get_settings
from tests.support.custom_resource import reported, response_url
from tests.support.fakes import FakeContext, load_handler
from tests.support.paths import REPO_ROOT

REGION = "us-east-1"
BUCKET = "energylake-lake-test"
PACKAGE = REPO_ROOT / "layers" / "common" / "energylake"
SCRIPT = REPO_ROOT / "glue" / "build_gold.py"
SAMPLE_EVENT = json.loads((REPO_ROOT / "events" / "publish_glue_artifacts.json").read_text())
RESPONSE_URL = SAMPLE_EVENT["ResponseURL"]


@pytest.fixture
def lake(monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Storage]:
    monkeypatch.setenv("ENERGYLAKE_LAKE_URI", f"s3://{BUCKET}/")
    for cached in (_shared._lake, _shared.aws_client, get_settings):
        cached.cache_clear()
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        yield S3Storage(BUCKET, client=s3)
    for cached in (_shared._lake, _shared.aws_client, get_settings):
        cached.cache_clear()


@pytest.fixture
def cloudformation() -> Iterator[respx.Route]:
    """CloudFormation's response URL: records what the function reports."""
    with response_url(RESPONSE_URL) as route:
        yield route


def _request(request_type: str, **extra: str) -> dict[str, Any]:
    return {**SAMPLE_EVENT, "RequestType": request_type, **extra}


def test_create_publishes_the_job_script_and_the_package_and_reports_their_locations(
    lake: S3Storage, cloudformation: respx.Route
) -> None:
    # GIVEN an empty lake; WHEN CloudFormation creates the resource (the sample event, through the real handler)
    reply = load_handler("publish_glue_artifacts").lambda_handler(SAMPLE_EVENT, FakeContext("publish"))
    # THEN the script and the package are in the lake under one digest, and CloudFormation got their locations
    body = reported(cloudformation)
    assert body["Status"] == "SUCCESS", body["Reason"]
    assert (body["StackId"], body["RequestId"], body["LogicalResourceId"]) == (
        SAMPLE_EVENT["StackId"],
        SAMPLE_EVENT["RequestId"],
        "GlueArtifacts",
    )
    digest = body["Data"]["Digest"]
    assert body["PhysicalResourceId"] == f"glue-artifacts-{digest}" == reply["PhysicalResourceId"]
    assert body["Data"]["ScriptLocation"] == f"s3://{BUCKET}/artifacts/glue/{digest}/build_gold.py"
    assert body["Data"]["PackageLocation"] == f"s3://{BUCKET}/artifacts/glue/{digest}/energylake.zip"
    assert lake.get(f"artifacts/glue/{digest}/build_gold.py") == SCRIPT.read_bytes()
    with zipfile.ZipFile(io.BytesIO(lake.get(f"artifacts/glue/{digest}/energylake.zip"))) as package:
        assert "energylake/gold/spark.py" in package.namelist()
        assert package.read("energylake/window.py") == (PACKAGE / "window.py").read_bytes()


def test_a_redeploy_of_the_same_code_publishes_the_same_digest_and_writes_nothing_new(
    lake: S3Storage, cloudformation: respx.Route
) -> None:
    # GIVEN the artifacts published once
    first = handle(
        _request("Create"), package_dir=PACKAGE, script=SCRIPT, storage=lake, lake=LakeUri.parse(f"s3://{BUCKET}/")
    )
    objects = sorted(lake.list("artifacts/glue/"))
    # WHEN an update with the same code arrives (another property changed)
    second = handle(
        _request("Update", PhysicalResourceId=first["PhysicalResourceId"]),
        package_dir=PACKAGE,
        script=SCRIPT,
        storage=lake,
        lake=LakeUri.parse(f"s3://{BUCKET}/"),
    )
    # THEN the same physical id (CloudFormation sees no replacement) and no new object
    assert second["PhysicalResourceId"] == first["PhysicalResourceId"]
    assert sorted(lake.list("artifacts/glue/")) == objects and len(objects) == 2


def test_changed_code_publishes_beside_the_old_artifacts_without_touching_them(
    lake: S3Storage, cloudformation: respx.Route, tmp_path: Path
) -> None:
    # GIVEN artifacts published from the current script
    lake_uri = LakeUri.parse(f"s3://{BUCKET}/")
    old = publish(glue_artifacts(PACKAGE, SCRIPT), lake, lake_uri)
    # WHEN the script changes and the stack updates
    changed = tmp_path / "build_gold.py"
    changed.write_bytes(SCRIPT.read_bytes() + b"\n# changed\n")
    new = publish(glue_artifacts(PACKAGE, changed), lake, lake_uri)
    # THEN a new digest, and what a running job reads is still there, unchanged
    assert new.digest != old.digest
    assert lake.get(f"artifacts/glue/{old.digest}/build_gold.py") == SCRIPT.read_bytes()
    assert lake.get(f"artifacts/glue/{new.digest}/build_gold.py") == changed.read_bytes()


def test_the_package_archive_is_byte_identical_when_built_twice() -> None:
    # the digest names the content: two builds of the same files must give the same bytes (no timestamps)
    assert glue_artifacts(PACKAGE, SCRIPT).package == glue_artifacts(PACKAGE, SCRIPT).package


def test_delete_succeeds_and_keeps_the_artifacts(lake: S3Storage, cloudformation: respx.Route) -> None:
    lake_uri = LakeUri.parse(f"s3://{BUCKET}/")
    published = publish(glue_artifacts(PACKAGE, SCRIPT), lake, lake_uri)
    handle(
        _request("Delete", PhysicalResourceId=f"glue-artifacts-{published.digest}"),
        package_dir=PACKAGE,
        script=SCRIPT,
        storage=lake,
        lake=lake_uri,
    )
    body = reported(cloudformation)
    assert (body["Status"], body["PhysicalResourceId"]) == ("SUCCESS", f"glue-artifacts-{published.digest}")
    assert len(list(lake.list("artifacts/glue/"))) == 2


def test_a_function_built_without_the_job_script_fails_the_resource_with_a_reason(
    lake: S3Storage, cloudformation: respx.Route, tmp_path: Path
) -> None:
    # GIVEN a function folder without the linked script; WHEN CloudFormation creates the resource
    handle(
        _request("Create"),
        package_dir=PACKAGE,
        script=tmp_path / "build_gold.py",
        storage=lake,
        lake=LakeUri.parse(f"s3://{BUCKET}/"),
    )
    # THEN CloudFormation hears FAILED at once (not a one-hour timeout), with one line naming the missing file
    body = reported(cloudformation)
    assert body["Status"] == "FAILED"
    assert "no Glue job script at" in body["Reason"] and "\n" not in body["Reason"]
    assert body["PhysicalResourceId"] == "GlueArtifacts-unpublished"
    assert list(lake.list("artifacts/glue/")) == []


def test_a_lake_that_refuses_the_write_fails_the_resource(
    monkeypatch: pytest.MonkeyPatch, cloudformation: respx.Route
) -> None:
    # GIVEN a lake bucket that does not exist (the role or the bucket is wrong)
    monkeypatch.setenv("ENERGYLAKE_LAKE_URI", "s3://energylake-missing/")
    with mock_aws():
        storage = S3Storage("energylake-missing", client=boto3.client("s3", region_name=REGION))
        handle(
            _request("Create"),
            package_dir=PACKAGE,
            script=SCRIPT,
            storage=storage,
            lake=LakeUri.parse("s3://energylake-missing/"),
        )
    body = reported(cloudformation)
    assert body["Status"] == "FAILED"
    assert "cannot write s3://energylake-missing/artifacts/glue/" in body["Reason"]


def test_an_unknown_request_type_fails_the_resource(lake: S3Storage, cloudformation: respx.Route) -> None:
    handle(_request("Replace"), package_dir=PACKAGE, script=SCRIPT, storage=lake, lake=LakeUri.parse(f"s3://{BUCKET}/"))
    body = reported(cloudformation)
    assert (body["Status"], body["Reason"]) == ("FAILED", "unknown RequestType 'Replace'")


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ("not a request", "expected a JSON object, got str"),
        ({key: value for key, value in SAMPLE_EVENT.items() if key != "ResponseURL"}, "bad or missing ResponseURL"),
        ({**SAMPLE_EVENT, "ResponseURL": "http://example.com/"}, "bad or missing ResponseURL"),
    ],
)
def test_a_request_without_a_response_url_fails_the_invocation_naming_the_field(
    lake: S3Storage, cloudformation: respx.Route, event: object, message: str
) -> None:
    # nowhere to report to: the invocation fails with the reason (logged), and nothing is published
    with pytest.raises(EnergylakeError, match=message):
        handle(event, package_dir=PACKAGE, script=SCRIPT, storage=lake, lake=LakeUri.parse(f"s3://{BUCKET}/"))
    assert not cloudformation.called
    assert list(lake.list("artifacts/glue/")) == []
