"""The sample's column arithmetic (energylake.sample.columns) and the forecast factors worked out for many postings
at once (energylake.sample.world): the vectorised form equals the one-row definition bit for bit, and the rounded
figures print as short decimals. The world's generator changed to vectorised noise (issue 16)."""

from __future__ import annotations

import datetime as dt
import struct

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from energylake.sample import world
from energylake.sample.columns import add_in_order, round_cents
from energylake.timeconv import local_day_bounds_utc

SEED = 20241103
HOUR = dt.timedelta(hours=1)


def bits(values: list[float]) -> list[bytes]:
    """Each float's 8 bytes: equality that tells -0.0 from 0.0."""
    return [struct.pack(">d", value) for value in values]


@given(st.lists(st.floats(min_value=-1e7, max_value=1e7, allow_nan=False), min_size=1, max_size=300))
def test_round_cents_gives_the_nearest_cent_printed_as_a_short_decimal(values: list[float]) -> None:
    # GIVEN any finite values in the range of MW and USD
    # WHEN they are rounded a column at a time
    rounded = round_cents(np.array(values)).tolist()
    for value, cents in zip(values, rounded, strict=True):
        # THEN each is within half a cent (and a rounding error) of the value
        assert abs(cents - value) <= 0.005 + 1e-9 * max(1.0, abs(value))
        # AND prints with at most two decimals, never as -0.0
        assert len(repr(cents).partition(".")[2]) <= 2, repr(cents)
        assert repr(cents) != "-0.0"


def test_add_in_order_adds_each_row_left_to_right_like_python() -> None:
    # GIVEN rows whose sum depends on the order of the additions
    rows = [[1e16, 1.0, -1e16, 0.5], [0.1, 0.2, 0.3, 0.4], [1e-3, 2e-3, 3e-3, 1e10]]
    # WHEN summed by columns
    totals = add_in_order(np.array(rows)).tolist()
    # THEN each total is Python's left-to-right sum, bit for bit
    assert bits(totals) == bits([sum(row) for row in rows])


def _posting_hours(posted: dt.datetime) -> list[dt.datetime]:
    """A week of delivery hours from the posting's hour, like a load forecast posting covers."""
    return [posted.replace(minute=0) + index * HOUR for index in range(-3, 24 * 8)]


POSTINGS = [
    dt.datetime(2024, 11, 3, 6, 30, tzinfo=dt.UTC),  # the fall-back night (Central 01:30 CDT)
    local_day_bounds_utc(dt.date(2024, 3, 10))[0] + dt.timedelta(hours=2, minutes=30),  # spring forward
    dt.datetime(2024, 7, 15, 17, 55, tzinfo=dt.UTC),
]


def _coordinates(posted: dt.datetime, hours: list[dt.datetime]) -> tuple[np.ndarray, np.ndarray]:
    minutes = np.full(len(hours), world.utc_minutes(posted), np.int64)
    return minutes, np.array([world.utc_hours(hour) for hour in hours], np.int64)


@pytest.mark.parametrize("posted", POSTINGS, ids=lambda posted: posted.isoformat())
@pytest.mark.parametrize("model", ["A3", "E", "M"])
def test_load_forecast_factors_of_a_whole_posting_equal_the_one_row_definition(posted: dt.datetime, model: str) -> None:
    # GIVEN one posting's delivery hours (before and after it, across UTC dates) and eight zones
    hours = _posting_hours(posted)
    # WHEN its factors are worked out at once
    factors = world.load_forecast_factors(SEED, model, *_coordinates(posted, hours), 8)
    # THEN each hour's factors are load_forecast_factor's, bit for bit
    for position, delivery in enumerate(hours):
        expected = world.load_forecast_factor(SEED, model, posted, delivery, 8)
        assert bits(factors[position].tolist()) == bits(expected), delivery


@pytest.mark.parametrize("posted", POSTINGS, ids=lambda posted: posted.isoformat())
@pytest.mark.parametrize("kind", ["wind", "solar"])
def test_renewable_forecast_factors_of_a_whole_posting_equal_the_one_row_definition(
    posted: dt.datetime, kind: str
) -> None:
    # GIVEN one posting's delivery hours
    hours = _posting_hours(posted)
    # WHEN its factors are worked out at once (floored at zero)
    factors = world.renewable_forecast_factors(SEED, kind, *_coordinates(posted, hours), 3)
    # THEN each hour's factors are renewable_forecast_factor's, bit for bit, and none is negative
    assert (factors >= 0.0).all()
    for position, delivery in enumerate(hours):
        expected = world.renewable_forecast_factor(SEED, kind, posted, delivery, 3)
        assert bits(factors[position].tolist()) == bits(expected), delivery
