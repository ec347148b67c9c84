"""The state machines' own steps (energylake.orchestration): planning a run, the quality gate, scheduled starts.

The quality gate runs against a local lake holding REAL landed groups (the sample source through the real clients)
curated by the real curation, so "pending", "passed" and "failed" are the states a deployed gate would see.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import boto3
import pytest
from moto import mock_aws

from energylake.contracts.datasets import ALL_DATASETS, ERCOT_DATASETS
from energylake.errors import ConfigurationError, InvalidRequestError, StorageError
from energylake.lake import quality_report_key
from energylake.orchestration import (
    SCHEDULED_DATASETS,
    BackfillPlan,
    OrchestrationSettings,
    QualityGateEvent,
    QualityGateFailedError,
    QualityGateTimeoutError,
    RunPlan,
    execution_name,
    get_orchestration_settings,
    handle_plan,
    handle_quality_gate,
    plan,
    quality_gate,
    scheduled_window,
    start_scheduled_run,
)
from energylake.settings import Settings
from energylake.stages import curate, fetch, sample_connection
from energylake.lake.storage import LocalStorage, Storage, open_storage
from energylake.window import Window
from tests.support.fakes import land_unparseable_version

UTC = dt.UTC
AFTER_WINDOW = dt.datetime(2024, 11, 8, 12, tzinfo=UTC)  # the sample clock: every day of the window is complete
NOV_3 = Window(dt.date(2024, 11, 3), dt.date(2024, 11, 3))
REGION = "us-east-1"


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    """Settings are cached per process (one Lambda cold start); each test resolves them from its own env."""
    get_orchestration_settings.cache_clear()
    yield
    get_orchestration_settings.cache_clear()


def pipeline_plan(execution_input: object, *, now: dt.datetime = AFTER_WINDOW) -> RunPlan:
    return plan("pipeline", execution_input, settings=OrchestrationSettings(), now=now)


def backfill_plan(execution_input: object, settings: OrchestrationSettings | None = None) -> BackfillPlan:
    return as_backfill(plan("backfill", execution_input, settings=settings or OrchestrationSettings()))


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
    result = handle_plan({"mode": "pipeline", "input": {"start": "2024-11-01", "end": "2024-11-02"}})
    assert (result["start"], result["end"], result["gate"]["max_polls"]) == ("2024-11-01", "2024-11-02", 7)
    with pytest.raises(InvalidRequestError, match="mode: Input should be 'pipeline' or 'backfill'"):
        handle_plan({"mode": "rerun", "input": {}})
    with pytest.raises(InvalidRequestError, match="invalid backfill input: start: Field required"):
        handle_plan({"mode": "backfill", "input": {}})
    # Step Functions accepts any JSON as an execution's input: a non-object is named as the pipeline's bad input
    with pytest.raises(InvalidRequestError, match="invalid pipeline input: expected a JSON object, got list"):
        handle_plan({"mode": "pipeline", "input": ["2024-11-01", "2024-11-02"]})


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
    size = chunk_days or OrchestrationSettings().backfill_chunk_days
    chunks = result["chunks"]
    assert len(chunks) == expected_chunks
    covered = [day for chunk in chunks for day in days_of(chunk["start"], chunk["end"])]
    assert covered == days_of(start, end)
    assert all(1 <= len(days_of(chunk["start"], chunk["end"])) <= size for chunk in chunks)
    assert (result["start"], result["end"]) == (start, end)


def test_chunks_are_only_their_days_and_the_plan_holds_what_they_share() -> None:
    result = backfill_plan({"start": "2024-11-01", "end": "2024-11-10", "datasets": ["weather", "spp_dam"]})
    assert all(set(chunk) == {"start", "end"} for chunk in result["chunks"])
    assert (result["ercot_datasets"], result["fetch_weather"]) == (["spp_dam"], True)
    assert result["datasets"] == ["spp_dam", "weather"]


def test_the_largest_plans_stay_far_below_the_step_functions_payload_limit() -> None:
    # Ten years in the smallest chunks that are allowed (1,000 chunks) vs 256 KiB between states
    largest = backfill_plan({"start": "2022-01-01", "end": "2024-09-26", "chunk_days": 1})
    assert len(largest["chunks"]) == 1000
    assert len(json.dumps(largest)) < 100_000


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
    settings = OrchestrationSettings(backfill_max_concurrency=3, backfill_tolerated_failure_percent=12.5)
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
    with pytest.raises(ConfigurationError, match=name):
        get_orchestration_settings()


# ----------------------------------------------------------------------------------------------------------------
# quality gate, on a local lake with real landed and curated groups
# ----------------------------------------------------------------------------------------------------------------


@pytest.fixture
def lake(tmp_path: Path) -> Storage:
    return open_storage(str(tmp_path / "lake"))


def land(lake: Storage, dataset: str, window: Window = NOV_3) -> list[str]:
    """Fetch ``dataset`` from the sample source into ``lake``; the manifests of the groups landed."""
    return fetch(dataset, window, lake, sample_connection(Settings(), now=AFTER_WINDOW, throttle_every=0)).manifests


def gate_event(ercot: dict[str, list[str]], weather: list[str] | None = None, **extra: Any) -> QualityGateEvent:
    """The gate's event as the state machine builds it from the fetch results."""
    return QualityGateEvent.model_validate(
        {
            "ercot": [
                {"dataset": name, "manifests": keys, "written": 1, "unchanged": 0} for name, keys in ercot.items()
            ],
            "weather": {"dataset": "weather", "manifests": weather or []},
            "attempt": 0,
            "max_polls": 40,
            **extra,
        }
    )


def land_newer_broken_version(lake: Storage, manifest_key: str) -> str:
    newer = land_unparseable_version(lake, manifest_key, fetched_at=AFTER_WINDOW + dt.timedelta(days=1))
    assert newer != manifest_key
    return newer


def test_groups_not_yet_curated_are_pending_and_the_attempt_counts_up(lake: Storage) -> None:
    # GIVEN two datasets landed, not curated yet
    spp_rt, weather = land(lake, "spp_rt"), land(lake, "weather")
    # WHEN the gate checks them (first, then second check)
    first = quality_gate(gate_event({"spp_rt": spp_rt}, weather), lake)
    second = quality_gate(gate_event({"spp_rt": spp_rt}, weather, attempt=first["attempt"]), lake)
    # THEN both are pending, listed, and the next check's number goes up by one each time
    assert first == {"status": "pending", "attempt": 1, "groups": 2, "passed": 0, "pending": sorted(spp_rt + weather)}
    assert second["status"] == "pending"
    assert second["attempt"] == 2


def test_once_every_group_is_curated_the_gate_passes(lake: Storage) -> None:
    # GIVEN ERCOT and weather groups landed; one curated
    spp_rt, spp_dam, weather = land(lake, "spp_rt"), land(lake, "spp_dam"), land(lake, "weather")
    event = gate_event({"spp_rt": spp_rt, "spp_dam": spp_dam}, weather)
    curate(spp_rt[0], lake)
    partly = quality_gate(event, lake)
    assert (partly["status"], partly["passed"], partly["pending"]) == ("pending", 1, sorted(spp_dam + weather))
    # WHEN the rest are curated (and pass)
    for key in spp_dam + weather:
        assert curate(key, lake).status == "passed"
    result = quality_gate(event, lake)
    # THEN the gate passes with every group counted
    assert result == {"status": "passed", "attempt": 1, "groups": 3, "passed": 3, "pending": []}


def test_a_report_for_an_older_manifest_of_the_group_does_not_count(lake: Storage) -> None:
    # GIVEN a group curated (and passed), then a newer version of it landed and not yet curated
    [old] = land(lake, "spp_dam")
    assert curate(old, lake).status == "passed"
    newer = land_newer_broken_version(lake, old)
    # WHEN the gate checks either manifest of the group
    for key in (newer, old):
        result = quality_gate(gate_event({"spp_dam": [key]}), lake)
        # THEN it is pending: the passed report is for a version the lake no longer serves
        assert (result["status"], result["pending"]) == ("pending", [key])


def test_a_quarantined_group_fails_the_gate_naming_the_manifest_and_the_reason(lake: Storage) -> None:
    # GIVEN a passed spp_rt group, and a spp_dam group whose newest version failed curation (quarantined)
    [spp_rt] = land(lake, "spp_rt")
    curate(spp_rt, lake)
    [old] = land(lake, "spp_dam")
    curate(old, lake)
    newer = land_newer_broken_version(lake, old)
    assert curate(newer, lake).status == "failed"
    # WHEN the gate checks them
    # THEN it raises: the run must stop before Glue, and the error says which group and why
    with pytest.raises(QualityGateFailedError, match=r"1 of 2 landed groups failed") as caught:
        quality_gate(gate_event({"spp_rt": [spp_rt], "spp_dam": [newer]}), lake)
    assert newer in str(caught.value)
    assert "parse failed" in str(caught.value)
    assert spp_rt not in str(caught.value)


def test_a_failed_group_stops_the_gate_even_while_others_are_pending(lake: Storage) -> None:
    [pending] = land(lake, "spp_rt")
    [old] = land(lake, "spp_dam")
    newer = land_newer_broken_version(lake, old)
    curate(newer, lake)
    with pytest.raises(QualityGateFailedError, match=re.escape(newer)):
        quality_gate(gate_event({"spp_rt": [pending], "spp_dam": [newer]}), lake)


def test_the_last_allowed_check_with_groups_still_pending_times_out(lake: Storage) -> None:
    # GIVEN a group never curated, and the gate's budget of 3 checks
    [key] = land(lake, "spp_dam")
    # WHEN the 2nd check finds it pending, the run may wait again
    assert quality_gate(gate_event({"spp_dam": [key]}, attempt=1, max_polls=3), lake)["status"] == "pending"
    # THEN the 3rd (last) check gives up, naming the group and the number of checks
    with pytest.raises(QualityGateTimeoutError, match=r"1 of 1 landed groups still have no quality report after 3"):
        quality_gate(gate_event({"spp_dam": [key]}, attempt=2, max_polls=3), lake)


def test_the_last_allowed_check_passes_when_everything_is_curated(lake: Storage) -> None:
    [key] = land(lake, "spp_dam")
    curate(key, lake)
    assert quality_gate(gate_event({"spp_dam": [key]}, attempt=2, max_polls=3), lake)["status"] == "passed"


def test_an_empty_fetch_passes_at_once(lake: Storage) -> None:
    # GIVEN fetch steps that landed no group (nothing available yet), and no weather asked for
    event = gate_event({"spp_rt": []})
    # THEN there is nothing to wait for
    assert quality_gate(event, lake) == {"status": "passed", "attempt": 1, "groups": 0, "passed": 0, "pending": []}


def test_a_manifest_landed_by_two_steps_is_checked_once(lake: Storage) -> None:
    [key] = land(lake, "spp_dam")
    result = quality_gate(gate_event({"spp_dam": [key, key]}), lake)
    assert (result["groups"], result["pending"]) == (1, [key])


@pytest.mark.parametrize(
    "key",
    [
        "raw/source=ercot/dataset=spp_rt/date=2024-11-03/part-0.json",
        "silver/dataset=spp_rt/date=2024-11-03/_manifests/g/20241108T120000000000Z-abc.manifest.json",
        "raw/source=ercot/dataset=spp_rt/date=2024-11-03/g/20241108T120000000000Z-abc.manifest.json",
        "raw/source=ercot/dataset=spp_rt/date=2024-13-03/_manifests/g/20241108T120000000000Z-abc.manifest.json",
    ],
)
def test_a_malformed_manifest_key_is_rejected(lake: Storage, key: str) -> None:
    with pytest.raises(InvalidRequestError, match="not a raw manifest key"):
        quality_gate(gate_event({"spp_rt": [key]}), lake)


def test_a_corrupt_quality_report_is_a_storage_error(lake: Storage) -> None:
    [key] = land(lake, "spp_dam")
    group = key.split("/")[5]
    lake.put(quality_report_key("spp_dam", dt.date(2024, 11, 3), group), b"{not json")
    with pytest.raises(StorageError, match="is not JSON"):
        quality_gate(gate_event({"spp_dam": [key]}), lake)


def test_handle_quality_gate_validates_the_event(lake: Storage) -> None:
    valid = {"ercot": [], "weather": {"dataset": "weather", "manifests": []}, "attempt": 0, "max_polls": 3}
    with pytest.raises(InvalidRequestError, match="attempt: Input should be greater than or equal to 0"):
        handle_quality_gate({**valid, "attempt": -1}, storage=lake)
    with pytest.raises(InvalidRequestError, match=r"ercot\.0\.dataset: Input should be"):
        handle_quality_gate({**valid, "ercot": [{"dataset": "prices", "manifests": []}]}, storage=lake)
    with pytest.raises(InvalidRequestError, match="status: Extra inputs"):
        handle_quality_gate({**valid, "status": "pending"}, storage=lake)
    # An empty or renamed event fails rather than passing with nothing to check
    with pytest.raises(InvalidRequestError, match="ercot: Field required; weather: Field required"):
        handle_quality_gate({}, storage=lake)
    assert handle_quality_gate(valid, storage=lake)["status"] == "passed"


def test_the_gate_only_reads_the_lake(lake: Storage) -> None:
    [key] = land(lake, "spp_dam")
    assert isinstance(lake, LocalStorage)
    before = sorted(p.relative_to(lake.root) for p in lake.root.rglob("*"))
    quality_gate(gate_event({"spp_dam": [key]}), lake)
    assert sorted(p.relative_to(lake.root) for p in lake.root.rglob("*")) == before


# ----------------------------------------------------------------------------------------------------------------
# scheduled starts
# ----------------------------------------------------------------------------------------------------------------

# Step Functions execution names: 1..80 characters, none of: whitespace < > { } [ ] ? * " # % \ ^ | ~ ` $ & , ; : /
_NAME = re.compile(r"^[^\s<>{}\[\]?*\"#%\\^|~`$&,;:/]{1,80}$")


@pytest.mark.parametrize(
    ("schedule", "scheduled_time", "expected"),
    [
        ("realtime", dt.datetime(2024, 11, 3, 7, 15, tzinfo=UTC), "realtime-20241103T0715Z"),
        # the same instant in Central (CST after the fall-back) gets the same name: names are in UTC
        ("realtime", dt.datetime(2024, 11, 3, 1, 15, tzinfo=dt.timezone(dt.timedelta(hours=-6))), None),
        ("daily", dt.datetime(2024, 3, 10, 11, 0, 59, tzinfo=UTC), "daily-20240310T1100Z"),
    ],
)
def test_execution_names_are_utc_deterministic_and_valid(
    schedule: str, scheduled_time: dt.datetime, expected: str | None
) -> None:
    name = execution_name(schedule, scheduled_time)
    assert name == (expected or "realtime-20241103T0715Z")
    assert name == execution_name(schedule, scheduled_time)
    assert _NAME.match(name), name


def test_the_two_ambiguous_fall_back_hours_get_different_names() -> None:
    # 01:15 CDT and 01:15 CST on 2024-11-03 are an hour apart: two real runs, two names
    first = dt.datetime(2024, 11, 3, 6, 15, tzinfo=UTC)
    second = dt.datetime(2024, 11, 3, 7, 15, tzinfo=UTC)
    assert execution_name("realtime", first) != execution_name("realtime", second)


def test_schedules_at_the_same_time_get_different_names() -> None:
    at = dt.datetime(2024, 11, 5, 11, tzinfo=UTC)
    assert execution_name("realtime", at) != execution_name("daily", at)


@pytest.fixture
def sfn(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str]]:
    """A moto pipeline state machine and StartRunFunction's environment."""
    with mock_aws():
        client = boto3.client("stepfunctions", region_name=REGION)
        definition = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}
        arn = client.create_state_machine(
            name="energylake-test-pipeline",
            definition=json.dumps(definition),
            roleArn="arn:aws:iam::123456789012:role/energylake-pipeline",
        )["stateMachineArn"]
        monkeypatch.setenv("ENERGYLAKE_PIPELINE_STATE_MACHINE_ARN", arn)
        yield client, arn


def executions(client: Any, arn: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = client.list_executions(stateMachineArn=arn)["executions"]
    return found


REALTIME_EVENT = {"schedule": "realtime", "scheduled_time": "2024-11-03T07:15:00Z"}


def test_a_scheduled_run_starts_the_pipeline_named_after_its_time(sfn: tuple[Any, str]) -> None:
    client, arn = sfn
    # WHEN the schedule's event arrives
    started = start_scheduled_run(dict(REALTIME_EVENT), sfn=client)
    # THEN one execution, under the deterministic name, whose input the plan turns into the schedule's window
    assert started["started"] is True
    assert started["execution_name"] == "realtime-20241103T0715Z"
    [execution] = executions(client, arn)
    assert execution["name"] == started["execution_name"]
    assert execution["executionArn"] == started["execution_arn"]
    execution_input = json.loads(client.describe_execution(executionArn=started["execution_arn"])["input"])
    assert execution_input == {"schedule": "realtime", "scheduled_time": "2024-11-03T07:15:00Z"}
    planned = pipeline_plan(execution_input)
    assert (planned["start"], planned["end"]) == ("2024-11-03", "2024-11-03")


def test_a_duplicated_trigger_after_the_run_finished_starts_nothing(sfn: tuple[Any, str]) -> None:
    # GIVEN the scheduled run started and finished (stopped here: moto executions never end by themselves)
    client, arn = sfn
    first = start_scheduled_run(dict(REALTIME_EVENT), sfn=client)
    client.stop_execution(executionArn=first["execution_arn"])
    # WHEN the scheduler delivers the same trigger again (at-least-once delivery)
    second = start_scheduled_run(dict(REALTIME_EVENT), sfn=client)
    # THEN nothing new starts, and the reply says so
    assert second == {
        "execution_name": first["execution_name"],
        "execution_arn": first["execution_arn"],
        "started": False,
    }
    assert len(executions(client, arn)) == 1


def test_a_duplicated_trigger_while_the_run_is_active_starts_nothing(sfn: tuple[Any, str]) -> None:
    # GIVEN the scheduled run still running
    client, arn = sfn
    first = start_scheduled_run(dict(REALTIME_EVENT), sfn=client)
    # WHEN the same trigger arrives again (Step Functions itself would answer a start with the same name and input
    # as a running execution with that execution, hiding the duplicate)
    second = start_scheduled_run(dict(REALTIME_EVENT), sfn=client)
    # THEN there is still one execution, the reply names it and says nothing was started
    assert second["execution_arn"] == first["execution_arn"]
    assert second["started"] is False
    assert len(executions(client, arn)) == 1


def test_the_same_instant_written_in_another_zone_is_the_same_run(sfn: tuple[Any, str]) -> None:
    client, arn = sfn
    first = start_scheduled_run(dict(REALTIME_EVENT), sfn=client)
    client.stop_execution(executionArn=first["execution_arn"])
    again = start_scheduled_run({"schedule": "realtime", "scheduled_time": "2024-11-03T01:15:00-06:00"}, sfn=client)
    assert again["started"] is False
    assert len(executions(client, arn)) == 1


def test_the_next_scheduled_time_starts_a_new_run(sfn: tuple[Any, str]) -> None:
    client, arn = sfn
    start_scheduled_run(dict(REALTIME_EVENT), sfn=client)
    later = start_scheduled_run({"schedule": "realtime", "scheduled_time": "2024-11-03T07:30:00Z"}, sfn=client)
    assert later["started"] is True
    assert sorted(e["name"] for e in executions(client, arn)) == ["realtime-20241103T0715Z", "realtime-20241103T0730Z"]


def test_without_the_pipeline_arn_nothing_starts_and_the_variable_is_named(
    sfn: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, arn = sfn
    monkeypatch.delenv("ENERGYLAKE_PIPELINE_STATE_MACHINE_ARN")
    with pytest.raises(ConfigurationError, match="ENERGYLAKE_PIPELINE_STATE_MACHINE_ARN"):
        start_scheduled_run(dict(REALTIME_EVENT), sfn=client)
    assert executions(client, arn) == []


@pytest.mark.parametrize(
    ("event", "named"),
    [
        ({"schedule": "hourly", "scheduled_time": "2024-11-03T07:15:00Z"}, "schedule: Input should be"),
        ({"schedule": "realtime", "scheduled_time": "2024-11-03T07:15:00"}, "scheduled_time: .*timezone"),
        ({"schedule": "realtime"}, "scheduled_time: Field required"),
        ({**REALTIME_EVENT, "start": "2024-11-03"}, "start: Extra inputs"),
        (["realtime"], "expected a JSON object"),
    ],
)
def test_a_bad_scheduled_event_starts_nothing(sfn: tuple[Any, str], event: object, named: str) -> None:
    client, arn = sfn
    with pytest.raises(InvalidRequestError, match=named):
        start_scheduled_run(event, sfn=client)
    assert executions(client, arn) == []
