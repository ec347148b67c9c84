"""The analyst views: the warehouse's single source of numbers (dashboards only draw what they return).

Every view is written once, in DuckDB SQL restricted to constructs sqlglot transpiles faithfully to Redshift (no
``FILTER``, no ``regr_*``, no ``quantile_*``: regressions are spelled as centred sums, percentiles as
``PERCENTILE_CONT ... WITHIN GROUP``; every division has a DOUBLE operand, since Redshift divides integers as
integers). The DuckDB warehouse runs the text as is; :mod:`energylake.warehouse.redshift.sql` transpiles it and
qualifies the tables. Views that read other views come after them in :data:`VIEWS`.

Methods (also stated in each view's description, and in ``v_load_temperature_sensitivity.method``):

* **Load-temperature sensitivity**: per weather zone and regime (cooling: hours above the balance point; heating:
  below), ordinary least squares of zone load on degree hours with hour-of-day x day-type (weekday/weekend) fixed
  effects, fitted by within-group demeaning (load and degree hours each minus their mean over the regime's hours of
  the same hour ending and day type). The slope is MW per °C of the hour's temperature beyond the balance point at a
  given time of day and kind of day, so the daily load shape (cooling hours are afternoon hours, heating hours
  nights and mornings) and the weekend dip (7-9% of load) are not read as temperature response: without them the
  demo week's slopes were off by a factor of up to 2 (COAST cooling 374 against NORTH_CENTRAL 162 MW/°C, where the
  sample world's zones respond alike). 95% confidence interval: slope ± t(0.975, n - groups - 1) x standard error
  (homoskedastic OLS; the t quantile is exact for 1-4 degrees of freedom and a 4-term Cornish-Fisher expansion
  beyond, within 3e-4 of the exact value). Holidays are not controlled for.
* **Forecast leads** (ERCOT load, wind and solar forecasts, every posted vintage in the warehouse): *hour_ahead* is
  the latest vintage posted strictly before the hour's start (what ``system_hourly`` calls the forecast);
  *day_ahead* the latest posted before 10:00 America/Chicago of the day before the hour's operating day (the
  day-ahead market's bid deadline); *days_2_7* every vintage posted 48 to 168 hours before the hour's start (each
  vintage counts once). Load: in-use model only (ties between in-use models to the greatest model code, as gold);
  areas ``SYSTEM`` and the weather zones (forecast zones have no actuals). Wind and solar: ``forecast_mw`` (STWPF /
  STPPF) by region (``SYSTEM`` and the ERCOT regions), actual = the generation of the latest vintage carrying one.
* **Price spikes**: per hub and load zone, an hour's RT price is a spike when it is at least
  :data:`SPIKE_ABSOLUTE_USD_MWH` (``spike_rule`` 'absolute'), or when it is at least the point's
  :data:`SPIKE_PERCENTILE` percentile of every RT hourly price the warehouse holds for it AND at least
  :data:`SPIKE_MEDIAN_MULTIPLE` x the point's median there (``spike_rule`` 'percentile'; the median guard keeps a flat
  lake spike-free). Both use only what the lake holds, so any length works: on a three-day lake the top hour of a
  point is its percentile spike when it stands out from the median.

Open-Meteo forecasts against its archive: the lake holds one weather series (``weather_hourly`` has no forecast
vintage or source column), so there is no ``v_weather_forecast_skill``; it needs the weather contract to keep both.
"""

from __future__ import annotations

from energylake.contracts import tables as silver
from energylake.warehouse.shapes import View, WarehouseTable

__all__ = [
    "BALANCE_POINT_C",
    "DAY_AHEAD_CUTOFF_LOCAL_HOUR",
    "LOAD_TEMPERATURE_METHOD",
    "MARKET_TIME_ZONE",
    "PRICE_POINT_TYPES",
    "SOLAR_BIN_WM2",
    "SPIKE_ABSOLUTE_USD_MWH",
    "SPIKE_MEDIAN_MULTIPLE",
    "SPIKE_PERCENTILE",
    "WIND_BIN_MS",
    "analyst_views",
]

# --- parameters (documented in the views' descriptions) ----------------------------------------------------------
BALANCE_POINT_C = silver.DEGREE_BASE_C  # 65 °F: the base of the gold degree hours
SPIKE_ABSOLUTE_USD_MWH = 500.0
SPIKE_PERCENTILE = 0.99
SPIKE_MEDIAN_MULTIPLE = 2.0
WIND_BIN_MS = 1.0
SOLAR_BIN_WM2 = 50.0
MARKET_TIME_ZONE = "America/Chicago"
DAY_AHEAD_CUTOFF_LOCAL_HOUR = 10  # ERCOT's day-ahead market closes at 10:00 Central on the day before
DAYS_2_7_HOURS = (48, 168)
PRICE_POINT_TYPES: tuple[str, ...] = (*silver.HUB_POINT_TYPES, "LZ", "LZEW", "LZ_DC", "LZ_DCEW")

LOAD_TEMPERATURE_METHOD = (
    "OLS of zone load on degree hours with hour-of-day x day-type (weekday/weekend) fixed effects (within-group "
    "demeaning), per zone and regime; 95% CI = slope +/- t(0.975, hours - groups - 1) x standard error"
)

_Z975 = 1.959963984540054
# t(0.975, df) = z + sum(c_k / df^k): Cornish-Fisher terms for z = 1.96 (Abramowitz & Stegun 26.7.5).
_T_TERMS = (2.372271230298562, 2.8224986157396112, 2.555849679507722, 1.5895340533938225)
_T_EXACT = {1: 12.706204736, 2: 4.302652730, 3: 3.182446305, 4: 2.776445105}


def _t975(df: str) -> str:
    """SQL for the two-sided 95% Student t quantile of ``df`` (a DOUBLE expression >= 1) degrees of freedom."""
    exact = " ".join(f"WHEN {df} = {n} THEN {value}" for n, value in _T_EXACT.items())
    series = " + ".join(f"{c!r} / ({' * '.join([df] * (k + 1))})" for k, c in enumerate(_T_TERMS))
    return f"CASE {exact} ELSE {_Z975!r} + {series} END"


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


# --- load and temperature ----------------------------------------------------------------------------------------

_LOAD_TEMPERATURE_POINTS = """
SELECT
    interval_start_utc,
    operating_day,
    hour_ending,
    weather_zone,
    temperature_2m_c AS temperature_c,
    load_mw,
    cooling_degree_hours,
    heating_degree_hours,
    CASE WHEN cooling_degree_hours > 0 THEN 'cooling' WHEN heating_degree_hours > 0 THEN 'heating' END AS regime,
    CASE WHEN EXTRACT(DOW FROM operating_day) IN (0, 6) THEN 'weekend' ELSE 'weekday' END AS day_type
FROM energy_weather_hourly
WHERE has_load AND has_weather AND load_mw IS NOT NULL AND temperature_2m_c IS NOT NULL
"""

_DF = "CAST(f.hours - f.hour_groups - 1 AS DOUBLE)"

_LOAD_TEMPERATURE_SENSITIVITY = f"""
WITH obs AS (
    SELECT weather_zone, regime, hour_ending, day_type, cooling_degree_hours AS x, load_mw AS y
    FROM v_load_temperature_points
    WHERE regime = 'cooling'
    UNION ALL
    SELECT weather_zone, regime, hour_ending, day_type, heating_degree_hours AS x, load_mw AS y
    FROM v_load_temperature_points
    WHERE regime = 'heating'
),
hour_means AS (
    SELECT weather_zone, regime, hour_ending, day_type, AVG(x) AS mean_x, AVG(y) AS mean_y
    FROM obs
    GROUP BY weather_zone, regime, hour_ending, day_type
),
hour_group_counts AS (
    SELECT weather_zone, regime, COUNT(*) AS hour_groups
    FROM hour_means
    GROUP BY weather_zone, regime
),
sums AS (
    SELECT
        o.weather_zone,
        o.regime,
        COUNT(*) AS hours,
        AVG(o.x) AS mean_degree_hours,
        AVG(o.y) AS mean_load_mw,
        SUM((o.x - m.mean_x) * (o.y - m.mean_y)) AS sxy,
        SUM((o.x - m.mean_x) * (o.x - m.mean_x)) AS sxx,
        SUM((o.y - m.mean_y) * (o.y - m.mean_y)) AS syy_within,
        SUM(o.y * o.y) - COUNT(*) * AVG(o.y) * AVG(o.y) AS syy_total
    FROM obs AS o
    JOIN hour_means AS m
        ON m.weather_zone = o.weather_zone
        AND m.regime = o.regime
        AND m.hour_ending = o.hour_ending
        AND m.day_type = o.day_type
    GROUP BY o.weather_zone, o.regime
),
fit AS (
    SELECT
        s.*,
        g.hour_groups,
        CASE WHEN s.sxx > 0 THEN s.sxy / s.sxx END AS slope,
        CASE WHEN s.sxx > 0 THEN GREATEST(s.syy_within - s.sxy * s.sxy / s.sxx, 0.0) END AS sse
    FROM sums AS s
    JOIN hour_group_counts AS g ON g.weather_zone = s.weather_zone AND g.regime = s.regime
),
inference AS (
    SELECT
        f.*,
        CASE WHEN f.hours - f.hour_groups - 1 >= 1 THEN SQRT(f.sse / {_DF} / f.sxx) END AS standard_error,
        CASE WHEN f.hours - f.hour_groups - 1 >= 1 THEN {_t975(_DF)} END AS t_quantile
    FROM fit AS f
)
SELECT
    weather_zone,
    regime,
    slope AS slope_mw_per_c,
    slope - t_quantile * standard_error AS slope_ci95_low_mw_per_c,
    slope + t_quantile * standard_error AS slope_ci95_high_mw_per_c,
    standard_error AS slope_standard_error_mw_per_c,
    CASE WHEN syy_total > 0 THEN 1.0 - sse / syy_total END AS r_squared,
    CASE WHEN syy_within > 0 THEN 1.0 - sse / syy_within END AS r_squared_within,
    hours,
    hour_groups AS fixed_effect_groups,
    hours - hour_groups - 1 AS residual_degrees_of_freedom,
    CAST({BALANCE_POINT_C} AS DOUBLE) AS balance_point_c,
    mean_degree_hours,
    mean_load_mw,
    '{LOAD_TEMPERATURE_METHOD}' AS method
FROM inference
"""

# --- forecasts by lead -------------------------------------------------------------------------------------------

_FORECAST_BY_LEAD = f"""
WITH load_actuals AS (
    SELECT 'load' AS forecast, 'SYSTEM' AS area, interval_start_utc, load_mw AS actual_mw
    FROM system_hourly
    WHERE has_load AND load_mw IS NOT NULL
    UNION ALL
    SELECT 'load' AS forecast, weather_zone AS area, interval_start_utc, load_mw AS actual_mw
    FROM ercot_load_by_weather_zone
),
renewable_ranked AS (
    SELECT
        resource,
        region,
        interval_start_utc,
        generation_mw,
        ROW_NUMBER() OVER (PARTITION BY resource, region, interval_start_utc ORDER BY posted_at_utc DESC) AS rn
    FROM ercot_wind_solar
    WHERE generation_mw IS NOT NULL
),
actuals AS (
    SELECT forecast, area, interval_start_utc, actual_mw FROM load_actuals
    UNION ALL
    SELECT LOWER(resource) AS forecast, region AS area, interval_start_utc, generation_mw AS actual_mw
    FROM renewable_ranked
    WHERE rn = 1
),
vintages AS (
    SELECT
        'load' AS forecast,
        CASE WHEN zone_type = 'SYSTEM' THEN 'SYSTEM' ELSE zone END AS area,
        model,
        interval_start_utc,
        posted_at_utc,
        load_forecast_mw AS forecast_mw
    FROM ercot_load_forecast
    WHERE in_use AND zone_type IN ('SYSTEM', 'WEATHER') AND posted_at_utc < interval_start_utc
    UNION ALL
    SELECT
        LOWER(resource) AS forecast, region AS area, resource AS model, interval_start_utc, posted_at_utc, forecast_mw
    FROM ercot_wind_solar
    WHERE forecast_mw IS NOT NULL AND posted_at_utc < interval_start_utc
),
targets AS (
    SELECT
        interval_start_utc,
        CAST(
            CAST(CAST(interval_start_utc AT TIME ZONE '{MARKET_TIME_ZONE}' AS DATE) - 1 AS TIMESTAMP)
                + INTERVAL '{DAY_AHEAD_CUTOFF_LOCAL_HOUR} hours' AS TIMESTAMP
        ) AT TIME ZONE '{MARKET_TIME_ZONE}' AS day_ahead_cutoff_utc
    FROM (SELECT DISTINCT interval_start_utc FROM vintages) AS hours
),
hour_ahead AS (
    SELECT forecast, area, model, interval_start_utc, posted_at_utc, forecast_mw,
        ROW_NUMBER() OVER (
            PARTITION BY forecast, area, interval_start_utc ORDER BY posted_at_utc DESC, model DESC
        ) AS rn
    FROM vintages
),
day_ahead AS (
    SELECT v.forecast, v.area, v.model, v.interval_start_utc, v.posted_at_utc, v.forecast_mw,
        ROW_NUMBER() OVER (
            PARTITION BY v.forecast, v.area, v.interval_start_utc ORDER BY v.posted_at_utc DESC, v.model DESC
        ) AS rn
    FROM vintages AS v
    JOIN targets AS t ON t.interval_start_utc = v.interval_start_utc
    WHERE v.posted_at_utc < t.day_ahead_cutoff_utc
),
by_lead AS (
    SELECT 'hour_ahead' AS lead, forecast, area, model, interval_start_utc, posted_at_utc, forecast_mw
    FROM hour_ahead
    WHERE rn = 1
    UNION ALL
    SELECT 'day_ahead' AS lead, forecast, area, model, interval_start_utc, posted_at_utc, forecast_mw
    FROM day_ahead
    WHERE rn = 1
    UNION ALL
    SELECT 'days_2_7' AS lead, forecast, area, model, interval_start_utc, posted_at_utc, forecast_mw
    FROM vintages
    WHERE posted_at_utc <= interval_start_utc - INTERVAL '{DAYS_2_7_HOURS[0]} hours'
        AND posted_at_utc >= interval_start_utc - INTERVAL '{DAYS_2_7_HOURS[1]} hours'
)
SELECT
    b.forecast,
    b.area,
    b.lead,
    b.model,
    b.interval_start_utc,
    b.posted_at_utc,
    CAST(DATE_DIFF('minute', b.posted_at_utc, b.interval_start_utc) AS DOUBLE) / 60.0 AS lead_hours,
    b.forecast_mw,
    a.actual_mw,
    b.forecast_mw - a.actual_mw AS error_mw
FROM by_lead AS b
LEFT JOIN actuals AS a
    ON a.forecast = b.forecast AND a.area = b.area AND a.interval_start_utc = b.interval_start_utc
"""

_FORECAST_SKILL = """
SELECT
    forecast,
    area,
    lead,
    COUNT(DISTINCT interval_start_utc) AS hours,
    COUNT(*) AS forecasts,
    MIN(lead_hours) AS min_lead_hours,
    MAX(lead_hours) AS max_lead_hours,
    AVG(ABS(error_mw)) AS mae_mw,
    100.0 * AVG(CASE WHEN actual_mw > 0 THEN ABS(error_mw) / actual_mw END) AS mape_pct,
    CASE WHEN SUM(actual_mw) > 0 THEN 100.0 * SUM(ABS(error_mw)) / SUM(actual_mw) END AS wape_pct,
    AVG(error_mw) AS bias_mw,
    SQRT(AVG(error_mw * error_mw)) AS rmse_mw
FROM v_forecast_by_lead
WHERE actual_mw IS NOT NULL
GROUP BY forecast, area, lead
"""


def _pivot(forecast: str, lead: str) -> str:
    return f"MAX(CASE WHEN forecast = '{forecast}' AND lead = '{lead}' THEN forecast_mw END)"


_SYSTEM_FORECASTS_HOURLY = f"""
WITH pivoted AS (
    SELECT
        interval_start_utc,
        {_pivot("load", "hour_ahead")} AS load_forecast_hour_ahead_mw,
        {_pivot("load", "day_ahead")} AS load_forecast_day_ahead_mw,
        {_pivot("wind", "hour_ahead")} AS wind_forecast_hour_ahead_mw,
        {_pivot("wind", "day_ahead")} AS wind_forecast_day_ahead_mw,
        {_pivot("solar", "hour_ahead")} AS solar_forecast_hour_ahead_mw,
        {_pivot("solar", "day_ahead")} AS solar_forecast_day_ahead_mw
    FROM v_forecast_by_lead
    WHERE area = 'SYSTEM' AND lead IN ('hour_ahead', 'day_ahead')
    GROUP BY interval_start_utc
)
SELECT
    s.interval_start_utc,
    s.operating_day,
    s.hour_ending,
    s.repeated_hour,
    s.load_mw,
    p.load_forecast_hour_ahead_mw,
    p.load_forecast_day_ahead_mw,
    s.wind_generation_mw,
    p.wind_forecast_hour_ahead_mw,
    p.wind_forecast_day_ahead_mw,
    s.solar_generation_mw,
    p.solar_forecast_hour_ahead_mw,
    p.solar_forecast_day_ahead_mw,
    s.net_load_mw
FROM system_hourly AS s
LEFT JOIN pivoted AS p ON p.interval_start_utc = s.interval_start_utc
"""

# --- prices ------------------------------------------------------------------------------------------------------

_PRICES_HOURLY = f"""
SELECT
    interval_start_utc,
    operating_day,
    hour_ending,
    repeated_hour,
    settlement_point,
    settlement_point_type,
    CASE WHEN settlement_point_type IN ({_quoted(silver.HUB_POINT_TYPES)}) THEN 'hub' ELSE 'load_zone' END
        AS point_kind,
    rt_price_mean_usd_mwh AS rt_price_usd_mwh,
    rt_price_min_usd_mwh,
    rt_price_max_usd_mwh,
    rt_intervals,
    dam_price_usd_mwh,
    dam_price_usd_mwh - rt_price_mean_usd_mwh AS dam_rt_spread_usd_mwh
FROM ercot_spp_hourly
WHERE settlement_point_type IN ({_quoted(PRICE_POINT_TYPES)})
"""

_PRICE_SPIKES = f"""
WITH prices AS (
    SELECT * FROM v_prices_hourly WHERE rt_price_usd_mwh IS NOT NULL
),
lake AS (
    SELECT
        settlement_point,
        settlement_point_type,
        COUNT(*) AS lake_hours,
        MEDIAN(rt_price_usd_mwh) AS lake_median_rt_price_usd_mwh,
        PERCENTILE_CONT({SPIKE_PERCENTILE}) WITHIN GROUP (ORDER BY rt_price_usd_mwh) AS lake_percentile_rt_price_usd_mwh
    FROM prices
    GROUP BY settlement_point, settlement_point_type
)
SELECT
    p.interval_start_utc,
    p.operating_day,
    p.hour_ending,
    p.repeated_hour,
    p.settlement_point,
    p.settlement_point_type,
    p.point_kind,
    p.rt_price_usd_mwh,
    p.dam_price_usd_mwh,
    p.dam_rt_spread_usd_mwh,
    CASE WHEN p.rt_price_usd_mwh >= {SPIKE_ABSOLUTE_USD_MWH} THEN 'absolute' ELSE 'percentile' END AS spike_rule,
    l.lake_hours,
    l.lake_median_rt_price_usd_mwh,
    l.lake_percentile_rt_price_usd_mwh,
    CASE WHEN l.lake_median_rt_price_usd_mwh > 0 THEN p.rt_price_usd_mwh / l.lake_median_rt_price_usd_mwh END
        AS price_to_median_ratio,
    s.load_mw,
    s.net_load_mw,
    s.wind_generation_mw,
    s.solar_generation_mw,
    s.load_weighted_temperature_c
FROM prices AS p
JOIN lake AS l ON l.settlement_point = p.settlement_point AND l.settlement_point_type = p.settlement_point_type
LEFT JOIN system_hourly AS s ON s.interval_start_utc = p.interval_start_utc
WHERE p.rt_price_usd_mwh >= {SPIKE_ABSOLUTE_USD_MWH}
    OR (
        l.lake_median_rt_price_usd_mwh > 0
        AND p.rt_price_usd_mwh >= l.lake_percentile_rt_price_usd_mwh
        AND p.rt_price_usd_mwh >= {SPIKE_MEDIAN_MULTIPLE} * l.lake_median_rt_price_usd_mwh
    )
"""

# --- generation --------------------------------------------------------------------------------------------------

# Redshift's DATE_TRUNC returns a TIMESTAMP (in the session's time zone, UTC unless changed): cast back to TIMESTAMPTZ
# so the column has the type of every other interval_start_utc (and joins the gold hour grid).
_FUEL_MIX_HOURLY = """
WITH hourly AS (
    SELECT
        CAST(DATE_TRUNC('hour', interval_start_utc) AS TIMESTAMPTZ) AS interval_start_utc,
        fuel,
        AVG(generation_mw) AS generation_mw,
        COUNT(*) AS intervals
    FROM ercot_fuel_mix
    GROUP BY CAST(DATE_TRUNC('hour', interval_start_utc) AS TIMESTAMPTZ), fuel
)
SELECT
    h.interval_start_utc,
    s.operating_day,
    s.hour_ending,
    s.repeated_hour,
    h.fuel,
    h.generation_mw,
    h.intervals
FROM hourly AS h
LEFT JOIN system_hourly AS s ON s.interval_start_utc = h.interval_start_utc
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


def _data_freshness_sql(tables: tuple[WarehouseTable, ...], loaded_at: str) -> str:
    expected: list[str] = []
    stats: list[str] = []
    for t in tables:
        newest = t.freshness
        for source in t.sources:
            expected.append(f"SELECT '{t.name}' AS table_name, '{source}' AS dataset, '{newest}' AS freshness_column")
        if t.zone == "silver":
            stats.append(
                f"SELECT '{t.name}' AS table_name, source_dataset AS dataset, MAX({newest}) AS newest_utc, "
                f"COUNT(*) AS row_count, MAX({loaded_at}) AS newest_loaded_at_utc FROM {t.name} GROUP BY source_dataset"
            )
        else:
            stats.append(
                f"SELECT '{t.name}' AS table_name, '{t.sources[0]}' AS dataset, MAX({newest}) AS newest_utc, "
                f"COUNT(*) AS row_count, MAX({loaded_at}) AS newest_loaded_at_utc FROM {t.name}"
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


def analyst_views(tables: tuple[WarehouseTable, ...], loaded_at: str) -> tuple[View, ...]:
    """Every analyst view over ``tables`` (``loaded_at``: the load-time column), each after the views it reads."""
    spike_rule = (
        f"an hour's RT price >= {SPIKE_ABSOLUTE_USD_MWH:.0f} USD/MWh (spike_rule 'absolute'), or >= the point's "
        f"{SPIKE_PERCENTILE * 100:g}th percentile of every RT hourly price the warehouse holds for it and >= "
        f"{SPIKE_MEDIAN_MULTIPLE:g}x its median there ('percentile')"
    )
    leads = (
        "hour_ahead = latest vintage posted before the hour's start; day_ahead = latest posted before 10:00 "
        "America/Chicago of the day before the operating day; days_2_7 = every vintage posted 48-168 h before the hour"
    )
    return (
        View(
            "v_load_temperature_points",
            "Per weather zone and hour with load and weather: temperature, load, degree hours and regime (cooling "
            f"above {BALANCE_POINT_C:.2f} °C, heating below): the points the sensitivity fit uses",
            _LOAD_TEMPERATURE_POINTS,
        ),
        View(
            "v_load_temperature_sensitivity",
            f"Per weather zone and regime (cooling above / heating below {BALANCE_POINT_C:.2f} °C): MW per °C of "
            f"degree hours by {LOAD_TEMPERATURE_METHOD}; r_squared of the whole model, r_squared_within of the "
            "temperature term alone",
            _LOAD_TEMPERATURE_SENSITIVITY,
        ),
        View(
            "v_forecast_by_lead",
            f"ERCOT load (in-use model; SYSTEM and weather zones), wind and solar (by region) forecasts by lead: "
            f"{leads}; with the actual and the error (forecast - actual)",
            _FORECAST_BY_LEAD,
        ),
        View(
            "v_forecast_skill",
            "Per forecast (load, wind, solar), area and lead (hour_ahead, day_ahead, days_2_7): hours, MAE, MAPE "
            "(over hours with actual > 0), WAPE, bias (forecast - actual) and RMSE against actuals",
            _FORECAST_SKILL,
        ),
        View(
            "v_system_forecasts_hourly",
            f"Per hour: system load, wind and solar actuals with ERCOT's hour-ahead and day-ahead forecasts ({leads}), "
            "and net load",
            _SYSTEM_FORECASTS_HOURLY,
        ),
        View(
            "v_prices_hourly",
            "Per hub and load zone (LZ and energy-weighted LZEW are two series) and hour: RT price (mean of the "
            "15-minute prices), DAM price and the DAM - RT spread",
            _PRICES_HOURLY,
        ),
        View(
            "v_price_spikes",
            f"Hub and load-zone hours whose RT price is a spike: {spike_rule}; works on a lake of any length. With "
            "load, net load, renewables and load-weighted temperature",
            _PRICE_SPIKES,
        ),
        View(
            "v_fuel_mix_hourly",
            "Per hour and fuel: mean generation of the hour's 5-minute fuel-mix values (storage negative when "
            "charging)",
            _FUEL_MIX_HOURLY,
        ),
        View(
            "v_wind_vs_wind_speed",
            "Per hour: system wind generation against the mean 100 m wind speed of the weather zones (and its 1 m/s "
            "bin)",
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
            "Per Central calendar month: the hour ending with the highest average system load, and the peak hour's "
            "load",
            _PEAK_HOURS_BY_MONTH,
        ),
        View(
            "v_data_freshness",
            "Per table and dataset: newest time (interval start; posting time for forecasts), minutes behind now, rows",
            _data_freshness_sql(tables, loaded_at),
        ),
    )
