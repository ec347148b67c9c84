"""The silver and gold contracts as the parsing side uses them: everything in :mod:`energylake.contracts.tables`
(the one definition of every table's columns, keys and units), plus the pyarrow constants and helpers.

``Column.type`` and ``TableSchema.arrow_schema()`` are pyarrow objects; ``UTC_TIMESTAMP`` is the pyarrow type of every
instant. This module imports pyarrow: only the parsing side of the code (never a fetch Lambda, never the Redshift
loader) loads it. Code that needs only names, keys and type names imports :mod:`energylake.contracts.tables`.
"""

from __future__ import annotations

import pyarrow as pa

from energylake.contracts.tables import (
    COLUMN_TYPES,
    DEGREE_BASE_C,
    ENERGY_WEATHER_HOURLY,
    ENERGY_WEIGHTED_POINT_TYPES,
    ERCOT_SPP_HOURLY,
    FUEL_MIX,
    GOLD_TABLES,
    HUB_AVERAGE,
    HUB_POINT_TYPES,
    HUBS,
    LINEAGE,
    LOAD_FORECAST,
    LOAD_WEATHER_ZONE,
    MARKETS,
    RENEWABLE_PRODUCTION,
    SILVER_TABLES,
    SPP,
    SYSTEM_HOURLY,
    WEATHER,
    Column,
    ColumnType,
    Market,
    TableSchema,
    arrow_type,
    silver_schema,
)

__all__ = [
    "COLUMN_TYPES",
    "DEGREE_BASE_C",
    "ENERGY_WEATHER_HOURLY",
    "ENERGY_WEIGHTED_POINT_TYPES",
    "ERCOT_SPP_HOURLY",
    "FUEL_MIX",
    "GOLD_TABLES",
    "HUBS",
    "HUB_AVERAGE",
    "HUB_POINT_TYPES",
    "LINEAGE",
    "LOAD_FORECAST",
    "LOAD_WEATHER_ZONE",
    "MARKETS",
    "RENEWABLE_PRODUCTION",
    "SILVER_TABLES",
    "SPP",
    "SYSTEM_HOURLY",
    "UTC_TIMESTAMP",
    "WEATHER",
    "Column",
    "ColumnType",
    "Market",
    "TableSchema",
    "arrow_type",
    "empty_table",
    "silver_schema",
]

UTC_TIMESTAMP = arrow_type("timestamp_utc")


def empty_table(schema: TableSchema) -> pa.Table:
    return schema.arrow_schema().empty_table()
