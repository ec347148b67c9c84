"""The whole local pipeline as `make demo` runs it: fetch -> curate -> gold (Spark) -> DuckDB warehouse."""

from __future__ import annotations

from pathlib import Path

import duckdb

from tests.support.cli import energylake

WINDOW = ["--start", "2024-11-02", "--end", "2024-11-04"]


def warehouse_rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            "system_hourly": con.sql(
                "SELECT interval_start_utc, hour_ending, repeated_hour, load_mw FROM system_hourly ORDER BY 1"
            ).fetchall(),
            "ercot_spp": con.sql(
                "SELECT market, settlement_point, interval_start_utc, price_usd_mwh FROM ercot_spp ORDER BY 1, 2, 3"
            ).fetchall(),
        }
    finally:
        con.close()


def test_the_local_pipeline_fills_the_warehouse_with_dst_correct_hours_and_reruns_identically(tmp_path: Path) -> None:
    lake = str(tmp_path / "lake")
    datasets = [arg for name in ("spp_rt", "spp_dam", "load_weather_zone", "weather") for arg in ("--dataset", name)]
    # GIVEN a window holding the 2024 fall-back day, fetched from the sample source and curated
    for command in (["fetch", "--source", "sample"], ["reprocess", "--silver-only"], ["gold"], ["load"]):
        done = energylake(*command, *WINDOW, *datasets, "--lake", lake) if command[0] in ("fetch", "reprocess") \
            else energylake(*command, *WINDOW, "--lake", lake)  # fmt: skip
        assert done.returncode == 0, f"{command[0]} failed: {done.stderr[-2000:]}"
    warehouse = Path(lake) / "warehouse.duckdb"
    first = warehouse_rows(warehouse)
    # THEN the fall-back operating day has 25 hours, hour ending 2 twice (the second flagged repeated)
    con = duckdb.connect(str(warehouse), read_only=True)
    labels = con.sql(
        "SELECT hour_ending, repeated_hour FROM system_hourly WHERE operating_day = DATE '2024-11-03' ORDER BY 1, 2"
    ).fetchall()
    con.close()
    assert len(labels) == 25
    assert labels[1:3] == [(2, False), (2, True)]
    # WHEN curation, gold and the load run again THEN the warehouse holds exactly the same rows
    for command in (["reprocess", "--silver-only"], ["gold"], ["load"]):
        assert energylake(*command, *WINDOW, "--lake", lake).returncode == 0
    assert warehouse_rows(warehouse) == first
