"""ERCOT id tokens, one per credentials, shared by every client of a process until they near expiry.

ERCOT counts a token request against the same 30 requests a minute as the data it pays for, and a backfill builds a
client per chunk and dataset: with a token each, 29% of a 2011-to-now backfill's requests were token requests.
:class:`TokenCache` keeps one token per :class:`TokenKey` (token endpoint, client id, user, password digest, and the
clock its expiry is read on) and fetches a new one only when none is cached or the cached one is within
:data:`TOKEN_RENEW_MARGIN_S` of its expiry. Fetching holds a per-key lock, so threads that need a token at once send
one request and all use its answer; :meth:`TokenCache.drop` forgets a token the API refused (HTTP 401), unless another
client already replaced it.

The cache never holds a password (only its SHA-256, as part of the key); tokens are :class:`~pydantic.SecretStr`.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import SecretStr

from energylake.settings import ErcotCredentials

TOKEN_RENEW_MARGIN_S = 300.0  # renew 5 minutes early: a token expiring mid-paging would cost a 401 round trip
DEFAULT_TOKEN_LIFETIME_S = 3600.0  # ERCOT id tokens last one hour when the reply does not say

# (the token, its lifetime in seconds as the token endpoint stated it)
TokenFetch = Callable[[], tuple[SecretStr, float]]


@dataclass(frozen=True)
class TokenKey:
    """Whose token: the same user at the same token endpoint shares one; the clock is part of the key because an
    expiry is only meaningful on the clock it was computed with (tests give clients their own clocks)."""

    token_url: str
    client_id: str
    username: str
    password_sha256: str
    clock: Callable[[], float]

    @classmethod
    def of(
        cls, credentials: ErcotCredentials, *, token_url: str, client_id: str, clock: Callable[[], float]
    ) -> TokenKey:
        digest = hashlib.sha256(credentials.password.get_secret_value().encode()).hexdigest()
        return cls(token_url, client_id, credentials.username, digest, clock)

    def __repr__(self) -> str:  # the digest is not a secret, but nothing about a password belongs in a log line
        return f"TokenKey(user={self.username!r}, url={self.token_url!r})"


@dataclass(frozen=True)
class _Cached:
    value: SecretStr
    renew_at: float  # on the key's clock


class TokenCache:
    """Id tokens by :class:`TokenKey` (thread-safe)."""

    def __init__(self) -> None:
        self._tokens: dict[TokenKey, _Cached] = {}
        self._fetching: dict[TokenKey, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: TokenKey, fetch: TokenFetch) -> SecretStr:
        """The cached token of ``key``, or a new one from ``fetch`` when there is none or it is due for renewal
        (``TOKEN_RENEW_MARGIN_S`` before it expires). ``fetch``'s errors propagate and nothing is cached."""
        with self._lock_of(key):  # one fetch per key at a time: the threads waiting here use its token
            cached = self._tokens.get(key)
            if cached is not None and key.clock() < cached.renew_at:
                return cached.value
            value, lifetime_s = fetch()
            self._tokens[key] = _Cached(value, key.clock() + lifetime_s - TOKEN_RENEW_MARGIN_S)
            return value

    def drop(self, key: TokenKey, value: SecretStr) -> bool:
        """Forget ``value`` (the API refused it); returns whether it was still the cached token (a token another
        client already renewed stays)."""
        with self._lock_of(key):
            cached = self._tokens.get(key)
            if cached is None or cached.value.get_secret_value() != value.get_secret_value():
                return False
            del self._tokens[key]
            return True

    def _lock_of(self, key: TokenKey) -> threading.Lock:
        """The lock guarding ``key``'s entry (held while its token is fetched)."""
        with self._guard:
            return self._fetching.setdefault(key, threading.Lock())
