"""The benchmarks' shared harness: a figure and its baseline, measured the same way in the same run, and their ratio.

    from harness import figure, measure, report, stopwatch

    timings = measure({"ours": stopwatch(ours), "pandas": stopwatch(pandas_way)}, runs=5)
    report(timings["ours"], timings["pandas"], max_ratio=0.5, rows=964_000)

:func:`measure` calls every probe ``warmup`` times unrecorded, then ``runs`` times, round-robin (one call of each
probe per round), so load elsewhere on the machine hits a figure and its baseline alike. A probe returns one sample
in the measurement's unit: :func:`stopwatch` makes a probe of a callable's wall-clock seconds (:func:`stopwatch_in`
keeps a per-call setup, such as a fresh lake, out of the clock); a probe may also return a figure it measured itself
(milliseconds reported by a child interpreter). :func:`figure` holds one figure that is not a timing (a size, a row
count, peak memory). :func:`report` prints a human line (extra fields on an indented second line) and one JSON line:

    {"name", "unit", "median", "min", "runs", "baseline", "baseline_median", "ratio",
     "max_ratio", "max_median", "verdict", ...extra fields}

``ratio`` is the median over the baseline's median; lower is better for every figure the benchmarks report. A
``max_ratio`` or ``max_median`` gives a verdict (PASS or FAIL) that informs and never changes the exit code.
Collect the JSON lines of every script with ``make bench | grep '^{'``.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
Probe = Callable[[], float]  # one sample, in the unit of the measurement it feeds


@dataclass(frozen=True)
class Measurement:
    """The samples of one named figure, in ``unit``."""

    name: str
    unit: str
    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return float(statistics.median(self.samples))

    @property
    def min(self) -> float:
        return min(self.samples)

    @property
    def runs(self) -> int:
        return len(self.samples)


def stopwatch(fn: Callable[[], object]) -> Probe:
    """A probe: the wall-clock seconds of one ``fn()`` call."""

    def probe() -> float:
        started = time.perf_counter()
        fn()
        return time.perf_counter() - started

    return probe


def stopwatch_in(setup: Callable[[], AbstractContextManager[T]], fn: Callable[[T], object]) -> Probe:
    """A probe: the wall-clock seconds of ``fn(value)`` inside a fresh ``with setup() as value`` whose entry and exit
    are not timed (a fresh lake, a fresh stack)."""

    def probe() -> float:
        with setup() as value:
            started = time.perf_counter()
            fn(value)
            return time.perf_counter() - started

    return probe


def measure(probes: Mapping[str, Probe], *, runs: int = 5, warmup: int = 1, unit: str = "s") -> dict[str, Measurement]:
    """Sample every probe ``warmup`` + ``runs`` times, round-robin; the warm-up rounds are not recorded."""
    if runs < 1 or warmup < 0:
        raise ValueError(f"need runs >= 1 and warmup >= 0, got runs={runs} warmup={warmup}")
    samples: dict[str, list[float]] = {name: [] for name in probes}
    for round_number in range(warmup + runs):
        for name, probe in probes.items():
            value = probe()
            if round_number >= warmup:
                samples[name].append(value)
    return {name: Measurement(name, unit, tuple(values)) for name, values in samples.items()}


def figure(name: str, value: float, unit: str) -> Measurement:
    """One figure that is not a timing (a size, a row count, peak memory), reported like a measurement."""
    return Measurement(name, unit, (float(value),))


def report(
    measurement: Measurement,
    baseline: Measurement | None = None,
    *,
    max_ratio: float | None = None,
    max_median: float | None = None,
    **extra: object,
) -> dict[str, object]:
    """Print ``measurement`` against ``baseline`` (a human line, then a JSON line); return the JSON fields."""
    ratio = measurement.median / baseline.median if baseline is not None and baseline.median else None
    checks = [ratio <= max_ratio] if max_ratio is not None and ratio is not None else []
    checks += [measurement.median <= max_median] if max_median is not None else []
    verdict = ("PASS" if all(checks) else "FAIL") if checks else None
    fields: dict[str, object] = {
        "name": measurement.name,
        "unit": measurement.unit,
        "median": _rounded(measurement.median),
        "min": _rounded(measurement.min),
        "runs": measurement.runs,
        "baseline": baseline.name if baseline is not None else None,
        "baseline_median": _rounded(baseline.median) if baseline is not None else None,
        "ratio": _rounded(ratio) if ratio is not None else None,
        "max_ratio": max_ratio,
        "max_median": max_median,
        "verdict": verdict,
        **extra,
    }
    unit = measurement.unit
    line = f"{measurement.name:<50} {_text(measurement.median):>9} {unit}"
    if measurement.runs > 1:
        line += f" (min {_text(measurement.min)}, {measurement.runs} runs)"
    if baseline is not None:
        line += f"  vs {baseline.name} {_text(baseline.median)} {baseline.unit}"
    if ratio is not None:
        line += f"  ratio {ratio:.2f}x"
    targets = [f"ratio <= {max_ratio:g}x"] if max_ratio is not None else []
    targets += [f"<= {max_median:g} {unit}"] if max_median is not None else []
    if targets:
        line += f"  [{', '.join(targets)}: {verdict}]"
    print(line.rstrip())
    if extra:
        print("    " + ", ".join(f"{key} {_text(value)}" for key, value in extra.items()))
    print(json.dumps(fields, default=str), flush=True)
    return fields


def _rounded(value: float) -> float:
    return value if value.is_integer() else float(f"{value:.6g}")


def _text(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float | dict):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key} {_text(item)}" for key, item in value.items()) + "}"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"
