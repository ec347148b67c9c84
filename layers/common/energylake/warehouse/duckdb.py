"""The local warehouse: a DuckDB file loaded from the lake's silver and gold Parquet.

``load`` migrates the file to the model's schema version, then, table by table and in one transaction each:
reads the window's UTC-date partitions with ``read_parquet(hive_partitioning = true)``, keeps the rows inside the
window's UTC bounds (:attr:`~energylake.window.Window.start_utc` .. ``end_utc``), keeps per natural key
the row fetched last (ties: the later file, then the later row), and upserts it on the natural key with ``MERGE``
(a plain ``INSERT`` when the table has no row in the window yet: every natural key holds the time column, so no key
can match). A matched row is rewritten only when a value changed, so ``loaded_at_utc`` is when the row's current
version arrived and loading the same window twice leaves identical rows. Any failure rolls the table's transaction
back and raises :class:`WarehouseLoadError` naming the table and the window. Views are replaced last,
then every table, view and column gets its data-dictionary ``COMMENT`` (:mod:`energylake.warehouse.dictionary`).

The tables declare no ``PRIMARY KEY``: DuckDB's ART index over a year of 15-minute prices (35M composite keys)
costs minutes per load and gigabytes of memory; uniqueness is the loader's job (dedupe + ``MERGE`` on the key),
and Redshift's informational key is declared there. Rows no longer in the lake are not deleted (upsert, not
replace): re-curation replaces a group's file with one covering the same keys.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

import duckdb

from energylake.errors import WarehouseError, WarehouseLoadError
from energylake.lake import layout
from energylake.lake.storage import Storage
from energylake.warehouse.dictionary import comment_statements
from energylake.warehouse.model import (
    LOADED_AT,
    SCHEMA_VERSION_TABLE,
    WAREHOUSE,
    Migration,
    WarehouseModel,
    WarehouseTable,
    duckdb_type,
)
from energylake.window import Window

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["create_table_sql", "load", "migrate", "query"]

# --- DDL and migrations ------------------------------------------------------------------------------------------

CURATION_RUN_ID = "run_id"  # silver lineage: the curation run that wrote the row


def create_table_sql(table: WarehouseTable) -> str:
    columns = [f"    {c.name} {duckdb_type(c)}{'' if c.nullable else ' NOT NULL'}" for c in table.columns]
    return f"CREATE TABLE IF NOT EXISTS {table.name} (\n" + ",\n".join(columns) + "\n)"


def _connect(warehouse_path: str, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(warehouse_path, read_only=read_only)
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET preserve_insertion_order = false")  # bulk inserts: ~2x faster, row order is meaningless here
    return con


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    rows = con.sql(sql).fetchall()
    return rows[0][0] if rows else None


def _migrate(con: duckdb.DuckDBPyConnection, model: WarehouseModel) -> int:
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {SCHEMA_VERSION_TABLE} ("
        "version INTEGER PRIMARY KEY, description VARCHAR NOT NULL, applied_at_utc TIMESTAMPTZ NOT NULL)"
    )
    current = int(str(_scalar(con, f"SELECT COALESCE(MAX(version), 0) FROM {SCHEMA_VERSION_TABLE}")))
    if current > model.version:
        raise WarehouseError(
            f"the warehouse is at schema version {current}, newer than this code's {model.version}: upgrade energylake"
        )
    _fill_nulls(con, [m for m in model.migrations if m.version > current])
    con.execute("BEGIN TRANSACTION")
    try:
        for table in model.tables:
            con.execute(create_table_sql(table))
        for migration in model.migrations:
            if migration.version <= current:
                continue
            for table_name, column_name in migration.add_columns:
                column = next(c for c in model.table(table_name).columns if c.name == column_name)
                con.execute(f"ALTER TABLE {table_name} ADD COLUMN IF NOT EXISTS {column_name} {duckdb_type(column)}")
            for table_name, column_name, _value in migration.fill_nulls:  # filled by _fill_nulls, committed
                con.execute(f"ALTER TABLE {table_name} ALTER COLUMN {column_name} SET NOT NULL")
            # migration.rekey needs no DDL here: the tables declare no key (see the module docstring) and the
            # loader's dedupe and MERGE read the natural key from the model.
            con.execute(
                f"INSERT INTO {SCHEMA_VERSION_TABLE} VALUES (?, ?, ?)",
                [migration.version, migration.description, dt.datetime.now(dt.UTC)],
            )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return model.version


def _fill_nulls(con: duckdb.DuckDBPyConnection, pending: Sequence[Migration]) -> None:
    """Give the NULLs of columns that became required their value, each table in its own committed transaction.

    DuckDB refuses ``SET NOT NULL`` in a transaction that updated the table ("Cannot create index with outstanding
    updates"), so the fill is committed before the migration's transaction. It is safe alone: it only replaces
    NULLs a later version forbids, and a rerun finds none. Tables that do not exist yet have nothing to fill.
    """
    existing = {str(row[0]) for row in con.sql("SELECT table_name FROM information_schema.tables").fetchall()}
    for migration in pending:
        for table_name, column_name, value in migration.fill_nulls:
            if table_name not in existing:
                continue
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute(f"UPDATE {table_name} SET {column_name} = ? WHERE {column_name} IS NULL", [value])
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise


def migrate(warehouse_path: str, *, model: WarehouseModel = WAREHOUSE) -> int:
    """Bring the warehouse file to ``model``'s schema version (idempotent); returns that version."""
    con = _connect(warehouse_path)
    try:
        version = _migrate(con, model)
        _create_views(con, model)
        return version
    finally:
        con.close()


def _create_views(con: duckdb.DuckDBPyConnection, model: WarehouseModel) -> None:
    for view in model.views:
        con.execute(f"CREATE OR REPLACE VIEW {view.name} AS {view.sql}")
    _comment(con, model)


def _comment(con: duckdb.DuckDBPyConnection, model: WarehouseModel) -> None:
    """The data dictionary as ``COMMENT ON`` every table, view and column (:mod:`energylake.warehouse.dictionary`),
    after the views: ``CREATE OR REPLACE VIEW`` drops a view's comments. One transaction: all or none."""
    views = {view.name for view in model.views}
    view_columns: dict[str, set[str]] = {name: set() for name in views}
    for table_name, column_name in con.sql("SELECT table_name, column_name FROM duckdb_columns()").fetchall():
        if table_name in views:
            view_columns[str(table_name)].add(str(column_name))
    con.execute("BEGIN TRANSACTION")
    try:
        for statement in comment_statements(model, view_columns=view_columns):
            con.execute(statement)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


# --- loading -----------------------------------------------------------------------------------------------------


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _timestamp(value: dt.datetime) -> str:
    return f"TIMESTAMPTZ '{value.astimezone(dt.UTC).isoformat()}'"


def _in_window(column: str, window: Window) -> str:
    """``column`` inside the window's UTC bounds ``[start_utc, end_utc)``."""
    return f"{column} >= {_timestamp(window.start_utc)} AND {column} < {_timestamp(window.end_utc)}"


def _partition_files(
    con: duckdb.DuckDBPyConnection, lake: Storage, table: WarehouseTable, dates: Sequence[dt.date]
) -> list[str]:
    """The Parquet files of ``table`` in the UTC-date partitions ``dates`` (one listing per source prefix)."""
    wanted = set(dates)
    files: list[str] = []
    for prefix in table.lake_prefixes():
        pattern = lake.location.object_uri(f"{prefix}{layout.PARTITION_COLUMN}=*/*.parquet")
        for (path,) in con.sql(f"SELECT file FROM glob({_literal(pattern)})").fetchall():
            if layout.partition_date(str(path)) in wanted:
                files.append(str(path))
    return sorted(files)


def _group_by_partition(files: list[str]) -> tuple[list[str], list[str]]:
    """Split files into those alone in their partition folder and those sharing it with others."""
    folders: dict[str, list[str]] = {}
    for path in files:
        folders.setdefault(path.rsplit("/", 1)[0], []).append(path)
    single = sorted(f for group in folders.values() if len(group) == 1 for f in group)
    shared = sorted(f for group in folders.values() if len(group) > 1 for f in group)
    return single, shared


def source_sql(con: duckdb.DuckDBPyConnection, table: WarehouseTable, files: list[str], window: Window) -> str:
    """The window's rows of ``files``, typed as the table, one row per natural key (the latest fetch).

    A silver file never repeats a natural key (the quality gate rejects duplicates within a group) and Spark writes
    one gold file per date, so duplicates can only come from several files in one partition (overlapping fetches):
    only those partitions pay for the ``ROW_NUMBER`` dedupe. A column missing from every file (added by a later
    schema version) reads as NULL.
    """
    single, shared = _group_by_partition(files)
    in_window = _in_window(table.time_column, window)

    def reader(paths: list[str], extra: str = "") -> str:
        return (
            f"read_parquet([{', '.join(_literal(f) for f in paths)}], hive_partitioning = true, "
            f"union_by_name = true{extra})"
        )

    present = {str(row[0]) for row in con.sql(f"DESCRIBE SELECT * FROM {reader(files)}").fetchall()}
    selected = ", ".join(
        f"CAST({c.name if c.name in present else 'NULL'} AS {duckdb_type(c)}) AS {c.name}" for c in table.source_columns
    )
    parts = []
    if single:
        parts.append(f"SELECT {selected} FROM {reader(single)} WHERE {in_window}")
    if shared:
        order = [f"{name} DESC" for name in table.dedupe_order] + ["filename DESC", "file_row_number DESC"]
        parts.append(
            f"SELECT {selected} FROM {reader(shared, ', filename = true, file_row_number = true')} WHERE {in_window} "
            f"QUALIFY ROW_NUMBER() OVER (PARTITION BY {', '.join(table.natural_key)} ORDER BY {', '.join(order)}) = 1"
        )
    return "\nUNION ALL\n".join(parts)


def insert_sql(table: WarehouseTable, source: str, loaded_at: dt.datetime) -> str:
    """Plain insert: exact when the target has no row in the window (every natural key holds the time column)."""
    names = [c.name for c in table.source_columns]
    return (
        f"INSERT INTO {table.name} ({', '.join([*names, LOADED_AT])})\n"
        f"SELECT {', '.join(names)}, {_timestamp(loaded_at)} FROM (\n{source}\n)"
    )


def merge_sql(table: WarehouseTable, source: str, loaded_at: dt.datetime, window: Window) -> str:
    """Upsert on the natural key; a matched row is rewritten only when one of its values changed.

    The curation run's id is lineage, not a value: curating the same raw again (``reprocess``, a rerun) gives every
    row a new ``run_id`` and nothing else, which is no change (the row keeps the run that last changed it)."""
    key = table.natural_key
    values = [c.name for c in table.source_columns if c.name not in key]
    time = table.time_column
    on = " AND ".join([f"t.{k} = s.{k}" for k in key] + [_in_window(f"t.{time}", window)])
    changed = " OR ".join(f"t.{name} IS DISTINCT FROM s.{name}" for name in values if name != CURATION_RUN_ID)
    stamp = _timestamp(loaded_at)
    updates = ", ".join([f"{name} = s.{name}" for name in values] + [f"{LOADED_AT} = {stamp}"])
    names = [c.name for c in table.source_columns]
    return (
        f"MERGE INTO {table.name} AS t USING (\n{source}\n) AS s ON {on}\n"
        f"WHEN MATCHED AND ({changed}) THEN UPDATE SET {updates}\n"
        f"WHEN NOT MATCHED THEN INSERT ({', '.join([*names, LOADED_AT])}) "
        f"VALUES ({', '.join([*(f's.{n}' for n in names), stamp])})"
    )


def _load_table(
    con: duckdb.DuckDBPyConnection, lake: Storage, table: WarehouseTable, *, window: Window, loaded_at: dt.datetime
) -> int:
    con.execute("BEGIN TRANSACTION")
    try:
        files = _partition_files(con, lake, table, window.utc_dates())
        if not files:
            con.execute("COMMIT")
            return 0
        source = source_sql(con, table, files, window)
        occupied = con.sql(
            f"SELECT 1 FROM {table.name} WHERE {_in_window(table.time_column, window)} LIMIT 1"
        ).fetchall()
        statement = merge_sql(table, source, loaded_at, window) if occupied else insert_sql(table, source, loaded_at)
        written = con.execute(statement).fetchall()
        con.execute("COMMIT")
    except Exception as exc:
        con.execute("ROLLBACK")
        raise WarehouseLoadError(
            f"loading warehouse table {table.name} for window {window} "
            f"(UTC {window.start_utc.isoformat()} .. {window.end_utc.isoformat()}) failed, table left unchanged: "
            f"{type(exc).__name__}: {exc}",
            table=table.name,
            window=window,
        ) from exc
    return int(written[0][0]) if written else 0


def load(
    window: Window,
    lake: Storage,
    warehouse_path: str,
    tables: Sequence[str] | None = None,
    *,
    model: WarehouseModel = WAREHOUSE,
) -> dict[str, int]:
    """Load the window's operating days of the lake into the warehouse file.

    Returns, per table, how many rows (distinct natural keys in the window) were upserted; a table without Parquet
    in the window loads 0 rows. Raises :class:`WarehouseLoadError` on the first table that fails (tables loaded
    before it stay loaded; each table is one transaction).
    """
    selected = [model.table(name) for name in tables] if tables is not None else list(model.tables)
    loaded_at = dt.datetime.now(dt.UTC)
    con = _connect(warehouse_path)
    try:
        _migrate(con, model)
        counts = {table.name: _load_table(con, lake, table, window=window, loaded_at=loaded_at) for table in selected}
        _create_views(con, model)
        return counts
    finally:
        con.close()


def query(warehouse_path: str, sql: str) -> pa.Table:
    """Run one read-only query against the warehouse file and return the result as an Arrow table."""
    con = _connect(warehouse_path, read_only=True)
    try:
        return con.sql(sql).to_arrow_table()
    finally:
        con.close()
