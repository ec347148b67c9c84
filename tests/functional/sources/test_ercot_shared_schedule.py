"""On AWS the ERCOT client takes its request slots from the DynamoDB schedule every process shares (the table named by
ENERGYLAKE_ERCOT_RATE_LIMIT_TABLE, which template.yaml gives FetchErcotFunction): clients of one process and clients
of different processes (Lambdas) never send two requests in the same 2-second slot at 30 requests a minute. On moto's
DynamoDB; ERCOT is the scripted fake (httpx.MockTransport), and the wall clock moves only when a client sleeps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from itertools import pairwise
from typing import Any

import boto3
import httpx
import pytest
from moto import mock_aws

from energylake.errors import FetchError
from energylake.settings import Settings
from energylake.sources.ercot import ErcotClient
from energylake.window import Window
from tests.support.fake_ercot import FakeErcot, fetch_all, make_client, one_day, one_process, page, wall_clock
from tests.support.fakes import FakeClock

TABLE = "energylake-test-ercot-schedule"
SHARED = Settings(ercot_rate_limit_table=TABLE, ercot_requests_per_minute=30, ercot_page_size=1000)
ROW = [["HB_NORTH", 21.5]]


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto's DynamoDB with the schedule table as template.yaml declares it (key ``limiter``)."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "limiter", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "limiter", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def scheduled_client(fake: FakeErcot, clock: FakeClock, transport: httpx.MockTransport, **settings: Any) -> ErcotClient:
    """A client whose wall clock (the schedule's epoch slots) moves with ``clock`` from the fake's FIXED_NOW."""
    client, _ = make_client(
        fake, settings=SHARED.model_copy(update=settings), clock=clock, now=wall_clock(clock), transport=transport
    )
    return client


def gaps(fake: FakeErcot) -> list[float]:
    return [later - earlier for earlier, later in pairwise(fake.seen_at)]


def test_two_clients_of_one_process_take_their_slots_from_the_table(dynamodb: Any) -> None:
    # GIVEN two clients of one process, the table set
    fake, clock = FakeErcot(api_default=page(ROW)), FakeClock()
    transport, now = one_process(fake), wall_clock(clock)
    first, second = (scheduled_client(fake, clock, transport) for _ in range(2))
    # WHEN they fetch one after the other (a token and 3 days, then 3 days)
    fetch_all(first, "spp_rt", Window.parse("2024-11-01", "2024-11-03"))
    fetch_all(second, "spp_rt", Window.parse("2024-11-02", "2024-11-04"))
    # THEN the seven requests went one slot (2 s) apart: never two in a slot, 30 a minute at most
    assert len(fake.seen) == 7
    assert gaps(fake) == [pytest.approx(2.0)] * 6
    # AND the schedule's item names the next free slot
    item = dynamodb.get_item(TableName=TABLE, Key={"limiter": {"S": "ercot"}})["Item"]
    last_request_at = now() - dt.timedelta(seconds=clock() - fake.seen_at[-1])
    assert int(item["next_slot_ms"]["N"]) == int((last_request_at.timestamp() + 2) * 1000)


def test_two_processes_never_send_in_the_same_slot(dynamodb: Any) -> None:
    # GIVEN two Lambdas (two processes: each its own transport, token and DynamoDB client) on one wall clock
    fake, clock = FakeErcot(api_default=page(ROW)), FakeClock()
    lambdas = [scheduled_client(fake, clock, one_process(fake)) for _ in range(2)]
    # WHEN they fetch days in turn, each asking as soon as the other is done
    for day in ("2024-11-01", "2024-11-02", "2024-11-03"):
        for client in lambdas:
            fetch_all(client, "spp_rt", one_day(day))
    # THEN every request (2 tokens, 6 pages) has a slot of its own, 2 s after the one before
    assert len(fake.seen) == 8
    assert min(gaps(fake)) == pytest.approx(2.0)
    assert fake.seen_at[-1] - fake.seen_at[0] == pytest.approx(14.0)


def test_a_missing_table_is_a_fetch_error_naming_it_and_nothing_is_sent(dynamodb: Any) -> None:
    fake, clock = FakeErcot(api_default=page(ROW)), FakeClock()
    client = scheduled_client(fake, clock, one_process(fake), ercot_rate_limit_table="no-such-table")
    with pytest.raises(FetchError, match=r"DynamoDB table 'no-such-table'.*ENERGYLAKE_ERCOT_RATE_LIMIT_TABLE"):
        fetch_all(client, "spp_rt", one_day())
    assert fake.seen == []
