"""Gold build benchmark: how build_gold's time grows from a week to a year of silver, on local Spark.

    .venv/bin/python benchmarks/spark_bench.py              # 7 and 365 operating days
    .venv/bin/python benchmarks/spark_bench.py --json       # machine-readable
    .venv/bin/python benchmarks/spark_bench.py --small 3 --large 30 --master 'local[*]'

Silver-like Parquet is generated with pyarrow into a temporary lake, in the real layout and schemas
(``silver/dataset=<name>/date=<UTC date>/bench.parquet``): RT 15-minute and DAM prices for 50 settlement points
(the hubs, the hub average, load zones, resource nodes), load and weather for the 8 weather zones, and wind/solar
with 24 hourly forecast vintages per hour plus the actual. One SparkSession serves every run: its startup and a
first (cold) build are reported apart from the timed warm builds. The figures report; nothing passes or fails
(exit 0 whatever the times, 2 for bad arguments).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "layers" / "common"))

from energylake.gold.spark import build_gold, build_range  # noqa: E402
from energylake.contracts.schemas import HUB_AVERAGE, HUBS, SILVER_TABLES  # noqa: E402
from energylake.contracts.zones import WEATHER_ZONES  # noqa: E402

FIRST_DAY = dt.date(2024, 1, 1)
POINTS = 50
VINTAGES = 24
US_PER_HOUR = 3_600_000_000
FETCHED = dt.datetime(2025, 1, 15, tzinfo=dt.UTC)


def settlement_points() -> list[tuple[str, str]]:
    points = [(hub, "HU") for hub in HUBS] + [(HUB_AVERAGE, "AH"), ("HB_BUSAVG", "AH")]
    points += [(f"LZ_{name}", "LZ") for name in ("AEN", "CPS", "HOUSTON", "LCRA", "NORTH", "RAYBN", "SOUTH", "WEST")]
    points += [(f"RN_NODE_{n:02d}", "RN") for n in range(POINTS - len(points))]
    return points


def _timestamps(micros: np.ndarray) -> pa.Array:
    return pa.array(micros.astype("int64"), pa.int64()).cast(pa.timestamp("us", tz="UTC"))


def _table(dataset: str, columns: dict[str, Any], rows: int) -> pa.Table:
    schema = SILVER_TABLES[dataset].arrow_schema()  # type: ignore[index]
    lineage = {
        "source_dataset": dataset,
        "raw_key": f"raw/source=bench/dataset={dataset}/x",
        "run_id": "bench",
        "fetched_at_utc": FETCHED,
    }
    arrays = []
    for field in schema:
        if field.name in columns:
            arrays.append(
                pa.array(columns[field.name], field.type)
                if not isinstance(columns[field.name], pa.Array)
                else columns[field.name].cast(field.type)
            )
        elif field.name in lineage:
            arrays.append(pa.array([lineage[field.name]] * rows, field.type))
        else:
            arrays.append(pa.nulls(rows, field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def day_tables(day: dt.date, rng: np.random.Generator) -> Iterator[tuple[str, pa.Table]]:
    """One UTC date of every dataset gold reads."""
    midnight = int(dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC).timestamp()) * 1_000_000
    hours = midnight + np.arange(24, dtype="int64") * US_PER_HOUR
    quarters = midnight + np.arange(96, dtype="int64") * (US_PER_HOUR // 4)
    points = settlement_points()
    names = np.array([name for name, _ in points])
    kinds = np.array([kind for _, kind in points])
    for dataset, market, starts, minutes in (("spp_rt", "RT15", quarters, 15), ("spp_dam", "DAM", hours, 60)):
        n = len(points) * len(starts)
        yield (
            dataset,
            _table(
                dataset,
                {
                    "market": [market] * n,
                    "settlement_point": np.repeat(names, len(starts)).tolist(),
                    "settlement_point_type": np.repeat(kinds, len(starts)).tolist(),
                    "interval_start_utc": _timestamps(np.tile(starts, len(points))),
                    "interval_end_utc": _timestamps(np.tile(starts, len(points)) + minutes * 60_000_000),
                    "price_usd_mwh": rng.normal(35.0, 15.0, n),
                },
                n,
            ),
        )
    zones = np.array(WEATHER_ZONES)
    n = len(zones) * 24
    zone_starts = np.tile(hours, len(zones))
    yield (
        "load_weather_zone",
        _table(
            "load_weather_zone",
            {
                "weather_zone": np.repeat(zones, 24).tolist(),
                "interval_start_utc": _timestamps(zone_starts),
                "interval_end_utc": _timestamps(zone_starts + US_PER_HOUR),
                "load_mw": rng.uniform(1000, 20000, n),
            },
            n,
        ),
    )
    yield (
        "weather",
        _table(
            "weather",
            {
                "weather_zone": np.repeat(zones, 24).tolist(),
                "time_utc": _timestamps(zone_starts),
                "temperature_2m_c": rng.normal(20, 8, n),
                "dew_point_2m_c": rng.normal(12, 5, n),
                "relative_humidity_2m_pct": rng.uniform(20, 100, n),
                "wind_speed_100m_ms": rng.uniform(0, 15, n),
                "cloud_cover_pct": rng.uniform(0, 100, n),
                "shortwave_radiation_wm2": rng.uniform(0, 900, n),
                "precipitation_mm": rng.exponential(0.2, n),
            },
            n,
        ),
    )
    for dataset, regions in (("wind", ("SYSTEM", "LZ_WEST", "LZ_NORTH", "LZ_SOUTH_HOUSTON")), ("solar", ("SYSTEM",))):
        # per hour and region: VINTAGES forecasts posted 1..VINTAGES hours before (at :55), then the actual after
        lags = np.arange(-1, VINTAGES, dtype="int64")  # -1: the vintage posted after the hour, carrying the actual
        per_region = len(hours) * len(lags)
        n = per_region * len(regions)
        starts = np.tile(np.repeat(hours, len(lags)), len(regions))
        lag = np.tile(np.tile(lags, len(hours)), len(regions))
        posted = starts - lag * US_PER_HOUR - 5 * 60_000_000
        generation = np.where(lag < 0, rng.uniform(0, 20000, n), np.nan)
        yield (
            dataset,
            _table(
                dataset,
                {
                    "resource": [dataset.upper()] * n,
                    "region": np.repeat(np.array(regions), per_region).tolist(),
                    "posted_at_utc": _timestamps(posted),
                    "interval_start_utc": _timestamps(starts),
                    "interval_end_utc": _timestamps(starts + US_PER_HOUR),
                    "generation_mw": pa.array(generation, from_pandas=True),
                    "forecast_mw": rng.uniform(0, 20000, n),
                },
                n,
            ),
        )


def generate(lake: Path, dates: list[dt.date], weather_only: list[dt.date]) -> int:
    """Write silver for ``dates`` (and only weather for ``weather_only``); the rows written."""
    rng = np.random.default_rng(7)
    rows = 0
    for day in [*dates, *weather_only]:
        for dataset, table in day_tables(day, rng):
            if day in weather_only and dataset != "weather":
                continue
            folder = lake / "silver" / f"dataset={dataset}" / f"date={day.isoformat()}"
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, folder / "bench.parquet", compression="zstd")
            rows += table.num_rows
    return rows


def run(days: int, root: Path, spark: Any) -> dict[str, Any]:
    end = FIRST_DAY + dt.timedelta(days=days - 1)
    build = build_range(FIRST_DAY, end)
    lake = root / f"lake-{days}d"
    started = time.perf_counter()
    # what the build reads: its UTC dates, plus the next date's weather (the last hour's end point)
    rows_in = generate(lake, list(build.dates), [build.dates[-1] + dt.timedelta(days=1)])
    generated = time.perf_counter() - started
    started = time.perf_counter()
    rows_out = build_gold(spark, str(lake), FIRST_DAY, end)
    seconds = time.perf_counter() - started
    return {
        "days": days,
        "utc_dates": len(build.dates),
        "generate_s": round(generated, 2),
        "rows_in": rows_in,
        "rows_out": rows_out,
        "rows_out_total": sum(rows_out.values()),
        "build_s": round(seconds, 2),
        "rows_in_per_s": round(rows_in / seconds),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=7, help="operating days of the small run (default 7)")
    parser.add_argument("--large", type=int, default=365, help="operating days of the large run (default 365)")
    parser.add_argument("--master", default="local[2]", help="Spark master (default local[2])")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)
    if not 1 <= args.small <= args.large:
        parser.error("need 1 <= --small <= --large")

    from pyspark.sql import SparkSession

    started = time.perf_counter()
    spark = (
        SparkSession.builder.master(args.master)
        .appName("energylake-spark-bench")
        .config("spark.driver.memory", "3g")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(max(4, 2 * (os.cpu_count() or 2))))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    startup = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="energylake-spark-bench-") as folder:
        root = Path(folder)
        cold = run(args.small, root / "cold", spark)  # JIT and code generation warm-up, reported apart
        small = run(args.small, root, spark)
        large = run(args.large, root, spark)
    spark.stop()
    data_ratio = large["rows_in"] / small["rows_in"]
    time_ratio = large["build_s"] / small["build_s"]
    report = {
        "master": args.master,
        "cpus": os.cpu_count(),
        "startup_s": round(startup, 2),
        "cold_first_build_s": cold["build_s"],
        "runs": [small, large],
        "data_ratio": round(data_ratio, 1),
        "time_ratio": round(time_ratio, 1),
        "day_ratio": round(args.large / args.small, 1),
        "time_per_data": round(time_ratio / data_ratio, 3),
    }
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    print(
        f"Spark {spark.version} {args.master} on {os.cpu_count()} CPUs: session startup {startup:.1f} s, "
        f"first (cold) {args.small}-day build {cold['build_s']:.1f} s"
    )
    print(
        f"{'days':>5} {'UTC dates':>9} {'rows in':>10} {'rows out':>9} {'build s':>8} {'rows in/s':>10}"
        "  rows out by table"
    )
    for r in (small, large):
        print(
            f"{r['days']:>5} {r['utc_dates']:>9} {r['rows_in']:>10,} {r['rows_out_total']:>9,} {r['build_s']:>8.1f} "
            f"{r['rows_in_per_s']:>10,}  {r['rows_out']}"
        )
    print(
        f"growth: {args.large}-day / {args.small}-day time = {time_ratio:.1f}x for {data_ratio:.1f}x the silver rows "
        f"read ({args.large / args.small:.1f}x the operating days); time grew {time_ratio / data_ratio:.2f} as fast "
        "as the data"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
