"""The sample connection is offline in every way: no client-side waits, and never the shared DynamoDB budget."""

from __future__ import annotations

import datetime as dt

from energylake.sample import connection
from energylake.settings import Settings


def test_the_sample_connection_lifts_the_limits_and_ignores_the_shared_budget() -> None:
    # GIVEN a developer's shell that names the deployed stack's rate-limit table
    settings = Settings(ercot_rate_limit_table="energylake-prod-RateLimitTable-ABC")
    # WHEN the sample connection is made
    sample = connection(settings, now=dt.datetime(2024, 11, 8, 12, tzinfo=dt.UTC))
    # THEN its clients never wait on ERCOT's or Open-Meteo's budget, and never call DynamoDB
    assert sample.settings.ercot_rate_limit_table is None
    assert sample.settings.ercot_requests_per_minute >= 1e9
    assert sample.settings.open_meteo_requests_per_minute >= 1e9
