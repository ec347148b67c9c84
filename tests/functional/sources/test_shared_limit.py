"""The shared request budget (a slot schedule in DynamoDB) keeps every caller together under ERCOT's 30 requests a
minute, with no Lambda concurrency reservation: overlapping callers wait their turn instead of failing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from energylake.errors import FetchError
from energylake.sources.shared_limit import SharedRateLimiter

TABLE = "energylake-test-rate-limit"
START = 1_730_600_000.0  # epoch seconds


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "limiter", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "limiter", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


class Clock:
    """A wall clock that moves only when someone sleeps on it (each caller's own sleeps, here)."""

    def __init__(self, now: float) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def test_two_callers_share_one_schedule_of_two_second_slots(dynamodb: Any) -> None:
    # GIVEN two processes (two limiters) at 30 requests a minute on one table, both asking at the same instant
    clock = Clock(START)
    first = SharedRateLimiter(TABLE, "ercot", 30, dynamodb=dynamodb, wall_clock=clock, sleep=clock.sleep)
    second = SharedRateLimiter(TABLE, "ercot", 30, dynamodb=dynamodb, wall_clock=clock, sleep=clock.sleep)
    # WHEN they take six requests, alternating
    waits = [limiter.acquire() for limiter in (first, second) * 3]
    # THEN the requests are spaced two seconds apart whoever sends them: the first goes at once
    assert waits == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]


def test_an_idle_schedule_lets_the_next_request_go_at_once(dynamodb: Any) -> None:
    clock = Clock(START)
    limiter = SharedRateLimiter(TABLE, "ercot", 30, dynamodb=dynamodb, wall_clock=clock, sleep=clock.sleep)
    assert [limiter.acquire(), limiter.acquire()] == [0.0, 2.0]
    # GIVEN a minute without requests WHEN one comes THEN it waits for nothing (no burst debt, no stale slot)
    clock.now += 60
    assert limiter.acquire() == 0.0
    assert limiter.acquire() == 2.0


def test_each_source_has_its_own_schedule(dynamodb: Any) -> None:
    clock = Clock(START)
    ercot = SharedRateLimiter(TABLE, "ercot", 30, dynamodb=dynamodb, wall_clock=clock, sleep=clock.sleep)
    other = SharedRateLimiter(TABLE, "other", 30, dynamodb=dynamodb, wall_clock=clock, sleep=clock.sleep)
    assert [ercot.acquire(), other.acquire(), ercot.acquire()] == [0.0, 0.0, 2.0]


class ItemSerializedClient:
    """DynamoDB applies the writes to one item one at a time (an UpdateItem is atomic); moto in-process does not
    (two threads can read the same old value), so the threads' calls go through one lock, as on DynamoDB."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()
        self.exceptions = client.exceptions

    def update_item(self, **kwargs: Any) -> Any:
        with self._lock:
            return self._client.update_item(**kwargs)


def test_concurrent_callers_never_share_a_slot(dynamodb: Any) -> None:
    # GIVEN eight threads asking at the same instant
    clock = Clock(START)
    waits: list[float] = []
    lock = threading.Lock()
    serialized = ItemSerializedClient(dynamodb)

    def take() -> None:
        limiter = SharedRateLimiter(TABLE, "ercot", 30, dynamodb=serialized, wall_clock=clock, sleep=clock.sleep)
        wait = limiter.acquire()
        with lock:
            waits.append(wait)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # THEN each got its own slot, two seconds apart
    assert sorted(waits) == [2.0 * n for n in range(8)]


def test_a_missing_table_is_a_fetch_error_naming_it(dynamodb: Any) -> None:
    limiter = SharedRateLimiter("no-such-table", "ercot", 30, dynamodb=dynamodb, wall_clock=Clock(START))
    with pytest.raises(FetchError, match="DynamoDB table 'no-such-table' could not be read"):
        limiter.acquire()
