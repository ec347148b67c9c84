"""DuckDB warehouse benchmark: load a year of synthetic silver/gold Parquet, then query every analyst view.

    .venv/bin/python benchmarks/warehouse_bench.py                  # 1,000 points x 366 days (~35M RT prices)
    .venv/bin/python benchmarks/warehouse_bench.py --points 50 --days 14 --windows 7    # quick run

Generates, in a temporary lake (deleted afterwards unless --keep), in the real layout: a curation group per Central
operating day (CST, UTC-6), each writing one silver file per UTC date it reaches, so every UTC-date folder holds two
files (the day's group: 06:00-24:00 UTC; the previous day's: 00:00-06:00), each listed by its group's passed
quality report (quality/dataset=<d>/date=<operating day>/<group>.json), as curation writes them:
  silver/dataset=spp_rt/date=<UTC day>/g<day>.parquet   15-minute prices for N settlement points (schemas.SPP)
  silver/dataset=load_weather_zone/...                  8 zones x 24 h per day
  silver/dataset=weather/...                            8 zones x 24 h per day
  gold/energy_weather_hourly/date=.../part-0.parquet    8 zones x 24 h per day (so the views have data)
  gold/system_hourly/date=.../part-0.parquet            24 h per day
Then measures, each against a baseline timed the same way in the same run:
  * for each window of --windows operating days (default 7, 92, 365; issue 16): the load into a fresh file, and its
    reload (nothing changed: the MERGE path), against the bare ``CREATE TABLE AS`` of the same files, each in a fresh
    child process, in wall time and peak memory (the child's peak RSS, interpreter and imports included in both);
    target 1.3x the floor in both. The load of an empty lake is printed first: its fixed cost (tables, views and
    their comments, about 0.7 s), which dominates the smallest window;
  * ``energylake.warehouse.duckdb.load`` of the whole window into a fresh warehouse file (typed columns, window
    filter, natural-key dedupe, upsert) against a bare DuckDB ``CREATE TABLE AS SELECT * FROM read_parquet(...)`` of
    the same files into a fresh file (the floor of getting those files into DuckDB); target under 60 s;
  * a reload of the same window (nothing changed) against that first load;
  * each analyst view, read whole into Arrow, against reading the gold table ``energy_weather_hourly`` whole (median
    of --runs after one warm-up); target under 0.5 s per view.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "layers" / "common"))

from harness import figure, measure, report, stopwatch, stopwatch_in  # noqa: E402

from energylake.contracts import schemas  # noqa: E402
from energylake.lake.storage import open_storage  # noqa: E402
from energylake.warehouse import duckdb as warehouse  # noqa: E402
from energylake.warehouse.model import WAREHOUSE  # noqa: E402
from energylake.window import Window  # noqa: E402

LOAD_TARGET_S = 60.0
SCALING_MAX_RATIO = 1.3  # issue 16: the load within 1.3x the bare CREATE TABLE AS, in time and in memory
VIEW_TARGET_S = 0.5
VIEW_BASELINE_TABLE = "energy_weather_hourly"
ZONES = ("COAST", "EAST", "FAR_WEST", "NORTH", "NORTH_CENTRAL", "SOUTHERN", "SOUTH_CENTRAL", "WEST")
US_PER_MIN = 60_000_000
FETCHED = np.datetime64("2025-01-02T00:00:00", "us")


def _strings(values: list[str], indices: np.ndarray) -> pa.Array:
    """A string column from a small vocabulary, built in C++ (dictionary -> string cast)."""
    return pa.DictionaryArray.from_arrays(pa.array(indices.astype(np.int32)), pa.array(values)).cast(pa.string())


def _constant(value: str, n: int) -> pa.Array:
    return _strings([value], np.zeros(n, dtype=np.int32))


def _timestamps(us: np.ndarray) -> pa.Array:
    return pa.array(us.astype("datetime64[us]"), type=schemas.UTC_TIMESTAMP)


def _lineage(dataset: str, day: dt.date, n: int) -> dict[str, pa.Array]:
    return {
        "source_dataset": _constant(dataset, n),
        "raw_key": _constant(f"raw/source=bench/dataset={dataset}/date={day}/fp/20250102T000000Z-0.json", n),
        "run_id": _constant("run-bench", n),
        "fetched_at_utc": _timestamps(np.full(n, FETCHED.astype(np.int64))),
    }


def _write(table: pa.Table, path: Path, contract: schemas.TableSchema) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table.select(list(contract.column_names)).cast(contract.arrow_schema()), path, compression="zstd")


OPERATING_DAY_START_HOUR_UTC = 6  # a CST operating day runs 06:00 UTC .. 06:00 UTC the next day


class SilverWriter:
    """Writes a UTC date's rows as curation would: the hours before 06:00 UTC into the previous operating day's
    group, the rest into the day's own group, and each group's passed quality report listing its silver files."""

    def __init__(self, lake: Path) -> None:
        self.lake = lake
        self.outputs: dict[tuple[str, dt.date], list[str]] = {}

    def write(self, dataset: str, day: dt.date, table: pa.Table, contract: schemas.TableSchema) -> None:
        import pyarrow.compute as pc

        hours = pc.hour(table.column(contract.time_column))
        early = pc.less(hours, OPERATING_DAY_START_HOUR_UTC)
        for operating_day, rows in (
            (day - dt.timedelta(days=1), table.filter(early)),
            (day, table.filter(pc.invert(early))),
        ):
            key = f"silver/dataset={dataset}/date={day}/g{operating_day:%Y%m%d}.parquet"
            _write(rows, self.lake / key, contract)
            self.outputs.setdefault((dataset, operating_day), []).append(key)

    def write_reports(self) -> None:
        for (dataset, operating_day), keys in self.outputs.items():
            path = self.lake / f"quality/dataset={dataset}/date={operating_day}/g{operating_day:%Y%m%d}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            report = {"dataset": dataset, "status": "passed", "outputs": {"silver": keys, "quarantine": []}}
            path.write_text(json.dumps(report))


def _day_start_us(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC).timestamp()) * 1_000_000


def generate(lake: Path, first_day: dt.date, days: int, points: int, rng: np.random.Generator) -> int:
    names = [f"HB_{i:04d}" if i < 5 else f"RN_POINT_{i:04d}" for i in range(points)]
    types = ["HU" if i < 5 else "RN" for i in range(points)]
    rows = 0
    silver = SilverWriter(lake)
    for offset in range(days):
        day = first_day + dt.timedelta(days=offset)
        start = _day_start_us(day)
        # spp_rt: points x 96 quarter hours
        n = points * 96
        point_idx = np.repeat(np.arange(points, dtype=np.int32), 96)
        starts = start + np.tile(np.arange(96, dtype=np.int64) * 15 * US_PER_MIN, points)
        prices = 30.0 + 15.0 * rng.standard_normal(n)
        spp = pa.table(
            {
                "market": _constant("RT15", n),
                "settlement_point": _strings(names, point_idx),
                "settlement_point_type": _strings(sorted(set(types)), np.array([0 if t == "HU" else 1 for t in types],
                                                                               dtype=np.int32)[point_idx]),
                "interval_start_utc": _timestamps(starts),
                "interval_end_utc": _timestamps(starts + 15 * US_PER_MIN),
                "price_usd_mwh": pa.array(prices),
                **_lineage("spp_rt", day, n),
            }
        )  # fmt: skip
        silver.write("spp_rt", day, spp, schemas.SPP)
        rows += n
        # hourly zone tables: 8 zones x 24 h
        z = len(ZONES) * 24
        zone_idx = np.repeat(np.arange(len(ZONES), dtype=np.int32), 24)
        hours = start + np.tile(np.arange(24, dtype=np.int64) * 60 * US_PER_MIN, len(ZONES))
        temperature = 15.0 + 12.0 * np.sin(np.arange(z) / 24.0 * 2 * np.pi) + rng.standard_normal(z)
        load = 5000.0 + 150.0 * np.abs(temperature - schemas.DEGREE_BASE_C) + 100.0 * rng.standard_normal(z)
        wind = np.abs(8.0 + 3.0 * rng.standard_normal(z))
        sun = np.clip(500.0 * np.sin(np.arange(z) / 24.0 * 2 * np.pi), 0.0, None)
        lwz = pa.table(
            {
                "weather_zone": _strings(list(ZONES), zone_idx),
                "interval_start_utc": _timestamps(hours),
                "interval_end_utc": _timestamps(hours + 60 * US_PER_MIN),
                "load_mw": pa.array(load),
                **_lineage("load_weather_zone", day, z),
            }
        )
        silver.write("load_weather_zone", day, lwz, schemas.LOAD_WEATHER_ZONE)
        weather_columns = {c.name: pa.array(rng.uniform(0, 100, z)) for c in schemas.WEATHER.columns[2:13]}
        weather_columns.update(
            temperature_2m_c=pa.array(temperature),
            wind_speed_100m_ms=pa.array(wind),
            shortwave_radiation_wm2=pa.array(sun),
        )
        weather = pa.table(
            {
                "weather_zone": _strings(list(ZONES), zone_idx),
                "time_utc": _timestamps(hours),
                **weather_columns,
                **_lineage("weather", day, z),
            }
        )
        silver.write("weather", day, weather, schemas.WEATHER)
        rows += 2 * z
        # gold: energy_weather_hourly and system_hourly (so the views have a year to chew on)
        hour_ending = pa.array(((np.arange(z) % 24) + 1).astype(np.int8))
        gold_common = {
            "interval_start_utc": _timestamps(hours),
            "interval_end_utc": _timestamps(hours + 60 * US_PER_MIN),
            "operating_day": pa.array([day] * z, type=pa.date32()),
            "hour_ending": hour_ending,
            "repeated_hour": pa.array(np.zeros(z, dtype=bool)),
        }
        ewh = {c.name: pa.nulls(z, c.type) for c in schemas.ENERGY_WEATHER_HOURLY.columns}
        ewh.update(gold_common)
        ewh.update(
            weather_zone=_strings(list(ZONES), zone_idx),
            load_mw=pa.array(load),
            temperature_2m_c=pa.array(temperature),
            wind_speed_100m_ms=pa.array(wind),
            shortwave_radiation_wm2=pa.array(sun),
            cooling_degree_hours=pa.array(np.maximum(0.0, temperature - schemas.DEGREE_BASE_C)),
            heating_degree_hours=pa.array(np.maximum(0.0, schemas.DEGREE_BASE_C - temperature)),
            has_load=pa.array(np.ones(z, dtype=bool)),
            has_weather=pa.array(np.ones(z, dtype=bool)),
        )
        _write(pa.table(ewh), lake / f"gold/energy_weather_hourly/date={day}/part-0.parquet",
               schemas.ENERGY_WEATHER_HOURLY)  # fmt: skip
        system = {c.name: pa.nulls(24, c.type) for c in schemas.SYSTEM_HOURLY.columns}
        system.update({name: array.slice(0, 24) for name, array in gold_common.items()})
        system_load = load.reshape(len(ZONES), 24).sum(axis=0)
        hub = 30.0 + 20.0 * rng.standard_normal(24) + np.where(rng.uniform(size=24) > 0.98, 800.0, 0.0)
        system.update(
            load_mw=pa.array(system_load),
            load_zones=pa.array(np.full(24, len(ZONES), dtype=np.int8)),
            wind_generation_mw=pa.array(2000.0 * wind[:24]),
            solar_generation_mw=pa.array(30.0 * sun[:24]),
            net_load_mw=pa.array(system_load - 2000.0 * wind[:24] - 30.0 * sun[:24]),
            rt_price_hub_avg_usd_mwh=pa.array(hub),
            load_weighted_temperature_c=pa.array(temperature[:24]),
            has_load=pa.array(np.ones(24, dtype=bool)),
            has_prices=pa.array(np.ones(24, dtype=bool)),
            has_renewables=pa.array(np.ones(24, dtype=bool)),
            has_weather=pa.array(np.ones(24, dtype=bool)),
        )
        _write(pa.table(system), lake / f"gold/system_hourly/date={day}/part-0.parquet", schemas.SYSTEM_HOURLY)
        rows += z + 24
    silver.write_reports()
    return rows


def create_table_as(lake: Path, warehouse_path: str, window: Window) -> int:
    """The baseline: every warehouse table's Parquet files of the window's UTC dates (the files the load reads)
    copied as they are into DuckDB (CREATE TABLE AS)."""
    import duckdb

    rows = 0
    con = duckdb.connect(warehouse_path)
    con.execute("SET enable_progress_bar = false")
    try:
        for table in WAREHOUSE.tables:
            patterns = [
                f"{lake}/{prefix}date={day}/*.parquet"
                for prefix in table.lake_prefixes()
                for day in window.utc_dates()
                if (lake / prefix / f"date={day}").is_dir()
            ]
            if not patterns:
                continue
            files = ", ".join(f"'{pattern}'" for pattern in patterns)
            con.execute(
                f"CREATE TABLE {table.name} AS SELECT * FROM read_parquet([{files}], hive_partitioning = true, "
                "union_by_name = true)"
            )
            rows += int(con.sql(f"SELECT count(*) FROM {table.name}").fetchall()[0][0])
    finally:
        con.close()
    return rows


def load_in_child(kind: str, lake: str, warehouse_path: str, window: Window) -> tuple[float, float, int]:
    """Runs in a fresh (spawned) process: the wall seconds, peak RSS in MB and rows of one ``load`` into a new file,
    a ``reload`` of a loaded file (every row matched, nothing changed), or a bare ``create_table_as``."""
    import resource

    start = time.perf_counter()
    if kind in ("load", "reload"):
        rows = sum(warehouse.load(window, open_storage(lake), warehouse_path).values())
    else:
        rows = create_table_as(Path(lake), warehouse_path, window)
    seconds = time.perf_counter() - start
    return seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, rows  # Linux: KiB


def scaling(lake: Path, workdir: Path, first_day: dt.date, windows: list[int]) -> None:
    """Per window: the load into a fresh file and its reload against the bare CREATE TABLE AS floor, in time and peak
    memory, each in a fresh process; first the load's fixed cost (schema, views, comments: an empty lake)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    def in_child(kind: str, lake: Path, path: Path, window: Window) -> tuple[float, float, int]:
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
            return child.submit(load_in_child, kind, str(lake), str(path), window).result()

    empty = workdir / "scaling-empty.duckdb"
    fixed_s, fixed_mb, _ = in_child("load", workdir / "no-lake", empty, Window(first_day, first_day))
    empty.unlink(missing_ok=True)
    report(figure("load of an empty lake (fixed cost): time", fixed_s, "s"), peak_memory_mb=round(fixed_mb))
    for days in windows:
        window = Window(first_day, first_day + dt.timedelta(days=days - 1))
        floor_path, path = workdir / "scaling-floor.duckdb", workdir / "scaling-load.duckdb"
        floor_s, floor_mb, floor_rows = in_child("create_table_as", lake, floor_path, window)
        floor_path.unlink(missing_ok=True)
        load_s, load_mb, load_rows = in_child("load", lake, path, window)
        reload_s, reload_mb, _ = in_child("reload", lake, path, window)
        path.unlink(missing_ok=True)
        label = f"{days} days"
        floor_time = figure(f"CREATE TABLE AS {label}: time", floor_s, "s")
        floor_memory = figure(f"CREATE TABLE AS {label}: peak memory", floor_mb, "MB")
        report(
            figure(f"load {label}: time", load_s, "s"),
            floor_time,
            max_ratio=SCALING_MAX_RATIO,
            rows=load_rows,
            baseline_rows=floor_rows,
        )
        report(figure(f"load {label}: peak memory", load_mb, "MB"), floor_memory, max_ratio=SCALING_MAX_RATIO)
        report(figure(f"reload {label} (no change): time", reload_s, "s"), floor_time)
        report(figure(f"reload {label} (no change): peak memory", reload_mb, "MB"), floor_memory)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=1000, help="settlement points (default 1000)")
    parser.add_argument("--days", type=int, default=366, help="UTC days from 2024-01-01 (default 366)")
    parser.add_argument("--runs", type=int, default=5, help="timed reads per view (median; default 5)")
    parser.add_argument("--load-runs", type=int, default=1, help="timed loads, baseline and reloads (default 1)")
    parser.add_argument(
        "--windows", default="7,92,365", help="operating-day windows for the time and memory scaling (default 7,92,365)"
    )
    parser.add_argument("--workdir", type=Path, default=None, help="where to put the temp lake (default: system tmp)")
    parser.add_argument("--keep", action="store_true", help="keep the temp lake and warehouse file")
    args = parser.parse_args(argv)
    args.windows = [int(days) for days in args.windows.split(",") if days]
    if args.windows and max(args.windows) >= args.days:
        parser.error(f"--windows needs --days above {max(args.windows)} (a window reaches the UTC date after it)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    first_day = dt.date(2024, 1, 1)
    window = Window(first_day, first_day + dt.timedelta(days=args.days - 1))
    workdir = Path(tempfile.mkdtemp(prefix="energylake-wh-bench-", dir=args.workdir))
    lake = workdir / "lake"
    lake_storage = open_storage(str(lake))
    db = str(workdir / "warehouse.duckdb")

    @contextmanager
    def fresh_file() -> Iterator[str]:
        path = workdir / "fresh.duckdb"
        try:
            yield str(path)
        finally:
            path.unlink(missing_ok=True)

    try:
        rows = generate(lake, first_day, args.days, args.points, np.random.default_rng(42))
        size_mb = sum(p.stat().st_size for p in lake.rglob("*.parquet")) / 1e6
        print(f"generated {rows:,} rows ({args.points} points x {args.days} days), {size_mb:.0f} MB Parquet")

        scaling(lake, workdir, first_day, args.windows)

        loaded: dict[str, int] = {}
        copied: list[int] = []
        loads = measure(
            {
                "load: whole window, fresh file": stopwatch_in(
                    fresh_file, lambda path: loaded.update(warehouse.load(window, lake_storage, path))
                ),
                "bare DuckDB CREATE TABLE AS": stopwatch_in(
                    fresh_file, lambda path: copied.append(create_table_as(lake, path, window))
                ),
            },
            runs=args.load_runs,
            warmup=0,
        )
        load = loads["load: whole window, fresh file"]
        report(
            load,
            loads["bare DuckDB CREATE TABLE AS"],
            max_median=LOAD_TARGET_S,
            rows=sum(loaded.values()),
            baseline_rows=copied[-1],
            rows_by_table={name: count for name, count in loaded.items() if count},
        )

        warehouse.load(window, lake_storage, db)  # the warehouse the reload and the views use
        reload = measure(
            {"reload: same window, no changes": stopwatch(lambda: warehouse.load(window, lake_storage, db))},
            runs=args.load_runs,
            warmup=0,
        )
        report(reload["reload: same window, no changes"], load)

        result_rows: dict[str, int] = {}

        def read(name: str) -> None:
            result_rows[name] = warehouse.query(db, f"SELECT * FROM {name}").num_rows

        baseline_name = f"read table: {VIEW_BASELINE_TABLE}"
        views = measure(
            {
                baseline_name: stopwatch(lambda: read(VIEW_BASELINE_TABLE)),
                **{f"view: {view.name}": stopwatch(functools.partial(read, view.name)) for view in WAREHOUSE.views},
            },
            runs=args.runs,
        )
        for view in WAREHOUSE.views:
            report(
                views[f"view: {view.name}"], views[baseline_name], max_median=VIEW_TARGET_S, rows=result_rows[view.name]
            )
        print(f"warehouse file: {Path(db).stat().st_size / 1e6:.0f} MB")
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
