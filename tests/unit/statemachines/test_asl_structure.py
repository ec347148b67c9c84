"""Structure of statemachines/pipeline.asl.json and backfill.asl.json, and their wiring in template.yaml.

Each Parallel branch and each Map's ItemProcessor (or legacy Iterator) is its own scope: a Next may only name a state
of the same scope, and every scope must be reachable and must end. The checker is tested on small broken definitions
too, so a regression in it cannot pass silently.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.paths import REPO_ROOT
from tests.support.template import load_template

STATEMACHINES = REPO_ROOT / "statemachines"
# Definition file -> the AWS::Serverless::StateMachine of template.yaml that deploys it.
MACHINES = {"pipeline.asl.json": "PipelineStateMachine", "backfill.asl.json": "BackfillStateMachine"}
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
LAMBDA_TRANSIENT = {
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
}
PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
TERMINAL_TYPES = {"Succeed", "Fail"}


def load_definition(name: str) -> dict[str, Any]:
    definition: dict[str, Any] = json.loads((STATEMACHINES / name).read_text())
    return definition


# ----------------------------------------------------------------------------------------------------------------
# The checker
# ----------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """One state machine, Parallel branch or Map item processor: ``StartAt`` and ``States``."""

    path: str
    body: dict[str, Any]

    @property
    def states(self) -> dict[str, dict[str, Any]]:
        states: dict[str, dict[str, Any]] = self.body.get("States", {})
        return states


def scopes(body: dict[str, Any], path: str = "<machine>") -> Iterator[Scope]:
    """The machine's scope, then every nested one (depth first)."""
    yield Scope(path, body)
    for name, state in body.get("States", {}).items():
        if state.get("Type") == "Parallel":
            for index, branch in enumerate(state.get("Branches", [])):
                yield from scopes(branch, f"{path}/{name}[{index}]")
        elif state.get("Type") == "Map":
            processor = state.get("ItemProcessor") or state.get("Iterator")
            if processor is not None:
                yield from scopes(processor, f"{path}/{name}")


def every_state(body: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(scope path, state name, state) of every state at every depth."""
    for scope in scopes(body):
        for name, state in scope.states.items():
            yield scope.path, name, state


def targets(state: dict[str, Any]) -> list[str]:
    """Every state name ``state`` may go to: Next, a Choice rule's Next, Default, a Catch's Next."""
    found = [state["Next"]] if "Next" in state else []
    found += [rule["Next"] for rule in state.get("Choices", []) if "Next" in rule]
    found += [state["Default"]] if "Default" in state else []
    found += [handler["Next"] for handler in state.get("Catch", []) if "Next" in handler]
    return found


def reachable(scope: Scope, start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name in seen or name not in scope.states:
            continue
        seen.add(name)
        todo.extend(targets(scope.states[name]))
    return seen


def structural_problems(body: dict[str, Any]) -> list[str]:
    """Everything wrong with the transitions of ``body`` and its nested scopes (empty when it is sound)."""
    problems = []
    for scope in scopes(body):
        if not scope.states:
            problems.append(f"{scope.path}: no States")
            continue
        start = scope.body.get("StartAt")
        if start not in scope.states:
            problems.append(f"{scope.path}: StartAt {start!r} is not a state of this scope")
        for name, state in scope.states.items():
            problems.extend(_state_problems(scope, f"{scope.path}/{name}", state))
        if start in scope.states:
            for name in sorted(set(scope.states) - reachable(scope, start)):
                problems.append(f"{scope.path}/{name}: unreachable from StartAt {start!r}")
        if not any(_ends(state) for state in scope.states.values()):
            problems.append(f"{scope.path}: no terminal state (End, Succeed or Fail)")
        problems.extend(_hot_loops(scope))
    return problems


def _ends(state: dict[str, Any]) -> bool:
    return state.get("End") is True or state.get("Type") in TERMINAL_TYPES


def _state_problems(scope: Scope, where: str, state: dict[str, Any]) -> list[str]:
    problems = [
        f"{where}: goes to {target!r}, which is not a state of this scope"
        for target in targets(state)
        if target not in scope.states
    ]
    if state.get("Type") == "Choice":
        if not state.get("Choices"):
            problems.append(f"{where}: a Choice without rules")
        if "Default" not in state:
            problems.append(f"{where}: a Choice without Default (States.NoChoiceMatched)")
    elif not _ends(state) and "Next" not in state:
        problems.append(f"{where}: neither Next nor End")
    elif _ends(state) and "Next" in state:
        problems.append(f"{where}: both Next and End")
    return problems


# Choice comparisons that make a loop's rule a progress guard: the loop goes on only when a value moved past the one
# the previous pass started from (the warehouse load's next_start after its start).
PROGRESS_OPERATORS = ("StringGreaterThanPath", "NumericGreaterThanPath", "TimestampGreaterThanPath")


def _guards_progress(rule: dict[str, Any]) -> bool:
    return any(operator in condition for condition in rule.get("And", [rule]) for operator in PROGRESS_OPERATORS)


def _unpaced_targets(state: dict[str, Any]) -> list[str]:
    """Where ``state`` may go without a pause or a progress guard: its targets, less the Next of every Choice rule that
    continues only on progress (a loop through such a rule ends: each pass moves a bounded value forward)."""
    found = targets(state)
    for rule in state.get("Choices", []):
        if "Next" in rule and _guards_progress(rule):
            found.remove(rule["Next"])
    return found


def _hot_loops(scope: Scope) -> list[str]:
    """States on a cycle that passes no Wait and no progress guard: the machine would spin (and bill) without pause,
    possibly forever."""
    problems = []
    for name, state in scope.states.items():
        if state.get("Type") == "Wait":
            continue
        seen: set[str] = set()
        todo = [t for t in _unpaced_targets(scope.states[name]) if t in scope.states]
        while todo:
            current = todo.pop()
            if current == name:
                problems.append(f"{scope.path}/{name}: on a loop without a Wait state or a progress guard")
                break
            if current in seen or scope.states[current].get("Type") == "Wait":
                continue
            seen.add(current)
            todo.extend(t for t in _unpaced_targets(scope.states[current]) if t in scope.states)
    return problems


def placeholders(body: dict[str, Any]) -> set[str]:
    return set(PLACEHOLDER.findall(json.dumps(body)))


# ----------------------------------------------------------------------------------------------------------------
# The checker catches what it should (on small synthetic definitions)
# ----------------------------------------------------------------------------------------------------------------

SOUND: dict[str, Any] = {
    "StartAt": "A",
    "States": {
        "A": {"Type": "Pass", "Next": "Items"},
        "Items": {
            "Type": "Map",
            "ItemProcessor": {"StartAt": "Inner", "States": {"Inner": {"Type": "Pass", "End": True}}},
            "Next": "Done",
        },
        "Done": {"Type": "Succeed"},
    },
}


def test_the_checker_accepts_a_sound_definition() -> None:
    assert structural_problems(SOUND) == []
    assert [scope.path for scope in scopes(SOUND)] == ["<machine>", "<machine>/Items"]


def test_the_checker_catches_a_dangling_next_and_an_unreachable_state() -> None:
    # GIVEN a definition whose first state goes nowhere, leaving the rest unreachable
    broken = copy.deepcopy(SOUND)
    broken["States"]["A"]["Next"] = "Typo"
    # THEN both problems are named
    problems = structural_problems(broken)
    assert "<machine>/A: goes to 'Typo', which is not a state of this scope" in problems
    assert "<machine>/Items: unreachable from StartAt 'A'" in problems
    assert "<machine>/Done: unreachable from StartAt 'A'" in problems


def test_the_checker_keeps_nested_scopes_apart() -> None:
    # GIVEN a Map item processor whose state jumps to a state of the enclosing machine (not allowed in ASL)
    broken = copy.deepcopy(SOUND)
    broken["States"]["Items"]["ItemProcessor"]["States"]["Inner"] = {"Type": "Pass", "Next": "Done"}
    problems = structural_problems(broken)
    assert "<machine>/Items/Inner: goes to 'Done', which is not a state of this scope" in problems
    assert "<machine>/Items: no terminal state (End, Succeed or Fail)" in problems


def test_the_checker_catches_a_dangling_catch_and_choice_without_default() -> None:
    broken = copy.deepcopy(SOUND)
    broken["States"]["A"] = {
        "Type": "Choice",
        "Choices": [{"Variable": "$.x", "BooleanEquals": True, "Next": "Items"}],
    }
    broken["States"]["Items"]["Catch"] = [{"ErrorEquals": ["States.ALL"], "Next": "Alert"}]
    problems = structural_problems(broken)
    assert "<machine>/A: a Choice without Default (States.NoChoiceMatched)" in problems
    assert "<machine>/Items: goes to 'Alert', which is not a state of this scope" in problems


def test_the_checker_catches_a_loop_without_a_wait() -> None:
    spinning: dict[str, Any] = {
        "StartAt": "Check",
        "States": {
            "Check": {"Type": "Pass", "Next": "Decide"},
            "Decide": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.done", "BooleanEquals": True, "Next": "Done"}],
                "Default": "Check",
            },
            "Done": {"Type": "Succeed"},
        },
    }
    assert "<machine>/Check: on a loop without a Wait state or a progress guard" in structural_problems(spinning)
    paced = copy.deepcopy(spinning)
    paced["States"]["Decide"]["Default"] = "Pause"
    paced["States"]["Pause"] = {"Type": "Wait", "Seconds": 5, "Next": "Check"}
    assert structural_problems(paced) == []


def test_the_checker_accepts_a_loop_only_while_it_makes_progress() -> None:
    # GIVEN a loop that goes round again only when the work moved past where this pass started (the warehouse load)
    guarded: dict[str, Any] = {
        "StartAt": "Work",
        "States": {
            "Work": {"Type": "Pass", "Next": "Decide"},
            "Decide": {
                "Type": "Choice",
                "Choices": [
                    {
                        "And": [
                            {"Variable": "$.done", "BooleanEquals": False},
                            {"Variable": "$.next", "StringGreaterThanPath": "$.start"},
                        ],
                        "Next": "Work",
                    }
                ],
                "Default": "Done",
            },
            "Done": {"Type": "Succeed"},
        },
    }
    # THEN it is sound; without the progress comparison the same loop could spin forever, and is caught
    assert structural_problems(guarded) == []
    unguarded = copy.deepcopy(guarded)
    unguarded["States"]["Decide"]["Choices"] = [{"Variable": "$.done", "BooleanEquals": False, "Next": "Work"}]
    assert "<machine>/Work: on a loop without a Wait state or a progress guard" in structural_problems(unguarded)


# ----------------------------------------------------------------------------------------------------------------
# The committed definitions
# ----------------------------------------------------------------------------------------------------------------


@pytest.fixture(params=sorted(MACHINES), scope="module")
def machine(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    name: str = request.param
    return name, load_definition(name)


def test_the_committed_definitions_are_what_build_asl_writes() -> None:
    result = subprocess.run(
        [sys.executable, str(STATEMACHINES / "build_asl.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO_ROOT,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_every_transition_targets_a_state_of_its_scope_and_every_state_is_reachable(
    machine: tuple[str, dict[str, Any]],
) -> None:
    name, body = machine
    assert structural_problems(body) == [], name


def test_the_backfill_has_nested_scopes_to_check() -> None:
    # The recursion is real: the backfill nests a Distributed Map, which nests the fetch Parallel, which nests a Map.
    paths = [scope.path for scope in scopes(load_definition("backfill.asl.json"))]
    assert "<machine>/FetchChunks" in paths
    assert "<machine>/FetchChunks/Fetch[0]/FetchErcotDatasets" in paths
    assert len(paths) >= 5


def test_every_task_retries_transient_errors_with_jittered_backoff_and_catches_everything(
    machine: tuple[str, dict[str, Any]],
) -> None:
    name, body = machine
    tasks = [(path, state_name, state) for path, state_name, state in every_state(body) if state["Type"] == "Task"]
    assert tasks, f"{name} has no Task"
    for path, state_name, state in tasks:
        where = f"{name}:{path}/{state_name}"
        retries = state.get("Retry", [])
        assert retries, f"{where}: no Retry"
        for retrier in retries:
            assert retrier.get("JitterStrategy") == "FULL", f"{where}: retry {retrier['ErrorEquals']} without jitter"
            assert retrier.get("BackoffRate", 2.0) > 1, f"{where}: retry {retrier['ErrorEquals']} does not back off"
            assert retrier.get("MaxAttempts", 3) >= 1, f"{where}: retry {retrier['ErrorEquals']} never retries"
        if state["Resource"] == LAMBDA_INVOKE:
            retried = {error for retrier in retries for error in retrier["ErrorEquals"]}
            assert retried >= LAMBDA_TRANSIENT, f"{where}: Lambda errors not retried: {LAMBDA_TRANSIENT - retried}"
        caught = [handler for handler in state.get("Catch", []) if "States.ALL" in handler["ErrorEquals"]]
        assert caught, f"{where}: no Catch of States.ALL"


def test_no_retry_swallows_every_error(machine: tuple[str, dict[str, Any]]) -> None:
    # Retrying States.ALL would retry bad inputs and quality failures for minutes before the alert.
    name, body = machine
    for path, state_name, state in every_state(body):
        for retrier in state.get("Retry", []):
            assert "States.ALL" not in retrier["ErrorEquals"], f"{name}:{path}/{state_name}"


def _our_error_names() -> set[str]:
    """The exception classes our Lambdas raise (a Lambda error's name is its class name): energylake.errors and
    whatever a function's module (energylake.lambdas.<function>) or the Redshift load defines or imports."""
    import importlib
    import inspect
    import pkgutil

    from energylake import errors, lambdas
    from energylake.warehouse.redshift import load

    modules = [errors, load] + [
        importlib.import_module(f"{lambdas.__name__}.{info.name}") for info in pkgutil.iter_modules(lambdas.__path__)
    ]
    return {
        name
        for module in modules
        for name, value in vars(module).items()
        if inspect.isclass(value) and issubclass(value, Exception)
    }


# The service errors a Retry or Catch may name, as Step Functions spells them: "ServiceName.ErrorName" with an
# Exception suffix even where the service's API reference leaves it out ("Learning to use AWS service SDK
# integrations", Step Functions Developer Guide). Lambda: the invoke errors the guide's retry advice names. Glue:
# StartJobRun/GetJobRun errors of the Glue API reference plus the common ThrottlingException. SNS: Publish errors.
KNOWN_SERVICE_ERRORS = {
    *LAMBDA_TRANSIENT,
    "Glue.ThrottlingException",
    "Glue.InternalServiceException",
    "Glue.OperationTimeoutException",
    "Glue.ConcurrentRunsExceededException",
    "Glue.EntityNotFoundException",
    "Glue.InvalidInputException",
    "SNS.ThrottledException",
    "SNS.InternalErrorException",
    "SNS.SdkClientException",
}


def test_every_retried_or_caught_error_name_is_a_real_one(machine: tuple[str, dict[str, Any]]) -> None:
    # A misspelt or renamed error would silently switch its Retry off: every name must be a States.* error, a
    # documented service error, or one of our exception classes (the errors GoldFailed, GoldTimedOut and LoadStalled
    # generate are never retried).
    name, body = machine
    ours = _our_error_names()
    for path, state_name, state in every_state(body):
        for handler in [*state.get("Retry", []), *state.get("Catch", [])]:
            for error in handler["ErrorEquals"]:
                known = error.startswith("States.") or error in KNOWN_SERVICE_ERRORS or error in ours
                assert known, f"{name}:{path}/{state_name}: {error}"


def _reaches_alert(body: dict[str, Any], start: str) -> bool:
    scope = Scope("<machine>", body)
    return any(scope.states[name].get("Resource") == "arn:aws:states:::sns:publish" for name in reachable(scope, start))


def test_every_caught_error_of_the_machine_is_published_to_the_alert_topic(machine: tuple[str, dict[str, Any]]) -> None:
    name, body = machine
    alerts = [s for s in body["States"].values() if s.get("Resource") == "arn:aws:states:::sns:publish"]
    assert {alert["Parameters"]["TopicArn"] for alert in alerts} == {"${AlertTopicArn}"}
    for state_name, state in body["States"].items():
        if state in alerts:
            continue
        for handler in state.get("Catch", []):
            assert _reaches_alert(body, handler["Next"]), f"{name}/{state_name}: an error skips the alert"
    # Failures found without an exception (a Glue run that FAILED or never ended, a load that stopped moving) alert too.
    for state_name in ("GoldFailed", "GoldTimedOut", "LoadStalled"):
        assert _reaches_alert(body, state_name), f"{name}/{state_name}"


def test_a_run_with_quarantined_groups_loads_what_passed_then_alerts_and_ends_groups_quarantined() -> None:
    # The CLI's rule (exit 3: finished, gold and the warehouse built from what passed, the groups named): the gate's
    # "quarantined" goes on to gold like "passed"; after the load the run alerts and fails with GroupsQuarantined.
    states = load_definition("pipeline.asl.json")["States"]
    decision = states["QualityDecision"]["Choices"]
    assert {(c["StringEquals"], c["Next"]) for c in decision} == {
        ("passed", "ChooseGoldEngine"),
        ("quarantined", "ChooseGoldEngine"),
    }
    assert states["Summarize"]["Next"] == "QuarantineDecision"
    [choice] = states["QuarantineDecision"]["Choices"]
    assert (choice["Variable"], choice["StringEquals"], choice["Next"]) == (
        "$.quality.status",
        "quarantined",
        "NotifyQuarantine",
    )
    assert states[states["QuarantineDecision"]["Default"]]["Type"] == "Succeed"
    assert states["NotifyQuarantine"]["Next"] == "Quarantined"
    assert [c["Next"] for c in states["NotifyQuarantine"]["Catch"]] == ["Quarantined"]  # no alert: end anyway
    assert states["Quarantined"] == {
        "Type": "Fail",
        "Comment": states["Quarantined"]["Comment"],
        "Error": "GroupsQuarantined",
        "CausePath": "$.quality.summary",
    }


def test_a_backfill_chunk_with_quarantined_groups_fails_as_groups_quarantined() -> None:
    chunk = load_definition("backfill.asl.json")["States"]["FetchChunks"]["ItemProcessor"]["States"]
    [choice] = chunk["ChunkQualityDecision"]["Choices"]
    assert (choice["StringEquals"], choice["Next"], chunk["ChunkQualityDecision"]["Default"]) == (
        "quarantined",
        "ChunkQuarantined",
        "ChunkDone",
    )
    assert (chunk["ChunkQuarantined"]["Error"], chunk["ChunkQuarantined"]["CausePath"]) == (
        "GroupsQuarantined",
        "$.gate.summary",
    )


def test_the_first_state_plans_the_run_from_the_execution_input(machine: tuple[str, dict[str, Any]]) -> None:
    # A bad input must fail at the first state: the plan function validates it.
    name, body = machine
    first = body["States"][body["StartAt"]]
    assert first["Parameters"]["FunctionName"] == "${PlanRunFunctionArn}"
    assert first["Parameters"]["Payload"] == {
        "mode": name.removesuffix(".asl.json"),
        "input.$": "$$.Execution.Input",
    }


def test_the_backfill_fans_out_with_a_distributed_map_that_writes_its_results_to_s3() -> None:
    body = load_definition("backfill.asl.json")
    [(map_name, fan_out)] = [
        (name, state)
        for name, state in body["States"].items()
        if state["Type"] == "Map"
        and state.get("ItemProcessor", {}).get("ProcessorConfig", {}).get("Mode") == "DISTRIBUTED"
    ]
    assert fan_out["ItemsPath"] == "$.plan.chunks"
    assert "MaxConcurrency" in fan_out or "MaxConcurrencyPath" in fan_out, map_name
    assert "ToleratedFailurePercentage" in fan_out or "ToleratedFailurePercentagePath" in fan_out, map_name
    # The plan provides the paths it names (energylake.lambdas.plan_run.BackfillPlan)
    assert fan_out.get("MaxConcurrencyPath") == "$.plan.max_concurrency"
    assert fan_out.get("ToleratedFailurePercentagePath") == "$.plan.tolerated_failure_percent"
    writer = fan_out["ResultWriter"]
    assert writer["Resource"] == "arn:aws:states:::s3:putObject"
    assert writer["Parameters"]["Bucket"] and writer["Parameters"]["Prefix"]


def test_the_pipeline_fetches_ercot_one_dataset_at_a_time() -> None:
    # Every ERCOT request takes a slot of one shared budget (RateLimitTable, ERCOT's per-key limit): fetching more
    # datasets at once would only make them wait for slots.
    body = load_definition("pipeline.asl.json")
    maps = [state for _, _, state in every_state(body) if state["Type"] == "Map"]
    ercot_maps = [m for m in maps if "${FetchErcotFunctionArn}" in json.dumps(m)]
    assert ercot_maps
    assert all(m.get("MaxConcurrency") == 1 for m in ercot_maps)


# ----------------------------------------------------------------------------------------------------------------
# Wiring in template.yaml
# ----------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()  # the cfn-lint decoder, which understands !GetAtt etc.


def state_machine_resource(template: dict[str, Any], definition: str) -> dict[str, Any]:
    resource_name = MACHINES[definition]
    resource: dict[str, Any] | None = template["Resources"].get(resource_name)
    assert resource is not None, f"template.yaml has no {resource_name} (it deploys statemachines/{definition})"
    assert resource["Type"] == "AWS::Serverless::StateMachine"
    return resource


def _getatt_arn(value: Any) -> str | None:
    """``X`` for ``!GetAtt X.Arn`` (either form the decoder returns), else None."""
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        parts = target if isinstance(target, list) else str(target).split(".", 1)
        if len(parts) == 2 and parts[1] == "Arn":
            return str(parts[0])
    return None


def test_the_template_deploys_each_definition_file(template: dict[str, Any], machine: tuple[str, Any]) -> None:
    name, _ = machine
    resource = state_machine_resource(template, name)
    assert resource["Properties"].get("DefinitionUri") == f"statemachines/{name}"


def test_every_placeholder_is_substituted_and_every_substitution_is_used(
    template: dict[str, Any], machine: tuple[str, dict[str, Any]]
) -> None:
    name, body = machine
    substitutions = state_machine_resource(template, name)["Properties"].get("DefinitionSubstitutions", {})
    used = placeholders(body)
    assert used, f"{name} has no placeholders: are its ARNs hard-coded?"
    assert sorted(used - set(substitutions)) == [], f"{name}: placeholders without a DefinitionSubstitution"
    assert sorted(set(substitutions) - used) == [], f"{name}: DefinitionSubstitutions no placeholder uses"


def test_every_function_arn_placeholder_names_a_function_of_the_template_with_its_code(
    template: dict[str, Any], machine: tuple[str, dict[str, Any]]
) -> None:
    name, body = machine
    resources = template["Resources"]
    substitutions = state_machine_resource(template, name)["Properties"].get("DefinitionSubstitutions", {})
    function_placeholders = sorted(p for p in placeholders(body) if p.endswith("FunctionArn"))
    assert function_placeholders
    for placeholder in function_placeholders:
        function = _getatt_arn(substitutions.get(placeholder))
        assert function, f"{name}: ${{{placeholder}}} is not !GetAtt <Function>.Arn: {substitutions.get(placeholder)}"
        assert resources.get(function, {}).get("Type") == "AWS::Serverless::Function", f"{function} is not a function"
        code = resources[function]["Properties"].get("CodeUri")
        assert isinstance(code, str) and (REPO_ROOT / code / "app.py").is_file(), f"{function}: no code at {code}"


def test_placeholders_name_the_function_they_stand_for(machine: tuple[str, dict[str, Any]]) -> None:
    # ${FetchErcotFunctionArn} -> FetchErcotFunction -> functions/fetch_ercot/: a renamed function shows up here.
    name, body = machine
    for placeholder in (p for p in placeholders(body) if p.endswith("FunctionArn")):
        folder = re.sub(r"(?<!^)(?=[A-Z])", "_", placeholder.removesuffix("FunctionArn")).lower()
        assert (REPO_ROOT / "functions" / folder / "app.py").is_file(), f"{name}: ${{{placeholder}}}: no {folder}"


def test_every_placeholder_is_a_plain_name(machine: tuple[str, dict[str, Any]]) -> None:
    # ${Stage}-style names only: no ${AWS::Region} pseudo parameters or expressions the substitution would not fill.
    _, body = machine
    assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", p) for p in placeholders(body)), sorted(placeholders(body))


def _invokable_functions(resource: dict[str, Any]) -> set[str]:
    """Functions the state machine's policies let it invoke: ``lambda:InvokeFunction`` statements on ``!GetAtt X.Arn``
    (or ``${X.Arn}`` in a ``!Sub``), and SAM's ``LambdaInvokePolicy`` templates."""
    allowed: set[str] = set()
    for policy in resource["Properties"].get("Policies", []):
        if isinstance(policy, dict) and "LambdaInvokePolicy" in policy:
            name = policy["LambdaInvokePolicy"].get("FunctionName")
            if isinstance(name, dict) and "Ref" in name:
                allowed.add(name["Ref"])
            continue
        for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
            actions = statement.get("Action", [])
            actions = [actions] if isinstance(actions, str) else actions
            if statement.get("Effect") != "Allow" or "lambda:InvokeFunction" not in actions:
                continue
            resources = statement.get("Resource", [])
            for item in resources if isinstance(resources, list) else [resources]:
                function = _getatt_arn(item)
                if function is None and isinstance(item, dict) and isinstance(item.get("Fn::Sub"), str):
                    match = re.fullmatch(r"\$\{(\w+)\.Arn\}(:\*)?", item["Fn::Sub"])
                    function = match.group(1) if match else None
                if function:
                    allowed.add(function)
    return allowed


def test_each_machine_may_invoke_every_function_it_calls(
    template: dict[str, Any], machine: tuple[str, dict[str, Any]]
) -> None:
    # GIVEN the functions the definition calls
    name, body = machine
    resource = state_machine_resource(template, name)
    substitutions = resource["Properties"].get("DefinitionSubstitutions", {})
    called = {_getatt_arn(substitutions.get(p)) for p in placeholders(body) if p.endswith("FunctionArn")}
    # THEN its role allows each of them (a missing grant fails only when the state runs, on AWS)
    assert called and None not in called
    assert sorted(str(f) for f in called - _invokable_functions(resource)) == [], (
        f"{name}: no lambda:InvokeFunction grant"
    )
