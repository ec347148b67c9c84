"""The sample world's vectorised noise: a counter-based generator, so whole days, zones and postings draw at once.

A draw is a pure function of a stream key and integer coordinates (a UTC minute, an hour, a zone's index ...): the
key is a 64-bit hash of the stream's name parts (``blake2b`` of their ``repr``, once per stream), and each coordinate
is folded in with SplitMix64's finaliser, a bijective mixer with full avalanche. numpy's ``uint64`` arithmetic wraps
modulo 2**64 on every platform, so the same stream and coordinates give the same bits on any machine and run, and any
array shapes broadcast (one call draws a posting's every hour and zone). No global random state.
"""

from __future__ import annotations

import functools
import hashlib

import numpy as np
import numpy.typing as npt

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MULTIPLY_1 = np.uint64(0xBF58476D1CE4E5B9)
_MULTIPLY_2 = np.uint64(0x94D049BB133111EB)
_SHIFTS = (np.uint64(30), np.uint64(27), np.uint64(31))
_MANTISSA_SHIFT = np.uint64(11)  # the top 53 bits make a double in [0, 1)
_UNIT = 2.0**-53

Coordinate = int | npt.NDArray[np.int64]


@functools.cache
def key(*parts: object) -> int:
    """The 64-bit key of a stream named by ``parts`` (stable across processes: a hash of their ``repr``)."""
    return int.from_bytes(hashlib.blake2b(repr(parts).encode(), digest_size=8).digest(), "big")


def _mix(values: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """SplitMix64's step and finaliser (Steele, Lea and Flood 2014), element-wise."""
    z = values + _GOLDEN
    z = (z ^ (z >> _SHIFTS[0])) * _MULTIPLY_1
    z = (z ^ (z >> _SHIFTS[1])) * _MULTIPLY_2
    return z ^ (z >> _SHIFTS[2])


def words(stream: int, *coordinates: Coordinate) -> npt.NDArray[np.uint64]:
    """64 random bits per element of the broadcast ``coordinates`` (at least one array of dimension >= 1)."""
    state = np.array([stream], dtype=np.uint64)
    for coordinate in coordinates:
        state = _mix(state ^ np.asarray(coordinate, dtype=np.int64).astype(np.uint64))
    return state


def uniform(stream: int, *coordinates: Coordinate) -> npt.NDArray[np.float64]:
    """Uniform in [0, 1), one per element of the broadcast ``coordinates``."""
    return (words(stream, *coordinates) >> _MANTISSA_SHIFT).astype(np.float64) * _UNIT


def signed(stream: int, *coordinates: Coordinate) -> npt.NDArray[np.float64]:
    """Uniform in [-1, 1), one per element of the broadcast ``coordinates``."""
    return 2.0 * uniform(stream, *coordinates) - 1.0
