"""QualityGateFunction: has every group the run landed been curated, and did all pass? (the machines poll it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.utilities.typing import LambdaContext

from energylake.lambdas._aws import tracer_patching

if TYPE_CHECKING:
    from energylake.lambdas.quality_gate import GateResult

logger = Logger()
tracer = tracer_patching("botocore")  # S3 (the lake's manifests and quality reports)
copy_config_to_registered_loggers(source_logger=logger, include={"energylake"})  # core logs as JSON too


@logger.inject_lambda_context(log_event=True)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, object], context: LambdaContext) -> GateResult:
    # Imported with the first event: its pydantic models (~45 ms) are not part of the handler's import.
    from energylake.lambdas import quality_gate

    return quality_gate.handle(event)
