"""Shared fixtures. No test may reach the network: any connection to a non-loopback address fails loudly."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
REALDATA = REPO_ROOT.parent / "shared" / "realdata"

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


class NetworkAccessError(RuntimeError):
    """Raised when a test tries to leave this machine."""


def _check_address(address: Any) -> None:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        if host in {"localhost"}:
            return
        try:
            if ipaddress.ip_address(host).is_loopback:
                return
        except ValueError:
            pass
        raise NetworkAccessError(f"test tried to reach the network: {address!r} (tests are offline)")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check_address(address)
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check_address(address)
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if host not in (None, "localhost") and not str(host).startswith(("127.", "::1")):
        try:
            ipaddress.ip_address(str(host))
        except ValueError:
            raise NetworkAccessError(f"test tried to resolve {host!r} (tests are offline)") from None
    return _real_getaddrinfo(host, *args, **kwargs)


_real_getaddrinfo = socket.getaddrinfo


@pytest.fixture(autouse=True, scope="session")
def _no_network() -> Iterator[None]:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _guarded_getaddrinfo
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _real_getaddrinfo


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


def realdata_path(*parts: str) -> Path:
    """A path under ../shared/realdata, or skip the test with the reason when that folder is absent."""
    path = REALDATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not available: {path} is absent (../shared/realdata is only on project machines)")
    return path
