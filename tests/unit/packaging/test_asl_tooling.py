"""The independent state machine check (make asl-validate): asl-validator pinned in tools/asl/, wired into
`make checks`, and scripts/validate_asl.py failing on broken definitions with one line per problem naming the file.

The runs of the real validator need Node.js and tools/asl/node_modules (`make asl-tools`, which `make test` runs
through `checks` before the unit tests); without them those tests skip and say why.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import REPO_ROOT
from tests.support.scripts import load_script

MAKEFILE = (REPO_ROOT / "Makefile").read_text()
TOOLS = REPO_ROOT / "tools" / "asl"
SCRIPT = REPO_ROOT / "scripts" / "validate_asl.py"
LAMBDA_ARN = re.compile(r"^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}$")

needs_asl_validator = pytest.mark.skipif(
    shutil.which("node") is None or not (TOOLS / "node_modules" / "asl-validator").is_dir(),
    reason="asl-validator is not installed: run `make asl-tools` (needs Node.js and npm)",
)


validate_asl = load_script(SCRIPT, "validate_asl")


def _prerequisites(target: str) -> list[str]:
    match = re.search(rf"^{re.escape(target)}:([^\n=]*)$", MAKEFILE, flags=re.MULTILINE)
    assert match, f"the Makefile has no {target} target"
    return match.group(1).split()


def _recipe(target: str) -> str:
    match = re.search(rf"^{re.escape(target)}:[^\n]*\n((?:\t[^\n]*\n)*)", MAKEFILE, flags=re.MULTILINE)
    assert match, f"the Makefile has no {target} target"
    return match.group(1)


# A two-state machine deployed by a minimal template: the tests break it one way at a time.
TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Worker:
    Type: AWS::Serverless::Function
    Properties: {Handler: app.handler, Runtime: python3.12, CodeUri: worker/}
  Alerts:
    Type: AWS::SNS::Topic
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: machine.asl.json
      DefinitionSubstitutions:
        WorkerArn: !GetAtt Worker.Arn
        AlertsArn: !Ref Alerts
"""


def _machine() -> dict[str, Any]:
    return {
        "StartAt": "Work",
        "States": {
            "Work": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "${WorkerArn}", "Payload.$": "$"},
                "Retry": [{"ErrorEquals": ["Lambda.ServiceException"], "MaxAttempts": 2, "JitterStrategy": "FULL"}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Alert"}],
                "Next": "Done",
            },
            "Alert": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sns:publish",
                "Parameters": {"TopicArn": "${AlertsArn}", "Message.$": "$.error"},
                "Next": "Done",
            },
            "Done": {"Type": "Succeed"},
        },
    }


def _project(tmp_path: Path, machine: dict[str, Any]) -> Path:
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    definition = tmp_path / "machine.asl.json"
    definition.write_text(json.dumps(machine, indent=2))
    return definition


@dataclass(frozen=True)
class Outcome:
    returncode: int
    stdout: str
    stderr: str


def _validate(tmp_path: Path, definition: Path, *, tools: Path = TOOLS) -> Outcome:
    """The script's main, in this process (one samtranslator import for every case), as the command line calls it."""
    out, err = io.StringIO(), io.StringIO()
    arguments = ["--template", str(tmp_path / "template.yaml"), "--tools", str(tools), str(definition)]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = validate_asl.main(arguments)
    return Outcome(status, out.getvalue(), err.getvalue())


# --------------------------------------------------------------------------------------------------------------------
# Wiring: pinned, installed with npm ci, ignored by git, part of make checks
# --------------------------------------------------------------------------------------------------------------------


def test_make_checks_runs_the_asl_validator() -> None:
    assert "asl-validate" in _prerequisites("checks")
    assert "scripts/validate_asl.py" in _recipe("asl-validate")
    # The tools come from the lockfile (npm ci), into their own folder.
    assert "$(ASL_STAMP)" in _prerequisites("asl-validate")
    install = _recipe("$(ASL_STAMP)")
    assert "cd $(ASL_TOOLS) && npm ci" in install
    assert {"$(ASL_TOOLS)/package.json", "$(ASL_TOOLS)/package-lock.json"} <= set(_prerequisites("$(ASL_STAMP)"))
    assert re.search(r"^ASL_TOOLS := tools/asl$", MAKEFILE, flags=re.MULTILINE)


def test_asl_validator_is_pinned_exactly_by_package_json_and_its_lockfile() -> None:
    package = json.loads((TOOLS / "package.json").read_text())
    lock = json.loads((TOOLS / "package-lock.json").read_text())
    pinned = package["dependencies"]["asl-validator"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned), f"pin an exact version, not {pinned!r}"
    assert lock["packages"][""]["dependencies"]["asl-validator"] == pinned
    assert lock["packages"]["node_modules/asl-validator"]["version"] == pinned
    # Every package npm ci installs is pinned to a version and checked against its integrity hash.
    for name, entry in lock["packages"].items():
        if name:
            assert entry.get("version") and entry.get("integrity", "").startswith("sha512-"), name


def test_node_modules_are_not_committed() -> None:
    ignored = (REPO_ROOT / ".gitignore").read_text().split()
    assert "node_modules/" in ignored


# --------------------------------------------------------------------------------------------------------------------
# Substitutions and the checks asl-validator cannot make (no node needed)
# --------------------------------------------------------------------------------------------------------------------


def test_substitutions_become_values_of_the_shape_aws_returns() -> None:
    # GIVEN a template with a function and a topic
    template = {
        "Resources": {
            "Worker": {"Type": "AWS::Serverless::Function"},
            "Alerts": {"Type": "AWS::SNS::Topic"},
            "Lake": {"Type": "AWS::S3::Bucket"},
        }
    }
    # WHEN each substitution form is resolved
    worker = validate_asl.substitution_value({"Fn::GetAtt": ["Worker", "Arn"]}, template)
    alerts = validate_asl.substitution_value({"Ref": "Alerts"}, template)
    lake = validate_asl.substitution_value({"Fn::Sub": "s3://${Lake}/x/${AWS::Region}"}, template)
    # THEN each is what CloudFormation would put there: a function ARN, a topic ARN, a bucket name
    assert LAMBDA_ARN.match(worker), worker
    assert re.fullmatch(r"arn:aws:sns:us-east-1:\d{12}:\S+", alerts), alerts
    assert re.fullmatch(r"s3://[a-z0-9.-]+/x/us-east-1", lake), lake


def test_a_substitution_the_script_cannot_resolve_stops_the_check() -> None:
    template = {"Resources": {"Thing": {"Type": "AWS::Example::Unknown"}}}
    with pytest.raises(validate_asl.CannotCheckError, match=r"Thing\.Arn \(AWS::Example::Unknown\)"):
        validate_asl.substitution_value({"Fn::GetAtt": ["Thing", "Arn"]}, template)
    with pytest.raises(validate_asl.CannotCheckError, match="Fn::If"):
        validate_asl.substitution_value({"Fn::If": ["C", "a", "b"]}, template)


def test_unknown_retry_and_catch_fields_are_found_at_every_depth() -> None:
    # GIVEN a Map whose item processor holds a Parallel whose branch retries with a misspelt field
    inner: dict[str, Any] = {"StartAt": "T", "States": {"T": {"Type": "Pass", "End": True}}}
    inner["States"]["T"]["Retry"] = [{"ErrorEquals": ["States.ALL"], "MaxAttempt": 3, "JitterStrategy": "HALF"}]
    machine = {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ItemProcessor": {
                    "StartAt": "P",
                    "States": {"P": {"Type": "Parallel", "Branches": [inner], "End": True}},
                },
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "M", "Resultpath": "$.e"}],
                "End": True,
            }
        },
    }
    # WHEN the error handlers are checked
    problems = validate_asl.error_handler_problems(machine)
    # THEN each unknown field and the unknown jitter strategy is named with its path
    retrier = "/States/M/ItemProcessor/States/P/Branches/0/States/T/Retry/0"
    assert problems == [
        "/States/M/Catch/0: unknown field 'Resultpath' (Step Functions refuses it)",
        f"{retrier}: unknown field 'MaxAttempt' (Step Functions refuses it)",
        f"{retrier}: JitterStrategy 'HALF' is not FULL or NONE",
    ]
    # ... and our own machines have none
    for file in sorted((REPO_ROOT / "statemachines").glob("*.asl.json")):
        assert validate_asl.error_handler_problems(json.loads(file.read_text())) == [], file.name


# --------------------------------------------------------------------------------------------------------------------
# The script end to end, with asl-validator
# --------------------------------------------------------------------------------------------------------------------


@needs_asl_validator
def test_our_state_machines_pass() -> None:
    # WHEN the script runs as make asl-validate runs it
    result = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, check=False, cwd=REPO_ROOT, timeout=120
    )
    # THEN every definition of statemachines/ is valid
    assert result.returncode == 0, result.stdout + result.stderr
    for file in sorted((REPO_ROOT / "statemachines").glob("*.asl.json")):
        assert f"statemachines/{file.name}" in result.stdout


@needs_asl_validator
def test_a_valid_machine_passes(tmp_path: Path) -> None:
    result = _validate(tmp_path, _project(tmp_path, _machine()))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 definition(s) valid" in result.stdout


@needs_asl_validator
def test_a_dangling_next_fails_with_one_line_naming_the_file(tmp_path: Path) -> None:
    # GIVEN a state whose Next names no state
    machine = _machine()
    machine["States"]["Alert"]["Next"] = "Nowhere"
    definition = _project(tmp_path, machine)
    # WHEN the script validates it
    result = _validate(tmp_path, definition)
    # THEN it fails, and asl-validator's finding is one line naming the file and the missing target
    assert result.returncode == 1
    assert f"{definition}: MISSING_TRANSITION_TARGET: Missing 'StartAt'|'Next'|'Default' target: Nowhere" in (
        result.stdout.splitlines()
    )
    assert all(line.startswith(f"{definition}: ") for line in result.stdout.splitlines())


@needs_asl_validator
def test_a_retry_with_an_unknown_field_fails(tmp_path: Path) -> None:
    # GIVEN a retrier with a misspelt field (asl-validator's schema lets it through; Step Functions does not)
    machine = _machine()
    machine["States"]["Work"]["Retry"][0]["BackOffRate"] = 2
    definition = _project(tmp_path, machine)
    result = _validate(tmp_path, definition)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{definition}: /States/Work/Retry/0: unknown field 'BackOffRate' (Step Functions refuses it)"
    ]


@needs_asl_validator
def test_a_bad_arn_after_substitution_fails(tmp_path: Path) -> None:
    # GIVEN a Task whose Resource is not an ARN (asl-validator checks Resource ARNs once the substitutions are in)
    machine = _machine()
    machine["States"]["Alert"]["Resource"] = "sns:publish"
    definition = _project(tmp_path, machine)
    result = _validate(tmp_path, definition)
    assert result.returncode == 1
    assert [line for line in result.stdout.splitlines() if "/States/Alert/Resource" in line], result.stdout


@needs_asl_validator
def test_a_placeholder_without_substitution_and_an_undeployed_file_fail(tmp_path: Path) -> None:
    # GIVEN a definition using ${LoaderArn}, which the template does not substitute
    machine = _machine()
    machine["States"]["Work"]["Parameters"]["FunctionName"] = "${LoaderArn}"
    definition = _project(tmp_path, machine)
    # ... and a copy of it that no state machine deploys
    stray = tmp_path / "stray.asl.json"
    stray.write_text(json.dumps(_machine()))
    result = _validate(tmp_path, definition)
    stray_result = _validate(tmp_path, stray)
    assert result.returncode == 1
    assert f"{definition}: ${{LoaderArn}} has no DefinitionSubstitutions entry" in result.stdout.splitlines()
    assert stray_result.returncode == 1
    assert f"{stray}: no state machine of {tmp_path / 'template.yaml'} deploys it (DefinitionUri)" in (
        stray_result.stdout.splitlines()
    )


def test_without_the_npm_package_the_check_cannot_run_and_says_how_to_install(tmp_path: Path) -> None:
    # GIVEN a tools folder where npm ci has not run
    empty_tools = tmp_path / "tools"
    empty_tools.mkdir()
    result = _validate(tmp_path, _project(tmp_path, _machine()), tools=empty_tools)
    # THEN the check does not pass silently: status 2, and the way to fix it
    assert result.returncode == 2
    assert "make asl-tools" in result.stderr or "node is not on PATH" in result.stderr
