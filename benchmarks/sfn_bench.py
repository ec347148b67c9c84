"""The real-time path through the AWS design, on moto: how much does the state machine add to the work itself?

    .venv/bin/python benchmarks/sfn_bench.py

A real-time scheduled run (spp_rt, fuel mix and the weather forecast for one operating day) goes through the same
stack the tests use (tests/e2e/sfn_stack.py: the committed ASL on moto's Step Functions, the real handlers
in-process, S3 -> SQS -> ValidateFunction, the Glue job's transforms on local Spark, the warehouse on DuckDB), with
the template's poll intervals replaced by 1 s.

* baseline: the same stages called one after the other in the same process, on a fresh stack, no Step Functions
  (fetch x3, curate every landed group, the gold job, the warehouse load), after one untimed warm-up round;
* figure: StartRunFunction's trigger to the execution's SUCCEEDED, on another fresh stack.

The ratio is the orchestration's cost: waiting for S3 events to be curated, the quality-gate and Glue poll loops,
Step Functions itself. Spark is started before either is timed. The target it serves (issue 6): real-time prices in
the warehouse within 20 minutes of ERCOT posting them; on AWS add Lambda cold starts and Glue's start-up.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SCHEDULED_TIME = "2024-11-04T23:00:00Z"  # 17:00 Central: a day well under way
BUDGET_S = 20 * 60


def _quiet() -> None:
    logging.disable(logging.CRITICAL)
    import os

    os.environ["POWERTOOLS_LOG_LEVEL"] = "CRITICAL"
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"


def direct(stack: Any, plan: dict[str, Any]) -> float:
    """The stages back to back, no state machine: what the work itself costs."""
    started = time.perf_counter()
    window = {"start": plan["start"], "end": plan["end"]}
    manifests: set[str] = set()
    for dataset in plan["ercot_datasets"]:
        manifests.update(stack.invoke("FetchErcotFunction", {"dataset": dataset, **window})["manifests"])
    manifests.update(stack.invoke("FetchWeatherFunction", window)["manifests"])
    while sum(1 for key in stack.lake.list("quality/")) < len(manifests):
        if not stack.drain_validate_queue_once():
            time.sleep(0.05)
    stack.invoke("TriggerGlueFunction", window)
    stack.invoke("LoadRedshiftFunction", window)
    return time.perf_counter() - started


def orchestrated(stack: Any, monkeypatch: Any) -> tuple[float, dict[str, float]]:
    """StartRunFunction's trigger to SUCCEEDED; seconds spent per state (entered -> exited, summed)."""
    from energylake.orchestration import get_orchestration_settings
    from tests.fakes import FakeContext, load_handler

    monkeypatch.setenv("ENERGYLAKE_PIPELINE_STATE_MACHINE_ARN", stack.machines["pipeline"])
    get_orchestration_settings.cache_clear()
    start_run = load_handler("start_run")
    sfn = stack.sfn
    started = time.perf_counter()
    reply = start_run.lambda_handler(
        {"schedule": "realtime", "scheduled_time": SCHEDULED_TIME}, FakeContext("StartRunFunction")
    )
    arn = reply["execution_arn"]
    while (description := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
        time.sleep(0.05)
    wall = time.perf_counter() - started
    if description["status"] != "SUCCEEDED":
        raise SystemExit(f"the real-time run ended {description['status']}: {description.get('cause', '')[:800]}")
    per_state: dict[str, float] = {}
    entered: dict[str, dt.datetime] = {}
    for event in stack.history(arn):
        if "stateEnteredEventDetails" in event:
            entered[event["stateEnteredEventDetails"]["name"]] = event["timestamp"]
        elif "stateExitedEventDetails" in event:
            name = event["stateExitedEventDetails"]["name"]
            if name in entered:
                seconds = (event["timestamp"] - entered.pop(name)).total_seconds()
                per_state[name] = per_state.get(name, 0.0) + seconds
    return wall, per_state


def main() -> None:
    import pytest

    from energylake.gold.spark import local_spark_session
    from energylake.orchestration import plan
    from tests.e2e.sfn_stack import moto_stack

    _quiet()
    local_spark_session()  # started once, before anything is timed
    run_plan = plan("pipeline", {"schedule": "realtime", "scheduled_time": SCHEDULED_TIME})
    with pytest.MonkeyPatch.context() as monkeypatch, moto_stack(monkeypatch) as stack:
        direct(stack, dict(run_plan))  # warm-up, untimed: imports, Spark's first plans, DuckDB's first load
    with pytest.MonkeyPatch.context() as monkeypatch, moto_stack(monkeypatch) as stack:
        baseline_s = direct(stack, dict(run_plan))
    with pytest.MonkeyPatch.context() as monkeypatch, moto_stack(monkeypatch) as stack:
        figure_s, per_state = orchestrated(stack, monkeypatch)
    print(f"real-time run {run_plan['start']}..{run_plan['end']} {', '.join(run_plan['datasets'])} on moto")
    print(f"  baseline, stages called directly : {baseline_s:6.1f} s")
    print(f"  state machine, trigger->SUCCEEDED: {figure_s:6.1f} s  ({figure_s / baseline_s:.2f}x baseline)")
    busiest = sorted(per_state.items(), key=lambda item: -item[1])[:8]
    print("  time in states: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in busiest))
    print(
        f"  share of the 20-minute freshness budget: {figure_s / BUDGET_S:.1%} (AWS adds cold starts and Glue start-up)"
    )
    print(json.dumps({"baseline_s": round(baseline_s, 2), "state_machine_s": round(figure_s, 2)}))


if __name__ == "__main__":
    main()
