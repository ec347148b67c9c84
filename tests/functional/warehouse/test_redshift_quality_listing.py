"""The Redshift load copies exactly the silver files that passed quality reports list (issue 15, defect 2): a foreign
file in a silver folder is never put in a COPY manifest, and each one left out is named in a warning. The rule and
its one implementation are shared with the DuckDB loader (energylake.lake.quality_listing). The lake is moto S3; the
Data API is tests/support/redshift.py's recording fake.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from energylake.lake import layout
from energylake.lake.storage import S3Storage
from energylake.warehouse.redshift.load import LoadResult, load_window
from energylake.window import Window
from tests.support.redshift import FakeDataApiClient, data_api, put_lake_object, put_quality_report

REGION = "us-east-1"
BUCKET = "energylake-lake-test"
LAKE = f"s3://{BUCKET}"
ROLE = "arn:aws:iam::123456789012:role/energylake-copy"
DAY = dt.date(2024, 11, 5)
WINDOW = Window(DAY, DAY)  # one Central day: UTC dates Nov 5 and Nov 6
LOAD_ID = "20241108T060000Z-test"
SIZE = 321
GROUPS = {  # two curated groups (by raw day), each reaching both UTC dates, as curation lays them out
    dt.date(2024, 11, day): [
        f"silver/dataset=weather/date={utc_day}/weather-2024-11-{day:02d}.parquet"
        for utc_day in ("2024-11-05", "2024-11-06")
    ]
    for day in (4, 5)
}
LISTED = [key for keys in GROUPS.values() for key in keys]
STRAY = "silver/dataset=weather/date=2024-11-05/zz-copied-by-hand.parquet"  # wins a tie on file name if read


@pytest.fixture
def s3() -> Iterator[Any]:
    """The window's weather silver on moto S3, every file listed in its group's passed quality report."""
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=BUCKET)
        for raw_day, keys in GROUPS.items():
            for key in keys:
                client.put_object(Bucket=BUCKET, Key=key, Body=b"P" * SIZE)
            put_quality_report(client, BUCKET, raw_day, f"weather-{raw_day}", keys)
        yield client


class ManifestRecorder:
    """The lake on S3, keeping every COPY manifest the loader writes (it deletes each after its batch)."""

    def __init__(self, s3: Any) -> None:
        self.lake = S3Storage(BUCKET, client=s3)
        self.manifests: dict[str, list[str]] = {}
        put = self.lake.put

        def keep(key: str, data: bytes, metadata: dict[str, str] | None = None) -> None:
            if key.startswith("artifacts/redshift/copy-manifests/"):
                self.manifests[key.split("/")[3]] = [entry["url"] for entry in json.loads(data)["entries"]]
            put(key, data, metadata)

        self.lake.put = keep  # type: ignore[method-assign]

    def load(self, client: FakeDataApiClient, tables: list[str]) -> LoadResult:
        return load_window(
            WINDOW, self.lake, tables=tables, data_api=data_api(client), iam_role_arn=ROLE, load_id=LOAD_ID
        )


def _skipped(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The objects named by the loader's 'not loading' warnings, in order."""
    return [
        str(record.args[0])
        for record in caplog.records
        if record.levelno == logging.WARNING and record.getMessage().startswith("not loading ")
        and isinstance(record.args, tuple)
    ]  # fmt: skip


def test_a_stray_file_in_a_silver_folder_is_not_copied_and_is_named(s3: Any, caplog: pytest.LogCaptureFixture) -> None:
    # GIVEN the curated week plus a Parquet file copied by hand into a silver date folder (no report lists it)
    put_lake_object(s3, BUCKET, STRAY, b"P" * SIZE, listed=False)
    lake = ManifestRecorder(s3)
    client = FakeDataApiClient()

    # WHEN weather_hourly is loaded
    with caplog.at_level(logging.WARNING, logger="energylake.warehouse.redshift.load"):
        result = lake.load(client, ["weather_hourly"])

    # THEN the COPY manifest lists exactly the curated files, the stray one is named in a warning with the table,
    # and the counts are the curated files' only
    assert lake.manifests == {"weather_hourly": [f"{LAKE}/{key}" for key in sorted(LISTED)]}
    assert _skipped(caplog) == [f"{LAKE}/{STRAY}"]
    assert "weather_hourly" in next(r.getMessage() for r in caplog.records if r.getMessage().startswith("not loading"))
    [table] = result["tables"]
    assert (table["status"], table["files"], table["bytes"]) == ("loaded", len(LISTED), len(LISTED) * SIZE)
    assert sum(s.startswith("COPY") for s in client.sql) == 1


def test_the_files_of_a_group_that_failed_quality_are_not_copied(s3: Any, caplog: pytest.LogCaptureFixture) -> None:
    # GIVEN one group's report says it failed (its silver files left behind from an earlier passing curation)
    failed_keys = GROUPS[DAY]
    put_quality_report(s3, BUCKET, DAY, f"weather-{DAY}", failed_keys, status="failed")
    lake = ManifestRecorder(s3)

    # WHEN weather_hourly is loaded
    with caplog.at_level(logging.WARNING, logger="energylake.warehouse.redshift.load"):
        lake.load(FakeDataApiClient(), ["weather_hourly"])

    # THEN only the passed group is copied, and each file of the failed one is named
    assert lake.manifests["weather_hourly"] == [f"{LAKE}/{key}" for key in sorted(set(LISTED) - set(failed_keys))]
    assert _skipped(caplog) == [f"{LAKE}/{key}" for key in sorted(failed_keys)]


def test_an_unreadable_report_lists_nothing_and_is_named(s3: Any, caplog: pytest.LogCaptureFixture) -> None:
    # GIVEN one group's report is not JSON (truncated by a full disk, say)
    report_key = layout.quality_report_key("weather", dt.date(2024, 11, 4), "weather-2024-11-04")
    s3.put_object(Bucket=BUCKET, Key=report_key, Body=b'{"status": "pas')
    lake = ManifestRecorder(s3)

    # WHEN weather_hourly is loaded
    with caplog.at_level(logging.WARNING):
        lake.load(FakeDataApiClient(), ["weather_hourly"])

    # THEN that group's files are left out and named, and so is the report that could not be read
    assert lake.manifests["weather_hourly"] == [f"{LAKE}/{key}" for key in sorted(LISTED) if "11-05.parquet" in key]
    assert _skipped(caplog) == [f"{LAKE}/{key}" for key in sorted(LISTED) if "11-04.parquet" in key]
    assert any(report_key in record.getMessage() and "unreadable" in record.getMessage() for record in caplog.records)


def test_a_report_filed_under_a_raw_day_outside_the_window_still_counts(s3: Any) -> None:
    # GIVEN a group posted a week before the window (a forecast): its report lies under that raw day, its silver
    # file under the window's UTC date
    key = "silver/dataset=weather/date=2024-11-05/weather-forecast-2024-10-29.parquet"
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"P" * SIZE)
    put_quality_report(s3, BUCKET, dt.date(2024, 10, 29), "weather-forecast-2024-10-29", [key])
    lake = ManifestRecorder(s3)

    # WHEN weather_hourly is loaded
    lake.load(FakeDataApiClient(), ["weather_hourly"])

    # THEN the forecast's file is copied with the others
    assert lake.manifests["weather_hourly"] == [f"{LAKE}/{k}" for k in sorted([*LISTED, key])]


def test_a_chunk_with_only_unlisted_silver_sends_no_batch(s3: Any, caplog: pytest.LogCaptureFixture) -> None:
    # GIVEN load_weather_zone silver that no report lists (a text file and a Parquet file dropped in by hand)
    strays = [f"silver/dataset=load_weather_zone/date=2024-11-06/{name}" for name in ("notes.txt", "x.parquet")]
    for key in strays:
        put_lake_object(s3, BUCKET, key, b"junk", listed=False)
    lake = ManifestRecorder(s3)
    client = FakeDataApiClient()

    # WHEN its table is loaded
    with caplog.at_level(logging.WARNING, logger="energylake.warehouse.redshift.load"):
        result = lake.load(client, ["ercot_load_by_weather_zone"])

    # THEN no manifest and no load batch (a COPY of a text file would fail the whole load), each stray named
    assert lake.manifests == {}
    assert client.batches == []
    assert result["tables"][0]["status"] == "no_data"
    assert _skipped(caplog) == [f"{LAKE}/{key}" for key in strays]


def test_gold_objects_need_no_report(s3: Any, caplog: pytest.LogCaptureFixture) -> None:
    # GIVEN gold for the window (the gold build replaces a date's files whole; it writes no quality report)
    gold = [f"gold/energy_weather_hourly/date={day}/part-0.parquet" for day in ("2024-11-05", "2024-11-06")]
    for key in gold:
        put_lake_object(s3, BUCKET, key, b"G" * SIZE)
    lake = ManifestRecorder(s3)

    # WHEN the gold table is loaded
    with caplog.at_level(logging.WARNING, logger="energylake.warehouse.redshift.load"):
        lake.load(FakeDataApiClient(), ["energy_weather_hourly"])

    # THEN every gold object is copied and nothing is reported as skipped
    assert lake.manifests == {"energy_weather_hourly": [f"{LAKE}/{key}" for key in gold]}
    assert _skipped(caplog) == []


def test_the_redshift_loader_imports_neither_duckdb_nor_pyarrow() -> None:
    # GIVEN a fresh interpreter (what LoadRedshiftFunction's cold start is)
    probe = (
        "import sys, energylake.warehouse.redshift.load, energylake.lake.quality_listing\n"
        "print(sorted(m for m in ('duckdb', 'pyarrow') if m in sys.modules))"
    )
    # WHEN the loader and the shared quality-listing rule are imported
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    # THEN no heavy data library came with them (the rule moved out of the DuckDB module to stay that way)
    assert completed.stdout.strip() == "[]"
