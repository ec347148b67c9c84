"""Quality-gate test data: clean silver rows for every dataset over whole Central days, and report lookups.

``rows_for`` builds one row per entity and interval of each day (DST days included); tests corrupt those rows and
gate them with :func:`energylake.quality.run_quality`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa

from energylake.contracts.datasets import DatasetName
from energylake.contracts.schemas import LINEAGE, silver_schema
from energylake.contracts.zones import WEATHER_ZONES
from energylake.quality import QualityConfig, QualityOutcome, interval_minutes
from energylake.timeconv import local_day_bounds_utc

NORMAL_DAY = dt.date(2024, 11, 5)
FALL_BACK = dt.date(2024, 11, 3)  # 25 Central hours
SPRING_FORWARD = dt.date(2024, 3, 10)  # 23 Central hours
POSTED = dt.datetime(2024, 11, 1, 12, tzinfo=dt.UTC)

# Entities per dataset: the natural key's non-time columns.
ENTITIES: dict[DatasetName, list[dict[str, Any]]] = {
    "spp_rt": [
        {"market": "RT15", "settlement_point": point, "settlement_point_type": kind}
        for point, kind in (("HB_NORTH", "HU"), ("LZ_HOUSTON", "LZ"))
    ],
    "spp_dam": [{"market": "DAM", "settlement_point": "HB_WEST", "settlement_point_type": "HU"}],
    "load_weather_zone": [{"weather_zone": zone} for zone in ("COAST", "NORTH_CENTRAL", "ERCOT")],
    "load_forecast": [
        {"model": "E", "in_use": True, "posted_at_utc": POSTED, "zone_type": zone_type, "zone": zone}
        for zone_type, zone in (("WEATHER", "COAST"), ("SYSTEM", "ERCOT"))
    ],
    "wind": [{"resource": "WIND", "region": "SYSTEM", "posted_at_utc": POSTED}],
    "solar": [{"resource": "SOLAR", "region": "SYSTEM", "posted_at_utc": POSTED}],
    "fuel_mix": [{"fuel": fuel} for fuel in ("NATURAL_GAS", "POWER_STORAGE")],
    "weather": [{"weather_zone": zone} for zone in WEATHER_ZONES],
}
VALUES: dict[DatasetName, dict[str, Any]] = {
    "spp_rt": {"price_usd_mwh": 31.5},
    "spp_dam": {"price_usd_mwh": 28.0},
    "load_weather_zone": {"load_mw": 12_000.0},
    "load_forecast": {"load_forecast_mw": 12_000.0},
    "wind": {
        "generation_mw": 9_000.0,
        "forecast_mw": 9_100.0,
        "probabilistic_forecast_mw": 8_500.0,
        "cop_hsl_mw": 9_500.0,
        "hsl_mw": None,
    },
    "solar": {
        "generation_mw": None,
        "forecast_mw": 5_000.0,
        "probabilistic_forecast_mw": 4_500.0,
        "cop_hsl_mw": 6_000.0,
        "hsl_mw": 6_100.0,
    },
    "fuel_mix": {"generation_mw": -150.0},
    "weather": {
        "temperature_2m_c": 18.5,
        "relative_humidity_2m_pct": 60.0,
        "dew_point_2m_c": 10.2,
        "apparent_temperature_c": 17.0,
        "cloud_cover_pct": 40.0,
        "precipitation_mm": 0.0,
        "shortwave_radiation_wm2": 250.0,
        "direct_normal_irradiance_wm2": 300.0,
        "wind_speed_10m_ms": 4.0,
        "wind_speed_100m_ms": 8.0,
        "wind_direction_100m_deg": 180.0,
    },
}


def grid(day: dt.date, minutes: int) -> list[dt.datetime]:
    """Every interval start of the Central day ``day`` (UTC instants)."""
    start, end = local_day_bounds_utc(day)
    count = int((end - start) / dt.timedelta(minutes=minutes))
    return [start + dt.timedelta(minutes=minutes * n) for n in range(count)]


def rows_for(dataset: DatasetName, days: Iterable[dt.date]) -> list[dict[str, Any]]:
    schema = silver_schema(dataset)
    minutes = interval_minutes(dataset)
    rows: list[dict[str, Any]] = []
    for entity in ENTITIES[dataset]:
        for day in days:
            for start in grid(day, minutes):
                row = {**entity, **VALUES[dataset]}
                if schema.time_column == "time_utc":
                    row["time_utc"] = start
                else:
                    row["interval_start_utc"] = start
                    row["interval_end_utc"] = start + dt.timedelta(minutes=minutes)
                rows.append(row)
    return rows


def arrow_schema(dataset: DatasetName, *, lineage: bool = False) -> pa.Schema:
    schema = silver_schema(dataset).arrow_schema()
    if lineage:
        return schema
    lineage_names = {column.name for column in LINEAGE}
    return pa.schema([field for field in schema if field.name not in lineage_names])


def table_of(dataset: DatasetName, rows: Sequence[dict[str, Any]], *, lineage: bool = False) -> pa.Table:
    if lineage:
        lineage_values = {"source_dataset": dataset, "run_id": "run-1", "fetched_at_utc": POSTED}
        rows = [{**row, **lineage_values, "raw_key": f"raw/{n}"} for n, row in enumerate(rows)]
    return pa.Table.from_pylist(list(rows), schema=arrow_schema(dataset, lineage=lineage))


def build(dataset: DatasetName, days: Iterable[dt.date] = (NORMAL_DAY,), *, lineage: bool = False) -> pa.Table:
    return table_of(dataset, rows_for(dataset, days), lineage=lineage)


def check_entry(outcome: QualityOutcome, name: str) -> dict[str, Any]:
    entry: dict[str, Any] = next(check for check in outcome.report["checks"] if check["name"] == name)
    return entry


def assert_reconciles(outcome: QualityOutcome, rows_in: int) -> None:
    rows = outcome.report["rows"]
    assert rows["in"] == rows_in == rows["kept"] + rows["rejected"]
    assert (outcome.table.num_rows, outcome.rejected.num_rows) == (rows["kept"], rows["rejected"])


LENIENT = QualityConfig(max_rejected_fraction=1.0)  # to look at row rejection without the threshold
