"""A small hand-made DuckDB warehouse for the analyst views' tests: rows inserted straight into the model's tables
(no lake, no load), lineage and load time filled in, hour labels derived from the UTC start as gold derives them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from energylake.warehouse import duckdb as warehouse
from energylake.warehouse.model import LOADED_AT, WAREHOUSE

CENTRAL = ZoneInfo("America/Chicago")
HOUR = dt.timedelta(hours=1)
LOADED = dt.datetime(2024, 12, 1, tzinfo=dt.UTC)
_LINEAGE: dict[str, Any] = {
    "source_dataset": "test",
    "raw_key": "raw/source=test/dataset=test/date=2024-01-01/fp/a.json",
    "run_id": "run-test",
    "fetched_at_utc": LOADED,
    LOADED_AT: LOADED,
}


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


def hour_labels(start: dt.datetime) -> dict[str, Any]:
    """The gold hour columns of the UTC hour starting at ``start`` (operating day and hour ending on Central time)."""
    local = start.astimezone(CENTRAL)
    earlier = (start - HOUR).astimezone(CENTRAL)
    return {
        "interval_start_utc": start,
        "interval_end_utc": start + HOUR,
        "operating_day": local.date(),
        "hour_ending": local.hour + 1,
        "repeated_hour": local.replace(tzinfo=None) <= earlier.replace(tzinfo=None),
    }


def build_warehouse(directory: Path, rows: Mapping[str, Sequence[Mapping[str, Any]]]) -> str:
    """A migrated warehouse file in ``directory`` holding exactly ``rows`` (table name -> rows; columns not given are
    NULL, lineage and ``loaded_at_utc`` get fixed values); returns its path."""
    path = str(directory / "warehouse.duckdb")
    warehouse.migrate(path)
    con = duckdb.connect(path)
    try:
        con.execute("SET TimeZone = 'UTC'")
        for table_name, table_rows in rows.items():
            names = WAREHOUSE.table(table_name).column_names
            values = [[{**_LINEAGE, **row}.get(name) for name in names] for row in table_rows]
            placeholders = ", ".join("?" for _ in names)
            con.executemany(f"INSERT INTO {table_name} ({', '.join(names)}) VALUES ({placeholders})", values)  # noqa: S608 - model names
    finally:
        con.close()
    return path


def view_rows(path: str, view: str, order: str, where: str = "TRUE") -> list[dict[str, Any]]:
    """The view's rows as dicts (test constants only in ``where`` and ``order``)."""
    sql = f"SELECT * FROM {view} WHERE {where} ORDER BY {order}"  # noqa: S608 - test constants
    rows: list[dict[str, Any]] = warehouse.query(path, sql).to_pylist()
    return rows
