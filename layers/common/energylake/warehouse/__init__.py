"""The warehouse: one model (:mod:`.model`) driving two dialects.

* :mod:`energylake.warehouse.duckdb` — the embedded default: ``load(lake_uri, warehouse_path, start, end)`` reads
  silver/gold Parquet for a window of operating days and upserts it; ``query(warehouse_path, sql)`` for readers.
* :mod:`energylake.warehouse.redshift` — SQL generation for Redshift (migrations, views, one load transaction per
  table); a Lambda executes it. It needs sqlglot at runtime (views are transpiled from the DuckDB text).

The submodules are imported explicitly by their users, so importing this package pulls in neither duckdb nor sqlglot.
"""

from __future__ import annotations

from energylake.warehouse.model import (
    LOADED_AT,
    SCHEMA_VERSION_TABLE,
    WAREHOUSE,
    Distribution,
    Migration,
    View,
    WarehouseColumn,
    WarehouseModel,
    WarehouseTable,
    duckdb_type,
    redshift_type,
)

__all__ = [
    "LOADED_AT",
    "SCHEMA_VERSION_TABLE",
    "WAREHOUSE",
    "Distribution",
    "Migration",
    "View",
    "WarehouseColumn",
    "WarehouseModel",
    "WarehouseTable",
    "duckdb_type",
    "redshift_type",
]
