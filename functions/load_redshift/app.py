"""LoadRedshiftFunction: load a window of silver/gold tables into Redshift (COPY + MERGE, one transaction a table),
then emit each dataset's DataFreshnessMinutes metric."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.utilities.typing import LambdaContext

from energylake.lambdas import load_redshift
from energylake.warehouse.redshift.load import LoadResult

logger = Logger()
tracer = Tracer()
metrics = Metrics()
copy_config_to_registered_loggers(source_logger=logger, include={"energylake"})  # core logs as JSON too


@logger.inject_lambda_context(log_event=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, object], context: LambdaContext) -> LoadResult:
    return load_redshift.handle(event, metrics=metrics)
