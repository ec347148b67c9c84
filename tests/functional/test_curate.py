"""Curation end to end on a local lake: sample replies -> raw groups -> silver Parquet or quarantine, with reports."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from energylake.contracts.schemas import SPP, WEATHER
from energylake.curate import curate, reprocess
from energylake.fetch import fetch
from energylake.lake.landing import list_manifests
from energylake.lake.storage import LocalStorage, Storage
from energylake.sample import connection as sample_connection
from energylake.settings import Settings
from energylake.timeconv import local_day_bounds_utc
from energylake.window import Window
from tests.support.fakes import land_unparseable_version

AFTER_WINDOW = dt.datetime(2024, 11, 8, 12, tzinfo=dt.UTC)
FALL_BACK = Window(dt.date(2024, 11, 2), dt.date(2024, 11, 4))


@pytest.fixture
def lake(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "lake")


def fetch_sample(lake: Storage, dataset: str, window: Window, now: dt.datetime = AFTER_WINDOW) -> list[str]:
    return fetch(window, dataset, lake, sample_connection(Settings(), now=now, throttle_every=0)).manifests


def silver_table(lake: LocalStorage, dataset: str) -> pa.Table:
    files = sorted((lake.root / "silver" / f"dataset={dataset}").rglob("*.parquet"))
    return pa.concat_tables(pq.read_table(f) for f in files)


def rows_on_local_day(table: pa.Table, day: dt.date, time_column: str = "interval_start_utc") -> pa.Table:
    start, end = local_day_bounds_utc(day)
    times = table[time_column]
    mask = pc.and_(pc.greater_equal(times, pa.scalar(start)), pc.less(times, pa.scalar(end)))
    return table.filter(mask)


def test_spp_rt_over_the_fall_back_day_curates_to_100_quarter_hours_per_point(lake: LocalStorage) -> None:
    # GIVEN three days of real-time prices landed from the sample API
    fetch_sample(lake, "spp_rt", FALL_BACK)
    # WHEN the window is reprocessed
    results = reprocess(FALL_BACK, lake, ["spp_rt"], run_id="run-1")
    # THEN every group passed, rows reconcile, and the DST day has 100 unique quarter hours per settlement point
    assert [r.status for r in results] == ["passed"] * 3
    assert all(r.rows_in == r.rows_out + r.rows_rejected for r in results)
    table = silver_table(lake, "spp_rt")
    assert table.schema.equals(SPP.arrow_schema(), check_metadata=False)
    fall_back = rows_on_local_day(table, dt.date(2024, 11, 3))
    per_point = fall_back.group_by("settlement_point").aggregate([("interval_start_utc", "count_distinct")])
    assert set(per_point["interval_start_utc_count_distinct"].to_pylist()) == {100}
    assert set(table["market"].to_pylist()) == {"RT15"}
    assert set(table["run_id"].to_pylist()) == {"run-1"}
    assert all(key.startswith("raw/source=ercot/dataset=spp_rt/") for key in set(table["raw_key"].to_pylist()))


def test_silver_is_partitioned_by_utc_date_and_named_after_the_group(lake: LocalStorage) -> None:
    manifests = fetch_sample(lake, "spp_dam", Window(dt.date(2024, 11, 3), dt.date(2024, 11, 3)))
    result = curate(manifests[0], lake, run_id="r")
    # A Central day spans two UTC dates: 05:00Z on the 3rd to 06:00Z on the 4th.
    assert [key.split("/")[2] for key in result.silver_keys] == ["date=2024-11-03", "date=2024-11-04"]
    assert all(key.endswith(f"/{result.group}.parquet") for key in result.silver_keys)
    report = json.loads(lake.get(result.report_key or ""))
    assert report["status"] == "passed"
    assert report["outputs"]["silver"] == result.silver_keys


def test_reprocessing_replaces_instead_of_adding(lake: LocalStorage) -> None:
    fetch_sample(lake, "load_weather_zone", FALL_BACK)
    reprocess(FALL_BACK, lake, ["load_weather_zone"], run_id="first")
    before = sorted(lake.list("silver/"))
    first = silver_table(lake, "load_weather_zone").drop_columns(["run_id"])
    reprocess(FALL_BACK, lake, ["load_weather_zone"], run_id="second")
    assert sorted(lake.list("silver/")) == before
    second = silver_table(lake, "load_weather_zone")
    assert set(second["run_id"].to_pylist()) == {"second"}
    assert second.drop_columns(["run_id"]).equals(first)


def test_load_by_weather_zone_has_25_hours_per_zone_on_the_fall_back_day(lake: LocalStorage) -> None:
    fetch_sample(lake, "load_weather_zone", FALL_BACK)
    reprocess(FALL_BACK, lake, ["load_weather_zone"])
    day = rows_on_local_day(silver_table(lake, "load_weather_zone"), dt.date(2024, 11, 3))
    counts = day.group_by("weather_zone").aggregate([("interval_start_utc", "count_distinct")])
    assert dict(zip(counts["weather_zone"].to_pylist(), counts["interval_start_utc_count_distinct"].to_pylist(),
                    strict=True)) == {zone: 25 for zone in counts["weather_zone"].to_pylist()}  # fmt: skip
    assert len(counts) == 8


def test_weather_curates_every_zone_and_hour(lake: LocalStorage) -> None:
    fetch_sample(lake, "weather", FALL_BACK)
    results = reprocess(FALL_BACK, lake, ["weather"])
    assert {r.status for r in results} == {"passed"}
    table = silver_table(lake, "weather")
    assert table.schema.equals(WEATHER.arrow_schema(), check_metadata=False)
    day = rows_on_local_day(table, dt.date(2024, 11, 3), "time_utc")
    # every zone has every instant of the 25-hour day; where two requests meet (one group each), both keep the
    # instant between them, resolved downstream like any refetch (latest fetched_at_utc wins)
    zones, times = day["weather_zone"].to_pylist(), day["time_utc"].to_pylist()
    instants = set(zip(zones, times, strict=True))
    assert len(instants) == 8 * 25


def test_a_later_manifest_supersedes_an_earlier_one(lake: LocalStorage) -> None:
    day = Window(dt.date(2024, 11, 3), dt.date(2024, 11, 3))
    old = fetch_sample(lake, "fuel_mix", day, now=dt.datetime(2024, 11, 4, 12, tzinfo=dt.UTC))[0]
    new = fetch_sample(lake, "fuel_mix", day, now=dt.datetime(2024, 11, 4, 13, tzinfo=dt.UTC))[0]
    assert old != new
    assert curate(old, lake).status == "skipped"
    assert curate(new, lake).status == "passed"


def test_a_day_fetched_before_it_ended_passes_as_partial(lake: LocalStorage) -> None:
    during = dt.datetime(2024, 11, 3, 20, tzinfo=dt.UTC)  # 14:00 Central on the fall-back day
    manifests = fetch_sample(lake, "spp_rt", Window(dt.date(2024, 11, 3), dt.date(2024, 11, 3)), now=during)
    result = curate(manifests[0], lake)
    report = json.loads(lake.get(result.report_key or ""))
    assert result.status == "passed"
    assert report["partial_days"] == ["2024-11-03"]


def test_an_unparseable_group_is_quarantined_and_its_old_silver_removed(lake: LocalStorage) -> None:
    day = Window(dt.date(2024, 11, 3), dt.date(2024, 11, 3))
    good = curate(fetch_sample(lake, "spp_dam", day)[0], lake)
    assert good.status == "passed" and good.silver_keys
    bad_manifest = land_unparseable_version(lake, good.manifest_key, fetched_at=dt.datetime(2024, 11, 9, tzinfo=dt.UTC))
    # WHEN the newer (broken) version of the same group is curated
    bad = curate(bad_manifest, lake)
    # THEN it is quarantined with a report naming the problem, and the group's silver is gone (no stale copy)
    assert bad.status == "failed"
    assert bad.group == good.group
    assert not list(lake.list("silver/dataset=spp_dam/"))
    report = json.loads(lake.get(bad.report_key or ""))
    assert report["status"] == "failed"
    assert any(key.endswith("report.json") for key in bad.quarantine_keys)
    assert list_manifests(lake, "ercot", "spp_dam", dt.date(2024, 11, 3)) == [bad_manifest]


def test_a_groups_silver_is_synced_once_before_the_report_that_commits_it(
    lake: LocalStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a load-forecast posting day (its silver spans several UTC dates) and a lake recording its syncs
    manifest = fetch_sample(lake, "load_forecast", Window(dt.date(2024, 11, 2), dt.date(2024, 11, 2)))[0]
    events: list[str] = []
    monkeypatch.setattr("os.fsync", lambda fd: events.append("fsync"))
    monkeypatch.setattr("os.sync", lambda: events.append("sync"))
    real_put = lake.put

    def recorded(key: str, data: bytes, metadata: dict[str, str] | None = None) -> None:
        events.append("report" if key.startswith("quality/") else "silver" if key.startswith("silver/") else key)
        real_put(key, data, metadata)

    monkeypatch.setattr(lake, "put", recorded)
    # WHEN the group is curated
    result = curate(manifest, lake)
    # THEN its silver files were written without an fsync each, made durable by one sync, and only then came the
    # report (fsynced: it is the commit point)
    assert result.status == "passed" and len(result.silver_keys) > 1
    report = events.index("report")
    assert events[:report] == ["silver"] * len(result.silver_keys) + ["sync"]
    assert "fsync" in events[report:]


def test_a_group_wider_than_a_chunk_is_curated_once_per_backfill_when_everything_is_curated_again(
    lake: LocalStorage,
) -> None:
    # GIVEN two weeks of archived wind forecasts in the lake: each posting day's group covers ten operating days, so it
    # meets both weekly chunks
    first_week, second_week = Window.parse("2024-03-04", "2024-03-10"), Window.parse("2024-03-11", "2024-03-17")
    fetch_sample(lake, "wind", Window.parse("2024-03-04", "2024-03-17"), now=dt.datetime(2024, 10, 31, tzinfo=dt.UTC))
    # WHEN a backfill curates everything again, chunk by chunk, remembering what it curated
    curated: set[str] = set()
    first = reprocess(first_week, lake, ["wind"], curated_before=curated)
    second = reprocess(second_week, lake, ["wind"], curated_before=curated)
    # THEN the groups both chunks meet are curated in the first only, and skipped in the second, saying why
    again = [result for result in second if result.manifest_key in {done.manifest_key for done in first}]
    assert again and all(result.status == "skipped" for result in again)
    assert {result.reason for result in again} == {"curated earlier in this run"}
    assert all(result.status == "passed" for result in first)
    assert all(result.status == "passed" for result in second if result not in again)
    # AND without the memory (a plain reprocess of each week) they would have been curated twice
    assert all(result.status == "passed" for result in reprocess(second_week, lake, ["wind"]))
