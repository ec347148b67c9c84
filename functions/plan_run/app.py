"""PlanRunFunction: validate a pipeline or backfill execution's input and plan the run (the machines' first state)."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.utilities.typing import LambdaContext

from energylake.lambdas import plan_run
from energylake.lambdas._aws import tracer_patching
from energylake.lambdas.plan_run import BackfillPlan, RunPlan

logger = Logger()
tracer = tracer_patching()  # no library call: it only plans the run
copy_config_to_registered_loggers(source_logger=logger, include={"energylake"})  # core logs as JSON too


@logger.inject_lambda_context(log_event=True)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, object], context: LambdaContext) -> RunPlan | BackfillPlan:
    return plan_run.handle(event)
