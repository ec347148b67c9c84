"""The quality gate's declarations and set checks: every dataset's checks, completeness per Central day (DST days
have 23 or 25 hours), the monotonic interval grid, the JSON report and the gate's speed on a large table."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from energylake.contracts.datasets import ALL_DATASETS, DatasetName
from energylake.contracts.schemas import UTC_TIMESTAMP, silver_schema
from energylake.quality import REJECTION_REASON, QualityConfig, checks_for, run_quality
from energylake.timeconv import local_day_bounds_utc
from tests.support.quality import (
    FALL_BACK,
    NORMAL_DAY,
    POSTED,
    SPRING_FORWARD,
    arrow_schema,
    build,
    check_entry,
    grid,
    rows_for,
    table_of,
)

# --- the declarative table ----------------------------------------------------------------------------------------


def test_checks_for_covers_every_dataset_with_every_kind() -> None:
    for dataset in ALL_DATASETS:
        checks = checks_for(dataset, QualityConfig())
        kinds = {check.kind for check in checks}
        assert kinds == {"schema", "not_null", "unique_key", "range", "completeness", "monotonic"}, dataset
        assert checks[0].kind == "schema"
        names = [check.name for check in checks]
        assert len(names) == len(set(names)), dataset
        required = set(silver_schema(dataset).required_columns)
        assert {check.columns[0] for check in checks if check.kind == "not_null"} == required, dataset
        (unique,) = [check for check in checks if check.kind == "unique_key"]
        assert unique.columns == silver_schema(dataset).natural_key
        (monotonic,) = [check for check in checks if check.kind == "monotonic"]
        # the interval the data really has: 15 min real-time prices, 5 min fuel mix, hourly otherwise
        expected = {"spp_rt": 15, "fuel_mix": 5}.get(dataset, 60)
        assert monotonic.interval_minutes == expected, dataset


@pytest.mark.parametrize("dataset", ALL_DATASETS)
def test_a_clean_table_of_every_dataset_passes(dataset: DatasetName) -> None:
    for days in [(SPRING_FORWARD,), (FALL_BACK, FALL_BACK + dt.timedelta(days=1), FALL_BACK + dt.timedelta(days=2))]:
        # GIVEN complete, valid rows for consecutive days (DST days included), with lineage
        table = build(dataset, days, lineage=True)
        # WHEN gated with those days expected
        outcome = run_quality(dataset, table, expected_days=days)
        # THEN it passes with every row kept
        assert outcome.passed, outcome.report["failed_because"]
        assert outcome.table.equals(table)
        assert outcome.rejected.num_rows == 0
        assert outcome.rejected.schema.names == [*table.schema.names, REJECTION_REASON]


def test_the_day_counts_follow_dst_for_each_interval_length() -> None:
    counts = {}
    for dataset in ("spp_rt", "load_weather_zone", "fuel_mix"):
        outcome = run_quality(dataset, build(dataset, (SPRING_FORWARD, NORMAL_DAY, FALL_BACK)))
        counts[dataset] = [day["expected_per_entity"] for day in outcome.report["days"]]
    assert counts == {"spp_rt": [92, 100, 96], "load_weather_zone": [23, 25, 24], "fuel_mix": [276, 300, 288]}


# --- completeness -------------------------------------------------------------------------------------------------


def test_a_short_expected_day_fails_naming_entity_day_and_counts() -> None:
    # GIVEN RT prices where LZ_HOUSTON lacks its last quarter hour
    rows = rows_for("spp_rt", (NORMAL_DAY,))
    rows.pop()
    outcome = run_quality("spp_rt", table_of("spp_rt", rows), expected_days=(NORMAL_DAY,))
    assert not outcome.passed
    entry = check_entry(outcome, "completeness")
    assert entry["examples"] == [
        {
            "day": "2024-11-05",
            "entity": {"market": "RT15", "settlement_point": "LZ_HOUSTON", "settlement_point_type": "LZ"},
            "count": 95,
            "expected": 96,
            "problem": "short",
        }
    ]
    # AND the same table with the day not expected is only reported
    assert run_quality("spp_rt", table_of("spp_rt", rows)).passed


def test_an_entity_missing_from_an_expected_day_fails() -> None:
    # GIVEN two days of hourly load where NORTH_CENTRAL has only the first
    second_day_start, _ = local_day_bounds_utc(NORMAL_DAY + dt.timedelta(days=1))
    rows = [
        row
        for row in rows_for("load_weather_zone", (NORMAL_DAY, NORMAL_DAY + dt.timedelta(days=1)))
        if not (row["weather_zone"] == "NORTH_CENTRAL" and row["interval_start_utc"] >= second_day_start)
    ]
    expected = (NORMAL_DAY, NORMAL_DAY + dt.timedelta(days=1))
    outcome = run_quality("load_weather_zone", table_of("load_weather_zone", rows), expected_days=expected)
    assert not outcome.passed
    (failure,) = check_entry(outcome, "completeness")["examples"]
    assert (failure["entity"], failure["count"], failure["day"]) == ({"weather_zone": "NORTH_CENTRAL"}, 0, "2024-11-06")


def test_a_weather_zone_absent_altogether_fails_and_an_empty_expected_day_fails() -> None:
    rows = [row for row in rows_for("weather", (NORMAL_DAY,)) if row["weather_zone"] != "WEST"]
    outcome = run_quality("weather", table_of("weather", rows), expected_days=(NORMAL_DAY,))
    assert [e["entity"] for e in check_entry(outcome, "completeness")["examples"]] == [{"weather_zone": "WEST"}]
    empty = run_quality("fuel_mix", build("fuel_mix").slice(0, 0), expected_days=(NORMAL_DAY,))
    assert not empty.passed
    assert check_entry(empty, "completeness")["examples"][0]["count"] == 0


def test_extra_rows_in_a_day_fail_completeness() -> None:
    # GIVEN hourly DAM prices with an extra half-hour row (off the hourly grid)
    rows = rows_for("spp_dam", (NORMAL_DAY,))
    extra = {
        **rows[0],
        "interval_start_utc": rows[0]["interval_start_utc"] + dt.timedelta(minutes=30),
        "interval_end_utc": rows[0]["interval_end_utc"] + dt.timedelta(minutes=30),
    }
    outcome = run_quality("spp_dam", table_of("spp_dam", [*rows, extra]), expected_days=(NORMAL_DAY,))
    assert not outcome.passed
    entry = check_entry(outcome, "completeness")
    assert (entry["examples"][0]["count"], entry["examples"][0]["problem"]) == (25, "extra")


@pytest.mark.parametrize(("day", "hours"), [(FALL_BACK, 25), (SPRING_FORWARD, 23)])
def test_dst_days_with_their_own_hour_count_are_complete(day: dt.date, hours: int) -> None:
    # GIVEN hourly load of a DST day with 25 (fall back) or 23 (spring forward) hours
    table = build("load_weather_zone", (day,))
    assert table.num_rows == 3 * hours
    # THEN it passes with that day expected
    outcome = run_quality("load_weather_zone", table, expected_days=(day,))
    assert outcome.passed, outcome.report["failed_because"]
    # AND one hour less fails: the gate counts the day's Central hours
    wrong = table.filter(pc.not_equal(table["interval_start_utc"], table["interval_start_utc"][0]))
    assert not run_quality("load_weather_zone", wrong, expected_days=(day,)).passed


def test_a_partial_current_day_is_allowed_and_reported() -> None:
    # GIVEN fuel mix for a full day and the current day up to 10:00 Central
    today = NORMAL_DAY + dt.timedelta(days=1)
    start, _ = local_day_bounds_utc(today)
    rows = [
        row
        for row in rows_for("fuel_mix", (NORMAL_DAY, today))
        if row["interval_start_utc"] < start + dt.timedelta(hours=10)
    ]
    table = table_of("fuel_mix", rows)
    # WHEN gated with the current day partial
    outcome = run_quality("fuel_mix", table, expected_days=(NORMAL_DAY,), partial_days=(today,))
    # THEN it passes and the partial day is reported with its counts
    assert outcome.passed
    assert outcome.report["partial_days"] == ["2024-11-06"]
    partial = outcome.report["days"][-1]
    assert partial == {
        "day": "2024-11-06",
        "status": "partial",
        "expected_per_entity": 288,
        "entities": 2,
        "min_count": 120,
        "max_count": 120,
        "short_entities": 2,
        "failing_entities": 0,
    }
    # AND the same day expected in full fails
    assert not run_quality("fuel_mix", table, expected_days=(NORMAL_DAY, today)).passed


def test_forecast_vintages_together_cover_a_day() -> None:
    # GIVEN two load forecast vintages, one with the morning, one with the rest of the day
    rows = rows_for("load_forecast", (NORMAL_DAY,))
    start, _ = local_day_bounds_utc(NORMAL_DAY)
    later = POSTED + dt.timedelta(hours=1)
    for row in rows:
        if row["interval_start_utc"] >= start + dt.timedelta(hours=12):
            row["posted_at_utc"] = later
    outcome = run_quality("load_forecast", table_of("load_forecast", rows), expected_days=(NORMAL_DAY,))
    assert outcome.passed, outcome.report["failed_because"]


# --- monotonic ----------------------------------------------------------------------------------------------------


def test_a_gap_between_intervals_fails_monotonic() -> None:
    # GIVEN 5-minute fuel mix with one interval missing in the middle (day not expected: only monotonic speaks)
    rows = rows_for("fuel_mix", (NORMAL_DAY,))
    del rows[100]
    outcome = run_quality("fuel_mix", table_of("fuel_mix", rows))
    assert not outcome.passed
    assert outcome.report["failed_because"] == ["monotonic failed"]
    entry = check_entry(outcome, "monotonic")
    assert entry["failures"] == 1
    assert entry["examples"][0]["step_minutes"] == 10
    assert entry["examples"][0]["entity"] == {"fuel": "NATURAL_GAS"}


def test_a_wrong_interval_length_fails_monotonic() -> None:
    rows = rows_for("spp_rt", (NORMAL_DAY,))
    rows[3]["interval_end_utc"] = rows[3]["interval_start_utc"] + dt.timedelta(hours=1)
    outcome = run_quality("spp_rt", table_of("spp_rt", rows))
    entry = check_entry(outcome, "monotonic")
    assert not entry["passed"]
    assert entry["examples"][0]["length_minutes"] == 60


def test_unsorted_rows_are_fine_but_an_off_grid_start_is_not() -> None:
    table = build("weather")
    shuffled = table.take(pa.array(list(range(table.num_rows))[::-1]))
    assert run_quality("weather", shuffled, expected_days=(NORMAL_DAY,)).passed
    rows = rows_for("weather", (NORMAL_DAY,))
    rows[5]["time_utc"] += dt.timedelta(minutes=20)
    assert not run_quality("weather", table_of("weather", rows)).passed


# --- report -------------------------------------------------------------------------------------------------------


def test_the_report_round_trips_through_json() -> None:
    rows = rows_for("load_forecast", (NORMAL_DAY,))
    rows[0]["load_forecast_mw"] = float("inf")
    rows.append(dict(rows[1]))
    outcome = run_quality(
        "load_forecast",
        table_of("load_forecast", rows, lineage=True),
        expected_days=(NORMAL_DAY,),
        partial_days=(NORMAL_DAY + dt.timedelta(days=1),),
        context={"raw_key": "raw/source=ercot/x.json", "run_id": "r1"},
    )
    text = json.dumps(outcome.report)
    back = json.loads(text)
    assert back == outcome.report
    assert set(back) >= {"dataset", "passed", "rows", "checks", "partial_days", "context"}
    assert back["context"] == {"raw_key": "raw/source=ercot/x.json", "run_id": "r1"}
    for check in back["checks"]:
        assert set(check) >= {"name", "kind", "severity", "passed", "failures", "examples"}
        assert len(check["examples"]) <= 5
    unique = next(check for check in back["checks"] if check["kind"] == "unique_key")
    assert unique["failures"] == 1


def test_a_large_table_is_gated_quickly() -> None:
    # GIVEN ~1,000 settlement points x 2 days of RT prices (~190k rows)
    days = (NORMAL_DAY, NORMAL_DAY + dt.timedelta(days=1))
    starts = [start for day in days for start in grid(day, 15)]
    points = [f"RN_{n:04d}" for n in range(1_000)]
    count = len(starts) * len(points)
    start_array = pa.array(starts * len(points), UTC_TIMESTAMP)
    table = pa.Table.from_arrays(
        [
            pa.array(["RT15"] * count),
            pa.array([point for point in points for _ in starts]),
            pa.array(["RN"] * count),
            start_array,
            pc.add(start_array, pa.scalar(dt.timedelta(minutes=15))),
            pa.array([25.0] * count),
        ],
        schema=arrow_schema("spp_rt"),
    )
    import time

    began = time.perf_counter()
    outcome = run_quality("spp_rt", table, expected_days=days)
    assert outcome.passed
    assert time.perf_counter() - began < 10
