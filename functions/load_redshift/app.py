"""LoadRedshiftFunction: load a window of silver/gold tables into Redshift through the Redshift Data API (COPY +
MERGE, one transaction a table and chunk of days), then emit each dataset's DataFreshnessMinutes metric."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.utilities.typing import LambdaContext

from energylake.lambdas._aws import tracer_patching

if TYPE_CHECKING:
    from energylake.warehouse.redshift.load import LoadResult  # the loader loads with the first event

logger = Logger()
tracer = tracer_patching("botocore")  # S3 listings and manifests, the Redshift Data API
metrics = Metrics()
copy_config_to_registered_loggers(source_logger=logger, include={"energylake"})  # core logs as JSON too


@logger.inject_lambda_context(log_event=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, object], context: LambdaContext) -> LoadResult:
    # Imported with the first event: its pydantic event model is not part of the handler's import.
    from energylake.lambdas import load_redshift

    # The load stops between chunks of days while the invocation still has time (done: false, next_start).
    return load_redshift.handle(event, metrics=metrics, time_left=lambda: context.get_remaining_time_in_millis() / 1000)
