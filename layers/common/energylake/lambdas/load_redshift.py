"""LoadRedshiftFunction: load a window of silver/gold tables into Redshift (COPY + MERGE, one transaction a table),
then emit each dataset's DataFreshnessMinutes metric."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import Field

from energylake.contracts.datasets import WAREHOUSE_TABLES, WarehouseTableName
from energylake.lake.storage import Storage
from energylake.lambdas._shared import WindowEvent, lake, parse_event
from energylake.settings import get_settings
from energylake.warehouse.redshift.load import (
    Connect,
    LoadResult,
    emit_freshness,
    empty_result,
    load_window,
    redshift_connect,
)

__all__ = ["LoadRedshiftEvent", "handle"]

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


def handle(
    event: object,
    *,
    connect: Connect | None = None,
    storage: Storage | None = None,
    metrics: Any | None = None,
) -> LoadResult:
    """LoadRedshiftFunction's body: validate the event, then :func:`load_window` with the configured warehouse (and
    lake, unless ``storage`` is given)."""
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
        connect=connect or (lambda: redshift_connect(settings)),
        iam_role_arn=role,
        schema_name=settings.redshift_schema_name,
    )
    if metrics is not None:
        emit_freshness(metrics, result["freshness_minutes"])
    return result
