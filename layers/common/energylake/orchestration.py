"""The state machines' own steps: plan a run, gate it on quality, start scheduled runs under deterministic names.

``statemachines/pipeline.asl.json`` and ``statemachines/backfill.asl.json`` call three small functions whose logic
lives here:

* :func:`plan` (PlanRunFunction) validates an execution's input and turns it into a plan: the window of operating
  days, the ERCOT datasets to fetch, whether to fetch weather, poll intervals and limits, and for a backfill the
  chunks and the Distributed Map's concurrency and tolerated failure percentage. A bad input raises
  :class:`~energylake.errors.InvalidRequestError` naming every bad field, so the execution fails at its first state.
* :func:`quality_gate` (QualityGateFunction) checks that every group the fetch steps landed has a quality report for
  its newest manifest: ``passed`` when all did and all passed, ``pending`` while some are still being curated;
  :class:`QualityGateFailedError` when any failed, :class:`QualityGateTimeoutError` when the poll budget is spent.
* :func:`start_scheduled_run` (StartRunFunction, the EventBridge Scheduler target) names each scheduled execution
  after its schedule and scheduled time, so a duplicated trigger cannot start a second run of the same window.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal, TypedDict, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from energylake.datasets import ALL_DATASETS, ERCOT_DATASETS, DatasetName
from energylake.errors import ConfigurationError, EnergylakeError, InvalidRequestError, StorageError
from energylake.events import Day, parse_event
from energylake.lake import MANIFEST_SUFFIX, newest_manifest, quality_report_key
from energylake.timeconv import central_today
from energylake.window import Window

if TYPE_CHECKING:
    from energylake.storage import Storage

__all__ = [
    "SCHEDULED_DATASETS",
    "BackfillInput",
    "BackfillPlan",
    "GateResult",
    "OrchestrationSettings",
    "PipelineInput",
    "QualityGateEvent",
    "QualityGateFailedError",
    "QualityGateTimeoutError",
    "RunPlan",
    "ScheduledRunEvent",
    "StartedRun",
    "execution_name",
    "get_orchestration_settings",
    "handle_plan",
    "handle_quality_gate",
    "plan",
    "quality_gate",
    "scheduled_window",
    "start_scheduled_run",
]

logger = logging.getLogger(__name__)

Schedule = Literal["realtime", "daily"]

# What each schedule fetches. Every 15 minutes: real-time prices (ERCOT posts each 15-minute interval minutes after
# it ends), the 5-minute fuel mix (the current day's load and generation) and the weather forecast. Daily: the
# settled and slower datasets (actual load is posted the next day; day-ahead prices the day before; forecasts
# hourly; wind and solar hourly; the weather archive lags days), re-fetched for yesterday and today.
SCHEDULED_DATASETS: Final[dict[Schedule, tuple[DatasetName, ...]]] = {
    "realtime": ("spp_rt", "fuel_mix", "weather"),
    "daily": ("spp_dam", "load_weather_zone", "load_forecast", "wind", "solar", "weather"),
}
# Payload bounds (Step Functions passes at most 256 KiB between states): a pipeline run's fetch results grow with
# its days; a backfill's plan with its chunks.
MAX_PIPELINE_DAYS: Final = 31
MAX_BACKFILL_CHUNKS: Final = 1000
# A real-time run this soon after midnight also re-fetches the previous operating day: its last intervals post
# minutes after midnight.
_REALTIME_LOOKBACK: Final = dt.timedelta(hours=1)


class OrchestrationSettings(BaseSettings):
    """Poll budgets and backfill limits, from ``ENERGYLAKE_*`` variables (template parameters on AWS)."""

    model_config = SettingsConfigDict(env_prefix="ENERGYLAKE_", extra="ignore", frozen=True)

    gate_poll_seconds: int = Field(30, ge=1, le=3600, description="Wait between quality-gate checks.")
    gate_max_polls: int = Field(40, ge=1, le=1000, description="Quality-gate checks before the run gives up.")
    glue_poll_seconds: int = Field(60, ge=1, le=3600, description="Wait between glue:getJobRun polls.")
    glue_max_polls: int = Field(120, ge=1, le=1000, description="Glue polls before the run gives up.")
    backfill_chunk_days: int = Field(7, ge=1, le=31, description="Operating days per backfill chunk.")
    backfill_max_concurrency: int = Field(
        1,
        ge=1,
        le=40,
        description="Chunks in flight at once. ERCOT allows 30 requests/minute per key and FetchErcotFunction runs "
        "one at a time (reserved concurrency 1), so more chunks only queue for it; weather and curation overlap.",
    )
    backfill_tolerated_failure_percent: float = Field(
        10, ge=0, le=100, description="Failed chunks a backfill tolerates before it fails, in percent."
    )
    pipeline_state_machine_arn: str | None = Field(
        None, description="The pipeline state machine StartRunFunction starts (ENERGYLAKE_PIPELINE_STATE_MACHINE_ARN)."
    )


@lru_cache(maxsize=1)
def get_orchestration_settings() -> OrchestrationSettings:
    """Resolved once per process (Lambda cold start); a bad value names its variable."""
    from pydantic import ValidationError

    try:
        return OrchestrationSettings()
    except ValidationError as exc:
        problems = "; ".join(
            f"ENERGYLAKE_{'_'.join(map(str, error['loc'])).upper() or 'SETTINGS'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigurationError(f"invalid orchestration settings: {problems}") from None


# --- plan ---------------------------------------------------------------------------------------------------------


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
    gate: PollPlan
    glue: PollPlan


class ChunkPlan(TypedDict):
    """One chunk's days; the map's ItemSelector adds what every chunk shares from the plan (datasets, gate), so
    the plan stays small (Step Functions passes at most 256 KiB between states)."""

    start: str
    end: str


class BackfillPlan(RunPlan):
    chunks: list[ChunkPlan]
    max_concurrency: int
    tolerated_failure_percent: float


def scheduled_window(schedule: Schedule, scheduled_time: dt.datetime) -> Window:
    """The operating days a scheduled run covers: the current day for real-time (with the previous one during the
    first hour after midnight), yesterday and today for the daily run."""
    today = central_today(scheduled_time)
    if schedule == "realtime":
        return Window(central_today(scheduled_time - _REALTIME_LOOKBACK), today)
    return Window(today - dt.timedelta(days=1), today)


def _ordered(datasets: list[DatasetName] | tuple[DatasetName, ...]) -> list[str]:
    wanted = set(datasets)
    return [name for name in ALL_DATASETS if name in wanted]


def _run_plan(
    window: Window, datasets: list[str], settings: OrchestrationSettings, schedule: str | None = None
) -> RunPlan:
    return RunPlan(
        start=window.start.isoformat(),
        end=window.end.isoformat(),
        datasets=datasets,
        ercot_datasets=[name for name in datasets if name in ERCOT_DATASETS],
        fetch_weather="weather" in datasets,
        schedule=schedule,
        gate=PollPlan(poll_seconds=settings.gate_poll_seconds, max_polls=settings.gate_max_polls),
        glue=PollPlan(poll_seconds=settings.glue_poll_seconds, max_polls=settings.glue_max_polls),
    )


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
    settings: OrchestrationSettings | None = None,
    now: dt.datetime | None = None,
) -> RunPlan | BackfillPlan:
    """Validate ``execution_input`` for ``mode`` and plan the run (see the module docstring)."""
    settings = settings or get_orchestration_settings()
    if mode == "backfill":
        backfill = _parse(execution_input, BackfillInput, "backfill")
        window = Window(backfill.start, backfill.end)
        datasets = _ordered(backfill.datasets or ALL_DATASETS)
        base = _run_plan(window, datasets, settings)
        chunk_days = backfill.chunk_days or settings.backfill_chunk_days
        chunks = [
            ChunkPlan(start=chunk.start.isoformat(), end=chunk.end.isoformat()) for chunk in window.chunks(chunk_days)
        ]
        if len(chunks) > MAX_BACKFILL_CHUNKS:
            raise InvalidRequestError(
                f"invalid backfill input: chunk_days {chunk_days} makes {len(chunks)} chunks; "
                f"at most {MAX_BACKFILL_CHUNKS} (raise chunk_days)"
            )
        return BackfillPlan(
            **base,
            chunks=chunks,
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
    return _run_plan(window, _ordered(request.datasets or default_datasets), settings, request.schedule)


def _parse(execution_input: object, model: type[InputModel], what: str) -> InputModel:
    try:
        return parse_event(execution_input, model)
    except InvalidRequestError as exc:
        message = str(exc).replace("invalid event", f"invalid {what} input", 1)
        # Whole-input problems: pydantic labels them "event: Value error, ..."; the input is not an "event" here.
        raise InvalidRequestError(message.replace(": event: Value error, ", ": ")) from None


def handle_plan(event: object) -> RunPlan | BackfillPlan:
    """PlanRunFunction's body."""
    request = parse_event(event, PlanEvent)
    return plan(request.mode, request.input)


# --- quality gate -------------------------------------------------------------------------------------------------


class FetchSummary(BaseModel):
    """What the state machines keep of a fetch function's reply (its ResultSelector)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    dataset: DatasetName
    manifests: list[str] = Field(default_factory=list)


class QualityGateEvent(BaseModel):
    """QualityGateFunction's event: the fetch steps' results and this check's number (0 for the first)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # All required: the machines always send all four, and a renamed path must fail the gate, not pass it with
    # nothing to check.
    ercot: list[FetchSummary]
    weather: FetchSummary
    attempt: int = Field(ge=0)
    max_polls: int = Field(ge=1)

    def manifests(self) -> list[str]:
        fetched = [*self.ercot, self.weather]
        return sorted({key for summary in fetched for key in summary.manifests})


class GateResult(TypedDict):
    status: Literal["passed", "pending"]
    attempt: int  # the next check's number
    groups: int
    passed: int
    pending: list[str]  # manifests still waiting for their report (at most 20 listed)


class QualityGateFailedError(EnergylakeError):
    """At least one landed group failed its quality checks: its data is quarantined, so the run stops before Glue."""


class QualityGateTimeoutError(EnergylakeError):
    """Some groups still had no quality report after the poll budget: curation is stuck or failing (see the
    validate queue's dead-letter queue)."""


_LISTED: Final = 20


def _report_for(storage: Storage, manifest_key: str) -> dict[str, Any] | None:
    """The quality report of ``manifest_key``'s group if it was written for the group's newest manifest."""
    parts = manifest_key.split("/")
    # raw/source=S/dataset=D/date=YYYY-MM-DD/_manifests/<group>/<stamp>-<hash>.manifest.json
    if len(parts) != 7 or parts[0] != "raw" or not manifest_key.endswith(MANIFEST_SUFFIX):
        raise InvalidRequestError(f"not a raw manifest key: {manifest_key!r}")
    dataset, day, group = parts[2].removeprefix("dataset="), parts[3].removeprefix("date="), parts[5]
    try:
        report_key = quality_report_key(dataset, dt.date.fromisoformat(day), group)
    except ValueError:
        raise InvalidRequestError(f"not a raw manifest key (bad date {day!r}): {manifest_key!r}") from None
    if not storage.exists(report_key):
        return None
    try:
        report: dict[str, Any] = json.loads(storage.get(report_key))
    except ValueError as exc:
        raise StorageError(f"quality report {report_key} is not JSON: {exc}") from None
    if report.get("context", {}).get("manifest") != newest_manifest(storage, manifest_key):
        return None  # the report is for an older manifest of the group: the newest is still being curated
    return report


def quality_gate(request: QualityGateEvent, storage: Storage) -> GateResult:
    """Check the groups ``request`` lists (see the module docstring)."""
    manifests = request.manifests()
    pending: list[str] = []
    failed: list[str] = []
    for manifest_key in manifests:
        report = _report_for(storage, manifest_key)
        if report is None:
            pending.append(manifest_key)
        elif report.get("status") != "passed":
            reasons = "; ".join(str(reason) for reason in report.get("failed_because", [])) or "quality checks failed"
            failed.append(f"{manifest_key}: {reasons}")
    if failed:
        raise QualityGateFailedError(
            f"{len(failed)} of {len(manifests)} landed groups failed quality checks (quarantined): "
            + " | ".join(failed[:_LISTED])
        )
    attempt = request.attempt + 1
    if pending and attempt >= request.max_polls:
        raise QualityGateTimeoutError(
            f"{len(pending)} of {len(manifests)} landed groups still have no quality report after {attempt} checks: "
            + ", ".join(pending[:_LISTED])
        )
    logger.info("quality gate check %d: %d passed, %d pending", attempt, len(manifests) - len(pending), len(pending))
    return GateResult(
        status="pending" if pending else "passed",
        attempt=attempt,
        groups=len(manifests),
        passed=len(manifests) - len(pending),
        pending=pending[:_LISTED],
    )


def handle_quality_gate(event: object, storage: Storage | None = None) -> GateResult:
    """QualityGateFunction's body (the lake is ``ENERGYLAKE_LAKE_URI``'s unless given)."""
    request = parse_event(event, QualityGateEvent)
    if storage is None:
        from energylake.aws import lake_storage

        storage = lake_storage()
    return quality_gate(request, storage)


# --- scheduled runs -----------------------------------------------------------------------------------------------


class ScheduledRunEvent(BaseModel):
    """StartRunFunction's event, as the schedules in template.yaml send it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schedule: Schedule
    scheduled_time: AwareDatetime


def execution_name(schedule: str, scheduled_time: dt.datetime) -> str:
    """``realtime-20241103T0715Z``: one name per schedule and scheduled minute (names are unique per machine)."""
    return f"{schedule}-{scheduled_time.astimezone(dt.UTC):%Y%m%dT%H%MZ}"


class StartedRun(TypedDict):
    execution_name: str
    execution_arn: str | None
    started: bool  # False: an execution of that name already existed (a duplicated trigger)


def start_scheduled_run(event: object, *, sfn: Any | None = None, state_machine_arn: str | None = None) -> StartedRun:
    """StartRunFunction's body: start the pipeline for the schedule's window under a deterministic name."""
    request = parse_event(event, ScheduledRunEvent)
    arn = state_machine_arn or get_orchestration_settings().pipeline_state_machine_arn
    if not arn:
        raise ConfigurationError("the pipeline is not configured: set ENERGYLAKE_PIPELINE_STATE_MACHINE_ARN")
    client = sfn if sfn is not None else _default_sfn_client()
    name = execution_name(request.schedule, request.scheduled_time)
    execution_input = json.dumps(
        {
            "schedule": request.schedule,
            "scheduled_time": request.scheduled_time.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    )
    # Step Functions answers a repeated StartExecution of a RUNNING execution (same name and input) with that
    # execution, so look first: any execution of this name means the trigger is a duplicate.
    existing_arn = f"{arn.replace(':stateMachine:', ':execution:', 1)}:{name}"
    try:
        client.describe_execution(executionArn=existing_arn)
    except client.exceptions.ExecutionDoesNotExist:
        pass
    else:
        logger.info("execution %s already exists: a duplicated trigger, nothing started", name)
        return StartedRun(execution_name=name, execution_arn=existing_arn, started=False)
    try:
        started = client.start_execution(stateMachineArn=arn, name=name, input=execution_input)
    except client.exceptions.ExecutionAlreadyExists:  # a concurrent duplicate won the race
        logger.info("execution %s already exists: a duplicated trigger, nothing started", name)
        return StartedRun(execution_name=name, execution_arn=existing_arn, started=False)
    return StartedRun(execution_name=name, execution_arn=str(started["executionArn"]), started=True)


@lru_cache(maxsize=1)
def _default_sfn_client() -> Any:
    import boto3

    return boto3.client("stepfunctions")
