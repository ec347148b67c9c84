"""Gold with DuckDB: the rules' SQL (:mod:`.rules`) run as written, on one machine or in a Lambda.

:func:`build_gold` is the stage: it reads the silver Parquet of the build range's UTC dates through the
:class:`~energylake.lake.storage.Storage` protocol (a folder's files are read where they lie; an S3 lake's objects
are downloaded into a scratch folder first, so DuckDB needs no httpfs extension and no credentials of its own), runs
the statements, and writes one Parquet file per gold table and UTC date with the contract's columns and types.

Each partition is replaced atomically: the new file is written aside and swapped in (a folder: a temp file and
``os.replace``; S3: one PUT of one object, replaced in place), then any other file of the partition (e.g. Spark's
``part-*.parquet``) is removed. A partition of the build range that gets no rows is removed whole.

Memory stays bounded whatever the window: DuckDB gets a ``memory_limit`` and spills to ``work_dir`` beyond it. On
Lambda, pass ``work_dir=Path("/tmp")`` (the only writable place) and a memory limit below the function's memory.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Final

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from energylake.contracts.schemas import GOLD_TABLES, SILVER_TABLES, TableSchema
from energylake.errors import StorageError
from energylake.gold.rules import (
    GOLD_STATEMENTS,
    SILVER_INPUTS,
    STATEMENTS,
    BuildRange,
    build_range,
    statement,
)
from energylake.lake import layout

if TYPE_CHECKING:
    from energylake.lake.storage import Storage
    from energylake.window import Window

__all__ = [
    "DEFAULT_MEMORY_LIMIT",
    "DEFAULT_THREADS",
    "GOLD_FILE_NAME",
    "build_gold",
    "build_tables",
    "connect",
    "duckdb_type",
]

# A year of silver (~3.4M rows) builds within it; beyond, DuckDB spills to work_dir rather than growing.
DEFAULT_MEMORY_LIMIT: Final = "1GB"
# One thread: every SUM/AVG then adds its values in scan order, so a rebuild of the same silver writes bit-identical
# rows (parallel aggregation combines partial sums in a varying order: last-bit differences the warehouse would
# load as changes). It is also the fastest for days of data, and a year takes seconds (benchmarks/gold_bench.py).
DEFAULT_THREADS: Final = 1
# The one file of a gold partition written by this runner (Spark's files are part-<n>-<uuid>.c000.snappy.parquet).
GOLD_FILE_NAME: Final = "part-00000.parquet"
_IO_THREADS: Final = 8  # S3 GETs/PUTs and local fsyncs overlap; a day's partition is one small object


# --- types and the connection -------------------------------------------------------------------------------------


def duckdb_type(arrow_type: pa.DataType) -> str:
    """The DuckDB type of a contract column's pyarrow type."""
    simple: list[tuple[object, str]] = [
        (pa.types.is_boolean, "BOOLEAN"),
        (pa.types.is_int8, "TINYINT"),
        (pa.types.is_int16, "SMALLINT"),
        (pa.types.is_int32, "INTEGER"),
        (pa.types.is_int64, "BIGINT"),
        (pa.types.is_float32, "FLOAT"),
        (pa.types.is_float64, "DOUBLE"),
        (pa.types.is_string, "VARCHAR"),
        (pa.types.is_large_string, "VARCHAR"),
        (pa.types.is_date32, "DATE"),
    ]
    for test, name in simple:
        if test(arrow_type):  # type: ignore[operator]
            return name
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMPTZ" if arrow_type.tz is not None else "TIMESTAMP"
    raise TypeError(f"no DuckDB type for the pyarrow type {arrow_type}")


def connect(
    *, spill_dir: Path | None = None, memory_limit: str = DEFAULT_MEMORY_LIMIT, threads: int = DEFAULT_THREADS
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection configured for gold: UTC, bounded memory, spilling to ``spill_dir``."""
    config: dict[str, str | bool | int | float | list[str]] = {
        "memory_limit": memory_limit,
        "threads": threads,
        "preserve_insertion_order": False,  # order is set where it matters (each file is sorted by natural key)
    }
    if spill_dir is not None:
        config["temp_directory"] = str(spill_dir)
    con = duckdb.connect(config=config)
    con.execute("SET TimeZone = 'UTC'")  # the rules' date_trunc / CAST AS DATE are in UTC
    return con


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _conformed(relation: str, present: set[str], table: TableSchema) -> str:
    """The contract's columns of ``relation`` in order and type; a column it lacks (an older file) reads as NULL."""
    columns = ", ".join(
        f"CAST({column.name if column.name in present else 'NULL'} AS {duckdb_type(column.type)}) AS {column.name}"
        for column in table.columns
    )
    return f"SELECT {columns} FROM {relation}"  # noqa: S608 - contract names; paths go through _quoted


def _register_files(con: duckdb.DuckDBPyConnection, dataset: str, files: Sequence[str]) -> None:
    table = SILVER_TABLES[dataset]  # type: ignore[index]
    if not files:
        con.execute(f"CREATE OR REPLACE VIEW {dataset} AS {_conformed('(SELECT 1) AS nothing', set(), table)} LIMIT 0")
        return
    reader = (
        f"read_parquet([{', '.join(_quoted(path) for path in files)}], hive_partitioning = false, union_by_name = true)"
    )
    present = {str(row[0]) for row in con.sql(f"DESCRIBE SELECT * FROM {reader}").fetchall()}  # noqa: S608
    con.execute(f"CREATE OR REPLACE VIEW {dataset} AS {_conformed(reader, present, table)}")


def _register_arrow(con: duckdb.DuckDBPyConnection, dataset: str, rows: pa.Table | None) -> None:
    table = SILVER_TABLES[dataset]  # type: ignore[index]
    if rows is None:
        _register_files(con, dataset, [])
        return
    con.register(f"_arrow_{dataset}", rows)
    con.execute(f"CREATE OR REPLACE VIEW {dataset} AS {_conformed(f'_arrow_{dataset}', set(rows.column_names), table)}")


# --- the rules --------------------------------------------------------------------------------------------------


def _run_statements(con: duckdb.DuckDBPyConnection, start_utc: dt.datetime, end_utc: dt.datetime) -> None:
    """Run every statement over the silver views of ``con``, each materialised as a temp table of its name."""
    for name in STATEMENTS:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {statement(name, start_utc, end_utc)}")


def _contract_table(con: duckdb.DuckDBPyConnection, table: TableSchema) -> pa.Table:
    """Gold table ``table`` as Arrow with the contract's schema exactly (nullability included), sorted by its natural
    key; a NULL where the contract forbids one is an error (a rule that broke), never written."""
    columns, key = ", ".join(table.column_names), ", ".join(table.natural_key)
    rows = con.sql(f"SELECT {columns} FROM {table.name} ORDER BY {key}").to_arrow_table()  # noqa: S608 - contract names
    for column in table.columns:
        if not column.nullable and rows.column(column.name).null_count:
            raise ValueError(f"gold rules left NULLs in {table.name}.{column.name}, which the contract forbids")
    return rows.cast(table.arrow_schema())


def build_tables(silver: Mapping[str, pa.Table], start_utc: dt.datetime, end_utc: dt.datetime) -> dict[str, pa.Table]:
    """The gold tables of hours ``[start_utc, end_utc)`` from in-memory silver rows, by table name (no I/O).

    ``silver`` maps a dataset of :data:`~energylake.gold.rules.SILVER_INPUTS` to its rows (any subset of the
    contract's columns; a missing dataset is empty).
    """
    unknown = sorted(set(silver) - set(SILVER_INPUTS))
    if unknown:
        raise KeyError(f"gold reads no silver dataset {unknown[0]!r}; inputs: {', '.join(SILVER_INPUTS)}")
    con = connect()
    try:
        for dataset in SILVER_INPUTS:
            _register_arrow(con, dataset, silver.get(dataset))
        _run_statements(con, start_utc, end_utc)
        return {name: _contract_table(con, table) for name, table in GOLD_STATEMENTS.items()}
    finally:
        con.close()


# --- reading silver ---------------------------------------------------------------------------------------------


def _silver_files(lake: Storage, dataset: str, dates: Sequence[dt.date], scratch: Path) -> list[str]:
    """Local paths of ``dataset``'s silver files in the UTC date partitions ``dates``: a folder lake's own files,
    an S3 lake's objects downloaded into ``scratch`` (in parallel)."""
    prefixes = [f"{layout.silver_prefix(dataset)}{layout.partition(day)}" for day in dates]
    root = lake.location.path
    if root is not None:
        return [str(path) for prefix in prefixes for path in sorted((root / prefix).glob("*.parquet"))]
    keys = [key for prefix in prefixes for key in lake.list(prefix) if key.endswith(".parquet")]

    def download(key: str) -> str:
        target = scratch / key
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(lake.get(key))
        return str(target)

    with ThreadPoolExecutor(max_workers=_IO_THREADS) as pool:
        return list(pool.map(download, keys))


# --- writing gold -----------------------------------------------------------------------------------------------


def _by_date(rows: pa.Table, table: TableSchema) -> dict[dt.date, pa.Table]:
    """``rows`` split by the UTC date of the table's time column (rows sorted by it stay sorted)."""
    days = pc.cast(rows.column(table.time_column), pa.date32()).combine_chunks()
    order = pc.sort_indices(days)  # stable: each date's rows keep their natural-key order
    rows, days = rows.take(order), days.take(order)
    parts: dict[dt.date, pa.Table] = {}
    offset = 0
    runs = pc.run_end_encode(days)
    for end, day in zip(runs.run_ends.to_pylist(), runs.values.to_pylist(), strict=True):
        parts[day] = rows.slice(offset, end - offset)
        offset = end
    return parts


def _parquet_bytes(rows: pa.Table) -> bytes:
    sink = io.BytesIO()
    # Spark's defaults: snappy, microsecond UTC-adjusted timestamps (what the Glue job writes too).
    pq.write_table(rows, sink, compression="snappy", coerce_timestamps="us", allow_truncated_timestamps=False)
    return sink.getvalue()


def _existing_files(lake: Storage, table: TableSchema, dates: Sequence[dt.date]) -> dict[dt.date, list[str]]:
    """Keys of the files in ``table``'s partitions ``dates`` (one listing of the table)."""
    wanted = set(dates)
    found: dict[dt.date, list[str]] = {day: [] for day in dates}
    for key in lake.list(layout.gold_prefix(table.name)):
        day = layout.partition_date(key)
        if day in wanted:
            found[day].append(key)
    return found


def _remove_empty_folder(lake: Storage, prefix: str) -> None:
    """A folder lake keeps no empty partition folder behind (S3 has no folders)."""
    root = lake.location.path
    if root is None:
        return
    with contextlib.suppress(OSError):  # gone already, or something else lives there: leave it
        (root / prefix).rmdir()


def _write_table(lake: Storage, table: TableSchema, rows: pa.Table, build: BuildRange) -> int:
    """Replace ``table``'s partitions of the build range: each date's rows swapped in whole, empty ones removed."""
    parts = _by_date(rows, table)
    stray = sorted(set(parts) - set(build.dates))
    if stray:
        raise ValueError(f"gold {table.name} has rows dated {stray[0]}, outside the build range")
    existing = _existing_files(lake, table, build.dates)

    def replace(day: dt.date) -> None:
        prefix = f"{layout.gold_prefix(table.name)}{layout.partition(day)}"
        new_key = f"{prefix}{GOLD_FILE_NAME}" if day in parts else None
        if day in parts:
            lake.put(f"{prefix}{GOLD_FILE_NAME}", _parquet_bytes(parts[day]))  # atomic: temp file + rename, or one PUT
        for key in existing[day]:
            if key != new_key:  # other writers' files (Spark's part-*), or every file of a partition left empty
                lake.delete(key)
        if new_key is None:
            _remove_empty_folder(lake, prefix)

    with ThreadPoolExecutor(max_workers=_IO_THREADS) as pool:
        list(pool.map(replace, build.dates))
    return int(rows.num_rows)


# --- the stage --------------------------------------------------------------------------------------------------


@contextmanager
def _scratch(work_dir: Path | None) -> Iterator[Path]:
    """A fresh folder for downloads and spills, removed afterwards (a warm Lambda keeps /tmp between calls)."""
    if work_dir is not None:
        work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="energylake-gold-", dir=work_dir) as folder:
        yield Path(folder)


def build_gold(
    window: Window,
    lake: Storage,
    *,
    work_dir: Path | None = None,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    threads: int = DEFAULT_THREADS,
) -> dict[str, int]:
    """Build the gold tables for the window's operating days (expanded to the whole UTC dates they touch, see the
    rules) from the silver in ``lake``. Returns the rows written per gold table.

    ``work_dir``: where downloads (S3 lakes) and DuckDB's spill files go, in a folder of their own removed at the end
    (default: the system's temp folder). ``memory_limit``/``threads``: DuckDB's (default 1GB, one thread: see
    :data:`DEFAULT_THREADS`).
    """
    build = build_range(window)
    with _scratch(work_dir) as scratch:
        spill = scratch / "spill"
        spill.mkdir()
        con = connect(spill_dir=spill, memory_limit=memory_limit, threads=threads)
        try:
            for dataset in SILVER_INPUTS:
                files = _silver_files(lake, dataset, build.input_dates(dataset), scratch / "silver")
                _register_files(con, dataset, files)
            _run_statements(con, build.start_utc, build.end_utc)
            tables = {name: _contract_table(con, table) for name, table in GOLD_STATEMENTS.items()}
        except (duckdb.IOException, duckdb.InvalidInputException) as exc:  # a missing or corrupt file: its name
            raise StorageError(f"cannot read the silver of {window} in {lake.uri}: {exc}") from exc
        finally:
            con.close()
        counts = {name: _write_table(lake, GOLD_TABLES[name], rows, build) for name, rows in tables.items()}
    return {name: counts[name] for name in GOLD_TABLES}
