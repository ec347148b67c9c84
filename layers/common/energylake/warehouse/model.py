"""The warehouse, described once: tables, keys, Redshift physical design, migrations and analyst views.

Both warehouses are generated from this module: :mod:`energylake.warehouse.duckdb` (the embedded default) and
:mod:`energylake.warehouse.redshift.sql` (SQL for the AWS deployment). Nothing here talks to a database.

* **Tables** take their columns, types and natural keys from :mod:`energylake.contracts.tables` (the contracts),
  plus ``loaded_at_utc`` (when the loader wrote the row's current version). Silver-fed tables keep all four lineage
  columns (``source_dataset``, ``raw_key``, ``run_id``, ``fetched_at_utc``): any warehouse number traces back to the
  raw bytes and the curation run; duplicates by natural key are resolved by the latest ``fetched_at_utc``.
* **Types** map from the contracts' type names once per dialect (:func:`duckdb_type`, :func:`redshift_type`, in
  :mod:`.shapes` with the dataclasses a model is made of, re-exported here). Nothing here imports pyarrow: the
  Redshift loader's Lambda ships without it.
* **Migrations** are numbered; version 1 creates everything. A later version lists the columns it adds (they must
  be nullable), the columns that became required with the value their old NULLs get, and the tables whose natural
  key changed (version 2: the settlement point type joined the price tables' keys); ``CREATE TABLE IF NOT EXISTS``
  always creates the newest shape, and every change is guarded (an existence check, or the version not yet
  recorded), so applying every migration to any older warehouse, or twice, converges on the same schema.
* **Views** live in :mod:`energylake.warehouse.views` (their SQL, methods and parameters), written once in DuckDB
  SQL that sqlglot transpiles faithfully to Redshift; this module lists them in :data:`VIEWS`.
"""

from __future__ import annotations

from energylake.contracts import tables as silver
from energylake.warehouse.shapes import (
    DEFAULT_VARCHAR,
    LOADED_AT,
    VARCHAR_WIDTHS,
    Distribution,
    DistStyle,
    Migration,
    View,
    WarehouseColumn,
    WarehouseModel,
    WarehouseTable,
    Zone,
    duckdb_type,
    redshift_type,
)
from energylake.warehouse.views import analyst_views

__all__ = [
    "DEFAULT_VARCHAR",
    "LOADED_AT",
    "MIGRATIONS",
    "SCHEMA_VERSION_TABLE",
    "TABLES",
    "VARCHAR_WIDTHS",
    "VIEWS",
    "WAREHOUSE",
    "DistStyle",
    "Distribution",
    "Migration",
    "View",
    "WarehouseColumn",
    "WarehouseModel",
    "WarehouseTable",
    "Zone",
    "duckdb_type",
    "redshift_type",
]

SCHEMA_VERSION_TABLE = "schema_version"

# --- tables ------------------------------------------------------------------------------------------------------

TABLES: tuple[WarehouseTable, ...] = (
    WarehouseTable(
        "ercot_spp",
        "Settlement point prices, real-time 15-min (RT15) and day-ahead hourly (DAM)",
        "silver",
        ("spp_rt", "spp_dam"),
        silver.SPP,
        Distribution(
            "KEY",
            ("interval_start_utc",),
            "~35M rows/yr over ~1,000 points: spread and co-locate by point, prune by time range",
            distkey="settlement_point",
        ),
    ),
    WarehouseTable(
        "ercot_load_by_weather_zone",
        "Actual hourly load by ERCOT weather zone",
        "silver",
        ("load_weather_zone",),
        silver.LOAD_WEATHER_ZONE,
        Distribution("ALL", ("interval_start_utc",), "8 zones x 8,784 h/yr: small, joined to weather and system"),
    ),
    WarehouseTable(
        "weather_hourly",
        "Open-Meteo hourly weather at each weather zone's representative point",
        "silver",
        ("weather",),
        silver.WEATHER,
        Distribution("ALL", ("time_utc",), "8 zones x 8,784 h/yr: small, joined to every zone-level fact"),
    ),
    WarehouseTable(
        "ercot_load_forecast",
        "Seven-day hourly load forecasts, every posted vintage",
        "silver",
        ("load_forecast",),
        silver.LOAD_FORECAST,
        Distribution(
            "EVEN",
            ("interval_start_utc", "posted_at_utc"),
            "tens of millions of vintage rows; ~10 zones would skew a KEY: spread evenly, prune by target hour",
        ),
        freshness_column="posted_at_utc",
    ),
    WarehouseTable(
        "ercot_wind_solar",
        "Hourly wind and solar production: actuals and forecasts, every vintage",
        "silver",
        ("wind", "solar"),
        silver.RENEWABLE_PRODUCTION,
        Distribution(
            "EVEN",
            ("interval_start_utc", "posted_at_utc"),
            "millions of vintage rows, few regions (skewed KEY): spread evenly, prune by target hour",
        ),
        freshness_column="posted_at_utc",
    ),
    WarehouseTable(
        "ercot_fuel_mix",
        "Generation by fuel, 5-minute",
        "silver",
        ("fuel_mix",),
        silver.FUEL_MIX,
        Distribution("AUTO", ("interval_start_utc",), "~1M rows/yr: let Redshift pick ALL while small, EVEN later"),
    ),
    WarehouseTable(
        "energy_weather_hourly",
        "Gold: one row per weather zone and UTC hour, load and aligned weather",
        "gold",
        ("energy_weather_hourly",),
        silver.ENERGY_WEATHER_HOURLY,
        Distribution("ALL", ("interval_start_utc",), "8 zones x 8,784 h/yr: small, read whole by the views"),
    ),
    WarehouseTable(
        "system_hourly",
        "Gold: one row per UTC hour, system load, renewables, hub prices, weather",
        "gold",
        ("system_hourly",),
        silver.SYSTEM_HOURLY,
        Distribution("ALL", ("interval_start_utc",), "8,760 rows/yr: a copy on every node joins for free"),
    ),
    WarehouseTable(
        "ercot_spp_hourly",
        "Gold: one row per settlement point, type and UTC hour, RT statistics and DAM price",
        "gold",
        ("ercot_spp_hourly",),
        silver.ERCOT_SPP_HOURLY,
        Distribution(
            "KEY",
            ("interval_start_utc",),
            "~9M rows/yr: same distribution as ercot_spp so point-level joins stay node-local",
            distkey="settlement_point",
        ),
    ),
)


# --- views (energylake.warehouse.views: the single source of the analysts' numbers) -------------------------------

VIEWS: tuple[View, ...] = analyst_views(TABLES, LOADED_AT)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial warehouse: 9 tables"),
    # Real-time prices list each load zone twice under one name (LZ and the energy-weighted LZEW): keyed without
    # the type, a load kept one of each pair. Rows from before hold NULL types only where the parser could not
    # type a day-ahead point from its name (not HB_*, not LZ_*): a resource node. Reload a window loaded before
    # this version to add the series its old key could not hold.
    Migration(
        2,
        "the settlement point type joins the keys of the price tables",
        fill_nulls=(
            ("ercot_spp", "settlement_point_type", "RN"),
            ("ercot_spp_hourly", "settlement_point_type", "RN"),
        ),
        rekey=("ercot_spp", "ercot_spp_hourly"),
    ),
    # Views only (no table changes): prices per hub and load zone, spikes by a rule for any lake length, forecasts by
    # lead time, the fuel mix, and one stated sensitivity method with confidence intervals. Redshift keeps a
    # replaced view's old columns, so the migration drops the views before recreating them.
    Migration(3, "analyst views and the data dictionary"),
)

WAREHOUSE = WarehouseModel(TABLES, VIEWS, MIGRATIONS)
