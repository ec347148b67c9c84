"""The runs path of the vectorised conversions (energylake.timeconv.runs, sorted input with few distinct labels)
against the per-row array path: same values, same first bad row."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from energylake.contracts.schemas import UTC_TIMESTAMP
from energylake.timeconv import (
    AmbiguousLocalTime,
    LocalTimeError,
    NonexistentLocalTime,
    hour_ending_labels,
    hour_ending_starts_utc,
    quarter_hour_interval_utc,
    quarter_hour_labels,
    quarter_hour_starts_utc,
)
from tests.support.dst_days import FALL, PLAIN, SPRING

# --- runs path (sorted input, few distinct labels) against the per-row array path ------------------------------


def _force_array_path(monkeypatch: pytest.MonkeyPatch) -> None:
    from energylake import arrow

    monkeypatch.setattr(arrow, "_RUNS_MIN_LIMIT", 0)
    monkeypatch.setattr(arrow, "_RUNS_ROWS_PER_RUN", 10**12)


def _sorted_quarter_rows(days: list[dt.date], points: int) -> tuple[list[dt.date], list[int], list[int], list[bool]]:
    cols: tuple[list[dt.date], list[int], list[int], list[bool]] = ([], [], [], [])
    for day in days:
        for hour, interval, repeated in quarter_hour_labels(day):
            for _ in range(points):
                for column, value in zip(cols, (day, hour, interval, repeated), strict=True):
                    column.append(value)  # type: ignore[attr-defined]
    return cols


@pytest.mark.parametrize("form", ["native", "strings", "chunked"])
def test_quarter_hour_runs_path_equals_array_path(form: str, monkeypatch: pytest.MonkeyPatch) -> None:
    days, hours, intervals, flags = _sorted_quarter_rows([SPRING, PLAIN, FALL, FALL + dt.timedelta(days=1)], 20)
    if form == "strings":
        arrays = [
            pa.array([f"{d:%m/%d/%Y}" for d in days]),
            pa.array([f"{h:02d}" for h in hours]),
            pa.array([str(i) for i in intervals]),
            pa.array(["Y" if f else "N" for f in flags]),
        ]
    else:
        arrays = [pa.array(days, pa.date32()), pa.array(hours), pa.array(intervals), pa.array(flags)]
    if form == "chunked":
        arrays = [pa.chunked_array([a.slice(0, 1001), a.slice(1001, 3000), a.slice(4001)]) for a in arrays]
    by_runs = quarter_hour_starts_utc(*arrays)
    _force_array_path(monkeypatch)
    by_rows = quarter_hour_starts_utc(*arrays)
    assert by_runs.equals(by_rows)
    assert by_runs.type == UTC_TIMESTAMP
    expected = [
        quarter_hour_interval_utc(d, h, i, f)[0] for d, h, i, f in zip(days, hours, intervals, flags, strict=True)
    ]
    assert by_runs.to_pylist() == expected


@pytest.mark.parametrize("sequential", [False, True])
def test_hour_ending_runs_path_equals_array_path(sequential: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    days: list[dt.date] = []
    hours: list[int] = []
    flags: list[bool | None] = []
    for day in (SPRING, PLAIN, FALL):
        labels = hour_ending_labels(day)
        for number, label in enumerate(labels, start=1):
            for _ in range(30):
                days.append(day)
                hours.append(number if sequential else label.hour)
                flags.append(None if sequential else label.repeated)
    arrays = (pa.array(days, pa.date32()), pa.array(hours), None if sequential else pa.array(flags, pa.bool_()))
    by_runs = hour_ending_starts_utc(*arrays, sequential=sequential)
    _force_array_path(monkeypatch)
    assert by_runs.equals(hour_ending_starts_utc(*arrays, sequential=sequential))


@pytest.mark.parametrize(
    ("bad_hour", "bad_interval", "bad_flag", "error"),
    [
        ("03", "1", "N", NonexistentLocalTime),  # spring-forward gap
        ("02", "1", None, AmbiguousLocalTime),  # fall-back repeat without a flag (on FALL)
        ("x", "1", "N", LocalTimeError),
        ("05", "9", "N", LocalTimeError),
        ("05", "1", "Q", LocalTimeError),
        ("05", "1", "Y", LocalTimeError),  # Y on an hour that does not repeat
        (None, "1", "N", LocalTimeError),
    ],
)
def test_runs_path_names_the_same_first_bad_row_as_the_array_path(
    bad_hour: str | None,
    bad_interval: str,
    bad_flag: str | None,
    error: type[LocalTimeError],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    day = FALL if error is AmbiguousLocalTime else SPRING
    days = [f"{day:%m/%d/%Y}"] * 3000
    hours: list[str | None] = ["01"] * 3000
    intervals = ["1"] * 3000
    flags: list[str | None] = ["N"] * 3000
    for row in (1700, 2500):  # two bad rows: the first one is named
        hours[row], intervals[row], flags[row] = bad_hour, bad_interval, bad_flag
    arrays = [pa.array(days), pa.array(hours, pa.string()), pa.array(intervals), pa.array(flags, pa.string())]
    with pytest.raises(error) as by_runs:
        quarter_hour_starts_utc(*arrays)
    _force_array_path(monkeypatch)
    with pytest.raises(error) as by_rows:
        quarter_hour_starts_utc(*arrays)
    assert (by_runs.value.row, str(by_runs.value)) == (by_rows.value.row, str(by_rows.value))
    assert by_runs.value.row == 1700


def test_unsorted_input_takes_the_array_path_and_agrees() -> None:
    # every row differs from the previous one: too many runs, the per-row array path answers
    days, hours, intervals, flags = _sorted_quarter_rows([FALL + dt.timedelta(days=n) for n in range(-2, 3)], 1)
    order = list(range(len(days)))
    order = order[::2] + order[1::2]
    picked = [[column[i] for i in order] for column in (days, hours, intervals, flags)]
    starts = quarter_hour_starts_utc(
        pa.array(picked[0], pa.date32()), pa.array(picked[1]), pa.array(picked[2]), pa.array(picked[3])
    )
    assert starts.to_pylist() == [quarter_hour_interval_utc(*row)[0] for row in zip(*picked, strict=True)]
