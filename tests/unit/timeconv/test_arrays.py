"""The vectorised conversions (energylake.timeconv.arrays): pyarrow columns of ERCOT labels -> UTC starts, equal to
the scalar rules row for row, naming the first bad row, and a million rows."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from energylake.contracts.schemas import UTC_TIMESTAMP
from energylake.timeconv import (
    AmbiguousLocalTime,
    LocalTimeError,
    NonexistentLocalTime,
    hour_ending_interval_utc,
    hour_ending_labels,
    hour_ending_starts_utc,
    local_day_bounds_utc,
    local_day_hours,
    local_wallclock_array_to_utc,
    local_wallclock_to_utc,
    quarter_hour_interval_utc,
    quarter_hour_labels,
    quarter_hour_starts_utc,
)
from tests.support.dst_days import FALL, PLAIN, SPRING, H, utc

# ---------------------------------------------------------------------------------------------------------------------
# Vectorised forms


def _scalar_hour_starts(days: list[dt.date], hours: list[int], flags: list[bool | None]) -> list[dt.datetime]:
    return [hour_ending_interval_utc(d, h, f)[0] for d, h, f in zip(days, hours, flags, strict=True)]


def test_vectorised_hours_equal_scalar_on_dst_days() -> None:
    # GIVEN every label of both DST days and an ordinary day, shuffled WHEN converting as arrays THEN each row equals
    # the scalar conversion (order independent), as timestamp[us, tz=UTC]
    rows = [(day, he.hour, he.repeated) for day in (SPRING, PLAIN, FALL) for he in hour_ending_labels(day)]
    rows = rows[::-1] + rows[::3]
    days, hours, flags = (list(column) for column in zip(*rows, strict=True))
    result = hour_ending_starts_utc(pa.array(days, pa.date32()), pa.array(hours, pa.int8()), pa.array(flags))
    assert result.type == UTC_TIMESTAMP
    assert result.to_pylist() == _scalar_hour_starts(days, hours, flags)


def test_vectorised_hours_accept_ercot_strings() -> None:
    # GIVEN the raw columns of an ERCOT CSV (MM/DD/YYYY, "02:00 DST" or flags "Y"/"N") WHEN converting THEN same as
    # scalar; the DST label means Y; a null flag means no flag
    days = pa.array(["11/03/2024", "11/03/2024", "11/03/2024", "2024-11-03", "03/10/2024"])
    hours = pa.array(["01:00", "02:00", "02:00 DST", "24:00", "4"])
    expected = [utc(2024, 11, 3, 5), utc(2024, 11, 3, 6), utc(2024, 11, 3, 7), utc(2024, 11, 4, 5), utc(2024, 3, 10, 8)]
    flags = pa.array(["N", " N ", None, "", "n"])
    assert hour_ending_starts_utc(days, hours, flags).to_pylist() == expected
    flags_y = pa.array(["N", "N", "Y", None, None])
    assert hour_ending_starts_utc(pa.chunked_array([days]), hours, flags_y).to_pylist() == expected


def test_vectorised_hours_accept_timestamps_and_date64() -> None:
    midnight = pa.array([dt.datetime(2024, 11, 3), dt.datetime(2024, 11, 3)], pa.timestamp("s"))
    hours = pa.array([2, 2])
    flags = pa.array([False, True])
    expected = [utc(2024, 11, 3, 6), utc(2024, 11, 3, 7)]
    assert hour_ending_starts_utc(midnight, hours, flags).to_pylist() == expected
    assert (
        hour_ending_starts_utc(pa.array([FALL, FALL], pa.date32()).cast(pa.date64()), hours, flags).to_pylist()
        == expected
    )
    with pytest.raises(LocalTimeError, match=r"row 1:.*naive midnight"):
        hour_ending_starts_utc(pa.array([dt.datetime(2024, 11, 3), dt.datetime(2024, 11, 3, 1)]), hours, flags)
    with pytest.raises(ValueError, match="naive timestamps"):
        hour_ending_starts_utc(pa.array([utc(2024, 11, 3)] * 2, pa.timestamp("us", tz="UTC")), hours, flags)


def test_vectorised_sequential_numbering() -> None:
    days = pa.array([FALL] * 25, pa.date32())
    result = hour_ending_starts_utc(days, pa.array(range(1, 26)), sequential=True)
    day_start, _ = local_day_bounds_utc(FALL)
    assert result.to_pylist() == [day_start + i * H for i in range(25)]
    with pytest.raises(LocalTimeError, match=r"row 0: .*HE 25.*outside 1\.\.24"):
        hour_ending_starts_utc(pa.array([PLAIN], pa.date32()), pa.array([25]), sequential=True)


@pytest.mark.parametrize(
    ("days", "hours", "flags", "expected"),
    [
        ([PLAIN, SPRING, FALL, SPRING], [1, 3, 2, 3], None, (NonexistentLocalTime, 1, "HE 3")),
        ([PLAIN, FALL, FALL], [5, 1, 2], None, (AmbiguousLocalTime, 2, "HE 2")),
        ([PLAIN, FALL, PLAIN], [5, 2, 5], [None, False, True], (LocalTimeError, 2, "flagged as the repeated hour")),
        ([PLAIN, PLAIN, SPRING], [5, 25, 3], None, (LocalTimeError, 1, "HE 25")),
        ([PLAIN, PLAIN, SPRING], [5, 1000, 3], None, (LocalTimeError, 1, "1000")),
        ([PLAIN, PLAIN, SPRING], [5, None, 3], None, (LocalTimeError, 1, "missing hour ending")),
        ([PLAIN, None, SPRING], [5, 1, 3], None, (LocalTimeError, 1, "missing delivery date")),
        ([FALL, SPRING, FALL], [2, 3, 2], [True, None, None], (NonexistentLocalTime, 1, "HE 3")),
    ],
)
def test_vectorised_hours_name_the_first_bad_row(
    days: list[dt.date | None],
    hours: list[int | None],
    flags: list[bool | None] | None,
    expected: tuple[type[LocalTimeError], int, str],
) -> None:
    # GIVEN arrays with bad labels WHEN converting THEN the matching error names the FIRST bad row (0-based)
    error, row, label_text = expected
    with pytest.raises(error, match=rf"^row {row}: .*{label_text}") as caught:
        hour_ending_starts_utc(
            pa.array(days, pa.date32()), pa.array(hours, pa.int64()), None if flags is None else pa.array(flags)
        )
    assert type(caught.value) is error
    assert caught.value.row == row


def test_vectorised_bad_strings_name_the_first_bad_row() -> None:
    days = pa.array(["11/03/2024", "11/03/2024", "13/45/2024", "11/03/2024"])
    hours = pa.array(["01:00", "02:00 DST", "01:00", "1:30"])
    with pytest.raises(LocalTimeError, match=r"^row 2: .*'13/45/2024'") as caught:
        hour_ending_starts_utc(days, hours)
    assert caught.value.row == 2
    with pytest.raises(LocalTimeError, match=r"^row 3: .*'1:30'"):
        hour_ending_starts_utc(pa.array(["11/03/2024"] * 4), hours)
    # "02:00 DST" contradicting an explicit N flag
    with pytest.raises(LocalTimeError, match=r"^row 1: .*DST.*flag says N"):
        hour_ending_starts_utc(pa.array(["11/03/2024"] * 2), pa.array(["02:00", "02:00 DST"]), pa.array(["N", "N"]))
    # an unreadable flag
    with pytest.raises(LocalTimeError, match=r"^row 1: .*'maybe'"):
        hour_ending_starts_utc(pa.array([PLAIN, PLAIN], pa.date32()), pa.array([1, 2]), pa.array(["N", "maybe"]))


def test_vectorised_rejects_mismatched_or_wrong_types() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        hour_ending_starts_utc(pa.array([PLAIN], pa.date32()), pa.array([1, 2]))
    with pytest.raises(TypeError, match="hours must be"):
        hour_ending_starts_utc(pa.array([PLAIN], pa.date32()), pa.array([1.0]))
    with pytest.raises(TypeError, match="days must be"):
        hour_ending_starts_utc(pa.array([1]), pa.array([1]))
    with pytest.raises(TypeError, match="repeated must be"):
        hour_ending_starts_utc(pa.array([PLAIN], pa.date32()), pa.array([1]), pa.array([1]))
    with pytest.raises(TypeError, match="pyarrow Array"):
        hour_ending_starts_utc([PLAIN], pa.array([1]))


def test_vectorised_quarter_hours_equal_scalar() -> None:
    rows = [(day, h, i, rep) for day in (SPRING, PLAIN, FALL) for h, i, rep in quarter_hour_labels(day)][::-1]
    days, hours, intervals, flags = (list(column) for column in zip(*rows, strict=True))
    result = quarter_hour_starts_utc(
        pa.array(days, pa.date32()), pa.array(hours), pa.array(intervals), pa.array(["Y" if f else "N" for f in flags])
    )
    assert result.type == UTC_TIMESTAMP
    expected = [quarter_hour_interval_utc(d, h, i, f)[0] for d, h, i, f in rows]
    assert result.to_pylist() == expected
    as_strings = quarter_hour_starts_utc(
        pa.array([d.strftime("%m/%d/%Y") for d in days]),
        pa.array(hours),
        pa.array([str(i) for i in intervals]),
        pa.array(flags),
    )
    assert as_strings.to_pylist() == expected


def test_vectorised_quarter_hours_name_the_first_bad_row() -> None:
    days = pa.array([PLAIN, FALL, SPRING, FALL], pa.date32())
    with pytest.raises(NonexistentLocalTime, match=r"^row 2: .*delivery hour 3 interval 2") as caught:
        quarter_hour_starts_utc(
            days, pa.array([1, 2, 3, 2]), pa.array([1, 1, 2, 5]), pa.array([None, True, None, True])
        )
    assert caught.value.row == 2
    with pytest.raises(AmbiguousLocalTime, match=r"^row 1: "):
        quarter_hour_starts_utc(days, pa.array([1, 2, 3, 2]), pa.array([1, 1, 2, 5]))
    with pytest.raises(LocalTimeError, match=r"^row 0: .*interval 9"):
        quarter_hour_starts_utc(
            days, pa.array([1, 2, 3, 2]), pa.array([9, 1, 2, 5]), pa.array([None, True, None, True])
        )


def test_vectorised_wallclock_equals_scalar() -> None:
    # GIVEN wall-clock times around both DST changes (not the gap) WHEN converting as an array under each policy
    # THEN each row equals the scalar conversion; nulls stay null
    times: list[dt.datetime | None] = [
        dt.datetime(2024, 3, 10, 1, 59, 59, 999999),
        dt.datetime(2024, 3, 10, 3, 0),
        dt.datetime(2024, 11, 3, 0, 30),
        dt.datetime(2024, 11, 3, 1, 0),
        dt.datetime(2024, 11, 3, 1, 59),
        dt.datetime(2024, 11, 3, 2, 0),
        None,
        dt.datetime(1960, 6, 1, 12, 0),
    ]
    array = pa.array(times, pa.timestamp("us"))
    for policy in ("earlier", "later"):
        result = local_wallclock_array_to_utc(array, ambiguous=policy)
        assert result.type == UTC_TIMESTAMP
        expected = [None if t is None else local_wallclock_to_utc(t, ambiguous=policy) for t in times]
        assert result.to_pylist() == expected
    flags = pa.array([None, None, None, True, False, None, None, None])
    flagged = local_wallclock_array_to_utc(array, repeated=flags)
    assert flagged[3].as_py() == utc(2024, 11, 3, 7)
    assert flagged[4].as_py() == utc(2024, 11, 3, 6, 59)
    seconds = pa.array([dt.datetime(2024, 7, 1, 12)], pa.timestamp("s"))
    assert local_wallclock_array_to_utc(seconds).to_pylist() == [utc(2024, 7, 1, 17)]


def test_vectorised_wallclock_names_the_first_bad_row() -> None:
    array = pa.array([dt.datetime(2024, 7, 1), None, dt.datetime(2024, 11, 3, 1, 5), dt.datetime(2024, 3, 10, 2, 5)])
    with pytest.raises(AmbiguousLocalTime, match=r"^row 2: .*2024-11-03T01:05") as caught:
        local_wallclock_array_to_utc(array)
    assert caught.value.row == 2
    with pytest.raises(NonexistentLocalTime, match=r"^row 3: .*2024-03-10T02:05"):
        local_wallclock_array_to_utc(array, ambiguous="later")
    with pytest.raises(TypeError, match="naive timestamp"):
        local_wallclock_array_to_utc(pa.array([utc(2024, 1, 1)]))


def test_million_rows_vectorised() -> None:
    # GIVEN 1,000,000+ hourly rows (115 years of labels incl. every DST day, so ~42,000 distinct days) WHEN converting
    # THEN it works and agrees with the scalar conversion on sampled rows (speed itself is a benchmark's business)
    first, last = dt.date(1990, 1, 1), dt.date(2105, 1, 1)
    n_days = (last - first).days
    ordinals = np.repeat(np.arange(n_days, dtype=np.int32) + (first - dt.date(1970, 1, 1)).days, 24)
    hour_numbers = np.tile(np.arange(1, 25, dtype=np.int8), n_days)
    days = pa.array(ordinals).cast(pa.date32())
    # drop the nonexistent hours, add the repeated ones (flag Y) in place: the labels of every day, in order
    keep = []
    extra_rows = {}
    day = first
    for index in range(n_days):
        kinds = {he.hour: he.repeated for he in hour_ending_labels(day)} if local_day_hours(day) != 24 else None
        if kinds is not None:
            if 3 not in kinds:
                keep.append(index * 24 + 2)
            else:
                extra_rows[index * 24 + 1] = True
        day += dt.timedelta(days=1)
    mask = np.ones(len(ordinals), dtype=bool)
    mask[keep] = False
    flags = np.zeros(len(ordinals), dtype=bool)
    positions = np.array(sorted(extra_rows), dtype=np.int64)
    ordinals_all = np.insert(ordinals, positions + 1, ordinals[positions])[np.insert(mask, positions + 1, True)]
    hours_all = np.insert(hour_numbers, positions + 1, 2)[np.insert(mask, positions + 1, True)]
    flags_all = np.insert(flags, positions + 1, True)[np.insert(mask, positions + 1, True)]
    assert len(ordinals_all) >= 1_000_000
    days = pa.array(ordinals_all).cast(pa.date32())
    result = hour_ending_starts_utc(days, pa.array(hours_all), pa.array(flags_all))
    assert result.type == UTC_TIMESTAMP
    assert result.null_count == 0
    values = result.cast(pa.int64()).to_numpy()
    assert (np.diff(values) == 3_600_000_000).all()  # every real hour once, in order: nothing lost or doubled
    assert result[0].as_py() == local_day_bounds_utc(first)[0]
    assert result[-1].as_py() + H == local_day_bounds_utc(last - dt.timedelta(days=1))[1]
    for row in range(0, len(ordinals_all), 99_991):
        day_row = dt.date(1970, 1, 1) + dt.timedelta(days=int(ordinals_all[row]))
        expected = hour_ending_interval_utc(day_row, int(hours_all[row]), bool(flags_all[row]))[0]
        assert result[row].as_py() == expected
    # wall clock: a million 5-minute stamps around DST changes (repeated hour resolved as 'later')
    stamps = pa.array(np.arange(1_000_000, dtype=np.int64) * 300_000_000 + 1_600_000_000_000_000).cast(
        pa.timestamp("us")
    )
    with pytest.raises(NonexistentLocalTime, match=r"^row \d+: .*2021-03-14T02:0"):
        local_wallclock_array_to_utc(stamps, ambiguous="later")
    in_gap = pc.and_(pc.greater_equal(pc.hour(stamps), 2), pc.less(pc.hour(stamps), 3))
    spring_days = pa.array(
        [dt.date(y, 3, d) for y in range(2020, 2031) for d in range(8, 15) if dt.date(y, 3, d).weekday() == 6]
    )
    on_spring_day = pc.is_in(pc.cast(stamps, pa.date32()), spring_days)
    valid = stamps.filter(pc.invert(pc.and_(in_gap, on_spring_day)))
    wall = local_wallclock_array_to_utc(valid, ambiguous="later")
    assert wall.null_count == 0
    for row in range(0, len(valid), 77_777):
        assert wall[row].as_py() == local_wallclock_to_utc(valid[row].as_py(), ambiguous="later")
