"""DuckDB warehouse benchmark: load a year of synthetic silver/gold Parquet, then query every analyst view.

    .venv/bin/python benchmarks/warehouse_bench.py                  # 1,000 points x 366 days (~35M RT prices)
    .venv/bin/python benchmarks/warehouse_bench.py --points 50 --days 14    # quick run

Generates, in a temporary lake (deleted afterwards unless --keep):
  silver/dataset=spp_rt/date=<UTC day>/bench.parquet    15-minute prices for N settlement points (schema.SPP)
  silver/dataset=load_weather_zone/...                  8 zones x 24 h per day
  silver/dataset=weather/...                            8 zones x 24 h per day
  gold/energy_weather_hourly/date=.../part-0.parquet    8 zones x 24 h per day (so the views have data)
  gold/system_hourly/date=.../part-0.parquet            24 h per day
Then times ``energylake.warehouse.duckdb.load`` for the whole window (target < 60 s), a reload of the same window
(informational), and each view (median of --repeats full reads into Arrow; target < 0.5 s). Reports, never gates:
the exit code is 0 whatever the verdicts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "layers" / "common"))

from energylake import schema  # noqa: E402
from energylake.warehouse import duckdb as warehouse  # noqa: E402
from energylake.warehouse.model import WAREHOUSE  # noqa: E402

LOAD_TARGET_S = 60.0
VIEW_TARGET_S = 0.5
ZONES = ("COAST", "EAST", "FAR_WEST", "NORTH", "NORTH_CENTRAL", "SOUTHERN", "SOUTH_CENTRAL", "WEST")
US_PER_MIN = 60_000_000
FETCHED = np.datetime64("2025-01-02T00:00:00", "us")


def _strings(values: list[str], indices: np.ndarray) -> pa.Array:
    """A string column from a small vocabulary, built in C++ (dictionary -> string cast)."""
    return pa.DictionaryArray.from_arrays(pa.array(indices.astype(np.int32)), pa.array(values)).cast(pa.string())


def _constant(value: str, n: int) -> pa.Array:
    return _strings([value], np.zeros(n, dtype=np.int32))


def _timestamps(us: np.ndarray) -> pa.Array:
    return pa.array(us.astype("datetime64[us]"), type=schema.UTC_TIMESTAMP)


def _lineage(dataset: str, day: dt.date, n: int) -> dict[str, pa.Array]:
    return {
        "source_dataset": _constant(dataset, n),
        "raw_key": _constant(f"raw/source=bench/dataset={dataset}/date={day}/fp/20250102T000000Z-0.json", n),
        "run_id": _constant("run-bench", n),
        "fetched_at_utc": _timestamps(np.full(n, FETCHED.astype(np.int64))),
    }


def _write(table: pa.Table, path: Path, contract: schema.TableSchema) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table.select(list(contract.column_names)).cast(contract.arrow_schema()), path, compression="zstd")


def _day_start_us(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC).timestamp()) * 1_000_000


def generate(lake: Path, first_day: dt.date, days: int, points: int, rng: np.random.Generator) -> int:
    names = [f"HB_{i:04d}" if i < 5 else f"RN_POINT_{i:04d}" for i in range(points)]
    types = ["HU" if i < 5 else "RN" for i in range(points)]
    rows = 0
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
        _write(spp, lake / f"silver/dataset=spp_rt/date={day}/bench.parquet", schema.SPP)
        rows += n
        # hourly zone tables: 8 zones x 24 h
        z = len(ZONES) * 24
        zone_idx = np.repeat(np.arange(len(ZONES), dtype=np.int32), 24)
        hours = start + np.tile(np.arange(24, dtype=np.int64) * 60 * US_PER_MIN, len(ZONES))
        temperature = 15.0 + 12.0 * np.sin(np.arange(z) / 24.0 * 2 * np.pi) + rng.standard_normal(z)
        load = 5000.0 + 150.0 * np.abs(temperature - schema.DEGREE_BASE_C) + 100.0 * rng.standard_normal(z)
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
        _write(lwz, lake / f"silver/dataset=load_weather_zone/date={day}/bench.parquet", schema.LOAD_WEATHER_ZONE)
        weather_columns = {c.name: pa.array(rng.uniform(0, 100, z)) for c in schema.WEATHER.columns[2:13]}
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
        _write(weather, lake / f"silver/dataset=weather/date={day}/bench.parquet", schema.WEATHER)
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
        ewh = {c.name: pa.nulls(z, c.type) for c in schema.ENERGY_WEATHER_HOURLY.columns}
        ewh.update(gold_common)
        ewh.update(
            weather_zone=_strings(list(ZONES), zone_idx),
            load_mw=pa.array(load),
            temperature_2m_c=pa.array(temperature),
            wind_speed_100m_ms=pa.array(wind),
            shortwave_radiation_wm2=pa.array(sun),
            cooling_degree_hours=pa.array(np.maximum(0.0, temperature - schema.DEGREE_BASE_C)),
            heating_degree_hours=pa.array(np.maximum(0.0, schema.DEGREE_BASE_C - temperature)),
            has_load=pa.array(np.ones(z, dtype=bool)),
            has_weather=pa.array(np.ones(z, dtype=bool)),
        )
        _write(pa.table(ewh), lake / f"gold/energy_weather_hourly/date={day}/part-0.parquet",
               schema.ENERGY_WEATHER_HOURLY)  # fmt: skip
        system = {c.name: pa.nulls(24, c.type) for c in schema.SYSTEM_HOURLY.columns}
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
        _write(pa.table(system), lake / f"gold/system_hourly/date={day}/part-0.parquet", schema.SYSTEM_HOURLY)
        rows += z + 24
    return rows


def _verdict(value: float, target: float) -> str:
    return "PASS" if value < target else "FAIL"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=1000, help="settlement points (default 1000)")
    parser.add_argument("--days", type=int, default=366, help="UTC days from 2024-01-01 (default 366)")
    parser.add_argument("--repeats", type=int, default=5, help="runs per view (median reported)")
    parser.add_argument("--workdir", type=Path, default=None, help="where to put the temp lake (default: system tmp)")
    parser.add_argument("--keep", action="store_true", help="keep the temp lake and warehouse file")
    args = parser.parse_args(argv)

    first_day = dt.date(2024, 1, 1)
    last_day = first_day + dt.timedelta(days=args.days - 1)
    workdir = Path(tempfile.mkdtemp(prefix="energylake-wh-bench-", dir=args.workdir))
    lake = workdir / "lake"
    db = str(workdir / "warehouse.duckdb")
    try:
        t0 = time.perf_counter()
        rows = generate(lake, first_day, args.days, args.points, np.random.default_rng(42))
        generated_s = time.perf_counter() - t0
        size_mb = sum(p.stat().st_size for p in lake.rglob("*.parquet")) / 1e6
        print(f"generated {rows:,} rows ({args.points} points x {args.days} days) in {generated_s:.1f} s, "
              f"{size_mb:.0f} MB Parquet")  # fmt: skip

        t0 = time.perf_counter()
        counts = warehouse.load(str(lake), db, first_day, last_day)
        load_s = time.perf_counter() - t0
        loaded = sum(counts.values())
        print(f"\n{'case':<44} {'figure':>12} {'target':>10}  verdict")
        print(f"{'load: all tables, ' + f'{loaded:,} rows':<44} {load_s:>10.2f} s {LOAD_TARGET_S:>8.1f} s  "
              f"{_verdict(load_s, LOAD_TARGET_S)}")  # fmt: skip
        for name, count in counts.items():
            if count:
                print(f"  {name:<42} {count:>12,} rows")

        t0 = time.perf_counter()
        warehouse.load(str(lake), db, first_day, last_day)
        reload_s = time.perf_counter() - t0
        print(f"{'reload: same window (no changes)':<44} {reload_s:>10.2f} s {'-':>10}  -")

        for view in WAREHOUSE.views:
            samples = []
            result_rows = 0
            for _ in range(args.repeats + 1):  # first run warms the file cache, not counted
                t0 = time.perf_counter()
                result_rows = warehouse.query(db, f"SELECT * FROM {view.name}").num_rows
                samples.append(time.perf_counter() - t0)
            median = statistics.median(samples[1:])
            print(f"{'view: ' + view.name + f' ({result_rows} rows)':<44} {median:>10.3f} s {VIEW_TARGET_S:>8.1f} s  "
                  f"{_verdict(median, VIEW_TARGET_S)}")  # fmt: skip
        print(f"\nwarehouse file: {Path(db).stat().st_size / 1e6:.0f} MB")
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
