"""Gold build benchmark: how build_gold's time grows from a week to a year of silver, on local Spark.

    .venv/bin/python benchmarks/spark_bench.py              # 7 and 365 operating days
    .venv/bin/python benchmarks/spark_bench.py --small 3 --large 30 --master 'local[*]'

Silver-like Parquet is generated into a temporary lake by ``synthetic_silver.py`` (the real layout and schemas: 50
settlement points' RT and DAM prices, 8 zones' load and weather, load forecasts and wind/solar with 24 vintages per
hour). Generation is not timed; each build gets a fresh lake. DuckDB against Spark, same silver: ``gold_bench.py``.

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

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "layers" / "common"))

from harness import Measurement, Probe, measure, report, stopwatch, stopwatch_in  # noqa: E402
from synthetic_silver import generate, window_of  # noqa: E402

from energylake.gold.spark import build_gold, build_range  # noqa: E402
from energylake.lake.storage import Storage, open_storage  # noqa: E402


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
