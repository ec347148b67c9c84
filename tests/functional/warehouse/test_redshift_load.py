"""LoadRedshiftFunction: the statements it sends, in order, through a recording connection; the lake on moto S3.

redshift_connector cannot talk to PostgreSQL (Redshift-only startup parameters, version string, SCRAM), so the SQL
itself is checked elsewhere (sqlglot, golden statements) and here the loader's behaviour is: which statements, in
which order, in which transaction, what happens on a failure. A real-Redshift test runs when
ENERGYLAKE_REDSHIFT_TEST_WORKGROUP is set (see the end of this module).
"""

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
from energylake.lake.storage import LocalStorage, S3Storage, open_storage
from energylake.lambdas import _shared
from energylake.lambdas._shared import parse_event
from energylake.lambdas.load_redshift import LoadRedshiftEvent, handle
from energylake.settings import Settings, get_settings
from energylake.warehouse.model import WAREHOUSE
from energylake.warehouse.redshift import sql as redshift
from energylake.warehouse.redshift.load import emit_freshness, freshness_sql, load_window
from energylake.window import Window
from tests.support import network
from tests.support.fakes import FakeContext, load_handler
from tests.support.paths import REPO_ROOT
from tests.support.redshift import RecordingConnection, StatementFailedError

REGION = "us-east-1"
BUCKET = "energylake-lake-test"
LAKE = f"s3://{BUCKET}/"
ROLE = "arn:aws:iam::123456789012:role/energylake-copy"
WEEK = Window(dt.date(2024, 11, 1), dt.date(2024, 11, 7))
SAMPLE_EVENT = REPO_ROOT / "events" / "load_redshift.json"


# --------------------------------------------------------------------------------------------------------------------
# Fixtures: a moto lake holding the window's partitions
# --------------------------------------------------------------------------------------------------------------------


def _present_dates(window: Window) -> list[dt.date]:
    """UTC dates of the window's partitions: start .. end + 1."""
    return [window.start + dt.timedelta(days=n) for n in range(window.days_count + 1)]


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The lake on moto S3 with one Parquet object per source prefix and UTC date of WEEK, except: no fuel mix at
    all, and no spp_dam partition on 2024-11-08 (a missing day)."""
    monkeypatch.setenv("ENERGYLAKE_LAKE_URI", LAKE)
    monkeypatch.setenv("ENERGYLAKE_REDSHIFT_MODE", "serverless")
    monkeypatch.setenv("ENERGYLAKE_REDSHIFT_WORKGROUP", "energylake-test")
    monkeypatch.setenv("ENERGYLAKE_REDSHIFT_DATABASE", "dev")
    monkeypatch.setenv("ENERGYLAKE_REDSHIFT_COPY_ROLE_ARN", ROLE)
    get_settings.cache_clear()
    _shared._lake.cache_clear()  # the handler's lake (and its S3 client) is made inside moto
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=BUCKET)
        for table in WAREHOUSE.tables:
            for prefix in table.lake_prefixes():
                if "fuel_mix" in prefix:
                    continue
                for day in _present_dates(WEEK):
                    if "spp_dam" in prefix and day == dt.date(2024, 11, 8):
                        continue
                    key = f"{prefix}date={day.isoformat()}/part-0.parquet"
                    client.put_object(Bucket=BUCKET, Key=key, Body=b"PAR1 not really PAR1")
        yield client
    _shared._lake.cache_clear()


def _load(connection: RecordingConnection, s3: Any, tables: list[str], window: Window = WEEK) -> dict[str, Any]:
    lake = S3Storage(BUCKET, client=s3)
    result: dict[str, Any] = dict(
        load_window(window, lake, tables=tables, connect=lambda: connection, iam_role_arn=ROLE)
    )
    return result


def _ddl() -> list[str]:
    return [*redshift.migration_statements(schema_name="energylake"), *redshift.view_statements("energylake")]


def _expected_load(table: str, window: Window = WEEK, *, missing: tuple[str, ...] = ()) -> list[str]:
    prefixes = [prefix for prefix in redshift.copy_prefixes(table, s3_uri=LAKE, window=window) if prefix not in missing]
    return redshift.load_statements(
        table,
        s3_uri=LAKE,
        iam_role_arn=ROLE,
        window=window,
        schema_name="energylake",
        prefixes=prefixes,
    )


# --------------------------------------------------------------------------------------------------------------------
# Statement order
# --------------------------------------------------------------------------------------------------------------------


def test_a_load_migrates_once_then_runs_one_transaction_per_table(s3: Any) -> None:
    # GIVEN the week's partitions in the lake
    connection = RecordingConnection()

    # WHEN two tables are loaded
    result = _load(connection, s3, ["ercot_load_by_weather_zone", "energy_weather_hourly"])

    # THEN: the migration and views once (committed), then each table's transaction exactly as the warehouse
    # module writes it, then the connection is closed
    expected = [
        *_ddl(),
        "<commit>",
        *_expected_load("ercot_load_by_weather_zone"),
        *_expected_load("energy_weather_hourly"),
        *_FRESHNESS,
        "<close>",
    ]
    assert connection.log == expected
    assert [entry["status"] for entry in result["tables"]] == ["loaded", "loaded"]


def test_each_table_transaction_is_begin_copy_per_prefix_merge_end(s3: Any) -> None:
    connection = RecordingConnection()
    _load(connection, s3, ["ercot_load_by_weather_zone"])
    statements = connection.statements[len(_ddl()) : -1]  # the last one reads the freshness view

    first_words = [" ".join(statement.split()[:2]) for statement in statements]
    # Operating days Nov 1..7 (Central) span UTC Nov 1 05:00 .. Nov 8 06:00: UTC date partitions Nov 1..8.
    assert first_words == [
        "BEGIN",
        "CREATE TEMP",
        *["COPY stage_ercot_load_by_weather_zone"] * 8,
        "CREATE TEMP",
        "MERGE INTO",
        "DROP TABLE",
        "DROP TABLE",
        "END",
    ]
    copies = [statement for statement in statements if statement.startswith("COPY")]
    assert [copy.split("'")[1] for copy in copies] == [
        f"{LAKE}silver/dataset=load_weather_zone/date=2024-11-{day:02d}/" for day in range(1, 9)
    ]
    assert all(f"IAM_ROLE '{ROLE}' FORMAT AS PARQUET" in copy for copy in copies)
    # The dedupe keeps exactly the window's hours.
    assert "2024-11-01 05:00:00+00:00" in statements[-5] and "2024-11-08 06:00:00+00:00" in statements[-5]


def test_a_missing_day_is_not_copied(s3: Any) -> None:
    # GIVEN no spp_dam partition for 2024-11-08 (COPY fails on an empty prefix)
    connection = RecordingConnection()

    result = _load(connection, s3, ["ercot_spp"])

    missing = f"{LAKE}silver/dataset=spp_dam/date=2024-11-08/"
    assert connection.statements[len(_ddl()) : -1] == _expected_load("ercot_spp", missing=(missing,))
    assert not any(missing in statement for statement in connection.statements)
    assert result["tables"] == [
        {"table": "ercot_spp", "status": "loaded", "prefixes": 15, "rows": {"COPY": 105, "MERGE": 7}}
    ]


# After the loads: one read of the freshness view (committed: autocommit is off).
_FRESHNESS = [freshness_sql("energylake"), "<commit>"]


def test_the_load_reports_each_datasets_freshness_for_the_alarm(s3: Any) -> None:
    # GIVEN the freshness view reports spp_rt 21 minutes behind and weather with no rows
    connection = RecordingConnection(select_rows=[("spp_rt", 21), ("weather", None)])

    # WHEN a table is loaded
    result = _load(connection, s3, ["ercot_spp"])

    # THEN the result carries the minutes per dataset that has rows (the DataFreshnessMinutes metric's values)
    assert result["freshness_minutes"] == {"spp_rt": 21}


def test_a_failed_freshness_read_keeps_the_committed_load_and_reports_no_figures(s3: Any) -> None:
    # GIVEN the freshness view cannot be read (dropped, or no permission)
    connection = RecordingConnection(fail_when=lambda sql: sql.startswith("SELECT dataset"))

    # WHEN a table is loaded
    result = _load(connection, s3, ["ercot_spp"])

    # THEN the load stands (its transaction committed), the read was rolled back, and no freshness is reported
    assert [entry["status"] for entry in result["tables"]] == ["loaded"]
    assert connection.log[-3:] == [freshness_sql("energylake"), "<rollback>", "<close>"]
    assert result["freshness_minutes"] == {}


def test_gold_tables_are_not_reported_as_datasets() -> None:
    # Gold holds every hour of its build window, data or not: only source datasets carry freshness.
    from energylake.warehouse.redshift.load import freshness_from_rows

    rows = [("spp_rt", 21), ("system_hourly", -300), ("weather", None), ("energy_weather_hourly", 5)]
    assert freshness_from_rows(rows) == {"spp_rt": 21}


def test_freshness_becomes_one_metric_per_dataset(capsys: pytest.CaptureFixture[str]) -> None:
    from aws_lambda_powertools import Metrics

    # WHEN two datasets' freshness is emitted
    emit_freshness(Metrics(namespace="energylake", service="energylake"), {"spp_rt": 21, "weather": 75})

    # THEN two EMF blobs, each with its dataset dimension (what the template's freshness alarm selects on)
    blobs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(blob["dataset"], blob["DataFreshnessMinutes"]) for blob in blobs] == [
        ("spp_rt", [21.0]),
        ("weather", [75.0]),
    ]
    assert all(blob["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "energylake" for blob in blobs)
    assert all(set(blob["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0]) == {"dataset", "service"} for blob in blobs)


def test_a_table_with_nothing_in_the_window_is_skipped(s3: Any) -> None:
    # GIVEN no fuel mix in the lake at all
    connection = RecordingConnection()

    result = _load(connection, s3, ["ercot_fuel_mix"])

    # THEN no transaction is opened for it (only the migration ran)
    assert connection.log == [*_ddl(), "<commit>", *_FRESHNESS, "<close>"]
    assert result["tables"] == [{"table": "ercot_fuel_mix", "status": "no_data", "prefixes": 0, "rows": {}}]


def test_loading_twice_issues_the_same_statements(s3: Any) -> None:
    # Idempotence comes from MERGE on the natural key: the second load sends exactly the first one's statements.
    first, second = RecordingConnection(), RecordingConnection()
    _load(first, s3, list(WAREHOUSE_TABLES))
    _load(second, s3, list(WAREHOUSE_TABLES))
    assert first.log == second.log
    assert any(statement.startswith("MERGE INTO energylake.system_hourly") for statement in first.statements)


# --------------------------------------------------------------------------------------------------------------------
# Failures
# --------------------------------------------------------------------------------------------------------------------


def test_a_failure_mid_table_rolls_it_back_and_stops_the_load(s3: Any) -> None:
    # GIVEN the MERGE of the second table fails
    connection = RecordingConnection(fail_when=lambda sql: sql.startswith("MERGE INTO energylake.weather_hourly"))

    # WHEN three tables are loaded
    with pytest.raises(WarehouseLoadError) as caught:
        _load(connection, s3, ["ercot_load_by_weather_zone", "weather_hourly", "energy_weather_hourly"])

    # THEN the error names the table and the window
    error = caught.value
    assert (error.table, error.window) == ("weather_hourly", WEEK)
    assert "energylake.weather_hourly" in str(error) and "2024-11-01..2024-11-07" in str(error)
    assert "rolled back" in str(error)
    assert isinstance(error.__cause__, StatementFailedError)
    # ... the first table committed (its END ran), the failing one was rolled back right after the failing
    # statement (never reaching END), and the third table was not attempted
    weather = _expected_load("weather_hourly")
    merge_at = next(i for i, s in enumerate(weather) if s.startswith("MERGE"))
    assert connection.log == [
        *_ddl(),
        "<commit>",
        *_expected_load("ercot_load_by_weather_zone"),
        *weather[: merge_at + 1],
        "<rollback>",
        "<close>",
    ]
    assert not any("energy_weather_hourly" in statement for statement in connection.statements[len(_ddl()) :])


def test_a_failing_copy_rolls_back_before_anything_is_merged(s3: Any) -> None:
    # A bad Parquet file fails the 3rd COPY: the stage is discarded, the target table never sees a MERGE.
    copies = 0

    def third_copy(sql: str) -> bool:
        nonlocal copies
        copies += sql.startswith("COPY")
        return copies == 3

    connection = RecordingConnection(fail_when=third_copy)
    with pytest.raises(WarehouseLoadError, match=r"loading energylake\.ercot_spp for window 2024-11-01\.\.2024-11-07"):
        _load(connection, s3, ["ercot_spp"])
    assert connection.log[-2:] == ["<rollback>", "<close>"]
    assert not any(statement.startswith("MERGE") for statement in connection.statements)


def test_a_failing_migration_loads_nothing(s3: Any) -> None:
    connection = RecordingConnection(fail_when=lambda sql: sql.startswith("CREATE TABLE IF NOT EXISTS"))
    with pytest.raises(WarehouseLoadError, match="migrating schema energylake") as caught:
        _load(connection, s3, ["ercot_spp"])
    assert caught.value.table == "(migration)"
    assert connection.log[-2:] == ["<rollback>", "<close>"]
    assert "BEGIN" not in connection.statements


# --------------------------------------------------------------------------------------------------------------------
# The handler: event, settings, connection
# --------------------------------------------------------------------------------------------------------------------


def test_the_handler_connects_with_iam_to_the_serverless_workgroup(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN redshift_connector.connect replaced by a recorder of its arguments
    import redshift_connector

    connection = RecordingConnection()
    calls: list[dict[str, Any]] = []

    def fake_connect(**kwargs: Any) -> RecordingConnection:
        calls.append(kwargs)
        return connection

    monkeypatch.setattr(redshift_connector, "connect", fake_connect)

    # WHEN the sample event is handled
    result = load_handler("load_redshift").lambda_handler(
        json.loads(SAMPLE_EVENT.read_text()), FakeContext("energylake-load-redshift")
    )

    # THEN IAM auth to the workgroup (no password), autocommit off, and the sample's one table loaded
    assert calls == [
        {
            "iam": True,
            "database": "dev",
            "region": REGION,
            "timeout": 60,
            "is_serverless": True,
            "serverless_work_group": "energylake-test",
        }
    ]
    assert connection.autocommit is False
    assert [entry["table"] for entry in result["tables"]] == ["ercot_spp"]
    assert result["window_start_utc"] == "2024-11-01T05:00:00+00:00"
    assert result["window_end_utc"] == "2024-11-08T06:00:00+00:00"
    json.dumps(result)


def test_provisioned_clusters_connect_with_iam_as_the_db_user() -> None:
    settings = Settings(
        redshift_mode="provisioned",
        redshift_cluster_id="energylake",
        redshift_db_user="loader",
        redshift_database="warehouse",
        redshift_region="us-west-2",
    )
    assert settings.redshift_connect_kwargs() == {
        "iam": True,
        "database": "warehouse",
        "region": "us-west-2",
        "timeout": 60,
        "cluster_identifier": "energylake",
        "db_user": "loader",
    }


def test_without_a_warehouse_the_load_is_skipped_not_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the template's default: no Redshift (RedshiftMode none)
    monkeypatch.setenv("ENERGYLAKE_REDSHIFT_MODE", "none")
    get_settings.cache_clear()

    def no_connection() -> RecordingConnection:
        raise AssertionError("nothing may connect without a warehouse")

    # WHEN the pipeline's load step runs
    result = handle({"start": "2024-11-01", "end": "2024-11-01"}, connect=no_connection)
    get_settings.cache_clear()

    # THEN it succeeds with nothing loaded and no freshness (the run goes on to its summary)
    assert (result["tables"], result["freshness_minutes"]) == ([], {})
    assert result["window_start_utc"] == "2024-11-01T05:00:00+00:00"


@pytest.mark.parametrize(
    ("variables", "names"),
    [
        (
            {"ENERGYLAKE_REDSHIFT_MODE": "provisioned", "ENERGYLAKE_REDSHIFT_CLUSTER_ID": "c"},
            "ENERGYLAKE_REDSHIFT_DB_USER",
        ),
        ({"ENERGYLAKE_REDSHIFT_MODE": "serverless"}, "ENERGYLAKE_REDSHIFT_WORKGROUP"),
        ({"ENERGYLAKE_REDSHIFT_MODE": "serverless", "ENERGYLAKE_REDSHIFT_WORKGROUP": "w"}, "COPY_ROLE_ARN"),
        # the one settings loader names the variable (it was "invalid ENERGYLAKE_REDSHIFT_* settings: schema_name: ...")
        ({"ENERGYLAKE_REDSHIFT_SCHEMA_NAME": "Energy; DROP"}, "invalid setting ENERGYLAKE_REDSHIFT_SCHEMA_NAME: "),
    ],
)
def test_a_bad_configuration_names_what_to_set(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], names: str
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    with pytest.raises(ConfigurationError, match=names):
        handle({"start": "2024-11-01", "end": "2024-11-01"}, connect=RecordingConnection)
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("event", "names"),
    [
        ({"start": "2024-11-07", "end": "2024-11-01"}, "end 2024-11-01 is before start 2024-11-07"),
        ({"start": "2024-11-01", "end": "2024-02-30"}, "end: .*must be a real calendar date"),
        ({"start": "2024-11-01", "end": "2024-11-07", "tables": ["spp"]}, "tables.0: Input should be 'ercot_spp'"),
        ({"start": "2024-11-01", "end": "2024-11-07", "tables": []}, "tables: List should have at least 1 item"),
    ],
)
def test_a_bad_event_names_the_field_and_connects_to_nothing(s3: Any, event: dict[str, Any], names: str) -> None:
    connection = RecordingConnection()
    with pytest.raises(InvalidRequestError, match=names):
        handle(event, connect=lambda: connection, storage=S3Storage(BUCKET, client=s3))
    assert connection.log == []


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


def test_a_local_lake_is_refused_with_the_variable_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The loader gets a Storage now (it got ENERGYLAKE_LAKE_URI's text): it says what needs S3 and what it got ...
    with pytest.raises(ConfigurationError, match=r"loading Redshift needs an S3 lake \(s3://bucket\[/prefix\]\), got"):
        load_window(WEEK, LocalStorage(tmp_path), tables=["ercot_spp"], connect=RecordingConnection, iam_role_arn=ROLE)
    # ... and the function, whose lake is the variable's, names the variable (the message was "Redshift loads from
    # S3: ENERGYLAKE_LAKE_URI must be s3://bucket[/prefix], got './lake'")
    for name, value in {
        "ENERGYLAKE_LAKE_URI": "./lake",
        "ENERGYLAKE_REDSHIFT_MODE": "serverless",
        "ENERGYLAKE_REDSHIFT_WORKGROUP": "energylake-test",
        "ENERGYLAKE_REDSHIFT_COPY_ROLE_ARN": ROLE,
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    _shared._lake.cache_clear()

    def no_connection() -> RecordingConnection:
        raise AssertionError("nothing may connect to load a local lake")

    with pytest.raises(
        ConfigurationError,
        match=r"^ENERGYLAKE_LAKE_URI: loading Redshift needs an S3 lake \(s3://bucket\[/prefix\]\), got 'lake'",
    ):
        handle({"start": "2024-11-01", "end": "2024-11-01"}, connect=no_connection)
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
    "ENERGYLAKE_REDSHIFT_TEST_LAKE_URI (an s3:// lake with silver for ENERGYLAKE_REDSHIFT_TEST_WINDOW, default "
    "2024-11-01..2024-11-07), plus AWS credentials allowed to GetCredentials on the workgroup",
)
def test_a_real_serverless_load_is_idempotent(monkeypatch: pytest.MonkeyPatch) -> None:
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
    import redshift_connector

    start, end = REAL["window"].split("..")
    window = Window.parse(start, end)
    schema = f"energylake_test_{uuid.uuid4().hex[:8]}"
    settings = Settings(
        redshift_mode="serverless", redshift_workgroup=REAL_WORKGROUP, redshift_database=REAL["database"]
    )

    def connect() -> Any:
        return redshift_connector.connect(**settings.redshift_connect_kwargs())

    def count() -> int:
        with connect() as connection:
            cursor = connection.cursor()
            cursor.execute(f"SELECT COUNT(*) FROM {schema}.ercot_load_by_weather_zone")  # noqa: S608 (our schema name)
            return int(cursor.fetchone()[0])

    try:
        lake = open_storage(REAL["lake_uri"])
        kwargs = {"connect": connect, "iam_role_arn": REAL["copy_role_arn"], "schema_name": schema}
        first = load_window(window, lake, tables=["ercot_load_by_weather_zone"], **kwargs)
        assert first["tables"][0]["status"] == "loaded"
        rows = count()
        assert rows > 0
        load_window(window, lake, tables=["ercot_load_by_weather_zone"], **kwargs)
        assert count() == rows
    finally:
        with connect() as connection:
            connection.autocommit = True
            connection.cursor().execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
