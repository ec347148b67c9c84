"""The sample's column arithmetic (energylake.sample.columns) equals the per-row Python it replaces, bit for bit:
Python's round(x, 2) on any value, including half-cent ties, negatives and signed zeros, and the forecast factors
of world.load_forecast_factor / world.renewable_forecast_factor for every hour of real postings (DST days too)."""

from __future__ import annotations

import datetime as dt
import math
import struct

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from energylake.sample import world
from energylake.sample.columns import blocks, forecast_factors, round_cents
from energylake.timeconv import local_day_bounds_utc

SEED = 20241103
HOUR = dt.timedelta(hours=1)


def bits(values: list[float]) -> list[bytes]:
    """Each float's 8 bytes: equality that tells -0.0 from 0.0."""
    return [struct.pack(">d", value) for value in values]


def python_rounded(values: list[float]) -> list[float]:
    return [round(value, 2) for value in values]


# Ties and near-ties of a half cent, in binary: x.xx5 written in decimal is never exact, its neighbours are.
HALF_CENTS = [k / 100 + 0.005 for k in range(-3000, 3000)] + [k + 0.125 for k in range(-50, 50)]
NEAR_HALF_CENTS = [math.nextafter(value, direction) for value in HALF_CENTS for direction in (-math.inf, math.inf)]


def test_round_cents_equals_python_round_at_and_around_every_half_cent() -> None:
    # GIVEN values on and one ulp either side of half cents (where rint(x * 100) / 100 alone could differ)
    values = HALF_CENTS + NEAR_HALF_CENTS + [0.0, -0.0, -0.001, 0.004999, 84_999.995, 1e9 + 0.005]
    # WHEN they are rounded a column at a time
    rounded = round_cents(pa.array(values, pa.float64())).to_pylist()
    # THEN every bit equals Python's round(x, 2), the sign of zero included
    assert bits(rounded) == bits(python_rounded(values))


@given(st.lists(st.floats(min_value=-1e7, max_value=1e7, allow_nan=False), min_size=1, max_size=300))
def test_round_cents_equals_python_round_on_any_list(values: list[float]) -> None:
    # GIVEN any finite values in the range of MW and USD (WHEN rounded by columns) THEN Python's round, bit for bit
    assert bits(round_cents(pa.array(values, pa.float64())).to_pylist()) == bits(python_rounded(values))


@given(st.lists(st.floats(min_value=1e9, max_value=1e300, allow_nan=False), min_size=1, max_size=50))
def test_round_cents_leaves_values_too_large_for_its_shortcut_to_python(values: list[float]) -> None:
    # GIVEN values whose x * 100 is too coarse for rint to decide (WHEN rounded) THEN still exactly Python's round
    assert bits(round_cents(pa.array(values, pa.float64())).to_pylist()) == bits(python_rounded(values))


def _posting_hours(posted: dt.datetime) -> list[dt.datetime]:
    """A week of delivery hours from the posting's hour, like a load forecast posting covers."""
    return [posted.replace(minute=0) + index * HOUR for index in range(-3, 24 * 8)]


POSTINGS = [
    dt.datetime(2024, 11, 3, 6, 30, tzinfo=dt.UTC),  # the fall-back night (Central 01:30 CDT)
    local_day_bounds_utc(dt.date(2024, 3, 10))[0] + dt.timedelta(hours=2, minutes=30),  # spring forward
    dt.datetime(2024, 7, 15, 17, 55, tzinfo=dt.UTC),
]


@pytest.mark.parametrize("posted", POSTINGS, ids=lambda posted: posted.isoformat())
@pytest.mark.parametrize("model", ["A3", "E", "M"])
def test_load_forecast_factors_by_columns_equal_the_per_row_function(posted: dt.datetime, model: str) -> None:
    # GIVEN one posting's delivery hours (before and after it, across UTC dates) and eight zones
    hours = _posting_hours(posted)
    draws = world.load_forecast_draws(SEED, model, posted, hours, 8)
    # WHEN its factors are worked out as columns
    factors = forecast_factors(
        draws.words,
        8,
        base=world.load_forecast_base(model),
        sigmas=draws.sigmas,
        shared=draws.shared,
        weight=world.LOAD_FORECAST_NOISE,
        floor_at_zero=False,
    )
    by_zone = [block.to_pylist() for block in blocks(factors, 8)]
    # THEN each hour's factors are load_forecast_factor's, bit for bit
    for position, delivery in enumerate(hours):
        expected = world.load_forecast_factor(SEED, model, posted, delivery, 8)
        assert bits([zone[position] for zone in by_zone]) == bits(expected), delivery


@pytest.mark.parametrize("posted", POSTINGS, ids=lambda posted: posted.isoformat())
@pytest.mark.parametrize(("kind", "count"), [("wind", 3), ("solar", 3)])
def test_renewable_forecast_factors_by_columns_equal_the_per_row_function(
    posted: dt.datetime, kind: str, count: int
) -> None:
    # GIVEN one posting's delivery hours
    hours = _posting_hours(posted)
    draws = world.renewable_forecast_draws(SEED, kind, posted, hours, count)
    # WHEN its factors are worked out as columns (floored at zero, as max(0.0, ...))
    factors = forecast_factors(
        draws.words,
        count,
        base=1.0,
        sigmas=draws.sigmas,
        shared=draws.shared,
        weight=world.RENEWABLE_FORECAST_NOISE,
        floor_at_zero=True,
    )
    by_column = [block.to_pylist() for block in blocks(factors, count)]
    # THEN each hour's factors are renewable_forecast_factor's, bit for bit
    for position, delivery in enumerate(hours):
        expected = world.renewable_forecast_factor(SEED, kind, posted, delivery, count)
        assert bits([column[position] for column in by_column]) == bits(expected), delivery
