"""Forecast vintages in the repeated fall-back hour (energylake.parse.ercot.postings): two postings share a Central
wall-clock label; documents are told apart by the fetcher's metadata, API rows by their order of appearance."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from energylake.errors import ParseError
from energylake.parse import RawObject
from energylake.parse.ercot import parse, parse_api_page, parse_mis_zip
from energylake.timeconv import CENTRAL
from tests.support.dst_days import FALL, PLAIN, SPRING, utc
from tests.support.ercot_files import api_page, hourly_postings, wall_label, zipped

NP3560_CSV = (
    'DeliveryDate,HourEnding,North,South,West,Houston,SystemTotal,"DSTFlag    "\n11/05/2024,1:00,1,2,3,4,10,N\n'
)
MEMBER = "cdr.00012311.0000000000000000.20241103.013000.LFCCONGESTNP3560.csv"
DOCUMENT = zipped((MEMBER, NP3560_CSV))
LOAD_FORECAST_FIELDS = ["postedDatetime", "deliveryDate", "hourEnding", "coast", "model", "inUseFlag", "DSTFlag"]
DAYS = st.sampled_from([SPRING, FALL, PLAIN])


def posted_of(metadata: dict[str, str]) -> tuple[set[dt.datetime], list[str]]:
    raw = RawObject("raw/doc.zip", "load_forecast", DOCUMENT, {"source-used": "ercot-archive", **metadata})
    result = parse(raw)
    return set(result.table.column("posted_at_utc").to_pylist()), result.notes


# ---------------------------------------------------------------------------------------------------------------
# Documents: one posting each; the fetcher's metadata says which pass of the repeated hour it is
# ---------------------------------------------------------------------------------------------------------------


def test_two_documents_with_the_same_fall_back_label_are_an_hour_apart() -> None:
    # GIVEN two archive documents both listed at 01:30:05 on the fall-back day, occurrences 1 and 2 in docId order
    label = {"x-post-datetime": "2024-11-03T01:30:05.000"}
    # WHEN each is parsed
    first, first_notes = posted_of({**label, "x-posting-occurrence": "1"})
    second, second_notes = posted_of({**label, "x-posting-occurrence": "2"})
    # THEN the first is the daylight (CDT) posting and the second the standard-time (CST) one, no note
    assert first == {utc(2024, 11, 3, 6, 30, 5)}
    assert second == {utc(2024, 11, 3, 7, 30, 5)}
    assert first_notes == second_notes == []


def test_the_fetchers_resolved_instant_is_used_when_it_matches_the_label() -> None:
    posted, notes = posted_of(
        {"x-publish-date": "2024-11-03T01:30:05-05:00", "x-posted-at-utc": "2024-11-03T07:30:05+00:00"}
    )
    assert (posted, notes) == ({utc(2024, 11, 3, 7, 30, 5)}, [])


def test_an_ambiguous_label_without_fetcher_metadata_reads_as_the_first_posting_with_a_note() -> None:
    # GIVEN a document from a fetcher that wrote no occurrence (e.g. landed before the rule existed)
    posted, notes = posted_of({"x-post-datetime": "2024-11-03T01:30:05"})
    # THEN it is the CDT posting, and the quality report will say why
    assert posted == {utc(2024, 11, 3, 6, 30, 5)}
    assert len(notes) == 1
    assert "repeated fall-back hour" in notes[0]
    assert "x-posting-occurrence" in notes[0]


def test_the_member_name_stamp_is_a_label_like_any_other() -> None:
    # GIVEN no label in the metadata: the cdr stamp 20241103.013000 of the member name, occurrence 2
    posted, notes = posted_of({"x-posting-occurrence": "2"})
    assert (posted, notes) == ({utc(2024, 11, 3, 7, 30)}, [])


@pytest.mark.parametrize(
    ("metadata", "column", "message"),
    [
        ({"x-post-datetime": "2024-11-05T09:30:00", "x-posting-occurrence": "2"}, "x-posting-occurrence", "only once"),
        ({"x-post-datetime": "2024-11-03T01:30:00", "x-posting-occurrence": "3"}, "x-posting-occurrence", "1 or 2"),
        (
            {"x-post-datetime": "2024-11-03T01:30:00", "x-posted-at-utc": "2024-11-03T08:30:00Z"},
            "x-posted-at-utc",
            "not",
        ),
        (
            {"x-post-datetime": "2024-11-03T01:30:00", "x-posted-at-utc": "2024-11-03T07:30:00"},
            "x-posted-at-utc",
            "offset",
        ),
        ({"x-post-datetime": "2024-03-10T02:30:00"}, "x-post-datetime", "does not exist"),
        ({"x-post-datetime": "yesterday"}, "x-post-datetime", "not a date"),
    ],
)
def test_contradicting_posting_metadata_is_a_parse_error_naming_the_key(
    metadata: dict[str, str], column: str, message: str
) -> None:
    with pytest.raises(ParseError, match=message) as caught:
        posted_of(metadata)
    assert caught.value.column == column


def fetcher_metadata(instant: dt.datetime, *, as_instant: bool) -> dict[str, str]:
    """What a fetcher that read the listing writes for a document posted at ``instant``: the listing's label, and
    for a label of the repeated hour either the resolved instant or the pass (1 daylight, 2 standard time)."""
    label = wall_label(instant)
    metadata = {"x-post-datetime": f"{label.isoformat()}.000"}
    if as_instant:
        metadata["x-posted-at-utc"] = instant.isoformat()
    elif label.replace(tzinfo=CENTRAL, fold=0).utcoffset() != label.replace(tzinfo=CENTRAL, fold=1).utcoffset():
        daylight = instant.astimezone(CENTRAL).utcoffset() == dt.timedelta(hours=-5)
        metadata["x-posting-occurrence"] = "1" if daylight else "2"
    return metadata


@settings(max_examples=30, deadline=None)
@given(
    day=DAYS,
    minute=st.integers(0, 59),
    jitter=st.lists(st.integers(0, 59), min_size=25, max_size=25),
    as_instant=st.booleans(),
)
@example(day=FALL, minute=30, jitter=[0] * 25, as_instant=False)
def test_every_hourly_document_of_a_day_gets_its_own_posting_instant(
    day: dt.date, minute: int, jitter: list[int], as_instant: bool
) -> None:
    # GIVEN a document posted every hour of a Central day, a few seconds after the minute (on the fall-back day two
    # carry labels of the repeated hour: equal, or a few seconds apart)
    postings = [
        posted + dt.timedelta(seconds=seconds)
        for posted, seconds in zip(hourly_postings(day, minute, 0), jitter, strict=False)
    ]
    # WHEN each is parsed with the metadata its fetcher wrote
    parsed = [posted_of(fetcher_metadata(instant, as_instant=as_instant)) for instant in postings]
    # THEN every document's vintage is its true posting instant: none collide, none is noted
    assert [posted for posted, _ in parsed] == [{instant} for instant in postings]
    assert all(notes == [] for _, notes in parsed)


# ---------------------------------------------------------------------------------------------------------------
# API pages: a row's posting label; the k-th row of the same label, model and interval is the k-th posting
# ---------------------------------------------------------------------------------------------------------------


def forecast_row(posted: dt.datetime, hour: int, model: str, mw: float = 100.0) -> list[Any]:
    return [wall_label(posted).isoformat(), "2024-11-06", f"{hour:02d}:00", mw, model, "N", False]


def posted_column(rows: list[list[Any]]) -> list[dt.datetime]:
    table = parse_api_page("load_forecast", api_page(LOAD_FORECAST_FIELDS, rows, "NP3-565-CD")).table
    # one row per source row (a single weather zone): the table follows the page's order
    values: list[dt.datetime] = table.column("posted_at_utc").to_pylist()
    return values


def test_api_rows_sorted_by_delivery_hour_tell_the_two_postings_apart_by_order() -> None:
    # GIVEN a page sorted by delivery hour, each hour listing the 01:30 CDT posting before the 01:30 CST one
    cdt, cst = utc(2024, 11, 3, 6, 30), utc(2024, 11, 3, 7, 30)
    rows = [forecast_row(posted, hour, "E") for hour in (1, 2) for posted in (cdt, cst)]
    # THEN the k-th row of a (label, model, interval) is the k-th posting
    assert posted_column(rows) == [cdt, cst, cdt, cst]


def test_api_rows_of_another_model_or_interval_do_not_count_as_a_second_posting() -> None:
    cdt = utc(2024, 11, 3, 6, 30)
    rows = [forecast_row(cdt, 1, "E"), forecast_row(cdt, 1, "A3"), forecast_row(cdt, 2, "E")]
    assert posted_column(rows) == [cdt, cdt, cdt]


def test_a_third_row_with_the_same_fall_back_label_is_a_parse_error_naming_it() -> None:
    cdt = utc(2024, 11, 3, 6, 30)
    rows = [forecast_row(cdt, 1, "E"), forecast_row(cdt, 2, "E"), forecast_row(cdt, 1, "E"), forecast_row(cdt, 1, "E")]
    with pytest.raises(ParseError, match="third time") as caught:
        posted_column(rows)
    assert (caught.value.column, caught.value.row) == ("postedDatetime", 4)


def interleaved(rows: list[tuple[dt.datetime, int, str]], seed: int) -> list[tuple[dt.datetime, int, str]]:
    """The rows shuffled, except that the rows of one (model, hour) keep their posting order (the one thing the rule
    relies on)."""
    slots = list(range(len(rows)))
    random.Random(seed).shuffle(slots)
    placed: list[tuple[dt.datetime, int, str] | None] = [None] * len(rows)
    by_key: dict[tuple[int, str], list[int]] = {}
    for index, (_, hour, model) in enumerate(rows):
        by_key.setdefault((hour, model), []).append(index)
    for indices in by_key.values():
        for slot, index in zip(sorted(slots[i] for i in indices), indices, strict=True):
            placed[slot] = rows[index]
    return [row for row in placed if row is not None]


@settings(max_examples=40, deadline=None)
@given(day=DAYS, minute=st.integers(0, 59), second=st.integers(0, 59), seed=st.integers(0, 2**32 - 1))
@example(day=FALL, minute=30, second=0, seed=0)
def test_every_api_row_gets_its_true_posting_instant_in_any_order_that_keeps_postings_in_turn(
    day: dt.date, minute: int, second: int, seed: int
) -> None:
    # GIVEN an hourly forecast over a Central day, each posting covering the same delivery hours for two models,
    # its rows interleaved arbitrarily on one page (a posting's row still before the next posting's of that key)
    postings = hourly_postings(day, minute, second)
    rows = interleaved(
        [(posted, hour, model) for posted in postings for hour in (1, 2, 3) for model in ("E", "M")], seed
    )
    # WHEN parsed
    parsed = posted_column([forecast_row(posted, hour, model) for posted, hour, model in rows])
    # THEN each row's vintage is the instant of its posting, so no two postings collide
    assert parsed == [posted for posted, _, _ in rows]


def test_a_plain_csv_document_without_metadata_uses_its_member_name() -> None:
    # (parse_mis_zip without metadata: the label comes from the member name; a repeated-hour one is noted)
    result = parse_mis_zip("load_forecast", DOCUMENT)
    assert set(result.table.column("posted_at_utc").to_pylist()) == {utc(2024, 11, 3, 6, 30)}
    assert len(result.notes) == 1
