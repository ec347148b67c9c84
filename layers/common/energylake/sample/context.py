"""What every part of the sample source reads: the endpoints to answer, the sample's clock and its seed.

The router (:class:`~energylake.sample.router.SampleServer`) builds one and hands it to the ERCOT and Open-Meteo
parts, which import nothing of the router (no import cycle).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from energylake.settings import Settings

# The credentials the sample's token endpoint and API accept (fakes: the sample never reaches a real service).
SAMPLE_USERNAME = "sample-user"
SAMPLE_PASSWORD = "sample-password"  # noqa: S105 - a fake credential the sample server accepts
SAMPLE_SUBSCRIPTION_KEY = "sample-subscription-key"
DEFAULT_SEED = 20241103


@dataclass(frozen=True)
class SampleContext:
    """``settings``: the endpoint URLs routed here; ``now``: the sample's clock (its MIS listings and dashboards cover
    the days before it); ``seed``: every number is a pure function of it and the time slot."""

    settings: Settings
    now: dt.datetime
    seed: int = DEFAULT_SEED
