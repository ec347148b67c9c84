-- hours: every UTC hour of the build range [$start_utc, $end_utc), labelled in ERCOT's market time.
-- The grid comes from the bounds, never from data, so a missing input cannot drop an hour.
-- operating_day / hour_ending: the hour's start on the Central wall clock (hour ending = local hour + 1: the
-- spring-forward day has no HE 3, the fall-back day has HE 2 twice). repeated_hour: the wall clock did not move
-- forward over the last UTC hour, i.e. the second (standard-time) occurrence of the fall-back hour.
WITH grid AS (
    SELECT unnest(generate_series($start_utc, $end_utc - INTERVAL 1 HOUR, INTERVAL 1 HOUR)) AS interval_start_utc
),
wall_clock AS (
    SELECT
        interval_start_utc,
        interval_start_utc AT TIME ZONE $market_time_zone AS local_start,
        (interval_start_utc - INTERVAL 1 HOUR) AT TIME ZONE $market_time_zone AS local_start_of_hour_before
    FROM grid
)
SELECT
    interval_start_utc,
    interval_start_utc + INTERVAL 1 HOUR AS interval_end_utc,
    CAST(local_start AS DATE) AS operating_day,
    CAST(hour(local_start) + 1 AS TINYINT) AS hour_ending,
    local_start <= local_start_of_hour_before AS repeated_hour
FROM wall_clock
