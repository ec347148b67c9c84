"""PlanRunFunction (energylake.lambdas.plan_run): planning a pipeline run or a backfill from an execution's input.

Windows follow Central time (with its DST changes), datasets are planned in the catalog's order, a backfill is cut
into chunks that cover its window once, and a bad input is refused naming every bad field.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, cast

import pytest

from energylake.contracts.datasets import ALL_DATASETS, ERCOT_DATASETS
from energylake.errors import ConfigurationError, InvalidRequestError
from energylake.lambdas.plan_run import SCHEDULED_DATASETS, BackfillPlan, RunPlan, handle, plan, scheduled_window
from energylake.settings import Settings, get_settings

UTC = dt.UTC
AFTER_WINDOW = dt.datetime(2024, 11, 8, 12, tzinfo=UTC)  # the sample clock: every day of the window is complete


def pipeline_plan(execution_input: object, *, now: dt.datetime = AFTER_WINDOW) -> RunPlan:
    return plan("pipeline", execution_input, settings=Settings(), now=now)


def backfill_plan(execution_input: object, settings: Settings | None = None) -> BackfillPlan:
    return as_backfill(plan("backfill", execution_input, settings=settings or Settings()))


def as_backfill(result: RunPlan | BackfillPlan) -> BackfillPlan:
    assert "chunks" in result, "a backfill plan lists its chunks"
    return cast(BackfillPlan, result)


def days_of(start: str, end: str) -> list[dt.date]:
    first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


# ----------------------------------------------------------------------------------------------------------------
# plan: pipeline
# ----------------------------------------------------------------------------------------------------------------


def test_an_empty_input_plans_yesterday_and_today_in_central_time_for_every_dataset() -> None:
    # GIVEN 03:30 UTC on Nov 8, which is still the evening of Nov 7 in Central time
    now = dt.datetime(2024, 11, 8, 3, 30, tzinfo=UTC)
    # WHEN an execution starts with no input
    result = pipeline_plan({}, now=now)
    # THEN it covers Central yesterday..today, every dataset, in the catalog's order, with the default poll budgets
    assert (result["start"], result["end"]) == ("2024-11-06", "2024-11-07")
    assert result["datasets"] == list(ALL_DATASETS)
    assert result["ercot_datasets"] == list(ERCOT_DATASETS)
    assert result["fetch_weather"] is True
    assert result["schedule"] is None
    assert result["gate"] == {"poll_seconds": 30, "max_polls": 40}
    assert result["glue"] == {"poll_seconds": 60, "max_polls": 120}
    json.dumps(result)  # the state machine reads it as JSON


def test_an_explicit_window_is_kept_as_given() -> None:
    result = pipeline_plan({"start": "2024-11-01", "end": "2024-11-07"})
    assert (result["start"], result["end"]) == ("2024-11-01", "2024-11-07")
    assert result["datasets"] == list(ALL_DATASETS)


def test_datasets_are_planned_in_the_catalog_order_and_split_by_source() -> None:
    # GIVEN a subset listed out of order, weather first
    result = pipeline_plan({"start": "2024-11-03", "end": "2024-11-03", "datasets": ["weather", "wind", "spp_rt"]})
    # THEN the plan lists them in the catalog's order; ERCOT's go to the ERCOT map, weather to its own branch
    assert result["datasets"] == ["spp_rt", "wind", "weather"]
    assert result["ercot_datasets"] == ["spp_rt", "wind"]
    assert result["fetch_weather"] is True


def test_without_weather_the_weather_branch_is_skipped() -> None:
    result = pipeline_plan({"datasets": ["spp_dam"]})
    assert result["ercot_datasets"] == ["spp_dam"]
    assert result["fetch_weather"] is False


def test_weather_alone_fetches_nothing_from_ercot() -> None:
    result = pipeline_plan({"datasets": ["weather"]})
    assert result["ercot_datasets"] == []
    assert result["fetch_weather"] is True


# ----------------------------------------------------------------------------------------------------------------
# plan: scheduled runs
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scheduled_time", "window"),
    [
        # mid-afternoon Central: the current day only
        ("2024-11-05T20:15:00Z", ("2024-11-05", "2024-11-05")),
        # 00:30 CDT on the fall-back day (midnight was 05:00Z): the previous day's last intervals are re-fetched
        ("2024-11-03T05:30:00Z", ("2024-11-02", "2024-11-03")),
        # 01:10 CST, after the clocks went back (07:00Z): more than an hour after midnight, the current day only
        ("2024-11-03T07:10:00Z", ("2024-11-03", "2024-11-03")),
        # 23:30 CST on Nov 3 (Central is UTC-6 again): still Nov 3, although UTC-5 would say 00:30 Nov 4
        ("2024-11-04T05:30:00Z", ("2024-11-03", "2024-11-03")),
        # 00:30 CST on Nov 4 (midnight is now 06:00Z): Nov 3 and Nov 4
        ("2024-11-04T06:30:00Z", ("2024-11-03", "2024-11-04")),
        # 00:30 CST on the spring-forward day (midnight 06:00Z): Mar 9 and Mar 10
        ("2024-03-10T06:30:00Z", ("2024-03-09", "2024-03-10")),
        # 01:10 CST on the spring-forward day: 70 minutes after midnight, the current day only
        ("2024-03-10T07:10:00Z", ("2024-03-10", "2024-03-10")),
        # 03:30 CDT, just after the clocks jumped (08:00Z): the current day only
        ("2024-03-10T08:30:00Z", ("2024-03-10", "2024-03-10")),
        # 00:59 CDT on Mar 11 (midnight 05:00Z from now on): still within the hour
        ("2024-03-11T05:59:00Z", ("2024-03-10", "2024-03-11")),
    ],
)
def test_the_realtime_window_is_the_current_central_day_plus_the_previous_in_its_first_hour(
    scheduled_time: str, window: tuple[str, str]
) -> None:
    # WHEN StartRunFunction's input for the 15-minute schedule is planned
    result = pipeline_plan({"schedule": "realtime", "scheduled_time": scheduled_time})
    # THEN the window follows Central time (with its DST changes), not UTC or a fixed offset
    assert (result["start"], result["end"]) == window
    assert result["schedule"] == "realtime"
    assert result["datasets"] == list(SCHEDULED_DATASETS["realtime"])


@pytest.mark.parametrize(
    ("scheduled_time", "window"),
    [
        ("2024-11-05T11:00:00Z", ("2024-11-04", "2024-11-05")),  # 05:00 CST
        ("2024-11-03T05:30:00Z", ("2024-11-02", "2024-11-03")),  # 00:30 CDT on the fall-back day
        ("2024-11-04T05:30:00Z", ("2024-11-02", "2024-11-03")),  # 23:30 CST on Nov 3
        ("2024-03-10T07:10:00Z", ("2024-03-09", "2024-03-10")),  # 01:10 CST on the spring-forward day
    ],
)
def test_the_daily_window_is_central_yesterday_and_today(scheduled_time: str, window: tuple[str, str]) -> None:
    result = pipeline_plan({"schedule": "daily", "scheduled_time": scheduled_time})
    assert (result["start"], result["end"]) == window
    assert result["schedule"] == "daily"


def test_each_schedule_fetches_its_own_datasets_unless_the_input_names_some() -> None:
    daily = pipeline_plan({"schedule": "daily", "scheduled_time": "2024-11-05T11:00:00Z"})
    assert daily["ercot_datasets"] == ["spp_dam", "load_weather_zone", "load_forecast", "wind", "solar"]
    assert daily["fetch_weather"] is True
    realtime = pipeline_plan({"schedule": "realtime", "scheduled_time": "2024-11-05T11:00:00Z"})
    assert realtime["ercot_datasets"] == ["spp_rt", "fuel_mix"]
    chosen = pipeline_plan({"schedule": "realtime", "scheduled_time": "2024-11-05T11:00:00Z", "datasets": ["spp_rt"]})
    assert chosen["datasets"] == ["spp_rt"]
    assert chosen["fetch_weather"] is False


def test_the_schedules_datasets_are_known_and_cover_every_dataset() -> None:
    for datasets in SCHEDULED_DATASETS.values():
        assert set(datasets) <= set(ALL_DATASETS)
    assert set(SCHEDULED_DATASETS["realtime"]) | set(SCHEDULED_DATASETS["daily"]) == set(ALL_DATASETS)


def test_scheduled_window_accepts_any_timezone_for_the_same_instant() -> None:
    instant = dt.datetime(2024, 11, 3, 5, 30, tzinfo=UTC)
    tokyo = instant.astimezone(dt.timezone(dt.timedelta(hours=9)))
    assert scheduled_window("realtime", tokyo) == scheduled_window("realtime", instant)


# ----------------------------------------------------------------------------------------------------------------
# plan: bad inputs
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("execution_input", "named"),
    [
        ({"start": "2024-02-30", "end": "2024-03-01"}, r"start: .*real calendar date.*2024-02-30"),
        ({"start": "2024-03-02", "end": "2024-03-01"}, r"end 2024-03-01 is before start 2024-03-02"),
        ({"datasets": ["spp"]}, r"datasets\.0: Input should be 'spp_rt'"),
        ({"datasets": []}, r"datasets: List should have at least 1 item"),
        ({"datasets": ["spp_rt", "weather", "spp_rt"]}, r"datasets lists a dataset twice"),
        ({"schedule": "realtime"}, r"schedule and scheduled_time go together"),
        ({"scheduled_time": "2024-11-03T07:15:00Z"}, r"schedule and scheduled_time go together"),
        (
            {"schedule": "daily", "scheduled_time": "2024-11-03T07:15:00Z", "start": "2024-11-01"},
            r"derives start/end from scheduled_time: do not give start or end",
        ),
        ({"schedule": "hourly", "scheduled_time": "2024-11-03T07:15:00Z"}, r"schedule: Input should be 'realtime'"),
        ({"schedule": "daily", "scheduled_time": "2024-11-03T07:15:00"}, r"scheduled_time: .*timezone"),
        ({"start": "2024-11-01"}, r"give both start and end"),
        ({"end": "2024-11-01"}, r"give both start and end"),
        ({"start": "2024-11-01", "end": "2024-11-02", "dataset": "spp_rt"}, r"dataset: Extra inputs"),
        ([{"start": "2024-11-01"}], r"expected a JSON object, got list"),
        ("2024-11-01", r"expected a JSON object, got str"),
        (None, r"expected a JSON object, got NoneType"),
    ],
)
def test_a_bad_pipeline_input_is_rejected_naming_the_problem(execution_input: object, named: str) -> None:
    with pytest.raises(InvalidRequestError, match=named) as caught:
        pipeline_plan(execution_input)
    assert str(caught.value).startswith("invalid pipeline input: ")


@pytest.mark.parametrize(
    ("execution_input", "named"),
    [
        ({}, r"start: Field required; end: Field required"),
        ({"start": "2024-11-01"}, r"end: Field required"),
        ({"start": "2024-11-01", "end": "2024-02-30"}, r"end: .*real calendar date"),
        ({"start": "2024-11-07", "end": "2024-11-01"}, r"end 2024-11-01 is before start 2024-11-07"),
        ({"start": "2024-11-01", "end": "2024-11-07", "datasets": ["wind", "wind"]}, r"datasets lists a dataset twice"),
        ({"start": "2024-11-01", "end": "2024-11-07", "datasets": ["solar", "rain"]}, r"datasets\.1: "),
        ({"start": "2024-11-01", "end": "2024-11-07", "chunk_days": 0}, r"chunk_days: .*greater than or equal to 1"),
        ({"start": "2024-11-01", "end": "2024-11-07", "chunk_days": 32}, r"chunk_days: .*less than or equal to 31"),
        ({"start": "2024-11-01", "end": "2024-11-07", "max_concurrency": 41}, r"max_concurrency: "),
        ({"start": "2024-11-01", "end": "2024-11-07", "tolerated_failure_percent": 101}, r"tolerated_failure_percent"),
        ({"start": "2024-11-01", "end": "2024-11-07", "schedule": "daily"}, r"schedule: Extra inputs"),
        (["2024-11-01", "2024-11-07"], r"expected a JSON object, got list"),
        ("2024-11-01..2024-11-07", r"expected a JSON object, got str"),
    ],
)
def test_a_bad_backfill_input_is_rejected_naming_the_problem(execution_input: object, named: str) -> None:
    with pytest.raises(InvalidRequestError, match=named) as caught:
        backfill_plan(execution_input)
    assert str(caught.value).startswith("invalid backfill input: ")


def test_every_problem_of_an_input_is_named_at_once() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        pipeline_plan({"start": "2024-02-30", "end": "2024-13-01", "datasets": ["spp"], "extra": 1})
    message = str(caught.value)
    for field in ("start:", "end:", "datasets.0:", "extra:"):
        assert field in message


def test_handle_plan_checks_the_mode_and_plans_with_the_environments_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENERGYLAKE_GATE_MAX_POLLS", "7")
    result = handle({"mode": "pipeline", "input": {"start": "2024-11-01", "end": "2024-11-02"}})
    assert (result["start"], result["end"], result["gate"]["max_polls"]) == ("2024-11-01", "2024-11-02", 7)
    with pytest.raises(InvalidRequestError, match="mode: Input should be 'pipeline' or 'backfill'"):
        handle({"mode": "rerun", "input": {}})
    with pytest.raises(InvalidRequestError, match="invalid backfill input: start: Field required"):
        handle({"mode": "backfill", "input": {}})
    # Step Functions accepts any JSON as an execution's input: a non-object is named as the pipeline's bad input
    with pytest.raises(InvalidRequestError, match="invalid pipeline input: expected a JSON object, got list"):
        handle({"mode": "pipeline", "input": ["2024-11-01", "2024-11-02"]})


# ----------------------------------------------------------------------------------------------------------------
# plan: backfill
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "chunk_days", "expected_chunks"),
    [
        ("2024-11-01", "2024-11-01", None, 1),
        ("2024-11-01", "2024-11-07", None, 1),
        ("2024-11-01", "2024-11-08", None, 2),
        ("2024-10-01", "2024-12-31", None, 14),
        ("2024-03-01", "2024-03-31", 10, 4),
        ("2024-02-27", "2024-03-02", 1, 5),  # a leap day
        ("2024-01-01", "2024-12-31", 31, 12),
    ],
)
def test_backfill_chunks_cover_the_window_exactly_once(
    start: str, end: str, chunk_days: int | None, expected_chunks: int
) -> None:
    # GIVEN a backfill of start..end, with or without its own chunk size
    execution_input: dict[str, Any] = {"start": start, "end": end}
    if chunk_days is not None:
        execution_input["chunk_days"] = chunk_days
    # WHEN it is planned
    result = backfill_plan(execution_input)
    # THEN the chunks are consecutive, none longer than the chunk size, and together they are the window, once
    size = chunk_days or Settings().backfill_chunk_days
    chunks = result["chunks"]
    assert len(chunks) == expected_chunks
    covered = [day for chunk in chunks for day in days_of(chunk["start"], chunk["end"])]
    assert covered == days_of(start, end)
    assert all(1 <= len(days_of(chunk["start"], chunk["end"])) <= size for chunk in chunks)
    assert (result["start"], result["end"]) == (start, end)


def test_chunks_hold_their_days_and_what_they_fetch_and_the_plan_what_they_share() -> None:
    result = backfill_plan({"start": "2024-11-01", "end": "2024-11-10", "datasets": ["weather", "spp_dam"]})
    # THEN each chunk is its days and the datasets it fetches, split as the machine's fetch states read them ...
    assert all(set(chunk) == {"start", "end", "ercot_datasets", "fetch_weather"} for chunk in result["chunks"])
    # ... here every dataset on every day (all reachable), as the whole plan says
    assert {(tuple(chunk["ercot_datasets"]), chunk["fetch_weather"]) for chunk in result["chunks"]} == {
        (("spp_dam",), True)
    }
    assert (result["ercot_datasets"], result["fetch_weather"]) == (["spp_dam"], True)
    assert result["datasets"] == ["spp_dam", "weather"]


def test_the_largest_plans_stay_below_the_step_functions_payload_limit() -> None:
    # GIVEN the most chunks a backfill may have (1,000), each fetching every dataset: the largest plan there is
    largest = backfill_plan({"start": "2022-01-01", "end": "2024-09-26", "chunk_days": 1})
    assert len(largest["chunks"]) == 1000
    assert all(len(chunk["ercot_datasets"]) == len(ERCOT_DATASETS) for chunk in largest["chunks"])
    # THEN it passes between states (Step Functions: at most 256 KiB), with room to spare, however it is spaced
    assert len(json.dumps(largest).encode()) < 200 * 1024


@pytest.mark.parametrize(
    ("machine", "execution_input", "named"),
    [
        ("pipeline", {"start": "2024-01-01", "end": "2024-02-01"}, "spans 32 days.*backfill"),
        ("backfill", {"start": "2016-01-01", "end": "2024-12-31", "chunk_days": 1}, "chunk_days 1 makes 3288 chunks"),
    ],
)
def test_windows_too_large_for_one_execution_are_refused_with_what_to_do(
    machine: str, execution_input: dict[str, Any], named: str
) -> None:
    with pytest.raises(InvalidRequestError, match=named):
        plan(machine, execution_input)  # type: ignore[arg-type]


def test_backfill_limits_default_to_the_settings_and_the_input_overrides_them() -> None:
    settings = Settings(backfill_max_concurrency=3, backfill_tolerated_failure_percent=12.5)
    defaults = backfill_plan({"start": "2024-11-01", "end": "2024-11-30"}, settings)
    assert (defaults["max_concurrency"], defaults["tolerated_failure_percent"]) == (3, 12.5)
    overridden = backfill_plan(
        {"start": "2024-11-01", "end": "2024-11-30", "max_concurrency": 5, "tolerated_failure_percent": 0}, settings
    )
    # 0 is a real choice (no failed chunk tolerated), not "use the default"
    assert (overridden["max_concurrency"], overridden["tolerated_failure_percent"]) == (5, 0)


def test_the_default_backfill_runs_one_chunk_at_a_time_for_ercots_rate_limit() -> None:
    result = backfill_plan({"start": "2024-11-01", "end": "2024-11-30"})
    assert result["max_concurrency"] == 1
    assert result["tolerated_failure_percent"] == 10


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the function's variables, as the template sets them from its parameters
    for name, value in {
        "ENERGYLAKE_GATE_POLL_SECONDS": "5",
        "ENERGYLAKE_GATE_MAX_POLLS": "9",
        "ENERGYLAKE_GLUE_POLL_SECONDS": "15",
        "ENERGYLAKE_GLUE_MAX_POLLS": "11",
        "ENERGYLAKE_BACKFILL_CHUNK_DAYS": "3",
        "ENERGYLAKE_BACKFILL_MAX_CONCURRENCY": "2",
        "ENERGYLAKE_BACKFILL_TOLERATED_FAILURE_PERCENT": "25",
    }.items():
        monkeypatch.setenv(name, value)
    # WHEN a backfill is planned without explicit settings
    result = as_backfill(plan("backfill", {"start": "2024-11-01", "end": "2024-11-07"}))
    # THEN every limit is the environment's
    assert result["gate"] == {"poll_seconds": 5, "max_polls": 9}
    assert result["glue"] == {"poll_seconds": 15, "max_polls": 11}
    assert [(c["start"], c["end"]) for c in result["chunks"]] == [
        ("2024-11-01", "2024-11-03"),
        ("2024-11-04", "2024-11-06"),
        ("2024-11-07", "2024-11-07"),
    ]
    assert (result["max_concurrency"], result["tolerated_failure_percent"]) == (2, 25)


@pytest.mark.parametrize(
    ("name", "value"),
    [("ENERGYLAKE_GATE_POLL_SECONDS", "0"), ("ENERGYLAKE_BACKFILL_MAX_CONCURRENCY", "many")],
)
def test_a_bad_setting_names_its_variable(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    # The one settings loader's message (it was "invalid orchestration settings: ENERGYLAKE_...")
    with pytest.raises(ConfigurationError, match=f"^invalid setting {name}: "):
        get_settings()


# ----------------------------------------------------------------------------------------------------------------
# plan: backfill - the door plan of its fetches
# ----------------------------------------------------------------------------------------------------------------

AFTER_HISTORY = dt.datetime(2026, 12, 6, 18, tzinfo=UTC)  # noon in Central time on 2026-12-06


def test_a_backfill_plan_shows_days_per_door_requests_and_minutes_of_its_chunks() -> None:
    # GIVEN a backfill of ERCOT's nodal history up to yesterday, planned on 2026-12-06
    result = as_backfill(
        plan("backfill", {"start": "2011-01-01", "end": "2026-12-05"}, settings=Settings(), now=AFTER_HISTORY)
    )
    summary = result["fetch_plan"]
    # THEN the plan holds the days each door serves per dataset (the stack's fetch function has credentials)
    assert summary["credentials"] is True
    assert summary["datasets"]["spp_rt"]["days"] == {"ercot-yearly": 1216, "ercot-archive": 4512, "ercot-api": 90}
    assert summary["datasets"]["fuel_mix"]["days"]["ercot-dashboard"] == 1
    assert summary["datasets"]["weather"]["days"]["open-meteo-archive"] > 5000
    # AND the ERCOT requests of its chunks (a calendar year each while the yearly files serve every ERCOT dataset,
    # 2011..2013 and 2014-01..04, weekly after) and the minutes 30 requests a minute imply
    assert [(chunk["start"], chunk["end"]) for chunk in result["chunks"][:5]] == [
        ("2011-01-01", "2011-12-31"),
        ("2012-01-01", "2012-12-31"),
        ("2013-01-01", "2013-12-31"),
        ("2014-01-01", "2014-04-30"),
        ("2014-05-01", "2014-05-07"),
    ]
    assert summary["fetches"] == len(result["chunks"]) == 665
    assert summary["ercot_requests"] > 5_000
    assert summary["ercot_minutes"] == pytest.approx(summary["ercot_requests"] / 30, abs=0.1)
    # AND the machines' fields are all still there, the whole plan (measured: 115 KiB) within the 256 KiB between
    # states
    assert {"start", "end", "datasets", "ercot_datasets", "fetch_weather", "gate", "glue", "chunks"} <= set(result)
    assert len(json.dumps(result).encode()) < 128 * 1024
    assert len(json.dumps(summary)) < 4096


def test_chunks_are_cut_where_a_dataset_becomes_reachable_so_no_reachable_day_is_lost() -> None:
    # GIVEN weekly chunks across the first day of the load forecast's archive (2014-08-08)
    result = as_backfill(
        plan(
            "backfill",
            {"start": "2014-08-04", "end": "2014-08-17", "datasets": ["load_forecast"]},
            settings=Settings(),
            now=AFTER_HISTORY,
        )
    )
    # THEN 08-04..07 (before the archive) is in no chunk, and the chunks start on 08-08: nothing reachable is lost
    assert [(chunk["start"], chunk["end"], chunk["ercot_datasets"]) for chunk in result["chunks"]] == [
        ("2014-08-08", "2014-08-14", ["load_forecast"]),
        ("2014-08-15", "2014-08-17", ["load_forecast"]),
    ]
    summary = result["fetch_plan"]["datasets"]["load_forecast"]
    assert (summary["unreachable_days"], summary["days"]) == (4, {"ercot-archive": 10})


def test_each_chunk_fetches_only_the_datasets_a_door_reaches_on_all_its_days() -> None:
    # GIVEN a backfill of every dataset over 2014-08-01..20: the load forecast's archive starts 2014-08-08, wind's
    # 2014-08-17, solar's 2016-03-12
    result = as_backfill(
        plan("backfill", {"start": "2014-08-01", "end": "2014-08-20"}, settings=Settings(), now=AFTER_HISTORY)
    )
    chunks = [
        (chunk["start"], chunk["end"], chunk["ercot_datasets"], chunk["fetch_weather"]) for chunk in result["chunks"]
    ]
    # THEN the first chunk has no load forecast nor wind, the next ones add each from its first day, solar never
    always = ["spp_rt", "spp_dam", "load_weather_zone"]
    assert chunks == [
        ("2014-08-01", "2014-08-07", [*always, "fuel_mix"], True),
        ("2014-08-08", "2014-08-14", [*always, "load_forecast", "fuel_mix"], True),
        ("2014-08-15", "2014-08-16", [*always, "load_forecast", "fuel_mix"], True),
        ("2014-08-17", "2014-08-20", [*always, "load_forecast", "wind", "fuel_mix"], True),
    ]
    # AND the plan still names every dataset asked for, and what is out of reach
    assert result["ercot_datasets"] == list(ERCOT_DATASETS)
    assert result["fetch_plan"]["datasets"]["solar"]["unreachable_days"] == 20


def test_a_backfill_no_door_reaches_on_any_day_is_refused_naming_why() -> None:
    # GIVEN solar before its archive's first day (2016-03-12)
    with pytest.raises(
        InvalidRequestError, match=r"nothing to backfill in 2015-01-01..2015-01-10: .*NP4-737-CD starts 2016-03-12"
    ):
        plan(
            "backfill",
            {"start": "2015-01-01", "end": "2015-01-10", "datasets": ["solar"]},
            settings=Settings(),
            now=AFTER_HISTORY,
        )
