"""The offline sample source (local runs and tests only; never shipped to AWS).

A deterministic fake of ERCOT and Open-Meteo speaking their exact reply formats, served to the REAL clients through
an in-process transport: :mod:`.world` (one synthetic world: weather, load, wind, solar, prices), :mod:`.ercot` and
:mod:`.ercot_reports` (token, API, MIS listings and zips, dashboards), :mod:`.openmeteo`, and :mod:`.router` (which
endpoint answers a request). :func:`connection` is what the CLI's ``--source sample`` uses.
"""

from __future__ import annotations

import datetime as dt

from pydantic import SecretStr

from energylake.fetch import Connection
from energylake.sample.context import SAMPLE_PASSWORD, SAMPLE_SUBSCRIPTION_KEY, SAMPLE_USERNAME, SampleContext
from energylake.sample.router import SampleServer
from energylake.settings import ErcotCredentials, Settings

__all__ = [
    "SAMPLE_PASSWORD",
    "SAMPLE_SUBSCRIPTION_KEY",
    "SAMPLE_USERNAME",
    "SampleContext",
    "SampleServer",
    "connection",
]


def connection(settings: Settings, *, now: dt.datetime | None = None, throttle_every: int = 7) -> Connection:
    """The offline sample source served to the real clients through an in-process transport.

    The sample server has no rate limit of its own, so the client-side limits are lifted (and the shared DynamoDB
    budget is never consulted, whatever ENERGYLAKE_ERCOT_RATE_LIMIT_TABLE says); its clock ``now`` decides which
    days its MIS listings and dashboards cover.
    """
    sample_now = now or dt.datetime.now(dt.UTC)
    unthrottled = settings.model_copy(
        update={
            "ercot_requests_per_minute": 1e9,
            "open_meteo_requests_per_minute": 1e9,
            "ercot_rate_limit_table": None,
        }
    )
    server = SampleServer(unthrottled, now=sample_now, throttle_every=throttle_every)
    return Connection(
        settings=unthrottled,
        ercot_credentials=ErcotCredentials(
            SAMPLE_USERNAME, SecretStr(SAMPLE_PASSWORD), SecretStr(SAMPLE_SUBSCRIPTION_KEY)
        ),
        transport=server.transport(),
        sleep=lambda _seconds: None,  # the sample's 429s say Retry-After: 0
        now=lambda: sample_now,
        mode="sample",
    )
