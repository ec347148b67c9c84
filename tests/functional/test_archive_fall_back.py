"""The fall-back day through ERCOT's archive (the sample's archive endpoints), fetched and curated into silver: the
100 real-time intervals, and the two forecasts posted in the repeated hour kept apart (their instants resolved from
the listing's docIds), nothing rejected."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from energylake.curate import reprocess
from energylake.fetch import fetch
from energylake.lake.storage import LocalStorage
from energylake.sample import connection
from energylake.settings import Settings
from energylake.timeconv import local_day_bounds_utc
from energylake.window import Window
from tests.support.dst_days import FALL

LATER = dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC)  # the fall-back day is long past the data endpoints' reach
WINDOW = Window(FALL, FALL)


def silver(lake: LocalStorage, dataset: str) -> pa.Table:
    files = sorted((lake.root / "silver" / f"dataset={dataset}").rglob("*.parquet"))
    return pa.concat_tables(pq.read_table(path) for path in files)


def test_the_fall_back_day_curates_through_the_archive_with_nothing_rejected(tmp_path: Path) -> None:
    lake = LocalStorage(tmp_path / "lake")
    sample = connection(Settings(), now=LATER, throttle_every=7)
    # GIVEN real-time prices and solar forecasts of 2024-11-03 fetched through the archive door
    for dataset in ("spp_rt", "solar"):
        assert set(fetch(WINDOW, dataset, lake, sample).sources_used) == {"ercot-archive"}
    # WHEN curated
    results = reprocess(WINDOW, lake, ["spp_rt", "solar"], run_id="r")
    # THEN every group passed and nothing was rejected
    assert {result.status for result in results} == {"passed"}
    assert sum(result.rows_rejected for result in results) == 0
    # AND the day has 100 real-time intervals
    prices = silver(lake, "spp_rt")
    assert pc.count_distinct(prices["interval_start_utc"]).as_py() == 100
    # AND the 25 solar postings of the day (01:55 twice) are 25 distinct vintages, an hour apart in the repeated hour
    start, end = local_day_bounds_utc(FALL)
    posted = pc.unique(silver(lake, "solar")["posted_at_utc"]).to_pylist()
    that_day = sorted(instant for instant in posted if start <= instant < end)
    assert len(that_day) == 25
    repeated = [instant for instant in that_day if instant.hour in (6, 7) and instant.minute == 55]
    assert [instant.hour for instant in repeated] == [6, 7]  # 01:55 CDT and 01:55 CST
