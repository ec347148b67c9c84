"""StartRunFunction: the schedules' target; starts the pipeline under a name made from the scheduled time.

Each scheduled execution is named after its schedule and scheduled minute (``realtime-20241103T0715Z``), so a
duplicated trigger finds the execution already there and starts nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any, TypedDict

from pydantic import AwareDatetime, BaseModel, ConfigDict

from energylake.lambdas._aws import aws_client
from energylake.lambdas._shared import Schedule, parse_event

__all__ = ["ScheduledRunEvent", "StartedRun", "execution_name", "handle", "sfn_client"]

logger = logging.getLogger(__name__)


class ScheduledRunEvent(BaseModel):
    """StartRunFunction's event, as the schedules in template.yaml send it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schedule: Schedule
    scheduled_time: AwareDatetime


def execution_name(schedule: str, scheduled_time: dt.datetime) -> str:
    """``realtime-20241103T0715Z``: one name per schedule and scheduled minute (names are unique per machine)."""
    return f"{schedule}-{scheduled_time.astimezone(dt.UTC):%Y%m%dT%H%MZ}"


class StartedRun(TypedDict):
    execution_name: str
    execution_arn: str | None
    started: bool  # False: an execution of that name already existed (a duplicated trigger)


def handle(event: object, *, sfn: Any | None = None, state_machine_arn: str | None = None) -> StartedRun:
    """StartRunFunction's body: start the pipeline for the schedule's window under a deterministic name."""
    from energylake.settings import get_settings  # pydantic-settings loads with the first event, not at import

    request = parse_event(event, ScheduledRunEvent)
    arn = state_machine_arn or get_settings().require_pipeline_state_machine_arn()
    client = sfn if sfn is not None else sfn_client()
    name = execution_name(request.schedule, request.scheduled_time)
    execution_input = json.dumps(
        {
            "schedule": request.schedule,
            "scheduled_time": request.scheduled_time.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    )
    # Step Functions answers a repeated StartExecution of a RUNNING execution (same name and input) with that
    # execution, so look first: any execution of this name means the trigger is a duplicate.
    existing_arn = f"{arn.replace(':stateMachine:', ':execution:', 1)}:{name}"
    try:
        client.describe_execution(executionArn=existing_arn)
    except client.exceptions.ExecutionDoesNotExist:
        pass
    else:
        logger.info("execution %s already exists: a duplicated trigger, nothing started", name)
        return StartedRun(execution_name=name, execution_arn=existing_arn, started=False)
    try:
        started = client.start_execution(stateMachineArn=arn, name=name, input=execution_input)
    except client.exceptions.ExecutionAlreadyExists:  # a concurrent duplicate won the race
        logger.info("execution %s already exists: a duplicated trigger, nothing started", name)
        return StartedRun(execution_name=name, execution_arn=existing_arn, started=False)
    return StartedRun(execution_name=name, execution_arn=str(started["executionArn"]), started=True)


def sfn_client() -> Any:
    """The Step Functions client (one per warm Lambda)."""
    return aws_client("stepfunctions")
