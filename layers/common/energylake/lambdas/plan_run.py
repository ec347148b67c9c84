"""PlanRunFunction: validate a pipeline or backfill execution's input and plan the run (the machines' first state).

:func:`plan` turns an execution's input into a plan: the window of operating days, the ERCOT datasets to fetch,
whether to fetch weather, where gold is built (``gold_engine``: BuildGoldFunction, DuckDB in a Lambda, for windows of
at most ``ENERGYLAKE_GOLD_LAMBDA_MAX_DAYS`` operating days, the Glue job for longer ones and for every backfill), poll
intervals and limits, and for a backfill the chunks and the Distributed Map's
concurrency and tolerated failure percentage, with the door plan of its fetches (days per door per dataset,
requests, and the least minutes ERCOT's request limit allows: :mod:`energylake.plan`). A backfill's chunks are the
local backfill's (:func:`energylake.plan.backfill_chunks`): each lists the datasets some door reaches on every one of
its days and fetches only those, so a window reaching back before a dataset's first day (the load forecast's archive
starts 2014-08-08, wind's 2014-08-17, solar's 2016-03-12) runs the other datasets there instead of failing its chunks;
chunks are cut where that set changes, and span a calendar year where ERCOT's yearly files serve every ERCOT dataset
fetched (a year is one file each: shorter chunks would only download it again). A bad input raises
:class:`~energylake.errors.InvalidRequestError` naming every bad field, so the execution fails at its first state.
``statemachines/pipeline.asl.json`` and ``statemachines/backfill.asl.json`` read the plan's fields by name.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal, TypedDict, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from energylake.contracts.datasets import ALL_DATASETS, ERCOT_DATASETS, DatasetName, in_catalog_order
from energylake.errors import InvalidRequestError
from energylake.lambdas._shared import Day, Schedule, parse_event
from energylake.timeconv import central_today, utc_now
from energylake.window import Window

if TYPE_CHECKING:
    from energylake.plan import BackfillChunk, FetchPlan
    from energylake.settings import Settings

__all__ = [
    "MAX_BACKFILL_CHUNKS",
    "MAX_PIPELINE_DAYS",
    "SCHEDULED_DATASETS",
    "BackfillInput",
    "BackfillPlan",
    "GoldEngineName",
    "PipelineInput",
    "PlanEvent",
    "RunPlan",
    "gold_engine",
    "handle",
    "plan",
    "scheduled_window",
]

# What each schedule fetches. Every 15 minutes: real-time prices (ERCOT posts each 15-minute interval minutes after
# it ends), the 5-minute fuel mix (the current day's load and generation) and the weather forecast. Daily: the
# settled and slower datasets (actual load is posted the next day; day-ahead prices the day before; forecasts
# hourly; wind and solar hourly; the weather archive lags days), re-fetched for yesterday and today.
SCHEDULED_DATASETS: Final[dict[Schedule, tuple[DatasetName, ...]]] = {
    "realtime": ("spp_rt", "fuel_mix", "weather"),
    "daily": ("spp_dam", "load_weather_zone", "load_forecast", "wind", "solar", "weather"),
}
# Payload bounds (Step Functions passes at most 256 KiB between states): a pipeline run's fetch results grow with
# its days; a backfill's plan with its chunks (at most ~150 bytes each: days, ERCOT datasets, weather or not).
MAX_PIPELINE_DAYS: Final = 31
MAX_BACKFILL_CHUNKS: Final = 1000
# A real-time run this soon after midnight also re-fetches the previous operating day: its last intervals post
# minutes after midnight.
_REALTIME_LOOKBACK: Final = dt.timedelta(hours=1)


def _check_window(start: dt.date, end: dt.date) -> None:
    try:
        Window(start, end)
    except InvalidRequestError as exc:
        raise ValueError(str(exc)) from None  # pydantic reports it with the other problems


class PipelineInput(BaseModel):
    """A pipeline execution's input. Every field is optional:

    * ``start``/``end`` (operating days, inclusive; both or neither; default yesterday..today, Central);
    * ``datasets`` (default all, or the schedule's);
    * ``schedule`` with ``scheduled_time`` (set by StartRunFunction): the window derives from the scheduled time.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: Day | None = None
    end: Day | None = None
    datasets: Annotated[list[DatasetName], Field(min_length=1)] | None = None
    schedule: Schedule | None = None
    scheduled_time: AwareDatetime | None = None

    @model_validator(mode="after")
    def _consistent(self) -> PipelineInput:
        if (self.schedule is None) != (self.scheduled_time is None):
            raise ValueError("schedule and scheduled_time go together: give both or neither")
        if self.schedule is not None and (self.start is not None or self.end is not None):
            raise ValueError("a scheduled run derives start/end from scheduled_time: do not give start or end")
        if (self.start is None) != (self.end is None):
            raise ValueError("give both start and end, or neither (default: yesterday..today, Central)")
        if self.start is not None and self.end is not None:
            _check_window(self.start, self.end)
            days = (self.end - self.start).days + 1
            if days > MAX_PIPELINE_DAYS:
                raise ValueError(
                    f"the window spans {days} days; one pipeline run takes at most {MAX_PIPELINE_DAYS} "
                    "(start the backfill state machine for longer windows)"
                )
        if self.datasets is not None and len(set(self.datasets)) != len(self.datasets):
            raise ValueError(f"datasets lists a dataset twice: {self.datasets}")
        return self


class BackfillInput(BaseModel):
    """A backfill execution's input: ``start``/``end`` are required; the rest default to the template's settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: Day
    end: Day
    datasets: Annotated[list[DatasetName], Field(min_length=1)] | None = None
    chunk_days: int | None = Field(None, ge=1, le=31)
    max_concurrency: int | None = Field(None, ge=1, le=40)
    tolerated_failure_percent: float | None = Field(None, ge=0, le=100)

    @model_validator(mode="after")
    def _consistent(self) -> BackfillInput:
        _check_window(self.start, self.end)

        if self.datasets is not None and len(set(self.datasets)) != len(self.datasets):
            raise ValueError(f"datasets lists a dataset twice: {self.datasets}")
        return self


# Where a run builds gold (the machines' ChooseGoldEngine state reads it): "lambda" is BuildGoldFunction (DuckDB; no
# start-up, billed per millisecond), "glue" the Spark job (a minute to start, a one-minute minimum, any window).
GoldEngineName = Literal["lambda", "glue"]


class PollPlan(TypedDict):
    poll_seconds: int
    max_polls: int


class RunPlan(TypedDict):
    """What a pipeline run (or one backfill chunk) does; the state machines read these fields by name."""

    start: str
    end: str
    datasets: list[str]
    ercot_datasets: list[str]
    fetch_weather: bool
    schedule: str | None
    gold_engine: GoldEngineName
    gate: PollPlan
    glue: PollPlan


class ChunkPlan(TypedDict):
    """One chunk: its days and what it fetches (the datasets some door reaches on every one of its days, split as
    the machine's fetch states read them); the map's ItemSelector adds what every chunk shares (the gate) from the
    plan, so the plan stays small (Step Functions passes at most 256 KiB between states)."""

    start: str
    end: str
    ercot_datasets: list[str]
    fetch_weather: bool


class BackfillPlan(RunPlan):
    chunks: list[ChunkPlan]
    max_concurrency: int
    tolerated_failure_percent: float
    # What the chunks fetch, for the console (a few hundred bytes; no state reads it): days per door per dataset,
    # requests, and the least minutes ERCOT's 30 requests a minute allow (energylake.plan.FetchPlan.summary).
    fetch_plan: dict[str, Any]


def scheduled_window(schedule: Schedule, scheduled_time: dt.datetime) -> Window:
    """The operating days a scheduled run covers: the current day for real-time (with the previous one during the
    first hour after midnight), yesterday and today for the daily run."""
    today = central_today(scheduled_time)
    if schedule == "realtime":
        return Window(central_today(scheduled_time - _REALTIME_LOOKBACK), today)
    return Window(today - dt.timedelta(days=1), today)


def gold_engine(window: Window, settings: Settings, *, backfill: bool = False) -> GoldEngineName:
    """Where gold is built for ``window``: in BuildGoldFunction when the window has at most
    ``settings.gold_lambda_max_days`` operating days (the real-time and daily runs: one to three UTC dates, seconds of
    DuckDB), else in the Glue job, which has no memory or 15-minute ceiling. A backfill always uses Glue: its window
    is as long as the operator asks, and one Glue run over it replaces many Lambda invocations."""
    if backfill or window.days_count > settings.gold_lambda_max_days:
        return "glue"
    return "lambda"


def _run_plan(
    window: Window, datasets: list[str], settings: Settings, schedule: str | None = None, *, backfill: bool = False
) -> RunPlan:
    return RunPlan(
        start=window.start.isoformat(),
        end=window.end.isoformat(),
        datasets=datasets,
        ercot_datasets=[name for name in datasets if name in ERCOT_DATASETS],
        fetch_weather="weather" in datasets,
        schedule=schedule,
        gold_engine=gold_engine(window, settings, backfill=backfill),
        gate=PollPlan(poll_seconds=settings.gate_poll_seconds, max_polls=settings.gate_max_polls),
        glue=PollPlan(poll_seconds=settings.glue_poll_seconds, max_polls=settings.glue_max_polls),
    )


def _backfill_chunks(
    window: Window, datasets: list[str], chunk_days: int, settings: Settings, now: dt.datetime | None
) -> tuple[list[BackfillChunk], FetchPlan]:
    """The backfill's chunks (each with the datasets a door reaches on all its days) and the door plan of their
    fetches. The stack always gives the fetch function ERCOT API credentials (a Secrets Manager secret), so the plan
    assumes them; a day no door reaches for a dataset is in no chunk of it, and the plan counts it as unreachable."""
    # The door planner (the sources' catalogues, httpx) loads with a backfill's first plan, not at import.
    from energylake.plan import backfill_chunks, plan_fetch

    now_utc = now or utc_now()
    today, weather_today = central_today(now_utc), now_utc.astimezone(dt.UTC).date()
    chunks = backfill_chunks(
        window, datasets, today=today, credentials=True, chunk_days=chunk_days, weather_today=weather_today
    )
    fetch_plan = plan_fetch(
        window,
        datasets,
        today=today,
        credentials=True,
        settings=settings,
        chunks=chunks,
        weather_today=weather_today,
    )
    return chunks, fetch_plan


def _why_unreachable(fetch_plan: FetchPlan) -> str:
    """Why no door reaches the window (the planner's reason for the first dataset's first unreachable days)."""
    reasons = [item.reason for dataset in fetch_plan.datasets for item in dataset.unreachable]
    return reasons[0] if reasons else "no door reaches it"


def _chunk_plan(chunk: BackfillChunk) -> ChunkPlan:
    return ChunkPlan(
        start=chunk.window.start.isoformat(),
        end=chunk.window.end.isoformat(),
        ercot_datasets=[name for name in chunk.datasets if name in ERCOT_DATASETS],
        fetch_weather="weather" in chunk.datasets,
    )


def _in_order(datasets: list[DatasetName] | tuple[DatasetName, ...]) -> list[str]:
    return list(in_catalog_order(datasets))


InputModel = TypeVar("InputModel", PipelineInput, BackfillInput)


class PlanEvent(BaseModel):
    """PlanRunFunction's event: which machine asks, and the execution's input (``$$.Execution.Input``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["pipeline", "backfill"]
    input: Any = None  # validated by plan(), so its errors say "invalid pipeline input" (or backfill)


def plan(
    mode: Literal["pipeline", "backfill"],
    execution_input: object,
    *,
    settings: Settings | None = None,
    now: dt.datetime | None = None,
) -> RunPlan | BackfillPlan:
    """Validate ``execution_input`` for ``mode`` and plan the run (see the module docstring)."""
    from energylake.settings import get_settings  # pydantic-settings loads with the first event, not at import

    settings = settings or get_settings()
    if mode == "backfill":
        backfill = _parse(execution_input, BackfillInput, "backfill")
        window = Window(backfill.start, backfill.end)
        datasets = _in_order(backfill.datasets or ALL_DATASETS)
        base = _run_plan(window, datasets, settings, backfill=True)
        chunk_days = backfill.chunk_days or settings.backfill_chunk_days
        planned, fetch_plan = _backfill_chunks(window, datasets, chunk_days, settings, now)
        # A chunk no door reaches for any dataset has nothing to fetch: it is left out (the plan names its days).
        chunks = [_chunk_plan(chunk) for chunk in planned if chunk.datasets]
        if not chunks:
            raise InvalidRequestError(
                f"invalid backfill input: nothing to backfill in {window}: {_why_unreachable(fetch_plan)}"
            )
        if len(chunks) > MAX_BACKFILL_CHUNKS:
            raise InvalidRequestError(
                f"invalid backfill input: chunk_days {chunk_days} makes {len(chunks)} chunks; "
                f"at most {MAX_BACKFILL_CHUNKS} (raise chunk_days)"
            )
        return BackfillPlan(
            **base,
            chunks=chunks,
            fetch_plan=fetch_plan.summary(),
            max_concurrency=backfill.max_concurrency or settings.backfill_max_concurrency,
            tolerated_failure_percent=(
                backfill.tolerated_failure_percent
                if backfill.tolerated_failure_percent is not None
                else settings.backfill_tolerated_failure_percent
            ),
        )
    request = _parse(execution_input, PipelineInput, "pipeline")
    if request.schedule is not None and request.scheduled_time is not None:
        window = scheduled_window(request.schedule, request.scheduled_time)
        default_datasets: tuple[DatasetName, ...] = SCHEDULED_DATASETS[request.schedule]
    elif request.start is not None and request.end is not None:
        window, default_datasets = Window(request.start, request.end), ALL_DATASETS
    else:
        today = central_today(now)
        window, default_datasets = Window(today - dt.timedelta(days=1), today), ALL_DATASETS
    return _run_plan(window, _in_order(request.datasets or default_datasets), settings, request.schedule)


def _parse(execution_input: object, model: type[InputModel], what: str) -> InputModel:
    try:
        return parse_event(execution_input, model)
    except InvalidRequestError as exc:
        message = str(exc).replace("invalid event", f"invalid {what} input", 1)
        # Whole-input problems: pydantic labels them "event: Value error, ..."; the input is not an "event" here.
        raise InvalidRequestError(message.replace(": event: Value error, ", ": ")) from None


def handle(event: object) -> RunPlan | BackfillPlan:
    """PlanRunFunction's body."""
    request = parse_event(event, PlanEvent)
    return plan(request.mode, request.input)
