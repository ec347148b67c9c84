"""The archive's posting-time rules (energylake.sources.ercot.postings), pure: which posting labels a window lists,
which group (operating day; posting day for forecasts) each listed document belongs to, and the posting instant of a
label, over random posting lags, docId spacings and windows, with both 2024 DST days drawn often.

The truth here is built in UTC from each report's schedule and turned into ERCOT's labels (naive Central wall clock,
to the millisecond) the way ERCOT writes them; the rules only ever see the labels and docIds."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from energylake.contracts.datasets import CATALOG, ErcotArchive
from energylake.sources.ercot.postings import (
    covered_days,
    group_day,
    group_days,
    parse_post_datetime,
    posting_range,
    resolve_posted_instants,
)
from energylake.timeconv import CENTRAL, local_day_bounds_utc, local_wallclock_to_utc
from energylake.window import Window
from tests.support.dst_days import FALL, SPRING

ARCHIVES: dict[str, ErcotArchive] = {
    name: entry.archive for name, entry in CATALOG.items() if entry.archive is not None
}
RULE_OF = {"interval": "spp_rt", "next_day": "load_weather_zone", "day_before": "spp_dam", "vintage": "wind"}
QUARTER = dt.timedelta(minutes=15)
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Posting:
    instant: dt.datetime  # UTC, to the millisecond
    group: dt.date

    @property
    def label(self) -> dt.datetime:
        return self.instant.astimezone(CENTRAL).replace(tzinfo=None)


def truth(archive: ErcotArchive, groups: Window, rng: random.Random) -> list[Posting]:
    """Every document of ``groups`` (and one group either side) as the report posts it, with random lags."""
    found: list[Posting] = []
    for offset in range(-1, groups.days_count + 1):
        group = groups.start + offset * DAY
        start, end = local_day_bounds_utc(group)
        if archive.posting == "interval":
            instant = start
            while instant < end:
                lag = dt.timedelta(milliseconds=rng.randrange(15 * 60_000))  # after the interval ends
                found.append(Posting(instant + QUARTER + lag, group))
                instant += QUARTER
        elif archive.posting == "vintage":
            instant = start + dt.timedelta(milliseconds=rng.randrange(3_598_000))  # the report's minute of the hour
            while instant < end:
                found.append(Posting(instant + dt.timedelta(milliseconds=rng.randrange(1000)), group))
                instant += dt.timedelta(hours=1)
        else:
            start, end = local_day_bounds_utc(group + (DAY if archive.posting == "next_day" else -DAY))
            span = int((end - start).total_seconds() * 1000)
            found.append(Posting(start + dt.timedelta(milliseconds=rng.randrange(span)), group))
    return found


def doc_ids(postings: list[Posting], factors: list[float]) -> list[int]:
    """DocIds growing with posting time: about one per second, each gap scaled by a drawn factor."""
    ordered = sorted(range(len(postings)), key=lambda index: postings[index].instant)
    ids = [0] * len(postings)
    current, previous = 1_000_000_000, None
    for n, index in enumerate(ordered):
        instant = postings[index].instant
        if previous is not None:
            gap = (instant - previous).total_seconds()
            current += 1 + int(gap * factors[n % len(factors)])
        ids[index] = current
        previous = instant
    return ids


start_days = st.one_of(
    st.sampled_from([FALL - DAY, FALL, FALL + DAY, SPRING - DAY, SPRING, SPRING + DAY]),
    st.dates(dt.date(2015, 1, 1), dt.date(2030, 12, 31)),
)


@st.composite
def scenarios(
    draw: st.DrawFn, factors: st.SearchStrategy[float]
) -> tuple[ErcotArchive, Window, list[Posting], list[int]]:
    archive = ARCHIVES[RULE_OF[draw(st.sampled_from(sorted(RULE_OF)))]]
    start = draw(start_days)
    window = Window(start, start + draw(st.integers(0, 2)) * DAY)
    postings = truth(archive, group_days(archive, window), draw(st.randoms(use_true_random=False)))
    return archive, window, postings, doc_ids(postings, draw(st.lists(factors, min_size=1, max_size=7)))


# ------------------------------------------------------------------------------------------------ properties


@settings(max_examples=150, deadline=None)
@given(scenario=scenarios(st.floats(0.3, 3.0)))
def test_every_document_of_a_window_is_listed_and_placed_on_its_true_day(
    scenario: tuple[ErcotArchive, Window, list[Posting], list[int]],
) -> None:
    archive, window, postings, _ = scenario
    # GIVEN the documents of a window's groups and of their neighbours, labelled as ERCOT labels them
    wanted = group_days(archive, window)
    listed = posting_range(archive, window)
    for posting in postings:
        # THEN each one's label alone gives its true group, whichever pass of the fall-back hour it was posted in
        assert group_day(archive, posting.label) == posting.group, posting
        # AND the window's own documents are all inside the listed posting range
        if wanted.start <= posting.group <= wanted.end:
            assert posting.label in listed, (posting, listed)


@settings(max_examples=150, deadline=None)
@given(scenario=scenarios(st.just(1.0)))
def test_posting_instants_are_recovered_when_docids_keep_time(
    scenario: tuple[ErcotArchive, Window, list[Posting], list[int]],
) -> None:
    # GIVEN docIds that grow evenly with posting time, and the labels in any order
    _, _, postings, ids = scenario
    pairs = [(doc_id, posting.label) for doc_id, posting in zip(ids, postings, strict=True)][::-1]
    # WHEN the instants are resolved THEN every one is the true instant, both passes of the fall-back hour included
    assert resolve_posted_instants(pairs) == [posting.instant for posting in postings][::-1]


@settings(max_examples=150, deadline=None)
@given(scenario=scenarios(st.floats(0.7, 1.3)).filter(lambda s: s[0].posting in ("interval", "vintage")))
def test_quarter_hourly_and_hourly_instants_survive_uneven_docid_spacing(
    scenario: tuple[ErcotArchive, Window, list[Posting], list[int]],
) -> None:
    # GIVEN reports posting every 15 minutes or every hour, docIds spaced unevenly (each gap +-30%)
    _, _, postings, ids = scenario
    pairs = [(doc_id, posting.label) for doc_id, posting in zip(ids, postings, strict=True)]
    # THEN the instants are still exact (the real-time hour by its labels' order, forecasts by the docId clock)
    assert resolve_posted_instants(pairs) == [posting.instant for posting in postings]


@settings(max_examples=200, deadline=None)
@given(rule=st.sampled_from(sorted(RULE_OF)), start=start_days, days=st.integers(0, 400))
@example(rule="interval", start=FALL - DAY, days=1)
@example(rule="next_day", start=SPRING - 2 * DAY, days=0)
def test_range_bounds_are_plain_wall_clock_times(rule: str, start: dt.date, days: int) -> None:
    # GIVEN any window WHEN its posting range is computed
    listed = posting_range(ARCHIVES[RULE_OF[rule]], Window(start, start + days * DAY))
    # THEN neither bound is skipped or repeated by a DST change (raises otherwise), and they are in order
    local_wallclock_to_utc(listed.start)
    local_wallclock_to_utc(listed.end)
    assert listed.start < listed.end
    assert set(listed.params()) == {"postDatetimeFrom", "postDatetimeTo"}


@settings(max_examples=200, deadline=None)
@given(dataset=st.sampled_from(["load_forecast", "wind", "solar"]), start=start_days, days=st.integers(0, 30))
def test_vintage_groups_are_exactly_the_posting_days_that_cover_the_window(
    dataset: str, start: dt.date, days: int
) -> None:
    archive = ARCHIVES[dataset]
    window = Window(start, start + days * DAY)
    groups = group_days(archive, window)
    # WHEN posting days around the window are checked
    for offset in range(-12, days + 12):
        posting_day = start + offset * DAY
        covers = any(window.start <= day <= window.end for day in covered_days(archive, posting_day))
        # THEN a posting day is fetched if and only if its postings cover a day of the window
        assert (groups.start <= posting_day <= groups.end) == covers


# ------------------------------------------------------------------------------------------------ examples


def test_the_fall_back_day_has_100_interval_documents_with_repeated_labels_each_placed_right() -> None:
    # GIVEN the real-time documents of 2024-11-03, posted 3 minutes after each interval, listed newest first
    start, end = local_day_bounds_utc(FALL)
    instants = [start + n * QUARTER + QUARTER + dt.timedelta(minutes=3) for n in range(int((end - start) / QUARTER))]
    labels = [instant.astimezone(CENTRAL).replace(tzinfo=None) for instant in instants]
    pairs = [(2_000_000 + n * 900, label) for n, label in enumerate(labels)]
    # THEN there are 100, four pairs of them share a label
    assert len(pairs) == 100
    assert len(set(labels)) == 96
    # AND every one is placed on the fall-back day, and its instant (hence its interval) is recovered
    assert {group_day(ARCHIVES["spp_rt"], label) for label in labels} == {FALL}
    assert resolve_posted_instants(pairs[::-1]) == instants[::-1]


def test_forecasts_posted_in_both_passes_of_the_repeated_hour_get_both_instants() -> None:
    # GIVEN hourly wind postings at hh:55 on the fall-back day: 01:55 CDT and 01:55 CST share a label (and here the
    # second even reads a second later, so the labels' order does not tell them apart)
    def at(local: str, fold: int) -> dt.datetime:
        return dt.datetime.fromisoformat(local).replace(tzinfo=CENTRAL, fold=fold).astimezone(dt.UTC)

    truth_instants = [
        at("2024-11-03T00:55:00", 0),
        at("2024-11-03T01:55:00", 0),
        at("2024-11-03T01:55:01", 1),
        at("2024-11-03T02:55:00", 0),
    ]
    labels = [instant.astimezone(CENTRAL).replace(tzinfo=None) for instant in truth_instants]
    ids = [5_000, 8_600, 12_200, 15_800]  # one docId a second, roughly
    # WHEN resolved THEN the docIds put the second 01:55 an hour after the first
    assert resolve_posted_instants(list(zip(ids, labels, strict=True))) == truth_instants
    # AND both belong to posting day 2024-11-03
    assert {group_day(ARCHIVES["wind"], label) for label in labels} == {FALL}


def test_without_neighbours_the_two_passes_split_at_the_widest_docid_gap() -> None:
    labels = [dt.datetime(2024, 11, 3, 1, 30), dt.datetime(2024, 11, 3, 1, 30, 2)]
    cdt = local_wallclock_to_utc(labels[0], repeated=False)
    cst = local_wallclock_to_utc(labels[1], repeated=True)
    assert resolve_posted_instants([(10, labels[0]), (3610, labels[1])]) == [cdt, cst]
    # a lone ambiguous label is read as the first pass
    assert resolve_posted_instants([(10, labels[0])]) == [cdt]


def test_a_repeated_hour_posting_that_ends_the_listing_is_read_from_the_clock_before_it() -> None:
    # GIVEN daily day-ahead postings, one a day at 01:00 and a second per docId, the newest in the second pass of the
    # fall-back hour (no posting after it: a listing fetched then) - a case hypothesis found
    instants = [
        dt.datetime(2024, 11, 1, 6, tzinfo=dt.UTC),  # 01:00 CDT
        dt.datetime(2024, 11, 2, 6, tzinfo=dt.UTC),  # 01:00 CDT
        dt.datetime(2024, 11, 3, 7, tzinfo=dt.UTC),  # 01:00 CST: the label 01:00 happened an hour before too
    ]
    labels = [instant.astimezone(CENTRAL).replace(tzinfo=None) for instant in instants]
    ids = [1_000_000_000, 1_000_086_401, 1_000_176_402]
    # WHEN resolved THEN the docIds read as a clock through the two postings before place it in the second pass
    assert resolve_posted_instants(list(zip(ids, labels, strict=True))) == instants


def test_a_label_in_the_spring_forward_gap_reads_as_the_clock_not_yet_moved() -> None:
    label = dt.datetime(2024, 3, 10, 2, 30)
    (instant,) = resolve_posted_instants([(1, label)])
    assert instant == dt.datetime(2024, 3, 10, 8, 30, tzinfo=dt.UTC)  # 02:30 CST = 03:30 CDT
    assert group_day(ARCHIVES["spp_dam"], label) == dt.date(2024, 3, 11)


@pytest.mark.parametrize(
    ("dataset", "label", "day"),
    [
        ("spp_rt", "2024-06-02T00:14:59.999", "2024-06-01"),  # the last interval of June 1st, posted after midnight
        ("spp_rt", "2024-06-02T00:15:00.000", "2024-06-02"),  # the first interval of June 2nd, posted at once
        ("spp_rt", "2024-03-10T03:05:00.000", "2024-03-10"),  # the interval before the spring-forward jump
        ("spp_rt", "2024-11-03T01:05:00.000", "2024-11-03"),  # either pass of the repeated hour
        ("load_weather_zone", "2024-06-02T05:00:12.000", "2024-06-01"),
        ("spp_dam", "2024-06-01T12:30:00.000", "2024-06-02"),
        ("load_forecast", "2024-06-01T23:30:00.000", "2024-06-01"),
    ],
)
def test_group_day_examples(dataset: str, label: str, day: str) -> None:
    assert group_day(ARCHIVES[dataset], parse_post_datetime(label)) == dt.date.fromisoformat(day)


@pytest.mark.parametrize(
    ("dataset", "window", "start", "end"),
    [
        ("spp_rt", ("2024-06-01", "2024-06-03"), "2024-06-01T00:00:00", "2024-06-04T00:15:00"),
        ("load_weather_zone", ("2024-06-01", "2024-06-03"), "2024-06-02T00:00:00", "2024-06-05T00:00:00"),
        ("spp_dam", ("2024-06-01", "2024-06-03"), "2024-05-31T00:00:00", "2024-06-03T00:00:00"),
        ("load_forecast", ("2024-06-01", "2024-06-03"), "2024-05-25T00:00:00", "2024-06-04T00:00:00"),
        ("wind", ("2024-06-01", "2024-06-03"), "2024-05-25T00:00:00", "2024-06-06T00:00:00"),
    ],
)
def test_posting_range_examples(dataset: str, window: tuple[str, str], start: str, end: str) -> None:
    assert posting_range(ARCHIVES[dataset], Window.parse(*window)).params() == {
        "postDatetimeFrom": start,
        "postDatetimeTo": end,
    }


def test_wind_postings_cover_two_days_back_and_seven_ahead() -> None:
    days = covered_days(ARCHIVES["wind"], dt.date(2024, 6, 10))
    assert (days[0], days[-1], len(days)) == (dt.date(2024, 6, 8), dt.date(2024, 6, 17), 10)
    assert covered_days(ARCHIVES["spp_rt"], dt.date(2024, 6, 10)) == [dt.date(2024, 6, 10)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-11-05T03:16:10.000", dt.datetime(2024, 11, 5, 3, 16, 10)),
        ("2024-11-05T03:16:10", dt.datetime(2024, 11, 5, 3, 16, 10)),
        ("2022-07-15T11:47:06.702", dt.datetime(2022, 7, 15, 11, 47, 6)),
        ("2024-11-05T03:16", dt.datetime(2024, 11, 5, 3, 16)),
        ("2024-11-05T03:16:10-05:00", dt.datetime(2024, 11, 5, 3, 16, 10)),  # an offset is dropped: wall clock
    ],
)
def test_post_datetime_labels_parse_as_wall_clock(text: str, expected: dt.datetime) -> None:
    assert parse_post_datetime(text) == expected


@pytest.mark.parametrize("text", ["", "yesterday", "2024-13-01T00:00:00", "05/11/2024 03:16"])
def test_a_bad_post_datetime_is_a_value_error_naming_it(text: str) -> None:
    with pytest.raises(ValueError, match="postDatetime"):
        parse_post_datetime(text)
