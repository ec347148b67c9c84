"""The ERCOT client checked against real ERCOT artefacts in ../shared/realdata: the OpenAPI definition, MIS listings
and zips, and fuel-mix dashboard captures (skipped where that folder is absent)."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from energylake.contracts.datasets import CATALOG, ErcotDatasetName
from energylake.errors import FetchError
from energylake.sample import SAMPLE_PASSWORD, SAMPLE_SUBSCRIPTION_KEY, SAMPLE_USERNAME, SampleServer
from energylake.settings import ErcotCredentials, Settings
from energylake.sources.ercot import (
    ErcotClient,
    dashboard_coverage,
    parse_dashboard,
    parse_mis_listing,
    select_mis_documents,
    zip_problem,
)
from energylake.sources.ercot.mis import check_zip
from energylake.window import Window
from tests.support.paths import realdata_path

pytestmark = pytest.mark.realdata

MIS = "ercot_mis_wind_solar_loadfc_20250313"
WIND_LISTING = "wind_power_production_hourly_averaged_actual_and_forecasted_values_rtid.json"
SOLAR_LISTING = "solar_power_production_hourly_averaged_actual_and_forecasted_values_rtid.json"
API_DATASETS = [name for name, entry in CATALOG.items() if entry.source == "ercot" and entry.api is not None]
SETTINGS = Settings(ercot_page_size=5000, ercot_requests_per_minute=1e9)


def openapi() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        realdata_path("ercot_pubapi_openapi_spec", "pubapi-apim-api.json").read_text()
    )
    return document


@pytest.mark.parametrize("dataset", API_DATASETS)
def test_every_path_and_query_parameter_the_client_sends_exists_in_ercots_openapi(dataset: ErcotDatasetName) -> None:
    # GIVEN ERCOT's OpenAPI definition
    spec = openapi()
    # WHEN the real client fetches a day of the dataset from the sample (requests recorded by the server)
    server = SampleServer(SETTINGS, now=dt.datetime(2024, 11, 20, 18, tzinfo=dt.UTC))
    credentials = ErcotCredentials(SAMPLE_USERNAME, SecretStr(SAMPLE_PASSWORD), SecretStr(SAMPLE_SUBSCRIPTION_KEY))
    with ErcotClient(
        SETTINGS, credentials=credentials, transport=server.transport(), sleep=lambda _: None, now=lambda: server.now
    ) as client:
        groups = list(client.iter_fetch(dataset, Window.parse("2024-11-03", "2024-11-03")))
    assert groups
    api_requests = [r for r in server.requests if str(r.url).startswith(SETTINGS.ercot_api_url)]
    assert api_requests
    # THEN each request's path is in the definition, each query parameter is declared for it, and so is the key header
    base_path = httpx.URL(SETTINGS.ercot_api_url).path
    for request in api_requests:
        path = request.url.path.removeprefix(base_path)
        assert path in spec["paths"], f"{path} is not an ERCOT API path"
        declared = spec["paths"][path]["get"]["parameters"]
        query_names = {p["name"] for p in declared if p["in"] == "query"}
        header_names = {p["name"] for p in declared if p["in"] == "header"}
        sent = set(request.url.params.keys())
        assert sent <= query_names, f"{path}: undeclared parameters {sent - query_names}"
        assert "Ocp-Apim-Subscription-Key" in header_names
        assert "Ocp-Apim-Subscription-Key" in request.headers


# The archive listing's query parameters are not declared in ERCOT's OpenAPI file (its /archive/{emilId} lists only
# the path and the key header); they are the ones ERCOT's archive answers to (DOMAIN.md; gridstatus sends the same).
ARCHIVE_QUERY = {"postDatetimeFrom", "postDatetimeTo", "size", "page", "download"}


@pytest.mark.parametrize("dataset", ["spp_rt", "spp_dam"])
def test_every_archive_request_the_client_sends_is_an_archive_operation_of_ercots_openapi(
    dataset: ErcotDatasetName,
) -> None:
    # GIVEN ERCOT's OpenAPI definition and the real client fetching an old day through the sample's archive
    spec = openapi()
    now = dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC)
    server = SampleServer(SETTINGS, now=now)
    credentials = ErcotCredentials(SAMPLE_USERNAME, SecretStr(SAMPLE_PASSWORD), SecretStr(SAMPLE_SUBSCRIPTION_KEY))
    with ErcotClient(
        SETTINGS, credentials=credentials, transport=server.transport(), sleep=lambda _: None, now=lambda: now
    ) as client:
        assert list(client.iter_fetch(dataset, Window.parse("2024-11-03", "2024-11-03")))
    base_path = httpx.URL(SETTINGS.ercot_api_url).path
    archive_requests = [r for r in server.requests if "/archive/" in r.url.path]
    assert {r.method for r in archive_requests} == ({"GET", "POST"} if dataset == "spp_rt" else {"GET"})
    # THEN each is an operation the definition declares for its templated path, with the key header
    for request in archive_requests:
        emil = request.url.path.removeprefix(f"{base_path}/archive/").split("/")[0]
        assert emil == CATALOG[dataset].archive.emil_id.lower()  # type: ignore[union-attr]
        template = request.url.path.removeprefix(base_path).replace(f"/{emil}", "/{emilId}", 1)
        operation = spec["paths"][template][request.method.lower()]
        declared = {p["name"] for p in operation["parameters"]}
        assert {"emilId", "Ocp-Apim-Subscription-Key"} <= declared
        assert "Ocp-Apim-Subscription-Key" in request.headers
        assert set(request.url.params.keys()) <= ARCHIVE_QUERY
        if request.method == "POST":
            # the body is the definition's ArchiveRequest: {"docIds": [int64, ...]}
            body = json.loads(request.content)
            assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("ArchiveRequest")
            assert set(body) == {"docIds"} and all(isinstance(value, int) for value in body["docIds"])
            assert 1 <= len(body["docIds"]) <= 1000


def test_openapi_server_is_the_configured_api_base() -> None:
    assert {server["url"] for server in openapi()["servers"]} == {Settings().ercot_api_url}


def test_real_wind_listing_selects_the_dst_days_csv_postings() -> None:
    # GIVEN the real NP4-732 listing spanning the 2025-03-09 spring-forward day
    documents = parse_mis_listing(realdata_path(MIS, WIND_LISTING).read_bytes())
    assert len(documents) == 360
    # WHEN the documents for 2025-03-09 are selected
    selected = select_mis_documents(documents, "wind", dt.date(2025, 3, 9))
    # THEN the 23 hourly _csv postings of that day, oldest first, none in the nonexistent 02:xx hour
    assert len(selected) == 23
    assert all(doc.friendly_name == "WPPHRLYAVGACTNP4732_csv" for doc in selected)
    assert all(doc.posted_local.date() == dt.date(2025, 3, 9) for doc in selected)
    assert [doc.posted_local.hour for doc in selected] == [0, 1, *range(3, 24)]
    assert selected == sorted(selected, key=lambda doc: doc.posted_local)
    # AND an ordinary day has 24
    assert len(select_mis_documents(documents, "wind", dt.date(2025, 3, 10))) == 24


@pytest.mark.parametrize(
    ("listing", "dataset", "friendly"),
    [
        (SOLAR_LISTING, "solar", "PVGRHRLYAVGACTNP4737_csv"),
        ("load_forecast_by_forecast_zone.json", "load_forecast", "LFCCONGESTNP3560_csv"),
    ],
)
def test_other_real_listings_parse_and_select_csv_only(listing: str, dataset: ErcotDatasetName, friendly: str) -> None:
    documents = parse_mis_listing(realdata_path(MIS, listing).read_bytes())
    selected = select_mis_documents(documents, dataset, dt.date(2025, 3, 10))
    assert selected
    assert {doc.friendly_name for doc in selected} == {friendly}
    # the PublishDate offset is always -05:00; the wall clock is kept as Central time
    assert all(doc.publish_date.endswith("-05:00") for doc in selected)


@pytest.mark.parametrize(
    ("name", "rows"),
    [
        ("wind_specific_reportid.zip", 216),
        ("solar_specific_reportid.zip", 216),
        ("load_forecast_specific_reportid.zip", 192),
    ],
)
def test_real_mis_zips_pass_the_zip_check_and_a_truncated_copy_fails(name: str, rows: int) -> None:
    body = realdata_path(MIS, name).read_bytes()
    assert zip_problem(body) is None
    assert check_zip(body).csv_rows == rows
    assert zip_problem(body[: len(body) // 2]) is not None
    assert zip_problem(body[:-30]) is not None


def test_client_over_real_mis_bytes_fetches_the_dst_day_and_refuses_older_days() -> None:
    # GIVEN a fake www.ercot.com answering with the real listing and the real wind zip
    listing = realdata_path(MIS, WIND_LISTING).read_bytes()
    wind_zip = realdata_path(MIS, "wind_specific_reportid.zip").read_bytes()
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("IceDocListJsonWS"):
            return httpx.Response(200, content=listing)
        return httpx.Response(200, content=wind_zip)

    def client(now: dt.datetime) -> ErcotClient:
        return ErcotClient(SETTINGS, credentials=None, transport=httpx.MockTransport(handler), now=lambda: now)

    with client(dt.datetime(2025, 3, 13, 18, tzinfo=dt.UTC)) as mis:
        # WHEN the DST day is fetched through the MIS door
        (group,) = mis.iter_fetch("wind", Window.parse("2025-03-09", "2025-03-09"))
        # THEN 23 checked zip replies, one per hourly posting
        assert len(group) == 23
        assert {reply.body for reply in group} == {wind_zip}
        assert {reply.extra["publish-date"][:10] for reply in group} == {"2025-03-09"}
    # AND a day the MIS door should reach but the listing lacks is refused, naming the oldest day available
    with (
        client(dt.datetime(2025, 3, 9, 18, tzinfo=dt.UTC)) as mis,
        pytest.raises(FetchError, match="oldest day available is 2025-03-06"),
    ):
        list(mis.iter_fetch("wind", Window.parse("2025-03-05", "2025-03-05")))


def fuel_mix_capture(name: str) -> Path:
    return realdata_path("ercot_fuel_mix_dashboard", name)


def test_real_fuel_mix_capture_covers_its_two_days() -> None:
    document = parse_dashboard(fuel_mix_capture("fuel-mix_2024-11-23_24.json").read_bytes())
    coverage = dashboard_coverage(document, Window.parse("2024-11-23", "2024-11-24"))
    assert coverage.covered == [dt.date(2024, 11, 23), dt.date(2024, 11, 24)]
    assert coverage.uncovered == []
    assert coverage.newest_covered == dt.date(2024, 11, 24)


@pytest.mark.parametrize(
    ("capture", "window", "day", "uncovered"),
    [
        ("fuel-mix_2024-11-23_24.json", ("2024-11-23", "2024-11-24"), "2024-11-24", None),
        ("fuel-mix_2024-11-23_24.json", ("2024-11-22", "2024-11-23"), "2024-11-23", "2024-11-22"),
        ("fuel-mix_2025-10-08_09.json", ("2025-10-09", "2025-10-10"), "2025-10-09", "2025-10-10"),
    ],
)
def test_client_lands_real_fuel_mix_captures(
    capture: str, window: tuple[str, str], day: str, uncovered: str | None
) -> None:
    body = fuel_mix_capture(capture).read_bytes()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    # The window is the dashboard's yesterday and today, as the client's clock sees them.
    now = dt.datetime.combine(dt.date.fromisoformat(window[1]), dt.time(18), dt.UTC)
    with ErcotClient(SETTINGS, credentials=None, transport=transport, rng=random.Random(0), now=lambda: now) as client:
        (group,) = client.iter_fetch("fuel_mix", Window.parse(*window))
    (reply,) = group
    assert reply.body == body
    assert reply.day == dt.date.fromisoformat(day)
    assert reply.extra.get("uncovered-days") == uncovered


def test_client_refuses_a_window_the_real_capture_does_not_cover() -> None:
    body = fuel_mix_capture("fuel-mix_2024-11-23_24.json").read_bytes()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    now = dt.datetime(2024, 12, 2, 18, tzinfo=dt.UTC)
    with (
        ErcotClient(SETTINGS, credentials=None, transport=transport, now=lambda: now) as client,
        pytest.raises(FetchError, match="covers only 2024-11-23, 2024-11-24"),
    ):
        list(client.iter_fetch("fuel_mix", Window.parse("2024-12-01", "2024-12-02")))
