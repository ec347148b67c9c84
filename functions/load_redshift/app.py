"""LoadRedshiftFunction: load a window of silver/gold tables into Redshift (COPY + MERGE, one transaction a table),
then emit each dataset's DataFreshnessMinutes metric."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.utilities.typing import LambdaContext

from energylake.lambdas import load_redshift
from energylake.lambdas._shared import tracer_patching
from energylake.warehouse.redshift.load import LoadResult

logger = Logger()
tracer = tracer_patching("botocore")  # S3, and AWS calls for Redshift (X-Ray cannot patch its driver)
metrics = Metrics()
copy_config_to_registered_loggers(source_logger=logger, include={"energylake"})  # core logs as JSON too


@logger.inject_lambda_context(log_event=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, object], context: LambdaContext) -> LoadResult:
    return load_redshift.handle(event, metrics=metrics)
