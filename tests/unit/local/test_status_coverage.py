"""What `energylake status` and `ls` say each dataset covers: days from the groups' manifests, day by day."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from energylake.lake import layout
from energylake.lake.storage import Storage, open_storage
from energylake.local.options import Plan
from energylake.local.status import curated_summary, day_ranges, raw_coverage, status_document

FETCHED = "20260308T120000000000Z"


def land(lake: Storage, dataset: str, first_day: str, group: str, covered: list[str], *, stamp: str = FETCHED) -> None:
    """A landed group as `fetch` leaves it: one raw object and a manifest, both under the group's first day."""
    day = dt.date.fromisoformat(first_day)
    source = "openmeteo" if dataset == "weather" else "ercot"
    member = layout.raw_object_key(source, dataset, day, f"req-{group}", f"{stamp}-0123456789abcdef.json")
    lake.put(member, b"{}")
    manifest = {
        "group": group,
        "source": source,
        "dataset": dataset,
        "date": first_day,
        "origin": "sample",
        "fetched_at": "2026-03-08T12:00:00Z",
        "covered_days": covered,
        "members": [{"key": member, "sha256": "0" * 64, "size": 2}],
    }
    key = f"{layout.manifest_prefix(source, dataset, day, group)}{stamp}-fedcba9876543210{layout.MANIFEST_SUFFIX}"
    lake.put(key, json.dumps(manifest).encode())


def report(lake: Storage, dataset: str, first_day: str, group: str, **fields: Any) -> None:
    """A quality report of one group (only the fields status reads)."""
    document = {"status": "passed", "passed": True, "rows": {"rejected": 0}, "days": [], **fields}
    lake.put(layout.quality_report_key(dataset, dt.date.fromisoformat(first_day), group), json.dumps(document).encode())


def counted(day: str, *, short: int = 0) -> dict[str, Any]:
    return {"day": day, "entities": 8, "short_entities": short, "failing_entities": 0, "status": "expected"}


def plan_for(tmp_path: Path) -> Plan:
    lake = open_storage(str(tmp_path / "lake"))
    return Plan(str(tmp_path / "lake"), lake, str(tmp_path / "none.duckdb"), str(tmp_path / "d.html"), None, ())


def test_day_ranges_fold_consecutive_days_and_split_at_gaps() -> None:
    # GIVEN days with a gap, unsorted, repeated, as text and as dates
    days = ["2026-03-03", dt.date(2026, 3, 1), "2026-03-02", "2026-03-05", "2026-03-02"]
    # WHEN folded THEN one range per run of consecutive days
    assert day_ranges(days) == ["2026-03-01..2026-03-03", "2026-03-05"]
    assert day_ranges([]) == []


def test_a_week_of_weather_landed_as_two_fetch_windows_covers_seven_days(tmp_path: Path) -> None:
    lake = plan_for(tmp_path).lake
    # GIVEN weather landed as two groups (an archive window of two days, a forecast window of five), each in the
    # folder of its first day
    land(lake, "weather", "2026-03-01", "archive", ["2026-03-01", "2026-03-02"])
    land(lake, "weather", "2026-03-03", "forecast", [f"2026-03-0{n}" for n in range(3, 8)])
    # WHEN the raw zone's coverage is read
    weather = raw_coverage(lake)["weather"]
    # THEN it counts seven days (not the two folders), in one range, with no day missing
    assert (weather.objects, len(weather.groups), len(weather.days)) == (2, 2, 7)
    assert day_ranges(weather.days) == ["2026-03-01..2026-03-07"]
    assert weather.missing == []


def test_the_newest_manifest_of_a_group_says_what_it_covers(tmp_path: Path) -> None:
    lake = plan_for(tmp_path).lake
    # GIVEN a group landed twice, the second time covering one more day
    land(lake, "fuel_mix", "2026-03-06", "dashboard", ["2026-03-06"], stamp="20260307T120000000000Z")
    land(lake, "fuel_mix", "2026-03-06", "dashboard", ["2026-03-06", "2026-03-07"])
    # WHEN read THEN the newest manifest counts, once
    fuel_mix = raw_coverage(lake)["fuel_mix"]
    assert fuel_mix.groups == {"dashboard": (dt.date(2026, 3, 6), dt.date(2026, 3, 7))}


def test_a_gap_between_groups_is_named_and_an_unreadable_manifest_counts_for_its_folder(tmp_path: Path) -> None:
    lake = plan_for(tmp_path).lake
    # GIVEN RT prices for the 1st and the 4th, and a group of the 5th whose manifest is not JSON
    land(lake, "spp_rt", "2026-03-01", "a", ["2026-03-01"])
    land(lake, "spp_rt", "2026-03-04", "b", ["2026-03-04"])
    broken = f"{layout.manifest_prefix('ercot', 'spp_rt', dt.date(2026, 3, 5), 'c')}{FETCHED}-0{layout.MANIFEST_SUFFIX}"
    lake.put(broken, b"not json")
    # WHEN read
    spp_rt = raw_coverage(lake)["spp_rt"]
    # THEN the two missing days are named, and the broken group counts for the day of its folder
    assert spp_rt.missing == [dt.date(2026, 3, 2), dt.date(2026, 3, 3)]
    assert day_ranges(spp_rt.days) == ["2026-03-01", "2026-03-04..2026-03-05"]
    assert spp_rt.unreadable_manifests == 1


def test_each_day_is_what_its_best_group_made_of_it(tmp_path: Path) -> None:
    plan = plan_for(tmp_path)
    lake = plan.lake
    # GIVEN weather groups that overlap on the 2nd: the archive short there, the forecast whole
    land(lake, "weather", "2026-03-01", "archive", ["2026-03-01", "2026-03-02"])
    report(lake, "weather", "2026-03-01", "archive", days=[counted("2026-03-01"), counted("2026-03-02", short=8)])
    land(lake, "weather", "2026-03-02", "forecast", ["2026-03-02", "2026-03-03"])
    report(lake, "weather", "2026-03-02", "forecast", days=[counted("2026-03-02"), counted("2026-03-03", short=1)])
    # AND a group of the 4th that failed its checks, and one of the 5th not curated yet
    land(lake, "weather", "2026-03-04", "failed", ["2026-03-04"])
    report(lake, "weather", "2026-03-04", "failed", status="failed", passed=False, failed_because=["schema"])
    land(lake, "weather", "2026-03-05", "new", ["2026-03-05"])
    # WHEN status reads the lake
    weather = status_document(plan)["raw"]["weather"]
    # THEN each day says what curation made of it
    assert weather["by_day"] == {
        "2026-03-01": "complete",
        "2026-03-02": "complete",
        "2026-03-03": "partial",
        "2026-03-04": "quarantined",
        "2026-03-05": "not curated",
    }
    assert curated_summary(weather["by_day"]) == (
        "2 complete; partial 2026-03-03; quarantined 2026-03-04; not curated 2026-03-05"
    )
