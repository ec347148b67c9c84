"""Settings: one typed object from ENERGYLAKE_* variables; secrets never show."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from energylake.errors import ConfigurationError
from energylake.settings import Settings, ercot_credentials, get_settings, require_ercot_credentials


def test_every_endpoint_has_its_public_default_and_can_be_overridden(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().ercot_api_url == "https://api.ercot.com/api/public-reports"
    assert Settings().open_meteo_archive_url == "https://archive-api.open-meteo.com/v1/archive"
    monkeypatch.setenv("ENERGYLAKE_ERCOT_API_URL", "http://127.0.0.1:9999/api/")
    monkeypatch.setenv("ENERGYLAKE_OPEN_METEO_FORECAST_URL", "http://127.0.0.1:9999/v1/forecast")
    settings = Settings()
    assert settings.ercot_api_url == "http://127.0.0.1:9999/api"
    assert settings.open_meteo_forecast_url == "http://127.0.0.1:9999/v1/forecast"


def test_settings_are_resolved_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    first = get_settings()
    monkeypatch.setenv("ENERGYLAKE_LAKE_URI", "s3://elsewhere")
    assert get_settings() is first


def test_a_non_http_endpoint_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENERGYLAKE_ERCOT_TOKEN_URL", "ftp://example")
    with pytest.raises(ValueError, match="ercot_token_url"):
        Settings()


def test_secrets_never_appear_in_reprs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENERGYLAKE_ERCOT_USERNAME", "alice")
    monkeypatch.setenv("ENERGYLAKE_ERCOT_PASSWORD", "hunter2-password")
    monkeypatch.setenv("ENERGYLAKE_ERCOT_SUBSCRIPTION_KEY", "sub-key-123456")
    settings = Settings()
    credentials = require_ercot_credentials(settings)
    for text in (repr(settings), str(settings), repr(credentials), settings.model_dump_json()):
        assert "hunter2-password" not in text
        assert "sub-key-123456" not in text
    assert credentials.password.get_secret_value() == "hunter2-password"


def test_absent_credentials_mean_no_api_and_required_ones_name_the_variables() -> None:
    assert ercot_credentials(Settings()) is None
    with pytest.raises(ConfigurationError) as caught:
        require_ercot_credentials(Settings())
    for name in ("ENERGYLAKE_ERCOT_USERNAME", "ENERGYLAKE_ERCOT_PASSWORD", "ENERGYLAKE_ERCOT_SUBSCRIPTION_KEY"):
        assert name in str(caught.value)


def test_incomplete_credentials_name_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENERGYLAKE_ERCOT_USERNAME", "alice")
    monkeypatch.setenv("ENERGYLAKE_ERCOT_PASSWORD", "hunter2-password")
    with pytest.raises(ConfigurationError, match="ENERGYLAKE_ERCOT_SUBSCRIPTION_KEY") as caught:
        ercot_credentials(Settings())
    assert "hunter2" not in str(caught.value)


@mock_aws
def test_credentials_come_from_secrets_manager_on_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = {"username": "bob", "password": "s3cret-pw", "subscription_key": "k-789"}
    arn = boto3.client("secretsmanager").create_secret(Name="ercot", SecretString=json.dumps(secret))["ARN"]
    monkeypatch.setenv("ENERGYLAKE_ERCOT_SECRET_ARN", arn)
    credentials = require_ercot_credentials(Settings())
    assert credentials.username == "bob"
    assert credentials.subscription_key.get_secret_value() == "k-789"


@mock_aws
@pytest.mark.parametrize("secret_string", ["not json", json.dumps({"username": "bob", "password": "pw-xyz"})])
def test_a_malformed_secret_is_a_clear_error_that_hides_its_content(
    monkeypatch: pytest.MonkeyPatch, secret_string: str
) -> None:
    arn = boto3.client("secretsmanager").create_secret(Name="bad", SecretString=secret_string)["ARN"]
    monkeypatch.setenv("ENERGYLAKE_ERCOT_SECRET_ARN", arn)
    with pytest.raises(ConfigurationError, match="must be a JSON object with keys") as caught:
        require_ercot_credentials(Settings())
    assert "pw-xyz" not in str(caught.value)


@mock_aws
def test_a_missing_secret_names_the_arn(monkeypatch: pytest.MonkeyPatch) -> None:
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:absent-AbCdEf"
    monkeypatch.setenv("ENERGYLAKE_ERCOT_SECRET_ARN", arn)
    with pytest.raises(ConfigurationError, match="absent-AbCdEf"):
        require_ercot_credentials(Settings())
