"""The quality gate checks rows at the cadence of the door they came through: ERCOT's yearly fuel mix report is
15-minute, the fuel-mix dashboard 5-minute (both land in the one fuel_mix table). Completeness and the interval grid
follow the door; every other dataset's yearly file keeps its dataset's interval."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from energylake.contracts.datasets import ALL_DATASETS, DatasetName
from energylake.quality import ORIGIN_INTERVAL_MINUTES, checks_for, interval_minutes, run_quality
from tests.support.quality import ENTITIES, FALL_BACK, NORMAL_DAY, SPRING_FORWARD, VALUES, check_entry, grid, table_of

YEARLY = "ercot-yearly"
DASHBOARD = "ercot-dashboard"


def fuel_rows(days: tuple[dt.date, ...], minutes: int) -> list[dict[str, Any]]:
    """Clean fuel-mix rows: every fuel, every ``minutes``-long interval of each Central day."""
    return [
        {
            **entity,
            **VALUES["fuel_mix"],
            "interval_start_utc": start,
            "interval_end_utc": start + dt.timedelta(minutes=minutes),
        }
        for entity in ENTITIES["fuel_mix"]
        for day in days
        for start in grid(day, minutes)
    ]


def interval_of(checks: list[Any], kind: str) -> int:
    (check,) = [check for check in checks if check.kind == kind]
    return int(check.interval_minutes)


# --- which interval ------------------------------------------------------------------------------------------------


def test_the_yearly_fuel_mix_is_checked_at_15_minutes_and_the_dashboard_at_5() -> None:
    # THEN both set checks of the yearly door's fuel mix use 15 minutes; the dashboard's (and no door) 5
    for origin, minutes in ((YEARLY, 15), (DASHBOARD, 5), (None, 5)):
        checks = checks_for("fuel_mix", origin=origin)
        assert interval_of(checks, "completeness") == interval_of(checks, "monotonic") == minutes, origin
        assert interval_minutes("fuel_mix", origin) == minutes


@pytest.mark.parametrize("dataset", ALL_DATASETS)
def test_a_door_without_its_own_interval_keeps_the_datasets(dataset: DatasetName) -> None:
    # GIVEN every door ERCOT rows can come through
    for origin in ("ercot-api", "ercot-archive", "ercot-mis", YEARLY, DASHBOARD, "open-meteo-archive"):
        expected = ORIGIN_INTERVAL_MINUTES.get((dataset, origin), interval_minutes(dataset))
        # THEN the yearly price and load files keep 15-minute real-time, hourly day-ahead and load
        assert interval_minutes(dataset, origin) == expected, (dataset, origin)
    assert interval_minutes("spp_rt", YEARLY) == 15
    assert interval_minutes("spp_dam", YEARLY) == interval_minutes("load_weather_zone", YEARLY) == 60


# --- both doors pass with their own cadence ------------------------------------------------------------------------


@pytest.mark.parametrize(("origin", "minutes"), [(YEARLY, 15), (DASHBOARD, 5)])
def test_each_fuel_mix_door_passes_with_its_own_cadence_dst_days_included(origin: str, minutes: int) -> None:
    per_hour = 60 // minutes
    for days, hours in (((SPRING_FORWARD,), [23]), ((FALL_BACK, FALL_BACK + dt.timedelta(days=1)), [25, 24])):
        # GIVEN complete fuel mix at the door's cadence over consecutive days (a 23- or a 25-hour day among them)
        table = table_of("fuel_mix", fuel_rows(days, minutes))
        # WHEN gated as that door's rows, every day expected complete
        outcome = run_quality("fuel_mix", table, expected_days=days, origin=origin)
        # THEN it passes, every row kept, with the day counts of that cadence
        assert outcome.passed, outcome.report["failed_because"]
        assert outcome.table.num_rows == table.num_rows
        assert [day["expected_per_entity"] for day in outcome.report["days"]] == [h * per_hour for h in hours]
        assert check_entry(outcome, "completeness")["details"]["interval_minutes"] == minutes


def test_the_yearly_cadence_through_the_dashboards_checks_fails_and_the_other_way_round() -> None:
    # GIVEN a complete 15-minute day and a complete 5-minute day
    quarter_hours = table_of("fuel_mix", fuel_rows((NORMAL_DAY,), 15))
    five_minutes = table_of("fuel_mix", fuel_rows((NORMAL_DAY,), 5))
    # WHEN each is gated as the other door's rows
    as_dashboard = run_quality("fuel_mix", quarter_hours, expected_days=(NORMAL_DAY,), origin=DASHBOARD)
    as_yearly = run_quality("fuel_mix", five_minutes, expected_days=(NORMAL_DAY,), origin=YEARLY)
    # THEN both fail: 96 quarter hours are short of 288 five-minute intervals (and 15-minute steps are off the grid) ...
    assert not as_dashboard.passed
    assert {"completeness failed", "monotonic failed"} <= set(as_dashboard.report["failed_because"])
    assert check_entry(as_dashboard, "completeness")["examples"][0]["count"] == 96
    # ... and 288 five-minute rows are too many for a day of quarter hours
    assert not as_yearly.passed
    assert check_entry(as_yearly, "completeness")["examples"][0]["problem"] == "extra"


# --- a gap in a 15-minute group still fails ------------------------------------------------------------------------


def test_a_yearly_fuel_mix_day_missing_one_quarter_hour_fails_completeness_naming_it() -> None:
    # GIVEN a 15-minute yearly fuel mix day where POWER_STORAGE lacks one quarter hour in the middle
    rows = fuel_rows((NORMAL_DAY,), 15)
    gap = next(n for n, row in enumerate(rows) if row["fuel"] == "POWER_STORAGE") + 40
    missing = rows.pop(gap)
    # WHEN gated as the yearly door's rows, the day expected complete
    outcome = run_quality("fuel_mix", table_of("fuel_mix", rows), expected_days=(NORMAL_DAY,), origin=YEARLY)
    # THEN the group fails: completeness names the fuel, the day and 95 of 96 ...
    assert not outcome.passed
    assert check_entry(outcome, "completeness")["examples"] == [
        {"day": "2024-11-05", "entity": {"fuel": "POWER_STORAGE"}, "count": 95, "expected": 96, "problem": "short"}
    ]
    # ... and the grid check sees a 30-minute step where the quarter hour is missing
    (example,) = check_entry(outcome, "monotonic")["examples"]
    assert (example["step_minutes"], example["expected_minutes"]) == (30, 15)
    assert example["next"] == (missing["interval_start_utc"] + dt.timedelta(minutes=15)).isoformat().replace(
        "+00:00", "Z"
    )


def test_a_yearly_day_fetched_before_it_was_complete_may_be_short_but_not_long() -> None:
    # GIVEN half a 15-minute day (a partial day) gated as the yearly door's rows
    rows = fuel_rows((NORMAL_DAY,), 15)
    half = [row for n, row in enumerate(rows) if n % 96 < 48]
    outcome = run_quality("fuel_mix", table_of("fuel_mix", half), partial_days=(NORMAL_DAY,), origin=YEARLY)
    # THEN it passes as partial, counted against 96 quarter hours
    assert outcome.passed, outcome.report["failed_because"]
    assert outcome.report["partial_days"] == ["2024-11-05"]
    assert outcome.report["days"][0]["expected_per_entity"] == 96
