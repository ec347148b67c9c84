-- energy_weather_hourly: one row per weather zone and hour of the build range: the zone's load and its weather.
-- Inputs: the views load_weather_zone and weather (silver), hours (hours.sql).
WITH
-- The latest fetch of each natural key wins (then the greatest raw_key): silver keeps every fetch's rows.
latest_load AS (
    SELECT weather_zone, interval_start_utc, load_mw
    FROM load_weather_zone
    WHERE interval_start_utc >= $start_utc AND interval_start_utc < $end_utc
    QUALIFY row_number() OVER (
        PARTITION BY weather_zone, interval_start_utc ORDER BY fetched_at_utc DESC, raw_key DESC
    ) = 1
),
-- Weather stamped at the range's end too: the last hour's end point.
latest_weather AS (
    SELECT
        weather_zone, time_utc, temperature_2m_c, dew_point_2m_c, relative_humidity_2m_pct, wind_speed_100m_ms,
        cloud_cover_pct, shortwave_radiation_wm2, precipitation_mm
    FROM weather
    WHERE time_utc >= $start_utc AND time_utc <= $end_utc
    QUALIFY row_number() OVER (PARTITION BY weather_zone, time_utc ORDER BY fetched_at_utc DESC, raw_key DESC) = 1
),
-- Every zone of the contract for every hour: a zone that did not report keeps its rows.
zone_hours AS (
    SELECT zones.weather_zone, hours.*
    FROM hours CROSS JOIN (SELECT unnest($weather_zones) AS weather_zone) AS zones
),
aligned AS (
    SELECT
        zone_hours.*,
        latest_load.load_mw,
        latest_load.weather_zone IS NOT NULL AS has_load,
        -- instantaneous weather needs Open-Meteo's values at both ends of the hour
        at_start.time_utc IS NOT NULL AND at_end.time_utc IS NOT NULL AS has_weather,
        at_start.temperature_2m_c AS start_temperature_2m_c,
        at_end.temperature_2m_c AS end_temperature_2m_c,
        at_start.dew_point_2m_c AS start_dew_point_2m_c,
        at_end.dew_point_2m_c AS end_dew_point_2m_c,
        at_start.relative_humidity_2m_pct AS start_relative_humidity_2m_pct,
        at_end.relative_humidity_2m_pct AS end_relative_humidity_2m_pct,
        at_start.wind_speed_100m_ms AS start_wind_speed_100m_ms,
        at_end.wind_speed_100m_ms AS end_wind_speed_100m_ms,
        at_start.cloud_cover_pct AS start_cloud_cover_pct,
        at_end.cloud_cover_pct AS end_cloud_cover_pct,
        -- radiation and precipitation stamped at the hour's end describe exactly [start, end)
        at_end.shortwave_radiation_wm2,
        at_end.precipitation_mm
    FROM zone_hours
    LEFT JOIN latest_load
        ON latest_load.weather_zone = zone_hours.weather_zone
        AND latest_load.interval_start_utc = zone_hours.interval_start_utc
    LEFT JOIN latest_weather AS at_start
        ON at_start.weather_zone = zone_hours.weather_zone AND at_start.time_utc = zone_hours.interval_start_utc
    LEFT JOIN latest_weather AS at_end
        ON at_end.weather_zone = zone_hours.weather_zone AND at_end.time_utc = zone_hours.interval_end_utc
),
hourly AS (
    SELECT
        weather_zone, interval_start_utc, interval_end_utc, operating_day, hour_ending, repeated_hour,
        load_mw,
        CASE WHEN has_weather THEN (start_temperature_2m_c + end_temperature_2m_c) / 2 END AS temperature_2m_c,
        CASE WHEN has_weather THEN (start_dew_point_2m_c + end_dew_point_2m_c) / 2 END AS dew_point_2m_c,
        CASE WHEN has_weather THEN (start_relative_humidity_2m_pct + end_relative_humidity_2m_pct) / 2 END
            AS relative_humidity_2m_pct,
        CASE WHEN has_weather THEN (start_wind_speed_100m_ms + end_wind_speed_100m_ms) / 2 END AS wind_speed_100m_ms,
        shortwave_radiation_wm2,
        CASE WHEN has_weather THEN (start_cloud_cover_pct + end_cloud_cover_pct) / 2 END AS cloud_cover_pct,
        precipitation_mm,
        has_load,
        has_weather
    FROM aligned
)
SELECT
    weather_zone, interval_start_utc, interval_end_utc, operating_day, hour_ending, repeated_hour,
    load_mw, temperature_2m_c, dew_point_2m_c, relative_humidity_2m_pct, wind_speed_100m_ms,
    shortwave_radiation_wm2, cloud_cover_pct, precipitation_mm,
    -- degree hours from the hour's temperature; NULL without one (greatest() would skip a NULL)
    CASE WHEN temperature_2m_c IS NOT NULL THEN greatest(temperature_2m_c - $degree_base_c, 0.0) END
        AS cooling_degree_hours,
    CASE WHEN temperature_2m_c IS NOT NULL THEN greatest($degree_base_c - temperature_2m_c, 0.0) END
        AS heating_degree_hours,
    has_load,
    has_weather
FROM hourly
