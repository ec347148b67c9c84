"""TriggerGlueFunction: start the gold Glue job (``glue/build_gold.py``) for a window, at most once at a time.

The job builds ``gold/`` from ``silver/`` for the operating days ``--start``..``--end`` of the lake ``--lake``
(the job's arguments, see template.yaml ``BuildGoldJob``). Starting is idempotent: when a run of the job for the
same window and lake is still active (``STARTING``, ``RUNNING``, ``WAITING``), :func:`trigger_gold_job` returns that
run (``reused: true``) instead of starting a second one that would overwrite the same gold partitions concurrently.
A finished run (``SUCCEEDED``, ``FAILED``, ``STOPPED``, ...) is history: the next trigger starts a new run.

The state machine polls ``glue:getJobRun`` natively; :func:`get_run_state` is the same call for code and tests.

AWS APIs wrapped: `StartJobRun <https://docs.aws.amazon.com/glue/latest/webapi/API_StartJobRun.html>`_,
`GetJobRuns <https://docs.aws.amazon.com/glue/latest/webapi/API_GetJobRuns.html>`_,
`GetJobRun <https://docs.aws.amazon.com/glue/latest/webapi/API_GetJobRun.html>`_.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final, Literal, TypedDict

from pydantic import field_validator

from energylake.errors import GlueJobBusyError, InvalidRequestError
from energylake.lake.layout import LakeUri, s3_lake_root
from energylake.lambdas._aws import aws_client
from energylake.lambdas._shared import WindowEvent, parse_event

if TYPE_CHECKING:
    from energylake.window import Window

__all__ = [
    "ACTIVE_STATES",
    "JobRunState",
    "TriggerGlueEvent",
    "TriggerResult",
    "get_run_state",
    "glue_client",
    "handle",
    "job_arguments",
    "trigger_gold_job",
]

logger = logging.getLogger(__name__)

JobRunState = Literal[
    "STARTING", "RUNNING", "STOPPING", "STOPPED", "SUCCEEDED", "FAILED", "TIMEOUT", "ERROR", "WAITING", "EXPIRED"
]
# A run in one of these states will still write gold partitions: never start a second run for its window meanwhile.
ACTIVE_STATES: Final[frozenset[str]] = frozenset({"STARTING", "RUNNING", "WAITING"})


class TriggerGlueEvent(WindowEvent):
    """Input of TriggerGlueFunction: ``start``/``end`` operating days (inclusive); ``lake`` (an ``s3://`` lake root)
    defaults to the function's ``ENERGYLAKE_LAKE_URI``."""

    lake: str | None = None

    @field_validator("lake")
    @classmethod
    def _s3_lake(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return s3_lake_root(value)
        except InvalidRequestError as exc:
            raise ValueError(str(exc)) from None


class TriggerResult(TypedDict):
    job_name: str
    job_run_id: str
    state: str
    reused: bool


def glue_client() -> Any:
    """The Glue client (one per warm Lambda)."""
    return aws_client("glue")


def job_arguments(window: Window, lake: str) -> dict[str, str]:
    """The run arguments of ``glue/build_gold.py`` for ``window`` over ``lake`` (they override DefaultArguments)."""
    return {"--start": window.start.isoformat(), "--end": window.end.isoformat(), "--lake": s3_lake_root(lake)}


def trigger_gold_job(window: Window, *, lake: str, job_name: str, glue: Any | None = None) -> TriggerResult:
    """Start ``job_name`` for ``window`` over ``lake``, or return the run already active for exactly that window."""
    client = glue if glue is not None else glue_client()
    arguments = job_arguments(window, lake)
    active = _active_run(client, job_name, arguments)
    if active is not None:
        logger.info("reusing %s run %s for %s (%s)", job_name, active["Id"], window, active["JobRunState"])
        return TriggerResult(job_name=job_name, job_run_id=active["Id"], state=active["JobRunState"], reused=True)
    try:
        run_id: str = client.start_job_run(JobName=job_name, Arguments=arguments)["JobRunId"]
    except client.exceptions.ConcurrentRunsExceededException:
        # Lost a race with another trigger for the same window (its run is ours), or another window is running.
        active = _active_run(client, job_name, arguments)
        if active is not None:
            return TriggerResult(job_name=job_name, job_run_id=active["Id"], state=active["JobRunState"], reused=True)
        raise GlueJobBusyError(
            f"Glue job {job_name} is busy with another window's run; {window} was not started (retry later)"
        ) from None
    logger.info("started %s run %s for %s", job_name, run_id, window)
    state = get_run_state(job_name, run_id, glue=client)
    return TriggerResult(job_name=job_name, job_run_id=run_id, state=state, reused=False)


def get_run_state(job_name: str, run_id: str, *, glue: Any | None = None) -> str:
    """The ``JobRunState`` of one run (``STARTING``, ``RUNNING``, ``SUCCEEDED``, ``FAILED``, ...)."""
    client = glue if glue is not None else glue_client()
    state: str = client.get_job_run(JobName=job_name, RunId=run_id, PredecessorsIncluded=False)["JobRun"]["JobRunState"]
    return state


def _active_run(client: Any, job_name: str, arguments: dict[str, str]) -> dict[str, Any] | None:
    """The active run of ``job_name`` whose window and lake arguments equal ``arguments``, if any.

    Runs come newest first, and the job runs one at a time (template.yaml ``MaxConcurrentRuns: 1``), so only runs
    newer than the first finished one can be active: the search stops there instead of paging through the job's
    whole history (about 100 runs a day with the real-time schedule).
    """
    for page in client.get_paginator("get_job_runs").paginate(JobName=job_name):
        for run in page.get("JobRuns", []):  # newest first
            if run.get("JobRunState") not in ACTIVE_STATES:
                return None
            given = run.get("Arguments") or {}
            if all(given.get(name) == value for name, value in arguments.items()):
                return dict(run)
    return None


def handle(event: object, *, glue: Any | None = None) -> TriggerResult:
    """TriggerGlueFunction's body: validate the event, then :func:`trigger_gold_job` with the configured job."""
    from energylake.settings import get_settings  # pydantic-settings loads with the first event, not at import

    request = parse_event(event, TriggerGlueEvent)
    settings = get_settings()
    job_name = settings.require_glue_job_name()
    lake = request.lake or LakeUri.parse(settings.lake_uri).s3_root("ENERGYLAKE_LAKE_URI: the Glue job")
    return trigger_gold_job(request.window(), lake=lake, job_name=job_name, glue=glue)
