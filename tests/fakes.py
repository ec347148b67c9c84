"""Test doubles shared across test modules."""

from __future__ import annotations


class FakeClock:
    """A monotonic clock that only moves when the code under test sleeps (so no test waits for real)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
