"""PlanRunFunction's choice of gold engine: BuildGoldFunction (DuckDB in a Lambda) for windows of at most
ENERGYLAKE_GOLD_LAMBDA_MAX_DAYS operating days, the Glue job for longer ones and for every backfill."""

from __future__ import annotations

import datetime as dt

import pytest

from energylake.errors import ConfigurationError
from energylake.lambdas.plan_run import gold_engine, handle, plan
from energylake.settings import Settings, get_settings
from energylake.window import Window

AFTER_WINDOW = dt.datetime(2024, 11, 8, 12, tzinfo=dt.UTC)  # every day of the windows below is complete


def engine_for(execution_input: object, settings: Settings | None = None) -> str:
    return plan("pipeline", execution_input, settings=settings or Settings(), now=AFTER_WINDOW)["gold_engine"]


@pytest.mark.parametrize(
    ("start", "end", "engine"),
    [
        ("2024-11-03", "2024-11-03", "lambda"),  # one day (the fall-back day: 25 hours, two UTC dates)
        ("2024-11-03", "2024-11-04", "lambda"),  # two days: the default limit, inclusive
        ("2024-11-02", "2024-11-04", "glue"),  # three days: one more than the limit
        ("2024-11-01", "2024-11-07", "glue"),  # the demo's week
    ],
)
def test_windows_up_to_the_limit_build_gold_in_the_lambda_and_longer_ones_in_glue(
    start: str, end: str, engine: str
) -> None:
    # GIVEN the default limit of two operating days; WHEN a pipeline window is planned; THEN its engine is chosen by
    # its number of operating days
    assert Settings().gold_lambda_max_days == 2
    assert engine_for({"start": start, "end": end}) == engine


@pytest.mark.parametrize(
    ("schedule", "scheduled_time"),
    [
        ("realtime", "2024-11-05T20:15:00Z"),  # today only
        ("realtime", "2024-11-04T06:30:00Z"),  # just after midnight: yesterday and today
        ("daily", "2024-11-05T12:30:00Z"),  # yesterday and today
    ],
)
def test_every_scheduled_run_builds_gold_in_the_lambda(schedule: str, scheduled_time: str) -> None:
    # The scheduled runs are what the Lambda is for: at most two operating days, every 15 minutes and daily.
    assert engine_for({"schedule": schedule, "scheduled_time": scheduled_time}) == "lambda"


def test_the_limit_is_a_setting() -> None:
    # GIVEN a stack deployed with GoldLambdaMaxDays 7 (ENERGYLAKE_GOLD_LAMBDA_MAX_DAYS)
    settings = Settings(gold_lambda_max_days=7)
    # THEN a week goes to the Lambda, eight days to Glue
    assert engine_for({"start": "2024-11-01", "end": "2024-11-07"}, settings) == "lambda"
    assert engine_for({"start": "2024-10-31", "end": "2024-11-07"}, settings) == "glue"


@pytest.mark.parametrize(("start", "end"), [("2024-11-03", "2024-11-03"), ("2024-11-01", "2024-11-30")])
def test_a_backfill_always_builds_gold_in_glue(start: str, end: str) -> None:
    # Even a backfill of one day: its gold is one Glue run over the whole window, after every chunk is curated.
    backfill = plan("backfill", {"start": start, "end": end}, settings=Settings(), now=AFTER_WINDOW)
    assert backfill["gold_engine"] == "glue"
    assert gold_engine(Window.parse(start, end), Settings(), backfill=True) == "glue"


def test_the_function_plans_with_the_limit_from_its_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the function's environment as the template sets it (tests/conftest.py clears the settings per test)
    monkeypatch.setenv("ENERGYLAKE_GOLD_LAMBDA_MAX_DAYS", "3")
    # WHEN the machine's first state asks for a plan of three days
    result = handle({"mode": "pipeline", "input": {"start": "2024-11-02", "end": "2024-11-04"}})
    # THEN the Lambda builds it
    assert result["gold_engine"] == "lambda"


@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_a_bad_limit_names_its_variable(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("ENERGYLAKE_GOLD_LAMBDA_MAX_DAYS", value)
    with pytest.raises(ConfigurationError, match=r"^invalid setting ENERGYLAKE_GOLD_LAMBDA_MAX_DAYS: "):
        get_settings()
    # ... and the planner fails with it rather than choosing an engine
    with pytest.raises(ConfigurationError, match="ENERGYLAKE_GOLD_LAMBDA_MAX_DAYS"):
        handle({"mode": "pipeline", "input": {}})
