"""ValidateFunction's record logic: one SQS message carrying an S3 event notification -> curate the manifest it names.

The lake bucket notifies the validate queue when a group's manifest lands (``s3:ObjectCreated:*`` under ``raw/``
with suffix ``.manifest.json``, see template.yaml). Each SQS message body is an S3 event notification
(`S3 event message structure <https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html>`_),
parsed with the Powertools parser model :class:`~aws_lambda_powertools.utilities.parser.models.S3Model` (relaxed
on fields nothing reads, see :func:`notification_model`). For each manifest it names, :func:`energylake.curate.curate`
runs with ``run_id`` = the SQS message id, so a redelivered message rewrites the same bytes (curation is idempotent).

What a message can be, and what becomes of it:

- the ``s3:TestEvent`` S3 sends when the notification is configured: nothing to do (success);
- an event for a key that is not a manifest (the filter should prevent it): ignored (success);
- an event for a manifest: curated. A *data* problem (unparseable member, failed check) is quarantined and reported
  by curate, and the message succeeds: retrying cannot fix data. A storage failure (or a manifest that does not
  exist) raises, so the message is retried and, after the queue's ``maxReceiveCount``, lands in the DLQ;
- anything else (not JSON, not an S3 event, another bucket): :class:`~energylake.errors.InvalidRequestError`
  naming the message id (retried, then dead-lettered, where an operator can read it).
"""

from __future__ import annotations

import json
import logging
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from energylake.errors import InvalidRequestError
from energylake.lake.layout import is_manifest_key
from energylake.lake.storage import Storage
from energylake.lambdas._aws import lake

if TYPE_CHECKING:
    from aws_lambda_powertools import Metrics
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.parser.models.s3 import S3Model

    from energylake.curate import CurateResult


__all__ = ["handle_record", "manifest_keys", "notification_model"]

logger = logging.getLogger(__name__)

S3_TEST_EVENT = "s3:TestEvent"


@cache
def notification_model() -> type[S3Model]:
    """The model of an S3 event notification as an SQS message body carries it (``S3Notification``).

    Built on the first message, not at import: Powertools' parser models import every event source's model (~0.1 s
    of a cold start that the handler's import should not pay, see benchmarks/run.py).

    Powertools' S3 notification models, minus four requirements on fields this module never reads (the identity of
    the writer, its request and response ids, the bucket owner). S3 always sends them; emulators (moto) and hand-made
    redrives may not, and a message must not be dead-lettered for a field nobody uses.
    """
    from aws_lambda_powertools.utilities.parser.models.s3 import (
        S3Bucket,
        S3Identity,
        S3Message,
        S3Model,
        S3OwnerIdentify,
        S3RecordModel,
        S3RequestParameters,
        S3ResponseElements,
    )

    class _Bucket(S3Bucket):
        ownerIdentity: S3OwnerIdentify | None = None  # type: ignore[assignment]  # noqa: N815 (S3 field names)

    class _Message(S3Message):
        bucket: _Bucket

    class _Record(S3RecordModel):
        userIdentity: S3Identity | None = None  # type: ignore[assignment]  # noqa: N815 (S3 field names)
        requestParameters: S3RequestParameters | None = None  # type: ignore[assignment]  # noqa: N815
        responseElements: S3ResponseElements | None = None  # type: ignore[assignment]  # noqa: N815
        s3: _Message

    class S3Notification(S3Model):
        """An S3 event notification as an SQS message body carries it."""

        Records: list[_Record]  # type: ignore[assignment]

    return S3Notification


def handle_record(
    record: SQSRecord, metrics: Metrics | None = None, *, storage: Storage | None = None
) -> list[dict[str, object]]:
    """Curate every manifest the S3 notification in ``record`` names (in ``storage``, by default the configured
    lake); returns each :class:`CurateResult` as a dict.

    Raises (so the record is reported as a batch item failure and retried) on a malformed message, a manifest in
    another bucket than the lake, or a storage failure; a data problem is an outcome, not an exception.
    """
    # Imported here: curation loads pyarrow and the parsers, which a cold start should pay for only with a record.
    from energylake.curate import curate

    storage = storage if storage is not None else lake()
    results = []
    for key in manifest_keys(record, storage):
        result = curate(key, storage, run_id=record.message_id)
        logger.info(
            "curated %s: %s",
            key,
            result.status,
            extra={"message_id": record.message_id, "dataset": result.dataset, "status": result.status},
        )
        if metrics is not None:
            _emit_metrics(metrics, result)
        results.append(result.as_dict())
    return results


def manifest_keys(record: SQSRecord, storage: Storage) -> list[str]:
    """The lake keys of the manifests the S3 notification in ``record`` names (none for a test event)."""
    message_id = record.message_id
    document = _body_document(record)
    if document.get("Event") == S3_TEST_EVENT:
        logger.info("S3 test event in message %s: nothing to validate", message_id)
        return []
    location = storage.location
    location.s3_root("validating S3 events")
    keys = []
    for bucket_name, event_name, raw_key in _s3_objects(document, message_id):
        if bucket_name != location.bucket:
            raise InvalidRequestError(
                f"SQS message {message_id}: object s3://{bucket_name}/{raw_key} is not in the lake bucket "
                f"{location.bucket!r}"
            )
        object_key = unquote_plus(raw_key)  # S3 notifications URL-encode keys ("date%3D2024-11-03", "+" for spaces)
        key = location.lake_key(object_key)
        if not event_name.startswith("ObjectCreated:") or key is None:
            logger.info("message %s: ignoring %s of %s (not a new lake object)", message_id, event_name, object_key)
            continue
        if not is_manifest_key(key):
            logger.info("message %s: ignoring %s (not a raw group manifest)", message_id, key)
            continue
        keys.append(key)
    return keys


def _body_document(record: SQSRecord) -> dict[str, Any]:
    try:
        document = json.loads(record.body)
    except (TypeError, ValueError):
        raise InvalidRequestError(
            f"SQS message {record.message_id}: body is not JSON (expected an S3 event notification)"
        ) from None
    if not isinstance(document, dict):
        raise InvalidRequestError(
            f"SQS message {record.message_id}: body is a JSON {type(document).__name__}, "
            "expected an S3 event notification object"
        )
    return document


def _s3_objects(document: dict[str, Any], message_id: str) -> list[tuple[str, str, str]]:
    """(bucket, event name, URL-encoded key) of each record of an S3 event notification."""
    from pydantic import ValidationError  # with the models, on the first message (notification_model)

    try:
        event = notification_model().model_validate(document)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'body'}: {error['msg']}" for error in exc.errors()
        )
        raise InvalidRequestError(f"SQS message {message_id}: not an S3 event notification ({problems})") from None
    except (AttributeError, TypeError):
        # Powertools' S3RecordModel pre-validator reads nested dicts before pydantic checks their types.
        raise InvalidRequestError(f"SQS message {message_id}: not an S3 event notification") from None
    objects = []
    for s3_record in event.Records:
        s3_object = s3_record.s3.object or s3_record.s3.get_object
        if s3_object is None:
            raise InvalidRequestError(f"SQS message {message_id}: S3 event {s3_record.eventName} names no object")
        objects.append((s3_record.s3.bucket.name, s3_record.eventName, s3_object.key))
    return objects


def _emit_metrics(metrics: Metrics, result: CurateResult) -> None:
    """One EMF blob per curated group, with the dataset as its dimension. ``Objects*`` count raw groups (one manifest
    each) by outcome; ``Rows*`` are the group's rows in, kept in silver, and rejected to quarantine.

    Records of one batch may be of different datasets, and a Metrics object holds one dimension set until it is
    flushed: flushing per record keeps each figure under its own dataset (the handler's ``log_metrics`` flushes
    whatever remains, e.g. the cold start).
    """
    from aws_lambda_powertools.metrics import MetricUnit

    metrics.add_dimension(name="dataset", value=result.dataset)
    metrics.add_metric(name="ObjectsCurated", unit=MetricUnit.Count, value=int(result.status == "passed"))
    metrics.add_metric(name="ObjectsQuarantined", unit=MetricUnit.Count, value=int(result.status == "failed"))
    metrics.add_metric(name="ObjectsSkipped", unit=MetricUnit.Count, value=int(result.status == "skipped"))
    metrics.add_metric(name="RowsIn", unit=MetricUnit.Count, value=result.rows_in)
    metrics.add_metric(name="RowsOut", unit=MetricUnit.Count, value=result.rows_out)
    metrics.add_metric(name="RowsRejected", unit=MetricUnit.Count, value=result.rows_rejected)
    metrics.flush_metrics()
