"""The ERCOT client on the fuel-mix dashboard against a scripted fake www.ercot.com: a window fully, partly or not
covered by the days the dashboard holds, and a malformed dashboard."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from energylake.errors import FetchError, MalformedReplyError
from energylake.settings import ErcotCredentials
from energylake.sources.http import FetchStats
from energylake.window import Window
from tests.support.fake_ercot import CREDENTIALS, SETTINGS, WEB, FakeErcot, fetch_all, make_client, one_day

# ------------------------------------------------------------------------------------------------ fuel mix


def dashboard(*days: str) -> httpx.Response:
    data = {
        day: {f"{day} 00:04:57-0600": {"Wind": {"gen": 1.0}}, f"{day} 00:09:57-0600": {"Wind": {"gen": 2.0}}}
        for day in days
    }
    return httpx.Response(200, json={"lastUpdated": f"{days[-1]} 00:09:57-0600", "types": ["Wind"], "data": data})


@pytest.mark.parametrize("credentials", [CREDENTIALS, None])
def test_fuel_mix_window_fully_covered(credentials: ErcotCredentials | None) -> None:
    # GIVEN the dashboard holds 2024-11-23 and 2024-11-24
    served = dashboard("2024-11-23", "2024-11-24")
    fake = FakeErcot(web=[served])
    stats = FetchStats()
    client, _ = make_client(
        fake, credentials=credentials, stats=stats, now=dt.datetime(2024, 11, 24, 18, tzinfo=dt.UTC)
    )
    # WHEN the window is exactly those days (yesterday and today)
    groups = fetch_all(client, "fuel_mix", Window.parse("2024-11-23", "2024-11-24"))
    # THEN one reply, landed under the newest day, with nothing uncovered; no token is needed even with credentials
    assert len(groups) == 1
    (reply,) = groups[0]
    assert reply.day == dt.date(2024, 11, 24)
    assert reply.origin == "ercot-dashboard"
    assert reply.url == f"{WEB}/api/1/services/read/dashboards/fuel-mix.json"
    assert reply.body == served.content
    assert "uncovered-days" not in reply.extra
    assert reply.extra["covered-days"] == "2024-11-23,2024-11-24"
    assert stats.rows == 4
    assert not fake.requests_to(SETTINGS.ercot_token_url)


def test_fuel_mix_window_partly_covered_lists_the_uncovered_days() -> None:
    # GIVEN a dashboard holding 2024-11-23 and 2024-11-24, read on 2024-11-23 (its yesterday is the 22nd)
    fake = FakeErcot(web=[dashboard("2024-11-23", "2024-11-24")])
    client, _ = make_client(fake, now=dt.datetime(2024, 11, 23, 18, tzinfo=dt.UTC))
    # WHEN yesterday and today are fetched THEN the reply lands under the 23rd, noting the 22nd as uncovered
    groups = fetch_all(client, "fuel_mix", Window.parse("2024-11-22", "2024-11-23"))
    (reply,) = groups[0]
    assert reply.day == dt.date(2024, 11, 23)
    assert reply.extra["uncovered-days"] == "2024-11-22"


def test_fuel_mix_window_not_covered_says_which_days_the_dashboard_covers() -> None:
    # GIVEN a dashboard that holds other days than the yesterday and today it is asked for
    fake = FakeErcot(web=[dashboard("2024-11-23", "2024-11-24")])
    client, _ = make_client(fake, now=dt.datetime(2024, 10, 2, 18, tzinfo=dt.UTC))
    with pytest.raises(FetchError, match="covers only 2024-11-23, 2024-11-24"):
        fetch_all(client, "fuel_mix", Window.parse("2024-10-01", "2024-10-02"))


def test_fuel_mix_without_data_is_malformed() -> None:
    fake = FakeErcot(web=[httpx.Response(200, json={"lastUpdated": "x", "types": []})])
    client, _ = make_client(fake)
    with pytest.raises(MalformedReplyError, match="'data'"):
        fetch_all(client, "fuel_mix", one_day())
