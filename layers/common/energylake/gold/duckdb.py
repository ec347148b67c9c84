"""Gold with DuckDB: the rules' SQL (:mod:`.rules`) run as written, on one machine or in a Lambda. DuckDB alone does
the I/O and nothing here uses pyarrow (the gold Lambda ships DuckDB and the common layer only, no pyarrow).

:func:`build_gold` is the stage: it reads the silver Parquet of the build range's UTC dates through the
:class:`~energylake.lake.storage.Storage` protocol (a folder's files are read where they lie; an S3 lake's objects
are downloaded into a scratch folder first, so DuckDB needs no httpfs extension and no credentials of its own), runs
the statements, copies each gold table into a table of the contract's columns and types (``NOT NULL`` where the
contract requires a value), and ``COPY``-s each UTC date's rows, sorted by natural key, to a Parquet file of its own
(several files at once).

Files are written into the scratch folder first, every one of them, and only then swapped into the lake: a build
that fails (unreadable silver, a rule leaving a NULL the contract forbids, a full disk) leaves gold as it was. Each
partition is replaced atomically (a folder: a temp file and ``os.replace``; S3: one PUT of one object, replaced in
place), then any other file of the partition (e.g. Spark's ``part-*.parquet``) is removed. A partition of the build
range that gets no rows is removed whole.

Memory stays bounded whatever the window: DuckDB gets a ``memory_limit`` and spills to ``work_dir`` beyond it, and no
table is ever materialised in Python. On Lambda, pass ``work_dir=Path("/tmp")`` (the only writable place) and a memory
limit below the function's memory (:mod:`energylake.lambdas.build_gold`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import duckdb

from energylake.contracts.tables import GOLD_TABLES, SILVER_TABLES, Column, ColumnType, TableSchema
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
_COPY_THREADS: Final = min(4, os.cpu_count() or 1)  # gold files written at once (see _run_copies)
# The contract's types in DuckDB. Parquet: TINYINT is INT32 annotated INT(8), TIMESTAMPTZ is TIMESTAMP_MICROS
# adjusted to UTC: pyarrow reads int8 and timestamp[us, tz=UTC], as the contract says.
_DUCKDB_TYPES: Final[dict[ColumnType, str]] = {
    "string": "VARCHAR",
    "bool": "BOOLEAN",
    "int8": "TINYINT",
    "int16": "SMALLINT",
    "int32": "INTEGER",
    "int64": "BIGINT",
    "float64": "DOUBLE",
    "date32": "DATE",
    "timestamp_utc": "TIMESTAMPTZ",
}
_SCRATCH_PREFIX: Final = "energylake-gold-"  # + pid: see _scratch
_CONTRACT_PREFIX: Final = "contract_"  # gold table X, in the contract's columns and types: temp table contract_X


# --- types and the connection -------------------------------------------------------------------------------------


def duckdb_type(kind: ColumnType) -> str:
    """The DuckDB type of a contract column type (:data:`energylake.contracts.tables.ColumnType`)."""
    if kind not in _DUCKDB_TYPES:
        raise TypeError(f"no DuckDB type for the contract column type {kind!r}")
    return _DUCKDB_TYPES[kind]


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
        f"CAST({column.name if column.name in present else 'NULL'} AS {duckdb_type(column.kind)}) AS {column.name}"
        for column in table.columns
    )
    return f"SELECT {columns} FROM {relation}"  # noqa: S608 - contract names; paths go through _quoted


def _columns_of(con: duckdb.DuckDBPyConnection, relation: str) -> set[str]:
    return {str(row[0]) for row in con.sql(f"DESCRIBE SELECT * FROM {relation}").fetchall()}  # noqa: S608


def _register_files(con: duckdb.DuckDBPyConnection, dataset: str, files: Sequence[str]) -> None:
    table = SILVER_TABLES[dataset]  # type: ignore[index]
    if not files:
        con.execute(f"CREATE OR REPLACE VIEW {dataset} AS {_conformed('(SELECT 1) AS nothing', set(), table)} LIMIT 0")
        return
    reader = (
        f"read_parquet([{', '.join(_quoted(path) for path in files)}], hive_partitioning = false, union_by_name = true)"
    )
    con.execute(f"CREATE OR REPLACE VIEW {dataset} AS {_conformed(reader, _columns_of(con, reader), table)}")


def _register_rows(con: duckdb.DuckDBPyConnection, dataset: str, rows: object | None) -> None:
    if rows is None:
        _register_files(con, dataset, [])
        return
    table = SILVER_TABLES[dataset]  # type: ignore[index]
    name = f"_rows_{dataset}"
    con.register(name, rows)
    con.execute(f"CREATE OR REPLACE VIEW {dataset} AS {_conformed(name, _columns_of(con, name), table)}")


# --- the rules --------------------------------------------------------------------------------------------------


def _run_statements(con: duckdb.DuckDBPyConnection, start_utc: dt.datetime, end_utc: dt.datetime) -> None:
    """Run every statement over the silver views of ``con``, each materialised as a temp table of its name."""
    for name in STATEMENTS:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {statement(name, start_utc, end_utc)}")


def _column_definition(column: Column) -> str:
    return f"{column.name} {duckdb_type(column.kind)}{'' if column.nullable else ' NOT NULL'}"


def _to_contract(con: duckdb.DuckDBPyConnection, table: TableSchema) -> str:
    """Copy the rows of gold table ``table`` into a table of the contract's columns, types and NOT NULLs, in time
    order (each UTC date's rows then lie together: a date's scan skips the others); its name. A table of the
    in-memory database, not a temp table: the cursors that write the files in parallel see it.

    A NULL where the contract forbids one is an error naming the column (a rule that broke), raised before anything
    is written.
    """
    required = [column.name for column in table.columns if not column.nullable]
    counts = ", ".join(f"count(*) FILTER (WHERE {name} IS NULL)" for name in required)
    [nulls] = con.sql(f"SELECT {counts} FROM {table.name}").fetchall()  # noqa: S608 - contract names
    for name, count in zip(required, nulls, strict=True):
        if count:
            raise ValueError(f"gold rules left NULLs in {table.name}.{name}, which the contract forbids")
    target = f"{_CONTRACT_PREFIX}{table.name}"
    con.execute(f"CREATE OR REPLACE TABLE {target} ({', '.join(_column_definition(c) for c in table.columns)})")
    casts = ", ".join(f"CAST({c.name} AS {duckdb_type(c.kind)})" for c in table.columns)
    con.execute(f"INSERT INTO {target} SELECT {casts} FROM {table.name} ORDER BY {table.time_column}")  # noqa: S608
    return target


def _file_columns(table: TableSchema) -> str:
    """The SELECT list of a gold file: the contract's columns in order.

    DuckDB's Parquet writer marks a column REQUIRED when the plan's statistics prove it holds no NULL, so a nullable
    column that happens to be full in one file (every hub priced that day) would be written REQUIRED, and the files
    of one table would disagree on their schema. ``IF(c IS NULL, NULL, c)`` (the value unchanged) makes the
    statistics say "may be NULL", and the column is written OPTIONAL, as the contract declares it; a NOT NULL column
    is written REQUIRED.
    """
    return ", ".join(
        c.name if not c.nullable else f"IF({c.name} IS NULL, NULL, {c.name}) AS {c.name}" for c in table.columns
    )


def build_tables(
    silver: Mapping[str, object], start_utc: dt.datetime, end_utc: dt.datetime
) -> dict[str, list[dict[str, Any]]]:
    """The gold rows of hours ``[start_utc, end_utc)`` from in-memory silver rows, by table name (no I/O).

    ``silver`` maps a dataset of :data:`~energylake.gold.rules.SILVER_INPUTS` to anything DuckDB scans (an Arrow
    table, a pandas frame...) holding any subset of the contract's columns; a missing dataset is empty. Each table's
    rows come as dicts in the contract's column order, sorted by natural key (timestamps as aware UTC datetimes).
    """
    unknown = sorted(set(silver) - set(SILVER_INPUTS))
    if unknown:
        raise KeyError(f"gold reads no silver dataset {unknown[0]!r}; inputs: {', '.join(SILVER_INPUTS)}")
    con = connect()
    try:
        for dataset in SILVER_INPUTS:
            _register_rows(con, dataset, silver.get(dataset))
        _run_statements(con, start_utc, end_utc)
        tables: dict[str, list[dict[str, Any]]] = {}
        for name, table in GOLD_STATEMENTS.items():
            contract = _to_contract(con, table)
            relation = con.sql(f"SELECT * FROM {contract} ORDER BY {', '.join(table.natural_key)}")  # noqa: S608
            tables[name] = [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]
        return tables
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


def _utc_midnight(day: dt.date) -> str:
    return f"TIMESTAMPTZ '{day.isoformat()} 00:00:00+00'"


def _copy_statements(
    con: duckdb.DuckDBPyConnection, table: TableSchema, contract: str, build: BuildRange, folder: Path
) -> tuple[int, dict[dt.date, Path], list[str]]:
    """How ``table``'s rows are written into ``folder``: one Parquet file per UTC date that has rows, sorted by
    natural key. The table's row count, the files by date, and the COPY statement of each (independent of each
    other: :func:`_run_copies` runs them)."""
    time_column = table.time_column
    found = con.sql(
        f"SELECT CAST({time_column} AS DATE) AS day, count(*) FROM {contract} GROUP BY day ORDER BY day"  # noqa: S608
    ).fetchall()
    days: dict[dt.date, int] = {day: int(rows) for day, rows in found}
    stray = sorted(set(days) - set(build.dates))
    if stray:
        raise ValueError(f"gold {table.name} has rows dated {stray[0]}, outside the build range")
    (folder / table.name).mkdir(parents=True, exist_ok=True)
    files = {day: folder / table.name / f"{day.isoformat()}.parquet" for day in days}
    statements = []
    for day, path in files.items():
        rows = (
            f"SELECT {_file_columns(table)} FROM {contract} "  # noqa: S608 - contract names and dates
            f"WHERE {time_column} >= {_utc_midnight(day)} AND {time_column} < {_utc_midnight(day + dt.timedelta(1))} "
            f"ORDER BY {', '.join(table.natural_key)}"
        )
        # Spark's defaults: snappy, microsecond UTC-adjusted timestamps (what the Glue job writes too).
        statements.append(f"COPY ({rows}) TO {_quoted(str(path))} (FORMAT parquet, COMPRESSION snappy)")
    return sum(days.values()), files, statements


def _run_copies(con: duckdb.DuckDBPyConnection, statements: Sequence[str]) -> None:
    """Run the COPY statements on :data:`_COPY_THREADS` cursors of ``con``'s database at once.

    A gold file costs a few milliseconds whatever its rows (the Parquet writer's set-up for every column), a year
    is over a thousand files, and DuckDB releases the GIL while it writes: the files are written side by side. Each
    file is still the output of its own sorted query, so the bytes do not depend on the order they are written in.
    """
    local = threading.local()
    cursors: list[duckdb.DuckDBPyConnection] = []

    def run(sql: str) -> None:
        cursor: duckdb.DuckDBPyConnection | None = getattr(local, "cursor", None)
        if cursor is None:
            cursor = local.cursor = con.cursor()
            cursors.append(cursor)
        cursor.execute(sql)

    try:
        with ThreadPoolExecutor(max_workers=_COPY_THREADS) as pool:
            list(pool.map(run, statements))
    finally:
        for cursor in cursors:
            cursor.close()


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


def _swap_in(lake: Storage, table: TableSchema, files: Mapping[dt.date, Path], build: BuildRange) -> None:
    """Replace ``table``'s partitions of the build range: each date's file swapped in whole, empty ones removed."""
    existing = _existing_files(lake, table, build.dates)

    def replace(day: dt.date) -> None:
        prefix = f"{layout.gold_prefix(table.name)}{layout.partition(day)}"
        new_key = f"{prefix}{GOLD_FILE_NAME}" if day in files else None
        if new_key is not None:
            lake.put(new_key, files[day].read_bytes())  # atomic: temp file + rename, or one PUT
        for key in existing[day]:
            if key != new_key:  # other writers' files (Spark's part-*), or every file of a partition left empty
                lake.delete(key)
        if new_key is None:
            _remove_empty_folder(lake, prefix)

    with ThreadPoolExecutor(max_workers=_IO_THREADS) as pool:
        list(pool.map(replace, build.dates))


# --- the stage --------------------------------------------------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_dead_scratch(parent: Path) -> list[Path]:
    """Remove the scratch folders under ``parent`` whose build was killed (its process is gone): a kill skips the
    clean-up of :func:`_scratch`, and a year's build leaves gigabytes of silver copies and spills. What was removed."""
    removed: list[Path] = []
    for folder in parent.glob(f"{_SCRATCH_PREFIX}*"):
        pid = folder.name.removeprefix(_SCRATCH_PREFIX).split("-", 1)[0]
        if folder.is_dir() and pid.isdigit() and not _pid_alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


@contextmanager
def _scratch(work_dir: Path | None) -> Iterator[Path]:
    """A fresh folder for downloads, spills and the new files, removed afterwards (a warm Lambda keeps /tmp). Its
    name carries the pid: the next build removes the folders of killed ones (:func:`remove_dead_scratch`)."""
    if work_dir is not None:
        work_dir.mkdir(parents=True, exist_ok=True)
    parent = work_dir if work_dir is not None else Path(tempfile.gettempdir())
    remove_dead_scratch(parent)
    with tempfile.TemporaryDirectory(prefix=f"{_SCRATCH_PREFIX}{os.getpid()}-", dir=parent) as folder:
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

    ``work_dir``: where downloads (S3 lakes), DuckDB's spill files and the new gold files go, in a folder of their
    own removed at the end (default: the system's temp folder). ``memory_limit``/``threads``: DuckDB's (default 1GB,
    one thread: see :data:`DEFAULT_THREADS`).
    """
    build = build_range(window)
    with _scratch(work_dir) as scratch:
        spill = scratch / "spill"
        spill.mkdir()
        con = connect(spill_dir=spill, memory_limit=memory_limit, threads=threads)
        try:
            try:
                for dataset in SILVER_INPUTS:
                    silver = _silver_files(lake, dataset, build.input_dates(dataset), scratch / "silver")
                    _register_files(con, dataset, silver)
                _run_statements(con, build.start_utc, build.end_utc)
            except (duckdb.IOException, duckdb.InvalidInputException) as exc:  # a missing or corrupt file: its name
                raise StorageError(f"cannot read the silver of {window} in {lake.uri}: {exc}") from exc
            counts: dict[str, int] = {}
            gold: dict[str, dict[dt.date, Path]] = {}
            copies: list[str] = []
            for name, table in GOLD_STATEMENTS.items():
                contract = _to_contract(con, table)
                counts[name], gold[name], statements = _copy_statements(con, table, contract, build, scratch / "gold")
                copies += statements
            _run_copies(con, copies)
        finally:
            con.close()
        # Every file is written: only now is the lake touched.
        for name, files in gold.items():
            _swap_in(lake, GOLD_TABLES[name], files, build)
    return {name: counts[name] for name in GOLD_TABLES}
