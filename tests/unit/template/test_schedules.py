"""The schedules: two EventBridge Scheduler schedules start the pipeline through StartRunFunction, retry, dead-letter,
and stay off unless enabled."""

from __future__ import annotations

import json

import pytest

from tests.support.template import FUNCTIONS, TEMPLATE


def test_start_run_failures_land_in_the_schedule_dead_letter_queue() -> None:
    config = FUNCTIONS["StartRunFunction"]["Properties"]["EventInvokeConfig"]
    assert 0 <= config["MaximumRetryAttempts"] <= 2
    assert config["DestinationConfig"]["OnFailure"] == {
        "Type": "SQS",
        "Destination": {"Fn::GetAtt": ["ScheduleDeadLetterQueue", "Arn"]},
    }


SCHEDULES = {
    name: event["Properties"]
    for name, event in FUNCTIONS["StartRunFunction"]["Properties"]["Events"].items()
    if event["Type"] == "ScheduleV2"
}


def test_two_schedules_start_the_pipeline() -> None:
    assert set(SCHEDULES) == {"RealtimeSchedule", "DailySchedule"}
    assert set(FUNCTIONS["StartRunFunction"]["Properties"]["Events"]) == set(SCHEDULES)
    assert SCHEDULES["RealtimeSchedule"]["ScheduleExpression"] == "rate(15 minutes)"
    assert SCHEDULES["DailySchedule"]["ScheduleExpression"] == "cron(30 6 * * ? *)"
    assert SCHEDULES["DailySchedule"]["ScheduleExpressionTimezone"] == "America/Chicago"
    # Nothing else starts a schedule-triggered function.
    for name in set(FUNCTIONS) - {"StartRunFunction"}:
        events = FUNCTIONS[name]["Properties"].get("Events", {}).values()
        assert not [e for e in events if e["Type"] in ("Schedule", "ScheduleV2")], name


@pytest.mark.parametrize(("schedule", "kind"), [("RealtimeSchedule", "realtime"), ("DailySchedule", "daily")])
def test_schedule_sends_its_kind_and_the_scheduled_time(schedule: str, kind: str) -> None:
    assert json.loads(SCHEDULES[schedule]["Input"]) == {
        "schedule": kind,
        "scheduled_time": "<aws.scheduler.scheduled-time>",
    }


@pytest.mark.parametrize("schedule", sorted(SCHEDULES))
def test_schedule_retries_then_dead_letters_and_follows_schedules_state(schedule: str) -> None:
    properties = SCHEDULES[schedule]
    retry = properties["RetryPolicy"]
    assert 1 <= retry["MaximumRetryAttempts"] <= 185
    assert 60 <= retry["MaximumEventAgeInSeconds"] <= 86400
    assert properties["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["ScheduleDeadLetterQueue", "Arn"]}}
    assert properties["State"] == {"Ref": "SchedulesState"}
    # A generated name: two stacks in one account cannot collide on a schedule name.
    assert properties.get("OmitName") is True and "Name" not in properties


def test_schedules_are_off_unless_enabled() -> None:
    parameter = TEMPLATE["Parameters"]["SchedulesState"]
    assert parameter["AllowedValues"] == ["ENABLED", "DISABLED"]
    assert parameter["Default"] == "DISABLED"
