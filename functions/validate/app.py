"""ValidateFunction: curate the raw groups whose manifests the lake's S3 notifications put on the validate queue."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.utilities.typing import LambdaContext

from energylake.lambdas import validate
from energylake.lambdas._aws import tracer_patching

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch import BatchProcessor
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

logger = Logger()
tracer = tracer_patching("botocore")  # S3 (the lake)
metrics = Metrics()
copy_config_to_registered_loggers(source_logger=logger, include={"energylake"})  # core logs as JSON too


@cache
def batch_processor() -> BatchProcessor:
    """Partial batch failure: a bad record is reported alone (batchItemFailures) and never fails its neighbours. A
    batch whose records all fail is reported the same way rather than raised: the outcome for SQS is identical (every
    message is retried), and the reply says which messages failed. Built with the first batch: Powertools' batch
    utility (~50 ms) is not part of the handler's import."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType

    return BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@tracer.capture_method
def record_handler(record: SQSRecord) -> list[dict[str, object]]:
    return validate.handle_record(record, metrics)


@logger.inject_lambda_context(log_event=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, object], context: LambdaContext) -> PartialItemFailureResponse:
    from aws_lambda_powertools.utilities.batch import process_partial_response

    return process_partial_response(
        event=event, record_handler=record_handler, processor=batch_processor(), context=context
    )
