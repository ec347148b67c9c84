"""LoadRedshiftFunction's core: load a window of silver/gold Parquet into Redshift, one transaction per table.

What one load does, for ``{"start", "end", "tables"?}`` (operating days, inclusive; default every warehouse table,
in the model's order: silver-fed tables first, then gold):

1. connect (``redshift_connector`` with IAM auth: Serverless by workgroup, or provisioned by cluster + db user; no
   password anywhere), autocommit off;
2. run :func:`energylake.warehouse.redshift.migration_statements` then
   :func:`~energylake.warehouse.redshift.view_statements` once (idempotent DDL) and commit;
3. for each table, in order: list which of its COPY prefixes exist (one per source dataset and UTC date partition
   the window touches, :func:`~energylake.warehouse.redshift.copy_prefixes`), then execute
   :func:`~energylake.warehouse.redshift.load_statements` with those prefixes (``BEGIN``, stage table, one ``COPY``
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

import datetime as dt
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any, Final, Literal, Protocol, TypedDict, get_args
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from energylake.errors import ConfigurationError, EnergylakeError
from energylake.events import WindowEvent, parse_event
from energylake.timeconv import local_day_bounds_utc
from energylake.window import Window

__all__ = [
    "WAREHOUSE_TABLES",
    "DbConnection",
    "LoadRedshiftEvent",
    "LoadResult",
    "RedshiftSettings",
    "TableLoad",
    "WarehouseLoadError",
    "WarehouseTableName",
    "connect_kwargs",
    "emit_freshness",
    "existing_prefixes",
    "freshness_from_rows",
    "freshness_sql",
    "get_redshift_settings",
    "handle_load_redshift",
    "load_window",
    "redshift_connect",
    "window_utc_bounds",
]

logger = logging.getLogger(__name__)

# The warehouse tables (energylake.warehouse.model), spelled out so that validating an event does not import the
# model (and pyarrow with it); tests/functional/test_load_redshift.py checks they are the model's, in its order.
WarehouseTableName = Literal[
    "ercot_spp",
    "ercot_load_by_weather_zone",
    "weather_hourly",
    "ercot_load_forecast",
    "ercot_wind_solar",
    "ercot_fuel_mix",
    "energy_weather_hourly",
    "system_hourly",
    "ercot_spp_hourly",
]
# Load order: silver-fed tables first, then the gold tables built from them.
WAREHOUSE_TABLES: Final[tuple[str, ...]] = get_args(WarehouseTableName)


# --------------------------------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------------------------------


class RedshiftSettings(BaseSettings):
    """Where and how LoadRedshiftFunction connects, from ``ENERGYLAKE_REDSHIFT_*`` variables.

    Authentication is IAM only (temporary database credentials): Serverless through
    ``redshift-serverless:GetCredentials`` on the workgroup, provisioned through ``redshift:GetClusterCredentials``
    for ``db_user`` on the cluster.
    """

    model_config = SettingsConfigDict(env_prefix="ENERGYLAKE_REDSHIFT_", extra="ignore", frozen=True)

    mode: Literal["serverless", "provisioned", "none"] = Field(
        "none", description="serverless (workgroup), provisioned (cluster id + db user), or none (no warehouse)."
    )
    workgroup: str | None = Field(None, description="Redshift Serverless workgroup name (mode serverless).")
    cluster_id: str | None = Field(None, description="Provisioned cluster identifier (mode provisioned).")
    db_user: str | None = Field(None, description="Database user for GetClusterCredentials (mode provisioned).")
    database: str = Field("dev", description="Database to connect to.")
    copy_role_arn: str | None = Field(
        None, description="IAM role Redshift assumes to read the lake in COPY (attached to the namespace/cluster)."
    )
    schema_name: str = Field("energylake", description="Warehouse schema: ENERGYLAKE_REDSHIFT_SCHEMA_NAME.")
    region: str | None = Field(None, description="AWS region of the warehouse; default AWS_REGION.")
    host: str | None = Field(None, description="Endpoint override (VPC endpoint); default: looked up via the API.")
    port: int | None = Field(None, description="Port override (with host).")
    timeout_s: int = Field(60, gt=0, description="Socket timeout of the database connection, in seconds.")

    @field_validator("schema_name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not value.replace("_", "a").isalnum() or not value[:1].isalpha() or value.lower() != value:
            raise ValueError(f"must be a lower-case SQL identifier (letters, digits, _), got {value!r}")
        return value

    @model_validator(mode="after")
    def _mode_has_its_fields(self) -> RedshiftSettings:
        missing = []
        if self.mode == "serverless" and not self.workgroup:
            missing.append("ENERGYLAKE_REDSHIFT_WORKGROUP")
        if self.mode == "provisioned":
            missing += [
                name
                for name, value in (
                    ("ENERGYLAKE_REDSHIFT_CLUSTER_ID", self.cluster_id),
                    ("ENERGYLAKE_REDSHIFT_DB_USER", self.db_user),
                )
                if not value
            ]
        if missing:
            raise ValueError(f"mode {self.mode} needs {', '.join(missing)}")
        return self

    def require_copy_role(self) -> str:
        if self.mode == "none":
            raise ConfigurationError("no warehouse is configured: ENERGYLAKE_REDSHIFT_MODE is 'none'")
        if not self.copy_role_arn:
            raise ConfigurationError("COPY needs a role: set ENERGYLAKE_REDSHIFT_COPY_ROLE_ARN")
        return self.copy_role_arn


@lru_cache(maxsize=1)
def get_redshift_settings() -> RedshiftSettings:
    """Resolved once per process (Lambda cold start); a bad configuration names the variables to set."""
    from pydantic import ValidationError

    try:
        return RedshiftSettings()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors())
        raise ConfigurationError(f"invalid ENERGYLAKE_REDSHIFT_* settings: {problems}") from None


def connect_kwargs(settings: RedshiftSettings) -> dict[str, Any]:
    """``redshift_connector.connect`` arguments for IAM authentication (no password, no secret)."""
    region = settings.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    common: dict[str, Any] = {
        "iam": True,
        "database": settings.database,
        "region": region,
        "timeout": settings.timeout_s,
    }
    if settings.host:
        common["host"] = settings.host
    if settings.port:
        common["port"] = settings.port
    if settings.mode == "serverless":
        return {**common, "is_serverless": True, "serverless_work_group": settings.workgroup}
    if settings.mode == "provisioned":
        return {**common, "cluster_identifier": settings.cluster_id, "db_user": settings.db_user}
    raise ConfigurationError("no warehouse is configured: set ENERGYLAKE_REDSHIFT_MODE to serverless or provisioned")


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


def redshift_connect(settings: RedshiftSettings) -> DbConnection:
    """A ``redshift_connector`` connection with IAM auth and autocommit off (the module loads only here)."""
    import redshift_connector  # shipped with LoadRedshiftFunction, not the layer

    connection: DbConnection = redshift_connector.connect(**connect_kwargs(settings))
    connection.autocommit = False
    return connection


# --------------------------------------------------------------------------------------------------------------------
# The window in UTC, and which of its COPY prefixes exist
# --------------------------------------------------------------------------------------------------------------------


def window_utc_bounds(window: Window) -> tuple[dt.datetime, dt.datetime]:
    """``[start, end)`` in UTC of the operating days ``window.start`` .. ``window.end`` (Central time)."""
    return local_day_bounds_utc(window.start)[0], local_day_bounds_utc(window.end)[1]


def _split_lake(lake_uri: str) -> tuple[str, str]:
    parts = urlsplit(lake_uri)
    if parts.scheme != "s3" or not parts.netloc:
        raise ConfigurationError(
            f"Redshift loads from S3: ENERGYLAKE_LAKE_URI must be s3://bucket[/prefix], got {lake_uri!r}"
        )
    prefix = parts.path.strip("/")
    return parts.netloc, f"{prefix}/" if prefix else ""


def existing_prefixes(s3: Any, prefixes: Sequence[str]) -> list[str]:
    """The ``s3://`` prefixes of ``prefixes`` that hold at least one object (one ListObjectsV2 call each)."""
    found = []
    for uri in prefixes:
        bucket, key = _split_lake(uri)
        if s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1).get("KeyCount", 0) > 0:
            found.append(uri)
    return found


# --------------------------------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------------------------------


class WarehouseLoadError(EnergylakeError):
    """A table's load failed and was rolled back; ``table`` and ``window`` say which."""

    def __init__(self, message: str, *, table: str, window: Window) -> None:
        super().__init__(message)
        self.table = table
        self.window = window


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
        f"SELECT dataset, MIN(minutes_behind) AS minutes_behind FROM {view} "  # noqa: S608
        "WHERE newest_utc IS NOT NULL GROUP BY dataset ORDER BY dataset"
    )


def freshness_from_rows(rows: Iterable[Sequence[Any]]) -> dict[str, int]:
    """Minutes behind per source dataset. The view's gold rows (named after their table) are left out: gold holds
    every hour of the window it was built for, data or not, so its newest hour says nothing about freshness."""
    from energylake.datasets import ALL_DATASETS

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


class LoadRedshiftEvent(WindowEvent):
    """Input of LoadRedshiftFunction: ``start``/``end`` operating days (inclusive) and optionally ``tables`` (default
    every warehouse table, in load order)."""

    tables: list[WarehouseTableName] | None = Field(None, min_length=1)

    def table_names(self) -> list[str]:
        if self.tables is None:
            return list(WAREHOUSE_TABLES)
        asked = set(self.tables)
        return [table for table in WAREHOUSE_TABLES if table in asked]  # load order, duplicates dropped


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


def load_window(
    window: Window,
    tables: Sequence[str],
    *,
    connect: Connect,
    lake_uri: str,
    iam_role_arn: str,
    schema_name: str = "energylake",
    s3: Any | None = None,
) -> LoadResult:
    """Migrate, then load ``tables`` for ``window`` one transaction each (see the module docstring)."""
    from energylake.warehouse import redshift

    client = s3 if s3 is not None else _default_s3_client()
    bucket, root = _split_lake(lake_uri)
    lake_root = f"s3://{bucket}/{root}"
    start_utc, end_utc = window_utc_bounds(window)
    result = LoadResult(
        start=window.start.isoformat(),
        end=window.end.isoformat(),
        window_start_utc=start_utc.isoformat(),
        window_end_utc=end_utc.isoformat(),
        schema=schema_name,
        tables=[],
        freshness_minutes={},
    )
    connection = connect()
    try:
        connection.autocommit = False
        ddl = [*redshift.migration_statements(schema_name=schema_name), *redshift.view_statements(schema_name)]
        _in_transaction(connection, ddl, what=f"migrating schema {schema_name}", table="(migration)", window=window)
        for table in tables:
            candidates = redshift.copy_prefixes(
                table, s3_uri=lake_root, window_start_utc=start_utc, window_end_utc=end_utc
            )
            prefixes = existing_prefixes(client, candidates)
            if not prefixes:
                logger.info("%s: nothing in the lake for %s, nothing to load", table, window)
                result["tables"].append(TableLoad(table=table, status="no_data", prefixes=0, rows={}))
                continue
            statements = redshift.load_statements(
                table,
                s3_uri=lake_root,
                iam_role_arn=iam_role_arn,
                window_start_utc=start_utc,
                window_end_utc=end_utc,
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


@lru_cache(maxsize=1)
def _default_s3_client() -> Any:
    import boto3

    return boto3.client("s3")


def handle_load_redshift(
    event: object,
    *,
    connect: Connect | None = None,
    s3: Any | None = None,
    lake_uri: str | None = None,
    metrics: Any | None = None,
) -> LoadResult:
    """LoadRedshiftFunction's body: validate the event, then :func:`load_window` with the configured warehouse."""
    from energylake.settings import get_settings

    request = parse_event(event, LoadRedshiftEvent)
    settings = get_redshift_settings()
    if settings.mode == "none":
        # The template's default (RedshiftMode none): the lake and gold are the product; nothing to load, and a
        # scheduled run must not fail (and alert) every 15 minutes for it.
        logger.info("no warehouse configured (ENERGYLAKE_REDSHIFT_MODE=none): load skipped")
        start_utc, end_utc = window_utc_bounds(request.window())
        return LoadResult(
            start=request.start.isoformat(),
            end=request.end.isoformat(),
            window_start_utc=start_utc.isoformat(),
            window_end_utc=end_utc.isoformat(),
            schema=settings.schema_name,
            tables=[],
            freshness_minutes={},
        )
    role = settings.require_copy_role()
    result = load_window(
        request.window(),
        request.table_names(),
        connect=connect or (lambda: redshift_connect(settings)),
        lake_uri=lake_uri or get_settings().lake_uri,
        iam_role_arn=role,
        schema_name=settings.schema_name,
        s3=s3,
    )
    if metrics is not None:
        emit_freshness(metrics, result["freshness_minutes"])
    return result
