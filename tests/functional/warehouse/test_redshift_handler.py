"""LoadRedshiftFunction's handler: the event, the settings, which warehouse the Data API signs in to, the invocation's
time limit; the lake on moto S3 and the Data API faked (tests/support/redshift.py). A real-Redshift test runs when
ENERGYLAKE_REDSHIFT_TEST_WORKGROUP is set (see the end of this module)."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from energylake.contracts.datasets import WAREHOUSE_TABLES
from energylake.errors import ConfigurationError, InvalidRequestError, WarehouseLoadError
from energylake.lake.storage import S3Storage, open_storage
from energylake.lambdas import _shared, load_redshift
from energylake.lambdas._shared import parse_event
from energylake.lambdas.load_redshift import LoadRedshiftEvent, data_api, handle
from energylake.settings import Settings, get_settings
from energylake.warehouse.model import WAREHOUSE
from energylake.warehouse.redshift.data_api import DataApi, DataApiTarget
from energylake.warehouse.redshift.load import load_window
from energylake.window import Window
from tests.support import network
from tests.support.fakes import FakeClock, FakeContext, load_handler
from tests.support.paths import REPO_ROOT
from tests.support.redshift import FakeDataApiClient, put_lake_object
from tests.support.redshift import data_api as fake_data_api

REGION = "us-east-1"
BUCKET = "energylake-lake-test"
ROLE = "arn:aws:iam::123456789012:role/energylake-copy"
SAMPLE_EVENT = REPO_ROOT / "events" / "load_redshift.json"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A serverless warehouse configured as the template configures it, and a lake with the sample event's week."""
    for name, value in {
        "ENERGYLAKE_LAKE_URI": f"s3://{BUCKET}/",
        "ENERGYLAKE_REDSHIFT_MODE": "serverless",
        "ENERGYLAKE_REDSHIFT_WORKGROUP": "energylake-test",
        "ENERGYLAKE_REDSHIFT_DATABASE": "dev",
        "ENERGYLAKE_REDSHIFT_COPY_ROLE_ARN": ROLE,
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    _shared._lake.cache_clear()  # the handler's lake (and its S3 client) is made inside moto
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=BUCKET)
        for day in range(1, 9):
            for dataset in ("spp_rt", "spp_dam"):
                put_lake_object(client, BUCKET, f"silver/dataset={dataset}/date=2024-11-0{day}/p.parquet", b"P")
        yield client
    _shared._lake.cache_clear()


def test_the_sample_event_loads_through_the_data_api_signed_in_to_the_workgroup(
    s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the Data API the handler builds from its settings, its client replaced by the fake
    fake = FakeDataApiClient()
    built: list[DataApiTarget] = []

    def with_fake_client(settings: Settings) -> DataApi:
        real = data_api(settings)
        built.append(real.target)
        return fake_data_api(fake, target=real.target)

    monkeypatch.setattr(load_redshift, "data_api", with_fake_client)

    # WHEN the sample event is handled by the real handler
    result = load_handler("load_redshift").lambda_handler(
        json.loads(SAMPLE_EVENT.read_text()), FakeContext("energylake-load-redshift")
    )

    # THEN the statements ran on the workgroup with the function's IAM identity (no user, no secret, no driver)
    assert built == [DataApiTarget("dev", workgroup_name="energylake-test")]
    assert {params["WorkgroupName"] for name, params in fake.calls if "Execute" in name} == {"energylake-test"}
    assert [entry["table"] for entry in result["tables"]] == ["ercot_spp"]
    assert result["window_start_utc"] == "2024-11-01T05:00:00+00:00"
    assert result["window_end_utc"] == "2024-11-08T06:00:00+00:00"
    assert (result["done"], result["next_start"]) == (True, None)
    json.dumps(result)


def test_the_handler_stops_within_the_invocations_time(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN 4 minutes left in the invocation, 1-day chunks, and batches of two minutes (24 polls of 5 s)
    monkeypatch.setenv("ENERGYLAKE_REDSHIFT_LOAD_CHUNK_DAYS", "1")
    get_settings.cache_clear()
    clock = FakeClock()
    ends_at = clock.now + 240
    fake = FakeDataApiClient(polls=24)

    # WHEN a week is loaded
    result = handle(
        {"start": "2024-11-01", "end": "2024-11-07", "tables": ["ercot_spp"]},
        api=fake_data_api(fake, clock),
        time_left=lambda: ends_at - clock.now,
    )

    # THEN it loaded the first day and says where to resume
    assert (result["done"], result["loaded_end"], result["next_start"]) == (False, "2024-11-01", "2024-11-02")


def test_a_failed_load_of_one_table_names_it_and_says_it_was_rolled_back(s3: Any) -> None:
    # GIVEN Redshift fails the COPY of the event's only table (a truncated Parquet file, say)
    error = "ERROR: Load into table 'stage_ercot_spp' failed. Check 'sys_load_error_detail' for details."
    fake = FakeDataApiClient(fail=lambda sqls: error if any(s.startswith("COPY ") for s in sqls) else None)

    # WHEN the handler loads it
    with pytest.raises(WarehouseLoadError) as caught:
        handle({"start": "2024-11-01", "end": "2024-11-07", "tables": ["ercot_spp"]}, api=fake_data_api(fake))

    # THEN the error (what the state machine retries on) names the table, the chunk and Redshift's error in one line
    message = str(caught.value)
    assert (caught.value.table, str(caught.value.window)) == ("ercot_spp", "2024-11-01..2024-11-07")
    assert message.startswith("load of energylake.ercot_spp for window 2024-11-01..2024-11-07 (operating days) failed")
    assert error in message and "rolled back: the whole chunk, every table unchanged for it: ercot_spp" in message
    assert "\n" not in message


def test_provisioned_clusters_sign_in_as_the_db_user() -> None:
    settings = Settings(
        redshift_mode="provisioned",
        redshift_cluster_id="energylake",
        redshift_db_user="loader",
        redshift_database="warehouse",
        redshift_region="us-west-2",
    )
    api = data_api(settings)
    assert api.target.parameters() == {"Database": "warehouse", "ClusterIdentifier": "energylake", "DbUser": "loader"}
    assert api.client.meta.region_name == "us-west-2"  # type: ignore[attr-defined]


def test_without_a_warehouse_the_load_is_skipped_not_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the template's default: no Redshift (RedshiftMode none)
    monkeypatch.setenv("ENERGYLAKE_REDSHIFT_MODE", "none")
    get_settings.cache_clear()
    fake = FakeDataApiClient()

    # WHEN the pipeline's load step runs
    result = handle({"start": "2024-11-01", "end": "2024-11-01"}, api=fake_data_api(fake))

    # THEN it succeeds with nothing loaded and no freshness (the run goes on to its summary)
    assert (result["tables"], result["freshness_minutes"], result["done"]) == ([], {}, True)
    assert fake.calls == []


@pytest.mark.parametrize(
    ("variables", "names"),
    [
        (
            {"ENERGYLAKE_REDSHIFT_MODE": "provisioned", "ENERGYLAKE_REDSHIFT_CLUSTER_ID": "c"},
            "ENERGYLAKE_REDSHIFT_DB_USER",
        ),
        ({"ENERGYLAKE_REDSHIFT_MODE": "serverless"}, "ENERGYLAKE_REDSHIFT_WORKGROUP"),
        ({"ENERGYLAKE_REDSHIFT_MODE": "serverless", "ENERGYLAKE_REDSHIFT_WORKGROUP": "w"}, "COPY_ROLE_ARN"),
        ({"ENERGYLAKE_REDSHIFT_SCHEMA_NAME": "Energy; DROP"}, "invalid setting ENERGYLAKE_REDSHIFT_SCHEMA_NAME: "),
        ({"ENERGYLAKE_REDSHIFT_READER_ROLE": "readers; DROP"}, "invalid setting ENERGYLAKE_REDSHIFT_READER_ROLE: "),
        ({"ENERGYLAKE_REDSHIFT_LOAD_CHUNK_DAYS": "0"}, "invalid setting ENERGYLAKE_REDSHIFT_LOAD_CHUNK_DAYS: "),
    ],
)
def test_a_bad_configuration_names_what_to_set(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], names: str
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    fake = FakeDataApiClient()
    with pytest.raises(ConfigurationError, match=names):
        handle({"start": "2024-11-01", "end": "2024-11-01"}, api=fake_data_api(fake))
    assert fake.calls == []


def test_an_empty_reader_role_grants_nothing() -> None:
    assert Settings(redshift_reader_role="").redshift_reader_role == ""


@pytest.mark.parametrize(
    ("event", "names"),
    [
        ({"start": "2024-11-07", "end": "2024-11-01"}, "end 2024-11-01 is before start 2024-11-07"),
        ({"start": "2024-11-01", "end": "2024-02-30"}, "end: .*must be a real calendar date"),
        ({"start": "2024-11-01", "end": "2024-11-07", "tables": ["spp"]}, "tables.0: Input should be 'ercot_spp'"),
        ({"start": "2024-11-01", "end": "2024-11-07", "tables": []}, "tables: List should have at least 1 item"),
    ],
)
def test_a_bad_event_names_the_field_and_runs_nothing(s3: Any, event: dict[str, Any], names: str) -> None:
    fake = FakeDataApiClient()
    with pytest.raises(InvalidRequestError, match=names):
        handle(event, api=fake_data_api(fake), storage=S3Storage(BUCKET, client=s3))
    assert fake.calls == []


def test_tables_load_in_the_model_order_by_default_and_once_each() -> None:
    assert WAREHOUSE.table_names == WAREHOUSE_TABLES
    default = parse_event({"start": "2024-11-01", "end": "2024-11-01"}, LoadRedshiftEvent)
    assert default.table_names() == list(WAREHOUSE.table_names)
    asked = parse_event(
        {"start": "2024-11-01", "end": "2024-11-01", "tables": ["system_hourly", "ercot_spp", "system_hourly"]},
        LoadRedshiftEvent,
    )
    assert asked.table_names() == ["ercot_spp", "system_hourly"]


def test_the_sample_event_is_a_valid_load_redshift_event() -> None:
    event = parse_event(json.loads(SAMPLE_EVENT.read_text()), LoadRedshiftEvent)
    assert str(event.window()) == "2024-11-01..2024-11-07"
    assert event.table_names() == ["ercot_spp"]


def test_a_local_lake_is_refused_naming_the_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name, value in {
        "ENERGYLAKE_LAKE_URI": str(tmp_path),
        "ENERGYLAKE_REDSHIFT_MODE": "serverless",
        "ENERGYLAKE_REDSHIFT_WORKGROUP": "energylake-test",
        "ENERGYLAKE_REDSHIFT_COPY_ROLE_ARN": ROLE,
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    _shared._lake.cache_clear()
    fake = FakeDataApiClient()
    with pytest.raises(ConfigurationError, match=r"^ENERGYLAKE_LAKE_URI: loading Redshift needs an S3 lake"):
        handle({"start": "2024-11-01", "end": "2024-11-01"}, api=fake_data_api(fake))
    assert fake.calls == []
    _shared._lake.cache_clear()


# --------------------------------------------------------------------------------------------------------------------
# Against a real Redshift (opt-in)
# --------------------------------------------------------------------------------------------------------------------

# Read at import: the autouse fixture of tests/conftest.py clears ENERGYLAKE_* variables before each test.
REAL_WORKGROUP = os.environ.get("ENERGYLAKE_REDSHIFT_TEST_WORKGROUP")
REAL_AWS_ENVIRONMENT = {
    name: os.environ.get(name)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_REGION")
}
REAL = {
    "database": os.environ.get("ENERGYLAKE_REDSHIFT_TEST_DATABASE", "dev"),
    "copy_role_arn": os.environ.get("ENERGYLAKE_REDSHIFT_TEST_COPY_ROLE_ARN", ""),
    "lake_uri": os.environ.get("ENERGYLAKE_REDSHIFT_TEST_LAKE_URI", ""),
    "window": os.environ.get("ENERGYLAKE_REDSHIFT_TEST_WINDOW", "2024-11-01..2024-11-07"),
}


@pytest.mark.skipif(
    not (REAL_WORKGROUP and REAL["copy_role_arn"] and REAL["lake_uri"]),
    reason="real Redshift test: set ENERGYLAKE_REDSHIFT_TEST_WORKGROUP, ENERGYLAKE_REDSHIFT_TEST_COPY_ROLE_ARN and "
    "ENERGYLAKE_REDSHIFT_TEST_LAKE_URI (an s3:// lake with curated silver, and its quality reports, for "
    "ENERGYLAKE_REDSHIFT_TEST_WINDOW, default 2024-11-01..2024-11-07), plus AWS credentials allowed to use the "
    "Data API on the workgroup and to create a schema",
)
def test_a_real_serverless_load_migrates_once_and_is_idempotent(monkeypatch: pytest.MonkeyPatch) -> None:
    # This test leaves the machine: lift the offline guard for it alone.
    monkeypatch.setattr(socket.socket, "connect", network._real_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", network._real_connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", network._real_getaddrinfo)
    # ... and give back the real AWS credentials the autouse fixture replaced with moto's fakes.
    for name, value in REAL_AWS_ENVIRONMENT.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    start, end = REAL["window"].split("..")
    window = Window(dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    schema = f"energylake_test_{uuid.uuid4().hex[:8]}"
    api = DataApi(boto3.client("redshift-data"), DataApiTarget(REAL["database"], workgroup_name=REAL_WORKGROUP))
    api.batch([f"CREATE SCHEMA {schema}"], kind="setup")  # the caller's user creates (and owns) the test schema
    try:
        lake = open_storage(REAL["lake_uri"])
        kwargs: dict[str, Any] = {"data_api": api, "iam_role_arn": REAL["copy_role_arn"], "schema_name": schema}
        # two tables: one chunk is ONE batch holding both, their temp tables in the batch's own session
        tables = ["ercot_load_by_weather_zone", "weather_hourly"]
        first = load_window(window, lake, tables=tables, **kwargs)
        assert first["migrated"] and first["tables"][0]["status"] == "loaded"
        count = f"SELECT COUNT(*) FROM {schema}.ercot_load_by_weather_zone"  # noqa: S608 (our schema name)
        rows = api.query(count, kind="freshness read")[0][0]
        assert rows > 0
        second = load_window(window, lake, tables=tables, **kwargs)
        assert not second["migrated"]
        assert api.query(count, kind="freshness read")[0][0] == rows
    finally:
        api.batch([f"DROP SCHEMA IF EXISTS {schema} CASCADE"], kind="setup")
