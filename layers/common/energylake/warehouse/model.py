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
* **Views** are written once, in DuckDB SQL restricted to constructs sqlglot transpiles faithfully to Redshift (no
  ``FILTER``, no ``regr_*``: Redshift lacks them, so regressions are spelled as centred sums). The DuckDB warehouse
  runs the text as is; :mod:`energylake.warehouse.redshift.sql` transpiles it with sqlglot and qualifies the tables.
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

# --- analyst view parameters (documented in the views' descriptions) -------------------------------------------------
BALANCE_POINT_C = silver.DEGREE_BASE_C  # 65 °F: the base of the gold degree hours
SPIKE_ABSOLUTE_USD_MWH = 500.0
SPIKE_MEDIAN_MULTIPLE = 3.0
SPIKE_BASELINE_DAYS = 30
SPIKE_MIN_BASELINE_HOURS = 24  # a trailing median from less than a day of prices is not a baseline
WIND_BIN_MS = 1.0
SOLAR_BIN_WM2 = 50.0

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


# --- views -------------------------------------------------------------------------------------------------------

_LOAD_TEMPERATURE_SENSITIVITY = f"""
WITH obs AS (
    SELECT weather_zone, 'cooling' AS regime, cooling_degree_hours AS x, load_mw AS y
    FROM energy_weather_hourly
    WHERE has_load AND has_weather AND load_mw IS NOT NULL AND cooling_degree_hours > 0
    UNION ALL
    SELECT weather_zone, 'heating' AS regime, heating_degree_hours AS x, load_mw AS y
    FROM energy_weather_hourly
    WHERE has_load AND has_weather AND load_mw IS NOT NULL AND heating_degree_hours > 0
),
means AS (
    SELECT weather_zone, regime, COUNT(*) AS n_hours, AVG(x) AS mean_x, AVG(y) AS mean_y
    FROM obs
    GROUP BY weather_zone, regime
),
moments AS (
    SELECT
        o.weather_zone,
        o.regime,
        m.n_hours,
        m.mean_x,
        m.mean_y,
        SUM((o.x - m.mean_x) * (o.y - m.mean_y)) AS sxy,
        SUM((o.x - m.mean_x) * (o.x - m.mean_x)) AS sxx,
        SUM((o.y - m.mean_y) * (o.y - m.mean_y)) AS syy
    FROM obs AS o
    JOIN means AS m ON o.weather_zone = m.weather_zone AND o.regime = m.regime
    GROUP BY o.weather_zone, o.regime, m.n_hours, m.mean_x, m.mean_y
)
SELECT
    weather_zone,
    regime,
    CAST({BALANCE_POINT_C} AS DOUBLE) AS balance_point_c,
    n_hours,
    CASE WHEN sxx > 0 THEN sxy / sxx END AS mw_per_degree_c,
    CASE WHEN sxx > 0 THEN mean_y - (sxy / sxx) * mean_x END AS intercept_mw,
    CASE WHEN sxx > 0 AND syy > 0 THEN (sxy * sxy) / (sxx * syy) END AS r2,
    mean_x AS mean_degree_hours,
    mean_y AS mean_load_mw
FROM moments
"""

_PRICE_SPIKES = f"""
WITH hub AS (
    SELECT operating_day, rt_price_hub_avg_usd_mwh AS price
    FROM system_hourly
    WHERE rt_price_hub_avg_usd_mwh IS NOT NULL
),
days AS (
    SELECT DISTINCT operating_day FROM hub
),
baseline AS (
    SELECT d.operating_day, MEDIAN(h.price) AS median_30d_usd_mwh, COUNT(*) AS baseline_hours
    FROM days AS d
    JOIN hub AS h
        ON h.operating_day >= d.operating_day - {SPIKE_BASELINE_DAYS} AND h.operating_day < d.operating_day
    GROUP BY d.operating_day
    HAVING COUNT(*) >= {SPIKE_MIN_BASELINE_HOURS}
)
SELECT
    s.interval_start_utc,
    s.interval_end_utc,
    s.operating_day,
    s.hour_ending,
    s.repeated_hour,
    s.rt_price_hub_avg_usd_mwh,
    s.dam_price_hub_avg_usd_mwh,
    b.median_30d_usd_mwh,
    b.baseline_hours,
    CASE WHEN b.median_30d_usd_mwh > 0 THEN s.rt_price_hub_avg_usd_mwh / b.median_30d_usd_mwh END
        AS price_to_median_ratio,
    CASE WHEN s.rt_price_hub_avg_usd_mwh > {SPIKE_ABSOLUTE_USD_MWH} THEN 'absolute' ELSE 'median_multiple' END
        AS spike_rule,
    s.load_mw,
    s.net_load_mw,
    s.wind_generation_mw,
    s.solar_generation_mw,
    s.load_weighted_temperature_c
FROM system_hourly AS s
LEFT JOIN baseline AS b ON b.operating_day = s.operating_day
WHERE s.rt_price_hub_avg_usd_mwh > {SPIKE_ABSOLUTE_USD_MWH}
    OR (b.median_30d_usd_mwh > 0 AND s.rt_price_hub_avg_usd_mwh > {SPIKE_MEDIAN_MULTIPLE} * b.median_30d_usd_mwh)
"""

_WIND_VS_WIND_SPEED = f"""
WITH speed AS (
    SELECT interval_start_utc, AVG(wind_speed_100m_ms) AS mean_wind_speed_100m_ms, COUNT(*) AS weather_zones
    FROM energy_weather_hourly
    WHERE has_weather AND wind_speed_100m_ms IS NOT NULL
    GROUP BY interval_start_utc
)
SELECT
    s.interval_start_utc,
    s.operating_day,
    s.hour_ending,
    s.wind_generation_mw,
    w.mean_wind_speed_100m_ms,
    w.weather_zones,
    FLOOR(w.mean_wind_speed_100m_ms / {WIND_BIN_MS}) * {WIND_BIN_MS} AS wind_speed_bin_ms
FROM system_hourly AS s
JOIN speed AS w ON w.interval_start_utc = s.interval_start_utc
WHERE s.wind_generation_mw IS NOT NULL
"""

_WIND_BINNED = f"""
SELECT
    wind_speed_bin_ms,
    wind_speed_bin_ms + {WIND_BIN_MS} AS wind_speed_bin_end_ms,
    COUNT(*) AS hours,
    AVG(wind_generation_mw) AS mean_wind_generation_mw,
    MIN(wind_generation_mw) AS min_wind_generation_mw,
    MAX(wind_generation_mw) AS max_wind_generation_mw
FROM v_wind_vs_wind_speed
GROUP BY wind_speed_bin_ms
"""

_SOLAR_VS_IRRADIANCE = f"""
WITH irradiance AS (
    SELECT interval_start_utc, AVG(shortwave_radiation_wm2) AS mean_shortwave_radiation_wm2, COUNT(*) AS weather_zones
    FROM energy_weather_hourly
    WHERE has_weather AND shortwave_radiation_wm2 IS NOT NULL
    GROUP BY interval_start_utc
)
SELECT
    s.interval_start_utc,
    s.operating_day,
    s.hour_ending,
    s.solar_generation_mw,
    i.mean_shortwave_radiation_wm2,
    i.weather_zones,
    FLOOR(i.mean_shortwave_radiation_wm2 / {SOLAR_BIN_WM2}) * {SOLAR_BIN_WM2} AS irradiance_bin_wm2
FROM system_hourly AS s
JOIN irradiance AS i ON i.interval_start_utc = s.interval_start_utc
WHERE s.solar_generation_mw IS NOT NULL
"""

_SOLAR_BINNED = f"""
SELECT
    irradiance_bin_wm2,
    irradiance_bin_wm2 + {SOLAR_BIN_WM2} AS irradiance_bin_end_wm2,
    COUNT(*) AS hours,
    AVG(solar_generation_mw) AS mean_solar_generation_mw,
    MIN(solar_generation_mw) AS min_solar_generation_mw,
    MAX(solar_generation_mw) AS max_solar_generation_mw
FROM v_solar_vs_irradiance
GROUP BY irradiance_bin_wm2
"""

_PEAK_HOURS_BY_MONTH = """
WITH hourly AS (
    SELECT
        CAST(DATE_TRUNC('month', operating_day) AS DATE) AS month_start,
        hour_ending,
        interval_start_utc,
        load_mw
    FROM system_hourly
    WHERE has_load AND load_mw IS NOT NULL
),
by_hour AS (
    SELECT month_start, hour_ending, AVG(load_mw) AS avg_load_mw
    FROM hourly
    GROUP BY month_start, hour_ending
),
ranked_hours AS (
    SELECT
        month_start,
        hour_ending,
        avg_load_mw,
        ROW_NUMBER() OVER (PARTITION BY month_start ORDER BY avg_load_mw DESC, hour_ending) AS rn
    FROM by_hour
),
ranked_peaks AS (
    SELECT
        month_start,
        load_mw,
        interval_start_utc,
        ROW_NUMBER() OVER (PARTITION BY month_start ORDER BY load_mw DESC, interval_start_utc) AS rn
    FROM hourly
),
months AS (
    SELECT month_start, COUNT(*) AS hours FROM hourly GROUP BY month_start
)
SELECT
    m.month_start,
    h.hour_ending AS peak_hour_ending,
    h.avg_load_mw AS peak_hour_avg_load_mw,
    p.load_mw AS peak_load_mw,
    p.interval_start_utc AS peak_interval_start_utc,
    m.hours
FROM months AS m
JOIN ranked_hours AS h ON h.month_start = m.month_start AND h.rn = 1
JOIN ranked_peaks AS p ON p.month_start = m.month_start AND p.rn = 1
"""


def _data_freshness_sql(tables: tuple[WarehouseTable, ...]) -> str:
    expected: list[str] = []
    stats: list[str] = []
    for t in tables:
        newest = t.freshness
        for source in t.sources:
            expected.append(f"SELECT '{t.name}' AS table_name, '{source}' AS dataset, '{newest}' AS freshness_column")
        if t.zone == "silver":
            stats.append(
                f"SELECT '{t.name}' AS table_name, source_dataset AS dataset, MAX({newest}) AS newest_utc, "
                f"COUNT(*) AS row_count, MAX({LOADED_AT}) AS newest_loaded_at_utc FROM {t.name} GROUP BY source_dataset"
            )
        else:
            stats.append(
                f"SELECT '{t.name}' AS table_name, '{t.sources[0]}' AS dataset, MAX({newest}) AS newest_utc, "
                f"COUNT(*) AS row_count, MAX({LOADED_AT}) AS newest_loaded_at_utc FROM {t.name}"
            )
    newline_union = "\n    UNION ALL\n    "
    return f"""
WITH expected AS (
    {newline_union.join(expected)}
),
stats AS (
    {newline_union.join(stats)}
)
SELECT
    e.table_name,
    e.dataset,
    e.freshness_column,
    s.newest_utc,
    DATE_DIFF('minute', s.newest_utc, CURRENT_TIMESTAMP) AS minutes_behind,
    COALESCE(s.row_count, 0) AS row_count,
    s.newest_loaded_at_utc
FROM expected AS e
LEFT JOIN stats AS s ON s.table_name = e.table_name AND s.dataset = e.dataset
"""


VIEWS: tuple[View, ...] = (
    View(
        "v_load_temperature_sensitivity",
        f"Per weather zone and regime: MW per °C of cooling (above {BALANCE_POINT_C:.2f} °C) or heating (below) "
        "degree hours; least-squares slope, intercept, hours and r² over hours with load and weather",
        _LOAD_TEMPERATURE_SENSITIVITY,
    ),
    View(
        "v_price_spikes",
        f"Hours whose hub-average RT price exceeds {SPIKE_ABSOLUTE_USD_MWH:.0f} USD/MWh or {SPIKE_MEDIAN_MULTIPLE:g}x "
        f"the median hub-average price of the {SPIKE_BASELINE_DAYS} preceding operating days (when those hold at "
        f"least {SPIKE_MIN_BASELINE_HOURS} prices), with load, net load and load-weighted temperature",
        _PRICE_SPIKES,
    ),
    View(
        "v_wind_vs_wind_speed",
        "Per hour: system wind generation against the mean 100 m wind speed of the weather zones (and its 1 m/s bin)",
        _WIND_VS_WIND_SPEED,
    ),
    View(
        "v_wind_vs_wind_speed_binned",
        "System wind generation by 1 m/s bin of the zones' mean 100 m wind speed: hours, mean/min/max generation",
        _WIND_BINNED,
    ),
    View(
        "v_solar_vs_irradiance",
        "Per hour: system solar generation against the zones' mean shortwave radiation (and its 50 W/m² bin)",
        _SOLAR_VS_IRRADIANCE,
    ),
    View(
        "v_solar_vs_irradiance_binned",
        "System solar generation by 50 W/m² bin of the zones' mean shortwave radiation: hours, mean/min/max",
        _SOLAR_BINNED,
    ),
    View(
        "v_peak_hours_by_month",
        "Per Central calendar month: the hour ending with the highest average system load, and the peak hour's load",
        _PEAK_HOURS_BY_MONTH,
    ),
    View(
        "v_data_freshness",
        "Per table and dataset: newest time (interval start; posting time for forecasts), minutes behind now, rows",
        _data_freshness_sql(TABLES),
    ),
)

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
)

WAREHOUSE = WarehouseModel(TABLES, VIEWS, MIGRATIONS)
