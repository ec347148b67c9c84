"""One request budget shared by every process that calls a source: a slot schedule in a DynamoDB item.

ERCOT allows 30 requests a minute per subscription key, and on AWS several functions may fetch at once (a real-time
run, the daily run, a backfill chunk). Reserving a concurrency of 1 for the fetch function kept them apart, but Lambda
refuses reservations below an account's unreserved minimum, so the stack failed to deploy on new accounts. Instead,
every caller takes the next free **slot** from one DynamoDB item (``next_slot_ms``: the earliest instant the next
request may go) and sleeps until its slot: requests from all callers go at most one per ``60 / per_minute`` seconds,
overlapping runs wait their turn instead of failing, and nothing needs a reservation.

Taking a slot is one conditional ``UpdateItem`` (the item's old value says when to go), two when the schedule is
idle; the table needs no other item and no index. The in-process :class:`~energylake.sources.http.RateLimiter` stays
the default for local runs (one process).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from energylake.errors import FetchError

_KEY = "limiter"


class SharedRateLimiter:
    """At most ``per_minute`` requests a minute across every process using the item ``name`` of ``table``."""

    def __init__(
        self,
        table: str,
        name: str,
        per_minute: float,
        *,
        dynamodb: Any | None = None,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._table = table
        self._name = name
        # rounded up: never more than per_minute slots in any minute
        self._interval_ms = math.ceil(60_000 / per_minute)
        self._dynamodb = dynamodb
        self._wall_clock = wall_clock  # epoch seconds: every caller, on every machine, reads the same schedule
        self._sleep = sleep

    @property
    def dynamodb(self) -> Any:
        if self._dynamodb is None:
            import boto3  # only AWS runs use the shared budget

            self._dynamodb = boto3.client("dynamodb")
        return self._dynamodb

    def acquire(self) -> float:
        """Take the next slot and sleep until it comes; returns the seconds waited."""
        now_ms = int(self._wall_clock() * 1000)
        slot_ms = self._take_slot(now_ms)
        wait = max(0.0, (slot_ms - now_ms) / 1000)
        if wait:
            self._sleep(wait)
        return wait

    def _take_slot(self, now_ms: int) -> int:
        """The instant (epoch ms) this caller may send at; the item then names the slot after it."""
        client = self.dynamodb
        key = {_KEY: {"S": self._name}}
        try:
            # An idle schedule (no item, or a slot already past): go now, and the next caller one interval later.
            client.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression="SET next_slot_ms = :next",
                ConditionExpression="attribute_not_exists(next_slot_ms) OR next_slot_ms <= :now",
                ExpressionAttributeValues={":now": {"N": str(now_ms)}, ":next": {"N": str(now_ms + self._interval_ms)}},
            )
            return now_ms
        except client.exceptions.ConditionalCheckFailedException:
            pass
        except Exception as exc:  # botocore's ClientError family: name the table and the code, never retry forever
            raise self._error(exc) from exc
        try:
            # A busy schedule: take the slot it names, and move it one interval on (atomic: no two callers share one).
            reply = client.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression="SET next_slot_ms = next_slot_ms + :interval",
                ExpressionAttributeValues={":interval": {"N": str(self._interval_ms)}},
                ReturnValues="UPDATED_OLD",
            )
        except Exception as exc:
            raise self._error(exc) from exc
        return int(reply["Attributes"]["next_slot_ms"]["N"])

    def _error(self, exc: Exception) -> FetchError:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)
        return FetchError(
            f"the shared request budget in DynamoDB table {self._table!r} could not be read ({code}): check the "
            "table (ENERGYLAKE_ERCOT_RATE_LIMIT_TABLE) and the function's dynamodb:UpdateItem permission",
            request=f"dynamodb:UpdateItem {self._table}/{self._name}",
        )
