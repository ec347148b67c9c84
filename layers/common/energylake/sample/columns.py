"""Column arithmetic for the sample's forecast postings: every row of many postings at once, as numpy arrays
(:mod:`energylake.sample.ercot_reports`). Only the local sample imports this (numpy is in the ``local`` extra)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


def round_cents(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Every value to the cent (half to even on the scaled value; ``k / 100`` is the double nearest the decimal, so
    each prints as its short decimal). Zeros lose their sign: a report never says ``-0.0``."""
    import numpy as np

    rounded: npt.NDArray[np.float64] = np.round(values, 2) + 0.0
    return rounded


def add_in_order(columns: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The sum of each row of a (rows, columns) array, added left to right (the same bits on any machine: no
    pairwise or vectorised re-association of a reduction)."""
    total = columns[:, 0].copy()
    for index in range(1, columns.shape[1]):
        total += columns[:, index]
    return total
