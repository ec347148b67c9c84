"""TriggerGlueFunction on moto Glue: start the gold job for a window, reuse the run still active for that window.

moto runs go SUCCEEDED at once by default; tests that need a run to stay active hold it in STARTING with moto's
state manager (a ``manual`` transition that advances only after many reads).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.moto_api import state_manager

from energylake.errors import ConfigurationError, GlueJobBusyError, InvalidRequestError
from energylake.lambdas._shared import aws_client, parse_event
from energylake.lambdas.trigger_glue import (
    ACTIVE_STATES,
    TriggerGlueEvent,
    get_run_state,
    handle,
    job_arguments,
    trigger_gold_job,
)
from energylake.settings import get_settings
from energylake.window import Window
from tests.support.fakes import FakeContext, load_handler
from tests.support.paths import REPO_ROOT

REGION = "us-east-1"
JOB = "energylake-test-build-gold"
LAKE = "s3://energylake-lake-test/"
SAMPLE_EVENT = REPO_ROOT / "events" / "trigger_glue.json"
WEEK = {"start": "2024-11-01", "end": "2024-11-07"}


@pytest.fixture
def glue(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A moto Glue with the gold job as template.yaml declares it (one run at a time), and the function's env."""
    monkeypatch.setenv("ENERGYLAKE_GLUE_JOB_NAME", JOB)
    monkeypatch.setenv("ENERGYLAKE_LAKE_URI", LAKE)
    get_settings.cache_clear()
    aws_client.cache_clear()  # the handler's Glue client must be created inside moto
    with mock_aws():
        client = boto3.client("glue", region_name=REGION)
        client.create_job(
            Name=JOB,
            Role="arn:aws:iam::123456789012:role/energylake-glue",
            Command={"Name": "glueetl", "ScriptLocation": f"{LAKE}artifacts/glue/build_gold.py"},
            GlueVersion="5.1",
            WorkerType="G.1X",
            NumberOfWorkers=2,
            ExecutionProperty={"MaxConcurrentRuns": 1},
            DefaultArguments={"--lake": LAKE},
        )
        yield client
    aws_client.cache_clear()


@pytest.fixture
def runs_stay_active() -> Iterator[None]:
    """Runs stay STARTING (the state advances only after 10,000 reads) until the test ends."""
    state_manager.set_transition(model_name="glue::job_run", transition={"progression": "manual", "times": 10_000})
    yield
    state_manager.unset_transition(model_name="glue::job_run")


def _runs(glue: Any) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = glue.get_job_runs(JobName=JOB)["JobRuns"]
    return runs


def test_the_handler_starts_the_job_with_the_window_and_the_lake(glue: Any) -> None:
    # GIVEN no run of the gold job
    handler = load_handler("trigger_glue")

    # WHEN the function is invoked with a window
    result = handler.lambda_handler(dict(WEEK), FakeContext("energylake-trigger-glue"))

    # THEN one run started with the job script's arguments, and the reply says which
    assert result["job_name"] == JOB
    assert result["reused"] is False
    assert result["job_run_id"].startswith("jr_")
    [run] = _runs(glue)
    assert run["Id"] == result["job_run_id"]
    assert run["Arguments"] == {"--start": "2024-11-01", "--end": "2024-11-07", "--lake": LAKE}
    assert result["state"] == glue.get_job_run(JobName=JOB, RunId=result["job_run_id"])["JobRun"]["JobRunState"]
    json.dumps(result)  # the reply is plain JSON for the state machine


def test_a_second_trigger_while_the_run_is_active_returns_the_same_run(glue: Any, runs_stay_active: None) -> None:
    # GIVEN a run for the window that is still starting
    first = handle(dict(WEEK))
    assert first["state"] in ACTIVE_STATES

    # WHEN the same window is triggered again (a state machine retry, a duplicate schedule)
    second = handle(dict(WEEK))

    # THEN it is the same run, flagged as reused, and no second run exists
    assert second == {**first, "reused": True, "state": second["state"]}
    assert second["state"] in ACTIVE_STATES
    assert [run["Id"] for run in _runs(glue)] == [first["job_run_id"]]


def test_another_window_while_a_run_is_active_is_refused_as_busy(glue: Any, runs_stay_active: None) -> None:
    # GIVEN an active run for one window (the job allows one run at a time)
    handle(dict(WEEK))

    # WHEN another window is triggered
    # THEN Glue refuses it and the error says to retry later, naming the job and the window
    with pytest.raises(GlueJobBusyError, match=rf"{JOB} is busy.*2024-11-08\.\.2024-11-09"):
        handle({"start": "2024-11-08", "end": "2024-11-09"})
    assert len(_runs(glue)) == 1


def test_after_the_run_succeeded_a_new_trigger_starts_a_new_run(glue: Any) -> None:
    # GIVEN a finished run for the window (moto runs succeed at once)
    first = handle(dict(WEEK))
    assert get_run_state(JOB, first["job_run_id"], glue=glue) == "SUCCEEDED"

    # WHEN the window is triggered again (a rebuild after late data)
    second = handle(dict(WEEK))

    # THEN a new run starts
    assert second["reused"] is False
    assert second["job_run_id"] != first["job_run_id"]
    assert len(_runs(glue)) == 2


def test_the_event_may_name_another_lake(glue: Any) -> None:
    result = handle({**WEEK, "lake": "s3://other-lake/prefix"})
    [run] = _runs(glue)
    assert run["Id"] == result["job_run_id"]
    assert run["Arguments"]["--lake"] == "s3://other-lake/prefix/"


@pytest.mark.parametrize(
    ("event", "names"),
    [
        ({"start": "2024-11-07", "end": "2024-11-01"}, "end 2024-11-01 is before start 2024-11-07"),
        ({"start": "2024-11-01", "end": "2024-11-31"}, "end: .*must be a real calendar date"),
        ({"end": "2024-11-07"}, "start: Field required"),
        ({"start": 20241101, "end": "2024-11-07"}, "start: .*must be a date string"),
        ({**WEEK, "lake": "./lake"}, "lake: .*must be an s3://"),
        ({**WEEK, "dataset": "spp_rt"}, "dataset: Extra inputs are not permitted"),
    ],
)
def test_a_bad_event_names_the_field_and_starts_nothing(glue: Any, event: dict[str, Any], names: str) -> None:
    with pytest.raises(InvalidRequestError, match=names):
        handle(event)
    assert _runs(glue) == []


def test_without_a_job_name_the_error_names_the_variable(glue: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENERGYLAKE_GLUE_JOB_NAME")
    get_settings.cache_clear()
    with pytest.raises(ConfigurationError, match="ENERGYLAKE_GLUE_JOB_NAME"):
        handle(dict(WEEK))
    assert _runs(glue) == []


def test_the_sample_event_is_a_valid_trigger_glue_event() -> None:
    event = parse_event(json.loads(SAMPLE_EVENT.read_text()), TriggerGlueEvent)
    assert str(event.window()) == "2024-11-01..2024-11-07"
    assert event.lake is None


def test_the_sample_event_starts_a_run(glue: Any) -> None:
    result = load_handler("trigger_glue").lambda_handler(
        json.loads(SAMPLE_EVENT.read_text()), FakeContext("energylake-trigger-glue")
    )
    assert result["reused"] is False
    assert [run["Id"] for run in _runs(glue)] == [result["job_run_id"]]


class _PagedRuns:
    """A Glue client whose get_job_runs pages a long history (newest first) and counts the pages read."""

    class exceptions:  # noqa: N801 - boto3's attribute name
        class ConcurrentRunsExceededException(Exception):  # noqa: N818 - boto3's name
            pass

    def __init__(self, pages: list[list[dict[str, Any]]]) -> None:
        self.pages = pages
        self.pages_read = 0
        self.started: list[dict[str, str]] = []

    def get_paginator(self, operation: str) -> _PagedRuns:
        assert operation == "get_job_runs"
        return self

    def paginate(self, **_: Any) -> Iterator[dict[str, Any]]:
        for page in self.pages:
            self.pages_read += 1
            yield {"JobRuns": page}

    def start_job_run(self, JobName: str, Arguments: dict[str, str]) -> dict[str, str]:  # noqa: N803 - boto3's names
        self.started.append(Arguments)
        return {"JobRunId": "jr_started"}

    def get_job_run(self, **_: Any) -> dict[str, Any]:
        return {"JobRun": {"JobRunState": "STARTING"}}


def test_the_search_for_an_active_run_stops_at_the_first_finished_run() -> None:
    # GIVEN a job with a long history: the newest run finished, then 50 pages of older runs
    history = _PagedRuns(
        [[{"Id": f"jr_{page}_{n}", "JobRunState": "SUCCEEDED"} for n in range(100)] for page in range(50)]
    )
    # WHEN a trigger starts the gold job
    result = trigger_gold_job(Window.parse(**WEEK), lake=LAKE, job_name=JOB, glue=history)
    # THEN it started a run after reading one page, not the whole history
    assert result["job_run_id"] == "jr_started" and not result["reused"]
    assert history.pages_read == 1


def test_an_active_run_newer_than_the_finished_ones_is_reused() -> None:
    window = Window.parse(**WEEK)
    arguments = job_arguments(window, LAKE)
    history = _PagedRuns(
        [[{"Id": "jr_new", "JobRunState": "RUNNING", "Arguments": arguments}], [{"JobRunState": "FAILED"}]]
    )
    result = trigger_gold_job(window, lake=LAKE, job_name=JOB, glue=history)
    assert result["job_run_id"] == "jr_new" and result["reused"]
    assert history.started == []
