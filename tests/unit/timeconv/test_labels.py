"""ERCOT Central Prevailing Time labels -> UTC, one value at a time (energylake.timeconv.labels): spellings,
hour-ending and quarter-hour intervals on DST days, sequential numbering, wall clocks and the inverse."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from energylake.errors import EnergylakeError
from energylake.timeconv import (
    AmbiguousLocalTime,
    HourEnding,
    LocalTimeError,
    NonexistentLocalTime,
    central_today,
    ercot_labels,
    hour_ending_interval_utc,
    hour_ending_labels,
    local_day_bounds_utc,
    local_day_hours,
    local_wallclock_to_utc,
    parse_delivery_date,
    parse_dst_flag,
    parse_hour_ending,
    quarter_hour_interval_utc,
    quarter_hour_labels,
)
from tests.support.dst_days import FALL, PLAIN, SPRING, H, Q, utc

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
