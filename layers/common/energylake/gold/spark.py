"""Gold tables with PySpark: silver Parquet -> ``energy_weather_hourly``, ``system_hourly``, ``ercot_spp_hourly``.

The only module that imports pyspark. :func:`build_gold` is the stage (the Glue job and local runs call it); the
transforms are plain functions over DataFrames, testable without I/O. Column names and types come from the gold
contracts in :mod:`energylake.contracts.schemas`.

Rules
=====

Input
    Silver Parquet read with explicit schemas (:func:`spark_schema` converts the pyarrow contract), one UTC date
    partition folder at a time (``basePath`` set, the ``date`` partition column dropped); a dataset without silver
    files is an empty input, not an error. Rows are filtered to the build's UTC bounds, then **deduplicated**: silver
    may hold one natural key from several fetches (a dashboard seen twice, a day refetched), and
    :func:`latest_per_key` keeps the row with the greatest ``fetched_at_utc`` (then the greatest ``raw_key``), the
    same function for every table.

Build range (why it is wider than the window)
    A window is ERCOT operating days (Central), but gold is partitioned by UTC date and a Central day straddles two
    UTC dates. Writing only the window's hours with dynamic partition overwrite would replace a partly covered UTC
    date partition with part of its hours, dropping the hours another window wrote. So the build is expanded to the
    **whole UTC dates the window touches** (``start`` .. ``end + 1``; their hours ``[start 00:00Z, end + 2 00:00Z)``)
    and every one of those hours is computed from silver. Each gold partition is therefore always whole (24 hours),
    a pure function of the silver that exists for its hours: rerunning any window that touches it rewrites the same
    rows, and nothing stale survives. Hours outside the requested days whose silver was never fetched come out as
    rows of NULLs with false ``has_*`` flags (until a build of their own days fills them). Silver is read from the
    UTC date partitions ``start`` .. ``end + 1`` (``end + 2`` too for weather: the last hour's end point).

Hours
    ``energy_weather_hourly`` and ``system_hourly`` have a row for EVERY UTC hour of the build range (the grid comes
    from the bounds, not from data): a missing side gives NULLs and a false ``has_*`` flag, never a dropped hour.
    ``operating_day``/``hour_ending`` come from the hour's start in America/Chicago (``from_utc_timestamp``;
    ``hour_ending`` = local hour + 1, so the spring-forward day has no HE 3 and the fall-back day has HE 2 twice).
    ``repeated_hour`` is true when the hour's local wall clock is not later than the local wall clock one UTC hour
    earlier, i.e. exactly the second (standard-time, UTC-6) occurrence of the fall-back hour. The transforms need a
    Spark session whose ``spark.sql.session.timeZone`` is UTC (:func:`build_gold` sets it); they check it.

energy_weather_hourly (one row per weather zone of :data:`energylake.contracts.zones.WEATHER_ZONES` and hour)
    ``load_mw``: silver ``load_weather_zone`` at ``interval_start_utc``; ``has_load``: that row exists.
    Instantaneous weather (temperature, dew point, humidity, 100 m wind, cloud cover): the mean of Open-Meteo's
    values at ``time_utc`` = the hour's start and = its end; both rows are required, else NULL and
    ``has_weather`` false. Preceding-hour weather (shortwave radiation, precipitation): the value stamped at the
    hour's end (it describes exactly ``[start, end)``), present whenever that row exists. Degree hours from the
    hour's temperature: ``max(0, t - DEGREE_BASE_C)`` cooling, ``max(0, DEGREE_BASE_C - t)`` heating, NULL without t.

system_hourly (one row per hour)
    ``load_mw``: sum of the zones that reported (NULL when none), ``load_zones``: how many; ``has_load``: all 8.
    ``load_forecast_mw``: zone_type SYSTEM, ``in_use`` true, ``posted_at_utc`` strictly before the hour's start;
    the latest ``posted_at_utc`` wins, ties between in-use models go to the greatest model code (deterministic).
    Wind/solar (region SYSTEM): generation = the actual of the latest vintage that carries one for the hour;
    forecast = ``forecast_mw`` of the latest vintage posted strictly before the hour's start.
    ``net_load_mw`` = load - wind - solar, NULL unless all 8 zones and both actuals are present.
    ``rt_price_<hub>_usd_mwh``: mean of the hub's RT15 prices whose interval starts in the hour; ``dam_price_<hub>``
    likewise from DAM (both read from ``ercot_spp_hourly``'s rows of a hub type, :data:`HUB_POINT_TYPES`);
    ``hub_avg`` is ``HB_HUBAVG``. ``has_prices``: the hub average has both RT and DAM.
    ``has_renewables``: both actuals present. ``load_weighted_temperature_c`` = sum(t * load) / sum(load) over the
    zones having both; ``has_weather``: every zone has weather.

ercot_spp_hourly (one row per settlement point, settlement point type and hour with any RT or DAM price)
    Real-time reports list each load zone twice under one name (``LZ`` and the energy-weighted ``LZEW``, at
    different prices): each type is its own series and its own row. RT mean/min/max over the series' RT15 prices
    whose ``interval_start_utc`` falls in the hour, ``rt_intervals`` their count (0: no RT price).
    ``dam_price_usd_mwh``: the DAM report has no type column (the parser infers HU/LZ/RN from the name), so the
    point's DAM price joins the RT row of the same point and hour whose type matches, else one whose type is not
    energy weighted (:data:`ENERGY_WEIGHTED_POINT_TYPES`: there is no energy-weighted day-ahead price), e.g. a DAM
    ``RN`` joins RT's ``PCCRN``, a DAM ``HU`` for ``HB_HUBAVG`` joins RT's ``AH``; ties go to the smallest type. A
    point-hour without such an RT row keeps a row of its own, typed as DAM, with ``rt_intervals`` 0.

Output
    ``gold/<table>/date=<UTC date>/part-*.parquet`` (one file per date), columns cast to the contract's types in its
    order, plus the partition column ``date``; written with dynamic partition overwrite, so a rerun replaces exactly
    the build range's partitions. A partition of the range that gets no rows (e.g. every price deleted) is removed.
    Timestamps are written as ``TIMESTAMP_MICROS`` (UTC-adjusted), which pyarrow reads as ``timestamp[us, tz=UTC]``.
    Names and types match the contract exactly; Parquet nullability follows Spark's inference (a required column
    may be stored as optional, never holding a null), so NOT NULL is the warehouse's to declare.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 - the PySpark convention
from pyspark.sql import types as T  # noqa: N812 - the PySpark convention
from pyspark.sql.window import Window as SparkWindow

from energylake.contracts.schemas import (
    DEGREE_BASE_C,
    ENERGY_WEATHER_HOURLY,
    ENERGY_WEIGHTED_POINT_TYPES,
    ERCOT_SPP_HOURLY,
    GOLD_TABLES,
    HUB_AVERAGE,
    HUB_POINT_TYPES,
    HUBS,
    SILVER_TABLES,
    SYSTEM_HOURLY,
    TableSchema,
)
from energylake.contracts.zones import WEATHER_ZONES
from energylake.lake import layout
from energylake.lake.storage import Storage
from energylake.settings import get_settings
from energylake.timeconv import MARKET_TIME_ZONE
from energylake.window import Window

__all__ = [
    "BuildRange",
    "build_gold",
    "build_range",
    "configure_session",
    "energy_weather_hourly",
    "ercot_spp_hourly",
    "hour_grid",
    "latest_per_key",
    "local_spark_session",
    "read_silver",
    "spark_schema",
    "spark_type",
    "system_hourly",
    "system_hourly_from",
]

_HOUR = dt.timedelta(hours=1)
_DAY = dt.timedelta(days=1)
_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "GMT", "Z", "+00:00", "Etc/GMT"})

# Weather variables by alignment rule: instantaneous (mean of both ends) or describing the preceding hour.
_INSTANT_WEATHER = (
    "temperature_2m_c",
    "dew_point_2m_c",
    "relative_humidity_2m_pct",
    "wind_speed_100m_ms",
    "cloud_cover_pct",
)
_PRECEDING_HOUR_WEATHER = ("shortwave_radiation_wm2", "precipitation_mm")


# --- types ----------------------------------------------------------------------------------------------------------


def spark_type(arrow_type: pa.DataType) -> T.DataType:
    """The Spark SQL type of a pyarrow type (the ones the contracts use, and their close relatives)."""
    simple: list[tuple[Any, T.DataType]] = [
        (pa.types.is_boolean, T.BooleanType()),
        (pa.types.is_int8, T.ByteType()),
        (pa.types.is_int16, T.ShortType()),
        (pa.types.is_int32, T.IntegerType()),
        (pa.types.is_int64, T.LongType()),
        (pa.types.is_float32, T.FloatType()),
        (pa.types.is_float64, T.DoubleType()),
        (pa.types.is_string, T.StringType()),
        (pa.types.is_large_string, T.StringType()),
        (pa.types.is_binary, T.BinaryType()),
        (pa.types.is_large_binary, T.BinaryType()),
        (pa.types.is_date32, T.DateType()),
    ]
    for test, spark in simple:
        if test(arrow_type):
            return spark
    if pa.types.is_timestamp(arrow_type):
        # An instant (tz set) is Spark's TIMESTAMP; a wall clock without zone is TIMESTAMP_NTZ.
        return T.TimestampType() if arrow_type.tz is not None else T.TimestampNTZType()
    if pa.types.is_decimal(arrow_type):
        return T.DecimalType(arrow_type.precision, arrow_type.scale)
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        return T.ArrayType(spark_type(arrow_type.value_type), containsNull=True)
    raise TypeError(f"no Spark type for the pyarrow type {arrow_type}")


def spark_schema(table: TableSchema) -> T.StructType:
    """The table's columns, in order, as a Spark schema (nullability as in the contract)."""
    return T.StructType([T.StructField(c.name, spark_type(c.type), nullable=c.nullable) for c in table.columns])


# --- the build range and session --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuildRange:
    """The operating-day window and the whole UTC dates it touches (what is computed and written)."""

    window_start_utc: dt.datetime  # the window's Central bounds
    window_end_utc: dt.datetime
    dates: tuple[dt.date, ...]  # UTC dates touched: the gold partitions written

    @property
    def start_utc(self) -> dt.datetime:
        return dt.datetime.combine(self.dates[0], dt.time(0), tzinfo=dt.UTC)

    @property
    def end_utc(self) -> dt.datetime:
        return dt.datetime.combine(self.dates[-1] + _DAY, dt.time(0), tzinfo=dt.UTC)

    @property
    def hours(self) -> int:
        return int((self.end_utc - self.start_utc) / _HOUR)


def build_range(window: Window) -> BuildRange:
    """The UTC dates the window's operating days touch (``start`` .. ``end + 1``)."""
    return BuildRange(window.start_utc, window.end_utc, window.utc_dates())


def configure_session(spark: SparkSession) -> None:
    """The session settings gold relies on: UTC session time zone, microsecond timestamps, dynamic overwrite."""
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    spark.conf.set("spark.sql.sources.partitionOverwriteMode", "dynamic")


def local_spark_session(master: str | None = None, *, app_name: str = "energylake-gold") -> SparkSession:
    """A SparkSession for runs on one machine (the CLI, the Glue entry outside Glue), configured for gold.

    ``master`` defaults to ``ENERGYLAKE_SPARK_MASTER`` (``local[*]``); shuffle partitions are twice the cores (the
    gold inputs are small per day; adaptive execution coalesces further). An existing session is reused.
    """
    cores = os.cpu_count() or 2
    spark = (
        SparkSession.builder.master(master or get_settings().spark_master)
        .appName(app_name)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(max(4, 2 * cores)))
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")  # Spark's INFO/WARN chatter would bury the CLI's own output
    configure_session(spark)
    return spark


def _require_utc_session(df: DataFrame) -> None:
    zone = df.sparkSession.conf.get("spark.sql.session.timeZone")
    if zone not in _UTC_NAMES:
        raise ValueError(f"gold transforms need spark.sql.session.timeZone=UTC, this session has {zone!r}")


# --- paths and reading ----------------------------------------------------------------------------------------------


def _hadoop_fs(spark: SparkSession, path: str) -> tuple[Any, Any]:
    jvm: Any = spark._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    return hadoop_path.getFileSystem(spark._jsc.hadoopConfiguration()), hadoop_path


def _child_names(spark: SparkSession, folder: str) -> set[str]:
    """Names of the entries directly under ``folder`` (empty when it does not exist): one listing, S3 or local."""
    fs, path = _hadoop_fs(spark, folder)
    if not fs.exists(path):
        return set()
    return {status.getPath().getName() for status in fs.listStatus(path)}


def read_silver(spark: SparkSession, lake: Storage, dataset: str, dates: Sequence[dt.date]) -> DataFrame:
    """Silver rows of ``dataset`` from the UTC date partitions ``dates`` that exist, with the contract's schema."""
    schema = spark_schema(SILVER_TABLES[dataset])  # type: ignore[index]
    base = f"{lake.location.spark_path()}/{layout.silver_prefix(dataset)}".rstrip("/")
    present = _child_names(spark, base)
    folders = (layout.partition(day).rstrip("/") for day in dates)
    paths = [f"{base}/{name}" for name in folders if name in present]
    if not paths:
        return spark.createDataFrame([], schema)
    frame = spark.read.schema(schema).option("basePath", base).parquet(*paths)
    return frame.select(*schema.fieldNames())  # the inferred partition column goes


def latest_per_key(df: DataFrame, key: Sequence[str]) -> DataFrame:
    """One row per natural ``key``: the greatest ``fetched_at_utc`` wins, then the greatest ``raw_key``."""
    order = SparkWindow.partitionBy(*key).orderBy(F.col("fetched_at_utc").desc(), F.col("raw_key").desc())
    return df.withColumn("_rank", F.row_number().over(order)).where(F.col("_rank") == 1).drop("_rank")


def _between(column: str, start: dt.datetime, end: dt.datetime, *, include_end: bool = False) -> Column:
    upper = F.col(column) <= F.lit(end) if include_end else F.col(column) < F.lit(end)
    return (F.col(column) >= F.lit(start)) & upper


# --- hours ----------------------------------------------------------------------------------------------------------


def hour_grid(spark: SparkSession, start_utc: dt.datetime, end_utc: dt.datetime) -> DataFrame:
    """Every UTC hour in ``[start_utc, end_utc)`` (whole hours): ``interval_start_utc``, ``interval_end_utc``."""
    if start_utc.tzinfo is None or end_utc.tzinfo is None:
        raise ValueError("hour_grid needs timezone-aware UTC bounds")
    hours = int((end_utc - start_utc) / _HOUR)
    first = int(start_utc.timestamp())
    start = F.timestamp_seconds(F.lit(first) + F.col("id") * 3600)
    return spark.range(hours).select(
        start.alias("interval_start_utc"), (start + F.expr("INTERVAL 1 HOUR")).alias("interval_end_utc")
    )


def with_hour_labels(df: DataFrame) -> DataFrame:
    """Add ``operating_day``, ``hour_ending`` and ``repeated_hour`` from ``interval_start_utc`` (Central time)."""
    _require_utc_session(df)
    local = F.from_utc_timestamp(F.col("interval_start_utc"), MARKET_TIME_ZONE)
    hour_before = F.from_utc_timestamp(F.col("interval_start_utc") - F.expr("INTERVAL 1 HOUR"), MARKET_TIME_ZONE)
    return (
        df.withColumn("operating_day", F.to_date(local))
        .withColumn("hour_ending", (F.hour(local) + 1).cast(T.ByteType()))
        .withColumn("repeated_hour", local <= hour_before)
    )


# --- transforms -----------------------------------------------------------------------------------------------------


def energy_weather_hourly(
    load_df: DataFrame, weather_df: DataFrame, *, start_utc: dt.datetime, end_utc: dt.datetime
) -> DataFrame:
    """Per weather zone and every UTC hour of ``[start_utc, end_utc)``: load and aligned weather (module rules)."""
    spark = load_df.sparkSession
    zones = spark.createDataFrame([(zone,) for zone in WEATHER_ZONES], "weather_zone string")
    grid = zones.crossJoin(hour_grid(spark, start_utc, end_utc))
    load = load_df.select("weather_zone", "interval_start_utc", "load_mw", F.lit(True).alias("_has_load"))
    at_start = weather_df.select(
        "weather_zone",
        F.col("time_utc").alias("interval_start_utc"),
        F.lit(True).alias("_weather_at_start"),
        *[F.col(name).alias(f"_start_{name}") for name in _INSTANT_WEATHER],
    )
    at_end = weather_df.select(
        "weather_zone",
        F.col("time_utc").alias("interval_end_utc"),
        F.lit(True).alias("_weather_at_end"),
        *[F.col(name).alias(f"_end_{name}") for name in (*_INSTANT_WEATHER, *_PRECEDING_HOUR_WEATHER)],
    )
    joined = (
        grid.join(load, ["weather_zone", "interval_start_utc"], "left")
        .join(at_start, ["weather_zone", "interval_start_utc"], "left")
        .join(at_end, ["weather_zone", "interval_end_utc"], "left")
    )
    has_weather = F.coalesce(F.col("_weather_at_start") & F.col("_weather_at_end"), F.lit(False))
    instant = {
        name: F.when(has_weather, (F.col(f"_start_{name}") + F.col(f"_end_{name}")) / 2) for name in _INSTANT_WEATHER
    }
    temperature = instant["temperature_2m_c"]
    base = F.lit(DEGREE_BASE_C)
    columns = {
        "load_mw": F.col("load_mw"),
        **instant,
        **{name: F.col(f"_end_{name}") for name in _PRECEDING_HOUR_WEATHER},
        # greatest() skips NULLs: guard it, so a missing temperature gives NULL degree hours, not 0.
        "cooling_degree_hours": F.when(temperature.isNotNull(), F.greatest(temperature - base, F.lit(0.0))),
        "heating_degree_hours": F.when(temperature.isNotNull(), F.greatest(base - temperature, F.lit(0.0))),
        "has_load": F.coalesce(F.col("_has_load"), F.lit(False)),
        "has_weather": has_weather,
    }
    result = with_hour_labels(
        joined.select(
            "weather_zone", "interval_start_utc", "interval_end_utc", *[c.alias(n) for n, c in columns.items()]
        )
    )
    return result.select(*ENERGY_WEATHER_HOURLY.column_names)


def _latest_value(condition: Column, order: Column, value: str) -> Column:
    """The ``value`` of the row with the greatest ``order`` among the rows meeting ``condition`` (an aggregate)."""
    return F.max(F.when(condition, F.struct(order.alias("o"), F.col(value).alias("v"))))["v"]


def system_hourly(
    load_df: DataFrame,
    weather_df: DataFrame,
    spp_df: DataFrame,
    renewable_df: DataFrame,
    load_forecast_df: DataFrame,
    *,
    start_utc: dt.datetime,
    end_utc: dt.datetime,
) -> DataFrame:
    """One row per UTC hour of ``[start_utc, end_utc)``: load, forecasts, renewables, hub prices (module rules)."""
    return system_hourly_from(
        energy_weather_hourly(load_df, weather_df, start_utc=start_utc, end_utc=end_utc),
        ercot_spp_hourly(spp_df),
        renewable_df,
        load_forecast_df,
    )


def system_hourly_from(
    zone_hours: DataFrame, spp_hours: DataFrame, renewable_df: DataFrame, load_forecast_df: DataFrame
) -> DataFrame:
    """:func:`system_hourly` from already built ``energy_weather_hourly`` and ``ercot_spp_hourly`` rows (a hub's
    hourly RT mean / DAM price there is exactly the system table's hub price), so a build computes them once."""
    zone_count = len(WEATHER_ZONES)
    zones = zone_hours
    both = F.col("temperature_2m_c").isNotNull() & F.col("load_mw").isNotNull()
    weighted_sum = F.sum(F.when(both, F.col("temperature_2m_c") * F.col("load_mw")))
    weight = F.sum(F.when(both, F.col("load_mw")))
    hours = zones.groupBy("interval_start_utc", "interval_end_utc").agg(
        F.sum("load_mw").alias("load_mw"),
        F.count("load_mw").alias("load_zones"),
        F.when(weight != 0, weighted_sum / weight).alias("load_weighted_temperature_c"),
        F.sum(F.col("has_weather").cast("int")).alias("_weather_zones"),
    )

    posted_before = F.col("posted_at_utc") < F.col("interval_start_utc")
    forecast = load_forecast_df.where(
        (F.col("zone_type") == "SYSTEM") & F.coalesce(F.col("in_use"), F.lit(False)) & posted_before
    )
    load_forecast = forecast.groupBy("interval_start_utc").agg(
        F.max(F.struct("posted_at_utc", "model", "load_forecast_mw"))["load_forecast_mw"].alias("load_forecast_mw")
    )

    posted = F.col("posted_at_utc")
    renewable_aggregates = []
    for resource in ("WIND", "SOLAR"):
        is_resource = F.col("resource") == resource
        name = resource.lower()
        renewable_aggregates += [
            _latest_value(is_resource & F.col("generation_mw").isNotNull(), posted, "generation_mw").alias(
                f"{name}_generation_mw"
            ),
            _latest_value(is_resource & F.col("forecast_mw").isNotNull() & posted_before, posted, "forecast_mw").alias(
                f"{name}_forecast_mw"
            ),
        ]
    renewables = (
        renewable_df.where(F.col("region") == "SYSTEM").groupBy("interval_start_utc").agg(*renewable_aggregates)
    )

    hub_columns = {HUB_AVERAGE: "hub_avg", **{hub: hub.lower() for hub in HUBS}}
    price_aggregates = [
        F.max(F.when(F.col("settlement_point") == point, F.col(source))).alias(f"{prefix}_price_{suffix}_usd_mwh")
        for source, prefix in (("rt_price_mean_usd_mwh", "rt"), ("dam_price_usd_mwh", "dam"))
        for point, suffix in hub_columns.items()
    ]
    # Only hub-typed rows: a name listed under several types (as load zones are) must not mix two series.
    is_hub = F.col("settlement_point").isin(list(hub_columns)) & F.col("settlement_point_type").isin(
        list(HUB_POINT_TYPES)
    )
    prices = spp_hours.where(is_hub).groupBy("interval_start_utc").agg(*price_aggregates)

    joined = (
        hours.join(load_forecast, "interval_start_utc", "left")
        .join(renewables, "interval_start_utc", "left")
        .join(prices, "interval_start_utc", "left")
    )
    has_load = F.col("load_zones") == zone_count
    has_renewables = F.col("wind_generation_mw").isNotNull() & F.col("solar_generation_mw").isNotNull()
    result = (
        joined.withColumn(
            "net_load_mw",
            F.when(
                has_load & has_renewables,
                F.col("load_mw") - F.col("wind_generation_mw") - F.col("solar_generation_mw"),
            ),
        )
        .withColumn("has_load", has_load)
        .withColumn(
            "has_prices",
            F.col("rt_price_hub_avg_usd_mwh").isNotNull() & F.col("dam_price_hub_avg_usd_mwh").isNotNull(),
        )
        .withColumn("has_renewables", has_renewables)
        .withColumn("has_weather", F.col("_weather_zones") == zone_count)
    )
    return with_hour_labels(result).select(*SYSTEM_HOURLY.column_names)


def ercot_spp_hourly(spp_df: DataFrame) -> DataFrame:
    """One row per settlement point, type and UTC hour with any RT or DAM price: RT statistics of that type's
    series, RT count, and the point's DAM price on the RT series it belongs to (module rules)."""
    price = F.col("price_usd_mwh")
    is_rt = F.col("market") == "RT15"
    # Silver curated before the type joined the key may hold DAM rows without one: the parser then typed only
    # hubs and load zones from the name, so an untyped DAM point is a resource node.
    series = (
        spp_df.select(
            "settlement_point",
            F.date_trunc("hour", F.col("interval_start_utc")).alias("interval_start_utc"),
            is_rt.alias("rt"),
            F.when(is_rt, F.col("settlement_point_type"))
            .otherwise(F.coalesce(F.col("settlement_point_type"), F.lit("RN")))
            .alias("type"),
            price,
        )
        .groupBy("settlement_point", "interval_start_utc", "rt", "type")
        .agg(
            F.avg(price).alias("mean"),
            F.min(price).alias("min"),
            F.max(price).alias("max"),
            F.count(price).alias("count"),
        )
    )
    # Then each point-hour's series side by side (a few per point: no join, no window), matched in arrays.
    hours = series.groupBy("settlement_point", "interval_start_utc").agg(
        F.collect_list(F.struct("rt", "type", "mean", "min", "max", "count")).alias("series")
    )
    rt = F.filter("series", lambda s: s["rt"])
    rt_types = F.transform(rt, lambda s: s["type"])
    # The DAM report has no type column (the parser infers it from the name), so a DAM price goes to the RT series
    # of the same type, else to the (smallest) one that is not energy weighted (a DAM RN is RT's PCCRN/PUN..., a
    # DAM HU for HB_HUBAVG is RT's AH), else it keeps its own type; an energy-weighted series has no DAM price.
    not_energy_weighted = F.array_min(F.filter(rt_types, lambda t: ~t.isin(list(ENERGY_WEIGHTED_POINT_TYPES))))
    dam = F.transform(
        F.filter("series", lambda s: ~s["rt"]),
        lambda d: F.struct(
            F.when(F.array_contains(rt_types, d["type"]), d["type"])
            .otherwise(F.coalesce(not_energy_weighted, d["type"]))
            .alias("type"),
            d["mean"].alias("price"),
        ),
    )

    def row(point_type: Column) -> Column:
        rt_series = F.filter(rt, lambda s: s["type"] == point_type)
        dam_prices = F.transform(F.filter(dam, lambda d: d["type"] == point_type), lambda d: d["price"])
        dam_sum = F.aggregate(dam_prices, F.lit(0.0), lambda total, value: total + value)
        return F.struct(
            point_type.alias("type"),
            F.try_element_at(rt_series, F.lit(1)).alias("rt"),
            F.when(F.size(dam_prices) > 0, dam_sum / F.size(dam_prices)).alias("dam_price"),
        )

    types = F.array_distinct(F.concat(rt_types, F.transform(dam, lambda d: d["type"])))
    exploded = hours.select("settlement_point", "interval_start_utc", F.explode(F.transform(types, row)).alias("r"))
    hourly = exploded.select(
        "settlement_point",
        F.col("r.type").alias("settlement_point_type"),
        "interval_start_utc",
        (F.col("interval_start_utc") + F.expr("INTERVAL 1 HOUR")).alias("interval_end_utc"),
        F.col("r.rt.mean").alias("rt_price_mean_usd_mwh"),
        F.col("r.rt.min").alias("rt_price_min_usd_mwh"),
        F.col("r.rt.max").alias("rt_price_max_usd_mwh"),
        F.coalesce(F.col("r.rt.count"), F.lit(0)).alias("rt_intervals"),
        F.col("r.dam_price").alias("dam_price_usd_mwh"),
    )
    return with_hour_labels(hourly).select(*ERCOT_SPP_HOURLY.column_names)


# --- the stage ------------------------------------------------------------------------------------------------------


def _silver_inputs(spark: SparkSession, lake: Storage, build: BuildRange) -> dict[str, DataFrame]:
    """Deduplicated silver for the build range, by transform input name.

    Rows gold never uses are dropped BEFORE the dedupe, by natural-key columns only (forecast zone_type, renewable
    region), so which row wins for a key is unchanged; it spares sorting the by-zone forecasts (~90% of the rows).
    """
    start, end = build.start_utc, build.end_utc
    dates = list(build.dates)
    with_next = [*dates, dates[-1] + _DAY]  # the last hour's end-point weather is stamped on the next date

    def read(datasets: Sequence[str], days: Sequence[dt.date], condition: Column) -> DataFrame:
        frames = [read_silver(spark, lake, dataset, days) for dataset in datasets]
        frame = frames[0]
        for other in frames[1:]:
            frame = frame.unionByName(other)
        table = SILVER_TABLES[datasets[0]]  # type: ignore[index]
        return latest_per_key(frame.where(condition), table.natural_key)

    in_range = _between("interval_start_utc", start, end)
    return {
        "load": read(["load_weather_zone"], dates, in_range),
        "weather": read(["weather"], with_next, _between("time_utc", start, end, include_end=True)),
        "spp": read(["spp_rt", "spp_dam"], dates, in_range),
        "renewable": read(["wind", "solar"], dates, in_range & (F.col("region") == "SYSTEM")),
        "load_forecast": read(["load_forecast"], dates, in_range & (F.col("zone_type") == "SYSTEM")),
    }


def _to_contract(df: DataFrame, table: TableSchema) -> DataFrame:
    """The contract's columns, types and order, plus the ``date`` partition column (the UTC date of the hour)."""
    columns = [F.col(column.name).cast(spark_type(column.type)).alias(column.name) for column in table.columns]
    return df.select(*columns, F.to_date(F.col(table.time_column)).alias(layout.PARTITION_COLUMN))


def _write(spark: SparkSession, df: DataFrame, table: TableSchema, lake: Storage, build: BuildRange) -> int:
    """Write one gold table's partitions for the build range (dynamic overwrite); drop range partitions left empty."""
    target = f"{lake.location.spark_path()}/{layout.gold_prefix(table.name)}".rstrip("/")
    output = (
        _to_contract(df, table)
        .repartition(layout.PARTITION_COLUMN)
        .sortWithinPartitions(layout.PARTITION_COLUMN, *table.natural_key)
        .persist()
    )
    try:
        per_date = {row[0]: int(row[1]) for row in output.groupBy(layout.PARTITION_COLUMN).count().collect()}
        if per_date:
            output.write.mode("overwrite").option("partitionOverwriteMode", "dynamic").partitionBy(
                layout.PARTITION_COLUMN
            ).parquet(target)
    finally:
        output.unpersist()
    for day in build.dates:
        if day not in per_date:
            fs, path = _hadoop_fs(spark, f"{target}/{layout.partition(day)}".rstrip("/"))
            if fs.exists(path):
                fs.delete(path, True)
    return sum(per_date.values())


def build_gold(window: Window, lake: Storage, spark: SparkSession) -> dict[str, int]:
    """Build the gold tables for the window's operating days (expanded to the whole UTC dates they touch, see the
    module rules) from the silver in ``lake``. Returns the rows written per gold table."""
    configure_session(spark)
    build = build_range(window)
    inputs = _silver_inputs(spark, lake, build)
    # Weather is aligned twice (values at each hour's start and at its end): read and deduplicate it once.
    weather = inputs["weather"].persist()
    zone_hours = energy_weather_hourly(
        inputs["load"], weather, start_utc=build.start_utc, end_utc=build.end_utc
    ).persist()
    spp_hours = ercot_spp_hourly(inputs["spp"]).persist()
    try:
        counts = {
            ENERGY_WEATHER_HOURLY.name: _write(spark, zone_hours, ENERGY_WEATHER_HOURLY, lake, build),
            ERCOT_SPP_HOURLY.name: _write(spark, spp_hours, ERCOT_SPP_HOURLY, lake, build),
        }
        system = system_hourly_from(zone_hours, spp_hours, inputs["renewable"], inputs["load_forecast"])
        counts[SYSTEM_HOURLY.name] = _write(spark, system, SYSTEM_HOURLY, lake, build)
    finally:
        zone_hours.unpersist()
        spp_hours.unpersist()
        weather.unpersist()
    return {table: counts[table] for table in GOLD_TABLES}
