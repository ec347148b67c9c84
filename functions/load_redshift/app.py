"""LoadRedshiftFunction: load a window of silver/gold tables into Redshift (COPY + MERGE, one transaction a table)."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.utilities.typing import LambdaContext

from energylake.redshift_loader import LoadResult, handle_load_redshift

logger = Logger()
tracer = Tracer()
copy_config_to_registered_loggers(source_logger=logger, include={"energylake"})  # core logs as JSON too


@logger.inject_lambda_context(log_event=True)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, object], context: LambdaContext) -> LoadResult:
    return handle_load_redshift(event)
