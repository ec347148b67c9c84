"""LoadRedshiftFunction: load a window of silver/gold tables into Redshift through the Redshift Data API (one COPY +
MERGE transaction per table and chunk of days, migrating only when the schema is behind), then emit each dataset's
DataFreshnessMinutes metric.

The reply says whether the whole window is in: ``done: false`` with ``next_start`` when the invocation stopped
between chunks to stay within its time limit; the caller invokes again with ``start = next_start`` (same ``end``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import Field

from energylake.contracts.datasets import WAREHOUSE_TABLES, WarehouseTableName
from energylake.lake.storage import Storage
from energylake.lambdas._aws import aws_client, lake
from energylake.lambdas._shared import WindowEvent, parse_event

if TYPE_CHECKING:
    from energylake.settings import Settings
    from energylake.warehouse.redshift.data_api import DataApi
    from energylake.warehouse.redshift.load import LoadResult

__all__ = ["LoadRedshiftEvent", "data_api", "handle"]

logger = logging.getLogger(__name__)


class LoadRedshiftEvent(WindowEvent):
    """``start``/``end`` operating days (inclusive) and optionally ``tables`` (default every warehouse table, in load
    order)."""

    tables: list[WarehouseTableName] | None = Field(None, min_length=1)

    def table_names(self) -> list[str]:
        if self.tables is None:
            return list(WAREHOUSE_TABLES)
        asked = set(self.tables)
        return [table for table in WAREHOUSE_TABLES if table in asked]  # load order, duplicates dropped


def data_api(settings: Settings) -> DataApi:
    """The configured warehouse behind the Data API: the function's IAM identity signs in (Serverless: as
    ``IAMR:<role name>``; provisioned: as ``ENERGYLAKE_REDSHIFT_DB_USER``)."""
    from energylake.warehouse.redshift.data_api import DataApi, DataApiTarget, RetryPolicy

    if settings.redshift_mode == "serverless":
        target = DataApiTarget(settings.redshift_database, workgroup_name=settings.redshift_workgroup)
    else:
        target = DataApiTarget(
            settings.redshift_database,
            cluster_identifier=settings.redshift_cluster_id,
            db_user=settings.redshift_db_user,
        )
    region = settings.redshift_region_name()
    client = aws_client("redshift-data") if region is None else _regional_client(region)
    return DataApi(client, target, retry=RetryPolicy(max_attempts=settings.redshift_max_attempts))


def _regional_client(region: str) -> Any:
    import boto3

    return boto3.client("redshift-data", region_name=region)


def handle(
    event: object,
    *,
    api: DataApi | None = None,
    storage: Storage | None = None,
    metrics: Any | None = None,
    time_left: Callable[[], float] | None = None,
) -> LoadResult:
    """LoadRedshiftFunction's body: validate the event, then :func:`load_window` with the configured warehouse (and
    lake, unless ``storage`` is given) within ``time_left`` (the invocation's remaining seconds)."""
    # Settings (pydantic-settings) and the loader load with the first event, not at import: a cold start's import
    # stays near boto3 + Logger (benchmarks/run.py).
    from energylake.settings import get_settings
    from energylake.warehouse.redshift.load import emit_freshness, empty_result, load_window

    request = parse_event(event, LoadRedshiftEvent)
    settings = get_settings()
    if settings.redshift_mode == "none":
        # The template's default (RedshiftMode none): the lake and gold are the product; nothing to load, and a
        # scheduled run must not fail (and alert) every 15 minutes for it.
        logger.info("no warehouse configured (ENERGYLAKE_REDSHIFT_MODE=none): load skipped")
        return empty_result(request.window(), settings.redshift_schema_name)
    role = settings.require_copy_role()
    if storage is None:
        storage = lake()
        storage.location.s3_root("ENERGYLAKE_LAKE_URI: loading Redshift")  # a folder lake: name the variable
    result = load_window(
        request.window(),
        storage,
        tables=request.table_names(),
        data_api=api or data_api(settings),
        iam_role_arn=role,
        schema_name=settings.redshift_schema_name,
        reader_role=settings.redshift_reader_role or None,
        chunk_days=settings.redshift_load_chunk_days,
        time_left=time_left,
    )
    if metrics is not None:
        emit_freshness(metrics, result["freshness_minutes"])
    return result
