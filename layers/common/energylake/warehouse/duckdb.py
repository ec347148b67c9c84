"""The local warehouse: a DuckDB file loaded from the lake's silver and gold Parquet.

``load`` migrates the file to the model's schema version, then loads every table of the run in ONE transaction:
a failure anywhere (a truncated file, a full disk, Ctrl-C, a kill) leaves every table as it was. Per table it
reads the window's UTC-date partitions with ``read_parquet(hive_partitioning = true)`` - of silver, exactly the
files that passed quality reports list (anything else in a silver folder is named in a warning and never read) -
keeps the rows inside the window's UTC bounds (:attr:`~energylake.window.Window.start_utc` .. ``end_utc``), keeps
per natural key the row fetched last (ties: the later file, then the later row; only in a partition whose files
may share keys, one partition at a time), and upserts it on the natural key with ``MERGE``, a week of partitions
per statement (a plain ``INSERT`` of the whole window when the table has no row in it yet: every natural key holds
the time column, so no key can match). Memory so stays at or below a bare ``CREATE TABLE AS`` of the same files
(``benchmarks/warehouse_bench.py``). A matched row is rewritten only when a value changed, so ``loaded_at_utc`` is
when the row's current version arrived and loading the same window twice leaves identical rows. A failure raises
:class:`WarehouseLoadError` naming the table and the window in one line. Views are replaced after the commit, then
every table, view and column gets its data-dictionary ``COMMENT`` (:mod:`energylake.warehouse.dictionary`).

The tables declare no ``PRIMARY KEY``: DuckDB's ART index over a year of 15-minute prices (35M composite keys)
costs minutes per load and gigabytes of memory; uniqueness is the loader's job (dedupe + ``MERGE`` on the key),
and Redshift's informational key is declared there. Rows no longer in the lake are not deleted (upsert, not
replace): re-curation replaces a group's file with one covering the same keys.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb

from energylake.errors import WarehouseError, WarehouseLoadError
from energylake.lake import layout
from energylake.lake.quality_listing import passed_silver_keys, silver_group
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

logger = logging.getLogger(__name__)

# --- DDL and migrations ------------------------------------------------------------------------------------------

CURATION_RUN_ID = "run_id"  # silver lineage: the curation run that wrote the row
MERGE_DAYS = 7  # UTC-date partitions per MERGE statement when the window already holds rows (bounds its memory)


def create_table_sql(table: WarehouseTable) -> str:
    columns = [f"    {c.name} {duckdb_type(c)}{'' if c.nullable else ' NOT NULL'}" for c in table.columns]
    return f"CREATE TABLE IF NOT EXISTS {table.name} (\n" + ",\n".join(columns) + "\n)"


# DuckDB's default is 80% of the machine's memory. Bounded, a load spills to the warehouse's temp folder instead: a
# year's `energylake run` stays within 2 GB with everything else it holds.
MEMORY_LIMIT = "1GB"


def _connect(warehouse_path: str, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(warehouse_path, read_only=read_only, config={"memory_limit": MEMORY_LIMIT})
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET preserve_insertion_order = false")  # bulk inserts: ~2x faster, row order is meaningless here
    con.execute("SET enable_progress_bar = false")  # a load's progress is the log's, not a bar on the terminal
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


def _in_window(column: str, start_utc: dt.datetime, end_utc: dt.datetime) -> str:
    """``column`` inside the UTC bounds ``[start_utc, end_utc)``."""
    return f"{column} >= {_timestamp(start_utc)} AND {column} < {_timestamp(end_utc)}"


@dataclass(frozen=True)
class Partition:
    """One UTC-date partition of a table's input: its files and the part of the window its rows can fall in."""

    day: dt.date
    files: tuple[str, ...]
    start_utc: dt.datetime
    end_utc: dt.datetime


def _bounds(day: dt.date, window: Window) -> tuple[dt.datetime, dt.datetime]:
    day_start = dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)
    return max(window.start_utc, day_start), min(window.end_utc, day_start + dt.timedelta(days=1))


def table_partitions(
    con: duckdb.DuckDBPyConnection, lake: Storage, table: WarehouseTable, window: Window
) -> list[Partition]:
    """The window's UTC-date partitions of ``table``'s input, each with its files (one listing per source prefix).

    Silver is read only where a passed quality report lists the file: anything else in a silver folder (a file
    copied in by hand, debris of an interrupted tool, a file of a group that failed) is named in a warning and never
    read. Gold has no reports: the gold build replaces a date's files whole.
    """
    wanted = set(window.utc_dates())
    by_day: dict[dt.date, list[str]] = {}
    for prefix in table.lake_prefixes():
        pattern = lake.location.object_uri(f"{prefix}{layout.PARTITION_COLUMN}=*/*.parquet")
        dated = [
            (str(path), layout.partition_date(str(path)))
            for (path,) in con.sql(f"SELECT file FROM glob({_literal(pattern)})").fetchall()
        ]
        found = {path: day for path, day in dated if day is not None and day in wanted}
        listed: set[str] | None = None
        if prefix.startswith(f"{layout.SILVER_ZONE}/"):
            groups = {silver_group(path) for path in found}
            dataset = layout.partition_values(prefix)["dataset"]
            listed = {lake.location.object_uri(key) for key in passed_silver_keys(lake, dataset, groups)}
        for path, day in found.items():
            if listed is not None and path not in listed:
                logger.warning(
                    "not loading %s into %s: no passed quality report lists it (curation did not write it)",
                    path,
                    table.name,
                )
                continue
            by_day.setdefault(day, []).append(path)
    return [Partition(day, tuple(sorted(files)), *_bounds(day, window)) for day, files in sorted(by_day.items())]


def _reader(paths: Sequence[str], extra: str = "") -> str:
    files = ", ".join(_literal(f) for f in paths)
    return f"read_parquet([{files}], hive_partitioning = true, union_by_name = true{extra})"


def present_columns(con: duckdb.DuckDBPyConnection, files: Sequence[str]) -> set[str]:
    """The columns ``files`` hold between them (Parquet footers only)."""
    return {str(row[0]) for row in con.sql(f"DESCRIBE SELECT * FROM {_reader(files)}").fetchall()}


def source_sql(
    table: WarehouseTable,
    files: Sequence[str],
    start_utc: dt.datetime,
    end_utc: dt.datetime,
    present: set[str],
    *,
    dedupe: bool,
) -> str:
    """The rows of ``files`` inside ``[start_utc, end_utc)``, typed as the table; with ``dedupe``, one row per
    natural key (the latest fetch; ties: the later file, then the later row).

    A silver file never repeats a natural key (the quality gate rejects duplicates within a group) and the gold
    build writes one file per date, so duplicates can only come from several files of one UTC-date partition, and
    every natural key holds the time column, so they never cross partitions: the dedupe runs one partition at a
    time, which keeps its memory to one day's rows whatever the window. A column missing from every file (added by
    a later schema version) reads as NULL.
    """
    selected = ", ".join(
        f"CAST({c.name if c.name in present else 'NULL'} AS {duckdb_type(c)}) AS {c.name}" for c in table.source_columns
    )
    where = _in_window(table.time_column, start_utc, end_utc)
    if not dedupe:
        return f"SELECT {selected} FROM {_reader(files)} WHERE {where}"
    order = [f"{name} DESC" for name in table.dedupe_order] + ["filename DESC", "file_row_number DESC"]
    return (
        f"SELECT {selected} FROM {_reader(files, ', filename = true, file_row_number = true')} WHERE {where} "
        f"QUALIFY ROW_NUMBER() OVER (PARTITION BY {', '.join(table.natural_key)} ORDER BY {', '.join(order)}) = 1"
    )


def insert_sql(table: WarehouseTable, source: str, loaded_at: dt.datetime) -> str:
    """Plain insert: exact when the target has no row in the window (every natural key holds the time column)."""
    names = [c.name for c in table.source_columns]
    return (
        f"INSERT INTO {table.name} ({', '.join([*names, LOADED_AT])})\n"
        f"SELECT {', '.join(names)}, {_timestamp(loaded_at)} FROM (\n{source}\n)"
    )


def merge_sql(
    table: WarehouseTable, source: str, loaded_at: dt.datetime, start_utc: dt.datetime, end_utc: dt.datetime
) -> str:
    """Upsert on the natural key within ``[start_utc, end_utc)``; a matched row is rewritten only when one of its
    values changed.

    The curation run's id is lineage, not a value: curating the same raw again (``reprocess``, a rerun) gives every
    row a new ``run_id`` and nothing else, which is no change (the row keeps the run that last changed it)."""
    key = table.natural_key
    values = [c.name for c in table.source_columns if c.name not in key]
    time = table.time_column
    on = " AND ".join([f"t.{k} = s.{k}" for k in key] + [_in_window(f"t.{time}", start_utc, end_utc)])
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


def overlapping_partitions(
    con: duckdb.DuckDBPyConnection, table: WarehouseTable, partitions: Sequence[Partition]
) -> set[dt.date]:
    """The days of the partitions whose files may share a natural key, and so need the dedupe.

    Two files cannot share a key when some timestamp column of the key (the time column, a forecast's
    ``posted_at_utc``) has value ranges that do not overlap, by the Parquet footers' statistics: so it is in the
    real layout, where each UTC date holds the tail of one operating day and the head of the next. A file without
    usable statistics counts as overlapping (the dedupe is always correct, only slower)."""
    several = [p for p in partitions if len(p.files) > 1]
    time_keys = [
        c.name for c in table.columns if c.name in table.natural_key and duckdb_type(c).startswith("TIMESTAMP")
    ]
    if not several or not time_keys:
        return {p.day for p in several}
    files = [path for p in several for path in p.files]
    ranges: dict[tuple[str, str], tuple[dt.datetime, dt.datetime]] = {}
    rows = con.sql(
        "SELECT file_name, path_in_schema, MIN(TRY_CAST(stats_min_value AS TIMESTAMPTZ)), "
        "MAX(TRY_CAST(stats_max_value AS TIMESTAMPTZ)), "
        "BOOL_OR(TRY_CAST(stats_min_value AS TIMESTAMPTZ) IS NULL OR TRY_CAST(stats_max_value AS TIMESTAMPTZ) IS NULL) "
        f"FROM parquet_metadata([{', '.join(_literal(f) for f in files)}]) "
        f"WHERE path_in_schema IN ({', '.join(_literal(k) for k in time_keys)}) GROUP BY ALL"
    ).fetchall()
    for file_name, column, low, high, unknown in rows:
        if not unknown and low is not None and high is not None:
            ranges[(str(file_name), str(column))] = (low, high)

    def apart(first: str, second: str) -> bool:
        for column in time_keys:
            a, b = ranges.get((first, column)), ranges.get((second, column))
            if a is not None and b is not None and (a[1] < b[0] or b[1] < a[0]):
                return True
        return False

    return {
        p.day
        for p in several
        if not all(apart(p.files[i], p.files[j]) for i in range(len(p.files)) for j in range(i + 1, len(p.files)))
    }


def _load_table(
    con: duckdb.DuckDBPyConnection, lake: Storage, table: WarehouseTable, *, window: Window, loaded_at: dt.datetime
) -> int:
    """Upsert the window's rows of ``table`` inside the caller's transaction; returns the rows written.

    Partitions whose files cannot share a key (one file, or files apart in time: the real layout) need no dedupe
    and go in one statement, as fast and as lean as a bare copy; a partition whose files may share keys (a group
    fetched again under another request) is deduplicated and written on its own, so the dedupe's memory is one
    day's rows whatever the window."""
    partitions = table_partitions(con, lake, table, window)
    if not partitions:
        return 0
    present = present_columns(con, [path for partition in partitions for path in partition.files])
    occupied = con.sql(
        f"SELECT 1 FROM {table.name} WHERE {_in_window(table.time_column, window.start_utc, window.end_utc)} LIMIT 1"
    ).fetchall()
    overlapping = overlapping_partitions(con, table, partitions)
    # An INSERT streams its source: one statement for the window. A MERGE holds its source in a hash join (9.5 GB
    # for a year of 1,000 prices): a few days at a time, each statement's target scan pruned to those days.
    step = MERGE_DAYS if occupied else len(partitions)
    batches: list[tuple[Sequence[str], dt.datetime, dt.datetime, bool]] = []
    for first in range(0, len(partitions), step):
        chunk = partitions[first : first + step]
        apart = [path for partition in chunk if partition.day not in overlapping for path in partition.files]
        if apart:
            batches.append((apart, chunk[0].start_utc, chunk[-1].end_utc, False))
        batches.extend((p.files, p.start_utc, p.end_utc, True) for p in chunk if p.day in overlapping)
    written = 0
    for files, start_utc, end_utc, dedupe in batches:
        source = source_sql(table, files, start_utc, end_utc, present, dedupe=dedupe)
        statement = (
            merge_sql(table, source, loaded_at, start_utc, end_utc)
            if occupied
            else insert_sql(table, source, loaded_at)
        )
        result = con.execute(statement).fetchall()
        written += int(result[0][0]) if result else 0
    return written


def _one_line(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())


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
    in the window loads 0 rows. All tables load in ONE transaction: on any failure (a truncated file, a full disk,
    Ctrl-C, a kill) no table changes, and :class:`WarehouseLoadError` names the table that failed, in one line.
    """
    selected = [model.table(name) for name in tables] if tables is not None else list(model.tables)
    loaded_at = dt.datetime.now(dt.UTC)
    con = _connect(warehouse_path)
    try:
        _migrate(con, model)
        counts: dict[str, int] = {}
        con.execute("BEGIN TRANSACTION")
        try:
            for table in selected:
                logger.info("loading warehouse table %s for window %s", table.name, window)
                try:
                    counts[table.name] = _load_table(con, lake, table, window=window, loaded_at=loaded_at)
                except Exception as exc:
                    raise WarehouseLoadError(
                        f"loading warehouse table {table.name} for window {window} (UTC {window.start_utc.isoformat()}"
                        f" .. {window.end_utc.isoformat()}) failed, no table changed: {_one_line(exc)}",
                        table=table.name,
                        window=window,
                    ) from exc
            logger.info("committing the warehouse load of %d tables for window %s", len(selected), window)
            try:
                con.execute("COMMIT")
            except duckdb.Error as exc:
                raise WarehouseLoadError(
                    f"committing the warehouse load for window {window} failed, no table changed: {_one_line(exc)}",
                    table=", ".join(counts),
                    window=window,
                ) from exc
        except BaseException:
            _rollback(con)
            raise
        _create_views(con, model)
        return counts
    finally:
        con.close()


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll the load back; a failed COMMIT already ended the transaction, and its error is the one to report."""
    with contextlib.suppress(duckdb.Error):
        con.execute("ROLLBACK")


def query(warehouse_path: str, sql: str) -> pa.Table:
    """Run one read-only query against the warehouse file and return the result as an Arrow table."""
    con = _connect(warehouse_path, read_only=True)
    try:
        return con.sql(sql).to_arrow_table()
    finally:
        con.close()
