"""StartRunFunction: the schedules' target; starts the pipeline under a name made from the scheduled time."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.utilities.typing import LambdaContext

from energylake.lambdas._aws import tracer_patching

if TYPE_CHECKING:
    from energylake.lambdas.start_run import StartedRun

logger = Logger()
tracer = tracer_patching("botocore")  # Step Functions
copy_config_to_registered_loggers(source_logger=logger, include={"energylake"})  # core logs as JSON too


@logger.inject_lambda_context(log_event=True)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, object], context: LambdaContext) -> StartedRun:
    # Imported with the first event: its pydantic event model is not part of the handler's import.
    from energylake.lambdas import start_run

    return start_run.handle(event)
