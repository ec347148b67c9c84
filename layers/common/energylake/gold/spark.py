"""Gold with Spark: the rules' SQL (:mod:`.rules`, DuckDB's dialect) transpiled by sqlglot and run with ``spark.sql``.

The only module that imports pyspark. :func:`build_gold` is the stage the Glue job calls (``glue/build_gold.py``)
and ``energylake gold --engine spark`` runs on a local session. Silver is read with the contract's schemas
(:func:`spark_schema`), one UTC date partition folder at a time, and registered as temporary views named after the
datasets; each statement's result becomes a view of its name for the statements after it. The output is written
with dynamic partition overwrite, so a rerun replaces exactly the build range's partitions; a partition of the range
that gets no rows is removed. Spark writes every column as optional (Parquet nullability follows its inference).

On Glue, sqlglot must be importable: the job's ``--additional-python-modules`` lists it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 - the PySpark convention
from pyspark.sql import types as T  # noqa: N812 - the PySpark convention

from energylake.contracts.schemas import GOLD_TABLES, SILVER_TABLES, TableSchema
from energylake.errors import ConfigurationError
from energylake.gold.rules import (
    GOLD_STATEMENTS,
    SILVER_INPUTS,
    STATEMENTS,
    BuildRange,
    build_range,
    parameters,
    render,
    sql_text,
)
from energylake.lake import layout
from energylake.lake.storage import Storage
from energylake.settings import get_settings
from energylake.window import Window

__all__ = [
    "BuildRange",
    "build_gold",
    "build_range",
    "build_tables",
    "configure_session",
    "local_spark_session",
    "read_silver",
    "spark_schema",
    "spark_sql",
    "spark_type",
]

LOG4J_CONFIG = "log4j2-local.properties"  # next to this module (package data)
_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "GMT", "Z", "+00:00", "Etc/GMT"})


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


# --- the session ----------------------------------------------------------------------------------------------------


def configure_session(spark: SparkSession) -> None:
    """The session settings gold relies on: UTC session time zone, microsecond timestamps, dynamic overwrite."""
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    spark.conf.set("spark.sql.sources.partitionOverwriteMode", "dynamic")


def local_spark_session(
    master: str | None = None, *, app_name: str = "energylake-gold", log_file: Path | None = None
) -> SparkSession:
    """A SparkSession for runs on one machine (the CLI, the Glue entry outside Glue), configured for gold.

    ``master`` defaults to ``ENERGYLAKE_SPARK_MASTER`` (``local[*]``); shuffle partitions are twice the cores (the
    gold inputs are small per day; adaptive execution coalesces further). An existing session is reused.
    ``log_file``: Spark's own logging (its start-up warnings, the Java traces of a failure) goes there from the JVM's
    first line, not to the terminal; it takes effect only when this call starts the JVM.
    """
    cores = os.cpu_count() or 2
    builder = (
        SparkSession.builder.master(master or get_settings().spark_master)
        .appName(app_name)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(max(4, 2 * cores)))
        .config("spark.ui.showConsoleProgress", "false")
    )
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        builder = builder.config("spark.driver.extraJavaOptions", _log_options(log_file))
    spark = builder.getOrCreate()
    if log_file is None:
        spark.sparkContext.setLogLevel("ERROR")  # Spark's INFO/WARN chatter would bury the CLI's own output
    configure_session(spark)
    return spark


def _log_options(log_file: Path) -> str:
    """JVM options that point log4j2 at the package's file-only configuration, writing to ``log_file``."""
    config = Path(__file__).with_name(LOG4J_CONFIG)
    return f"{_java_option('log4j2.configurationFile', config)} {_java_option('energylake.spark.log', log_file)}"


def _java_option(name: str, value: object) -> str:
    """``-Dname=value`` quoted as Spark's launcher parses option strings (a lake path may hold spaces or quotes)."""
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"-D{name}={escaped}"'


def _require_utc_session(spark: SparkSession) -> None:
    zone = spark.conf.get("spark.sql.session.timeZone")
    if zone not in _UTC_NAMES:
        raise ValueError(f"gold statements need spark.sql.session.timeZone=UTC, this session has {zone!r}")


# --- the SQL --------------------------------------------------------------------------------------------------------


def spark_sql(name: str, start_utc: dt.datetime, end_utc: dt.datetime) -> str:
    """Statement ``name`` for hours ``[start_utc, end_utc)`` in Spark's dialect: rendered, then transpiled."""
    try:
        import sqlglot
    except ImportError as exc:  # on Glue: --additional-python-modules must list it
        raise ConfigurationError(
            "the Spark gold runner transpiles its SQL with sqlglot: pip install 'sqlglot>=25' (on Glue: add it to "
            "the job's --additional-python-modules)"
        ) from exc
    rendered = render(sql_text(name), parameters(start_utc, end_utc))
    return sqlglot.transpile(rendered, read="duckdb", write="spark")[0]


# --- reading silver -------------------------------------------------------------------------------------------------


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


# --- the rules ------------------------------------------------------------------------------------------------------


def _to_contract(df: DataFrame, table: TableSchema) -> DataFrame:
    """The contract's columns, types and order."""
    return df.select(*[F.col(c.name).cast(spark_type(c.type)).alias(c.name) for c in table.columns])


def _conformed_silver(df: DataFrame, dataset: str) -> DataFrame:
    """``df`` with the silver contract's columns in order and type; a column it lacks reads as NULL."""
    table = SILVER_TABLES[dataset]  # type: ignore[index]
    present = set(df.columns)
    return df.select(
        *[
            (F.col(c.name) if c.name in present else F.lit(None)).cast(spark_type(c.type)).alias(c.name)
            for c in table.columns
        ]
    )


@contextmanager
def _statements(
    spark: SparkSession, silver: Mapping[str, DataFrame], start_utc: dt.datetime, end_utc: dt.datetime
) -> Iterator[dict[str, DataFrame]]:
    """Every statement run over ``silver`` registered as temporary views; yields the gold tables (contract-typed,
    cached while the block runs: system_hourly reads the two others, and each is written once)."""
    _require_utc_session(spark)
    for dataset in SILVER_INPUTS:
        frame = silver.get(dataset)
        if frame is None:
            frame = spark.createDataFrame([], spark_schema(SILVER_TABLES[dataset]))
        _conformed_silver(frame, dataset).createOrReplaceTempView(dataset)
    cached: list[DataFrame] = []
    try:
        tables: dict[str, DataFrame] = {}
        for name in STATEMENTS:
            result = spark.sql(spark_sql(name, start_utc, end_utc))
            if name in GOLD_STATEMENTS:
                result = _to_contract(result, GOLD_STATEMENTS[name]).persist()
                cached.append(result)
                tables[name] = result
            result.createOrReplaceTempView(name)
        yield tables
    finally:
        for frame in cached:
            frame.unpersist()


def build_tables(
    spark: SparkSession, silver: Mapping[str, DataFrame], start_utc: dt.datetime, end_utc: dt.datetime
) -> dict[str, list[dict[str, Any]]]:
    """The gold rows of hours ``[start_utc, end_utc)`` from silver DataFrames, by table (collected; tests, parity).

    ``silver`` maps a dataset of :data:`~energylake.gold.rules.SILVER_INPUTS` to its rows (a missing one is empty).
    """
    unknown = sorted(set(silver) - set(SILVER_INPUTS))
    if unknown:
        raise KeyError(f"gold reads no silver dataset {unknown[0]!r}; inputs: {', '.join(SILVER_INPUTS)}")
    with _statements(spark, silver, start_utc, end_utc) as tables:
        return {name: [row.asDict() for row in frame.collect()] for name, frame in tables.items()}


# --- writing --------------------------------------------------------------------------------------------------------


def _write(spark: SparkSession, df: DataFrame, table: TableSchema, lake: Storage, build: BuildRange) -> int:
    """Write one gold table's partitions for the build range (dynamic overwrite); drop range partitions left empty."""
    target = f"{lake.location.spark_path()}/{layout.gold_prefix(table.name)}".rstrip("/")
    output = (
        df.withColumn(layout.PARTITION_COLUMN, F.to_date(F.col(table.time_column)))
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


# --- the stage ------------------------------------------------------------------------------------------------------


def build_gold(window: Window, lake: Storage, spark: SparkSession) -> dict[str, int]:
    """Build the gold tables for the window's operating days (expanded to the whole UTC dates they touch, see the
    rules) from the silver in ``lake``. Returns the rows written per gold table."""
    configure_session(spark)
    build = build_range(window)
    silver: dict[str, DataFrame] = {
        dataset: read_silver(spark, lake, dataset, build.input_dates(dataset)) for dataset in SILVER_INPUTS
    }
    with _statements(spark, silver, build.start_utc, build.end_utc) as tables:
        counts = {name: _write(spark, tables[name], GOLD_TABLES[name], lake, build) for name in GOLD_STATEMENTS}
    return {name: counts[name] for name in GOLD_TABLES}
