"""The Redshift Data API runner: one batch is one BatchExecuteStatement polled to its end; serialization conflicts and
throttling are retried a bounded number of times; every other failure is a WarehouseError naming the statement kind
and Redshift's error; a statement past its deadline is cancelled. Requests are checked against botocore's model (the
fake client validates them; one test drives boto3's own client through botocore's Stubber)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from energylake.errors import ConfigurationError, WarehouseError
from energylake.warehouse.redshift.data_api import DataApi, DataApiTarget, RetryPolicy, is_serialization_conflict
from tests.support.fakes import FakeClock
from tests.support.redshift import FakeDataApiClient, client_error, data_api

STATEMENTS = ["CREATE TEMP TABLE stage_t (a INTEGER)", "COPY stage_t FROM 's3://b/m.json' MANIFEST", "MERGE INTO s.t"]
CONFLICT = "ERROR: 1023 DETAIL: Serializable isolation violation on table - 108745, transactions forming the cycle"


def _fails_first(times: int, error: str) -> Any:
    failures = iter([error] * times)
    return lambda sqls: next(failures, None)


def test_a_batch_is_one_transaction_polled_until_it_finishes() -> None:
    # GIVEN a batch that runs for two polls
    client = FakeDataApiClient(polls=2)
    clock = FakeClock()

    # WHEN it is run
    batch = data_api(client, clock).batch(STATEMENTS, kind="load")

    # THEN one BatchExecuteStatement carried every statement, signed in to the workgroup with IAM (no secret, no
    # user), with an idempotency token; then DescribeStatement until FINISHED; rows per statement come back
    name, submitted = client.calls[0]
    assert name == "BatchExecuteStatement"
    assert submitted["Sqls"] == STATEMENTS
    assert (submitted["WorkgroupName"], submitted["Database"]) == ("energylake-test", "dev")
    assert "SecretArn" not in submitted and "DbUser" not in submitted and submitted["ClientToken"]
    assert client.operations() == ["BatchExecuteStatement"] + ["DescribeStatement"] * 3
    assert batch.rows == (0, 100, 7) and batch.attempts == 1
    assert clock.sleeps == [0.5, 0.75]  # growing poll intervals, no busy loop


def test_a_serialization_conflict_is_retried_and_then_succeeds() -> None:
    # GIVEN a batch that loses a serializable-isolation conflict once (Redshift rolled it back)
    client = FakeDataApiClient(fail=_fails_first(1, CONFLICT), polls=0)
    clock = FakeClock()

    # WHEN it is run THEN it is submitted again, after a backoff, and succeeds
    batch = data_api(client, clock).batch(STATEMENTS, kind="load")
    assert batch.attempts == 2 and len(client.batches) == 2
    assert client.batches[0] == client.batches[1] == STATEMENTS
    assert len(clock.sleeps) == 1 and 0 <= clock.sleeps[0] <= RetryPolicy().backoff_base_s


def test_a_conflict_that_persists_fails_after_the_bounded_attempts() -> None:
    client = FakeDataApiClient(fail=lambda sqls: CONFLICT, polls=0)
    with pytest.raises(WarehouseError, match=r"^load FAILED after 3 attempts: ERROR: 1023") as caught:
        data_api(client, attempts=3).batch(STATEMENTS, kind="load")
    assert len(client.batches) == 3
    assert "[statement 1 of 3: CREATE TEMP TABLE stage_t" in str(caught.value)


def test_any_other_failure_is_not_retried_and_names_the_failing_statement() -> None:
    # GIVEN a COPY that fails (a Parquet column that does not match the stage table)
    error = "ERROR: Spectrum Scan Error: column 3 of file s3://b/x.parquet ... COPY failed"
    client = FakeDataApiClient(fail=lambda sqls: error, polls=0)

    # WHEN the batch runs THEN one attempt, and the error is Redshift's with the statement that failed
    with pytest.raises(WarehouseError) as caught:
        data_api(client).batch(STATEMENTS, kind="load")
    assert len(client.batches) == 1
    assert str(caught.value) == f"load FAILED: {error} [statement 2 of 3: COPY stage_t FROM 's3://b/m.json' MANIFEST]"


def test_throttling_is_retried_with_backoff() -> None:
    # GIVEN the API throttles the first two submissions and one describe
    client = FakeDataApiClient(throttle={"BatchExecuteStatement": 2, "DescribeStatement": 1}, polls=0)
    clock = FakeClock()

    # WHEN a batch runs THEN it succeeds, having waited between attempts
    batch = data_api(client, clock).batch(STATEMENTS, kind="migration")
    assert batch.attempts == 1
    assert client.operations().count("BatchExecuteStatement") == 3
    assert len(clock.sleeps) == 3


def test_throttling_that_persists_and_validation_errors_become_warehouse_errors() -> None:
    throttled = FakeDataApiClient(throttle={"ExecuteStatement": 10})
    with pytest.raises(
        WarehouseError, match=r"^freshness read failed: ExecuteStatement ThrottlingException after 4 attempts"
    ):
        data_api(throttled).query("SELECT 1", kind="freshness read")

    class Refusing(FakeDataApiClient):
        def batch_execute_statement(self, **kwargs: Any) -> dict[str, Any]:
            raise client_error("ValidationException", "Workgroup energylake-nope not found")

    refusing = Refusing()
    with pytest.raises(WarehouseError, match="migration failed: BatchExecuteStatement ValidationException: Workgroup"):
        data_api(refusing).batch(STATEMENTS, kind="migration")


def test_a_statement_still_running_at_its_deadline_is_cancelled() -> None:
    # GIVEN a batch that never finishes, and 60 s left for it
    client = FakeDataApiClient(hang=lambda sqls: True)
    clock = FakeClock()
    api = data_api(client, clock)

    # WHEN it runs THEN it is cancelled before the deadline passes, and the error says so
    with pytest.raises(WarehouseError, match=r"load still STARTED when the time left for it ran out: cancelled"):
        api.batch(STATEMENTS, kind="load", deadline=clock.now + 60)
    assert client.operations()[-1] == "CancelStatement"
    assert clock.now <= 1000 + 60


def test_an_aborted_batch_is_a_failure() -> None:
    class Aborting(FakeDataApiClient):
        def describe_statement(self, **kwargs: Any) -> dict[str, Any]:
            super().describe_statement(**kwargs)
            return {"Id": kwargs["Id"], "Status": "ABORTED", "Error": "cancelled by an administrator"}

    with pytest.raises(WarehouseError, match=r"^load ABORTED: cancelled by an administrator"):
        data_api(Aborting()).batch(STATEMENTS, kind="load")


def test_a_query_reads_every_page_as_plain_values() -> None:
    # GIVEN a freshness query whose three rows come back one per page, one of them NULL
    client = FakeDataApiClient(freshness=[("spp_rt", 21), ("weather", None), ("wind", 90)], page_size=1, polls=0)

    rows = data_api(client).query("SELECT dataset, minutes FROM s.v_data_freshness", kind="freshness read")

    assert rows == [["spp_rt", 21], ["weather", None], ["wind", 90]]
    assert client.operations().count("GetStatementResult") == 3


def test_who_signs_in_for_each_kind_of_warehouse() -> None:
    provisioned = DataApiTarget("warehouse", cluster_identifier="energylake", db_user="loader")
    assert provisioned.parameters() == {"Database": "warehouse", "ClusterIdentifier": "energylake", "DbUser": "loader"}
    admin = DataApiTarget("dev", workgroup_name="wg", secret_arn="arn:aws:secretsmanager:us-east-1:1:secret:x")
    assert admin.parameters() == {
        "Database": "dev",
        "WorkgroupName": "wg",
        "SecretArn": "arn:aws:secretsmanager:us-east-1:1:secret:x",
    }
    with pytest.raises(ConfigurationError, match="a Serverless workgroup name or a cluster identifier"):
        DataApiTarget("dev", workgroup_name="wg", cluster_identifier="c")
    with pytest.raises(ConfigurationError, match="needs a database user"):
        DataApiTarget("dev", cluster_identifier="c")


def test_serialization_conflicts_are_recognised_by_code_or_wording() -> None:
    assert is_serialization_conflict(CONFLICT)
    assert is_serialization_conflict("Serializable isolation violation on table")
    assert not is_serialization_conflict("ERROR: permission denied for schema energylake")
    assert not is_serialization_conflict("ERROR: relation 10235 does not exist")


@pytest.mark.parametrize(
    "target",
    [
        DataApiTarget("dev", workgroup_name="energylake-prod"),
        DataApiTarget("warehouse", cluster_identifier="energylake", db_user="loader"),
    ],
    ids=["serverless", "provisioned"],
)
def test_the_requests_are_what_boto3_sends_for_real(target: DataApiTarget) -> None:
    # GIVEN boto3's own redshift-data client under botocore's Stubber (which validates every request against the
    # service model and answers with the replies below)
    client = boto3.client("redshift-data", region_name="us-east-1")
    clock = FakeClock()
    with Stubber(client) as stub:
        stub.add_response("batch_execute_statement", {"Id": "b-1"}, {"Sqls": STATEMENTS, "ClientToken": ANY,
                                                                    **target.parameters()})  # fmt: skip
        stub.add_response("describe_statement", {"Id": "b-1", "Status": "STARTED"}, {"Id": "b-1"})
        finished = {"Id": "b-1", "Status": "FINISHED", "SubStatements": [{"Id": "b-1:1", "ResultRows": 4}]}
        stub.add_response("describe_statement", finished, {"Id": "b-1"})
        stub.add_response("execute_statement", {"Id": "q-1"}, {"Sql": "SELECT 1", "ClientToken": ANY,
                                                               **target.parameters()})  # fmt: skip
        stub.add_response(
            "describe_statement", {"Id": "q-1", "Status": "FINISHED", "HasResultSet": True}, {"Id": "q-1"}
        )
        stub.add_response("get_statement_result", {"Records": [[{"longValue": 1}]]}, {"Id": "q-1"})

        # WHEN a batch and a query run through it
        api = DataApi(client, target, sleep=clock.sleep, clock=clock.clock)
        batch = api.batch(STATEMENTS, kind="load")
        rows = api.query("SELECT 1", kind="freshness read")

        # THEN every expected request was made, exactly, and the replies were read
        stub.assert_no_pending_responses()
    assert batch.rows == (4,) and rows == [[1]]
