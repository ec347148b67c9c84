"""Column arithmetic for the sample's forecast postings: a posting's numbers worked out a column at a time with
``pyarrow.compute``, equal bit for bit to the per-row Python of :mod:`energylake.sample.world` (so the bytes the
sample serves do not change, see ``tests/unit/sample/test_sample_digest.py``).

Why it is exact: IEEE-754 addition, multiplication, division and square root are correctly rounded in Arrow as in
Python, and each expression keeps Python's operation order (only the operands of a single ``+`` or ``*`` swap
sides, which IEEE arithmetic allows). Python's ``round(x, 2)`` is the double nearest the decimal rounding of x's
exact value; :func:`round_cents` gets the same from ``rint(x * 100) / 100`` wherever ``x * 100`` lies clearly off
a half cent, and asks Python's ``round`` for the few values that do not (and for negatives, whose zero sign Arrow
may drop). Only the local sample imports this (pyarrow is in the ``local`` extra).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

_WORD = 2**32
# |x * 100 - (k + 0.5)| below this goes to Python's round. It must exceed the rounding error of x * 100, at most half
# an ulp: below _EXACT_LIMIT (x up to ~4 * 10^7; the sample's MW and USD stay under 10^6) that is 2^-21 < 10^-6.
# Larger values all go to Python's round.
_HALF_CENT_MARGIN = 1e-6
_EXACT_LIMIT = 2.0**32


def round_cents(values: pa.DoubleArray) -> pa.DoubleArray:
    """``round(value, 2)`` of every value, bit for bit as Python rounds (zeros keep their sign)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    scaled = pc.multiply(values, 100.0)
    rounded = pc.divide(pc.round(scaled, ndigits=0, round_mode="half_to_even"), 100.0)
    off_half = pc.abs(pc.subtract(pc.subtract(scaled, pc.floor(scaled)), 0.5))
    doubtful = pc.or_(
        pc.or_(pc.less(off_half, _HALF_CENT_MARGIN), pc.greater(pc.abs(scaled), _EXACT_LIMIT)),
        pc.less(values, 0.0),
    )
    rounded = pc.if_else(pc.equal(values, 0.0), values, rounded)  # round(-0.0, 2) is -0.0
    if not pc.any(doubtful).as_py():
        return rounded
    patched = rounded.to_pylist()
    originals = values.to_pylist()
    for index in pc.indices_nonzero(doubtful).to_pylist():
        patched[index] = round(originals[index], 2)
    return pa.array(patched, pa.float64())


def add_in_order(columns: Sequence[pa.DoubleArray]) -> pa.DoubleArray:
    """``sum(row)`` of rows laid out as columns: Python's left-to-right sum (``0 + a`` is ``a`` for these values)."""
    import pyarrow.compute as pc

    total = columns[0]
    for column in columns[1:]:
        total = pc.add(total, column)
    return total


@functools.lru_cache(maxsize=64)
def _transpose(rows: int, count: int) -> pa.Int64Array:
    """Take-indices turning ``rows`` x ``count`` row-major values into ``count`` blocks of ``rows``."""
    import pyarrow as pa

    return pa.array([row * count + column for column in range(count) for row in range(rows)], pa.int64())


def forecast_factors(
    words: list[int],
    count: int,
    *,
    base: float,
    sigmas: list[float],
    shared: list[float],
    weight: float,
    floor_at_zero: bool,
) -> pa.DoubleArray:
    """``base + sigma * (shared + weight * (2.0 * (word / 2**32) - 1.0))`` per word (floored at 0 when asked, as
    ``max(0.0, ...)``), as ``count`` blocks of one value per row: ``words`` holds ``count`` words per row, row
    after row, ``sigmas`` and ``shared`` one value per row (:class:`energylake.sample.world.ForecastDraws`)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = len(sigmas)
    by_column = pc.take(pa.array(words, pa.float64()), _transpose(rows, count))
    unit = pc.divide(by_column, float(_WORD))
    noise = pc.multiply(pc.subtract(pc.multiply(unit, 2.0), 1.0), weight)
    spread = pc.multiply(pa.array(sigmas * count, pa.float64()), pc.add(pa.array(shared * count, pa.float64()), noise))
    factors = pc.add(spread, base)
    return pc.max_element_wise(factors, 0.0) if floor_at_zero else factors


def blocks(values: pa.DoubleArray, count: int) -> list[pa.DoubleArray]:
    """The ``count`` equal blocks of a column-block array (zero-copy slices)."""
    size = len(values) // count
    return [values.slice(index * size, size) for index in range(count)]
