"""The REAL ErcotClient against the sample source's ERCOT: token flow, paging, DST-correct days, determinism,
throttling, MIS fallback and the fuel-mix dashboard, all in ERCOT's formats."""

from __future__ import annotations

import collections
import csv
import datetime as dt
import io
import json
import random
import zipfile
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from energylake.contracts.datasets import ErcotDatasetName
from energylake.contracts.raw import RawReply
from energylake.errors import FetchError
from energylake.sample import SAMPLE_PASSWORD, SAMPLE_SUBSCRIPTION_KEY, SAMPLE_USERNAME, SampleServer
from energylake.settings import ErcotCredentials, Settings
from energylake.sources.ercot import ErcotAuthenticationError, ErcotClient
from energylake.sources.http import FetchStats
from energylake.timeconv import local_day_hours
from energylake.window import Window
from tests.support.sample_auth import token_form

SETTINGS = Settings(ercot_page_size=500, ercot_requests_per_minute=1e9)
SAMPLE_CREDENTIALS = ErcotCredentials(SAMPLE_USERNAME, SecretStr(SAMPLE_PASSWORD), SecretStr(SAMPLE_SUBSCRIPTION_KEY))
SAMPLE_NOW = dt.datetime(2024, 11, 20, 18, 0, tzinfo=dt.UTC)  # after the fall-back window (and its postings)
FALL_BACK = Window.parse("2024-11-02", "2024-11-04")
SPRING_FORWARD = Window.parse("2024-03-09", "2024-03-11")
# A clock days after each window, so its days are recent enough for the data endpoints (older days go to the archive)
WINDOW_NOW = {
    FALL_BACK: SAMPLE_NOW,
    SPRING_FORWARD: dt.datetime(2024, 3, 20, 18, 0, tzinfo=dt.UTC),
}
API_DATASETS: tuple[ErcotDatasetName, ...] = (
    "spp_rt",
    "spp_dam",
    "load_weather_zone",
    "load_forecast",
    "wind",
    "solar",
)
SETTLEMENT_POINTS = 21  # 7 hubs, 8 load zones, 6 resource nodes
LOAD_ZONES = 8
RT_ROWS_PER_INTERVAL = SETTLEMENT_POINTS + LOAD_ZONES  # each load zone twice in real time: types LZ and LZEW


def sample_client(
    server: SampleServer,
    *,
    credentials: ErcotCredentials | None = SAMPLE_CREDENTIALS,
    stats: FetchStats | None = None,
    sleeps: list[float] | None = None,
    now: dt.datetime = SAMPLE_NOW,
) -> ErcotClient:
    waits = sleeps if sleeps is not None else []
    return ErcotClient(
        server.settings,
        credentials=credentials,
        transport=server.transport(),
        sleep=waits.append,
        clock=lambda: 0.0,
        rng=random.Random(1),
        stats=stats,
        now=lambda: now,
    )


def rows_of(group: list[RawReply]) -> list[dict[str, Any]]:
    """The API rows of a day's pages, as dicts keyed by field name."""
    rows: list[dict[str, Any]] = []
    for reply in group:
        document = json.loads(reply.body)
        names = [field["name"] for field in document["fields"]]
        rows += [dict(zip(names, row, strict=True)) for row in document["data"]]
    return rows


def hour_key(row: dict[str, Any]) -> tuple[int, str]:
    """(hour ending as an int, DST flag) of a row, whatever the report's hour format."""
    hour = row.get("hourEnding", row.get("deliveryHour"))
    return int(str(hour).split(":")[0]), row["DSTFlag"]


@pytest.mark.parametrize("window", [FALL_BACK, SPRING_FORWARD], ids=["fall-back", "spring-forward"])
@pytest.mark.parametrize("dataset", API_DATASETS)
def test_each_api_dataset_has_the_right_rows_per_central_day(dataset: ErcotDatasetName, window: Window) -> None:
    # GIVEN the sample ERCOT and a small page size, a few days after the window
    now = WINDOW_NOW[window]
    server = SampleServer(SETTINGS, now=now)
    with sample_client(server, now=now) as client:
        # WHEN the real client fetches the window through the API
        groups = list(client.iter_fetch(dataset, window))
    # THEN every day has exactly the hours of its Central calendar day (23, 24 or 25) ...
    assert [group[0].day for group in groups] == list(window.days())
    for group in groups:
        day = group[0].day
        hours = local_day_hours(day)
        rows = rows_of(group)
        assert {reply.origin for reply in group} == {"ercot-api"}
        assert all(row.get("deliveryDate", row.get("operatingDay")) == day.isoformat() for row in rows)
        if dataset in ("spp_rt", "spp_dam"):
            per_point = collections.Counter(row["settlementPoint"] for row in rows)
            assert len(per_point) == SETTLEMENT_POINTS
            assert all(-250 <= row["settlementPointPrice"] <= 5000 for row in rows)
            if dataset == "spp_dam":
                assert set(per_point.values()) == {hours}
            else:  # one series per (name, type): every load zone is listed as LZ and as LZEW
                per_series = collections.Counter((row["settlementPoint"], row["settlementPointType"]) for row in rows)
                assert len(per_series) == RT_ROWS_PER_INTERVAL
                assert set(per_series.values()) == {hours * 4}
                assert {kind for (point, kind) in per_series if point.startswith("LZ_")} == {"LZ", "LZEW"}
        elif dataset == "load_weather_zone":
            assert len(rows) == hours
            assert all(row["total"] > 0 and row["coast"] > 0 for row in rows)
        else:
            # forecasts: a vintage (posting [and model]) covering the whole day has one row per hour. The
            # posting times are Central wall clock without offset, as ERCOT writes them: on the fall-back day the
            # two 01:55 postings share one label, so the typical vintage size is what is checked.
            per_vintage = collections.Counter((row["postedDatetime"], row.get("model")) for row in rows)
            typical_size, _ = collections.Counter(per_vintage.values()).most_common(1)[0]
            assert typical_size == hours
            assert max(per_vintage.values()) <= 2 * hours
        # ... labelled the ERCOT way: HE 02 twice on the fall-back day (second flagged Y), no HE 03 in spring
        labels = {hour_key(row) for row in rows}
        if day == dt.date(2024, 11, 3):
            assert (2, True) in labels
            assert (2, False) in labels
            assert {flag for _, flag in labels} == {False, True}
        else:
            assert {flag for _, flag in labels} == {False}
        if day == dt.date(2024, 3, 10):
            assert 3 not in {hour for hour, _ in labels}
        elif dataset != "spp_rt":
            assert 3 in {hour for hour, _ in labels}


def test_small_pages_really_page() -> None:
    # GIVEN page size 500 and a ~3,000-row real-time day
    server = SampleServer(SETTINGS, now=SAMPLE_NOW)
    with sample_client(server) as client:
        (group,) = client.iter_fetch("spp_rt", Window.parse("2024-11-03", "2024-11-03"))
    # THEN 100 quarter hours x 29 rows (21 points, the 8 load zones twice) = 2,900 rows arrive in 6 pages of <= 500
    assert len(group) == 6
    metas = [json.loads(reply.body)["_meta"] for reply in group]
    assert [meta["currentPage"] for meta in metas] == [1, 2, 3, 4, 5, 6]
    assert {meta["totalRecords"] for meta in metas} == {2900}
    assert [len(json.loads(reply.body)["data"]) for reply in group] == [500, 500, 500, 500, 500, 400]


def test_quarter_hours_on_the_fall_back_day_repeat_hour_two_with_the_y_flag_last() -> None:
    server = SampleServer(SETTINGS, now=SAMPLE_NOW)
    with sample_client(server) as client:
        (group,) = client.iter_fetch("spp_rt", Window.parse("2024-11-03", "2024-11-03"))
    hub = [row for row in rows_of(group) if row["settlementPoint"] == "HB_NORTH"]
    sequence = [(row["deliveryHour"], row["deliveryInterval"], row["DSTFlag"]) for row in hub]
    assert len(sequence) == 100
    assert sequence[4:12] == [(2, i, False) for i in (1, 2, 3, 4)] + [(2, i, True) for i in (1, 2, 3, 4)]


def test_real_time_lists_each_load_zone_twice_under_one_name_at_different_prices() -> None:
    # GIVEN the sample's real-time prices for one day, through the API and through the MIS CSVs
    day = dt.date(2024, 11, 18)
    server = SampleServer(SETTINGS, now=SAMPLE_NOW)
    with sample_client(server) as client:
        (api_group,) = client.iter_fetch("spp_rt", Window(day, day))
    with sample_client(server, credentials=None) as client:
        (mis_group,) = client.iter_fetch("spp_rt", Window(day, day))
    api = [
        (row["deliveryHour"], row["deliveryInterval"], row["settlementPoint"], row["settlementPointType"],
         row["settlementPointPrice"])
        for row in rows_of(api_group)
    ]  # fmt: skip
    mis = []
    for reply in mis_group:
        with zipfile.ZipFile(io.BytesIO(reply.body)) as archive:
            (name,) = archive.namelist()
            for line in csv.DictReader(io.StringIO(archive.read(name).decode())):
                if line["DeliveryDate"] == day.strftime("%m/%d/%Y"):
                    mis.append((int(line["DeliveryHour"]), int(line["DeliveryInterval"]), line["SettlementPointName"],
                                line["SettlementPointType"], float(line["SettlementPointPrice"])))  # fmt: skip
    # THEN both list every load zone twice per interval, type LZ then type LZEW, at different prices ...
    for rows in (api, mis):
        by_zone: dict[tuple[int, int, str], dict[str, float]] = collections.defaultdict(dict)
        for hour, interval, point, kind, price in rows:
            if point.startswith("LZ_"):
                by_zone[hour, interval, point][kind] = price
        assert len(by_zone) == 96 * LOAD_ZONES
        assert all(list(prices) == ["LZ", "LZEW"] for prices in by_zone.values())
        assert all(prices["LZ"] != prices["LZEW"] for prices in by_zone.values())
        # ... while hubs and resource nodes appear once
        others = collections.Counter((h, i, point) for h, i, point, _, _ in rows if not point.startswith("LZ_"))
        assert set(others.values()) == {1}
    # AND the two doors serve the same rows
    assert sorted(api) == sorted(mis)


def test_same_request_same_bytes() -> None:
    # GIVEN two independent sample servers with the same seed and clock
    window = Window.parse("2024-11-03", "2024-11-03")
    bodies = []
    for _ in range(2):
        server = SampleServer(SETTINGS, now=SAMPLE_NOW)
        with sample_client(server) as client:
            bodies.append([reply.body for group in client.iter_fetch("wind", window) for reply in group])
    # THEN the replies are byte-identical, and a different seed gives different numbers
    assert bodies[0] == bodies[1]
    other = SampleServer(SETTINGS, now=SAMPLE_NOW, seed=7)
    with sample_client(other) as client:
        assert [reply.body for group in client.iter_fetch("wind", window) for reply in group] != bodies[0]


def test_throttled_sample_still_succeeds_and_counts_retries() -> None:
    # GIVEN every third request is answered 429 Retry-After: 0
    server = SampleServer(SETTINGS, now=SAMPLE_NOW, throttle_every=3)
    stats = FetchStats()
    sleeps: list[float] = []
    with sample_client(server, stats=stats, sleeps=sleeps) as client:
        # WHEN a paged day is fetched
        groups = list(client.iter_fetch("spp_rt", Window.parse("2024-11-04", "2024-11-05")))
    # THEN all pages arrive and the retries are counted (without real sleeping)
    assert [len(group) for group in groups] == [6, 6]
    assert stats.throttled >= 3
    assert stats.retries == stats.throttled
    assert stats.requests == 1 + 12 + stats.retries
    assert len(sleeps) == stats.retries


def test_wrong_password_is_a_clear_error() -> None:
    server = SampleServer(SETTINGS, now=SAMPLE_NOW)
    wrong = ErcotCredentials(SAMPLE_USERNAME, SecretStr("not-the-password"), SecretStr(SAMPLE_SUBSCRIPTION_KEY))
    with (
        sample_client(server, credentials=wrong) as client,
        pytest.raises(ErcotAuthenticationError, match="AADB2C90225") as caught,
    ):
        list(client.iter_fetch("spp_dam", Window.parse("2024-11-03", "2024-11-03")))
    assert "not-the-password" not in str(caught.value)
    assert "ENERGYLAKE_ERCOT_PASSWORD" in str(caught.value)


def test_wrong_subscription_key_is_refused_twice() -> None:
    server = SampleServer(SETTINGS, now=SAMPLE_NOW)
    wrong = ErcotCredentials(SAMPLE_USERNAME, SecretStr(SAMPLE_PASSWORD), SecretStr("wrong-key"))
    with sample_client(server, credentials=wrong) as client, pytest.raises(FetchError, match="HTTP 401") as caught:
        list(client.iter_fetch("spp_dam", Window.parse("2024-11-03", "2024-11-03")))
    assert "subscription key" in str(caught.value)
    assert "wrong-key" not in str(caught.value)


def test_api_empty_before_ercot_publishes() -> None:
    # GIVEN the sample's clock on 2024-11-20: actual load for that day is only published on 11-21
    server = SampleServer(SETTINGS, now=SAMPLE_NOW)
    with sample_client(server) as client:
        (group,) = client.iter_fetch("load_weather_zone", Window.parse("2024-11-20", "2024-11-20"))
    # THEN the truthful answer is an empty report
    (reply,) = group
    document = json.loads(reply.body)
    assert document["_meta"]["totalPages"] == 0
    assert document["data"] == []


@pytest.mark.parametrize(
    ("dataset", "header_start", "rows_per_day"),
    [
        ("spp_rt", "DeliveryDate,DeliveryHour,DeliveryInterval,SettlementPointName", 96 * RT_ROWS_PER_INTERVAL),
        ("spp_dam", "DeliveryDate,HourEnding,SettlementPoint,SettlementPointPrice,DSTFlag", 24 * SETTLEMENT_POINTS),
        ("load_weather_zone", "OperDay,HourEnding,COAST,EAST,FAR_WEST", 24),
        ("wind", "DELIVERY_DATE,HOUR_ENDING,SYSTEM_WIDE_GEN,COP_HSL_SYSTEM_WIDE", None),
        ("solar", "DELIVERY_DATE,HOUR_ENDING,SYSTEM_WIDE_GEN,COP_HSL_SYSTEM_WIDE,STPPF", None),
        ("load_forecast", "DeliveryDate,HourEnding,Coast,East,FarWest", None),
    ],
)
def test_mis_fallback_serves_recent_days_as_real_format_zips(
    dataset: ErcotDatasetName, header_start: str, rows_per_day: int | None
) -> None:
    # GIVEN no credentials; the sample's MIS listing holds the last five days before its clock
    server = SampleServer(SETTINGS, now=SAMPLE_NOW)
    day = dt.date(2024, 11, 18)
    with sample_client(server, credentials=None) as client:
        (group,) = client.iter_fetch(dataset, Window(day, day))
    # THEN each reply is a zip holding one CSV in the MIS format of that report
    assert {reply.origin for reply in group} == {"ercot-mis"}
    lines: list[list[str]] = []
    for reply in group:
        with zipfile.ZipFile(io.BytesIO(reply.body)) as archive:
            (name,) = archive.namelist()
            assert name.endswith(".csv")
            text = archive.read(name).decode()
        assert text.startswith(header_start)
        lines += list(csv.reader(io.StringIO(text)))[1:]
    assert all(line[-1] in ("N", "Y") for line in lines)
    if rows_per_day is not None:
        # only the day's own rows (the real-time set also holds the previous day's last interval, posted at 00:05)
        own = [line for line in lines if line[0] == day.strftime("%m/%d/%Y")]
        assert len(own) == rows_per_day
    else:
        assert len(group) == 24  # hourly vintages


def test_mis_fallback_refuses_days_older_than_its_window() -> None:
    server = SampleServer(SETTINGS, now=SAMPLE_NOW)
    with sample_client(server, credentials=None) as client, pytest.raises(FetchError) as caught:
        list(client.iter_fetch("spp_dam", Window.parse("2024-11-01", "2024-11-01")))
    message = str(caught.value)
    assert "only the last 5 days (MIS files)" in message
    assert "ENERGYLAKE_ERCOT_USERNAME" in message


def test_fuel_mix_dashboard_covers_the_previous_and_current_central_day() -> None:
    # GIVEN the sample's clock at 2024-11-20 12:00 Central
    server = SampleServer(SETTINGS, now=SAMPLE_NOW)
    with sample_client(server) as client:
        (group,) = client.iter_fetch("fuel_mix", Window.parse("2024-11-18", "2024-11-20"))
    (reply,) = group
    # THEN 11-19 (288 five-minute values) and 11-20 so far are covered, 11-18 is reported uncovered
    assert reply.day == dt.date(2024, 11, 20)
    assert reply.extra["uncovered-days"] == "2024-11-18"
    document = json.loads(reply.body)
    assert set(document) == {"lastUpdated", "types", "data"}
    assert len(document["data"]["2024-11-19"]) == 288
    assert len(document["data"]["2024-11-20"]) == 12 * 12
    first = next(iter(document["data"]["2024-11-19"]))
    assert first == "2024-11-19 00:04:57-0600"
    assert set(document["data"]["2024-11-19"][first]) == set(document["types"])


def test_unknown_paths_are_404_json() -> None:
    server = SampleServer(SETTINGS, now=SAMPLE_NOW)
    with httpx.Client(transport=server.transport()) as http:
        web = http.get(f"{SETTINGS.ercot_web_url}/no/such/thing")
        token = http.post(SETTINGS.ercot_token_url, data=token_form(SETTINGS))
        id_token = token.json()["id_token"]
        api = http.get(
            f"{SETTINGS.ercot_api_url}/np9-999-cd/nothing",
            headers={"Authorization": f"Bearer {id_token}", "Ocp-Apim-Subscription-Key": SAMPLE_SUBSCRIPTION_KEY},
        )
    assert web.status_code == 404
    assert web.json()
    assert token.json()["expires_in"] == "3600"
    assert token.json()["token_type"] == "Bearer"
    assert api.status_code == 404
    assert set(api.json()) >= {"timestamp", "code", "status", "message"}
