"""Every ``ENERGYLAKE_*`` variable, in one typed settings object read once per process (per Lambda cold start).

:func:`get_settings` is the one loader: a bad value is a :class:`~energylake.errors.ConfigurationError` naming the
variable (``invalid setting ENERGYLAKE_GATE_MAX_POLLS: ...``). Every variable has a default that works locally; on
AWS the template sets the ones each function needs. The README's configuration table documents every field here
(a test checks it).

Secrets are ``SecretStr``: they never print in logs, reprs or exceptions. On AWS the ERCOT credentials live in
a Secrets Manager secret named by ``ENERGYLAKE_ERCOT_SECRET_ARN`` and are read with Powertools parameters
(cached across invocations of a warm Lambda).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from energylake.errors import ConfigurationError

SECRET_CACHE_SECONDS = 300


class Settings(BaseSettings):
    """Everything energylake reads from its environment. Each external endpoint has its public default."""

    model_config = SettingsConfigDict(env_prefix="ENERGYLAKE_", extra="ignore", frozen=True)

    lake_uri: str = Field("./lake", description="Where the lake lives: a folder path or s3://bucket/prefix.")

    ercot_api_url: str = Field(
        "https://api.ercot.com/api/public-reports", description="ERCOT Public Reports API base URL."
    )
    ercot_token_url: str = Field(
        "https://ercotb2c.b2clogin.com/ercotb2c.onmicrosoft.com/B2C_1_PUBAPI-ROPC-FLOW/oauth2/v2.0/token",
        description="ERCOT B2C token endpoint (resource-owner password flow).",
    )
    ercot_web_url: str = Field(
        "https://www.ercot.com", description="www.ercot.com: MIS document listings, downloads and dashboards."
    )
    ercot_client_id: str = Field(
        "fec253ea-0d06-4272-a5e6-b478baeecd70", description="Public client id of ERCOT's B2C application."
    )
    ercot_username: str | None = Field(None, description="ERCOT API portal user name (local runs).")
    ercot_password: SecretStr | None = Field(None, description="ERCOT API portal password (local runs).")
    ercot_subscription_key: SecretStr | None = Field(None, description="ERCOT API subscription key (local runs).")
    ercot_secret_arn: str | None = Field(
        None, description="Secrets Manager secret holding username, password, subscription_key (AWS)."
    )
    ercot_requests_per_minute: float = Field(
        30.0, gt=0, description="Client-side limit: ERCOT allows 30 requests per minute per key."
    )
    ercot_page_size: int = Field(100_000, gt=0, le=1_000_000, description="Rows per API page.")
    ercot_rate_limit_table: str | None = Field(
        None,
        description="DynamoDB table holding the request budget every ERCOT caller shares (AWS); unset: in-process.",
    )

    open_meteo_forecast_url: str = Field("https://api.open-meteo.com/v1/forecast")
    open_meteo_archive_url: str = Field("https://archive-api.open-meteo.com/v1/archive")
    open_meteo_historical_forecast_url: str = Field("https://historical-forecast-api.open-meteo.com/v1/forecast")
    open_meteo_archive_delay_days: int = Field(
        5, ge=0, description="ERA5 archive lags about 5 days; newer past days come from historical forecasts."
    )
    open_meteo_max_days_per_call: int = Field(
        14, gt=0, description="Open-Meteo counts more than 2 weeks as several calls: split longer windows."
    )
    open_meteo_requests_per_minute: float = Field(600.0, gt=0)
    open_meteo_api_key: SecretStr | None = Field(None, description="Commercial Open-Meteo key, if any.")

    http_connect_timeout_s: float = Field(10.0, gt=0)
    http_read_timeout_s: float = Field(60.0, gt=0)
    http_max_attempts: int = Field(5, ge=1, description="Attempts per request, first one included.")
    http_backoff_base_s: float = Field(1.0, ge=0)
    http_backoff_max_s: float = Field(60.0, ge=0)

    # --- the state machines (PlanRunFunction, QualityGateFunction, StartRunFunction) ----------------------------------
    gate_poll_seconds: int = Field(30, ge=1, le=3600, description="Wait between quality-gate checks.")
    gate_max_polls: int = Field(40, ge=1, le=1000, description="Quality-gate checks before the run gives up.")
    glue_poll_seconds: int = Field(60, ge=1, le=3600, description="Wait between glue:getJobRun polls.")
    glue_max_polls: int = Field(120, ge=1, le=1000, description="Glue polls before the run gives up.")
    backfill_chunk_days: int = Field(7, ge=1, le=31, description="Operating days per backfill chunk.")
    backfill_max_concurrency: int = Field(
        1,
        ge=1,
        le=40,
        description="Chunks in flight at once. ERCOT allows 30 requests/minute per key and every ERCOT fetch shares "
        "one request budget, so more chunks only queue for it; weather and curation overlap.",
    )
    backfill_tolerated_failure_percent: float = Field(
        10, ge=0, le=100, description="Failed chunks a backfill tolerates before it fails, in percent."
    )
    pipeline_state_machine_arn: str | None = Field(
        None, description="The pipeline state machine StartRunFunction starts."
    )

    # --- gold (BuildGoldFunction, TriggerGlueFunction; local Spark) -----------------------------------------------
    glue_job_name: str | None = Field(None, description="Name of the gold Glue job (template.yaml BuildGoldJob).")
    gold_lambda_max_days: int = Field(
        2,
        ge=1,
        le=31,
        description="Longest window, in operating days, BuildGoldFunction builds; the Glue job builds longer ones.",
    )
    spark_master: str = Field("local[*]", description="Spark master for local gold builds.")

    # --- the Redshift warehouse (LoadRedshiftFunction, through the Redshift Data API) ------------------------------
    # Authentication is IAM only (temporary database credentials, no password): Serverless through
    # redshift-serverless:GetCredentials on the workgroup (the function's role signs in as IAMR:<role name>),
    # provisioned through redshift:GetClusterCredentials for the database user.
    redshift_mode: Literal["serverless", "provisioned", "none"] = Field(
        "none", description="serverless (workgroup), provisioned (cluster id + db user), or none (no warehouse)."
    )
    redshift_workgroup: str | None = Field(None, description="Redshift Serverless workgroup name (mode serverless).")
    redshift_cluster_id: str | None = Field(None, description="Provisioned cluster identifier (mode provisioned).")
    redshift_db_user: str | None = Field(None, description="Database user for GetClusterCredentials (provisioned).")
    redshift_database: str = Field("dev", description="Database the statements run in.")
    redshift_copy_role_arn: str | None = Field(
        None, description="IAM role Redshift assumes to read the lake in COPY (attached to the namespace/cluster)."
    )
    redshift_schema_name: str = Field("energylake", description="Warehouse schema.")
    redshift_reader_role: str = Field(
        "energylake_reader",
        description="Database role the loader grants SELECT on every table and view it creates; empty: none.",
    )
    redshift_region: str | None = Field(None, description="AWS region of the warehouse; default AWS_REGION.")
    redshift_load_chunk_days: int = Field(
        7, ge=1, le=366, description="Operating days per COPY + MERGE of a table (one transaction each)."
    )
    redshift_max_attempts: int = Field(
        4, ge=1, le=10, description="Tries of a batch on a serialization conflict, and of a throttled API call."
    )

    @field_validator(
        "ercot_api_url",
        "ercot_token_url",
        "ercot_web_url",
        "open_meteo_forecast_url",
        "open_meteo_archive_url",
        "open_meteo_historical_forecast_url",
    )
    @classmethod
    def _strip_trailing_slash(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"must be an http(s) URL, got {url!r}")
        return url.rstrip("/")

    @field_validator("redshift_schema_name", "redshift_reader_role")
    @classmethod
    def _identifier(cls, value: str, info: ValidationInfo) -> str:
        if value == "" and info.field_name == "redshift_reader_role":
            return value  # no reader role: the loader grants nothing
        if not value.replace("_", "a").isalnum() or not value[:1].isalpha() or value.lower() != value:
            raise ValueError(f"must be a lower-case SQL identifier (letters, digits, _), got {value!r}")
        return value

    @model_validator(mode="after")
    def _redshift_mode_has_its_fields(self) -> Settings:
        required = {
            "serverless": (("ENERGYLAKE_REDSHIFT_WORKGROUP", self.redshift_workgroup),),
            "provisioned": (
                ("ENERGYLAKE_REDSHIFT_CLUSTER_ID", self.redshift_cluster_id),
                ("ENERGYLAKE_REDSHIFT_DB_USER", self.redshift_db_user),
            ),
        }.get(self.redshift_mode, ())
        missing = [name for name, value in required if not value]
        if missing:
            raise ValueError(f"ENERGYLAKE_REDSHIFT_MODE {self.redshift_mode} needs {', '.join(missing)}")
        return self

    # --- what a function needs, or an error naming the variable to set ---------------------------------------------

    def require_glue_job_name(self) -> str:
        if not self.glue_job_name:
            raise ConfigurationError("the gold Glue job is not configured: set ENERGYLAKE_GLUE_JOB_NAME")
        return self.glue_job_name

    def require_pipeline_state_machine_arn(self) -> str:
        if not self.pipeline_state_machine_arn:
            raise ConfigurationError("the pipeline is not configured: set ENERGYLAKE_PIPELINE_STATE_MACHINE_ARN")
        return self.pipeline_state_machine_arn

    def require_copy_role(self) -> str:
        if self.redshift_mode == "none":
            raise ConfigurationError("no warehouse is configured: ENERGYLAKE_REDSHIFT_MODE is 'none'")
        if not self.redshift_copy_role_arn:
            raise ConfigurationError("COPY needs a role: set ENERGYLAKE_REDSHIFT_COPY_ROLE_ARN")
        return self.redshift_copy_role_arn

    def redshift_region_name(self) -> str | None:
        """The region the Data API is called in: ENERGYLAKE_REDSHIFT_REGION, else the function's own."""
        return self.redshift_region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")


def load_settings(**overrides: Any) -> Settings:
    """Read the settings from the environment (``overrides`` win); a bad value names its variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigurationError(f"invalid setting {describe_validation_error(exc)}") from None


def describe_validation_error(exc: ValidationError) -> str:
    """``ENERGYLAKE_<FIELD>: <message>`` for each problem, joined by ``; `` (a model-level problem names itself)."""
    problems = []
    for error in exc.errors():
        location = "_".join(str(part) for part in error["loc"]).upper()
        message = str(error["msg"]).removeprefix("Value error, ")
        problems.append(f"ENERGYLAKE_{location}: {message}" if location else message)
    return "; ".join(problems)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, resolved once (per Lambda cold start); a bad value names its variable."""
    return load_settings()


@dataclass(frozen=True)
class ErcotCredentials:
    """What the ERCOT API needs. The repr hides the secrets."""

    username: str
    password: SecretStr
    subscription_key: SecretStr


_CREDENTIAL_VARS = "ENERGYLAKE_ERCOT_USERNAME, ENERGYLAKE_ERCOT_PASSWORD, ENERGYLAKE_ERCOT_SUBSCRIPTION_KEY"


def ercot_credentials(settings: Settings) -> ErcotCredentials | None:
    """The ERCOT credentials from Secrets Manager (when an ARN is set) or the environment; None when absent.

    A half-configured set (some variables but not all) is an error: it is almost always a typo.
    """
    if settings.ercot_secret_arn:
        return _credentials_from_secret(settings.ercot_secret_arn)
    present = {
        "ENERGYLAKE_ERCOT_USERNAME": settings.ercot_username,
        "ENERGYLAKE_ERCOT_PASSWORD": settings.ercot_password,
        "ENERGYLAKE_ERCOT_SUBSCRIPTION_KEY": settings.ercot_subscription_key,
    }
    if all(value is None for value in present.values()):
        return None
    missing = [name for name, value in present.items() if not value]
    if missing:
        raise ConfigurationError(
            f"ERCOT credentials are incomplete: set {', '.join(missing)} (all of {_CREDENTIAL_VARS} are needed)"
        )
    assert settings.ercot_username
    assert settings.ercot_password
    assert settings.ercot_subscription_key
    return ErcotCredentials(settings.ercot_username, settings.ercot_password, settings.ercot_subscription_key)


def require_ercot_credentials(settings: Settings) -> ErcotCredentials:
    """Like :func:`ercot_credentials` but an absent set is an error naming the variables to set."""
    credentials = ercot_credentials(settings)
    if credentials is None:
        raise ConfigurationError(
            f"ERCOT API credentials are not configured: set {_CREDENTIAL_VARS}, or ENERGYLAKE_ERCOT_SECRET_ARN on AWS"
        )
    return credentials


def _credentials_from_secret(secret_arn: str) -> ErcotCredentials:
    # Imported here: parameters pulls in boto3, which local runs without a secret never need.
    from aws_lambda_powertools.utilities import parameters

    try:
        raw: Any = parameters.get_secret(secret_arn, max_age=SECRET_CACHE_SECONDS)
    except Exception as exc:  # Powertools wraps every AWS failure in GetParameterError
        raise ConfigurationError(
            f"cannot read ERCOT credentials from secret {secret_arn}: {type(exc).__name__}"
        ) from None
    try:
        document = json.loads(raw) if isinstance(raw, str | bytes) else raw
        return ErcotCredentials(
            username=str(document["username"]),
            password=SecretStr(str(document["password"])),
            subscription_key=SecretStr(str(document["subscription_key"])),
        )
    except (ValueError, KeyError, TypeError) as exc:
        # Never echo the secret's content: name only what is wrong with its shape.
        reason = f"missing key {exc}" if isinstance(exc, KeyError) else "not a JSON object"
        raise ConfigurationError(
            f"secret {secret_arn} must be a JSON object with keys username, password, subscription_key ({reason})"
        ) from None
