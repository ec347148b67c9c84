"""Curation finds ERCOT's yearly files: a yearly file lands as one group under 1 January of its year and covers
every day of it, so any window inside the year (or across New Year) curates it, and the pipeline over two days of
2013 - long before the archive reaches - ends with those days in silver and in the warehouse.

The yearly files come from the sample source (the workbooks in ERCOT's layouts) seen from 2026-12-06, when every
2013 day of these datasets is served by the yearly door only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from energylake.contracts.datasets import CATALOG
from energylake.curate import manifests_for, raw_partitions_for, reprocess
from energylake.fetch import fetch
from energylake.lake.landing import list_raw
from energylake.lake.layout import parse_manifest_key
from energylake.lake.storage import LocalStorage
from energylake.local.runner import PipelineReport, run_pipeline
from energylake.sample import connection as sample_connection
from energylake.settings import Settings
from energylake.timeconv import local_day_bounds_utc
from energylake.window import Window

pytest.importorskip("pyspark", reason="pyspark is not installed (pip install -e '.[spark]')")

LATE = dt.datetime(2026, 12, 6, 18, tzinfo=dt.UTC)  # noon in Central time: 2013 is yearly-files country
WINDOW = Window.parse("2013-06-01", "2013-06-02")
YEARLY = ("spp_rt", "spp_dam", "load_weather_zone", "fuel_mix")


@dataclass(frozen=True)
class History:
    lake: LocalStorage
    warehouse: Path
    report: PipelineReport


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    """The whole local pipeline (fetch -> curate -> gold -> DuckDB) over 2013-06-01..02, as ``energylake backfill
    --source sample --start 2013-06-01 --end 2013-06-02 --sample-today 2026-12-06`` runs its one chunk."""
    folder = tmp_path_factory.mktemp("yearly")
    lake = LocalStorage(folder / "lake")
    warehouse = folder / "warehouse.duckdb"
    connection = sample_connection(Settings(), now=LATE, throttle_every=0)
    report = run_pipeline(WINDOW, (*YEARLY, "weather"), lake, str(warehouse), connection=connection)
    return History(lake, warehouse, report)


def silver_days(lake: LocalStorage, dataset: str) -> list[dt.date]:
    """The Central operating days the dataset's silver rows start in."""
    files = sorted((lake.root / "silver" / f"dataset={dataset}").rglob("*.parquet"))
    table = pa.concat_tables(pq.read_table(path, columns=["interval_start_utc"]) for path in files)
    local = pc.local_timestamp(pc.cast(table["interval_start_utc"], pa.timestamp("us", tz="America/Chicago")))
    return sorted(pc.unique(pc.cast(local, pa.date32())).to_pylist())


def query(warehouse: Path, sql: str, parameters: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return list(con.execute(sql, list(parameters)).fetchall())
    finally:
        con.close()


def test_the_pipeline_over_two_days_of_2013_curates_each_yearly_file_once_and_it_passes(history: History) -> None:
    # THEN every ERCOT dataset's window came through its yearly file: one group each, landed under 2013-01-01
    curated = {result.dataset: result for result in history.report.curated}
    assert set(curated) == {*YEARLY, "weather"}
    for dataset in YEARLY:
        result = curated[dataset]
        # ... and it passed the gate: the fuel mix report's 15-minute intervals are that door's own cadence
        assert result.status == "passed", (dataset, result.reason)
        assert parse_manifest_key(result.manifest_key).day == dt.date(2013, 1, 1)
        assert result.rows_out == result.rows_in > 0
        doors = {history.lake.metadata(key)["source-used"] for key in list_raw(history.lake, "ercot", dataset)}
        assert doors == {"ercot-yearly"}, dataset


def test_the_yearly_served_days_are_in_silver_every_day_of_the_year(history: History) -> None:
    # THEN silver holds the window's days, and with them the rest of the year the file covers (split by UTC date)
    year = [dt.date(2013, 1, 1) + dt.timedelta(days=n) for n in range(365)]
    for dataset in YEARLY:
        assert silver_days(history.lake, dataset) == year, dataset


def test_the_warehouse_holds_prices_load_and_fuel_mix_for_the_window(history: History) -> None:
    start, _ = local_day_bounds_utc(WINDOW.start)
    _, end = local_day_bounds_utc(WINDOW.end)
    within = (start, end)  # the window's UTC bounds, for "interval_start_utc >= ? AND interval_start_utc < ?"
    # THEN real-time (15-minute) and day-ahead (hourly) prices of the hubs and load zones ...
    per_market = (
        "SELECT market, COUNT(DISTINCT interval_start_utc) FROM ercot_spp "
        "WHERE interval_start_utc >= ? AND interval_start_utc < ? GROUP BY market"
    )
    assert sorted(query(history.warehouse, per_market, within)) == [("DAM", 2 * 24), ("RT15", 2 * 96)]
    # ... load for the 8 weather zones, every hour of both days ...
    zones_and_hours = (
        "SELECT COUNT(DISTINCT weather_zone), COUNT(DISTINCT interval_start_utc) FROM ercot_load_by_weather_zone "
        "WHERE interval_start_utc >= ? AND interval_start_utc < ? AND weather_zone <> 'ERCOT'"
    )
    assert query(history.warehouse, zones_and_hours, within) == [(8, 48)]
    # ... the yearly fuel mix at its own 15-minute cadence ...
    per_fuel = query(
        history.warehouse,
        "SELECT fuel, COUNT(*) FROM ercot_fuel_mix "
        "WHERE interval_start_utc >= ? AND interval_start_utc < ? GROUP BY fuel",
        within,
    )
    assert per_fuel and {count for _, count in per_fuel} == {2 * 96}
    # ... and the system view has load and prices in every hour of the window
    flags = "SELECT COUNT(*), COUNT(*) FILTER (has_load), COUNT(*) FILTER (has_prices) FROM system_hourly"
    assert query(history.warehouse, flags) == [(48, 48, 48)]


def test_another_window_of_the_same_year_finds_the_same_yearly_groups_without_fetching(history: History) -> None:
    # GIVEN the lake the 2013-06 run left (nothing fetched for September)
    landed = {result.dataset: result.manifest_key for result in history.report.curated if result.dataset in YEARLY}
    autumn = Window.parse("2013-09-10", "2013-09-10")
    # WHEN its days are looked up, and reprocessed
    for dataset in YEARLY:
        assert manifests_for(autumn, dataset, history.lake) == [landed[dataset]]
    results = reprocess(autumn, history.lake, ["spp_dam"], run_id="autumn")
    # THEN the yearly group is curated again (rewriting its own silver keys) and passes
    assert [(result.manifest_key, result.status) for result in results] == [(landed["spp_dam"], "passed")]


def test_a_window_across_new_year_finds_both_years_files(tmp_path: Path) -> None:
    # GIVEN two days across New Year landed through the yearly door: 2012's file and 2013's
    lake = LocalStorage(tmp_path / "lake")
    window = Window.parse("2012-12-31", "2013-01-01")
    connection = sample_connection(Settings(), now=LATE, throttle_every=0)
    landed = fetch(window, "load_weather_zone", lake, connection).manifests
    assert [parse_manifest_key(key).day for key in landed] == [dt.date(2012, 1, 1), dt.date(2013, 1, 1)]
    # WHEN the window is curated
    results = reprocess(window, lake, ["load_weather_zone"], run_id="new-year")
    # THEN both groups are found and pass, and each day of the window is in silver
    assert sorted(result.manifest_key for result in results) == sorted(landed)
    assert {result.status for result in results} == {"passed"}
    days = silver_days(lake, "load_weather_zone")
    assert {dt.date(2012, 12, 31), dt.date(2013, 1, 1)} <= set(days)


# --- which partitions are looked at (pure) ------------------------------------------------------------------------


def test_a_dataset_with_a_yearly_file_also_looks_at_1_january_of_each_year_the_window_touches() -> None:
    window = Window.parse("2012-12-20", "2014-01-05")
    around = set(raw_partitions_for(window, "load_forecast"))  # no yearly file: only the days around the window
    with_yearly = raw_partitions_for(window, "load_weather_zone")
    assert with_yearly == sorted(with_yearly)
    assert set(with_yearly) - around == {dt.date(2012, 1, 1)}  # 2013-01-01 and 2014-01-01 are near the window anyway
    assert len(with_yearly) == len(set(with_yearly))


def test_the_partitions_looked_at_are_the_window_and_its_margins_plus_at_most_one_per_year() -> None:
    # GIVEN a window of two weeks in July, and ERCOT's whole history
    for window in (Window.parse("2013-07-01", "2013-07-14"), Window.parse("2011-01-01", "2026-12-05")):
        without_yearly = raw_partitions_for(window, "load_forecast")
        # THEN every dataset looks at the window's days and a few days' margin around them (never the whole raw zone)
        assert without_yearly[0] < window.start and without_yearly[-1] > window.end
        assert len(without_yearly) - window.days_count <= 16 + 7
        # AND a dataset with a yearly file adds only the 1 January of its years the margins do not already hold
        for dataset, entry in CATALOG.items():
            extra = set(raw_partitions_for(window, dataset)) - set(without_yearly)
            new_years = {dt.date(year, 1, 1) for year in range(window.start.year, window.end.year + 1)}
            assert extra == (new_years - set(without_yearly) if entry.yearly is not None else set()), dataset


def test_a_short_window_looks_at_its_year_s_1_january_only_for_datasets_with_a_yearly_file() -> None:
    window = Window.parse("2013-06-01", "2013-06-02")
    for dataset, entry in CATALOG.items():
        has_new_year = dt.date(2013, 1, 1) in raw_partitions_for(window, dataset)
        assert has_new_year == (entry.yearly is not None), dataset


# --- a backfill's chunks do not curate a yearly group again and again ------------------------------------------------


def test_a_chunk_skips_a_yearly_group_already_passed_from_its_manifest_and_a_plain_reprocess_does_not(
    tmp_path: Path,
) -> None:
    # GIVEN 2013's day-ahead yearly file, landed and curated for a June chunk
    lake = LocalStorage(tmp_path / "lake")
    connection = sample_connection(Settings(), now=LATE, throttle_every=0)
    [landed] = fetch(WINDOW, "spp_dam", lake, connection).manifests
    [first] = reprocess(WINDOW, lake, ["spp_dam"], run_id="june", skip_curated=True)
    assert (first.manifest_key, first.status) == (landed, "passed")
    silver = sorted(lake.list("silver/dataset=spp_dam/"))
    # WHEN a July chunk is curated the way a backfill's chunks are
    july = Window.parse("2013-07-01", "2013-07-07")
    [again] = reprocess(july, lake, ["spp_dam"], run_id="july", skip_curated=True)
    # THEN the group is skipped, naming why, and its silver is untouched (still the June run's rows)
    assert (again.manifest_key, again.status) == (landed, "skipped")
    assert again.reason == "already curated from this manifest (run june)"
    assert sorted(lake.list("silver/dataset=spp_dam/")) == silver
    run_ids = pq.read_table(lake.root / silver[200], columns=["run_id"])["run_id"].to_pylist()
    assert set(run_ids) == {"june"}
    # AND a plain reprocess (after a parser change, say) curates it again
    [plain] = reprocess(july, lake, ["spp_dam"], run_id="rebuild")
    assert plain.status == "passed"
    # AND a newer manifest of the group (a refetch) is curated, not skipped
    newer = landed.replace("20261206T18", "20261207T18")
    assert newer != landed
    lake.put(newer, lake.get(landed).replace(b"2026-12-06T18", b"2026-12-07T18"))
    [refetched] = reprocess(july, lake, ["spp_dam"], run_id="refetch", skip_curated=True)
    assert (refetched.manifest_key, refetched.status) == (newer, "passed")


def test_a_backfill_chunk_leaves_a_yearly_group_the_chunk_before_curated_alone(tmp_path: Path) -> None:
    # GIVEN a backfill's first chunk of 2013 fetched and curated the yearly fuel-mix file (one group for the year)
    lake = LocalStorage(tmp_path / "lake")
    connection = sample_connection(Settings(), now=LATE, throttle_every=0)
    stages = ("fetch", "curate")
    first = run_pipeline(WINDOW, ("fuel_mix",), lake, "", connection=connection, stages=stages, skip_curated=True)
    assert [result.status for result in first.curated] == ["passed"]
    silver = sorted((lake.root / "silver" / "dataset=fuel_mix").rglob("*.parquet"))
    written = {path: path.stat().st_mtime_ns for path in silver}
    # WHEN the next chunk of the same year runs as a backfill does (skip_curated)
    next_chunk = Window.parse("2013-06-03", "2013-06-04")
    second = run_pipeline(next_chunk, ("fuel_mix",), lake, "", connection=connection, stages=stages, skip_curated=True)
    # THEN the year's group is not curated again: reported skipped, its silver files untouched
    assert [(result.manifest_key, result.status) for result in second.curated] == [
        (first.curated[0].manifest_key, "skipped")
    ]
    assert {path: path.stat().st_mtime_ns for path in silver} == written
    # AND a plain run (a re-curation the user asked for) curates it again
    again = run_pipeline(next_chunk, ("fuel_mix",), lake, "", connection=connection, stages=("curate",))
    assert [result.status for result in again.curated] == ["passed"]
