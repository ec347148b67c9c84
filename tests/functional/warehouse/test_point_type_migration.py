"""Version 2 of the warehouse on DuckDB: the settlement point type joins the price tables' keys.

A warehouse written at version 1 keyed prices without the type: a load kept one of each LZ/LZEW pair, and day-ahead
resource nodes (which the parser could not type from their name then) have NULL types. Migrating gives those NULLs
their type (RN) and makes the column NOT NULL; reloading a window then adds the series the old key could not hold,
matching the existing rows instead of duplicating them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from energylake.contracts import schemas as schema
from energylake.lake.storage import LocalStorage
from energylake.warehouse import duckdb as warehouse
from energylake.warehouse.model import WAREHOUSE, WarehouseModel
from energylake.window import Window
from tests.support.silver_reports import record_passed

DAY = dt.date(2024, 7, 1)
WINDOW = Window(DAY, DAY)
START = WINDOW.start_utc  # 2024-07-01 05:00Z (CDT)
FETCHED = dt.datetime(2024, 7, 2, 12, tzinfo=dt.UTC)
QUARTER = dt.timedelta(minutes=15)
HOUR = dt.timedelta(hours=1)
VERSION_1 = WarehouseModel(WAREHOUSE.tables, WAREHOUSE.views, WAREHOUSE.migrations[:1])


def price(market: str, point: str, point_type: str | None, start: dt.datetime, value: float) -> dict[str, Any]:
    length = QUARTER if market == "RT15" else HOUR
    dataset = "spp_rt" if market == "RT15" else "spp_dam"
    return {
        "market": market,
        "settlement_point": point,
        "settlement_point_type": point_type,
        "interval_start_utc": start,
        "interval_end_utc": start + length,
        "price_usd_mwh": value,
        "source_dataset": dataset,
        "raw_key": f"raw/source=ercot/dataset={dataset}/date={DAY}/fp/a.json",
        "run_id": "run-test",
        "fetched_at_utc": FETCHED,
    }


def version_1_warehouse(db: str) -> None:
    """A warehouse as version 1 left it: the price tables' type nullable, rows keyed without it."""
    warehouse.migrate(db, model=VERSION_1)
    con = duckdb.connect(db)
    try:
        for table in ("ercot_spp", "ercot_spp_hourly"):
            con.execute(f"ALTER TABLE {table} ALTER COLUMN settlement_point_type DROP NOT NULL")
        loaded = dt.datetime(2024, 7, 2, 13, tzinfo=dt.UTC)
        old = [
            price("RT15", "LZ_HOUSTON", "LZ", START, 31.0),  # the LZ half of the pair: its LZEW row was rejected
            price("DAM", "DC_E", None, START, 12.0),  # an untyped day-ahead resource node
            price("DAM", "HB_NORTH", "HU", START, 25.0),
        ]
        columns = [c.name for c in WAREHOUSE.table("ercot_spp").source_columns]
        for row in old:
            con.execute(
                f"INSERT INTO ercot_spp VALUES ({', '.join('?' * (len(columns) + 1))})",  # noqa: S608 - placeholders
                [*(row[name] for name in columns), loaded],
            )
        labels = [DAY, 1, False]  # operating_day, hour_ending, repeated_hour of 05:00Z
        con.execute(
            "INSERT INTO ercot_spp_hourly VALUES (?, NULL, ?, ?, ?, ?, ?, NULL, NULL, NULL, 0, ?, ?)",
            ["DC_E", START, START + HOUR, *labels, 12.0, loaded],
        )
    finally:
        con.close()


def write_silver(lake: Path, dataset: str, rows: list[dict[str, Any]]) -> None:
    path = lake / f"silver/dataset={dataset}/date={DAY}/g1.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = {c.name: [row[c.name] for row in rows] for c in schema.SPP.columns}
    pq.write_table(pa.table(columns, schema=schema.SPP.arrow_schema()), path)
    record_passed(lake, path.relative_to(lake).as_posix())  # the loader reads only files a passed report lists


def test_version_2_fills_old_null_types_and_requires_the_type(tmp_path: Path) -> None:
    # GIVEN a version-1 warehouse holding untyped day-ahead rows
    db = str(tmp_path / "warehouse.duckdb")
    version_1_warehouse(db)
    # WHEN migrated to the current version (twice: a rerun changes nothing)
    assert warehouse.migrate(db) == warehouse.migrate(db) == WAREHOUSE.version >= 2
    # THEN version 2 is recorded, the NULL types are RN, and the column now refuses NULL
    versions = warehouse.query(db, "SELECT version, description FROM schema_version ORDER BY version").to_pylist()
    assert versions[1] == {"version": 2, "description": "the settlement point type joins the keys of the price tables"}
    spp = warehouse.query(db, "SELECT settlement_point, settlement_point_type FROM ercot_spp ORDER BY ALL")
    assert spp.to_pylist() == [
        {"settlement_point": "DC_E", "settlement_point_type": "RN"},
        {"settlement_point": "HB_NORTH", "settlement_point_type": "HU"},
        {"settlement_point": "LZ_HOUSTON", "settlement_point_type": "LZ"},
    ]
    hourly = warehouse.query(db, "SELECT settlement_point_type FROM ercot_spp_hourly").to_pylist()
    assert hourly == [{"settlement_point_type": "RN"}]
    con = duckdb.connect(db)
    try:
        for table in ("ercot_spp", "ercot_spp_hourly"):
            nullable = con.execute(
                "SELECT is_nullable FROM information_schema.columns WHERE table_name = ? "
                "AND column_name = 'settlement_point_type'",
                [table],
            ).fetchall()
            assert nullable == [("NO",)], table
        with pytest.raises(duckdb.ConstraintException, match="NOT NULL"):
            con.execute("UPDATE ercot_spp SET settlement_point_type = NULL")
    finally:
        con.close()


def test_reloading_after_the_migration_adds_the_lzew_series_and_matches_the_old_rows(tmp_path: Path) -> None:
    # GIVEN a version-1 warehouse and a lake whose silver holds both series of LZ_HOUSTON and the typed DC_E price
    db = str(tmp_path / "warehouse.duckdb")
    version_1_warehouse(db)
    lake = tmp_path / "lake"
    write_silver(lake, "spp_rt", [
        price("RT15", "LZ_HOUSTON", "LZ", START, 31.0),
        price("RT15", "LZ_HOUSTON", "LZEW", START, 31.4),
    ])  # fmt: skip
    write_silver(
        lake, "spp_dam", [price("DAM", "DC_E", "RN", START, 12.5), price("DAM", "HB_NORTH", "HU", START, 25.0)]
    )
    # WHEN the window is loaded with the current code (it migrates first)
    counts = warehouse.load(WINDOW, LocalStorage(lake), db, tables=["ercot_spp"])
    # THEN the LZEW series is added beside the kept LZ row, DC_E's old row is updated in place (not duplicated),
    #      and every key is there once
    rows = warehouse.query(
        db, "SELECT market, settlement_point, settlement_point_type, price_usd_mwh FROM ercot_spp ORDER BY ALL"
    ).to_pylist()
    assert rows == [
        {"market": "DAM", "settlement_point": "DC_E", "settlement_point_type": "RN", "price_usd_mwh": 12.5},
        {"market": "DAM", "settlement_point": "HB_NORTH", "settlement_point_type": "HU", "price_usd_mwh": 25.0},
        {"market": "RT15", "settlement_point": "LZ_HOUSTON", "settlement_point_type": "LZ", "price_usd_mwh": 31.0},
        {"market": "RT15", "settlement_point": "LZ_HOUSTON", "settlement_point_type": "LZEW", "price_usd_mwh": 31.4},
    ]
    assert counts == {"ercot_spp": 2}  # the LZEW insert and the DC_E update; the unchanged rows are not rewritten
