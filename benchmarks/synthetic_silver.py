"""Synthetic silver for the gold benchmarks (spark_bench.py, gold_bench.py): silver-like Parquet written with pyarrow
into a lake, in the real layout and schemas (``silver/dataset=<name>/date=<UTC date>/bench.parquet``).

Per UTC date: RT 15-minute and DAM prices for 50 settlement points (the hubs, the hub averages, load zones, resource
nodes), load and weather for the 8 weather zones, load forecasts with 24 hourly vintages per hour (the system's and
two models' by weather zone, ~90% of them rows gold skips), and wind/solar with 24 hourly forecast vintages per hour
plus the actual (wind for SYSTEM and three regions, solar for SYSTEM). Deterministic (seeded).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from energylake.contracts.schemas import HUB_AVERAGE, HUBS, SILVER_TABLES
from energylake.contracts.zones import WEATHER_ZONES
from energylake.window import Window

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
    # load forecasts, VINTAGES per hour posted 1..VINTAGES hours before (at :55): the in-use model E for the system
    # and each weather zone, and model A3 (not in use) for each weather zone; gold reads only the SYSTEM rows
    series = [("E", True, "SYSTEM", "ERCOT")] + [
        (model, in_use, "WEATHER", zone) for model, in_use in (("E", True), ("A3", False)) for zone in WEATHER_ZONES
    ]
    lags = np.arange(1, VINTAGES + 1, dtype="int64")
    per_series = len(hours) * len(lags)
    n = per_series * len(series)
    starts = np.tile(np.repeat(hours, len(lags)), len(series))
    posted = starts - np.tile(np.tile(lags, len(hours)), len(series)) * US_PER_HOUR - 5 * 60_000_000
    yield (
        "load_forecast",
        _table(
            "load_forecast",
            {
                "model": np.repeat(np.array([s[0] for s in series]), per_series).tolist(),
                "in_use": np.repeat(np.array([s[1] for s in series]), per_series).tolist(),
                "posted_at_utc": _timestamps(posted),
                "zone_type": np.repeat(np.array([s[2] for s in series]), per_series).tolist(),
                "zone": np.repeat(np.array([s[3] for s in series]), per_series).tolist(),
                "interval_start_utc": _timestamps(starts),
                "interval_end_utc": _timestamps(starts + US_PER_HOUR),
                "load_forecast_mw": rng.uniform(1000, 80000, n),
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
