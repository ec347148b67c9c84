"""Signing in to the sample source's ERCOT API as a real client does: the token request's form, and the headers a
data request then carries."""

from __future__ import annotations

import httpx

from energylake.sample import SAMPLE_PASSWORD, SAMPLE_SUBSCRIPTION_KEY, SAMPLE_USERNAME, SampleServer
from energylake.settings import Settings


def token_form(settings: Settings) -> dict[str, str]:
    """ERCOT's ROPC token request (DOMAIN.md), with the sample's user."""
    return {
        "grant_type": "password",
        "username": SAMPLE_USERNAME,
        "password": SAMPLE_PASSWORD,
        "response_type": "id_token",
        "scope": f"openid {settings.ercot_client_id} offline_access",
        "client_id": settings.ercot_client_id,
    }


def signed_in_headers(server: SampleServer, settings: Settings) -> dict[str, str]:
    """The subscription key and a fresh bearer token from ``server``."""
    request = httpx.Request("POST", settings.ercot_token_url, data=token_form(settings))
    token = server.handle(request).json()["id_token"]
    return {"Ocp-Apim-Subscription-Key": SAMPLE_SUBSCRIPTION_KEY, "Authorization": f"Bearer {token}"}
