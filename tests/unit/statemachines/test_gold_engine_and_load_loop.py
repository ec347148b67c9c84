"""The gold engine choice, the warehouse load loop and the waits of statemachines/*.asl.json, read from the definitions.

The plan chooses where gold is built (BuildGoldFunction for short windows, the Glue job for long ones and every
backfill); the load runs in passes until the loader answers ``done: true`` (docs/decisions/0008-redshift-data-api.md);
a run that finds the Glue job busy with another window waits longer than the job can hold it; and each machine's
TimeoutSeconds is longer than all its bounded waits at their worst. The Choice rules are evaluated here by a small
JSONPath evaluator (the moto tests in tests/e2e/ execute the same states for real).
"""

from __future__ import annotations

import json
import math
from typing import Any, get_args

import pytest

from energylake.lambdas.plan_run import MAX_PIPELINE_DAYS, GoldEngineName
from energylake.settings import Settings
from tests.support.paths import REPO_ROOT
from tests.support.template import FUNCTIONS, RESOURCES

MACHINES = ("pipeline.asl.json", "backfill.asl.json")
# Where each machine's gold stage starts from: the quality gate's pass (pipeline), the chunks' end (backfill).
BEFORE_GOLD = {"pipeline.asl.json": ("QualityDecision", "passed"), "backfill.asl.json": ("FetchChunks", None)}


def load_definition(name: str) -> dict[str, Any]:
    definition: dict[str, Any] = json.loads((REPO_ROOT / "statemachines" / name).read_text())
    return definition


@pytest.fixture(params=MACHINES)
def machine(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    name: str = request.param
    return name, load_definition(name)


# ----------------------------------------------------------------------------------------------------------------
# A Choice evaluator: enough JSONPath ($.a.b) and comparisons for these machines' rules
# ----------------------------------------------------------------------------------------------------------------

_MISSING = object()


def _path(data: Any, path: str) -> Any:
    assert path.startswith("$."), path
    for key in path[2:].split("."):
        if not isinstance(data, dict) or key not in data:
            return _MISSING
        data = data[key]
    return data


def _string_greater(value: Any, other: Any) -> bool:
    assert isinstance(value, str) and isinstance(other, str), "a string comparison of a non-string"
    return value > other


# Comparison -> (whether its operand is a path, the test).
_COMPARISONS: dict[str, tuple[bool, Any]] = {
    "BooleanEquals": (False, lambda value, operand: value is operand),
    "StringEquals": (False, lambda value, operand: value == operand),
    "IsString": (False, lambda value, operand: isinstance(value, str) is operand),
    "StringGreaterThanPath": (True, _string_greater),
    "NumericGreaterThanEqualsPath": (True, lambda value, operand: value >= operand),
}


def _holds(rule: dict[str, Any], data: Any) -> bool:
    if "And" in rule:
        return all(_holds(part, data) for part in rule["And"])  # all() stops at the first false, as Step Functions
    if "Or" in rule:
        return any(_holds(part, data) for part in rule["Or"])
    value = _path(data, rule["Variable"])
    if value is _MISSING:
        raise AssertionError(f"{rule['Variable']} is not in the state's input: States.Runtime on AWS")
    [comparison] = [key for key in rule if key in _COMPARISONS] or [f"unknown: {sorted(rule)}"]
    assert comparison in _COMPARISONS, f"the evaluator does not know {comparison}"
    is_path, test = _COMPARISONS[comparison]
    operand = _path(data, rule[comparison]) if is_path else rule[comparison]
    return bool(test(value, operand))


def choose(state: dict[str, Any], data: dict[str, Any]) -> str:
    """The state a Choice goes to for ``data``."""
    assert state["Type"] == "Choice"
    for rule in state["Choices"]:
        if _holds(rule, data):
            return str(rule["Next"])
    return str(state["Default"])


def test_the_evaluator_follows_and_or_and_the_default() -> None:
    state = {
        "Type": "Choice",
        "Choices": [
            {"And": [{"Variable": "$.a", "BooleanEquals": True}, {"Variable": "$.b", "IsString": True}], "Next": "X"},
            {"Or": [{"Variable": "$.c", "StringEquals": "y"}], "Next": "Y"},
        ],
        "Default": "Z",
    }
    assert choose(state, {"a": True, "b": "s", "c": "n"}) == "X"
    assert choose(state, {"a": False, "c": "y"}) == "Y"  # And stopped before the missing $.b
    assert choose(state, {"a": True, "b": None, "c": "n"}) == "Z"
    with pytest.raises(AssertionError, match="not in the state's input"):
        choose(state, {"a": True})


# ----------------------------------------------------------------------------------------------------------------
# The gold engine
# ----------------------------------------------------------------------------------------------------------------


def _into_gold(name: str, body: dict[str, Any]) -> str:
    state_name, value = BEFORE_GOLD[name]
    state = body["States"][state_name]
    if state["Type"] == "Choice":
        return str(next(rule["Next"] for rule in state["Choices"] if rule.get("StringEquals") == value))
    return str(state["Next"])


@pytest.mark.parametrize("engine", get_args(GoldEngineName))
def test_the_plans_gold_engine_picks_the_branch_that_runs_it(machine: tuple[str, dict[str, Any]], engine: str) -> None:
    # GIVEN a plan that names the engine (PlanRunFunction: "lambda" for short windows, "glue" otherwise)
    name, body = machine
    choice = body["States"][_into_gold(name, body)]
    # WHEN the machine reaches its gold stage
    first = body["States"][choose(choice, {"plan": {"gold_engine": engine}})]
    # THEN the branch is the engine's: BuildGoldFunction for "lambda", TriggerGlueFunction (then the polls) for "glue"
    function = {"lambda": "${BuildGoldFunctionArn}", "glue": "${TriggerGlueFunctionArn}"}[engine]
    assert first["Resource"] == "arn:aws:states:::lambda:invoke"
    assert first["Parameters"]["FunctionName"] == function
    assert first["Parameters"]["Payload"] == {"start.$": "$.plan.start", "end.$": "$.plan.end"}


def test_both_gold_branches_record_what_they_did_and_go_to_the_load(machine: tuple[str, dict[str, Any]]) -> None:
    name, body = machine
    states = body["States"]
    # THEN the Lambda goes straight to the load, the Glue job once its run SUCCEEDED; both record their work in $.gold
    assert states["BuildGold"]["Next"] == "StartLoad"
    [succeeded] = [rule for rule in states["GoldDecision"]["Choices"] if rule.get("StringEquals") == "SUCCEEDED"]
    assert succeeded["Next"] == "StartLoad"
    assert states["BuildGold"]["ResultPath"] == states["StartGold"]["ResultPath"] == "$.gold"
    assert states["BuildGold"]["ResultSelector"]["engine"] == "lambda"
    assert states["StartGold"]["ResultSelector"]["engine"] == "glue"
    # ... and a failed gold Lambda alerts (Catch to NotifyFailure) after retrying only Lambda's own transient errors
    assert states["BuildGold"]["Catch"][0]["Next"] == "NotifyFailure"
    assert [retry["ErrorEquals"][0] for retry in states["BuildGold"]["Retry"]] == [
        "Lambda.ClientExecutionTimeoutException"
    ]
    # ... and the summary says which engine built gold
    assert states["Summarize"]["Parameters"]["gold.$"] == "$.gold", name


# ----------------------------------------------------------------------------------------------------------------
# The load loop (ADR 0008)
# ----------------------------------------------------------------------------------------------------------------


def test_the_load_starts_at_the_windows_first_day_and_loads_to_its_end(machine: tuple[str, dict[str, Any]]) -> None:
    _, body = machine
    states = body["States"]
    assert states["StartLoad"]["Parameters"] == {"start.$": "$.plan.start"}
    assert (states["StartLoad"]["ResultPath"], states["StartLoad"]["Next"]) == ("$.load", "LoadWarehouse")
    load = states["LoadWarehouse"]
    assert load["Parameters"]["FunctionName"] == "${LoadRedshiftFunctionArn}"
    assert load["Parameters"]["Payload"] == {"start.$": "$.load.start", "end.$": "$.plan.end"}
    assert load["ResultSelector"]["done.$"] == "$.Payload.done"
    assert load["ResultSelector"]["next_start.$"] == "$.Payload.next_start"
    assert (load["ResultPath"], load["Next"]) == ("$.loaded", "LoadDecision")


@pytest.mark.parametrize(
    ("loaded", "then"),
    [
        ({"done": True, "next_start": None}, "Summarize"),  # everything in
        ({"done": False, "next_start": "2024-11-09"}, "NextLoadChunk"),  # days remain: another pass
        ({"done": False, "next_start": "2024-11-02"}, "LoadStalled"),  # no progress: it would loop forever
        ({"done": False, "next_start": "2024-10-30"}, "LoadStalled"),  # backwards
        ({"done": False, "next_start": None}, "LoadStalled"),  # not done, yet nowhere to go on
    ],
)
def test_the_load_goes_round_only_while_it_makes_progress(
    machine: tuple[str, dict[str, Any]], loaded: dict[str, Any], then: str
) -> None:
    # GIVEN a pass that started on 2024-11-02 and the loader's answer
    _, body = machine
    data = {"plan": {"start": "2024-11-01", "end": "2024-11-30"}, "load": {"start": "2024-11-02"}, "loaded": loaded}
    # WHEN the machine decides
    decided = choose(body["States"]["LoadDecision"], data)
    # THEN it summarizes, starts the next pass where this one stopped, or fails the run naming the stall
    assert decided == then
    if then == "NextLoadChunk":
        chunk = body["States"]["NextLoadChunk"]
        assert (chunk["Parameters"], chunk["ResultPath"], chunk["Next"]) == (
            {"start.$": "$.loaded.next_start"},
            "$.load",
            "LoadWarehouse",
        )
    if then == "LoadStalled":
        stalled = body["States"]["LoadStalled"]
        assert stalled["Parameters"]["Error"] == "WarehouseLoadStalled"
        assert stalled["Next"] == "NotifyFailure"


# ----------------------------------------------------------------------------------------------------------------
# Waits: a busy Glue job is waited for, and the execution timeout bounds everything
# ----------------------------------------------------------------------------------------------------------------


def retry_delays(retrier: dict[str, Any]) -> list[float]:
    """The delay before each retry of a Retry rule without jitter: IntervalSeconds x BackoffRate^n, at most
    MaxDelaySeconds (Step Functions' defaults: 1 s, 2.0, 3 attempts). FULL jitter draws each between 0 and this."""
    interval, backoff = retrier.get("IntervalSeconds", 1), retrier.get("BackoffRate", 2.0)
    cap = retrier.get("MaxDelaySeconds", math.inf)
    return [min(interval * backoff**attempt, cap) for attempt in range(retrier.get("MaxAttempts", 3))]


def test_retry_delays_grow_by_the_backoff_up_to_the_cap() -> None:
    assert retry_delays({"IntervalSeconds": 2, "BackoffRate": 2.0, "MaxDelaySeconds": 5, "MaxAttempts": 4}) == [
        2,
        4,
        5,
        5,
    ]
    assert retry_delays({}) == [1, 2, 4]


def _busy_retrier(body: dict[str, Any]) -> dict[str, Any]:
    [retrier] = [r for r in body["States"]["StartGold"]["Retry"] if r["ErrorEquals"] == ["GlueJobBusyError"]]
    assert isinstance(retrier, dict)
    return retrier


def test_a_run_that_finds_the_glue_job_busy_waits_longer_than_the_job_can_hold_it(
    machine: tuple[str, dict[str, Any]],
) -> None:
    # GIVEN the job's timeout (the longest another window's run can hold it: MaxConcurrentRuns 1) and the retry of a
    # run that found the job busy
    name, body = machine
    job = RESOURCES["BuildGoldJob"]["Properties"]
    assert job["ExecutionProperty"]["MaxConcurrentRuns"] == 1
    job_timeout_s = job["Timeout"] * 60
    retrier = _busy_retrier(body)
    assert retrier["JitterStrategy"] == "FULL"
    delays = retry_delays(retrier)
    # WHEN the waits are drawn with FULL jitter: each uniform between 0 and its delay, so on average half of it
    expected_s = sum(delays) / 2
    deviation_s = math.sqrt(sum(delay**2 / 12 for delay in delays))  # a uniform on [0, d] has variance d^2 / 12
    # THEN even three standard deviations below the expected total the run still waits past the job's timeout, with
    # ten minutes to spare: overlapping runs queue instead of failing
    assert expected_s - 3 * deviation_s >= job_timeout_s + 600, (name, expected_s / 60, deviation_s / 60)
    # ... and once the job is free, a queued run starts within the cap (5 minutes)
    assert max(delays) <= 300


def _invocation_seconds(function: str) -> int:
    timeout: int = FUNCTIONS[function]["Properties"]["Timeout"]
    return timeout


def _worst_waits(body: dict[str, Any], settings: Settings) -> float:
    """Every bounded wait of a run at its worst (no luck from jitter): gate polls, a busy Glue job, Glue polls."""
    gate = settings.gate_poll_seconds * settings.gate_max_polls
    busy = sum(retry_delays(_busy_retrier(body)))
    busy += (len(retry_delays(_busy_retrier(body))) + 1) * _invocation_seconds("TriggerGlueFunction")
    glue = settings.glue_poll_seconds * settings.glue_max_polls
    return gate + busy + glue


def test_each_machine_times_out_only_after_every_bounded_wait(machine: tuple[str, dict[str, Any]]) -> None:
    # GIVEN the default poll budgets (the template's parameter defaults are the same: see tests/unit/template/)
    name, body = machine
    timeout = body.get("TimeoutSeconds")
    assert isinstance(timeout, int), f"{name} has no TimeoutSeconds"
    # THEN a run that uses every wait budget to its end is not cut short, and the timeout is one Step Functions allows
    assert _worst_waits(body, Settings()) < timeout <= 31_536_000, name  # a standard execution lasts at most a year


def test_the_pipeline_times_out_only_after_its_waits_and_the_longest_load_with_an_hour_for_the_rest() -> None:
    # GIVEN the largest pipeline window, loaded in passes that each load at least one chunk of days, each pass up to
    # three invocations (its WarehouseLoadError retries) of the loader's whole timeout
    body = load_definition("pipeline.asl.json")
    settings = Settings()
    passes = math.ceil(MAX_PIPELINE_DAYS / settings.redshift_load_chunk_days)
    [warehouse_retry] = [
        r for r in body["States"]["LoadWarehouse"]["Retry"] if r["ErrorEquals"] == ["WarehouseLoadError"]
    ]
    attempts = 1 + warehouse_retry["MaxAttempts"]
    load = passes * (attempts * _invocation_seconds("LoadRedshiftFunction") + sum(retry_delays(warehouse_retry)))
    # THEN the execution outlasts all of them at once, with an hour left for the fetch and the other stages
    assert _worst_waits(body, settings) + load + 3600 <= body["TimeoutSeconds"]
