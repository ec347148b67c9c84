"""Windows of operating days and the Lambda event models: bad input is refused with a message naming the field."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from energylake.errors import InvalidRequestError
from energylake.events import FetchErcotEvent, FetchWeatherEvent, parse_event
from energylake.timeconv import local_day_bounds_utc, local_day_hours
from energylake.window import Window


def test_window_days_are_inclusive_and_chunks_cover_exactly() -> None:
    # GIVEN a 40-day window WHEN it is split into 14-day chunks
    window = Window(dt.date(2024, 1, 1), dt.date(2024, 2, 9))
    chunks = list(window.chunks(14))
    # THEN the chunks tile the window with no gap or overlap
    assert [c.days_count for c in chunks] == [14, 14, 12]
    assert chunks[0].start == window.start and chunks[-1].end == window.end
    assert all(b.start - a.end == dt.timedelta(days=1) for a, b in itertools.pairwise(chunks))
    assert list(window.days())[-1] == dt.date(2024, 2, 9)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2024-11-07", "2024-11-01", "before start"),
        ("2024-02-30", "2024-03-01", "start must be a real calendar date"),
        ("2024-1-5", "2024-01-06", "start must be a real calendar date"),
        ("2024-01-05", "tomorrow", "end must be a real calendar date"),
        ("1990-01-01", "2024-01-01", "the limit is"),
    ],
)
def test_bad_windows_name_the_problem(start: str, end: str, message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        Window.parse(start, end)


@pytest.mark.parametrize(
    ("day", "hours"),
    [(dt.date(2024, 3, 10), 23), (dt.date(2024, 11, 3), 25), (dt.date(2024, 7, 4), 24)],
)
def test_central_operating_days_have_dst_lengths(day: dt.date, hours: int) -> None:
    assert local_day_hours(day) == hours


def test_fall_back_day_starts_at_cdt_and_ends_at_cst() -> None:
    start, end = local_day_bounds_utc(dt.date(2024, 11, 3))
    assert start == dt.datetime(2024, 11, 3, 5, tzinfo=dt.UTC)
    assert end == dt.datetime(2024, 11, 4, 6, tzinfo=dt.UTC)


def test_valid_ercot_event_parses_to_a_window() -> None:
    event = parse_event({"dataset": "spp_rt", "start": "2024-11-03", "end": "2024-11-04"}, FetchErcotEvent)
    assert event.window() == Window(dt.date(2024, 11, 3), dt.date(2024, 11, 4))


def test_weather_event_defaults_its_dataset() -> None:
    assert parse_event({"start": "2024-11-03", "end": "2024-11-03"}, FetchWeatherEvent).dataset == "weather"


@pytest.mark.parametrize(
    ("event", "named"),
    [
        ({"dataset": "spp_rt", "start": "2024-11-03"}, "end: Field required"),
        ({"dataset": "prices", "start": "2024-11-03", "end": "2024-11-03"}, "dataset:"),
        ({"dataset": "weather", "start": "2024-11-03", "end": "2024-11-03"}, "dataset:"),
        ({"dataset": "spp_rt", "start": "2024-13-03", "end": "2024-11-03"}, "start:"),
        ({"dataset": "spp_rt", "start": 1730592000, "end": "2024-11-03"}, "start:"),
        ({"dataset": "spp_rt", "start": "2024-11-05", "end": "2024-11-03"}, "before start"),
        ({"dataset": "spp_rt", "start": "2024-11-03", "end": "2024-11-03", "region": "x"}, "region:"),
        (["spp_rt"], "expected a JSON object"),
    ],
)
def test_bad_ercot_events_name_the_field(event: object, named: str) -> None:
    with pytest.raises(InvalidRequestError, match="invalid event") as caught:
        parse_event(event, FetchErcotEvent)
    assert named in str(caught.value)
