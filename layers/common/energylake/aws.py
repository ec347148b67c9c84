"""The shared body of the Lambda doors: parse the event, call a stage, emit metrics, shape the reply.

Handlers in ``functions/`` only create Powertools Logger/Tracer/Metrics and call into here.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from energylake.events import FetchErcotEvent, FetchWeatherEvent, parse_event
from energylake.settings import get_settings
from energylake.stages import fetch, live_connection
from energylake.storage import Storage, open_storage

if TYPE_CHECKING:
    from aws_lambda_powertools import Metrics


@lru_cache(maxsize=4)
def _lake(uri: str) -> Storage:
    # One storage (and its boto3 client) per warm Lambda.
    return open_storage(uri)


def lake_storage() -> Storage:
    """The configured lake (``ENERGYLAKE_LAKE_URI``), one per warm Lambda."""
    return _lake(get_settings().lake_uri)


def handle_fetch(
    event: object, model: type[FetchErcotEvent] | type[FetchWeatherEvent], metrics: Metrics
) -> dict[str, object]:
    """Fetch one dataset over the event's window into the lake; returns the raw keys written."""
    from aws_lambda_powertools.metrics import MetricUnit

    request = parse_event(event, model)
    settings = get_settings()
    result = fetch(request.dataset, request.window(), lake_storage(), live_connection(settings))
    metrics.add_dimension(name="dataset", value=result.dataset)
    metrics.add_metric(name="Requests", unit=MetricUnit.Count, value=result.stats.requests)
    metrics.add_metric(name="Retries", unit=MetricUnit.Count, value=result.stats.retries)
    metrics.add_metric(name="Throttled", unit=MetricUnit.Count, value=result.stats.throttled)
    metrics.add_metric(name="BytesReceived", unit=MetricUnit.Bytes, value=result.stats.bytes_received)
    metrics.add_metric(name="Rows", unit=MetricUnit.Count, value=result.stats.rows)
    metrics.add_metric(name="ObjectsWritten", unit=MetricUnit.Count, value=result.written)
    return result.as_dict()
