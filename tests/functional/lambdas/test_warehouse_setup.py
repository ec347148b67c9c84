"""WarehouseSetupFunction, the custom resource that sets up a namespace the stack created (schema, database roles,
grants) as its administrator: the Data API faked (tests/support/redshift.py), redshift-serverless under botocore's
Stubber, and respx for CloudFormation's response URL (a presigned S3 PUT)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
import respx
from botocore.stub import Stubber

from energylake.errors import EnergylakeError
from energylake.lambdas import warehouse_setup
from energylake.lambdas.warehouse_setup import admin_secret_arn, handle
from energylake.warehouse.redshift.setup import setup_statements
from tests.support.custom_resource import reported, response_url
from tests.support.fakes import FakeContext, load_handler
from tests.support.paths import REPO_ROOT
from tests.support.redshift import FakeDataApiClient, data_api

SAMPLE_EVENT = json.loads((REPO_ROOT / "events" / "warehouse_setup.json").read_text())
RESPONSE_URL = SAMPLE_EVENT["ResponseURL"]
SECRET = (
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:redshift!energylake-prod-0affd1a2b3c4-energylake_admin-Ab1"
)


@pytest.fixture
def cloudformation() -> Iterator[respx.Route]:
    """CloudFormation's response URL: records what the function reports."""
    with response_url(RESPONSE_URL) as route:
        yield route


def test_create_runs_the_setup_as_the_admin_one_statement_at_a_time(
    cloudformation: respx.Route, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the namespace's managed admin secret (found with GetNamespace) and the Data API
    fake = FakeDataApiClient()
    serverless = boto3.client("redshift-serverless", region_name="us-east-1")
    stub = Stubber(serverless)
    stub.add_response(
        "get_namespace",
        {"namespace": {"namespaceName": "energylake-prod-0affd1a2b3c4", "adminPasswordSecretArn": SECRET}},
        {"namespaceName": "energylake-prod-0affd1a2b3c4"},
    )
    stub.activate()
    clients = {"redshift-serverless": serverless, "redshift-data": fake}
    monkeypatch.setattr(warehouse_setup, "aws_client", lambda service: clients[service])
    # ... and no real sleeping while statements are polled
    monkeypatch.setattr(warehouse_setup, "DataApi", lambda client, target: data_api(client, target=target))

    # WHEN CloudFormation creates the resource (the sample event, through the real handler)
    reply = load_handler("warehouse_setup").lambda_handler(SAMPLE_EVENT, FakeContext("setup"))

    # THEN every setup statement ran, in order, each on its own (not one transaction), signed in with the admin
    # secret on the created workgroup, and CloudFormation heard SUCCESS
    expected = setup_statements(
        "energylake",
        loader_users=["IAMR:energylake-prod-LoadRedshiftRole-1A2B3C4D5E6F"],
        reader_users=["quicksight_reader"],
    )
    assert fake.batches == [[statement] for statement in expected]
    submissions = [params for name, params in fake.calls if name == "BatchExecuteStatement"]
    assert {(p["WorkgroupName"], p["Database"], p["SecretArn"]) for p in submissions} == {
        ("energylake-prod-0affd1a2b3c4", "dev", SECRET)
    }
    body = reported(cloudformation)
    assert body["Status"] == "SUCCESS", body["Reason"]
    assert body["PhysicalResourceId"] == "warehouse-setup-energylake-prod-0affd1a2b3c4-energylake"
    assert reply["Status"] == "SUCCESS"
    stub.assert_no_pending_responses()


def test_a_failing_statement_fails_the_deploy_with_redshifts_error(cloudformation: respx.Route) -> None:
    # GIVEN a workgroup that refuses the schema grant
    fake = FakeDataApiClient(
        fail=lambda sqls: "ERROR: role energylake_loader does not exist" if "GRANT" in sqls[0] else None
    )

    # WHEN the resource is created
    handle(SAMPLE_EVENT, api=data_api(fake))

    # THEN CloudFormation is told FAILED with one line naming the statement kind and Redshift's error
    body = reported(cloudformation)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("the warehouse setup failed: WarehouseError: setup FAILED: ERROR: role")
    assert "\n" not in body["Reason"]


def test_update_runs_the_setup_again_and_delete_keeps_it(cloudformation: respx.Route) -> None:
    fake = FakeDataApiClient()
    handle({**SAMPLE_EVENT, "RequestType": "Update", "PhysicalResourceId": "old"}, api=data_api(fake))
    assert reported(cloudformation)["Status"] == "SUCCESS" and fake.batches

    deleted = FakeDataApiClient()
    reply = handle({**SAMPLE_EVENT, "RequestType": "Delete", "PhysicalResourceId": "old"}, api=data_api(deleted))
    assert (reply["Status"], reply["PhysicalResourceId"]) == ("SUCCESS", "old")
    assert deleted.calls == []


def test_bad_properties_are_reported_not_raised(cloudformation: respx.Route) -> None:
    event = {**SAMPLE_EVENT, "ResourceProperties": {"ServiceToken": "x", "Database": "dev"}}
    handle(event, api=data_api(FakeDataApiClient()))
    body = reported(cloudformation)
    assert body["Status"] == "FAILED"
    assert body["Reason"] == "the warehouse setup's properties are invalid: WorkgroupName, NamespaceName"


def test_a_request_without_a_response_url_fails_the_invocation() -> None:
    with pytest.raises(EnergylakeError, match="bad or missing ResponseURL"):
        handle({"RequestType": "Create"}, api=data_api(FakeDataApiClient()))


def test_a_namespace_without_a_managed_secret_is_an_error() -> None:
    serverless = boto3.client("redshift-serverless", region_name="us-east-1")
    with Stubber(serverless) as stub:
        stub.add_response("get_namespace", {"namespace": {"namespaceName": "nsx"}}, {"namespaceName": "nsx"})
        with pytest.raises(EnergylakeError, match="ManageAdminPassword must be true"):
            admin_secret_arn("nsx", serverless)
