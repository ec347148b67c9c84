"""Validate every state machine definition with an independent validator: asl-validator (npm, pinned in tools/asl/),
offline, over each statemachines/*.asl.json as Step Functions would receive it.

SAM deploys each definition through an AWS::Serverless::StateMachine (DefinitionUri + DefinitionSubstitutions):
every ``${Name}`` of the file is replaced by the substitution's value at deploy time. This script does the same with
plausible values (an ARN of the right service and shape for ``!GetAtt Function.Arn``, a topic ARN for
``!Ref Topic``, ...), so asl-validator's ARN and path checks see what AWS will see, then reports each problem on one
line naming the file:

    statemachines/pipeline.asl.json: MISSING_TRANSITION_TARGET: Missing 'StartAt'|'Next'|'Default' target: Nope

Besides asl-validator's findings it reports what it cannot see: a ``${Name}`` with no substitution, a definition no
state machine of the template deploys, and fields of a Retry or Catch entry that Step Functions does not define
(asl-validator's schema leaves those objects open, while Step Functions refuses the definition).

    python scripts/validate_asl.py [--template template.yaml] [--tools tools/asl] [DEFINITION ...]

Exit status: 0 valid, 1 problems found (one line each, on stdout), 2 the check could not run (node or the npm
package missing, a substitution this script cannot resolve).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TOOLS = REPO / "tools" / "asl"
ACCOUNT = "123456789012"
REGION = "us-east-1"
STACK = "energylake"
PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
STATE_MACHINE_TYPES = ("AWS::Serverless::StateMachine",)
# Fields Step Functions defines for a retrier and a catcher (JSONPath and JSONata state machines):
# https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
RETRIER_FIELDS = frozenset(
    {"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy", "Comment"}
)
CATCHER_FIELDS = frozenset({"ErrorEquals", "Next", "ResultPath", "Output", "Assign", "Comment"})
JITTER_STRATEGIES = frozenset({"FULL", "NONE"})


class CannotCheckError(Exception):
    """The check itself cannot run (exit status 2): a missing tool, or a template this script cannot read."""


# ---------------------------------------------------------------------------------------------------------------
# Substitutions: what each ${Name} becomes at deploy time
# ---------------------------------------------------------------------------------------------------------------


def _physical_name(logical_id: str) -> str:
    return f"{STACK}-{logical_id}"


def _arn(service: str, resource: str, *, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:aws:{service}:{region}:{account}:{resource}"


def _ref_value(logical_id: str, kind: str) -> str:
    """What ``!Ref <logical_id>`` returns for a resource of type ``kind`` (AWS's documented Ref of each type)."""
    name = _physical_name(logical_id)
    refs = {
        "AWS::Serverless::Function": name,
        "AWS::Lambda::Function": name,
        "AWS::SNS::Topic": _arn("sns", name),
        "AWS::SQS::Queue": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}",
        "AWS::S3::Bucket": name.lower(),
        "AWS::Serverless::StateMachine": _arn("states", f"stateMachine:{name}"),
        "AWS::StepFunctions::StateMachine": _arn("states", f"stateMachine:{name}"),
        "AWS::Glue::Job": name,
        "AWS::Glue::Database": name.replace("-", "_").lower(),
        "AWS::DynamoDB::Table": name,
        "AWS::SecretsManager::Secret": _arn("secretsmanager", f"secret:{name}-AbCdEf"),
        "AWS::Events::Rule": name,
        "AWS::IAM::Role": name,
        "AWS::Logs::LogGroup": f"/aws/{name}",
    }
    if kind not in refs:
        raise CannotCheckError(f"cannot tell what !Ref {logical_id} ({kind}) returns: teach scripts/validate_asl.py")
    return refs[kind]


def _attribute_value(logical_id: str, kind: str, attribute: str) -> str:
    """What ``!GetAtt <logical_id>.<attribute>`` returns for a resource of type ``kind``."""
    name = _physical_name(logical_id)
    attributes = {
        ("AWS::Serverless::Function", "Arn"): _arn("lambda", f"function:{name}"),
        ("AWS::Lambda::Function", "Arn"): _arn("lambda", f"function:{name}"),
        ("AWS::SQS::Queue", "Arn"): _arn("sqs", name),
        ("AWS::SQS::Queue", "QueueName"): name,
        ("AWS::S3::Bucket", "Arn"): f"arn:aws:s3:::{name.lower()}",
        ("AWS::Serverless::StateMachine", "Arn"): _arn("states", f"stateMachine:{name}"),
        ("AWS::Serverless::StateMachine", "Name"): name,
        ("AWS::DynamoDB::Table", "Arn"): _arn("dynamodb", f"table/{name}"),
        ("AWS::IAM::Role", "Arn"): f"arn:aws:iam::{ACCOUNT}:role/{name}",
        ("AWS::Events::Rule", "Arn"): _arn("events", f"rule/{name}"),
        ("AWS::Logs::LogGroup", "Arn"): _arn("logs", f"log-group:/aws/{name}:*"),
    }
    if (kind, attribute) not in attributes:
        raise CannotCheckError(
            f"cannot tell what !GetAtt {logical_id}.{attribute} ({kind}) returns: teach scripts/validate_asl.py"
        )
    return attributes[(kind, attribute)]


PSEUDO_PARAMETERS = {
    "AWS::AccountId": ACCOUNT,
    "AWS::Region": REGION,
    "AWS::Partition": "aws",
    "AWS::StackName": STACK,
    "AWS::URLSuffix": "amazonaws.com",
}


def _resolve_name(name: str, template: dict[str, Any]) -> str:
    """``Name`` or ``Name.Attribute`` (the two spellings inside !Sub) against the template."""
    resources: dict[str, Any] = template.get("Resources", {})
    parameters: dict[str, Any] = template.get("Parameters", {})
    if name in PSEUDO_PARAMETERS:
        return PSEUDO_PARAMETERS[name]
    if name in parameters:
        default = parameters[name].get("Default")
        if default in (None, ""):
            raise CannotCheckError(f"parameter {name} has no default to substitute: teach scripts/validate_asl.py")
        return str(default)
    logical_id, _, attribute = name.partition(".")
    if logical_id not in resources:
        raise CannotCheckError(f"{name} names nothing in the template")
    kind = resources[logical_id]["Type"]
    return _attribute_value(logical_id, kind, attribute) if attribute else _ref_value(logical_id, kind)


def substitution_value(value: Any, template: dict[str, Any]) -> str:
    """The deploy-time string of one DefinitionSubstitutions value (a literal, !Ref, !GetAtt or !Sub)."""
    if isinstance(value, str | int | float | bool):
        return str(value).lower() if isinstance(value, bool) else str(value)
    if isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Ref" and isinstance(argument, str):
            return _resolve_name(argument, template)
        if function == "Fn::GetAtt":
            parts = argument.split(".", 1) if isinstance(argument, str) else argument
            return _resolve_name(".".join(parts), template)
        if function == "Fn::Sub" and isinstance(argument, str):
            return PLACEHOLDER.sub(lambda match: _resolve_name(match.group(1), template), argument)
    raise CannotCheckError(f"cannot resolve the substitution {json.dumps(value)}: teach scripts/validate_asl.py")


def deployed_definitions(template: dict[str, Any], template_dir: Path) -> dict[Path, dict[str, str]]:
    """Definition file (resolved path) -> its substitutions as strings, for every state machine of the template."""
    deployed: dict[Path, dict[str, str]] = {}
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") not in STATE_MACHINE_TYPES:
            continue
        properties = resource.get("Properties", {})
        uri = properties.get("DefinitionUri")
        if not isinstance(uri, str):
            continue  # an inline Definition or an S3 location: not a file of this repository
        substitutions = properties.get("DefinitionSubstitutions", {})
        try:
            deployed[(template_dir / uri).resolve()] = {
                name: substitution_value(value, template) for name, value in substitutions.items()
            }
        except CannotCheckError as exc:
            raise CannotCheckError(f"{logical_id}: {exc}") from None
    return deployed


def substitute(text: str, substitutions: dict[str, str]) -> tuple[str, list[str]]:
    """``text`` with each ``${Name}`` replaced, and the names that have no substitution (left as they are)."""
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in substitutions:
            return substitutions[name]
        missing.append(name)
        return match.group(0)

    return PLACEHOLDER.sub(replace, text), missing


# ---------------------------------------------------------------------------------------------------------------
# What asl-validator does not see
# ---------------------------------------------------------------------------------------------------------------


def _states(machine: dict[str, Any], path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, state) of every state at every depth: Parallel branches and Map item processors included."""
    states = machine.get("States")
    if not isinstance(states, dict):
        return
    for name, state in states.items():
        if not isinstance(state, dict):
            continue
        state_path = f"{path}/States/{name}"
        yield state_path, state
        for index, branch in enumerate(state.get("Branches") or []):
            if isinstance(branch, dict):
                yield from _states(branch, f"{state_path}/Branches/{index}")
        for key in ("ItemProcessor", "Iterator"):
            processor = state.get(key)
            if isinstance(processor, dict):
                yield from _states(processor, f"{state_path}/{key}")


def error_handler_problems(definition: dict[str, Any]) -> list[str]:
    """Retry and Catch entries with a field Step Functions does not define, or an unknown JitterStrategy."""
    problems: list[str] = []
    for state_path, state in _states(definition, ""):
        for key, allowed in (("Retry", RETRIER_FIELDS), ("Catch", CATCHER_FIELDS)):
            entries = state.get(key)
            if not isinstance(entries, list):
                continue
            for index, entry in enumerate(entries):
                if not isinstance(entry, dict):
                    continue
                for field in sorted(set(entry) - allowed):
                    problems.append(f"{state_path}/{key}/{index}: unknown field {field!r} (Step Functions refuses it)")
                jitter = entry.get("JitterStrategy")
                if key == "Retry" and jitter is not None and jitter not in JITTER_STRATEGIES:
                    problems.append(f"{state_path}/Retry/{index}: JitterStrategy {jitter!r} is not FULL or NONE")
    return problems


# ---------------------------------------------------------------------------------------------------------------
# asl-validator
# ---------------------------------------------------------------------------------------------------------------


def run_asl_validator(definitions: dict[str, Any], tools: Path) -> tuple[str, dict[str, list[str]]]:
    """asl-validator's version and its findings ("CODE: message") per definition name."""
    node = shutil.which("node")
    if node is None:
        raise CannotCheckError("node is not on PATH: install Node.js (Debian: apt-get install nodejs npm)")
    if not (tools / "node_modules" / "asl-validator" / "package.json").is_file():
        raise CannotCheckError(f"asl-validator is not installed in {tools}/node_modules: run make asl-tools")
    request = [{"name": name, "definition": definition} for name, definition in definitions.items()]
    completed = subprocess.run(  # noqa: S603 - node and a script of this repository, arguments are ours
        [node, str(tools / "validate.cjs")],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=False,
        cwd=tools,
        timeout=120,
    )
    if completed.returncode != 0:
        last_line = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        raise CannotCheckError(f"asl-validator failed to run: {last_line}")
    reply = json.loads(completed.stdout)
    findings = {
        result["name"]: [f"{error['code']}: {error['message']}" for error in result["errors"]]
        for result in reply["results"]
    }
    return str(reply["version"]), findings


def _display(path: Path) -> str:
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def validate(template_path: Path, definition_files: list[Path], tools: Path) -> tuple[str, list[str]]:
    """(asl-validator's version, every problem as one line naming its file)."""
    # SAM's own reader: it turns the short tags (!Ref, !GetAtt, !Sub) into their long form.
    from samtranslator.yaml_helper import yaml_parse  # type: ignore[import-untyped]

    try:
        template = yaml_parse(template_path.read_text())
    except Exception as exc:  # a YAML error of any kind: the check cannot run
        raise CannotCheckError(f"{_display(template_path)} does not parse: {exc}") from None
    if not isinstance(template, dict):
        raise CannotCheckError(f"{_display(template_path)} is not a template (a mapping at the top)")
    deployed = deployed_definitions(template, template_path.parent)

    problems: list[str] = []
    definitions: dict[str, Any] = {}
    for file in definition_files:
        name = _display(file)
        substitutions = deployed.get(file.resolve())
        if substitutions is None:
            problems.append(f"{name}: no state machine of {_display(template_path)} deploys it (DefinitionUri)")
            substitutions = {}
        text, missing = substitute(file.read_text(), substitutions)
        problems.extend(f"{name}: ${{{placeholder}}} has no DefinitionSubstitutions entry" for placeholder in missing)
        try:
            definition = json.loads(text)
        except json.JSONDecodeError as exc:
            problems.append(f"{name}: not JSON after substitution: {exc}")
            continue
        problems.extend(f"{name}: {problem}" for problem in error_handler_problems(definition))
        definitions[name] = definition
    for path in sorted(deployed):
        if not path.is_file():
            problems.append(f"{_display(path)}: a state machine's DefinitionUri, but the file does not exist")

    version, findings = run_asl_validator(definitions, tools) if definitions else ("", {})
    for name in definitions:
        problems.extend(f"{name}: {finding}" for finding in findings.get(name, []))
    return version, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("definitions", nargs="*", type=Path, help="definitions (default: statemachines/*.asl.json)")
    parser.add_argument("--template", type=Path, default=REPO / "template.yaml")
    parser.add_argument("--tools", type=Path, default=TOOLS, help="folder whose node_modules holds asl-validator")
    arguments = parser.parse_args(argv)
    files = arguments.definitions or sorted((REPO / "statemachines").glob("*.asl.json"))
    if not files:
        print("no state machine definition to validate", file=sys.stderr)
        return 2
    try:
        version, problems = validate(arguments.template, files, arguments.tools)
    except CannotCheckError as exc:
        print(f"validate_asl: cannot check: {exc}", file=sys.stderr)
        return 2
    for problem in problems:
        print(problem)
    if problems:
        print(f"validate_asl: {len(problems)} problem(s) in {len(files)} definition(s)", file=sys.stderr)
        return 1
    names = ", ".join(_display(file) for file in files)
    print(f"asl-validator {version}: {len(files)} definition(s) valid ({names})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
