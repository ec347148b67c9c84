"""PublishGlueArtifactsFunction: CloudFormation custom resource publishing the Glue job's script and package."""

from __future__ import annotations

from pathlib import Path

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.utilities.typing import LambdaContext

import energylake
from energylake.lake.layout import LakeUri
from energylake.lambdas import publish_glue_artifacts
from energylake.lambdas._aws import lake
from energylake.settings import get_settings

logger = Logger()
copy_config_to_registered_loggers(source_logger=logger, include={"energylake"})  # core logs as JSON too

# sam build copies the link's target (glue/build_gold.py) into the function; the package is the layer's.
SCRIPT = Path(__file__).resolve().parent / "build_gold.py"
PACKAGE_DIR = Path(energylake.__file__).resolve().parent


@logger.inject_lambda_context(log_event=True)
def lambda_handler(event: dict[str, object], context: LambdaContext) -> dict[str, object]:
    return publish_glue_artifacts.handle(
        event,
        package_dir=PACKAGE_DIR,
        script=SCRIPT,
        storage=lake(),
        lake=LakeUri.parse(get_settings().lake_uri),
    )
