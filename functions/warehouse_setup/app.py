"""WarehouseSetupFunction: CloudFormation custom resource setting up a created Redshift Serverless namespace (schema,
database roles, grants) through the Redshift Data API as its administrator."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.utilities.typing import LambdaContext

from energylake.lambdas import warehouse_setup

logger = Logger()
copy_config_to_registered_loggers(source_logger=logger, include={"energylake"})  # core logs as JSON too


@logger.inject_lambda_context(log_event=True)
def lambda_handler(event: dict[str, object], context: LambdaContext) -> dict[str, object]:
    return warehouse_setup.handle(event)
