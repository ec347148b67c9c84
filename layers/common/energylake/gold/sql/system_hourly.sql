-- system_hourly: one row per hour of the build range: system load, forecasts, wind and solar, hub prices, weather.
-- Inputs: the views load_forecast, wind and solar (silver), and the gold rows of energy_weather_hourly (every zone
-- and hour: the zone loads and temperatures) and ercot_spp_hourly (a hub's hourly RT mean and DAM price).
WITH
zone_totals AS (
    SELECT
        interval_start_utc, interval_end_utc, operating_day, hour_ending, repeated_hour,
        sum(load_mw) AS load_mw,
        count(load_mw) AS load_zones,
        count(load_mw) = count(*) AS has_load,
        bool_and(has_weather) AS has_weather,
        sum(temperature_2m_c * load_mw) FILTER (WHERE temperature_2m_c IS NOT NULL AND load_mw IS NOT NULL)
            AS temperature_times_load,
        sum(load_mw) FILTER (WHERE temperature_2m_c IS NOT NULL AND load_mw IS NOT NULL) AS load_with_temperature
    FROM energy_weather_hourly
    GROUP BY interval_start_utc, interval_end_utc, operating_day, hour_ending, repeated_hour
),
-- ERCOT's system-wide forecast, deduplicated per natural key (latest fetch wins) before anything else.
latest_load_forecast AS (
    SELECT model, in_use, posted_at_utc, interval_start_utc, load_forecast_mw
    FROM load_forecast
    WHERE zone_type = 'SYSTEM' AND interval_start_utc >= $start_utc AND interval_start_utc < $end_utc
    QUALIFY row_number() OVER (
        PARTITION BY model, posted_at_utc, zone_type, zone, interval_start_utc
        ORDER BY fetched_at_utc DESC, raw_key DESC
    ) = 1
),
-- The in-use vintage posted last strictly before the hour's start; ties go to the greatest model code.
hour_load_forecast AS (
    SELECT interval_start_utc, load_forecast_mw
    FROM latest_load_forecast
    WHERE coalesce(in_use, false) AND posted_at_utc < interval_start_utc
    QUALIFY row_number() OVER (
        PARTITION BY interval_start_utc ORDER BY posted_at_utc DESC, model DESC, load_forecast_mw DESC
    ) = 1
),
latest_renewable AS (
    SELECT resource, posted_at_utc, interval_start_utc, generation_mw, forecast_mw
    FROM (SELECT * FROM wind UNION ALL SELECT * FROM solar) AS renewable
    WHERE region = 'SYSTEM' AND interval_start_utc >= $start_utc AND interval_start_utc < $end_utc
    QUALIFY row_number() OVER (
        PARTITION BY resource, region, posted_at_utc, interval_start_utc ORDER BY fetched_at_utc DESC, raw_key DESC
    ) = 1
),
-- Generation: the actual of the latest vintage that carries one. Forecast: the latest vintage posted strictly
-- before the hour's start.
hour_renewables AS (
    SELECT
        interval_start_utc,
        arg_max(generation_mw, posted_at_utc) FILTER (WHERE resource = 'WIND' AND generation_mw IS NOT NULL)
            AS wind_generation_mw,
        arg_max(forecast_mw, posted_at_utc) FILTER (
            WHERE resource = 'WIND' AND forecast_mw IS NOT NULL AND posted_at_utc < interval_start_utc
        ) AS wind_forecast_mw,
        arg_max(generation_mw, posted_at_utc) FILTER (WHERE resource = 'SOLAR' AND generation_mw IS NOT NULL)
            AS solar_generation_mw,
        arg_max(forecast_mw, posted_at_utc) FILTER (
            WHERE resource = 'SOLAR' AND forecast_mw IS NOT NULL AND posted_at_utc < interval_start_utc
        ) AS solar_forecast_mw
    FROM latest_renewable
    GROUP BY interval_start_utc
),
-- Hub prices from the hub-typed rows only: a name listed under several types must not mix two series.
hub_prices AS (
    SELECT
        interval_start_utc,
        max(rt_price_mean_usd_mwh) FILTER (WHERE settlement_point = 'HB_HUBAVG') AS rt_price_hub_avg_usd_mwh,
        max(rt_price_mean_usd_mwh) FILTER (WHERE settlement_point = 'HB_HOUSTON') AS rt_price_hb_houston_usd_mwh,
        max(rt_price_mean_usd_mwh) FILTER (WHERE settlement_point = 'HB_NORTH') AS rt_price_hb_north_usd_mwh,
        max(rt_price_mean_usd_mwh) FILTER (WHERE settlement_point = 'HB_SOUTH') AS rt_price_hb_south_usd_mwh,
        max(rt_price_mean_usd_mwh) FILTER (WHERE settlement_point = 'HB_WEST') AS rt_price_hb_west_usd_mwh,
        max(rt_price_mean_usd_mwh) FILTER (WHERE settlement_point = 'HB_PAN') AS rt_price_hb_pan_usd_mwh,
        max(dam_price_usd_mwh) FILTER (WHERE settlement_point = 'HB_HUBAVG') AS dam_price_hub_avg_usd_mwh,
        max(dam_price_usd_mwh) FILTER (WHERE settlement_point = 'HB_HOUSTON') AS dam_price_hb_houston_usd_mwh,
        max(dam_price_usd_mwh) FILTER (WHERE settlement_point = 'HB_NORTH') AS dam_price_hb_north_usd_mwh,
        max(dam_price_usd_mwh) FILTER (WHERE settlement_point = 'HB_SOUTH') AS dam_price_hb_south_usd_mwh,
        max(dam_price_usd_mwh) FILTER (WHERE settlement_point = 'HB_WEST') AS dam_price_hb_west_usd_mwh,
        max(dam_price_usd_mwh) FILTER (WHERE settlement_point = 'HB_PAN') AS dam_price_hb_pan_usd_mwh
    FROM ercot_spp_hourly
    WHERE settlement_point_type IN $hub_point_types
    GROUP BY interval_start_utc
)
SELECT
    zone_totals.interval_start_utc,
    zone_totals.interval_end_utc,
    zone_totals.operating_day,
    zone_totals.hour_ending,
    zone_totals.repeated_hour,
    zone_totals.load_mw,
    CAST(zone_totals.load_zones AS TINYINT) AS load_zones,
    hour_load_forecast.load_forecast_mw,
    hour_renewables.wind_generation_mw,
    hour_renewables.wind_forecast_mw,
    hour_renewables.solar_generation_mw,
    hour_renewables.solar_forecast_mw,
    -- net load only for a complete hour: every zone and both actuals
    CASE
        WHEN zone_totals.has_load
            AND hour_renewables.wind_generation_mw IS NOT NULL
            AND hour_renewables.solar_generation_mw IS NOT NULL
        THEN zone_totals.load_mw - hour_renewables.wind_generation_mw - hour_renewables.solar_generation_mw
    END AS net_load_mw,
    hub_prices.rt_price_hub_avg_usd_mwh,
    hub_prices.rt_price_hb_houston_usd_mwh,
    hub_prices.rt_price_hb_north_usd_mwh,
    hub_prices.rt_price_hb_south_usd_mwh,
    hub_prices.rt_price_hb_west_usd_mwh,
    hub_prices.rt_price_hb_pan_usd_mwh,
    hub_prices.dam_price_hub_avg_usd_mwh,
    hub_prices.dam_price_hb_houston_usd_mwh,
    hub_prices.dam_price_hb_north_usd_mwh,
    hub_prices.dam_price_hb_south_usd_mwh,
    hub_prices.dam_price_hb_west_usd_mwh,
    hub_prices.dam_price_hb_pan_usd_mwh,
    -- zone temperatures weighted by zone load, over the zones having both
    CASE
        WHEN zone_totals.load_with_temperature <> 0
        THEN zone_totals.temperature_times_load / zone_totals.load_with_temperature
    END AS load_weighted_temperature_c,
    zone_totals.has_load,
    hub_prices.rt_price_hub_avg_usd_mwh IS NOT NULL AND hub_prices.dam_price_hub_avg_usd_mwh IS NOT NULL
        AS has_prices,
    hour_renewables.wind_generation_mw IS NOT NULL AND hour_renewables.solar_generation_mw IS NOT NULL
        AS has_renewables,
    zone_totals.has_weather
FROM zone_totals
LEFT JOIN hour_load_forecast ON hour_load_forecast.interval_start_utc = zone_totals.interval_start_utc
LEFT JOIN hour_renewables ON hour_renewables.interval_start_utc = zone_totals.interval_start_utc
LEFT JOIN hub_prices ON hub_prices.interval_start_utc = zone_totals.interval_start_utc
