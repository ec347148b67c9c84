"""The DuckDB warehouse on a small hand-built lake (silver + gold Parquet in their exact layouts).

Window: operating days 2024-07-01..2024-07-02 (CDT), i.e. UTC [2024-07-01 05:00, 2024-07-03 05:00), which touches
the UTC-date partitions 2024-07-01, 07-02 and 07-03.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from energylake.contracts import schemas as schema
from energylake.errors import WarehouseError, WarehouseLoadError
from energylake.lake.storage import LocalStorage
from energylake.warehouse import duckdb as warehouse
from energylake.warehouse.model import WAREHOUSE, WarehouseColumn
from energylake.window import Window
from tests.support.silver_reports import record_passed

START, END = dt.date(2024, 7, 1), dt.date(2024, 7, 2)
WINDOW = Window(START, END)
WINDOW_START = dt.datetime(2024, 7, 1, 5, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
QUARTER = dt.timedelta(minutes=15)
FETCHED = dt.datetime(2024, 7, 3, 12, tzinfo=dt.UTC)
BASE = schema.DEGREE_BASE_C


def _utc(hours: float) -> dt.datetime:
    return WINDOW_START + dt.timedelta(hours=hours)


def _write(lake: Path, key: str, contract: schema.TableSchema, rows: list[dict[str, Any]]) -> None:
    """Write rows (missing nullable columns -> null) with the contract's exact Arrow schema; a silver file is listed
    in its group's passed quality report, as curation does (the loader reads nothing else)."""
    path = lake / key
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = {c.name: [row.get(c.name) for row in rows] for c in contract.columns}
    pq.write_table(pa.table(columns, schema=contract.arrow_schema()), path)
    if key.startswith("silver/"):
        record_passed(lake, key)


def _lineage(dataset: str, fetched: dt.datetime = FETCHED, raw: str = "a") -> dict[str, Any]:
    return {
        "source_dataset": dataset,
        "raw_key": f"raw/source=ercot/dataset={dataset}/date=2024-07-01/fp/{raw}.json",
        "run_id": "run-test",
        "fetched_at_utc": fetched,
    }


def _spp(market: str, point: str, start: dt.datetime, price: float, **lineage: Any) -> dict[str, Any]:
    minutes = 15 if market == "RT15" else 60
    dataset = "spp_rt" if market == "RT15" else "spp_dam"
    return {
        "market": market,
        "settlement_point": point,
        "settlement_point_type": "HU",
        "interval_start_utc": start,
        "interval_end_utc": start + dt.timedelta(minutes=minutes),
        "price_usd_mwh": price,
        **_lineage(dataset, **lineage),
    }


def _hour_labels(hours: float) -> dict[str, Any]:
    start = _utc(hours)
    day_index, hour_index = divmod(int(hours), 24)
    return {
        "interval_start_utc": start,
        "interval_end_utc": start + HOUR,
        "operating_day": START + dt.timedelta(days=day_index),
        "hour_ending": hour_index + 1,
        "repeated_hour": False,
    }


def _gold_partitions(lake: Path, table: schema.TableSchema, rows: list[dict[str, Any]]) -> None:
    by_date: dict[dt.date, list[dict[str, Any]]] = {}
    for row in rows:
        by_date.setdefault(row["interval_start_utc"].date(), []).append(row)
    for day, day_rows in by_date.items():
        _write(lake, f"gold/{table.name}/date={day}/part-0.parquet", table, day_rows)


# Day-1 hub prices: 30 except one 600 hour; day 2: 40, with a 100 (> 3 x median 30) and an 80 (not a spike).
def _hub_price(hour: int) -> float:
    if hour < 24:
        return 600.0 if hour == 10 else 30.0
    return {24 + 12: 100.0, 24 + 13: 80.0}.get(hour, 40.0)


def _system_load(hour: int) -> float:
    he = hour % 24 + 1
    return 40_000.0 + he + (5_000.0 if he == 17 else 0.0) + (10.0 if hour >= 24 and he == 17 else 0.0)


def build_lake(lake: Path) -> None:
    # silver spp: RT rows inside and just outside the window, in partitions 07-01 and 07-02; one DAM row.
    _write(lake, "silver/dataset=spp_rt/date=2024-07-01/g1.parquet", schema.SPP, [
        _spp("RT15", "HB_NORTH", WINDOW_START - QUARTER, 10.0),  # 04:45Z: before the window
        _spp("RT15", "HB_NORTH", WINDOW_START, 20.0),
        _spp("RT15", "HB_NORTH", WINDOW_START + QUARTER, 21.0),
    ])  # fmt: skip
    _write(lake, "silver/dataset=spp_rt/date=2024-07-03/g1.parquet", schema.SPP, [
        _spp("RT15", "HB_NORTH", _utc(48) - QUARTER, 22.0),  # 07-03 04:45Z: last quarter of the window
        _spp("RT15", "HB_NORTH", _utc(48), 23.0),  # 07-03 05:00Z: after the window
    ])  # fmt: skip
    _write(lake, "silver/dataset=spp_dam/date=2024-07-01/g1.parquet", schema.SPP, [
        _spp("DAM", "HB_NORTH", WINDOW_START, 25.0),
    ])  # fmt: skip
    # silver zone load and weather: 2 zones x 3 hours
    _write(lake, "silver/dataset=load_weather_zone/date=2024-07-01/g1.parquet", schema.LOAD_WEATHER_ZONE, [
        {"weather_zone": zone, "interval_start_utc": _utc(h), "interval_end_utc": _utc(h + 1), "load_mw": 1000.0 + h,
         **_lineage("load_weather_zone")}
        for zone in ("COAST", "NORTH") for h in range(3)
    ])  # fmt: skip
    _write(lake, "silver/dataset=weather/date=2024-07-01/g1.parquet", schema.WEATHER, [
        {"weather_zone": zone, "time_utc": _utc(h), "temperature_2m_c": 30.0, **_lineage("weather")}
        for zone in ("COAST", "NORTH") for h in range(3)
    ])  # fmt: skip
    # gold energy_weather_hourly: COAST warm, load = 1000 + 50 CDH; NORTH cold, load = 2000 + 30 HDH.
    # wind speed 3 + h % 4 (bins 3..6), irradiance 100 * (h % 6) (bins 0..500), the same in both zones.
    ewh = []
    for h in range(48):
        coast_t = BASE + 1 + (h % 12)
        north_t = BASE - 2 - (h % 8)
        for zone, temp, load in (
            ("COAST", coast_t, 1000.0 + 50.0 * (coast_t - BASE)),
            ("NORTH", north_t, 2000.0 + 30.0 * (BASE - north_t)),
        ):
            ewh.append({
                "weather_zone": zone, **_hour_labels(h), "load_mw": load, "temperature_2m_c": temp,
                "wind_speed_100m_ms": 3.0 + h % 4, "shortwave_radiation_wm2": 100.0 * (h % 6),
                "cooling_degree_hours": max(0.0, temp - BASE), "heating_degree_hours": max(0.0, BASE - temp),
                "has_load": True, "has_weather": True,
            })  # fmt: skip
    _gold_partitions(lake, schema.ENERGY_WEATHER_HOURLY, ewh)
    system = [
        {
            **_hour_labels(h),
            "load_mw": _system_load(h),
            "load_zones": 8,
            "wind_generation_mw": 1000.0 * (3.0 + h % 4),
            "solar_generation_mw": 10.0 * 100.0 * (h % 6),
            "net_load_mw": _system_load(h) - 1000.0 * (3.0 + h % 4) - 1000.0 * (h % 6),
            "rt_price_hub_avg_usd_mwh": _hub_price(h),
            "load_weighted_temperature_c": 25.0,
            "has_load": True,
            "has_prices": True,
            "has_renewables": True,
            "has_weather": True,
        }
        for h in range(48)
    ]
    _gold_partitions(lake, schema.SYSTEM_HOURLY, system)


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    root = tmp_path / "lake"
    build_lake(root)
    return root


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "warehouse.duckdb")


def _rows(db: str, table: str) -> pa.Table:
    data = warehouse.query(db, f"SELECT * FROM {table}")  # noqa: S608 - names from the model
    return data.sort_by([(name, "ascending") for name in data.column_names])


def _snapshot(db: str) -> dict[str, pa.Table]:
    return {name: _rows(db, name) for name in WAREHOUSE.table_names}


def _view(db: str, view: str, order: str) -> list[dict[str, Any]]:
    return warehouse.query(db, f"SELECT * FROM {view} ORDER BY {order}").to_pylist()  # noqa: S608 - test constants


EXPECTED_COUNTS = {
    "ercot_spp": 4,  # 3 RT quarters in the window + 1 DAM hour
    "ercot_load_by_weather_zone": 6,
    "weather_hourly": 6,
    "ercot_load_forecast": 0,  # no files: 0 rows, no error
    "ercot_wind_solar": 0,
    "ercot_fuel_mix": 0,
    "energy_weather_hourly": 96,
    "system_hourly": 48,
    "ercot_spp_hourly": 0,
}


def test_load_counts_rows_and_a_reload_changes_nothing(lake: Path, db: str) -> None:
    assert warehouse.load(WINDOW, LocalStorage(lake), db) == EXPECTED_COUNTS
    first = _snapshot(db)
    assert {name: table.num_rows for name, table in first.items()} == EXPECTED_COUNTS
    assert warehouse.load(WINDOW, LocalStorage(lake), db) == dict.fromkeys(EXPECTED_COUNTS, 0)
    assert _snapshot(db) == first  # identical rows, loaded_at_utc included
    prices = _view(db, "ercot_spp", "market, interval_start_utc")
    assert [(r["market"], r["price_usd_mwh"]) for r in prices] == [
        ("DAM", 25.0), ("RT15", 20.0), ("RT15", 21.0), ("RT15", 22.0)
    ]  # fmt: skip
    assert prices[0]["raw_key"].startswith("raw/source=ercot/dataset=spp_dam/")  # lineage travels
    # natural keys are unique in every table
    for table in WAREHOUSE.tables:
        key = ", ".join(table.natural_key)
        duplicates = f"SELECT {key} FROM {table.name} GROUP BY {key} HAVING COUNT(*) > 1"  # noqa: S608 - model names
        dupes = warehouse.query(db, duplicates)
        assert dupes.num_rows == 0, table.name


def test_a_table_subset_loads_only_those_tables(lake: Path, db: str) -> None:
    assert warehouse.load(Window(START, START), LocalStorage(lake), db, tables=["ercot_spp"]) == {
        "ercot_spp": 3
    }  # 2 RT + 1 DAM on day 1
    assert warehouse.query(db, "SELECT COUNT(*) AS n FROM system_hourly").column("n").to_pylist() == [0]


def test_the_newest_fetch_wins_within_a_load_and_across_loads(lake: Path, db: str) -> None:
    # a second group in the same partition: the same key fetched later with another price (and an older fetch)
    _write(lake, "silver/dataset=spp_rt/date=2024-07-01/g2.parquet", schema.SPP, [
        _spp("RT15", "HB_NORTH", WINDOW_START, 99.0, fetched=FETCHED + HOUR, raw="b"),
        _spp("RT15", "HB_NORTH", WINDOW_START + QUARTER, 1.0, fetched=FETCHED - HOUR, raw="c"),
    ])  # fmt: skip
    warehouse.load(WINDOW, LocalStorage(lake), db)
    rt = _view(db, "ercot_spp", "interval_start_utc")
    assert [r["price_usd_mwh"] for r in rt if r["market"] == "RT15"] == [99.0, 21.0, 22.0]
    before = {r["interval_start_utc"]: r for r in rt}
    # a later fetch lands after the first load: only that row changes (and gets a new loaded_at_utc)
    _write(lake, "silver/dataset=spp_rt/date=2024-07-01/g3.parquet", schema.SPP, [
        _spp("RT15", "HB_NORTH", WINDOW_START + QUARTER, 77.0, fetched=FETCHED + 2 * HOUR, raw="d"),
    ])  # fmt: skip
    assert warehouse.load(WINDOW, LocalStorage(lake), db)["ercot_spp"] == 1
    after = {r["interval_start_utc"]: r for r in _view(db, "ercot_spp", "interval_start_utc")}
    changed = WINDOW_START + QUARTER
    assert after[changed]["price_usd_mwh"] == 77.0 and after[changed]["raw_key"].endswith("/d.json")
    assert after[changed]["loaded_at_utc"] > before[changed]["loaded_at_utc"]
    assert all(after[k] == before[k] for k in before if k != changed)


def test_views_return_the_hand_computed_numbers(lake: Path, db: str) -> None:
    warehouse.load(WINDOW, LocalStorage(lake), db)
    # the sensitivity, price, forecast and fuel-mix views have hand-computed tests of their own (test_views_*.py);
    # here: they run over a loaded warehouse
    sensitivity = {(r["weather_zone"], r["regime"]) for r in
                   _view(db, "v_load_temperature_sensitivity", "weather_zone, regime")}  # fmt: skip
    assert sensitivity == {("COAST", "cooling"), ("NORTH", "heating")}
    assert _view(db, "v_price_spikes", "interval_start_utc") == []  # no ercot_spp_hourly rows in this lake

    wind = _view(db, "v_wind_vs_wind_speed_binned", "wind_speed_bin_ms")
    assert [(r["wind_speed_bin_ms"], r["hours"], r["mean_wind_generation_mw"]) for r in wind] == [
        (3.0, 12, 3000.0), (4.0, 12, 4000.0), (5.0, 12, 5000.0), (6.0, 12, 6000.0)
    ]  # fmt: skip
    hourly_wind = _view(db, "v_wind_vs_wind_speed", "interval_start_utc")
    assert len(hourly_wind) == 48 and hourly_wind[1]["mean_wind_speed_100m_ms"] == 4.0
    assert hourly_wind[1]["weather_zones"] == 2
    solar = _view(db, "v_solar_vs_irradiance_binned", "irradiance_bin_wm2")
    assert [(r["irradiance_bin_wm2"], r["hours"], r["mean_solar_generation_mw"]) for r in solar] == [
        (100.0 * k, 8, 1000.0 * k) for k in range(6)
    ]

    (peak,) = _view(db, "v_peak_hours_by_month", "month_start")
    assert peak["month_start"] == dt.date(2024, 7, 1)
    assert peak["peak_hour_ending"] == 17 and peak["peak_hour_avg_load_mw"] == pytest.approx(45_022.0)
    assert peak["peak_load_mw"] == 45_027.0 and peak["peak_interval_start_utc"] == _utc(24 + 16)
    assert peak["hours"] == 48

    freshness = {(r["table_name"], r["dataset"]): r for r in _view(db, "v_data_freshness", "table_name, dataset")}
    assert len(freshness) == sum(len(t.sources) for t in WAREHOUSE.tables)
    rt = freshness["ercot_spp", "spp_rt"]
    assert rt["row_count"] == 3 and rt["newest_utc"] == _utc(48) - QUARTER
    assert rt["minutes_behind"] > 0 and rt["freshness_column"] == "interval_start_utc"
    assert freshness["ercot_spp", "spp_dam"]["row_count"] == 1
    assert freshness["system_hourly", "system_hourly"]["row_count"] == 48
    empty = freshness["ercot_fuel_mix", "fuel_mix"]
    assert (empty["row_count"], empty["newest_utc"], empty["minutes_behind"]) == (0, None, None)
    assert freshness["ercot_load_forecast", "load_forecast"]["freshness_column"] == "posted_at_utc"


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda path: path.write_bytes(b"PAR1 this is not parquet PAR1"),
        lambda path: pq.write_table(
            pa.table(
                {
                    "market": ["RT15"],
                    "settlement_point": ["HB_WEST"],
                    "interval_start_utc": [_utc(47)],
                    "price_usd_mwh": ["not a number"],
                }
            ),
            path,
        ),
    ],
    ids=["garbage-bytes", "wrong-types"],
)
def test_a_failure_names_table_and_window_and_leaves_rows_untouched(
    lake: Path, db: str, corrupt: Callable[[Path], None]
) -> None:
    warehouse.load(WINDOW, LocalStorage(lake), db)
    before = _snapshot(db)
    # a newer, valid fetch beside a broken file: neither may land
    _write(lake, "silver/dataset=spp_rt/date=2024-07-01/g2.parquet", schema.SPP, [
        _spp("RT15", "HB_NORTH", WINDOW_START, 55.0, fetched=FETCHED + HOUR, raw="b"),
    ])  # fmt: skip
    broken = "silver/dataset=spp_rt/date=2024-07-03/broken.parquet"
    corrupt(lake / broken)
    record_passed(lake, broken)  # listed by a passed report, so the loader must read it
    with pytest.raises(WarehouseLoadError) as caught:
        warehouse.load(WINDOW, LocalStorage(lake), db)
    assert caught.value.table == "ercot_spp" and caught.value.window == WINDOW
    assert str(caught.value.window) == "2024-07-01..2024-07-02"
    assert "ercot_spp" in str(caught.value) and "2024-07-01..2024-07-02" in str(caught.value)
    assert _snapshot(db) == before


def test_migrations_are_idempotent_and_a_newer_version_adds_a_column(lake: Path, db: str) -> None:
    current = WAREHOUSE.version
    assert warehouse.migrate(db) == current
    assert warehouse.migrate(db) == current
    versions = warehouse.query(db, "SELECT version FROM schema_version").column("version").to_pylist()
    assert versions == list(range(1, current + 1))
    warehouse.load(WINDOW, LocalStorage(lake), db)
    before = _rows(db, "ercot_spp")

    newer = WAREHOUSE.with_column(
        "ercot_spp", WarehouseColumn("price_note", pa.string(), True, "a column from a later version"), "add note"
    )
    assert warehouse.migrate(db, model=newer) == current + 1
    assert warehouse.migrate(db, model=newer) == current + 1  # applying twice changes nothing
    versions = warehouse.query(db, "SELECT version, description FROM schema_version ORDER BY version").to_pylist()
    assert versions[0] == {"version": 1, "description": "initial warehouse: 9 tables"}
    assert versions[-1] == {"version": current + 1, "description": "add note"}
    after = _rows(db, "ercot_spp")
    assert set(after.column_names) == {*before.column_names, "price_note"}
    assert after.select(before.column_names) == before  # existing rows kept
    assert after.column("price_note").null_count == after.num_rows
    # the newer code loads files written before the column existed (it reads as NULL); a reload changes nothing
    assert warehouse.load(WINDOW, LocalStorage(lake), db, model=newer)["ercot_spp"] == 0
    # older code refuses a newer file instead of loading into a schema it does not know
    with pytest.raises(WarehouseError, match=f"schema version {current + 1}"):
        warehouse.load(WINDOW, LocalStorage(lake), db)


def test_an_empty_lake_loads_nothing_without_error(tmp_path: Path, db: str) -> None:
    counts = warehouse.load(WINDOW, LocalStorage(tmp_path / "no-lake"), db)
    assert counts == dict.fromkeys(WAREHOUSE.table_names, 0)
    assert warehouse.query(db, "SELECT COUNT(*) AS n FROM v_data_freshness").column("n").to_pylist() == [11]


def test_a_recuration_of_the_same_raw_is_no_change(lake: Path, db: str) -> None:
    # GIVEN a loaded window
    warehouse.load(WINDOW, LocalStorage(lake), db)
    before = _snapshot(db)
    # WHEN its silver is curated again (every row gets the new curation run's id, nothing else changes) and reloaded
    for path in sorted((lake / "silver").rglob("*.parquet")):
        table = pq.read_table(path)
        column = table.schema.get_field_index("run_id")
        table = table.set_column(column, table.schema.field(column), pa.array(["rerun"] * table.num_rows, pa.string()))
        pq.write_table(table, path)
    written = warehouse.load(WINDOW, LocalStorage(lake), db)
    # THEN the silver tables report no rows written and keep their rows (lineage of the run that last changed them)
    assert {name: written[name] for name in ("ercot_spp", "ercot_load_by_weather_zone", "weather_hourly")} == {
        "ercot_spp": 0,
        "ercot_load_by_weather_zone": 0,
        "weather_hourly": 0,
    }
    assert _snapshot(db) == before
