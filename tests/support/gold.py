"""Gold test helpers: silver rows with lineage defaults, the gold rules run on them by either engine, a sample-source
silver lake, gold read back from a lake, and row comparison with a float tolerance (engine parity)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from energylake.contracts.schemas import GOLD_TABLES, SILVER_TABLES, TableSchema
from energylake.window import Window

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from energylake.lake.storage import Storage

UTC = dt.UTC
HOUR = dt.timedelta(hours=1)
QUARTER = dt.timedelta(minutes=15)
FETCHED = dt.datetime(2024, 11, 8, 12, tzinfo=UTC)
GOLD_DATASETS = ("spp_rt", "spp_dam", "load_weather_zone", "wind", "solar", "load_forecast", "weather")
# The demo's week (fall-back day 2024-11-03) and the spring-forward day 2024-03-10 with a day either side.
DEMO_WEEK = Window(dt.date(2024, 11, 1), dt.date(2024, 11, 7))
SPRING_DAYS = Window(dt.date(2024, 3, 9), dt.date(2024, 3, 11))

Rows = list[dict[str, Any]]


def lineage(**row: Any) -> dict[str, Any]:
    """A silver row with the lineage columns filled in (overridable)."""
    return {"source_dataset": "test", "raw_key": "raw/a", "run_id": "run", "fetched_at_utc": FETCHED, **row}


def silver_table(table: TableSchema, rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Silver rows as Arrow with the contract's types, every column nullable (rows curated before a column was
    required can be built too, as a reader of old Parquet files sees them)."""
    schema = pa.schema([pa.field(f.name, f.type, nullable=True) for f in table.arrow_schema()])
    return pa.Table.from_pylist([lineage(**row) for row in rows], schema=schema)


def _utc(value: Any) -> Any:
    """Spark collects TIMESTAMP as naive datetimes in the process zone (UTC under the ``spark`` fixture)."""
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def run_rules(
    silver: Mapping[str, Rows],
    start_utc: dt.datetime,
    end_utc: dt.datetime,
    *,
    engine: str = "duckdb",
    spark: SparkSession | None = None,
) -> dict[str, Rows]:
    """The gold rows of hours ``[start_utc, end_utc)`` built by ``engine`` from silver rows by dataset, by table
    (timestamps as aware UTC datetimes whichever engine built them)."""
    if engine == "duckdb":
        from energylake.gold import duckdb as gold_duckdb

        tables = {dataset: silver_table(SILVER_TABLES[dataset], rows) for dataset, rows in silver.items()}  # type: ignore[index]
        return gold_duckdb.build_tables(tables, start_utc, end_utc)
    assert spark is not None, "the spark engine needs the spark fixture"
    from energylake.gold import spark as gold_spark

    frames = {}
    for dataset, rows in silver.items():
        arrow = silver_table(SILVER_TABLES[dataset], rows)  # type: ignore[index]
        schema = gold_spark.spark_schema(SILVER_TABLES[dataset])  # type: ignore[index]
        nullable = type(schema)([type(f)(f.name, f.dataType, True) for f in schema.fields])
        frames[dataset] = spark.createDataFrame([tuple(row.values()) for row in arrow.to_pylist()], nullable)
    built = gold_spark.build_tables(spark, frames, start_utc, end_utc)
    return {name: [{k: _utc(v) for k, v in row.items()} for row in rows] for name, rows in built.items()}


def spp_inputs(rows: Rows) -> dict[str, Rows]:
    """Price rows split into the two silver datasets by market."""
    return {
        "spp_rt": [row for row in rows if row["market"] == "RT15"],
        "spp_dam": [row for row in rows if row["market"] == "DAM"],
    }


# --- lakes ------------------------------------------------------------------------------------------------------


def land_sample_silver(lake: Storage, windows: Iterable[Window]) -> None:
    """The sample source's silver for ``windows`` (every dataset gold reads) in ``lake`` (a folder or S3 on moto),
    each window fetched with the sample's clock the day after it ends."""
    from energylake.curate import reprocess
    from energylake.fetch import fetch
    from energylake.sample import connection as sample_connection
    from energylake.settings import Settings

    for window in windows:
        now = dt.datetime.combine(window.end + dt.timedelta(days=1), dt.time(12), tzinfo=UTC)
        connection = sample_connection(Settings(), now=now, throttle_every=0)
        for dataset in GOLD_DATASETS:
            fetch(window, dataset, lake, connection)
        results = reprocess(window, lake, list(GOLD_DATASETS), run_id=f"gold-test-{window.start}")
        assert {r.status for r in results} == {"passed"}, [r.reason for r in results if r.status != "passed"]


def make_sample_silver(root: Path, windows: Iterable[Window]) -> Path:
    """A folder lake at ``root`` with the sample source's silver for ``windows`` (see :func:`land_sample_silver`)."""
    from energylake.lake.storage import LocalStorage

    land_sample_silver(LocalStorage(root), windows)
    return root


def read_gold(lake: Path, table: str) -> pa.Table:
    """Every file of a gold table in a folder lake, with its partition's date as a ``date`` string column (every
    column optional)."""
    # Files of both engines may differ in nullability (see energylake.gold.rules, Output): read them all as optional.
    schema = pa.schema([field.with_nullable(True) for field in GOLD_TABLES[table].arrow_schema()])
    parts = [schema.append(pa.field("date", pa.string())).empty_table()]
    for path in sorted((lake / "gold" / table).glob("date=*/*.parquet")):
        part = pq.read_table(path).cast(schema)
        parts.append(part.append_column("date", pa.array([path.parent.name[5:]] * part.num_rows, pa.string())))
    return pa.concat_tables(parts)


def sorted_rows(rows: Iterable[Mapping[str, Any]], table: str) -> Rows:
    key = GOLD_TABLES[table].natural_key
    return sorted((dict(row) for row in rows), key=lambda row: [str(row[k]) for k in key])


def snapshot(lake: Path) -> dict[str, Rows]:
    """Every gold table of a folder lake, rows sorted by natural key."""
    return {table: sorted_rows(read_gold(lake, table).to_pylist(), table) for table in GOLD_TABLES}


def _same(left: Any, right: Any, tolerance: float) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=tolerance, abs_tol=tolerance)
    return bool(left == right) and type(left) is type(right)


def row_differences(left: Rows, right: Rows, table: str, *, tolerance: float = 1e-9) -> list[str]:
    """Where two row sets of ``table`` differ (floats within ``tolerance``), at most 10, as readable lines."""
    a, b = sorted_rows(left, table), sorted_rows(right, table)
    problems = [f"{table}: {len(a)} rows against {len(b)}"] if len(a) != len(b) else []
    key = GOLD_TABLES[table].natural_key
    for one, other in zip(a, b, strict=False):
        columns = [c for c in one.keys() | other.keys() if not _same(one.get(c), other.get(c), tolerance)]
        if columns:
            where = {k: str(one.get(k)) for k in key}
            problems.append(
                f"{table} {where}: " + ", ".join(f"{c} {one.get(c)!r} != {other.get(c)!r}" for c in columns)
            )
        if len(problems) >= 10:
            break
    return problems
