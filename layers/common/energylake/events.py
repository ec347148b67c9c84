"""The payloads Lambda functions accept, as Powertools parser (pydantic) models.

A bad event fails with :class:`~energylake.errors.InvalidRequestError` whose message names every bad field.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, model_validator

from energylake.datasets import ErcotDatasetName
from energylake.errors import InvalidRequestError
from energylake.window import Window, parse_day


def _strict_day(value: Any) -> dt.date:
    # Only YYYY-MM-DD strings: pydantic alone would also take 1730592000 or "2024-11-03T05:00".
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str):
        raise ValueError(f"must be a date string YYYY-MM-DD, got {type(value).__name__}")
    try:
        return parse_day(value)
    except InvalidRequestError:
        raise ValueError(f"must be a real calendar date YYYY-MM-DD, got {value!r}") from None


Day = Annotated[dt.date, BeforeValidator(_strict_day)]


class WindowEvent(BaseModel):
    """``start``/``end``: ERCOT operating days (America/Chicago), both inclusive."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: Day
    end: Day

    @model_validator(mode="after")
    def _window_is_valid(self) -> WindowEvent:
        try:
            self.window()
        except InvalidRequestError as exc:
            raise ValueError(str(exc)) from None
        return self

    def window(self) -> Window:
        return Window(self.start, self.end)


class FetchErcotEvent(WindowEvent):
    """Input of FetchErcotFunction."""

    dataset: ErcotDatasetName


class FetchWeatherEvent(WindowEvent):
    """Input of FetchWeatherFunction."""

    dataset: Literal["weather"] = "weather"


EventModel = TypeVar("EventModel", bound=BaseModel)


def parse_event(event: object, model: type[EventModel]) -> EventModel:
    """Validate ``event`` against ``model`` with Powertools parser; errors name each bad field."""
    from aws_lambda_powertools.utilities.parser import parse

    if not isinstance(event, dict):
        raise InvalidRequestError(f"invalid event: expected a JSON object, got {type(event).__name__}")
    try:
        return parse(event=event, model=model)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'event'}: {error['msg']}" for error in exc.errors()
        )
        raise InvalidRequestError(f"invalid event: {problems}") from None
