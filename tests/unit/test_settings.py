"""Settings: one typed object holds every ENERGYLAKE_* variable, a bad value names its variable, secrets never show."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from energylake.errors import ConfigurationError
from energylake.settings import Settings, ercot_credentials, get_settings, load_settings, require_ercot_credentials


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


def test_one_settings_object_holds_every_variable_of_every_door(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the variables the state machines' functions, the Glue trigger and the Redshift load read
    monkeypatch.setenv("ENERGYLAKE_GATE_MAX_POLLS", "7")
    monkeypatch.setenv("ENERGYLAKE_BACKFILL_CHUNK_DAYS", "3")
    monkeypatch.setenv("ENERGYLAKE_GLUE_JOB_NAME", "energylake-gold")
    monkeypatch.setenv("ENERGYLAKE_REDSHIFT_MODE", "serverless")
    monkeypatch.setenv("ENERGYLAKE_REDSHIFT_WORKGROUP", "wg")
    monkeypatch.setenv("ENERGYLAKE_REDSHIFT_COPY_ROLE_ARN", "arn:aws:iam::123456789012:role/copy")
    # WHEN the settings are resolved THEN the one Settings object carries them all
    settings = get_settings()
    assert (settings.gate_max_polls, settings.backfill_chunk_days) == (7, 3)
    assert settings.require_glue_job_name() == "energylake-gold"
    assert settings.require_copy_role() == "arn:aws:iam::123456789012:role/copy"
    assert (settings.redshift_workgroup, settings.redshift_region_name()) == ("wg", "us-east-1")
    assert (settings.redshift_load_chunk_days, settings.redshift_reader_role) == (7, "energylake_reader")


def test_the_defaults_work_locally_and_what_is_missing_names_its_variable() -> None:
    # GIVEN no ENERGYLAKE_* variable THEN no Glue job, no pipeline, no warehouse: each refusal names what to set
    defaults = load_settings()
    assert (defaults.gate_poll_seconds, defaults.redshift_mode, defaults.spark_master) == (30, "none", "local[*]")
    with pytest.raises(ConfigurationError, match="ENERGYLAKE_GLUE_JOB_NAME"):
        defaults.require_glue_job_name()
    with pytest.raises(ConfigurationError, match="ENERGYLAKE_PIPELINE_STATE_MACHINE_ARN"):
        defaults.require_pipeline_state_machine_arn()
    with pytest.raises(ConfigurationError, match="ENERGYLAKE_REDSHIFT_MODE"):
        defaults.require_copy_role()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("ENERGYLAKE_GATE_MAX_POLLS", "0", "invalid setting ENERGYLAKE_GATE_MAX_POLLS: "),
        ("ENERGYLAKE_BACKFILL_CHUNK_DAYS", "many", "invalid setting ENERGYLAKE_BACKFILL_CHUNK_DAYS: "),
        ("ENERGYLAKE_REDSHIFT_SCHEMA_NAME", "Bad-Name", "invalid setting ENERGYLAKE_REDSHIFT_SCHEMA_NAME: must be"),
        ("ENERGYLAKE_ERCOT_WEB_URL", "ftp://example", "invalid setting ENERGYLAKE_ERCOT_WEB_URL: must be an http"),
        (
            "ENERGYLAKE_REDSHIFT_MODE",
            "provisioned",
            "needs ENERGYLAKE_REDSHIFT_CLUSTER_ID, ENERGYLAKE_REDSHIFT_DB_USER",
        ),
    ],
)
def test_a_bad_value_is_a_configuration_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=message):
        get_settings()
    with pytest.raises(ConfigurationError, match=message):
        load_settings()


def test_overrides_win_over_the_environment_and_are_validated_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENERGYLAKE_GLUE_MAX_POLLS", "5")
    assert load_settings().glue_max_polls == 5
    assert load_settings(glue_max_polls=9).glue_max_polls == 9
    with pytest.raises(ConfigurationError, match="invalid setting ENERGYLAKE_GLUE_MAX_POLLS: "):
        load_settings(glue_max_polls=0)
