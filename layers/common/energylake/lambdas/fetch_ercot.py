"""FetchErcotFunction: fetch one ERCOT dataset for a window of operating days into the raw zone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from energylake.contracts.datasets import ErcotDatasetName
from energylake.lambdas._shared import WindowEvent, fetch_into_lake, parse_event

if TYPE_CHECKING:
    from aws_lambda_powertools import Metrics


class FetchErcotEvent(WindowEvent):
    """``{"dataset": <an ERCOT dataset>, "start": "YYYY-MM-DD", "end": "YYYY-MM-DD"}`` (operating days, inclusive)."""

    dataset: ErcotDatasetName


def handle(event: object, metrics: Metrics) -> dict[str, object]:
    """Validate the event, fetch the dataset into the lake, return the raw keys and manifests written."""
    request = parse_event(event, FetchErcotEvent)
    return fetch_into_lake(request.dataset, request.window(), metrics)
