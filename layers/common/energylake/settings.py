"""One typed settings object for every runtime, read from ``ENERGYLAKE_*`` variables once per process.

Secrets are ``SecretStr``: they never print in logs, reprs or exceptions. On AWS the ERCOT credentials live in
a Secrets Manager secret named by ``ENERGYLAKE_ERCOT_SECRET_ARN`` and are read with Powertools parameters
(cached across invocations of a warm Lambda).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import Field, SecretStr, field_validator
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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, resolved once (per Lambda cold start)."""
    return Settings()


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
