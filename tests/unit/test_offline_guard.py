"""The suite is offline by construction: a test that tries to leave the machine fails loudly."""

from __future__ import annotations

import socket

import httpx
import pytest

from tests.support.network import NetworkAccessError


def test_connecting_to_a_public_address_fails_loudly() -> None:
    with socket.socket() as sock, pytest.raises(NetworkAccessError, match="tests are offline"):
        sock.connect(("203.0.113.10", 443))


def test_resolving_a_public_host_fails_loudly() -> None:
    with pytest.raises(NetworkAccessError, match=r"api\.ercot\.com"):
        socket.getaddrinfo("api.ercot.com", 443)


def test_a_real_http_client_cannot_reach_ercot() -> None:
    with httpx.Client() as client, pytest.raises(NetworkAccessError):
        client.get("https://api.ercot.com/api/public-reports")


def test_loopback_stays_allowed() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=2):
            pass
