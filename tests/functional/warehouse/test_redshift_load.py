"""The Redshift load through the Data API: which batches it sends (ONE per chunk of days, holding every table: all
merged or none, issue 15 defect 3), in which order, with which COPY manifest, how it migrates only when behind, chunks
a long window within the invocation's time, and fails. The lake is moto S3; the
Data API is tests/support/redshift.py's fake (moto's redshift-data never finishes a statement).

The handler, its settings and a credential-gated real-Redshift test are in test_redshift_handler.py.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from energylake.errors import ConfigurationError, InvalidRequestError, WarehouseLoadError
from energylake.lake.storage import LocalStorage, S3Storage
from energylake.warehouse.model import WAREHOUSE
from energylake.warehouse.redshift import sql as redshift
from energylake.warehouse.redshift.load import emit_freshness, freshness_from_rows, freshness_sql, load_window
from energylake.window import Window
from tests.support.fakes import FakeClock
from tests.support.redshift import FakeDataApiClient, data_api, put_lake_object

REGION = "us-east-1"
BUCKET = "energylake-lake-test"
LAKE = f"s3://{BUCKET}"
ROLE = "arn:aws:iam::123456789012:role/energylake-copy"
WEEK = Window(dt.date(2024, 11, 1), dt.date(2024, 11, 7))
LOAD_ID = "20241108T060000Z-test"
MANIFESTS = "artifacts/redshift/copy-manifests/"
SIZE = 1234  # bytes of every fake Parquet object


def _utc_dates(window: Window) -> list[dt.date]:
    return list(window.utc_dates())


@pytest.fixture
def s3() -> Iterator[Any]:
    """The lake on moto S3 with one Parquet object per source prefix and UTC date of WEEK, except: no fuel mix at
    all, and no spp_dam partition on 2024-11-08 (a missing day)."""
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=BUCKET)
        for table in WAREHOUSE.tables:
            for prefix in table.lake_prefixes():
                if "fuel_mix" in prefix:
                    continue
                for day in _utc_dates(WEEK):
                    if "spp_dam" in prefix and day == dt.date(2024, 11, 8):
                        continue
                    key = f"{prefix}date={day.isoformat()}/part-0.parquet"
                    put_lake_object(client, BUCKET, key, b"P" * SIZE)
        yield client


def _put_window(s3: Any, table: str, window: Window) -> None:
    """One Parquet object per source prefix of ``table`` and UTC date of ``window``."""
    for prefix in WAREHOUSE.table(table).lake_prefixes():
        for day in _utc_dates(window):
            put_lake_object(s3, BUCKET, f"{prefix}date={day.isoformat()}/part-0.parquet", b"P" * SIZE)


def _load(
    client: FakeDataApiClient,
    s3: Any,
    tables: list[str],
    window: Window = WEEK,
    *,
    clock: FakeClock | None = None,
    **options: Any,
) -> dict[str, Any]:
    lake = S3Storage(BUCKET, client=s3)
    result: dict[str, Any] = dict(
        load_window(
            window,
            lake,
            tables=tables,
            data_api=data_api(client, clock),
            iam_role_arn=ROLE,
            load_id=LOAD_ID,
            **options,
        )
    )
    return result


def _manifest_key(table: str, window: Window = WEEK) -> str:
    return f"{MANIFESTS}{table}/{window.start}_{window.end}/{LOAD_ID}.json"


def _expected_load(*tables: str, window: Window = WEEK) -> list[str]:
    """One chunk's batch: every table's load statements, in the order given."""
    return [
        statement
        for table in tables
        for statement in redshift.load_statements(
            table, manifest_uri=f"{LAKE}/{_manifest_key(table, window)}", iam_role_arn=ROLE, window=window
        )
    ]


VERSION_READ = [redshift.schema_version_sql("energylake")]
FRESHNESS_READ = [freshness_sql("energylake")]


# --------------------------------------------------------------------------------------------------------------------
# What a load sends
# --------------------------------------------------------------------------------------------------------------------


def test_a_load_on_a_current_schema_runs_no_ddl_and_one_batch_for_all_tables(s3: Any) -> None:
    # GIVEN a warehouse whose recorded schema version is the code's
    client = FakeDataApiClient(version=WAREHOUSE.version)

    # WHEN two tables are loaded
    result = _load(client, s3, ["ercot_load_by_weather_zone", "energy_weather_hourly"])

    # THEN: the version read, ONE batch (one transaction) holding both tables exactly as the warehouse module writes
    # them, in the order asked, the freshness read; no migration (no CREATE TABLE/VIEW, no LOCK: nothing that
    # conflicts with a concurrent load)
    assert client.submitted == [
        VERSION_READ,
        _expected_load("ercot_load_by_weather_zone", "energy_weather_hourly"),
        FRESHNESS_READ,
    ]
    ddl = [s for s in client.sql if s.startswith(("CREATE TABLE", "CREATE OR REPLACE", "LOCK", "GRANT", "ALTER"))]
    assert ddl == []
    assert (result["schema_version"], result["migrated"], result["done"], result["next_start"]) == (
        WAREHOUSE.version,
        False,
        True,
        None,
    )
    assert [entry["status"] for entry in result["tables"]] == ["loaded", "loaded"]


def test_the_stage_tables_end_with_the_batchs_own_session(s3: Any) -> None:
    # GIVEN every table of the model in the lake for the week (but the fuel mix)
    client = FakeDataApiClient()

    # WHEN all of them are loaded
    _load(client, s3, list(WAREHOUSE.table_names))

    # THEN one batch of 4 statements a table within the Data API's 40, with no DROP of its temp tables: the batch is
    # sent without SessionKeepAliveSeconds or SessionId, so its session (and its temp tables) end with it
    [batch] = client.batches
    loaded = [name for name in WAREHOUSE.table_names if name != "ercot_fuel_mix"]
    assert batch == _expected_load(*loaded)
    assert len(batch) == 4 * len(loaded) <= redshift.MAX_BATCH_STATEMENTS
    assert not [statement for statement in batch if statement.startswith("DROP")]
    [request] = [params for name, params in client.calls if name == "BatchExecuteStatement"]
    assert not {"SessionKeepAliveSeconds", "SessionId"} & set(request)


def test_each_table_is_one_copy_of_a_manifest_listing_every_file_of_the_window(s3: Any) -> None:
    # GIVEN the week's partitions, spp_dam missing 2024-11-08
    client = FakeDataApiClient()
    lake = S3Storage(BUCKET, client=s3)
    written: dict[str, bytes] = {}
    original_put = lake.put

    def keep(key: str, data: bytes, metadata: dict[str, str] | None = None) -> None:
        written[key] = data
        original_put(key, data, metadata)

    lake.put = keep  # type: ignore[method-assign]

    # WHEN ercot_spp (two source datasets) is loaded
    load_window(WEEK, lake, tables=["ercot_spp"], data_api=data_api(client), iam_role_arn=ROLE, load_id=LOAD_ID)

    # THEN ONE COPY, of a manifest naming every object of both datasets for the UTC dates Nov 1..8 but the missing
    # one, each mandatory with its size (COPY needs content_length for Parquet)
    [batch] = client.batches
    copies = [s for s in batch if s.startswith("COPY")]
    assert copies == [
        f"COPY stage_ercot_spp FROM '{LAKE}/{_manifest_key('ercot_spp')}' IAM_ROLE '{ROLE}' FORMAT AS PARQUET MANIFEST"
    ]
    manifest = json.loads(written[_manifest_key("ercot_spp")])
    urls = [entry["url"] for entry in manifest["entries"]]
    expected = [
        f"{LAKE}/silver/dataset={dataset}/date=2024-11-{day:02d}/part-0.parquet"
        for dataset in ("spp_rt", "spp_dam")
        for day in range(1, 9)
        if (dataset, day) != ("spp_dam", 8)
    ]
    assert urls == expected
    assert all(
        entry["mandatory"] is True and entry["meta"] == {"content_length": SIZE} for entry in manifest["entries"]
    )
    # ... the dedupe keeps exactly the window's hours, and the used manifest is gone from the lake afterwards
    latest = next(s for s in batch if "_latest AS" in s)
    assert "'2024-11-01 05:00:00+00:00'" in latest and "'2024-11-08 06:00:00+00:00'" in latest
    assert list(lake.list(MANIFESTS)) == []


class RowsPerTable(FakeDataApiClient):
    """Reports each COPY and MERGE's rows by its table: COPY ``<stage>`` and MERGE ``INTO <schema>.<table>``."""

    def _rows(self, sql: str) -> int:
        rows = {"COPY stage_ercot_spp ": 150, "MERGE INTO energylake.ercot_spp ": 42,
                "COPY stage_weather_hourly ": 64, "MERGE INTO energylake.weather_hourly ": 5}  # fmt: skip
        return next((count for start, count in rows.items() if sql.startswith(start)), 0)


def test_the_result_counts_files_bytes_and_rows_per_table(s3: Any) -> None:
    # GIVEN Redshift reporting different rows for each table's COPY and MERGE
    client = RowsPerTable()
    # WHEN two tables load in one batch
    result = _load(client, s3, ["ercot_spp", "weather_hourly"])
    # THEN each table gets its own statements' rows, files and bytes (spp: 2 datasets x 8 UTC dates but one missing)
    spp, weather = result["tables"]
    assert spp == {"table": "ercot_spp", "status": "loaded", "files": 15, "bytes": 15 * SIZE,
                   "rows": {"COPY": 150, "MERGE": 42}}  # fmt: skip
    assert weather == {"table": "weather_hourly", "status": "loaded", "files": 8, "bytes": 8 * SIZE,
                       "rows": {"COPY": 64, "MERGE": 5}}  # fmt: skip
    assert (result["chunks"], result["loaded_end"]) == (1, "2024-11-07")
    json.dumps(result)


def test_a_table_with_nothing_in_the_window_is_left_out_of_the_batch(s3: Any) -> None:
    # GIVEN no fuel mix in the lake at all
    client = FakeDataApiClient()
    result = _load(client, s3, ["ercot_fuel_mix", "weather_hourly"])
    # THEN the chunk's batch holds only weather, and no manifest was written for the fuel mix
    assert client.batches == [_expected_load("weather_hourly")]
    assert result["tables"][0] == {"table": "ercot_fuel_mix", "status": "no_data", "files": 0, "bytes": 0, "rows": {}}
    # AND alone, it sends no batch at all
    alone = FakeDataApiClient()
    _load(alone, s3, ["ercot_fuel_mix"])
    assert alone.batches == []


def test_loading_twice_issues_the_same_statements(s3: Any) -> None:
    # Idempotence comes from MERGE on the natural key: the second load sends exactly the first one's statements.
    first, second = FakeDataApiClient(), FakeDataApiClient()
    _load(first, s3, list(WAREHOUSE.table_names))
    _load(second, s3, list(WAREHOUSE.table_names))
    assert first.submitted == second.submitted
    assert any(statement.startswith("MERGE INTO energylake.system_hourly") for statement in first.sql)


# --------------------------------------------------------------------------------------------------------------------
# Migrations: once per schema version
# --------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("recorded", "what"), [(1, "an older version"), (None, "no version table yet")])
def test_a_schema_behind_the_code_is_migrated_once_before_loading(s3: Any, recorded: int | None, what: str) -> None:
    # GIVEN a warehouse at an older version (or never migrated)
    client = FakeDataApiClient(version=recorded)

    # WHEN a table is loaded
    result = _load(client, s3, ["ercot_spp"], reader_role="energylake_reader")

    # THEN the migration batch (DDL, views, the reader's grant, version rows) runs once, right after the version read
    migration = redshift.migration_statements("energylake", reader_role="energylake_reader")
    assert client.submitted[:3] == [VERSION_READ, migration, _expected_load("ercot_spp")]
    assert migration[1] == "LOCK energylake.schema_version"
    assert (result["schema_version"], result["migrated"]) == (WAREHOUSE.version, True), what


def test_a_schema_newer_than_the_code_is_refused(s3: Any) -> None:
    client = FakeDataApiClient(version=WAREHOUSE.version + 1)
    newer = rf"at version {WAREHOUSE.version + 1}, newer than this code's {WAREHOUSE.version}: deploy the newer code"
    with pytest.raises(WarehouseLoadError, match=newer) as e:
        _load(client, s3, ["ercot_spp"])
    assert e.value.table == "(migration)"
    assert client.batches == []


def test_a_failed_migration_names_the_setup_and_loads_nothing(s3: Any) -> None:
    # GIVEN a loader whose database user may not create tables in the schema (the warehouse was never set up)
    error = "ERROR: permission denied for schema energylake"
    client = FakeDataApiClient(version=None, fail=lambda sqls: error if len(sqls) > 6 else None)

    with pytest.raises(WarehouseLoadError) as caught:
        _load(client, s3, ["ercot_spp"])

    message = str(caught.value)
    assert caught.value.table == "(migration)" and caught.value.window == WEEK
    assert message.startswith("migration of schema energylake for window 2024-11-01..2024-11-07")
    assert error in message and "python -m energylake.warehouse.redshift.setup" in message
    assert len(client.batches) == 1  # the migration; no load


def test_a_migration_another_loader_won_is_not_a_failure(s3: Any) -> None:
    # GIVEN two loaders racing on a new warehouse: ours loses (its CREATE TABLE collides) after the other migrated
    reads = iter([None, WAREHOUSE.version])

    class Raced(FakeDataApiClient):
        def execute_statement(self, **kwargs: Any) -> dict[str, Any]:
            if kwargs["Sql"].startswith("SELECT MAX(version)"):
                self.version = next(reads)
            return super().execute_statement(**kwargs)

    client = Raced(fail=lambda sqls: "ERROR: duplicate key violates unique constraint" if len(sqls) > 6 else None)

    # WHEN it loads THEN it reads the version again, finds it current, and loads
    result = _load(client, s3, ["ercot_spp"])
    assert [entry["status"] for entry in result["tables"]] == ["loaded"]
    assert (result["schema_version"], result["migrated"]) == (WAREHOUSE.version, False)


# --------------------------------------------------------------------------------------------------------------------
# Long windows: chunks within the invocation's time
# --------------------------------------------------------------------------------------------------------------------


def test_a_long_window_loads_in_chunks_of_days_one_copy_per_table_and_chunk(s3: Any) -> None:
    # GIVEN a 20-day window in the lake, and 7-day chunks
    window = Window(dt.date(2024, 10, 19), dt.date(2024, 11, 7))
    _put_window(s3, "ercot_load_by_weather_zone", window)
    client = FakeDataApiClient()

    result = _load(client, s3, ["ercot_load_by_weather_zone"], window, chunk_days=7)

    # THEN three chunks, each one batch with one COPY, deduped to its own UTC bounds
    chunks = list(window.chunks(7))
    assert [str(chunk) for chunk in chunks] == [
        "2024-10-19..2024-10-25",
        "2024-10-26..2024-11-01",
        "2024-11-02..2024-11-07",
    ]
    assert client.batches == [_expected_load("ercot_load_by_weather_zone", window=chunk) for chunk in chunks]
    assert (result["chunks"], result["done"], result["loaded_end"]) == (3, True, "2024-11-07")


def test_two_years_are_a_bounded_number_of_batches_not_one_copy_per_day(s3: Any) -> None:
    # GIVEN two years of one table, with an object on the 15th of every month
    window = Window(dt.date(2023, 1, 1), dt.date(2024, 12, 31))
    for month in range(24):
        day = dt.date(2023 + month // 12, month % 12 + 1, 15)
        put_lake_object(s3, BUCKET, f"silver/dataset=weather/date={day}/part-0.parquet", b"P" * SIZE)
    client = FakeDataApiClient()

    _load(client, s3, ["weather_hourly"], window, chunk_days=31)

    # THEN one batch with one COPY per 31-day chunk (every chunk holds a 15th): 24, where the old loader sent one
    # listing and one COPY per dataset and UTC date (732 of each), all inside one 900 s invocation
    assert len(client.batches) == len(list(window.chunks(31))) == 24
    assert all(len(batch) == 4 and sum(s.startswith("COPY") for s in batch) == 1 for batch in client.batches)


def test_a_two_chunk_window_sends_exactly_two_load_batches_each_holding_every_table(s3: Any) -> None:
    # GIVEN two tables with data for 14 days, and 7-day chunks
    window = Window(dt.date(2024, 10, 25), dt.date(2024, 11, 7))
    tables = ["ercot_load_by_weather_zone", "weather_hourly"]
    for table in tables:
        _put_window(s3, table, window)
    client = FakeDataApiClient()

    # WHEN the window is loaded
    result = _load(client, s3, tables, window, chunk_days=7)

    # THEN exactly two load batches, one per chunk, each holding both tables (one transaction per chunk)
    first, second = window.chunks(7)
    assert client.batches == [_expected_load(*tables, window=first), _expected_load(*tables, window=second)]
    assert (result["chunks"], result["done"]) == (2, True)


def test_the_load_stops_between_chunks_when_the_invocation_runs_out_of_time(s3: Any) -> None:
    # GIVEN 14 minutes left, and chunks that take 10 minutes of Redshift time each
    window = Window(dt.date(2024, 10, 19), dt.date(2024, 11, 7))
    _put_window(s3, "weather_hourly", window)
    clock = FakeClock()
    ends_at = clock.now + 14 * 60
    client = FakeDataApiClient(polls=120)  # 120 polls of 5 s: 10 minutes a batch

    first = _load(client, s3, ["weather_hourly"], window, clock=clock, chunk_days=7,
                  time_left=lambda: ends_at - clock.now)  # fmt: skip

    # THEN it loaded the first chunk, then stopped (another would not fit) and says where to resume
    assert (first["done"], first["next_start"], first["loaded_end"], first["chunks"]) == (
        False,
        "2024-10-26",
        "2024-10-25",
        1,
    )
    assert clock.now < ends_at
    # AND invoked again from there (what the state machine does) it finishes the window
    clock = FakeClock()
    second = _load(FakeDataApiClient(), s3, ["weather_hourly"], Window(dt.date(2024, 10, 26), window.end),
                   clock=clock, chunk_days=7, time_left=lambda: 900.0)  # fmt: skip
    assert (second["done"], second["loaded_end"], second["chunks"]) == (True, "2024-11-07", 2)


def test_a_chunk_that_outlives_the_invocation_is_cancelled_and_reported(s3: Any) -> None:
    # GIVEN 5 minutes left and a first chunk that would run for 10
    clock = FakeClock()
    ends_at = clock.now + 5 * 60
    client = FakeDataApiClient(polls=120)

    with pytest.raises(
        WarehouseLoadError, match=r"cancelled statement .* ENERGYLAKE_REDSHIFT_LOAD_CHUNK_DAYS"
    ) as caught:
        _load(client, s3, ["ercot_load_by_weather_zone", "weather_hourly"], clock=clock,
              time_left=lambda: ends_at - clock.now)  # fmt: skip

    # THEN the statement was cancelled before the invocation's end, with time left to report it
    assert client.operations()[-1] == "CancelStatement"
    assert ends_at - clock.now >= 25
    # ... and, no statement being to blame, the error names every table of the chunk, all rolled back
    assert caught.value.table == "ercot_load_by_weather_zone, weather_hourly"
    message = str(caught.value)
    assert message.startswith(
        "load of 2 tables (energylake.ercot_load_by_weather_zone, energylake.weather_hourly) for window 2024-11-01"
    )
    assert "rolled back: the whole chunk, every table unchanged for it" in message


# --------------------------------------------------------------------------------------------------------------------
# Failures
# --------------------------------------------------------------------------------------------------------------------


FOUR_TABLES = ["ercot_spp", "ercot_load_by_weather_zone", "weather_hourly", "energy_weather_hourly"]


def test_a_copy_failing_at_the_third_table_rolls_back_the_whole_chunk_and_names_that_table(s3: Any) -> None:
    # GIVEN Redshift fails the COPY of the third of four tables (a truncated Parquet file, say)
    error = "ERROR: Load into table 'stage_weather_hourly' failed. Check 'sys_load_error_detail' for details."
    client = FakeDataApiClient(
        fail=lambda sqls: error if any(s.startswith("COPY stage_weather_hourly ") for s in sqls) else None,
        fails_at=lambda sql: sql.startswith("COPY stage_weather_hourly "),
    )

    # WHEN the four tables are loaded for the week (one chunk)
    with pytest.raises(WarehouseLoadError) as caught:
        _load(client, s3, FOUR_TABLES)

    # THEN one batch was sent, holding all four tables, and nothing after it (no other batch, no freshness read)
    assert client.batches == [_expected_load(*FOUR_TABLES)]
    assert client.submitted[-1] == _expected_load(*FOUR_TABLES)
    # ... the error names that table (statement 10 of 16 is its COPY), Redshift's error, and that the whole chunk
    # was rolled back: the two tables before it are unchanged too
    message = str(caught.value)
    assert (caught.value.table, caught.value.window) == ("weather_hourly", WEEK)
    assert message.startswith(
        "load of energylake.weather_hourly (table 3 of 4 in the chunk's transaction) for window 2024-11-01..2024-11-07"
    )
    assert f"load FAILED: {error} [statement 10 of 16: COPY stage_weather_hourly FROM" in message
    assert f"rolled back: the whole chunk, every table unchanged for it: {', '.join(FOUR_TABLES)}" in message
    # ... and every table's manifest is kept for diagnosis, the failing one named
    lake = S3Storage(BUCKET, client=s3)
    assert sorted(lake.list(MANIFESTS)) == sorted(_manifest_key(table) for table in FOUR_TABLES)
    assert _manifest_key("weather_hourly") in message


def test_a_merge_failing_in_a_later_table_names_that_table_not_the_first(s3: Any) -> None:
    # GIVEN the MERGE of the second of three tables fails (its message names no table)
    error = "ERROR: Found multiple matches to update the same tuple."
    client = FakeDataApiClient(
        fail=lambda sqls: error if any("MERGE INTO energylake.weather_hourly" in s for s in sqls) else None,
        fails_at=lambda sql: sql.startswith("MERGE INTO energylake.weather_hourly"),
    )

    with pytest.raises(WarehouseLoadError) as caught:
        _load(client, s3, ["ercot_load_by_weather_zone", "weather_hourly", "energy_weather_hourly"])

    # THEN the error names weather_hourly (statement 8 of 12 is its MERGE), not the first table or the chunk
    assert caught.value.table == "weather_hourly"
    assert f"{error} [statement 8 of 12: MERGE INTO energylake.weather_hourly" in str(caught.value)
    assert len(client.batches) == 1


def test_a_failure_in_the_second_chunk_keeps_the_first_chunk_and_reruns_merge_it_again(s3: Any) -> None:
    # GIVEN two 7-day chunks of two tables, the second chunk's batch failing
    window = Window(dt.date(2024, 10, 25), dt.date(2024, 11, 7))
    tables = ["ercot_load_by_weather_zone", "weather_hourly"]
    for table in tables:
        _put_window(s3, table, window)
    first, second = window.chunks(7)
    days = f"/{second.start}_{second.end}/"  # in the second chunk's manifest keys only
    failing = FakeDataApiClient(fail=lambda sqls: "ERROR: disk full" if any(days in s for s in sqls) else None)

    # WHEN the window is loaded
    with pytest.raises(WarehouseLoadError) as caught:
        _load(failing, s3, tables, window, chunk_days=7)

    # THEN the first chunk's batch had committed (both tables) and the error is the second chunk's only: chunks are
    # atomic, a window of several is not
    assert failing.batches == [_expected_load(*tables, window=first), _expected_load(*tables, window=second)]
    assert caught.value.window == second
    # AND the rerun (what the state machine's retry does) sends the first chunk's statements again, merged on the
    # natural key to the same rows
    rerun = FakeDataApiClient()
    _load(rerun, s3, tables, window, chunk_days=7)
    assert rerun.batches == failing.batches


def test_a_denied_manifest_write_is_a_load_error(s3: Any) -> None:
    client = FakeDataApiClient()
    lake = S3Storage(BUCKET, client=s3)

    def denied(key: str, data: bytes, metadata: dict[str, str] | None = None) -> None:
        raise PermissionError("AccessDenied")

    lake.put = denied  # type: ignore[method-assign]
    with pytest.raises(WarehouseLoadError, match=r"writing the COPY manifest of energylake\.ercot_spp .* AccessDenied"):
        load_window(WEEK, lake, tables=["ercot_spp"], data_api=data_api(client), iam_role_arn=ROLE)
    assert client.batches == []


def test_a_failed_manifest_write_sends_nothing_and_leaves_no_manifest_of_the_chunk(s3: Any) -> None:
    # GIVEN the lake refuses the third table's manifest (the first two were written)
    client = FakeDataApiClient()
    lake = S3Storage(BUCKET, client=s3)
    put = lake.put

    def refuse_weather(key: str, data: bytes, metadata: dict[str, str] | None = None) -> None:
        if "/weather_hourly/" in key:
            raise PermissionError("AccessDenied")
        put(key, data, metadata)

    lake.put = refuse_weather  # type: ignore[method-assign]
    # WHEN four tables are loaded
    with pytest.raises(WarehouseLoadError, match=r"writing the COPY manifest of energylake\.weather_hourly"):
        load_window(WEEK, lake, tables=FOUR_TABLES, data_api=data_api(client), iam_role_arn=ROLE, load_id=LOAD_ID)
    # THEN no load batch was sent, and the manifests written before the failure are gone again
    assert client.batches == []
    assert list(lake.list(MANIFESTS)) == []


def test_tables_that_would_not_fit_one_batch_are_refused_before_any_sql(s3: Any) -> None:
    # GIVEN a model grown to 11 tables (44 statements a chunk, over the Data API's 40 per batch)
    extra = tuple(dataclasses.replace(WAREHOUSE.table("weather_hourly"), name=f"weather_copy_{n}") for n in (1, 2))
    model = dataclasses.replace(WAREHOUSE, tables=(*WAREHOUSE.tables, *extra))
    client = FakeDataApiClient()

    # WHEN all of them are loaded THEN the load is refused naming the count, before any call to the Data API
    with pytest.raises(InvalidRequestError, match=r"loading 11 tables in one transaction is 44 statements .* over"):
        _load(client, s3, list(model.table_names), model=model)
    assert client.calls == []


def test_a_local_lake_is_refused_before_any_statement(tmp_path: Any) -> None:
    client = FakeDataApiClient()
    with pytest.raises(ConfigurationError, match=r"loading Redshift needs an S3 lake \(s3://bucket\[/prefix\]\), got"):
        load_window(WEEK, LocalStorage(tmp_path), tables=["ercot_spp"], data_api=data_api(client), iam_role_arn=ROLE)
    assert client.calls == []


# --------------------------------------------------------------------------------------------------------------------
# Freshness
# --------------------------------------------------------------------------------------------------------------------


def test_the_load_reports_each_datasets_freshness_for_the_alarm(s3: Any) -> None:
    client = FakeDataApiClient(freshness=[("spp_rt", 21), ("weather", None), ("system_hourly", -300)])
    result = _load(client, s3, ["ercot_spp"])
    assert result["freshness_minutes"] == {"spp_rt": 21}


def test_a_failed_freshness_read_keeps_the_committed_load_and_reports_no_figures(s3: Any) -> None:
    client = FakeDataApiClient(freshness_error="ERROR: permission denied for relation v_data_freshness")
    result = _load(client, s3, ["ercot_spp"])
    assert [entry["status"] for entry in result["tables"]] == ["loaded"]
    assert result["freshness_minutes"] == {}


def test_gold_tables_are_not_reported_as_datasets() -> None:
    # Gold holds every hour of its build window, data or not: only source datasets carry freshness.
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
