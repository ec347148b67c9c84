"""What every Lambda module shares: event parsing, the window event, the configured lake, cached AWS clients.

Each function's own module (``energylake.lambdas.<function>``) holds its event model, its body (``handle``) and its
client getters; ``functions/<function>/app.py`` only adds Powertools' Logger, Tracer and Metrics around ``handle``.
A bad event fails with :class:`~energylake.errors.InvalidRequestError` whose message names every bad field.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, model_validator

from energylake.errors import InvalidRequestError

# Re-exported: the lake, AWS clients and the Tracer live in the pydantic-free _aws (see its docstring).
from energylake.lambdas._aws import TracedLibrary, _lake, aws_client, lake, tracer_patching  # noqa: F401
from energylake.window import Window, parse_day

if TYPE_CHECKING:
    from aws_lambda_powertools import Metrics

# The two schedules (template.yaml): every 15 minutes ("realtime") and once a day ("daily").
Schedule = Literal["realtime", "daily"]


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


def fetch_into_lake(dataset: str, window: Window, metrics: Metrics) -> dict[str, object]:
    """The fetch functions' common body: fetch ``dataset`` over ``window`` into the configured lake from the live
    sources, emit the fetch's counters as metrics, and return what landed."""
    from aws_lambda_powertools.metrics import MetricUnit

    from energylake.fetch import fetch, live_connection
    from energylake.settings import get_settings

    result = fetch(window, dataset, lake(), live_connection(get_settings()))
    metrics.add_dimension(name="dataset", value=result.dataset)
    metrics.add_metric(name="Requests", unit=MetricUnit.Count, value=result.stats.requests)
    metrics.add_metric(name="Retries", unit=MetricUnit.Count, value=result.stats.retries)
    metrics.add_metric(name="Throttled", unit=MetricUnit.Count, value=result.stats.throttled)
    metrics.add_metric(name="BytesReceived", unit=MetricUnit.Bytes, value=result.stats.bytes_received)
    metrics.add_metric(name="Rows", unit=MetricUnit.Count, value=result.stats.rows)
    metrics.add_metric(name="ObjectsWritten", unit=MetricUnit.Count, value=result.written)
    return result.as_dict()
