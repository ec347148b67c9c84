"""The dashboard's least-squares fit: a hinge (two lines meeting at the balance point) of load against temperature."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from energylake.contracts.schemas import DEGREE_BASE_C


def _solve(matrix: list[list[float]], rhs: list[float]) -> list[float] | None:
    """Gaussian elimination with partial pivoting; None when singular."""
    n = len(rhs)
    a = [[*row, rhs[i]] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        if abs(a[pivot][col]) < 1e-9:
            return None
        a[col], a[pivot] = a[pivot], a[col]
        for r in range(n):
            if r != col:
                factor = a[r][col] / a[col][col]
                a[r] = [x - factor * y for x, y in zip(a[r], a[col], strict=True)]
    return [a[i][n] / a[i][i] for i in range(n)]


@dataclass(frozen=True)
class HingeFit:
    """load = base + cooling x max(0, T - balance) + heating x max(0, balance - T) (least squares)."""

    base: float
    cooling: float | None  # MW per °C above the balance point (None: no hours there to fit)
    heating: float | None  # MW per °C below it
    r2: float | None

    def __call__(self, t: float) -> float:
        return (
            self.base
            + (self.cooling or 0.0) * max(0.0, t - DEGREE_BASE_C)
            + (self.heating or 0.0) * max(0.0, DEGREE_BASE_C - t)
        )


def hinge_fit(
    points: Sequence[tuple[float, float]], balance: float = DEGREE_BASE_C, min_side: int = 3
) -> HingeFit | None:
    """Fit the two-slope degree-hour model to (temperature, load) points; None with fewer than 3 points."""
    if len(points) < 3:
        return None
    above = sum(1 for t, _ in points if t > balance) >= min_side
    below = sum(1 for t, _ in points if t < balance) >= min_side
    features: list[Callable[[float], float]] = [lambda t: 1.0]
    if above:
        features.append(lambda t: max(0.0, t - balance))
    if below:
        features.append(lambda t: max(0.0, balance - t))
    xs = [[f(t) for f in features] for t, _ in points]
    ys = [y for _, y in points]
    k = len(features)
    xtx = [[sum(row[i] * row[j] for row in xs) for j in range(k)] for i in range(k)]
    xty = [sum(row[i] * y for row, y in zip(xs, ys, strict=True)) for i in range(k)]
    coef = _solve(xtx, xty)
    if coef is None:
        return None
    cooling = coef[1] if above else None
    heating = coef[-1] if below else None
    fit = HingeFit(coef[0], cooling, heating, None)
    mean = sum(ys) / len(ys)
    sst = sum((y - mean) ** 2 for y in ys)
    sse = sum((y - fit(t)) ** 2 for t, y in points)
    return HingeFit(coef[0], cooling, heating, 1 - sse / sst if sst > 0 else None)
