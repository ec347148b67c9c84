"""FetchWeatherFunction: fetch Open-Meteo weather for every ERCOT weather zone over a window into the raw zone."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.utilities.typing import LambdaContext

from energylake.lambdas._aws import tracer_patching

logger = Logger()
tracer = tracer_patching("botocore", "httpx")  # S3 (the lake), Open-Meteo's API
metrics = Metrics()
copy_config_to_registered_loggers(source_logger=logger, include={"energylake"})  # core logs as JSON too


@logger.inject_lambda_context(log_event=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, object], context: LambdaContext) -> dict[str, object]:
    # Imported with the first event: its pydantic event model (~45 ms) is not part of the handler's import.
    from energylake.lambdas import fetch_weather

    return fetch_weather.handle(event, metrics)
