"""ERCOT's no-login dashboards (the fuel-mix dashboard, the only JSON source of fuel mix): the shape of a capture and
which days of a window it covers.

Pure functions over bytes, tested against real captures of ERCOT's dashboards; the client
(:class:`energylake.sources.ercot.ErcotClient`) does the request.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from energylake.window import Window

DASHBOARD_PATH = "/api/1/services/read/dashboards/"


@dataclass(frozen=True)
class DashboardCoverage:
    available: list[dt.date]  # every day present in the dashboard's "data"
    covered: list[dt.date]  # days of the window the dashboard holds
    uncovered: list[dt.date]  # days of the window it does not hold

    @property
    def newest_covered(self) -> dt.date | None:
        return self.covered[-1] if self.covered else None


def parse_dashboard(body: bytes) -> dict[str, Any]:
    """The fuel-mix dashboard document; ValueError names what is wrong with its shape."""
    try:
        document = json.loads(body)
    except ValueError:
        raise ValueError("dashboard reply is not JSON") from None
    if not isinstance(document, dict):
        raise ValueError("dashboard reply is not a JSON object")
    data = document.get("data")
    if not isinstance(data, dict):
        raise ValueError("dashboard reply has no 'data' object keyed by day")
    for key, value in data.items():
        try:
            dt.date.fromisoformat(key)
        except ValueError:
            raise ValueError(f"dashboard 'data' key {key!r} is not a YYYY-MM-DD day") from None
        if not isinstance(value, dict):
            raise ValueError(f"dashboard 'data' entry for {key} is not an object of timestamps")
    return document


def dashboard_coverage(document: Mapping[str, Any], window: Window) -> DashboardCoverage:
    """Which days of ``window`` a parsed dashboard document holds (a day with no timestamps does not count)."""
    data: Mapping[str, Any] = document["data"]
    available = sorted(dt.date.fromisoformat(key) for key, value in data.items() if value)
    present = set(available)
    days = list(window.days())
    return DashboardCoverage(
        available=available,
        covered=[day for day in days if day in present],
        uncovered=[day for day in days if day not in present],
    )
