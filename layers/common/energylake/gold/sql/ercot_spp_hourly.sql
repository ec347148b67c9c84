-- ercot_spp_hourly: one row per settlement point, settlement point type and hour with any RT or DAM price.
-- Inputs: the views spp_rt and spp_dam (silver), hours (hours.sql).
WITH
latest_price AS (
    SELECT
        market,
        settlement_point,
        -- Silver curated before the type joined the key may hold DAM rows without one: the parser then typed only
        -- hubs and load zones from the name, so an untyped DAM point is a resource node.
        CASE WHEN market = 'DAM' THEN coalesce(settlement_point_type, 'RN') ELSE settlement_point_type END AS point_type,
        date_trunc('hour', interval_start_utc) AS hour_start,
        price_usd_mwh
    FROM (SELECT * FROM spp_rt UNION ALL SELECT * FROM spp_dam) AS spp
    WHERE interval_start_utc >= $start_utc AND interval_start_utc < $end_utc
    QUALIFY row_number() OVER (
        PARTITION BY market, settlement_point, settlement_point_type, interval_start_utc
        ORDER BY fetched_at_utc DESC, raw_key DESC
    ) = 1
),
-- Real time lists each load zone twice under one name (LZ and the energy-weighted LZEW, at different prices):
-- every type is a series of its own.
rt_series AS (
    SELECT
        settlement_point,
        point_type AS settlement_point_type,
        hour_start,
        avg(price_usd_mwh) AS rt_price_mean_usd_mwh,
        min(price_usd_mwh) AS rt_price_min_usd_mwh,
        max(price_usd_mwh) AS rt_price_max_usd_mwh,
        count(price_usd_mwh) AS rt_intervals
    FROM latest_price
    WHERE market = 'RT15'
    GROUP BY settlement_point, point_type, hour_start
),
dam_series AS (
    SELECT settlement_point, point_type AS dam_type, hour_start, avg(price_usd_mwh) AS dam_price
    FROM latest_price
    WHERE market = 'DAM'
    GROUP BY settlement_point, point_type, hour_start
),
-- The DAM report has no type column (the parser infers HU/LZ/RN from the name), so a DAM price goes to the RT
-- series of the same point, hour and type; else to the smallest RT type that is not energy weighted (a DAM RN is
-- RT's PCCRN, a DAM HU for HB_HUBAVG is RT's AH); else it keeps its own type. No energy-weighted DAM price exists.
rt_fallback AS (
    SELECT settlement_point, hour_start, min(settlement_point_type) AS fallback_type
    FROM rt_series
    WHERE settlement_point_type NOT IN $energy_weighted_point_types
    GROUP BY settlement_point, hour_start
),
dam_on_series AS (
    SELECT
        dam_series.settlement_point,
        dam_series.hour_start,
        CASE
            WHEN same_type.settlement_point IS NOT NULL THEN dam_series.dam_type
            ELSE coalesce(rt_fallback.fallback_type, dam_series.dam_type)
        END AS settlement_point_type,
        dam_series.dam_price
    FROM dam_series
    LEFT JOIN rt_series AS same_type
        ON same_type.settlement_point = dam_series.settlement_point
        AND same_type.hour_start = dam_series.hour_start
        AND same_type.settlement_point_type = dam_series.dam_type
    LEFT JOIN rt_fallback
        ON rt_fallback.settlement_point = dam_series.settlement_point
        AND rt_fallback.hour_start = dam_series.hour_start
),
dam_hourly AS (
    SELECT settlement_point, settlement_point_type, hour_start, avg(dam_price) AS dam_price_usd_mwh
    FROM dam_on_series
    GROUP BY settlement_point, settlement_point_type, hour_start
),
-- A point-hour's DAM price without an RT series to join keeps a row of its own, typed as DAM, with 0 RT intervals.
series_hours AS (
    SELECT
        settlement_point,
        settlement_point_type,
        hour_start,
        rt_series.rt_price_mean_usd_mwh,
        rt_series.rt_price_min_usd_mwh,
        rt_series.rt_price_max_usd_mwh,
        coalesce(rt_series.rt_intervals, 0) AS rt_intervals,
        dam_hourly.dam_price_usd_mwh
    FROM rt_series
    FULL OUTER JOIN dam_hourly USING (settlement_point, settlement_point_type, hour_start)
)
SELECT
    series_hours.settlement_point,
    series_hours.settlement_point_type,
    hours.interval_start_utc,
    hours.interval_end_utc,
    hours.operating_day,
    hours.hour_ending,
    hours.repeated_hour,
    series_hours.rt_price_mean_usd_mwh,
    series_hours.rt_price_min_usd_mwh,
    series_hours.rt_price_max_usd_mwh,
    CAST(series_hours.rt_intervals AS TINYINT) AS rt_intervals,
    series_hours.dam_price_usd_mwh
FROM series_hours
JOIN hours ON hours.interval_start_utc = series_hours.hour_start
