"""StartRunFunction (energylake.lambdas.start_run): the schedules start the pipeline under a name made from the
scheduled time, so a duplicated trigger starts nothing; on a moto state machine."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from energylake.errors import ConfigurationError, InvalidRequestError
from energylake.lambdas.plan_run import plan
from energylake.lambdas.start_run import execution_name, handle
from energylake.settings import Settings

UTC = dt.UTC
REGION = "us-east-1"


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
    started = handle(dict(REALTIME_EVENT), sfn=client)
    # THEN one execution, under the deterministic name, whose input the plan turns into the schedule's window
    assert started["started"] is True
    assert started["execution_name"] == "realtime-20241103T0715Z"
    [execution] = executions(client, arn)
    assert execution["name"] == started["execution_name"]
    assert execution["executionArn"] == started["execution_arn"]
    execution_input = json.loads(client.describe_execution(executionArn=started["execution_arn"])["input"])
    assert execution_input == {"schedule": "realtime", "scheduled_time": "2024-11-03T07:15:00Z"}
    planned = plan("pipeline", execution_input, settings=Settings())
    assert (planned["start"], planned["end"]) == ("2024-11-03", "2024-11-03")


def test_a_duplicated_trigger_after_the_run_finished_starts_nothing(sfn: tuple[Any, str]) -> None:
    # GIVEN the scheduled run started and finished (stopped here: moto executions never end by themselves)
    client, arn = sfn
    first = handle(dict(REALTIME_EVENT), sfn=client)
    client.stop_execution(executionArn=first["execution_arn"])
    # WHEN the scheduler delivers the same trigger again (at-least-once delivery)
    second = handle(dict(REALTIME_EVENT), sfn=client)
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
    first = handle(dict(REALTIME_EVENT), sfn=client)
    # WHEN the same trigger arrives again (Step Functions itself would answer a start with the same name and input
    # as a running execution with that execution, hiding the duplicate)
    second = handle(dict(REALTIME_EVENT), sfn=client)
    # THEN there is still one execution, the reply names it and says nothing was started
    assert second["execution_arn"] == first["execution_arn"]
    assert second["started"] is False
    assert len(executions(client, arn)) == 1


def test_the_same_instant_written_in_another_zone_is_the_same_run(sfn: tuple[Any, str]) -> None:
    client, arn = sfn
    first = handle(dict(REALTIME_EVENT), sfn=client)
    client.stop_execution(executionArn=first["execution_arn"])
    again = handle({"schedule": "realtime", "scheduled_time": "2024-11-03T01:15:00-06:00"}, sfn=client)
    assert again["started"] is False
    assert len(executions(client, arn)) == 1


def test_the_next_scheduled_time_starts_a_new_run(sfn: tuple[Any, str]) -> None:
    client, arn = sfn
    handle(dict(REALTIME_EVENT), sfn=client)
    later = handle({"schedule": "realtime", "scheduled_time": "2024-11-03T07:30:00Z"}, sfn=client)
    assert later["started"] is True
    assert sorted(e["name"] for e in executions(client, arn)) == ["realtime-20241103T0715Z", "realtime-20241103T0730Z"]


def test_without_the_pipeline_arn_nothing_starts_and_the_variable_is_named(
    sfn: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, arn = sfn
    monkeypatch.delenv("ENERGYLAKE_PIPELINE_STATE_MACHINE_ARN")
    with pytest.raises(ConfigurationError, match="ENERGYLAKE_PIPELINE_STATE_MACHINE_ARN"):
        handle(dict(REALTIME_EVENT), sfn=client)
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
        handle(event, sfn=client)
    assert executions(client, arn) == []
