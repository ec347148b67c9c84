"""The fetch Lambdas end to end on moto S3, the real clients answered by the sample source through respx."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest
import respx
from moto import mock_aws

from energylake import fetch
from energylake.errors import FetchError, InvalidRequestError
from energylake.lambdas import _shared
from energylake.sample import SAMPLE_PASSWORD, SAMPLE_SUBSCRIPTION_KEY, SAMPLE_USERNAME, SampleServer
from energylake.settings import Settings
from tests.support.fakes import FakeContext, load_handler
from tests.support.paths import REPO_ROOT

BUCKET = "energylake-lake-test"
EVENTS = REPO_ROOT / "events"


@pytest.fixture
def aws_lake(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A moto S3 lake and the environment a deployed function gets (sample credentials, no real waits)."""
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        monkeypatch.setenv("ENERGYLAKE_LAKE_URI", f"s3://{BUCKET}")
        monkeypatch.setenv("ENERGYLAKE_ERCOT_USERNAME", SAMPLE_USERNAME)
        monkeypatch.setenv("ENERGYLAKE_ERCOT_PASSWORD", SAMPLE_PASSWORD)
        monkeypatch.setenv("ENERGYLAKE_ERCOT_SUBSCRIPTION_KEY", SAMPLE_SUBSCRIPTION_KEY)
        monkeypatch.setenv("ENERGYLAKE_HTTP_BACKOFF_BASE_S", "0")
        monkeypatch.setenv("ENERGYLAKE_ERCOT_PAGE_SIZE", "500")  # several pages per day
        _shared._lake.cache_clear()
        yield s3
        _shared._lake.cache_clear()


SAMPLE_NOW = dt.datetime(2024, 11, 8, 12, tzinfo=dt.UTC)


@pytest.fixture
def sample_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[SampleServer]:
    """Every httpx request goes to the sample server (respx intercepts the real clients' transport), and the
    functions' clients read the sample's clock: which door serves an operating day depends on "today"."""
    server = SampleServer(Settings(), now=SAMPLE_NOW, throttle_every=3)
    live_connection = fetch.live_connection
    monkeypatch.setattr(
        fetch, "live_connection", lambda settings: replace(live_connection(settings), now=lambda: SAMPLE_NOW)
    )
    with respx.mock(assert_all_called=False) as router:
        router.route().mock(side_effect=server.handle)
        yield server


def lake_keys(s3: Any) -> list[str]:
    return sorted(obj["Key"] for obj in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def raw_keys(s3: Any) -> list[str]:
    """Raw data objects (manifests apart)."""
    return [key for key in lake_keys(s3) if "/_manifests/" not in key]


def manifest_keys(s3: Any) -> list[str]:
    return [key for key in lake_keys(s3) if key.endswith(".manifest.json")]


def test_fetch_ercot_lands_each_page_and_returns_the_keys(aws_lake: Any, sample_api: SampleServer) -> None:
    # GIVEN the sample ERCOT API and the function's sample event
    event = json.loads((EVENTS / "fetch_ercot.json").read_text())
    # WHEN the handler runs
    reply = load_handler("fetch_ercot").lambda_handler(event, FakeContext("energylake-fetch"))
    # THEN every key it reports is in the raw zone, under the event's dataset and day
    assert reply["keys"]
    assert sorted(reply["keys"]) == raw_keys(aws_lake)
    assert all(key.startswith(f"raw/source=ercot/dataset={event['dataset']}/date=") for key in reply["keys"])
    assert reply["sources_used"].keys() == {"ercot-api"}
    assert len(reply["keys"]) == 6  # 29 series (LZ and LZEW for each zone) x 100 intervals = 2,900 rows, pages of 500
    # AND one manifest lists the day's pages, in order: the unit the validate service curates
    assert reply["manifests"] == manifest_keys(aws_lake)
    manifest = json.loads(aws_lake.get_object(Bucket=BUCKET, Key=reply["manifests"][0])["Body"].read())
    assert [member["key"] for member in manifest["members"]] == reply["keys"]
    assert manifest["covered_days"] == ["2024-11-03"]
    assert reply["retries"] >= 1  # the sample's occasional 429 went through the retry path


def test_rerunning_the_same_event_writes_nothing_new(aws_lake: Any, sample_api: SampleServer) -> None:
    handler = load_handler("fetch_ercot")
    event = {"dataset": "load_weather_zone", "start": "2024-11-02", "end": "2024-11-04"}
    first = handler.lambda_handler(event, FakeContext("energylake-fetch"))
    second = handler.lambda_handler(event, FakeContext("energylake-fetch"))
    assert second["written"] == 0
    assert second["unchanged"] == len(first["keys"])
    assert sorted(second["keys"]) == sorted(first["keys"]) == raw_keys(aws_lake)
    assert second["manifests"] == first["manifests"] == manifest_keys(aws_lake)  # no second manifest either


def test_fetch_weather_lands_one_reply_for_all_zones(aws_lake: Any, sample_api: SampleServer) -> None:
    event = json.loads((EVENTS / "fetch_weather.json").read_text())
    reply = load_handler("fetch_weather").lambda_handler(event, FakeContext("energylake-fetch"))
    assert reply["keys"] == raw_keys(aws_lake)
    assert all(key.startswith("raw/source=openmeteo/dataset=weather/") for key in reply["keys"])
    body = json.loads(aws_lake.get_object(Bucket=BUCKET, Key=reply["keys"][0])["Body"].read())
    assert isinstance(body, list) and len(body) == 8


@pytest.mark.parametrize(
    ("handler", "event", "named"),
    [
        ("fetch_ercot", {"dataset": "weather", "start": "2024-11-03", "end": "2024-11-03"}, "dataset"),
        ("fetch_ercot", {"dataset": "spp_rt", "start": "2024-11-31", "end": "2024-12-01"}, "start"),
        ("fetch_weather", {"start": "2024-11-03"}, "end"),
    ],
)
def test_a_bad_event_fails_naming_the_field_and_writes_nothing(
    aws_lake: Any, sample_api: SampleServer, handler: str, event: dict[str, str], named: str
) -> None:
    with pytest.raises(InvalidRequestError, match=named):
        load_handler(handler).lambda_handler(event, FakeContext("energylake-fetch"))
    assert lake_keys(aws_lake) == []
    assert sample_api.requests == []


def test_an_ercot_outage_fails_clearly_and_lands_nothing(aws_lake: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENERGYLAKE_HTTP_MAX_ATTEMPTS", "2")
    with respx.mock() as router:
        router.route().respond(503, text="Service Unavailable")
        with pytest.raises(FetchError, match="gave up after 2 attempts"):
            load_handler("fetch_ercot").lambda_handler(
                {"dataset": "spp_dam", "start": "2024-11-03", "end": "2024-11-03"}, FakeContext("energylake-fetch")
            )
    assert lake_keys(aws_lake) == []


def test_handler_emits_fetch_metrics(
    aws_lake: Any, sample_api: SampleServer, capsys: pytest.CaptureFixture[str]
) -> None:
    load_handler("fetch_ercot").lambda_handler(
        {"dataset": "spp_dam", "start": "2024-11-03", "end": "2024-11-03"}, FakeContext("energylake-fetch")
    )
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert emf, "no EMF metrics blob was printed"
    names = {m["Name"] for blob in emf for d in blob["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
    assert {"Requests", "Retries", "BytesReceived", "Rows", "ObjectsWritten"} <= names
    assert emf[0]["dataset"] == "spp_dam"


def test_every_sample_event_is_valid_for_its_function() -> None:
    from energylake.lambdas._shared import parse_event
    from energylake.lambdas.fetch_ercot import FetchErcotEvent
    from energylake.lambdas.fetch_weather import FetchWeatherEvent

    models = {"fetch_ercot": FetchErcotEvent, "fetch_weather": FetchWeatherEvent}
    events = sorted(Path(EVENTS).glob("fetch_*.json"))
    assert {path.stem for path in events} == set(models)
    for path in events:
        parse_event(json.loads(path.read_text()), models[path.stem])
