"""Gold build benchmark: how build_gold's time grows from a week to a year of silver, on local Spark.

    .venv/bin/python benchmarks/spark_bench.py              # 7 and 365 operating days
    .venv/bin/python benchmarks/spark_bench.py --small 3 --large 30 --master 'local[*]'

Silver-like Parquet is generated with pyarrow into a temporary lake, in the real layout and schemas
(``silver/dataset=<name>/date=<UTC date>/bench.parquet``): RT 15-minute and DAM prices for 50 settlement points
(the hubs, the hub average, load zones, resource nodes), load and weather for the 8 weather zones, and wind/solar
with 24 hourly forecast vintages per hour plus the actual. Generation is not timed; each build gets a fresh lake.

One SparkSession serves every build. Figures: the session's startup (no baseline); the first (cold) small build
against a warm small build (the cost of a cold JVM and code generation); the warm large build against the warm small
build, with the silver rows read by each: ``time_per_data`` (the time ratio over the data ratio) near 1 means the
build grows linearly with the data, under 1 means fixed costs dominate the small build.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "layers" / "common"))

from harness import Measurement, Probe, measure, report, stopwatch, stopwatch_in  # noqa: E402

from energylake.contracts.schemas import HUB_AVERAGE, HUBS, SILVER_TABLES  # noqa: E402
from energylake.contracts.zones import WEATHER_ZONES  # noqa: E402
from energylake.gold.spark import build_gold, build_range  # noqa: E402
from energylake.lake.storage import Storage, open_storage  # noqa: E402
from energylake.window import Window  # noqa: E402

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


def window_of(days: int) -> Window:
    return Window(FIRST_DAY, FIRST_DAY + dt.timedelta(days=days - 1))


def start_session(master: str) -> Any:
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master(master)
        .appName("energylake-spark-bench")
        .config("spark.driver.memory", "3g")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(max(4, 2 * (os.cpu_count() or 2))))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=7, help="operating days of the small build (default 7)")
    parser.add_argument("--large", type=int, default=365, help="operating days of the large build (default 365)")
    parser.add_argument("--runs", type=int, default=1, help="timed warm builds of each size (median; default 1)")
    parser.add_argument("--master", default="local[2]", help="Spark master (default local[2])")
    args = parser.parse_args(argv)
    if not 1 <= args.small <= args.large:
        parser.error("need 1 <= --small <= --large")

    sessions: list[Any] = []
    startup_probe = stopwatch(lambda: sessions.append(start_session(args.master)))
    startup = measure({"Spark session startup": startup_probe}, runs=1, warmup=0)["Spark session startup"]
    spark = sessions[0]
    rows_in: dict[int, int] = {}
    rows_out: dict[int, dict[str, int]] = {}
    with tempfile.TemporaryDirectory(prefix="energylake-spark-bench-") as folder:
        root = Path(folder)

        @contextmanager
        def silver_lake(days: int) -> Iterator[Storage]:
            """A fresh lake holding what the build reads: its UTC dates, plus the next date's weather (the last
            hour's end point)."""
            lake = Path(tempfile.mkdtemp(prefix=f"lake-{days}d-", dir=root))
            dates = list(build_range(window_of(days)).dates)
            rows_in[days] = generate(lake, dates, [dates[-1] + dt.timedelta(days=1)])
            yield open_storage(str(lake))

        def build(days: int) -> Probe:
            def run(lake: Storage) -> None:
                rows_out[days] = build_gold(window_of(days), lake, spark)

            return stopwatch_in(lambda: silver_lake(days), run)

        small, large = f"build, {args.small} days", f"build, {args.large} days"
        cold = measure({f"first (cold) build, {args.small} days": build(args.small)}, runs=1, warmup=0)
        warm = measure({small: build(args.small), large: build(args.large)}, runs=args.runs, warmup=0)
    version, cpus = spark.version, os.cpu_count()
    spark.stop()

    print(f"Spark {version} {args.master} on {cpus} CPUs")
    report(startup)
    first: Measurement = next(iter(cold.values()))
    report(first, warm[small], rows_in=rows_in[args.small])
    data_ratio = rows_in[args.large] / rows_in[args.small]
    time_ratio = warm[large].median / warm[small].median
    report(
        warm[large],
        warm[small],
        rows_in=rows_in[args.large],
        baseline_rows_in=rows_in[args.small],
        rows_out=rows_out[args.large],
        rows_in_per_s=round(rows_in[args.large] / warm[large].median),
        day_ratio=round(args.large / args.small, 2),
        data_ratio=round(data_ratio, 2),
        time_per_data=round(time_ratio / data_ratio, 3),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
