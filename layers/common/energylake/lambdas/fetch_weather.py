"""FetchWeatherFunction: fetch Open-Meteo weather for every ERCOT weather zone over a window into the raw zone."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from energylake.lambdas._shared import WindowEvent, fetch_into_lake, parse_event

if TYPE_CHECKING:
    from aws_lambda_powertools import Metrics


class FetchWeatherEvent(WindowEvent):
    """``{"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"}`` (operating days, inclusive); ``dataset`` may say weather."""

    dataset: Literal["weather"] = "weather"


def handle(event: object, metrics: Metrics) -> dict[str, object]:
    """Validate the event, fetch the weather into the lake, return the raw keys and manifests written."""
    request = parse_event(event, FetchWeatherEvent)
    return fetch_into_lake(request.dataset, request.window(), metrics)
