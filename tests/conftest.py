"""Shared fixtures. No test may reach the network: any connection to a non-loopback address fails loudly."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.network import offline


@pytest.fixture(autouse=True, scope="session")
def _no_network() -> Iterator[None]:
    with offline():
        yield


@pytest.fixture(autouse=True)
def _clean_energylake_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts from default settings and fake AWS credentials (moto), whatever the shell has."""

    for name in list(os.environ):
        if name.startswith("ENERGYLAKE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "energylake-test")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "energylake-test")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
    from energylake.settings import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
