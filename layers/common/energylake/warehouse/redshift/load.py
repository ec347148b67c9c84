"""The Redshift load: a window of silver/gold Parquet into Redshift, one transaction per table.

LoadRedshiftFunction (:mod:`energylake.lambdas.load_redshift`) calls :func:`load_window`. What one load does, for a
window of operating days and a list of tables (in the model's order: silver-fed tables first, then gold):

1. connect (``redshift_connector`` with IAM auth: Serverless by workgroup, or provisioned by cluster + db user; no
   password anywhere), autocommit off;
2. run :func:`energylake.warehouse.redshift.sql.migration_statements` then
   :func:`~energylake.warehouse.redshift.sql.view_statements` once (idempotent DDL) and commit;
3. for each table, in order: list which of its COPY prefixes exist (one per source dataset and UTC date partition
   the window touches, :func:`~energylake.warehouse.redshift.sql.copy_prefixes`), then execute
   :func:`~energylake.warehouse.redshift.sql.load_statements` with those prefixes (``BEGIN``, stage table, one ``COPY``
   per prefix, dedupe to the window, ``MERGE`` on the natural key, ``END``) as ONE transaction.

S3 URIs: ``load_statements`` gets the lake root as ``s3_uri`` and the existing prefixes as ``prefixes``: ``COPY``
fails on a prefix that holds no object, and a window may have missing days (fuel mix exists only for recent days;
a weekend may not be curated yet). A table with no existing prefix is skipped (``status: "no_data"``); a partly
covered window loads what exists (rerun it when the rest has landed: loads are idempotent).

Transactions: the connection runs with autocommit off, and ``load_statements`` opens and closes its own transaction
(``BEGIN`` .. ``END``); redshift_connector's implicit ``begin transaction`` before it only makes Redshift warn that a
transaction is already open. Statement lists without a closing ``COMMIT``/``END`` (the DDL) are committed by
``connection.commit()``.

Failure: the first statement that fails rolls its table's transaction back (the target is untouched: the ``MERGE``
never committed) and :class:`WarehouseLoadError` names the table and the window. The tables after it are NOT
attempted: the load stops at the first failure, so the state machine sees one failure with one cause and retries
the whole load. That is safe because a load is idempotent: tables committed before the failure are merged again to
the same rows (``MERGE`` on the natural key), and loading twice issues the same statements.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final, Literal, Protocol, TypedDict

from energylake.contracts.datasets import ALL_DATASETS
from energylake.errors import WarehouseLoadError
from energylake.lake.storage import Storage
from energylake.settings import Settings
from energylake.window import Window

__all__ = [
    "Connect",
    "DbConnection",
    "LoadResult",
    "TableLoad",
    "emit_freshness",
    "empty_result",
    "existing_prefixes",
    "freshness_from_rows",
    "freshness_sql",
    "load_window",
    "redshift_connect",
]

logger = logging.getLogger(__name__)


class DbCursor(Protocol):
    def fetchall(self) -> Any: ...

    rowcount: int

    def execute(self, operation: str, args: Any = ...) -> Any: ...


class DbConnection(Protocol):
    """The DB-API subset the loader uses (``redshift_connector.Connection`` has it; so do the tests' fakes)."""

    autocommit: bool

    def cursor(self) -> Any: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def close(self) -> None: ...


Connect = Callable[[], DbConnection]


def redshift_connect(settings: Settings) -> DbConnection:
    """A ``redshift_connector`` connection with IAM auth and autocommit off (the module loads only here)."""
    import redshift_connector  # shipped with LoadRedshiftFunction, not the layer

    connection: DbConnection = redshift_connector.connect(**settings.redshift_connect_kwargs())
    connection.autocommit = False
    return connection


# --------------------------------------------------------------------------------------------------------------------
# The window in UTC, and which of its COPY prefixes exist
# --------------------------------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------------------------------


class TableLoad(TypedDict):
    table: str
    status: Literal["loaded", "no_data"]
    prefixes: int  # COPY prefixes (source dataset x UTC date) that held data
    rows: dict[str, int]  # rows affected per statement kind (COPY, MERGE, DELETE, INSERT), where the driver says


class LoadResult(TypedDict):
    start: str
    end: str
    window_start_utc: str
    window_end_utc: str
    schema: str
    tables: list[TableLoad]
    # Per dataset: whole minutes between now and the newest interval the warehouse holds (v_data_freshness), the
    # figure the DataFreshnessMinutes metric and its alarm watch. Datasets with no rows are absent.
    freshness_minutes: dict[str, int]


def freshness_sql(schema_name: str | None) -> str:
    """Per dataset, the freshest of its tables in the ``v_data_freshness`` view (Redshift and DuckDB alike)."""
    view = f"{schema_name}.v_data_freshness" if schema_name else "v_data_freshness"
    return (  # schema_name is a checked identifier (RedshiftSettings), not user text
        f"SELECT dataset, MIN(minutes_behind) AS minutes_behind FROM {view} "
        "WHERE newest_utc IS NOT NULL GROUP BY dataset ORDER BY dataset"
    )


def freshness_from_rows(rows: Iterable[Sequence[Any]]) -> dict[str, int]:
    """Minutes behind per source dataset. The view's gold rows (named after their table) are left out: gold holds
    every hour of the window it was built for, data or not, so its newest hour says nothing about freshness."""
    return {str(name): int(minutes) for name, minutes in rows if minutes is not None and name in ALL_DATASETS}


def emit_freshness(metrics: Any, freshness: dict[str, int]) -> None:
    """One ``DataFreshnessMinutes`` EMF metric per dataset (dimension ``dataset``), which the freshness alarm watches.

    A separate metrics object per dataset: EMF dimensions apply to a whole blob, not to one value.
    """
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    for dataset, minutes in sorted(freshness.items()):
        with single_metric(
            name="DataFreshnessMinutes",
            unit=MetricUnit.Count,
            value=minutes,
            namespace=getattr(metrics, "namespace", None),
            default_dimensions={**getattr(metrics, "default_dimensions", {}), "dataset": dataset},
        ) as metric:
            del metric  # the context manager flushes the blob on exit


_COUNTED: Final = ("COPY", "MERGE", "DELETE", "INSERT", "UPDATE")


def _run(connection: DbConnection, statements: Iterable[str]) -> dict[str, int]:
    """Execute ``statements`` in order on one cursor; rows affected per statement kind where the driver knows."""
    cursor = connection.cursor()
    rows: dict[str, int] = {}
    for statement in statements:
        cursor.execute(statement)
        kind = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
        count = getattr(cursor, "rowcount", -1)
        if kind in _COUNTED and isinstance(count, int) and count >= 0:
            rows[kind] = rows.get(kind, 0) + count
    return rows


def _ends_with_commit(statements: Sequence[str]) -> bool:
    return bool(statements) and statements[-1].strip().rstrip(";").strip().upper() in {"COMMIT", "END"}


def empty_result(window: Window, schema_name: str) -> LoadResult:
    """A load that loaded nothing (yet)."""
    return LoadResult(
        start=window.start.isoformat(),
        end=window.end.isoformat(),
        window_start_utc=window.start_utc.isoformat(),
        window_end_utc=window.end_utc.isoformat(),
        schema=schema_name,
        tables=[],
        freshness_minutes={},
    )


def existing_prefixes(lake: Storage, prefixes: Sequence[str]) -> list[str]:
    """The ``s3://`` COPY prefixes of ``prefixes`` under which ``lake`` holds at least one object."""
    root = lake.location.s3_root("loading Redshift")
    return [uri for uri in prefixes if next(iter(lake.list(uri.removeprefix(root))), None) is not None]


def load_window(
    window: Window,
    lake: Storage,
    *,
    tables: Sequence[str],
    connect: Connect,
    iam_role_arn: str,
    schema_name: str = "energylake",
) -> LoadResult:
    """Migrate, then load ``tables`` for ``window`` one transaction each (see the module docstring)."""
    from energylake.warehouse.redshift import sql  # the model and pyarrow load only when something is loaded

    lake_root = lake.location.s3_root("loading Redshift")
    result = empty_result(window, schema_name)
    connection = connect()
    try:
        connection.autocommit = False
        ddl = [*sql.migration_statements(schema_name=schema_name), *sql.view_statements(schema_name)]
        _in_transaction(connection, ddl, what=f"migrating schema {schema_name}", table="(migration)", window=window)
        for table in tables:
            candidates = sql.copy_prefixes(table, s3_uri=lake_root, window=window)
            prefixes = existing_prefixes(lake, candidates)
            if not prefixes:
                logger.info("%s: nothing in the lake for %s, nothing to load", table, window)
                result["tables"].append(TableLoad(table=table, status="no_data", prefixes=0, rows={}))
                continue
            statements = sql.load_statements(
                table,
                s3_uri=lake_root,
                iam_role_arn=iam_role_arn,
                window=window,
                schema_name=schema_name,
                prefixes=prefixes,
            )
            rows = _in_transaction(
                connection, statements, what=f"loading {schema_name}.{table}", table=table, window=window
            )
            logger.info(
                "loaded %s for %s from %d of %d prefixes: %s", table, window, len(prefixes), len(candidates), rows
            )
            result["tables"].append(TableLoad(table=table, status="loaded", prefixes=len(prefixes), rows=rows))
        result["freshness_minutes"] = _read_freshness(connection, schema_name)
    finally:
        connection.close()
    return result


def _read_freshness(connection: DbConnection, schema_name: str) -> dict[str, int]:
    """Best effort, after every table committed: a failed read must not fail (and retry) a load that succeeded.
    No figure means no DataFreshnessMinutes metric, which the freshness alarm treats as breaching."""
    try:
        cursor = connection.cursor()
        cursor.execute(freshness_sql(schema_name))
        freshness = freshness_from_rows(cursor.fetchall() or [])
        connection.commit()  # a read, but with autocommit off it opened a transaction
    except Exception:
        logger.exception("reading %s.v_data_freshness failed: no freshness metric this load", schema_name)
        try:
            connection.rollback()
        except Exception:  # the read's error is the one worth logging
            logger.debug("rollback after the freshness read failed", exc_info=True)
        return {}
    return freshness


def _in_transaction(
    connection: DbConnection, statements: Sequence[str], *, what: str, table: str, window: Window
) -> dict[str, int]:
    try:
        rows = _run(connection, statements)
        if not _ends_with_commit(statements):
            connection.commit()
    except Exception as exc:
        try:
            connection.rollback()
        except Exception:  # the original error matters more than a failed rollback (the server rolls back anyway)
            logger.exception("rollback failed after an error %s", what)
        raise WarehouseLoadError(
            f"{what} for window {window} ({window.start}..{window.end} operating days) failed and was rolled back: "
            f"{type(exc).__name__}: {exc}",
            table=table,
            window=window,
        ) from exc
    return rows
