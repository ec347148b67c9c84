"""Writes pipeline.asl.json and backfill.asl.json: the two machines share their fetch, quality-gate, gold, load and
alert states, so both are built from the functions below instead of keeping two hand-edited copies in step.

    python statemachines/build_asl.py          # rewrite both files
    python statemachines/build_asl.py --check  # exit 1 if a committed file differs (run by the tests)

Every Task gets the same Retry on Lambda service errors and throttling (exponential backoff, full jitter) and a Catch
of States.ALL that keeps the error in ``$.error`` (or fails the enclosing branch with the same error). The
``${...}`` placeholders are filled by DefinitionSubstitutions in template.yaml.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

State = dict[str, Any]
States = dict[str, State]

HERE = Path(__file__).resolve().parent

# AWS's recommended set for lambda:invoke tasks ("Handle transient Lambda service exceptions", Step Functions
# Developer Guide), plus throttling of the function itself.
LAMBDA_TRANSIENT_ERRORS = [
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
]


def retry(errors: list[str], *, interval: int, attempts: int, max_delay: int, backoff: float = 2.0) -> State:
    return {
        "ErrorEquals": errors,
        "IntervalSeconds": interval,
        "MaxAttempts": attempts,
        "BackoffRate": backoff,
        "MaxDelaySeconds": max_delay,
        "JitterStrategy": "FULL",
    }


# Lambda's own hiccups and throttling of the account's concurrency (no function reserves any).
LAMBDA_RETRY = retry(LAMBDA_TRANSIENT_ERRORS, interval=2, attempts=6, max_delay=60)


def catch(next_state: str, result_path: str = "$.error") -> list[State]:
    return [{"ErrorEquals": ["States.ALL"], "ResultPath": result_path, "Next": next_state}]


def lambda_task(
    function: str,
    payload: dict[str, Any],
    *,
    result: dict[str, str],
    result_path: str,
    next_state: str | None,
    on_error: str,
    extra_retry: list[State] | None = None,
    comment: str,
) -> State:
    state: State = {
        "Type": "Task",
        "Comment": comment,
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": f"${{{function}}}", "Payload": payload},
        "ResultSelector": result,
        "ResultPath": result_path,
        "Retry": [LAMBDA_RETRY, *(extra_retry or [])],
        "Catch": catch(on_error),
    }
    return _then(state, next_state)


def _then(state: State, next_state: str | None) -> State:
    if next_state is None:
        state["End"] = True
    else:
        state["Next"] = next_state
    return state


def fail_with_error(comment: str) -> State:
    # Fails with the error a Catch put in $.error, unchanged (name and cause).
    return {"Type": "Fail", "Comment": comment, "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause"}


FETCH_RESULT = {
    "dataset.$": "$.Payload.dataset",
    "manifests.$": "$.Payload.manifests",
    "written.$": "$.Payload.written",
    "unchanged.$": "$.Payload.unchanged",
}
WINDOW = {"start.$": "$.plan.start", "end.$": "$.plan.end"}
# The fetch client already retried each request (429/5xx, honouring Retry-After); a FetchError means the source
# stayed down for minutes. Two more tries, minutes apart, ride out a short outage without hiding a long one.
FETCH_RETRY = retry(["FetchError"], interval=60, attempts=2, max_delay=300)


def plan_state(mode: str, next_state: str) -> State:
    return {
        "Type": "Task",
        "Comment": "Validate the execution input and plan the run; a bad input fails the execution here.",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {
            "FunctionName": "${PlanRunFunctionArn}",
            "Payload": {"mode": mode, "input.$": "$$.Execution.Input"},
        },
        "ResultSelector": {"plan.$": "$.Payload"},
        "ResultPath": "$",
        "Retry": [LAMBDA_RETRY],
        # The input may not even be an object: keep the error as the whole state, then shape it like the others.
        "Catch": catch("InputRejected", result_path="$"),
        "Next": next_state,
    }


def input_rejected(next_state: str) -> State:
    return {
        "Type": "Pass",
        "Comment": "Put the planning error where every other Catch puts its error.",
        "Parameters": {"error.$": "$"},
        "Next": next_state,
    }


def fetch_states(next_state: str, on_error: str) -> States:
    """Fetch the plan's ERCOT datasets (one at a time: they share ERCOT's request budget) alongside the weather."""
    ercot_branch: State = {
        "StartAt": "FetchErcotDatasets",
        "States": {
            "FetchErcotDatasets": {
                "Type": "Map",
                "Comment": "One ERCOT dataset at a time: every ERCOT request takes a slot of the one shared budget "
                "(RateLimitTable, ERCOT's per-key limit), so parallel fetches would only wait for slots; overlapping "
                "runs wait for theirs the same way.",
                "ItemsPath": "$.plan.ercot_datasets",
                "ItemSelector": {"dataset.$": "$$.Map.Item.Value", **WINDOW},
                "MaxConcurrency": 1,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "FetchErcot",
                    "States": {
                        "FetchErcot": lambda_task(
                            "FetchErcotFunctionArn",
                            {"dataset.$": "$.dataset", "start.$": "$.start", "end.$": "$.end"},
                            result=FETCH_RESULT,
                            result_path="$",
                            next_state=None,
                            on_error="FetchErcotFailed",
                            extra_retry=[FETCH_RETRY],
                            comment="Land one ERCOT dataset over the window in the raw zone (idempotent).",
                        ),
                        "FetchErcotFailed": fail_with_error("Fail the branch with the fetch's error."),
                    },
                },
                "End": True,
            }
        },
    }
    weather_branch: State = {
        "StartAt": "WeatherWanted",
        "States": {
            "WeatherWanted": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.plan.fetch_weather", "BooleanEquals": True, "Next": "FetchWeather"}],
                "Default": "NoWeather",
            },
            "FetchWeather": lambda_task(
                "FetchWeatherFunctionArn",
                WINDOW,
                result=FETCH_RESULT,
                result_path="$",
                next_state=None,
                on_error="FetchWeatherFailed",
                extra_retry=[FETCH_RETRY],
                comment="Land Open-Meteo weather for every ERCOT weather zone over the window (idempotent).",
            ),
            "FetchWeatherFailed": fail_with_error("Fail the branch with the fetch's error."),
            "NoWeather": {"Type": "Pass", "Result": {"dataset": "weather", "manifests": []}, "End": True},
        },
    }
    return {
        "Fetch": {
            "Type": "Parallel",
            "Comment": "ERCOT and Open-Meteo are independent sources: fetch them at the same time.",
            "Branches": [ercot_branch, weather_branch],
            "ResultSelector": {"ercot.$": "$[0]", "weather.$": "$[1]"},
            "ResultPath": "$.fetched",
            "Catch": catch(on_error),
            "Next": "StartQualityGate",
        },
        "StartQualityGate": {"Type": "Pass", "Result": {"attempt": 0}, "ResultPath": "$.gate", "Next": "CheckQuality"},
        "CheckQuality": lambda_task(
            "QualityGateFunctionArn",
            {
                "ercot.$": "$.fetched.ercot",
                "weather.$": "$.fetched.weather",
                "attempt.$": "$.gate.attempt",
                "max_polls.$": "$.plan.gate.max_polls",
            },
            result={
                "status.$": "$.Payload.status",
                "attempt.$": "$.Payload.attempt",
                "groups.$": "$.Payload.groups",
                "passed.$": "$.Payload.passed",
                "quarantined.$": "$.Payload.quarantined",
                "summary.$": "$.Payload.summary",
            },
            result_path="$.gate",
            next_state="QualityDecision",
            on_error=on_error,
            comment="Has every landed group a quality report for its newest manifest? Quarantined groups do not stop "
            "the run (gold and the warehouse take what passed, as the CLI does); the run ends naming them.",
        ),
        "QualityDecision": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.gate.status", "StringEquals": "passed", "Next": next_state},
                {"Variable": "$.gate.status", "StringEquals": "quarantined", "Next": next_state},
            ],
            "Default": "WaitForCuration",
        },
        "WaitForCuration": {
            "Type": "Wait",
            "Comment": "ValidateFunction curates each group from its S3 event; check again (bounded by max_polls).",
            "SecondsPath": "$.plan.gate.poll_seconds",
            "Next": "CheckQuality",
        },
    }


GLUE_TERMINAL_FAILURES = ["FAILED", "STOPPED", "ERROR", "TIMEOUT", "EXPIRED"]
# The job runs one window at a time (MaxConcurrentRuns 1): a run for another window waits for it (GlueJobBusyError)
# instead of failing, for longer than the job's timeout. Delays 60, 90, 135, 202.5, then 300 s (backoff 1.5, capped)
# add up to 12,788 s over 45 retries; FULL jitter draws each delay between 0 and its value, so the expected wait is
# half that, 107 minutes, and three standard deviations of the jitter below it still 79 (tests/unit/statemachines
# compute it): more than the 60 minutes another run can hold the job. A waiting Task costs nothing but a transition
# per retry (a standard workflow), and the queued run starts at most 300 s (about 100 s on average) after the job frees.
GLUE_BUSY_RETRY = retry(["GlueJobBusyError"], interval=60, attempts=45, max_delay=300, backoff=1.5)


def gold_states(on_error: str) -> States:
    """Build gold where the plan says: BuildGoldFunction (DuckDB in a Lambda) for the short windows of the scheduled
    runs, the Glue job (polled with glue:getJobRun: `.sync` is not testable off AWS) for longer ones. Both put what
    they did in ``$.gold`` and go to the load."""
    return {
        "ChooseGoldEngine": {
            "Type": "Choice",
            "Comment": "PlanRun chose the engine from the window's days (GoldLambdaMaxDays); Glue builds any window.",
            "Choices": [{"Variable": "$.plan.gold_engine", "StringEquals": "lambda", "Next": "BuildGold"}],
            "Default": "StartGold",
        },
        "BuildGold": lambda_task(
            "BuildGoldFunctionArn",
            WINDOW,
            result={
                "engine": "lambda",
                "tables.$": "$.Payload.tables",
                "utc_dates.$": "$.Payload.utc_dates",
                "seconds.$": "$.Payload.seconds",
            },
            result_path="$.gold",
            next_state="StartLoad",
            on_error=on_error,
            comment="Build the gold tables of the window's UTC dates with DuckDB in a Lambda (whole dates swapped in).",
        ),
        "StartGold": lambda_task(
            "TriggerGlueFunctionArn",
            WINDOW,
            result={"engine": "glue", "job_name.$": "$.Payload.job_name", "job_run_id.$": "$.Payload.job_run_id"},
            result_path="$.gold",
            next_state="StartGluePolls",
            on_error=on_error,
            extra_retry=[GLUE_BUSY_RETRY],
            comment="Start the gold Glue job for the window, or join the run already active for it; while another "
            "window's run holds the job, wait for it (GlueJobBusyError, retried past the job's timeout).",
        ),
        "StartGluePolls": {
            "Type": "Pass",
            "Result": {"attempt": 0},
            "ResultPath": "$.glue_poll",
            "Next": "WaitForGold",
        },
        "WaitForGold": {"Type": "Wait", "SecondsPath": "$.plan.glue.poll_seconds", "Next": "GetGoldRun"},
        "GetGoldRun": {
            "Type": "Task",
            "Comment": "Poll the run's state.",
            "Resource": "arn:aws:states:::aws-sdk:glue:getJobRun",
            "Parameters": {"JobName.$": "$.gold.job_name", "RunId.$": "$.gold.job_run_id"},
            "ResultSelector": {"state.$": "$.JobRun.JobRunState"},
            "ResultPath": "$.glue_run",
            "Retry": [
                retry(
                    ["Glue.ThrottlingException", "Glue.InternalServiceException", "Glue.OperationTimeoutException"],
                    interval=2,
                    attempts=6,
                    max_delay=60,
                )
            ],
            "Catch": catch(on_error),
            "Next": "CountGoldPoll",
        },
        "CountGoldPoll": {
            "Type": "Pass",
            "Parameters": {"attempt.$": "States.MathAdd($.glue_poll.attempt, 1)"},
            "ResultPath": "$.glue_poll",
            "Next": "GoldDecision",
        },
        "GoldDecision": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.glue_run.state", "StringEquals": "SUCCEEDED", "Next": "StartLoad"},
                {
                    "Or": [{"Variable": "$.glue_run.state", "StringEquals": s} for s in GLUE_TERMINAL_FAILURES],
                    "Next": "GoldFailed",
                },
                {
                    "Variable": "$.glue_poll.attempt",
                    "NumericGreaterThanEqualsPath": "$.plan.glue.max_polls",
                    "Next": "GoldTimedOut",
                },
            ],
            "Default": "WaitForGold",
        },
        "GoldFailed": {
            "Type": "Pass",
            "Parameters": {
                "Error": "GlueJobFailed",
                "Cause.$": "States.Format('Glue job {} run {} ended {}: see its logs', "
                "$.gold.job_name, $.gold.job_run_id, $.glue_run.state)",
            },
            "ResultPath": "$.error",
            "Next": on_error,
        },
        "GoldTimedOut": {
            "Type": "Pass",
            "Parameters": {
                "Error": "GlueJobTimedOut",
                "Cause.$": "States.Format('Glue job {} run {} still {} after {} polls', "
                "$.gold.job_name, $.gold.job_run_id, $.glue_run.state, $.glue_poll.attempt)",
            },
            "ResultPath": "$.error",
            "Next": on_error,
        },
    }


# Each table loads in one transaction (rolled back on error) and MERGEs on its key: safe to retry.
WAREHOUSE_RETRY = retry(["WarehouseLoadError"], interval=30, attempts=2, max_delay=120)


def warehouse_states(next_state: str, on_error: str) -> States:
    """Load the window in passes (docs/decisions/0008-redshift-data-api.md): LoadRedshiftFunction loads chunks of days
    while its invocation has time and answers ``done: false`` with ``next_start`` when some remain; the next pass
    starts there. A pass that does not move ``next_start`` past its own start fails the run instead of looping, so the
    loop ends after at most one pass per day of the window."""
    return {
        "StartLoad": {
            "Type": "Pass",
            "Comment": "The first pass starts at the window's first day.",
            "Parameters": {"start.$": "$.plan.start"},
            "ResultPath": "$.load",
            "Next": "LoadWarehouse",
        },
        "LoadWarehouse": lambda_task(
            "LoadRedshiftFunctionArn",
            {"start.$": "$.load.start", "end.$": "$.plan.end"},
            result={
                "tables.$": "$.Payload.tables",
                "freshness_minutes.$": "$.Payload.freshness_minutes",
                "done.$": "$.Payload.done",
                "next_start.$": "$.Payload.next_start",
            },
            result_path="$.loaded",
            next_state="LoadDecision",
            on_error=on_error,
            extra_retry=[WAREHOUSE_RETRY],
            comment="Load silver and gold from the pass's start to the window's end into the warehouse (as many "
            "chunks of days as the invocation has time for), then emit freshness metrics.",
        ),
        "LoadDecision": {
            "Type": "Choice",
            "Choices": [
                {
                    # And stops at the first false condition: a missing or null next_start is never compared.
                    "And": [
                        {"Variable": "$.loaded.done", "BooleanEquals": False},
                        {"Variable": "$.loaded.next_start", "IsString": True},
                        {"Variable": "$.loaded.next_start", "StringGreaterThanPath": "$.load.start"},
                    ],
                    "Next": "NextLoadChunk",
                },
                {"Variable": "$.loaded.done", "BooleanEquals": False, "Next": "LoadStalled"},
            ],
            "Default": next_state,
        },
        "NextLoadChunk": {
            "Type": "Pass",
            "Comment": "Days remain: the next pass starts where this one stopped (ISO dates compare as strings).",
            "Parameters": {"start.$": "$.loaded.next_start"},
            "ResultPath": "$.load",
            "Next": "LoadWarehouse",
        },
        "LoadStalled": {
            "Type": "Pass",
            "Parameters": {
                "Error": "WarehouseLoadStalled",
                "Cause.$": "States.Format('LoadRedshiftFunction answered done false with next_start {} for a pass "
                "from {} to {}: no progress, the load stops here', $.loaded.next_start, $.load.start, $.plan.end)",
            },
            "ResultPath": "$.error",
            "Next": on_error,
        },
    }


SNS_RETRY = retry(
    ["SNS.ThrottledException", "SNS.InternalErrorException", "SNS.SdkClientException"],
    interval=2,
    attempts=4,
    max_delay=30,
)


def quarantine_states(subject: str) -> States:
    """After the load: a run with quarantined groups alerts, then ends FAILED with ``GroupsQuarantined`` naming them
    (the CLI's exit 3: finished, with what passed loaded); a clean run succeeds."""
    return {
        "QuarantineDecision": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.quality.status", "StringEquals": "quarantined", "Next": "NotifyQuarantine"}],
            "Default": "Succeeded",
        },
        "NotifyQuarantine": {
            "Type": "Task",
            "Comment": "Tell the alert topic which groups were quarantined (what passed is loaded), then end the run "
            "with GroupsQuarantined.",
            "Resource": "arn:aws:states:::sns:publish",
            "Parameters": {
                "TopicArn": "${AlertTopicArn}",
                "Subject": subject,
                "Message.$": "States.Format('Execution {} of {} finished with quarantined groups: {}', "
                "$$.Execution.Id, $$.StateMachine.Name, $.quality.summary)",
            },
            "ResultPath": None,
            "Retry": [SNS_RETRY],
            "Catch": catch("Quarantined", result_path="$.alert_error"),
            "Next": "Quarantined",
        },
        "Quarantined": {
            "Type": "Fail",
            "Comment": "Finished, with quarantined groups (the CLI's exit 3): gold and the warehouse hold what passed.",
            "Error": "GroupsQuarantined",
            "CausePath": "$.quality.summary",
        },
        "Succeeded": {"Type": "Succeed"},
    }


def alert_states(subject: str) -> States:
    return {
        "NotifyFailure": {
            "Type": "Task",
            "Comment": "Tell the alert topic what failed and why, then fail the execution with that error.",
            "Resource": "arn:aws:states:::sns:publish",
            "Parameters": {
                "TopicArn": "${AlertTopicArn}",
                "Subject": subject,
                "Message.$": "States.Format('Execution {} of {} failed with {}: {}', "
                "$$.Execution.Id, $$.StateMachine.Name, $.error.Error, $.error.Cause)",
            },
            "ResultPath": None,
            "Retry": [SNS_RETRY],
            # An undeliverable alert must not hide the original error: fail with it anyway.
            "Catch": catch("Failed", result_path="$.alert_error"),
            "Next": "Failed",
        },
        "Failed": fail_with_error("Fail with the error that stopped the run."),
    }


# A pipeline run's backstop, longer than every bounded wait and invocation at its worst at once (tests add them up from
# this file and the settings' defaults): gate 40 x 30 s, a busy Glue job 3.6 h without jitter's luck, Glue polls
# 120 x 60 s, up to 5 load passes (31 days in 7-day chunks) of 3 x 900 s, plus the fetch. The freshness alarm alerts
# long before: this only ends a run that can no longer finish.
TIMEOUT_PIPELINE_SECONDS = 12 * 3600


def pipeline() -> State:
    states: States = {
        "PlanRun": plan_state("pipeline", "Fetch"),
        "InputRejected": input_rejected("NotifyFailure"),
        **fetch_states("ChooseGoldEngine", "NotifyFailure"),
        **gold_states("NotifyFailure"),
        **warehouse_states("Summarize", "NotifyFailure"),
        "Summarize": {
            "Type": "Pass",
            "Parameters": {
                "status": "SUCCEEDED",
                "execution.$": "$$.Execution.Name",
                "start.$": "$.plan.start",
                "end.$": "$.plan.end",
                "datasets.$": "$.plan.datasets",
                "schedule.$": "$.plan.schedule",
                "fetched.$": "$.fetched",
                "quality.$": "$.gate",
                "gold.$": "$.gold",
                "warehouse.$": "$.loaded",
            },
            "Next": "QuarantineDecision",
        },
        **quarantine_states("energylake pipeline finished with quarantined groups"),
        **alert_states("energylake pipeline failed"),
    }
    return {
        "Comment": "energylake pipeline: plan -> fetch ERCOT and weather -> quality gate -> gold (a Lambda for short "
        "windows, Glue for long ones) -> warehouse (in passes) -> summary. Every stage is idempotent, so rerunning "
        "an execution with the same input is safe.",
        "StartAt": "PlanRun",
        "TimeoutSeconds": TIMEOUT_PIPELINE_SECONDS,
        "States": states,
    }


def backfill() -> State:
    chunk_states: States = {
        **fetch_states("ChunkQualityDecision", "ChunkFailed"),
        "ChunkQualityDecision": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.gate.status", "StringEquals": "quarantined", "Next": "ChunkQuarantined"}],
            "Default": "ChunkDone",
        },
        # The chunk's passed groups are in the lake (gold and the load after the map take them); the chunk itself
        # fails with GroupsQuarantined, named in the map's results and counted against its tolerated failures.
        "ChunkQuarantined": {"Type": "Fail", "Error": "GroupsQuarantined", "CausePath": "$.gate.summary"},
        "ChunkDone": {
            "Type": "Pass",
            "Parameters": {
                "start.$": "$.plan.start",
                "end.$": "$.plan.end",
                "fetched.$": "$.fetched",
                "quality.$": "$.gate",
            },
            "End": True,
        },
        "ChunkFailed": fail_with_error("Fail this chunk with its error; the map tolerates a few failed chunks."),
    }
    states: States = {
        "PlanBackfill": plan_state("backfill", "FetchChunks"),
        "InputRejected": input_rejected("NotifyFailure"),
        "FetchChunks": {
            "Type": "Map",
            "Comment": "Fetch and curate each chunk of the window in a child execution.",
            "ItemsPath": "$.plan.chunks",
            # A chunk is its days and the datasets some door reaches on all of them (the load forecast, wind and
            # solar archives start in 2014-2016: older chunks fetch the rest); what every chunk shares comes from the
            # plan once (keeps the plan small).
            "ItemSelector": {
                "plan": {
                    "start.$": "$$.Map.Item.Value.start",
                    "end.$": "$$.Map.Item.Value.end",
                    "ercot_datasets.$": "$$.Map.Item.Value.ercot_datasets",
                    "fetch_weather.$": "$$.Map.Item.Value.fetch_weather",
                    "gate.$": "$.plan.gate",
                }
            },
            # From the plan (template parameters, overridable per execution): chunks in flight at once, and the
            # share of failed chunks the backfill tolerates.
            "MaxConcurrencyPath": "$.plan.max_concurrency",
            "ToleratedFailurePercentagePath": "$.plan.tolerated_failure_percent",
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Fetch",
                "States": chunk_states,
            },
            "ResultWriter": {
                "Resource": "arn:aws:states:::s3:putObject",
                "Parameters": {"Bucket": "${LakeBucketName}", "Prefix": "backfill-results"},
            },
            "ResultPath": "$.chunks",
            "Catch": catch("NotifyFailure"),
            "Next": "ChooseGoldEngine",
        },
        **gold_states("NotifyFailure"),
        **warehouse_states("Summarize", "NotifyFailure"),
        "Summarize": {
            "Type": "Pass",
            "Parameters": {
                "status": "SUCCEEDED",
                "execution.$": "$$.Execution.Name",
                "start.$": "$.plan.start",
                "end.$": "$.plan.end",
                "datasets.$": "$.plan.datasets",
                "chunk_results.$": "$.chunks",
                "gold.$": "$.gold",
                "warehouse.$": "$.loaded",
            },
            "End": True,
        },
        **alert_states("energylake backfill failed"),
    }
    return {
        "Comment": "energylake backfill: plan chunks -> Distributed Map (fetch + quality gate per chunk, results "
        "written to S3) -> gold (Glue) over the whole window -> warehouse (in passes) -> summary.",
        "StartAt": "PlanBackfill",
        "TimeoutSeconds": 604800,
        "States": states,
    }


MACHINES = {"pipeline.asl.json": pipeline, "backfill.asl.json": backfill}


def render(name: str) -> str:
    return json.dumps(MACHINES[name](), indent=2) + "\n"


def main(argv: list[str]) -> int:
    stale = []
    for name in MACHINES:
        path = HERE / name
        text = render(name)
        if "--check" in argv:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            path.write_text(text)
    if stale:
        print(f"out of date: {', '.join(stale)}; run: python statemachines/build_asl.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
