"""The Lambda event models (energylake.lambdas): a fetch event parses to a window; bad input is refused with a message
naming the field."""

from __future__ import annotations

import datetime as dt

import pytest

from energylake.errors import InvalidRequestError
from energylake.lambdas._shared import parse_event
from energylake.lambdas.fetch_ercot import FetchErcotEvent
from energylake.lambdas.fetch_weather import FetchWeatherEvent
from energylake.window import Window


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
