"""BuildGoldFunction on moto S3: the real handler builds gold for one and two operating days from the sample's silver,
a rerun writes the same objects and nothing more, a bad event and a too-long window are refused before anything is
read or written, a build failing midway leaves gold as it was, DuckDB's memory follows the function's, and the build
needs no pyarrow (the function ships without it).

The silver is the sample source's, landed once for the module in a folder lake and copied into each test's bucket.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from moto import mock_aws

from energylake.contracts.tables import GOLD_TABLES
from energylake.errors import ConfigurationError, InvalidRequestError, StorageError
from energylake.gold import duckdb as gold_duckdb
from energylake.lake.storage import LocalStorage, S3Storage
from energylake.lambdas import _shared
from energylake.lambdas.build_gold import duckdb_memory_limit
from energylake.settings import get_settings
from energylake.window import Window
from tests.support.fakes import FakeContext, load_handler
from tests.support.gold import make_sample_silver
from tests.support.paths import REPO_ROOT

REGION = "us-east-1"
BUCKET = "energylake-lake-test"
FALL_BACK_DAY = dt.date(2024, 11, 3)
ONE_DAY = {"start": "2024-11-03", "end": "2024-11-03"}
TWO_DAYS = {"start": "2024-11-03", "end": "2024-11-04"}
THREE_DAYS = {"start": "2024-11-03", "end": "2024-11-05"}


@pytest.fixture(scope="module")
def sample_silver(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample's silver around the fall-back day (operating days 11-02..11-05), in a folder lake (never changed)."""
    return make_sample_silver(
        tmp_path_factory.mktemp("build-gold") / "lake", [Window.parse("2024-11-02", "2024-11-05")]
    )


@dataclass
class Aws:
    lake: S3Storage
    scratch: Path  # the function's /tmp

    def invoke(self, event: dict[str, Any]) -> Any:
        # tempfile.gettempdir() is /tmp on Lambda; here the handler is pointed at the test's own folder
        handler = load_handler("build_gold")
        return handler.lambda_handler(event, FakeContext("energylake-build-gold"))

    def gold(self) -> dict[str, bytes]:
        """Every gold object: key -> bytes."""
        return {key: self.lake.get(key) for key in sorted(self.lake.list("gold/"))}


@pytest.fixture
def aws(sample_silver: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    """A moto lake bucket holding the sample silver, configured as the function's lake; /tmp is the test's folder."""
    scratch = tmp_path / "lambda-tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr("tempfile.tempdir", None)  # gettempdir() reads TMPDIR again
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        lake = S3Storage(BUCKET, client=s3)
        for path in sorted((sample_silver / "silver").rglob("*.parquet")):
            lake.put(path.relative_to(sample_silver).as_posix(), path.read_bytes())
        monkeypatch.setenv("ENERGYLAKE_LAKE_URI", f"s3://{BUCKET}")
        _clear_caches()
        yield Aws(lake, scratch)
    _clear_caches()


def _clear_caches() -> None:
    for cached in (_shared._lake, _shared.aws_client, get_settings):
        cached.cache_clear()


def local_gold(sample_silver: Path, tmp_path: Path, window: Window) -> dict[str, bytes]:
    """The same window built by the local runner from the same silver in a folder lake: key -> bytes."""
    lake = Path(shutil.copytree(sample_silver, tmp_path / "local"))
    gold_duckdb.build_gold(window, LocalStorage(lake))
    return {path.relative_to(lake).as_posix(): path.read_bytes() for path in sorted((lake / "gold").rglob("*.parquet"))}


def table_of(objects: dict[str, bytes], table: str) -> pa.Table:
    return pa.concat_tables(
        pq.read_table(pa.BufferReader(data)) for key, data in objects.items() if key.startswith(f"gold/{table}/")
    )


# --- building -----------------------------------------------------------------------------------------------------


def test_one_operating_day_builds_its_two_utc_dates_as_the_local_runner_does(
    aws: Aws, sample_silver: Path, tmp_path: Path
) -> None:
    # GIVEN the sample's silver in the lake bucket  WHEN the function builds the fall-back day
    reply = aws.invoke(ONE_DAY)
    # THEN it rebuilt the two UTC dates the operating day touches: 48 hours, 8 zones, every table
    assert reply["utc_dates"] == 2 and reply["seconds"] > 0
    assert reply["tables"]["energy_weather_hourly"] == 48 * 8 and reply["tables"]["system_hourly"] == 48
    gold = aws.gold()
    assert sorted(gold) == [
        f"gold/{table}/date=2024-11-0{day}/part-00000.parquet" for table in sorted(GOLD_TABLES) for day in (3, 4)
    ]
    # AND the objects are the files the local runner writes from the same silver, byte for byte
    assert gold == local_gold(sample_silver, tmp_path, Window(FALL_BACK_DAY, FALL_BACK_DAY))
    # AND the fall-back day has its 25 hours, complete; every file has the contract's schema
    system = table_of(gold, "system_hourly")
    day = system.filter(pc.equal(system["operating_day"], pa.scalar(FALL_BACK_DAY)))
    assert day.num_rows == 25 and pc.all(day["has_load"]).as_py() and pc.all(day["has_prices"]).as_py()
    for key, data in gold.items():
        assert pq.read_schema(pa.BufferReader(data)) == GOLD_TABLES[key.split("/")[1]].arrow_schema(), key
    # AND the downloads, spills and new files are gone from /tmp (a warm function keeps it)
    assert not any(aws.scratch.iterdir())


def test_two_operating_days_build_three_utc_dates(aws: Aws) -> None:
    # WHEN the function builds 11-03..11-04 (the daily run's window)
    reply = aws.invoke(TWO_DAYS)
    # THEN three UTC date partitions of each table, the row counts its reply names
    assert reply["utc_dates"] == 3
    assert reply["tables"]["energy_weather_hourly"] == 72 * 8 and reply["tables"]["system_hourly"] == 72
    gold = aws.gold()
    assert len(gold) == 3 * 3
    for table, rows in reply["tables"].items():
        assert table_of(gold, table).num_rows == rows, table
    json.dumps(reply)  # the state machine passes it on as JSON


def test_a_rerun_writes_the_same_objects_and_nothing_more(aws: Aws) -> None:
    # GIVEN gold built for two operating days
    first = aws.invoke(TWO_DAYS)
    before = aws.gold()
    # WHEN the same window is built again (the next 15-minute run, silver unchanged)
    second = aws.invoke(TWO_DAYS)
    # THEN the same objects with the same bytes: no duplicated rows, no second file in a partition
    assert aws.gold() == before
    assert second["tables"] == first["tables"]


def test_the_window_limit_is_the_setting(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a three-day window: longer than the default limit of 2 operating days
    # WHEN the function is asked for it THEN it refuses, naming the limit and where such windows are built
    with pytest.raises(InvalidRequestError) as refused:
        aws.invoke(THREE_DAYS)
    message = str(refused.value)
    assert "at most 2 operating days (ENERGYLAKE_GOLD_LAMBDA_MAX_DAYS)" in message
    assert "2024-11-03..2024-11-05 has 3" in message and "the Glue job builds longer windows" in message
    assert aws.gold() == {}
    # WHEN the limit is raised to 3 THEN the same window builds its four UTC dates
    monkeypatch.setenv("ENERGYLAKE_GOLD_LAMBDA_MAX_DAYS", "3")
    _clear_caches()
    assert aws.invoke(THREE_DAYS)["utc_dates"] == 4


@pytest.mark.parametrize(
    ("event", "problem"),
    [
        ({"start": "2024-11-03"}, r"invalid event: end: Field required"),
        ({"start": "2024-11-04", "end": "2024-11-03"}, r"end 2024-11-03 is before start 2024-11-04"),
        ({"start": "2024-11-03", "end": "2024-11-03", "lake": "s3://other"}, r"lake: Extra inputs are not permitted"),
        ({"start": "11/03/2024", "end": "2024-11-03"}, r"start: .*YYYY-MM-DD"),
    ],
)
def test_a_bad_event_is_refused_naming_the_field_and_writes_nothing(
    aws: Aws, event: dict[str, Any], problem: str
) -> None:
    with pytest.raises(InvalidRequestError, match=problem):
        aws.invoke(event)
    assert aws.gold() == {}


# --- failing ------------------------------------------------------------------------------------------------------


def test_a_build_failing_midway_leaves_gold_as_it_was(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN gold built for two days, then a stale Spark object in one partition
    aws.invoke(TWO_DAYS)
    aws.lake.put("gold/system_hourly/date=2024-11-04/part-00001-spark.c000.snappy.parquet", b"stale")
    before = aws.gold()
    # AND silver that changed since (every price of UTC date 11-04 deleted), and a build that fails after it wrote
    #     half of its files (the disk filling up, say)
    for key in list(aws.lake.list("silver/dataset=spp_rt/date=2024-11-04/")):
        aws.lake.delete(key)
    run_copies = gold_duckdb._run_copies

    def fail_midway(con: Any, statements: list[str]) -> None:
        run_copies(con, statements[: len(statements) // 2])
        raise OSError("No space left on device")

    monkeypatch.setattr(gold_duckdb, "_run_copies", fail_midway)
    # WHEN the function builds the window again THEN it fails with the cause
    with pytest.raises(OSError, match="No space left on device"):
        aws.invoke(TWO_DAYS)
    # AND no gold object changed, none was added or removed, and /tmp is clean
    assert aws.gold() == before
    assert not any(aws.scratch.iterdir())


def test_unreadable_silver_fails_naming_the_object_and_writes_nothing(aws: Aws) -> None:
    # GIVEN a silver object that is not Parquet (a truncated upload)
    aws.lake.put("silver/dataset=wind/date=2024-11-03/broken.parquet", b"PAR1 not really")
    # WHEN the function builds the day THEN a StorageError names the lake and the object, and gold is still empty
    with pytest.raises(
        StorageError, match=r"cannot read the silver of 2024-11-03\.\.2024-11-03 in s3://.*broken\.parquet"
    ):
        aws.invoke(ONE_DAY)
    assert aws.gold() == {}


# --- memory -------------------------------------------------------------------------------------------------------


def test_duckdb_gets_the_function_memory_less_a_reserve_and_a_quarter() -> None:
    assert duckdb_memory_limit(3008) == "2064MB"
    assert duckdb_memory_limit(1024) == "576MB"
    assert duckdb_memory_limit(512) == "192MB"
    with pytest.raises(ConfigurationError, match="needs at least 512 MB of memory, it has 256 MB"):
        duckdb_memory_limit(256)


def test_the_build_runs_with_the_limit_of_the_function_memory(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a function of 1024 MB (Lambda's variable)
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
    limits: list[str] = []
    connect = gold_duckdb.connect

    def spy(**kwargs: Any) -> Any:
        limits.append(kwargs["memory_limit"])
        return connect(**kwargs)

    monkeypatch.setattr(gold_duckdb, "connect", spy)
    # WHEN it builds THEN DuckDB ran with the derived limit
    aws.invoke(ONE_DAY)
    assert limits == ["576MB"]


# --- packaging ----------------------------------------------------------------------------------------------------

# A fresh interpreter in which pyarrow cannot be imported (the function ships without it) builds a day of gold into a
# folder lake through the handler's module.
NO_PYARROW = """
import json, sys
sys.modules["pyarrow"] = None
from pathlib import Path
from energylake.lake.storage import LocalStorage
from energylake.lambdas import build_gold
lake = sys.argv[1]
build_gold.lake = lambda: LocalStorage(Path(lake))
reply = build_gold.handle({"start": "2024-11-03", "end": "2024-11-03"})
loaded = sorted(name for name, module in sys.modules.items() if name.split(".")[0] == "pyarrow" and module)
print(json.dumps({"reply": reply, "loaded": loaded}))
"""


def test_the_build_needs_no_pyarrow(sample_silver: Path, tmp_path: Path) -> None:
    lake = shutil.copytree(sample_silver, tmp_path / "lake")
    done = subprocess.run(
        [sys.executable, "-c", NO_PYARROW, str(lake)], capture_output=True, text=True, check=False, cwd=REPO_ROOT
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["reply"]["utc_dates"] == 2 and result["loaded"] == []
