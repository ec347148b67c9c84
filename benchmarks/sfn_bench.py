"""The real-time path through the AWS design, on moto: how much does the state machine add to the work itself?

    .venv/bin/python benchmarks/sfn_bench.py [--runs 1]

A real-time scheduled run (spp_rt, fuel mix and the weather forecast for one operating day) goes through the same
stack the state-machine tests use (tests/support/sfn_stack.py: the committed ASL on moto's Step Functions, the real
handlers in-process, S3 -> SQS -> ValidateFunction, gold in BuildGoldFunction (DuckDB: a real-time window is
shorter than GoldLambdaMaxDays), the warehouse on DuckDB), with the template's poll intervals replaced by 1 s.
Every run gets a fresh stack, built outside the clock.

* baseline: the same stages called one after the other in the same process, no Step Functions (fetch x3, curate
  every landed group, the gold build, the warehouse load), after one untimed warm-up round;
* figure: StartRunFunction's trigger to the execution's SUCCEEDED.

The ratio is the orchestration's cost: waiting for S3 events to be curated, the quality-gate poll loop, Step
Functions itself. (A window routed to Glue would start local Spark before anything is timed.) The figure is held
against the freshness budget (real-time prices in the warehouse within 20 minutes of ERCOT posting them); on AWS add
Lambda cold starts, which moto cannot show. Extra fields: the seconds spent in the busiest states, the share of
the budget.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from harness import measure, report, stopwatch_in  # noqa: E402

SCHEDULED_TIME = "2024-11-04T23:00:00Z"  # 17:00 Central: a day well under way
BUDGET_S = 20 * 60


@dataclass
class Run:
    """One fresh stack, and the execution started on it (if any)."""

    stack: Any
    execution_arn: str | None = None


def _quiet() -> None:
    logging.disable(logging.CRITICAL)
    warnings.filterwarnings("ignore", module=r"aws_lambda_powertools\.")  # repeated metric dimensions, per call
    os.environ["POWERTOOLS_LOG_LEVEL"] = "CRITICAL"
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"


def seconds_per_state(history: list[dict[str, Any]]) -> dict[str, float]:
    """Seconds spent in each state of an execution (entered -> exited, summed over visits)."""
    per_state: dict[str, float] = {}
    entered: dict[str, dt.datetime] = {}
    for event in history:
        if "stateEnteredEventDetails" in event:
            entered[event["stateEnteredEventDetails"]["name"]] = event["timestamp"]
        elif "stateExitedEventDetails" in event:
            name = event["stateExitedEventDetails"]["name"]
            if name in entered:
                seconds = (event["timestamp"] - entered.pop(name)).total_seconds()
                per_state[name] = per_state.get(name, 0.0) + seconds
    return per_state


def direct(run: Run, plan: dict[str, Any]) -> None:
    """The stages back to back, no state machine: what the work itself costs."""
    stack = run.stack
    window = {"start": plan["start"], "end": plan["end"]}
    manifests: set[str] = set()
    for dataset in plan["ercot_datasets"]:
        manifests.update(stack.invoke("FetchErcotFunction", {"dataset": dataset, **window})["manifests"])
    manifests.update(stack.invoke("FetchWeatherFunction", window)["manifests"])
    while sum(1 for _ in stack.lake.list("quality/")) < len(manifests):
        if not stack.drain_validate_queue_once():
            time.sleep(0.05)
    stack.invoke("BuildGoldFunction" if plan["gold_engine"] == "lambda" else "TriggerGlueFunction", window)
    stack.invoke("LoadRedshiftFunction", window)


def orchestrated(run: Run) -> None:
    """StartRunFunction's trigger, then wait for the execution to end."""
    from tests.support.fakes import FakeContext, load_handler

    reply = load_handler("start_run").lambda_handler(
        {"schedule": "realtime", "scheduled_time": SCHEDULED_TIME}, FakeContext("StartRunFunction")
    )
    run.execution_arn = reply["execution_arn"]
    sfn = run.stack.sfn
    while (description := sfn.describe_execution(executionArn=run.execution_arn))["status"] == "RUNNING":
        time.sleep(0.05)
    if description["status"] != "SUCCEEDED":
        raise SystemExit(f"the real-time run ended {description['status']}: {description.get('cause', '')[:800]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="timed runs of each (median; default 1)")
    args = parser.parse_args(argv)

    import pytest

    from energylake.gold.spark import local_spark_session
    from energylake.lambdas.plan_run import plan
    from energylake.settings import get_settings
    from tests.support.fakes import load_handler
    from tests.support.sfn_stack import moto_stack

    _quiet()
    load_handler("start_run")
    run_plan = plan("pipeline", {"schedule": "realtime", "scheduled_time": SCHEDULED_TIME})
    if run_plan["gold_engine"] != "lambda":
        local_spark_session()  # the Glue branch's stand-in: started once, before anything is timed
    per_state: dict[str, float] = {}

    @contextmanager
    def fresh_stack() -> Iterator[Run]:
        with pytest.MonkeyPatch.context() as monkeypatch, moto_stack(monkeypatch) as stack:
            monkeypatch.setenv("ENERGYLAKE_PIPELINE_STATE_MACHINE_ARN", stack.machines["pipeline"])
            get_settings.cache_clear()
            run = Run(stack)
            yield run
            if run.execution_arn is not None:  # read after the clock stopped
                per_state.update(seconds_per_state(stack.history(run.execution_arn)))

    baseline_name = "stages called directly"
    probes = {
        baseline_name: stopwatch_in(fresh_stack, lambda run: direct(run, dict(run_plan))),
        "state machine, trigger -> SUCCEEDED": stopwatch_in(fresh_stack, orchestrated),
    }
    probes[baseline_name]()  # warm-up, untimed: imports, DuckDB's first build and load
    timings = measure(probes, runs=args.runs, warmup=0)

    print(f"real-time run {run_plan['start']}..{run_plan['end']} {', '.join(run_plan['datasets'])} on moto")
    figure = timings["state machine, trigger -> SUCCEEDED"]
    busiest = sorted(per_state.items(), key=lambda item: -item[1])[:8]
    report(
        figure,
        timings[baseline_name],
        max_median=BUDGET_S,
        budget_share=round(figure.median / BUDGET_S, 4),
        state_seconds={name: round(seconds, 1) for name, seconds in busiest},
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
