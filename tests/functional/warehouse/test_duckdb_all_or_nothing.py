"""The DuckDB load is all or nothing and reads only what quality passed (issue 15, defects 2 and 3).

The lake has the real layout: a group per Central operating day, each writing one silver file per UTC date it
reaches, so every UTC-date folder holds two files (two operating days overlap each UTC date), each listed by its
group's passed quality report. Window: operating days 2024-11-05..2024-11-06 (CST).
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from energylake.contracts.datasets import DatasetName
from energylake.errors import WarehouseLoadError
from energylake.lake.storage import LocalStorage
from energylake.warehouse import duckdb as warehouse
from energylake.warehouse.model import WAREHOUSE
from energylake.window import Window
from tests.support.silver_reports import write_group

DAYS = (dt.date(2024, 11, 5), dt.date(2024, 11, 6))
WINDOW = Window(*DAYS)
# the last silver table of the model's load order is ercot_fuel_mix: its input is loaded after the others
DATASETS: tuple[DatasetName, ...] = ("spp_rt", "load_weather_zone", "fuel_mix")
FETCHED = dt.datetime(2024, 11, 8, 12, tzinfo=dt.UTC)


def build_lake(lake: Path, *, offset: float, fetched_at: dt.datetime = FETCHED) -> None:
    for dataset in DATASETS:
        for day in DAYS:
            write_group(lake, dataset, day, f"g{day:%m%d}", offset=offset, fetched_at=fetched_at)


def snapshot(db: str) -> dict[str, pa.Table]:
    tables = {}
    for name in WAREHOUSE.table_names:
        data = warehouse.query(db, f"SELECT * FROM {name}")  # noqa: S608 - names from the model
        tables[name] = data.sort_by([(column, "ascending") for column in data.column_names])
    return tables


@pytest.fixture
def loaded(tmp_path: Path) -> tuple[Path, str, dict[str, pa.Table]]:
    """A lake loaded once, then curated again with other values (so any table a load touches would change)."""
    lake, db = tmp_path / "lake", str(tmp_path / "warehouse.duckdb")
    build_lake(lake, offset=0.0)
    warehouse.load(WINDOW, LocalStorage(lake), db)
    before = snapshot(db)
    assert all(before[name].num_rows > 0 for name in ("ercot_spp", "ercot_load_by_weather_zone", "ercot_fuel_mix"))
    build_lake(lake, offset=1.0, fetched_at=FETCHED + dt.timedelta(hours=1))
    return lake, db, before


def test_every_silver_date_folder_of_the_test_lake_holds_two_groups(tmp_path: Path) -> None:
    # GIVEN the hand-curated lake of two adjacent operating days
    build_lake(tmp_path, offset=0.0)
    # THEN the UTC date both days reach holds two files, as in a real lake (the dedupe path is exercised)
    shared = tmp_path / "silver/dataset=spp_rt/date=2024-11-06"
    assert sorted(p.name for p in shared.glob("*.parquet")) == ["g1105.parquet", "g1106.parquet"]


def test_a_stray_parquet_in_a_silver_folder_changes_nothing_and_is_named(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN a loaded lake, and a copy of a real silver file with other prices dropped into a silver date folder
    #       under a name that sorts last (it would win every tie on file name)
    lake, db = tmp_path / "lake", str(tmp_path / "warehouse.duckdb")
    build_lake(lake, offset=0.0)
    warehouse.load(WINDOW, LocalStorage(lake), db)
    before = snapshot(db)
    build_lake(tmp_path / "other", offset=500.0, fetched_at=FETCHED + dt.timedelta(days=1))
    stray = lake / "silver/dataset=spp_rt/date=2024-11-06/zz-copied.parquet"
    shutil.copy(tmp_path / "other/silver/dataset=spp_rt/date=2024-11-06/g1105.parquet", stray)
    # WHEN the window is loaded again
    with caplog.at_level("WARNING", logger="energylake.warehouse.duckdb"):
        counts = warehouse.load(WINDOW, LocalStorage(lake), db)
    # THEN nothing changed, and a warning names the file it did not read
    assert counts["ercot_spp"] == 0
    assert snapshot(db) == before
    named = [r.getMessage() for r in caplog.records if str(stray) in r.getMessage()]
    assert len(named) == 1 and "no passed quality report lists it" in named[0]


def test_a_file_of_a_failed_group_is_not_loaded(tmp_path: Path) -> None:
    # GIVEN a lake whose second day's group of prices failed the gate (its report says so) yet left a file behind
    lake, db = tmp_path / "lake", str(tmp_path / "warehouse.duckdb")
    build_lake(lake, offset=0.0)
    report = lake / "quality/dataset=spp_rt/date=2024-11-06/g1106.json"
    report.write_text(report.read_text().replace('"passed"', '"failed"'))
    # WHEN the window is loaded
    warehouse.load(WINDOW, LocalStorage(lake), db)
    # THEN no price of that operating day (UTC 2024-11-06 06:00 onwards) is in the warehouse
    latest = warehouse.query(db, "SELECT MAX(interval_start_utc) AS t FROM ercot_spp").column("t").to_pylist()[0]
    assert latest < dt.datetime(2024, 11, 6, 6, tzinfo=dt.UTC)


def test_a_truncated_file_in_the_last_tables_input_fails_in_one_line_and_changes_no_table(
    loaded: tuple[Path, str, dict[str, pa.Table]],
) -> None:
    # GIVEN a loaded warehouse, a lake curated again with new values, and the last silver table's file truncated
    lake, db, before = loaded
    truncated = lake / "silver/dataset=fuel_mix/date=2024-11-06/g1106.parquet"
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size // 2])
    # WHEN the window is loaded
    with pytest.raises(WarehouseLoadError) as caught:
        warehouse.load(WINDOW, LocalStorage(lake), db)
    # THEN no table changed (the tables loaded before it neither), and one line names the table, window and file
    assert snapshot(db) == before
    message = str(caught.value)
    assert "\n" not in message
    assert caught.value.table == "ercot_fuel_mix" and "2024-11-05..2024-11-06" in message
    assert "no table changed" in message and "g1106.parquet" in message


CHILD = """
import logging, sys
from pathlib import Path
from energylake.lake.storage import LocalStorage
from energylake.warehouse import duckdb as warehouse
from energylake.window import Window
import datetime as dt

class PauseAt(logging.Handler):
    # the parent kills this process while it waits here, inside the load's transaction
    def emit(self, record):
        if record.getMessage().startswith(sys.argv[3]):
            print("under way", flush=True)
            sys.stdin.read()

logging.getLogger("energylake.warehouse.duckdb").addHandler(PauseAt())
logging.getLogger("energylake.warehouse.duckdb").setLevel(logging.INFO)
warehouse.load(Window(dt.date(2024, 11, 5), dt.date(2024, 11, 6)), LocalStorage(Path(sys.argv[1])), sys.argv[2])
print("finished", flush=True)
"""


@pytest.mark.parametrize(
    "pause_at",
    ["loading warehouse table ercot_fuel_mix", "committing the warehouse load"],
    ids=["after-two-tables", "before-commit"],
)
def test_a_kill_mid_load_leaves_the_warehouse_as_before(
    loaded: tuple[Path, str, dict[str, pa.Table]], pause_at: str
) -> None:
    # GIVEN a loaded warehouse and a lake curated again with new values
    lake, db, before = loaded
    # WHEN a load is killed once its log says it is under way (tables written inside its transaction)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(lake), db, pause_at],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "under way"
        child.kill()
    finally:
        child.wait(timeout=60)
    # THEN the warehouse is exactly as before, and a rerun loads the new values
    assert snapshot(db) == before
    counts = warehouse.load(WINDOW, LocalStorage(lake), db)
    assert counts["ercot_spp"] == before["ercot_spp"].num_rows
    prices = warehouse.query(db, "SELECT DISTINCT price_usd_mwh AS p FROM ercot_spp").column("p").to_pylist()
    assert prices == [before["ercot_spp"].column("price_usd_mwh")[0].as_py() + 1.0]


def test_a_reload_merged_a_few_days_at_a_time_updates_exactly_the_changed_groups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a loaded window, reloads merging one UTC date per statement, and the first and last days curated again
    #       with new values (fetched later)
    monkeypatch.setattr(warehouse, "MERGE_DAYS", 1)
    lake, db = tmp_path / "lake", str(tmp_path / "warehouse.duckdb")
    build_lake(lake, offset=0.0)
    warehouse.load(WINDOW, LocalStorage(lake), db)
    later = FETCHED + dt.timedelta(hours=1)
    for day in DAYS:
        write_group(lake, "load_weather_zone", day, f"g{day:%m%d}", offset=100.0, fetched_at=later)
    # WHEN the window is loaded again
    counts = warehouse.load(WINDOW, LocalStorage(lake), db)
    # THEN every row of the load table was rewritten once with the new value, and no other table changed
    rows = warehouse.query(db, "SELECT load_mw, fetched_at_utc FROM ercot_load_by_weather_zone").to_pylist()
    assert counts["ercot_load_by_weather_zone"] == len(rows) > 0
    assert {(r["load_mw"], r["fetched_at_utc"]) for r in rows} == {(12_100.0, later)}
    assert counts["ercot_spp"] == counts["ercot_fuel_mix"] == 0
