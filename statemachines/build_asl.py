"""Writes pipeline.asl.json and backfill.asl.json: the two machines share their fetch, quality-gate, gold and alert
states, so both are built from the functions below instead of keeping two hand-edited copies in step.

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


# Lambda's own hiccups and throttling (FetchErcotFunction runs one at a time: a second caller is throttled).
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
    """Fetch the plan's ERCOT datasets (one at a time: ERCOT's rate limit) alongside the weather."""
    ercot_branch: State = {
        "StartAt": "FetchErcotDatasets",
        "States": {
            "FetchErcotDatasets": {
                "Type": "Map",
                "Comment": "One ERCOT dataset at a time: FetchErcotFunction has reserved concurrency 1.",
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
            },
            result_path="$.gate",
            next_state="QualityDecision",
            on_error=on_error,
            comment="Has every landed group a quality report for its newest manifest? Fails the run if any failed.",
        ),
        "QualityDecision": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.gate.status", "StringEquals": "passed", "Next": next_state}],
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


def gold_and_warehouse_states(next_state: str, on_error: str) -> States:
    """Build gold with the Glue job (polled with glue:getJobRun: `.sync` is not testable off AWS), then load."""
    return {
        "StartGold": lambda_task(
            "TriggerGlueFunctionArn",
            WINDOW,
            result={"job_name.$": "$.Payload.job_name", "job_run_id.$": "$.Payload.job_run_id"},
            result_path="$.glue",
            next_state="StartGluePolls",
            on_error=on_error,
            # Another window's run holds the job (one run at a time): wait for it rather than fail.
            extra_retry=[retry(["GlueJobBusyError"], interval=60, attempts=10, max_delay=300, backoff=1.5)],
            comment="Start the gold Glue job for the window, or join the run already active for it.",
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
            "Parameters": {"JobName.$": "$.glue.job_name", "RunId.$": "$.glue.job_run_id"},
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
                {"Variable": "$.glue_run.state", "StringEquals": "SUCCEEDED", "Next": "LoadWarehouse"},
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
                "$.glue.job_name, $.glue.job_run_id, $.glue_run.state)",
            },
            "ResultPath": "$.error",
            "Next": on_error,
        },
        "GoldTimedOut": {
            "Type": "Pass",
            "Parameters": {
                "Error": "GlueJobTimedOut",
                "Cause.$": "States.Format('Glue job {} run {} still {} after {} polls', "
                "$.glue.job_name, $.glue.job_run_id, $.glue_run.state, $.glue_poll.attempt)",
            },
            "ResultPath": "$.error",
            "Next": on_error,
        },
        "LoadWarehouse": lambda_task(
            "LoadRedshiftFunctionArn",
            WINDOW,
            result={"tables.$": "$.Payload.tables", "freshness_minutes.$": "$.Payload.freshness_minutes"},
            result_path="$.loaded",
            next_state=next_state,
            on_error=on_error,
            # Each table loads in one transaction (rolled back on error) and MERGEs on its key: safe to retry.
            extra_retry=[retry(["WarehouseLoadError"], interval=30, attempts=2, max_delay=120)],
            comment="Load silver and gold for the window into the warehouse, then emit freshness metrics.",
        ),
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
            "Retry": [
                retry(
                    ["SNS.ThrottledException", "SNS.InternalErrorException", "SNS.SdkClientException"],
                    interval=2,
                    attempts=4,
                    max_delay=30,
                )
            ],
            # An undeliverable alert must not hide the original error: fail with it anyway.
            "Catch": catch("Failed", result_path="$.alert_error"),
            "Next": "Failed",
        },
        "Failed": fail_with_error("Fail with the error that stopped the run."),
    }


def pipeline() -> State:
    states: States = {
        "PlanRun": plan_state("pipeline", "Fetch"),
        "InputRejected": input_rejected("NotifyFailure"),
        **fetch_states("StartGold", "NotifyFailure"),
        **gold_and_warehouse_states("Summarize", "NotifyFailure"),
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
                "glue_job_run_id.$": "$.glue.job_run_id",
                "warehouse.$": "$.loaded",
            },
            "End": True,
        },
        **alert_states("energylake pipeline failed"),
    }
    return {
        "Comment": "energylake pipeline: plan -> fetch ERCOT and weather -> quality gate -> gold (Glue) -> "
        "warehouse -> summary. Every stage is idempotent, so rerunning an execution with the same input is safe.",
        "StartAt": "PlanRun",
        # Bounded waits: gate 40 x 30 s, Glue 120 x 60 s, a busy Glue job up to 10 x 300 s, plus the work.
        "TimeoutSeconds": 14400,
        "States": states,
    }


def backfill() -> State:
    chunk_states: States = {
        **fetch_states("ChunkDone", "ChunkFailed"),
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
            "Next": "StartGold",
        },
        **gold_and_warehouse_states("Summarize", "NotifyFailure"),
        "Summarize": {
            "Type": "Pass",
            "Parameters": {
                "status": "SUCCEEDED",
                "execution.$": "$$.Execution.Name",
                "start.$": "$.plan.start",
                "end.$": "$.plan.end",
                "datasets.$": "$.plan.datasets",
                "chunk_results.$": "$.chunks",
                "glue_job_run_id.$": "$.glue.job_run_id",
                "warehouse.$": "$.loaded",
            },
            "End": True,
        },
        **alert_states("energylake backfill failed"),
    }
    return {
        "Comment": "energylake backfill: plan chunks -> Distributed Map (fetch + quality gate per chunk, results "
        "written to S3) -> gold (Glue) over the whole window -> warehouse -> summary.",
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
