"""ERCOT Central Prevailing Time labels -> UTC intervals (energylake.timeconv): spellings, DST days, arrays."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from energylake.errors import EnergylakeError
from energylake.contracts.schemas import UTC_TIMESTAMP
from energylake.timeconv import (
    AmbiguousLocalTime,
    HourEnding,
    LocalTimeError,
    NonexistentLocalTime,
    central_today,
    ercot_labels,
    hour_ending_interval_utc,
    hour_ending_labels,
    hour_ending_starts_utc,
    local_day_bounds_utc,
    local_day_hours,
    local_wallclock_array_to_utc,
    local_wallclock_to_utc,
    parse_delivery_date,
    parse_dst_flag,
    parse_hour_ending,
    quarter_hour_interval_utc,
    quarter_hour_labels,
    quarter_hour_starts_utc,
)

SPRING = dt.date(2024, 3, 10)
FALL = dt.date(2024, 11, 3)
PLAIN = dt.date(2024, 7, 15)
H = dt.timedelta(hours=1)
Q = dt.timedelta(minutes=15)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:  # noqa: PLR0917
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)


# ---------------------------------------------------------------------------------------------------------------------
# Existing behaviour kept


def test_existing_day_helpers_unchanged() -> None:
    # GIVEN the three kinds of day WHEN asking for their bounds and lengths THEN 23, 24, 25 hours from local midnight
    assert local_day_hours(SPRING) == 23
    assert local_day_hours(PLAIN) == 24
    assert local_day_hours(FALL) == 25
    assert local_day_bounds_utc(FALL) == (utc(2024, 11, 3, 5), utc(2024, 11, 4, 6))
    assert central_today(utc(2024, 11, 4, 5, 59)) == FALL


def test_importing_timeconv_does_not_load_pyarrow() -> None:
    # GIVEN a fresh interpreter (the fetch Lambdas have no pyarrow) WHEN importing timeconv THEN pyarrow stays unloaded
    code = "import sys, energylake.timeconv; assert 'pyarrow' not in sys.modules, 'pyarrow was imported'"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_errors_are_one_family() -> None:
    # GIVEN the error classes THEN both specific ones are LocalTimeErrors, which are ValueErrors and EnergylakeErrors
    assert issubclass(NonexistentLocalTime, LocalTimeError)
    assert issubclass(AmbiguousLocalTime, LocalTimeError)
    assert issubclass(LocalTimeError, ValueError)
    assert issubclass(LocalTimeError, EnergylakeError)


# ---------------------------------------------------------------------------------------------------------------------
# Label parsing


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        (1, HourEnding(1, None)),
        (24, HourEnding(24, None)),
        ("1", HourEnding(1, None)),
        ("01", HourEnding(1, None)),
        ("1:00", HourEnding(1, None)),
        ("01:00", HourEnding(1, None)),
        ("01:00:00", HourEnding(1, None)),
        ("24:00", HourEnding(24, None)),
        (" 02:00 ", HourEnding(2, None)),
        ("02:00 DST", HourEnding(2, True)),
        ("02:00DST", HourEnding(2, True)),
        ("02:00 dst", HourEnding(2, True)),
        ("HE 7", HourEnding(7, None)),
        ("HE07", HourEnding(7, None)),
        ("he7", HourEnding(7, None)),
        ("25", HourEnding(25, None)),
    ],
)
def test_parse_hour_ending_spellings(label: str | int, expected: HourEnding) -> None:
    # GIVEN an hour-ending label as some ERCOT file spells it WHEN parsing THEN hour and repeated marker come out
    assert parse_hour_ending(label) == expected


@pytest.mark.parametrize(
    "label", [0, 26, -1, "0", "26:00", "1:30", "01:15", "", "  ", "HE", "1.0", "DST", "02:00 X", True]
)
def test_parse_hour_ending_rejects_bad_labels_naming_them(label: object) -> None:
    # GIVEN a label that is not an hour ending WHEN parsing THEN ValueError names the label
    with pytest.raises(ValueError, match="hour ending") as caught:
        parse_hour_ending(label)  # type: ignore[arg-type]
    assert repr(label) in str(caught.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Y", True),
        ("y", True),
        (" Y ", True),
        ("true", True),
        ("TRUE", True),
        (True, True),
        ("N", False),
        ("n", False),
        ("N    ", False),
        ("false", False),
        ("False", False),
        (False, False),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_parse_dst_flag_spellings(value: str | bool | None, expected: bool | None) -> None:
    # GIVEN a repeated-hour flag spelling WHEN parsing THEN True / False / None (no flag)
    assert parse_dst_flag(value) is expected


@pytest.mark.parametrize("value", ["X", "yes please", "1", 1, "DST"])
def test_parse_dst_flag_rejects_other_values_naming_them(value: object) -> None:
    with pytest.raises(ValueError, match="flag") as caught:
        parse_dst_flag(value)  # type: ignore[arg-type]
    assert repr(value) in str(caught.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("03/10/2024", SPRING),
        (" 11/03/2024 ", FALL),
        ("2024-11-03", FALL),
        (FALL, FALL),
        (dt.datetime(2024, 11, 3), FALL),
    ],
)
def test_parse_delivery_date(value: str | dt.date, expected: dt.date) -> None:
    assert parse_delivery_date(value) == expected


@pytest.mark.parametrize("value", ["2024/11/03", "13/01/2024", "", dt.datetime(2024, 11, 3, 1)])
def test_parse_delivery_date_rejects(value: str | dt.date) -> None:
    with pytest.raises(ValueError, match="delivery date"):
        parse_delivery_date(value)


# ---------------------------------------------------------------------------------------------------------------------
# Hour ending, flagged numbering


def test_ordinary_day_he1_and_he24() -> None:
    # GIVEN a summer day (CDT, UTC-5) WHEN converting HE 1 and HE 24 THEN HE 24 is the last hour of the SAME day
    assert hour_ending_interval_utc(PLAIN, 1, None) == (utc(2024, 7, 15, 5), utc(2024, 7, 15, 6))
    assert hour_ending_interval_utc(PLAIN, 24, None) == (utc(2024, 7, 16, 4), utc(2024, 7, 16, 5))
    assert hour_ending_interval_utc(PLAIN, 24, False)[1] == local_day_bounds_utc(PLAIN)[1]
    # and in winter (CST, UTC-6)
    assert hour_ending_interval_utc(dt.date(2024, 1, 1), 24, False) == (utc(2024, 1, 2, 5), utc(2024, 1, 2, 6))


def test_spring_forward_day_has_23_hours_and_no_he3() -> None:
    # GIVEN 2024-03-10 (clocks jump 02:00 -> 03:00) WHEN converting every HE THEN HE 3 does not exist, the rest tile
    # the 23-hour day
    with pytest.raises(NonexistentLocalTime, match=r"2024-03-10.*HE 3") as caught:
        hour_ending_interval_utc(SPRING, 3, None)
    assert caught.value.day == SPRING
    assert hour_ending_interval_utc(SPRING, 2, None) == (utc(2024, 3, 10, 7), utc(2024, 3, 10, 8))
    assert hour_ending_interval_utc(SPRING, 4, None) == (utc(2024, 3, 10, 8), utc(2024, 3, 10, 9))
    starts = [hour_ending_interval_utc(SPRING, he, False)[0] for he in range(1, 25) if he != 3]
    assert len(starts) == 23
    day_start, day_end = local_day_bounds_utc(SPRING)
    assert starts == [day_start + i * H for i in range(23)]
    assert starts[-1] + H == day_end


def test_fall_back_day_repeated_hour() -> None:
    # GIVEN 2024-11-03 (01:00-02:00 local happens twice) WHEN converting HE 2 with each flag THEN N is the CDT
    # occurrence (06:00Z) and Y the CST one (07:00Z)
    assert hour_ending_interval_utc(FALL, 2, False) == (utc(2024, 11, 3, 6), utc(2024, 11, 3, 7))
    assert hour_ending_interval_utc(FALL, 2, True) == (utc(2024, 11, 3, 7), utc(2024, 11, 3, 8))
    assert hour_ending_interval_utc(FALL, 1, None) == (utc(2024, 11, 3, 5), utc(2024, 11, 3, 6))
    assert hour_ending_interval_utc(FALL, 3, None) == (utc(2024, 11, 3, 8), utc(2024, 11, 3, 9))
    assert hour_ending_interval_utc(FALL, 24, None) == (utc(2024, 11, 4, 5), utc(2024, 11, 4, 6))


def test_fall_back_day_has_25_hours_in_flagged_numbering() -> None:
    labels = [(he, False) for he in range(1, 25)] + [(2, True)]
    starts = sorted(hour_ending_interval_utc(FALL, he, rep)[0] for he, rep in labels)
    day_start, day_end = local_day_bounds_utc(FALL)
    assert starts == [day_start + i * H for i in range(25)]
    assert starts[-1] + H == day_end


def test_fall_back_repeated_hour_without_flag_is_ambiguous() -> None:
    # GIVEN HE 2 on the fall-back day and no flag WHEN converting THEN AmbiguousLocalTime, not a guess
    with pytest.raises(AmbiguousLocalTime, match=r"2024-11-03.*HE 2.*twice") as caught:
        hour_ending_interval_utc(FALL, 2, None)
    assert caught.value.day == FALL
    assert caught.value.label == "HE 2"


@pytest.mark.parametrize(("day", "he"), [(FALL, 1), (FALL, 3), (PLAIN, 2), (SPRING, 2), (FALL, 24)])
def test_repeated_flag_on_an_hour_that_does_not_repeat_is_an_error(day: dt.date, he: int) -> None:
    with pytest.raises(LocalTimeError, match="flagged as the repeated hour") as caught:
        hour_ending_interval_utc(day, he, True)
    assert type(caught.value) is LocalTimeError


@pytest.mark.parametrize("he", [0, 25, 26, -3])
def test_flagged_hour_out_of_range(he: int) -> None:
    with pytest.raises(LocalTimeError, match=rf"HE {he}.*outside 1\.\.24"):
        hour_ending_interval_utc(FALL, he, None)


def test_hour_ending_must_be_an_int() -> None:
    with pytest.raises(LocalTimeError, match="not an integer"):
        hour_ending_interval_utc(PLAIN, "3", None)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------------------------------
# Hour ending, sequential numbering


def test_sequential_fall_back_day_he_1_to_25() -> None:
    # GIVEN a file that numbers the fall-back day 1..25 WHEN converting sequentially THEN HE n is the n-th real hour
    day_start, day_end = local_day_bounds_utc(FALL)
    intervals = [hour_ending_interval_utc(FALL, he, None, sequential=True) for he in range(1, 26)]
    assert [start for start, _ in intervals] == [day_start + i * H for i in range(25)]
    assert intervals[-1][1] == day_end
    assert intervals[1][0] == hour_ending_interval_utc(FALL, 2, False)[0]
    assert intervals[2][0] == hour_ending_interval_utc(FALL, 2, True)[0]
    assert intervals[3][0] == hour_ending_interval_utc(FALL, 3, None)[0]
    # a Y flag is accepted on the hour that really is the repeated one, rejected elsewhere
    assert hour_ending_interval_utc(FALL, 3, True, sequential=True) == intervals[2]
    with pytest.raises(LocalTimeError, match="flagged as the repeated hour"):
        hour_ending_interval_utc(FALL, 2, True, sequential=True)


@pytest.mark.parametrize(("day", "hours"), [(SPRING, 23), (PLAIN, 24), (FALL, 25)])
def test_sequential_hour_beyond_the_day_is_an_error(day: dt.date, hours: int) -> None:
    assert hour_ending_interval_utc(day, hours, None, sequential=True)[1] == local_day_bounds_utc(day)[1]
    with pytest.raises(LocalTimeError, match=rf"outside 1\.\.{hours}"):
        hour_ending_interval_utc(day, hours + 1, None, sequential=True)
    with pytest.raises(LocalTimeError, match="outside"):
        hour_ending_interval_utc(day, 0, None, sequential=True)


def test_sequential_spring_day_hour_3_is_the_real_third_hour() -> None:
    # on the 23-hour day HE 3 in sequential numbering is 03:00-04:00 CDT (flagged HE 4)
    assert hour_ending_interval_utc(SPRING, 3, None, sequential=True) == hour_ending_interval_utc(SPRING, 4, None)


# ---------------------------------------------------------------------------------------------------------------------
# Quarter hours


def test_quarter_hours_ordinary_day() -> None:
    assert quarter_hour_interval_utc(PLAIN, 1, 1, None) == (utc(2024, 7, 15, 5), utc(2024, 7, 15, 5, 15))
    assert quarter_hour_interval_utc(PLAIN, 24, 4, None) == (utc(2024, 7, 16, 4, 45), utc(2024, 7, 16, 5))


def test_quarter_hours_spring_forward_day() -> None:
    # GIVEN 2024-03-10 WHEN converting every (hour, interval) THEN hour 3 does not exist and 92 quarter hours remain
    for interval in range(1, 5):
        with pytest.raises(NonexistentLocalTime, match="delivery hour 3 interval"):
            quarter_hour_interval_utc(SPRING, 3, interval, None)
    starts = [quarter_hour_interval_utc(SPRING, h, i, False)[0] for h in range(1, 25) if h != 3 for i in range(1, 5)]
    day_start, day_end = local_day_bounds_utc(SPRING)
    assert len(starts) == 92
    assert starts == [day_start + n * Q for n in range(92)]
    assert starts[-1] + Q == day_end
    assert quarter_hour_interval_utc(SPRING, 2, 4, None) == (utc(2024, 3, 10, 7, 45), utc(2024, 3, 10, 8))
    assert quarter_hour_interval_utc(SPRING, 4, 1, None) == (utc(2024, 3, 10, 8), utc(2024, 3, 10, 8, 15))


def test_quarter_hours_fall_back_day() -> None:
    # GIVEN 2024-11-03 WHEN converting hour 2 with each flag THEN N -> 06:xxZ, Y -> 07:xxZ, no flag -> ambiguous
    assert quarter_hour_interval_utc(FALL, 2, 3, False) == (utc(2024, 11, 3, 6, 30), utc(2024, 11, 3, 6, 45))
    assert quarter_hour_interval_utc(FALL, 2, 3, True) == (utc(2024, 11, 3, 7, 30), utc(2024, 11, 3, 7, 45))
    with pytest.raises(AmbiguousLocalTime, match="delivery hour 2 interval 1"):
        quarter_hour_interval_utc(FALL, 2, 1, None)
    with pytest.raises(LocalTimeError, match="flagged as the repeated hour"):
        quarter_hour_interval_utc(FALL, 3, 1, True)
    starts = sorted(quarter_hour_interval_utc(FALL, h, i, rep)[0] for h, i, rep in quarter_hour_labels(FALL))
    day_start, _ = local_day_bounds_utc(FALL)
    assert starts == [day_start + n * Q for n in range(100)]


@pytest.mark.parametrize(("hour", "interval"), [(0, 1), (25, 1), (1, 0), (1, 5)])
def test_quarter_hour_out_of_range(hour: int, interval: int) -> None:
    with pytest.raises(LocalTimeError, match=r"1\.\.24 and interval 1\.\.4"):
        quarter_hour_interval_utc(PLAIN, hour, interval, None)


def test_publication_order_label_lists() -> None:
    # GIVEN the DST days WHEN listing labels in ERCOT's order THEN HE 3 is missing / HE 2 appears N then Y
    assert [he.hour for he in hour_ending_labels(SPRING)] == [1, 2, *range(4, 25)]
    fall = hour_ending_labels(FALL)
    assert fall[:4] == [HourEnding(1, False), HourEnding(2, False), HourEnding(2, True), HourEnding(3, False)]
    assert len(fall) == 25
    assert len(hour_ending_labels(PLAIN)) == 24
    assert [len(quarter_hour_labels(d)) for d in (SPRING, PLAIN, FALL)] == [92, 96, 100]


# ---------------------------------------------------------------------------------------------------------------------
# Wall clock


def test_wallclock_plain_times() -> None:
    assert local_wallclock_to_utc(dt.datetime(2024, 7, 15, 12, 34, 56)) == utc(2024, 7, 15, 17, 34, 56)
    assert local_wallclock_to_utc(dt.datetime(2024, 1, 15, 12)) == utc(2024, 1, 15, 18)


def test_wallclock_nonexistent() -> None:
    with pytest.raises(NonexistentLocalTime, match="2024-03-10T02:30"):
        local_wallclock_to_utc(dt.datetime(2024, 3, 10, 2, 30))
    for policy in ("earlier", "later"):  # no policy makes a skipped time exist
        with pytest.raises(NonexistentLocalTime):
            local_wallclock_to_utc(dt.datetime(2024, 3, 10, 2, 0), ambiguous=policy)


def test_wallclock_ambiguous_policies() -> None:
    # GIVEN a posting time inside the repeated hour WHEN converting under each policy THEN raise / CDT / CST
    posted = dt.datetime(2024, 11, 3, 1, 30)
    with pytest.raises(AmbiguousLocalTime, match="2024-11-03T01:30"):
        local_wallclock_to_utc(posted)
    assert local_wallclock_to_utc(posted, ambiguous="earlier") == utc(2024, 11, 3, 6, 30)
    assert local_wallclock_to_utc(posted, ambiguous="later") == utc(2024, 11, 3, 7, 30)
    # an explicit flag wins over the policy
    assert local_wallclock_to_utc(posted, repeated=True, ambiguous="earlier") == utc(2024, 11, 3, 7, 30)
    assert local_wallclock_to_utc(posted, repeated=False, ambiguous="later") == utc(2024, 11, 3, 6, 30)
    # and the edges of the repeated hour
    assert local_wallclock_to_utc(dt.datetime(2024, 11, 3, 0, 59, 59)) == utc(2024, 11, 3, 5, 59, 59)
    assert local_wallclock_to_utc(dt.datetime(2024, 11, 3, 2, 0)) == utc(2024, 11, 3, 8)


def test_wallclock_rejects_aware_datetimes_and_bad_policies() -> None:
    with pytest.raises(ValueError, match="naive"):
        local_wallclock_to_utc(utc(2024, 11, 3, 1))
    with pytest.raises(ValueError, match="ambiguous must be"):
        local_wallclock_to_utc(dt.datetime(2024, 11, 3, 1), ambiguous="latest")  # type: ignore[arg-type]
    with pytest.raises(LocalTimeError, match="flagged as the repeated hour"):
        local_wallclock_to_utc(dt.datetime(2024, 11, 3, 3), repeated=True)


# ---------------------------------------------------------------------------------------------------------------------
# Inverse


@pytest.mark.parametrize("day", [SPRING, PLAIN, FALL, dt.date(2024, 1, 1), dt.date(2024, 12, 31)])
def test_ercot_labels_round_trip_hours(day: dt.date) -> None:
    # GIVEN every hour label of the day WHEN converting to UTC and back THEN the same labels come back
    for he in hour_ending_labels(day):
        start, _ = hour_ending_interval_utc(day, he.hour, he.repeated)
        assert ercot_labels(start) == (day, he.hour, None, he.repeated)


@pytest.mark.parametrize("day", [SPRING, PLAIN, FALL])
def test_ercot_labels_round_trip_quarter_hours(day: dt.date) -> None:
    for hour, interval, repeated in quarter_hour_labels(day):
        start, _ = quarter_hour_interval_utc(day, hour, interval, repeated)
        assert ercot_labels(start, minutes=15) == (day, hour, interval, repeated)


def test_ercot_labels_specific_values() -> None:
    assert ercot_labels(utc(2024, 11, 3, 6)) == (FALL, 2, None, False)
    assert ercot_labels(utc(2024, 11, 3, 7)) == (FALL, 2, None, True)
    assert ercot_labels(utc(2024, 11, 4, 5)) == (FALL, 24, None, False)
    assert ercot_labels(utc(2024, 3, 10, 8)) == (SPRING, 4, None, False)
    assert ercot_labels(utc(2024, 11, 3, 7, 45), minutes=15) == (FALL, 2, 4, True)
    assert ercot_labels(utc(2024, 7, 15, 5, 55), minutes=5) == (PLAIN, 1, 12, False)
    other_zone = dt.datetime(2024, 11, 3, 1, tzinfo=dt.timezone(dt.timedelta(hours=-6)))
    assert ercot_labels(other_zone) == (FALL, 2, None, True)


def test_ercot_labels_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="aware"):
        ercot_labels(dt.datetime(2024, 11, 3, 6))
    with pytest.raises(ValueError, match="not the start of a 60-minute interval"):
        ercot_labels(utc(2024, 11, 3, 6, 15))
    with pytest.raises(ValueError, match="minutes must divide 60"):
        ercot_labels(utc(2024, 11, 3, 6), minutes=7)


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


# --- runs path (sorted input, few distinct labels) against the per-row array path ------------------------------


def _force_array_path(monkeypatch: pytest.MonkeyPatch) -> None:
    from energylake import timeconv

    monkeypatch.setattr(timeconv, "_RUNS_MIN_LIMIT", 0)
    monkeypatch.setattr(timeconv, "_RUNS_ROWS_PER_RUN", 10**12)


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
