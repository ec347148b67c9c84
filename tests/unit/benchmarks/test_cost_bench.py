"""benchmarks/cost_bench.py's yearly cost model: what it reads from template.yaml, and its arithmetic on cases small
enough to compute by hand (the comments show the sums), so a refactor cannot silently change the figures it reports.
The measurement itself (moto, a few minutes) runs in the benchmark, not here."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from benchmarks.cost_bench import (
    GB,
    PRICES,
    Assumptions,
    FunctionRun,
    FunctionSpec,
    LifecycleRule,
    Measured,
    RunProfile,
    StorageInputs,
    Year,
    aws_run_profiles,
    byte_days,
    gb_months,
    lake_storage_gb_months,
    lambda_seconds,
    load_template,
    pipeline_loops,
    resolve,
    runs_per_year,
    template_facts,
    yearly_lines,
)
from tests.support.template import FUNCTIONS, GLOBAL_FUNCTION, RESOURCES

FACTS = template_facts(load_template())


def lambda_invoke(function: str, next_state: str) -> dict[str, object]:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": f"${{{function}Arn}}"},
        "Next": next_state,
    }


# A pipeline small enough to count by hand: the quality gate's loop (3 states), the engine choice, BuildGold (1 state)
# or the Glue branch (2 states, then 3 per poll), then the load.
HAND_ASL: dict[str, object] = {
    "StartAt": "CheckQuality",
    "States": {
        "CheckQuality": lambda_invoke("QualityGateFunction", "QualityDecision"),
        "QualityDecision": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.ready", "BooleanEquals": True, "Next": "ChooseGoldEngine"}],
            "Default": "WaitForCuration",
        },
        "WaitForCuration": {"Type": "Wait", "Seconds": 30, "Next": "CheckQuality"},
        "ChooseGoldEngine": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.engine", "StringEquals": "lambda", "Next": "BuildGold"}],
            "Default": "StartGold",
        },
        "BuildGold": lambda_invoke("BuildGoldFunction", "Load"),
        "StartGold": lambda_invoke("TriggerGlueFunction", "StartGluePolls"),
        "StartGluePolls": {"Type": "Pass", "Next": "WaitForGold"},
        "WaitForGold": {"Type": "Wait", "Seconds": 60, "Next": "GetGoldRun"},
        "GetGoldRun": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:glue:getJobRun", "Next": "GoldDecision"},
        "GoldDecision": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.state", "StringEquals": "SUCCEEDED", "Next": "Load"},
                {"Variable": "$.state", "StringEquals": "FAILED", "Next": "Failed"},
            ],
            "Default": "WaitForGold",
        },
        "Load": {"Type": "Pass", "End": True},
        "Failed": {"Type": "Fail"},
    },
}


def one_function_year(profile: RunProfile, runs: int = 35_040, **facts: object) -> Year:
    spec = FunctionSpec("FetchErcotFunction", "fetch_ercot", 512, "arm64")
    return Year(
        facts=replace(FACTS, functions={spec.name: spec}, **facts),  # type: ignore[arg-type]
        runs={"realtime": runs},
        profiles={"realtime": profile},
        storage=StorageInputs(current_bytes_per_day={}, warehouse_bytes_per_day=0),
        custom_metrics=0,
    )


def line(year: Year, item_start: str) -> tuple[float, float]:
    """(quantity, cost) of the year's line whose item starts with ``item_start``."""
    found = [entry for entry in yearly_lines(year) if entry.item.startswith(item_start)]
    assert len(found) == 1, f"expected one line {item_start!r}, found {[entry.item for entry in found]}"
    return found[0].quantity, found[0].cost


# --- schedules ---------------------------------------------------------------------------------------------------


def test_a_15_minute_rate_runs_35040_times_a_year() -> None:
    # GIVEN rate expressions; WHEN counted over a 365-day year
    # THEN 365 x 24 x 4 = 35,040; hourly 8,760; daily 365 (a rate counts absolute time: no time zone applies)
    assert runs_per_year("rate(15 minutes)") == 35_040
    assert runs_per_year("rate(1 hour)", "America/Chicago") == 8_760
    assert runs_per_year("rate(1 day)") == 365


def test_a_daily_cron_runs_every_local_day_except_a_time_the_spring_change_skips() -> None:
    # GIVEN the daily run's 06:30 Chicago, and 02:30 Chicago (inside the hour 2025-03-09 skips)
    # WHEN counted THEN 365 and 364: EventBridge Scheduler skips a local time that does not exist (and runs a repeated
    # one once)
    assert runs_per_year("cron(30 6 * * ? *)", "America/Chicago") == 365
    assert runs_per_year("cron(30 2 * * ? *)", "America/Chicago") == 364
    assert runs_per_year("cron(30 1 * * ? *)", "America/Chicago") == 365  # 01:30 happens twice in November


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("cron(0 12 ? * MON-FRI *)", "only a fixed time every day"),
        ("rate(0 minutes)", "at least 1 minute"),
        ("every 15 minutes", "not a schedule expression"),
    ],
)
def test_a_schedule_the_model_cannot_count_is_refused_naming_it(expression: str, problem: str) -> None:
    # GIVEN an expression the model does not count WHEN counted THEN one line naming it and the problem
    with pytest.raises(ValueError, match=problem) as raised:
        runs_per_year(expression)
    assert expression in str(raised.value) and "\n" not in str(raised.value)


# --- template.yaml -----------------------------------------------------------------------------------------------


def test_the_schedules_functions_and_gold_job_are_the_template_s() -> None:
    # GIVEN template.yaml WHEN read by the model THEN its figures are the template's own
    schedules = RESOURCES["StartRunFunction"]["Properties"]["Events"]
    assert FACTS.schedules["realtime"].expression == schedules["RealtimeSchedule"]["Properties"]["ScheduleExpression"]
    daily = schedules["DailySchedule"]["Properties"]
    assert (FACTS.schedules["daily"].expression, FACTS.schedules["daily"].timezone) == (
        daily["ScheduleExpression"],
        daily["ScheduleExpressionTimezone"],
    )
    for name, function in FUNCTIONS.items():
        assert FACTS.functions[name].memory_mb == function["Properties"].get(
            "MemorySize", GLOBAL_FUNCTION["MemorySize"]
        )
        assert FACTS.functions[name].architecture == "arm64"
    job = next(resource for resource in RESOURCES.values() if resource["Type"] == "AWS::Glue::Job")["Properties"]
    assert (FACTS.glue_worker_type, FACTS.glue_workers) == (job["WorkerType"], job["NumberOfWorkers"])
    assert set(FACTS.state_machine_types.values()) == {"STANDARD"}
    # AND the default schedules run 35,040 + 365 times a year
    assert {name: runs_per_year(spec.expression, spec.timezone) for name, spec in FACTS.schedules.items()} == {
        "realtime": 35_040,
        "daily": 365,
    }


def test_each_lake_zone_gets_the_template_s_lifecycle_rule() -> None:
    # GIVEN the lake bucket's rules WHEN a key's rule is looked up THEN raw/ tiers down, gold/ keeps old versions 7 days
    rules = {rule["Prefix"]: rule for rule in RESOURCES["LakeBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
             if "Prefix" in rule}  # fmt: skip
    raw = FACTS.rule_for("raw/source=ercot/dataset=spp_rt/x.json")
    assert raw is not None
    assert raw.transitions == tuple(
        (step["TransitionInDays"], step["StorageClass"]) for step in rules["raw/"]["Transitions"]
    )
    gold = FACTS.rule_for("gold/")
    assert gold is not None and gold.noncurrent_days == rules["gold/"]["NoncurrentVersionExpiration"]["NoncurrentDays"]
    assert FACTS.rule_for("nowhere/") is None


def test_a_template_value_the_model_cannot_resolve_is_named() -> None:
    # GIVEN a property that is neither a literal nor a !Ref to a parameter WHEN resolved THEN one line naming it
    with pytest.raises(ValueError, match=r"BuildGoldJob\.Timeout: cannot resolve"):
        resolve({"Fn::GetAtt": ["X", "Y"]}, {}, "BuildGoldJob.Timeout")
    with pytest.raises(ValueError, match="!Ref Missing is not a parameter with a default"):
        resolve({"Ref": "Missing"}, {}, "BuildGoldJob.Timeout")
    assert resolve({"Ref": "P"}, {"P": {"Default": 30}}, "x") == 30


# --- Lambda, Redshift, Glue ----------------------------------------------------------------------------------------


def test_lambda_gb_seconds_are_memory_times_duration_times_runs() -> None:
    # GIVEN a 512 MB function running 1 s, once per real-time run (35,040 runs)
    year = one_function_year(RunProfile(functions={"FetchErcotFunction": FunctionRun(1, 1.0)}, transitions=0))
    # WHEN the year is priced THEN 0.5 GB x 1 s x 35,040 = 17,520 GB-s at $0.0000133334 = $0.2336
    quantity, cost = line(year, "FetchErcotFunction")
    assert quantity == 17_520
    assert cost == pytest.approx(17_520 * 0.0000133334)
    # AND 35,040 requests at $0.20 a million
    assert line(year, "requests") == pytest.approx((35_040, 35_040 * 0.20 / 1_000_000))


def test_cpu_work_is_stretched_to_the_vcpu_share_of_the_memory() -> None:
    # GIVEN work measured here WHEN run on Lambda THEN CPU seconds / vCPUs (1 vCPU at 1,769 MB), waits unchanged
    assert lambda_seconds(wall_s=1.0, cpu_s=1.0, memory_mb=1769) == pytest.approx(1.0)
    assert lambda_seconds(wall_s=1.0, cpu_s=1.0, memory_mb=884.5) == pytest.approx(2.0)  # type: ignore[arg-type]
    assert lambda_seconds(wall_s=3.0, cpu_s=1.0, memory_mb=884.5) == pytest.approx(2.0 + 2.0)  # type: ignore[arg-type]
    # AND two busy threads on 2 vCPUs (3,538 MB) take the wall time; a single thread never gains from more vCPUs
    assert lambda_seconds(wall_s=1.0, cpu_s=2.0, memory_mb=3538) == pytest.approx(1.0)
    assert lambda_seconds(wall_s=1.0, cpu_s=1.0, memory_mb=3538) == pytest.approx(1.0)


def test_redshift_and_glue_bill_at_least_a_minute_a_run() -> None:
    # GIVEN 100 runs whose load keeps Redshift busy 20 s and whose gold runs 30 s in Glue
    profile = RunProfile(functions={}, transitions=0, redshift_seconds=20, glue_run_seconds=30)
    year = one_function_year(profile, runs=100)
    # WHEN priced THEN each bills 60 s: 8 RPU x 60 s x 100 = 13.33 RPU-hours; 2 DPU x 60 s x 100 = 3.33 DPU-hours
    assert FACTS.redshift_base_rpu == 8 and FACTS.glue_dpus == 2
    assert line(year, "loads: 100 x 8 RPU") == pytest.approx((800 / 60, 800 / 60 * 0.375))
    assert line(year, "gold job") == pytest.approx((200 / 60, 200 / 60 * 0.44))
    # AND a run over the minimum bills its own seconds (90 s: 8 x 90 x 100 / 3600 = 20 RPU-hours)
    assert line(one_function_year(replace(profile, redshift_seconds=90), runs=100), "loads")[0] == pytest.approx(20)


def test_a_year_without_a_glue_run_has_no_glue_line() -> None:
    # GIVEN gold in the Lambda (no Glue run) WHEN priced THEN no Glue line at all
    year = one_function_year(RunProfile(functions={}, transitions=0))
    assert not [entry for entry in yearly_lines(year) if entry.service == "Glue"]


# --- storage -----------------------------------------------------------------------------------------------------


def test_byte_days_count_each_day_s_data_for_as_long_as_it_is_kept() -> None:
    # GIVEN 1 byte a day for 3 days: day 0's byte is 0, 1, 2 days old on days 0..2 -> 3 + 2 + 1 = 6 byte-days
    assert byte_days(1, 0, math.inf, 3) == 6
    # AND kept only 1 day (a noncurrent version): 3 byte-days; between 1 and 2 days old: 2 + 1 = 3
    assert byte_days(1, 0, 1, 3) == 3
    assert byte_days(1, 1, math.inf, 3) == 3
    # AND 1 GB for a whole 365-day year is 12 GB-months
    assert gb_months(GB * 365, 365) == pytest.approx(12)


def test_raw_replies_move_down_the_storage_classes_and_curated_versions_expire() -> None:
    # GIVEN 1 GiB of raw replies of at least 128 KB a day, and 1 GiB a day rewritten in gold/ (noncurrent 7 days)
    rules = (
        LifecycleRule("raw/", transitions=((30, "STANDARD_IA"), (180, "GLACIER_IR"))),
        LifecycleRule("gold/", noncurrent_days=7),
    )
    profile = RunProfile(
        functions={}, transitions=0, written_bytes={"raw/": GB, "gold/": GB}, raw_large_bytes=GB, raw_large_objects=1
    )
    year = replace(one_function_year(profile, runs=365), facts=replace(FACTS, lake_rules=rules))
    # WHEN stored for a year
    by_class = lake_storage_gb_months(year)
    # THEN raw: ages 0-29 in Standard: 30 x 365 - (0 + ... + 29) = 10,515 GB-days; ages 30-179 in Standard-IA:
    # 150 x 365 - (30 + ... + 179) = 39,075; ages 180-364 in Glacier IR: 1 + ... + 185 = 17,205 (sum 365 x 366 / 2)
    # AND gold's old versions live 7 days: 7 x 365 - (0 + ... + 6) = 2,534 GB-days, in Standard
    month = 365 / 12
    assert by_class["STANDARD"] == pytest.approx((10_515 + 2_534) / month)
    assert by_class["STANDARD_IA"] == pytest.approx(39_075 / month)
    assert by_class["GLACIER_IR"] == pytest.approx(17_205 / month)
    # AND one transition per object and rule step it reaches: 365 - 30 = 335 into Standard-IA, 365 - 180 = 185 further
    assert line(year, "lifecycle transitions to STANDARD_IA")[0] == 335
    assert line(year, "lifecycle transitions to GLACIER_IR")[0] == 185


def test_small_raw_replies_stay_in_standard_and_a_zone_without_a_rule_keeps_every_version() -> None:
    # GIVEN 1 GiB a day of raw replies under 128 KB, and 1 GiB a day rewritten where no rule applies
    rules = (LifecycleRule("raw/", transitions=((30, "STANDARD_IA"),)),)
    profile = RunProfile(functions={}, transitions=0, written_bytes={"raw/": GB, "elsewhere/": GB})
    year = replace(one_function_year(profile, runs=365), facts=replace(FACTS, lake_rules=rules))
    # WHEN stored THEN everything stays in Standard all year: 2 x (365 x 366 / 2) GB-days
    by_class = lake_storage_gb_months(year)
    assert by_class["STANDARD"] == pytest.approx(2 * 66_795 / (365 / 12))
    assert sum(by_class.values()) == by_class["STANDARD"]


# --- the state machine --------------------------------------------------------------------------------------------


def test_the_poll_loops_and_gold_branches_are_read_from_the_asl() -> None:
    # GIVEN the hand pipeline WHEN its loops are found
    loops = pipeline_loops(HAND_ASL)
    # THEN the gate loop is WaitForCuration, CheckQuality, QualityDecision; the Lambda branch 1 state; the Glue branch
    # StartGold, StartGluePolls and 3 states a poll (2 polls: 2 + 6 = 8)
    assert (loops.gate_wait, loops.gate_cycle, loops.glue_wait) == ("WaitForCuration", 3, "WaitForGold")
    assert (loops.gold.lambda_states, loops.gold.glue_states(2)) == (1, 8)


def test_the_committed_pipeline_has_both_gold_branches_and_both_loops() -> None:
    # GIVEN statemachines/pipeline.asl.json WHEN read THEN the model finds what it prices (it fails naming what is not)
    import json

    from tests.support.paths import REPO_ROOT

    loops = pipeline_loops(json.loads((REPO_ROOT / "statemachines" / "pipeline.asl.json").read_text()))
    assert loops.gate_cycle >= 2 and loops.gold.glue_cycle >= 2 and loops.gold.lambda_states >= 1


def test_an_asl_without_the_glue_poll_loop_is_refused_naming_it() -> None:
    # GIVEN a pipeline whose Glue branch does not poll WHEN read THEN the error names the loop it looked for
    states = dict(HAND_ASL["States"])  # type: ignore[call-overload]
    states["GetGoldRun"] = {"Type": "Pass", "Next": "GoldDecision"}
    with pytest.raises(ValueError, match="expected one poll loop calling glue:getJobRun"):
        pipeline_loops({**HAND_ASL, "States": states})
    # AND a BuildGold that leads nowhere the Glue branch joins is named too
    states = dict(HAND_ASL["States"])  # type: ignore[call-overload]
    states["BuildGold"] = {**states["BuildGold"], "Next": "Done"}
    states["Done"] = {"Type": "Succeed"}
    with pytest.raises(ValueError, match="from BuildGold, Done does not lead on to Failed or Load"):
        pipeline_loops({**HAND_ASL, "States": states})


def measured_run(validate_wall_s: float) -> Measured:
    """A real-time run as the probe records it: the gate polled twice on moto before curation was done."""
    return Measured(
        schedule="realtime",
        window=("2024-11-05", "2024-11-05"),
        invocations=[
            {"function": "ValidateFunction", "wall_s": validate_wall_s, "cpu_s": 0.0},
            {"function": "QualityGateFunction", "wall_s": 0.5, "cpu_s": 0.0},
            {"function": "QualityGateFunction", "wall_s": 0.5, "cpu_s": 0.0},
            {"function": "QualityGateFunction", "wall_s": 0.5, "cpu_s": 0.0},
            {"function": "BuildGoldFunction", "wall_s": 2.0, "cpu_s": 0.0},
            {"function": "TriggerGlueFunction", "wall_s": 0.25, "cpu_s": 0.0},
        ],
        api_calls=[],
        put_objects=[],
        http_requests=[],
        log_bytes={},
        emf_metrics=[],
        states_entered=["CheckQuality", "QualityDecision", "WaitForCuration"] * 2
        + ["CheckQuality", "QualityDecision", "ChooseGoldEngine", "BuildGold", "Load"],
        manifests=1,
        redshift_statements=[],
        redshift_submissions=0,
        redshift_files=0,
        redshift_tables=0,
    )


@pytest.mark.parametrize(("validate_wall_s", "gate_waits"), [(10.0, 1), (40.0, 2)])
def test_the_gate_polls_on_aws_s_interval_and_the_glue_design_adds_its_branch(
    validate_wall_s: float, gate_waits: int
) -> None:
    # GIVEN a run measured on moto (11 states, the gate waited twice at moto's 1 s) whose curation takes
    # 5 s (the event source's batching window) + validate_wall_s: 15 s or 45 s against the template's 30 s polls
    assert (FACTS.gate_poll_seconds, FACTS.validate_batching_window_s, FACTS.glue_poll_seconds) == (30, 5, 60)
    profiles = aws_run_profiles(measured_run(validate_wall_s), FACTS, pipeline_loops(HAND_ASL), Assumptions())
    design, baseline = profiles["lambda"], profiles["glue"]
    # WHEN set to AWS THEN the gate waits 1 or 2 times: checks = waits + 1, at the measured 0.5 s each
    assert design.functions["QualityGateFunction"] == FunctionRun(gate_waits + 1, 0.5 * (gate_waits + 1))
    # AND transitions: 11 - (2 - waits) x 3 (the gate loop); the Glue design swaps BuildGold (1 state) for
    # StartGold, StartGluePolls and ceil(90 s / 60 s) = 2 polls of 3 states: + 7
    assert design.transitions == 11 - (2 - gate_waits) * 3
    assert baseline.transitions == design.transitions - 1 + 2 + 2 * 3
    # AND the Glue design runs TriggerGlueFunction instead of BuildGoldFunction, and the job for 90 s
    assert "BuildGoldFunction" in design.functions and "TriggerGlueFunction" not in design.functions
    assert baseline.functions["TriggerGlueFunction"] == FunctionRun(1, 0.25)
    assert "BuildGoldFunction" not in baseline.functions
    assert (design.glue_run_seconds, baseline.glue_run_seconds) == (0, 90)


def test_the_price_list_is_dated_and_names_each_unit() -> None:
    # GIVEN the price list WHEN printed THEN each price reads as dollars per unit (the table's "unit price" column)
    assert str(PRICES["lambda_gb_second"]) == "$0.0000133334 / GB-s"
    assert str(PRICES["sfn_transition"]) == "$0.025 / 1,000 transitions"
    assert str(PRICES["redshift_rpu_hour"]) == "$0.375 / RPU-hour"
