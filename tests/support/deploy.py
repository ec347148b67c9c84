"""Deploy template.yaml, as `sam deploy` would, into moto on loopback: the SAM transform, CloudFormation's Rules,
moto's CloudFormation for the resource types it creates faithfully, and each other resource through its own API.

1. :func:`sam_transform` turns template.yaml into plain CloudFormation with samtranslator (what `sam deploy` sends):
   local CodeUri/ContentUri become objects of an artifacts bucket (a dummy zip each), and each DefinitionUri becomes
   the inline definition, its DefinitionSubstitutions kept for the state machine.
2. :func:`parameter_values` checks the parameters as CloudFormation does (AllowedValues, AllowedPattern, MinValue,
   MaxValue) and :func:`rule_failures` evaluates the Rules section (moto ignores both).
3. :func:`deploy` creates the resources in dependency order, in waves: a CloudFormation stack holding every resource
   of :data:`CLOUDFORMATION_TYPES` whose dependencies exist, then every other resource whose dependencies exist,
   through its API (:data:`API_CREATORS`), and again until all exist. References to resources of earlier waves are
   resolved to their values first (each stack exports the Refs and attributes later waves need), so every stack
   must reach CREATE_COMPLETE on its own, and every API call gets concrete values.

Every API call the deployment makes is checked against the service's API model as AWS checks it (required members,
lengths, ranges, enums, patterns: :func:`model_problems`), which botocore and moto mostly do not. moto has no Redshift
Serverless: its namespace and workgroup are checked against the model and their references (roles, subnets,
security groups, the namespace) must exist; nothing is created. Custom resources are answered by a stub
(:data:`CUSTOM_RESOURCE_STUBS`): GlueArtifacts runs the real publisher against the moto lake bucket; WarehouseSetup
validates its properties as the function reads them and builds the setup SQL (no Redshift to run it on).
"""

from __future__ import annotations

import base64
import io
import json
import logging
import re
import shlex
import string
import tomllib
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.model import OperationModel, Shape, StructureShape
from botocore.stub import Stubber

from tests.support.paths import REPO_ROOT

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
STACK_NAME = "energylake"
STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/{STACK_NAME}/5d8e6f70-1a2b-4c3d-9e8f-a1b2c3d4e5f6"
ARTIFACTS_BUCKET = "energylake-deploy-artifacts"
PSEUDO_PARAMETERS: dict[str, Any] = {
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::Region": REGION,
    "AWS::Partition": "aws",
    "AWS::StackName": STACK_NAME,
    "AWS::StackId": STACK_ID,
    "AWS::URLSuffix": "amazonaws.com",
}
# Created by moto's CloudFormation. Each type's properties moto's CloudFormation skips are applied again through the
# API right after the stack (COMPLETERS): an IAM role's policies (moto's CloudFormation does not validate them), a
# KMS key's policy (kept as an object, not JSON), a bucket's versioning, lifecycle, logging, public access block,
# ownership and notifications (ignored).
CLOUDFORMATION_TYPES = frozenset(
    {
        "AWS::IAM::Role",
        "AWS::KMS::Key",
        "AWS::KMS::Alias",
        "AWS::Logs::LogGroup",
        "AWS::SQS::Queue",
        "AWS::SNS::Topic",
        "AWS::DynamoDB::Table",
        "AWS::S3::Bucket",
        "AWS::Events::Rule",
        "AWS::CloudWatch::Dashboard",
    }
)
# Name property and length limit of the types whose name CloudFormation generates ("<stack>-<logical id>-<suffix>",
# cut to the limit) when the template sets none: moto's CloudFormation does not cut, so it gets the name from here.
GENERATED_NAMES = {
    "AWS::IAM::Role": ("RoleName", 64),
    "AWS::SQS::Queue": ("QueueName", 80),
    "AWS::SNS::Topic": ("TopicName", 256),
    "AWS::DynamoDB::Table": ("TableName", 255),
    "AWS::S3::Bucket": ("BucketName", 63),
    "AWS::Events::Rule": ("Name", 64),
    "AWS::Lambda::Function": ("FunctionName", 64),
    "AWS::StepFunctions::StateMachine": ("StateMachineName", 80),
    "AWS::CloudWatch::Alarm": ("AlarmName", 255),
    "AWS::Glue::Job": ("Name", 255),
    "AWS::SecretsManager::Secret": ("Name", 512),
    "AWS::Scheduler::Schedule": ("Name", 64),
}
NO_VALUE = object()


class DeployError(AssertionError):
    """A resource AWS would refuse, or a stack that did not reach CREATE_COMPLETE (the message names which)."""


class UnresolvedError(DeployError):
    """A reference to a resource that does not exist (yet)."""


@dataclass
class Deployed:
    """One created resource: what ``!Ref`` and ``!GetAtt`` give, and how it was created."""

    kind: str
    created_by: str  # "cloudformation", "api", "model" (checked against the API model only) or "stub"
    ref: Any
    attributes: dict[str, Any] = field(default_factory=dict)
    properties: dict[str, Any] = field(default_factory=dict)  # as resolved when it was created


# ---------------------------------------------------------------------------------------------------------------
# Configuration: samconfig.toml, parameters, Rules, the SAM transform
# ---------------------------------------------------------------------------------------------------------------


def samconfig_parameters(environment: str = "default") -> dict[str, str]:
    """The parameter overrides `sam deploy --config-env <environment>` passes (samconfig.toml)."""
    config = tomllib.loads((REPO_ROOT / "samconfig.toml").read_text())
    overrides = config[environment]["deploy"]["parameters"]["parameter_overrides"]
    return dict(item.split("=", 1) for item in shlex.split(overrides))


def load_template() -> dict[str, Any]:
    """template.yaml as SAM reads it (short tags in their long form)."""
    from samtranslator.yaml_helper import yaml_parse  # type: ignore[import-untyped]

    template: dict[str, Any] = yaml_parse((REPO_ROOT / "template.yaml").read_text())
    return template


def parameter_values(template: dict[str, Any], overrides: dict[str, str]) -> dict[str, Any]:
    """Every parameter's value (override or default) after CloudFormation's own parameter checks; a
    CommaDelimitedList is a list, as ``!Ref`` gives it."""
    declared: dict[str, Any] = template.get("Parameters", {})
    unknown = set(overrides) - set(declared)
    if unknown:
        raise DeployError(f"parameters not in the template: {sorted(unknown)}")
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        if name not in overrides and "Default" not in spec:
            raise DeployError(f"parameter {name} has no value and no default")
        value = str(overrides.get(name, spec.get("Default")))
        allowed = [str(item) for item in spec.get("AllowedValues", [])]
        if allowed and value not in allowed:
            raise DeployError(f"parameter {name}: {value!r} is not one of {allowed}")
        if "AllowedPattern" in spec and not re.fullmatch(spec["AllowedPattern"], value):
            raise DeployError(f"parameter {name}: {value!r} does not match {spec['AllowedPattern']}")
        if spec.get("Type") == "Number":
            number = float(value)
            if ("MinValue" in spec and number < float(spec["MinValue"])) or (
                "MaxValue" in spec and number > float(spec["MaxValue"])
            ):
                raise DeployError(
                    f"parameter {name}: {value} is outside [{spec.get('MinValue')}, {spec.get('MaxValue')}]"
                )
        values[name] = value.split(",") if spec.get("Type") == "CommaDelimitedList" else value
    return values


_RULE_FUNCTIONS: dict[str, Callable[[list[Any]], bool]] = {
    "Fn::Equals": lambda values: bool(values[0] == values[1]),
    "Fn::Not": lambda values: not values[0],
    "Fn::And": all,
    "Fn::Or": any,
    "Fn::Contains": lambda values: values[1] in values[0],
}


def _rule_value(node: Any, parameters: dict[str, Any]) -> Any:
    """A rule expression over concrete parameters: Ref, Fn::Equals, Fn::Not, Fn::And, Fn::Or, Fn::Contains."""
    if not (isinstance(node, dict) and len(node) == 1):
        return node
    ((function, argument),) = node.items()
    if function == "Ref":
        return parameters[argument] if argument in parameters else PSEUDO_PARAMETERS[argument]
    if function not in _RULE_FUNCTIONS or not isinstance(argument, list):
        raise DeployError(f"rule function {function} is not evaluated here: teach tests/support/deploy.py")
    return _RULE_FUNCTIONS[function]([_rule_value(item, parameters) for item in argument])


def rule_failures(template: dict[str, Any], parameters: dict[str, Any]) -> list[str]:
    """The AssertDescription of every Rules assertion the parameters fail (CloudFormation refuses the stack)."""
    failures: list[str] = []
    for name, rule in template.get("Rules", {}).items():
        if "RuleCondition" in rule and not _rule_value(rule["RuleCondition"], parameters):
            continue
        for assertion in rule["Assertions"]:
            if not _rule_value(assertion["Assert"], parameters):
                failures.append(assertion.get("AssertDescription", f"rule {name} failed"))
    return failures


def sam_transform(template: dict[str, Any], parameters: dict[str, Any]) -> dict[str, Any]:
    """``template`` (as :func:`load_template` reads it) as the plain CloudFormation `sam deploy` would send."""
    from samtranslator.parser.parser import Parser  # type: ignore[import-untyped]
    from samtranslator.translator.translator import Translator  # type: ignore[import-untyped]
    from samtranslator.utils.py27hash_fix import (  # type: ignore[import-untyped]
        to_py27_compatible_template,
        undo_mark_unicode_str_in_template,
    )

    local = json.loads(json.dumps(template))
    for logical_id, resource in local["Resources"].items():
        properties = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(key), str):
                properties[key] = f"s3://{ARTIFACTS_BUCKET}/{logical_id}.zip"
        if isinstance(properties.get("DefinitionUri"), str):
            properties["Definition"] = json.loads((REPO_ROOT / properties.pop("DefinitionUri")).read_text())
    as_strings = {name: ",".join(value) if isinstance(value, list) else value for name, value in parameters.items()}
    values = {**as_strings, **PSEUDO_PARAMETERS}
    # samtranslator's transform(), with the region given rather than read from the environment; no managed policy
    # names to look up in IAM (every function names its Role).
    to_py27_compatible_template(local, values)
    translator = Translator(None, Parser(), boto_session=boto3.Session(region_name=REGION))
    transformed = translator.translate(local, parameter_values=values, get_managed_policy_map=dict)
    result: dict[str, Any] = undo_mark_unicode_str_in_template(transformed)
    return result


# ---------------------------------------------------------------------------------------------------------------
# Intrinsic functions
# ---------------------------------------------------------------------------------------------------------------

_SUB_NAME = re.compile(r"\$\{(?!!)([^}]+)\}")


def _symbolic(value: Any) -> bool:
    if isinstance(value, dict):
        return any(key == "Ref" or key.startswith("Fn::") for key in value) or any(map(_symbolic, value.values()))
    return isinstance(value, list) and any(map(_symbolic, value))


# The functions whose value depends on their arguments only (once those are resolved).
_PURE_FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "Fn::Join": lambda values: str(values[0]).join(str(item) for item in values[1]),
    "Fn::Split": lambda values: str(values[1]).split(values[0]),
    "Fn::Select": lambda values: values[1][int(values[0])],
    "Fn::Equals": lambda values: str(values[0]) == str(values[1]),
    "Fn::Not": lambda values: not values[0],
    "Fn::And": all,
    "Fn::Or": any,
    "Fn::Base64": lambda value: base64.b64encode(str(value).encode()).decode(),
    "Fn::GetAZs": lambda _region: [f"{REGION}{zone}" for zone in "abc"],
    "Fn::FindInMap": lambda values: values[0][values[1]][values[2]][values[3]],  # Mappings first
}


class Evaluator:
    """CloudFormation's intrinsic functions over concrete parameters and the values of created resources. With
    ``keep``, references to those resources stay as they are (they are created in the same stack)."""

    def __init__(self, template: dict[str, Any], parameters: dict[str, Any]) -> None:
        self.template = template
        self.values: dict[str, Any] = {**parameters, **PSEUDO_PARAMETERS}
        self.resources: dict[str, Deployed] = {}
        self._conditions: dict[str, bool] = {}

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            self._conditions[name] = bool(self.resolve(self.template["Conditions"][name]))
        return self._conditions[name]

    def present(self, logical_id: str) -> bool:
        """Whether the resource exists under the parameters (its Condition, if any, is true)."""
        condition = self.template["Resources"][logical_id].get("Condition")
        return condition is None or self.condition(condition)

    def _reference(self, name: str, keep: frozenset[str], node: Any) -> Any:
        logical_id, _, attribute = name.partition(".")
        if logical_id in keep:
            return node
        if not attribute:
            if name == "AWS::NoValue":
                return NO_VALUE
            if name in self.values:
                return self.values[name]
        if logical_id not in self.resources:
            raise UnresolvedError(f"{name} does not exist (yet)")
        deployed = self.resources[logical_id]
        if not attribute:
            return deployed.ref
        if attribute not in deployed.attributes:
            raise UnresolvedError(f"{logical_id} ({deployed.kind}) has no attribute {attribute}")
        return deployed.attributes[attribute]

    def resolve(self, node: Any, keep: frozenset[str] = frozenset()) -> Any:
        if isinstance(node, list):
            return [item for item in (self.resolve(item, keep) for item in node) if item is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((function, argument),) = node.items()
            if (
                function == "Ref"
                or function.startswith("Fn::")
                or (function == "Condition" and isinstance(argument, str))
            ):
                return self._function(function, argument, keep, node)
        resolved = {key: self.resolve(value, keep) for key, value in node.items()}
        return {key: value for key, value in resolved.items() if value is not NO_VALUE}

    def _function(self, function: str, argument: Any, keep: frozenset[str], node: Any) -> Any:
        if function in ("Ref", "Fn::GetAtt"):
            if function == "Fn::GetAtt":  # "Name.Attribute" or [Name, Attribute]; an attribute may hold dots
                argument = argument if isinstance(argument, str) else ".".join(argument)
            return self._reference(argument, keep, node)
        if function == "Condition":
            return self.condition(argument)
        if function == "Fn::If":
            name, when_true, when_false = argument
            return self.resolve(when_true if self.condition(name) else when_false, keep)
        if function == "Fn::Sub":
            return self._sub(argument, keep)
        values = self.resolve(argument, keep)
        if _symbolic(values):
            return {function: values}
        if function == "Fn::FindInMap":
            values = [self.template["Mappings"], *values]
        if function not in _PURE_FUNCTIONS:
            raise DeployError(f"{function} is not evaluated here: teach tests/support/deploy.py")
        return _PURE_FUNCTIONS[function](values)

    def _sub(self, argument: Any, keep: frozenset[str]) -> Any:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        variables = {name: self.resolve(value, keep) for name, value in variables.items()}
        kept: dict[str, Any] = {}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                value = variables[name]
            else:
                reference = {"Ref": name} if "." not in name else {"Fn::GetAtt": name.split(".", 1)}
                value = self._reference(name, keep, reference)
            if _symbolic(value):
                kept[name] = value if name in variables else None
                return match.group(0)
            return str(value)

        substituted = _SUB_NAME.sub(replace, text)
        if kept:
            remaining = {name: value for name, value in kept.items() if value is not None}
            return {"Fn::Sub": [substituted, remaining] if remaining else substituted}
        return substituted.replace("${!", "${")


def dependencies(evaluator: Evaluator, node: Any) -> set[str]:
    """Logical ids of the resources ``node`` refers to (Fn::If: the branch the conditions take only)."""
    resources = evaluator.template["Resources"]
    found: set[str] = set()
    if isinstance(node, list):
        for item in node:
            found |= dependencies(evaluator, item)
    elif isinstance(node, dict):
        if len(node) == 1 and "Fn::If" in node:
            name, when_true, when_false = node["Fn::If"]
            return dependencies(evaluator, when_true if evaluator.condition(name) else when_false)
        for key, value in node.items():
            if key == "Ref" and value in resources:
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value.split(".", 1)[0] if isinstance(value, str) else value[0])
            elif key == "Fn::Sub":
                text, variables = (value, {}) if isinstance(value, str) else value
                names = {name.split(".", 1)[0] for name in _SUB_NAME.findall(text) if name not in variables}
                found |= (names & set(resources)) | dependencies(evaluator, variables)
            else:
                found |= dependencies(evaluator, value)
    return found


# ---------------------------------------------------------------------------------------------------------------
# AWS's API models: what AWS checks that botocore does not
# ---------------------------------------------------------------------------------------------------------------


def _size_problems(limits: dict[str, Any], size: float, path: str, what: str) -> Iterator[str]:
    if "min" in limits and size < limits["min"]:
        yield f"{path}: {what}{size} is under {limits['min']}"
    if "max" in limits and size > limits["max"]:
        yield f"{path}: {what}{size} is over {limits['max']}"


def _string_problems(shape: Shape, value: str, path: str) -> Iterator[str]:
    enum = getattr(shape, "enum", None)
    if enum and value not in enum:
        yield f"{path}: {value!r} is not one of {list(enum)}"
    if "pattern" in shape.metadata:
        try:
            pattern = re.compile(shape.metadata["pattern"], re.DOTALL)
        except re.error:
            return  # Java-only regular expression syntax: AWS's check cannot be reproduced here
        if not pattern.search(value):
            yield f"{path}: {value!r} does not match {shape.metadata['pattern']}"


def model_problems(shape: Shape, value: Any, path: str) -> Iterator[str]:
    """Where ``value`` breaks ``shape``'s constraints: required members, length and range limits, enums, patterns
    (Smithy patterns are not anchored; Java-only syntax Python cannot compile is skipped)."""
    kind = shape.type_name
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        yield from (f"{path}: missing required {name}" for name in shape.required_members if name not in value)
        for name, member in value.items():
            if name in shape.members:
                yield from model_problems(shape.members[name], member, f"{path}.{name}")
    elif kind in ("list", "map", "string") and isinstance(value, list | dict | str):
        yield from _size_problems(shape.metadata, len(value), path, "length ")
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield from model_problems(shape.member, item, f"{path}[{index}]")  # type: ignore[attr-defined]
        elif isinstance(value, dict):
            for key, item in value.items():
                yield from model_problems(shape.key, key, f"{path}.<key>")  # type: ignore[attr-defined]
                yield from model_problems(shape.value, item, f"{path}.{key}")  # type: ignore[attr-defined]
        else:
            yield from _string_problems(shape, value, path)
    elif kind in ("integer", "long", "float", "double") and isinstance(value, int | float):
        yield from _size_problems(shape.metadata, value, path, "")


def _check_against_model(params: dict[str, Any], model: OperationModel, **_: Any) -> None:
    problems = list(model_problems(model.input_shape, params, model.name)) if model.input_shape else []
    if problems:
        service = model.service_model.service_name
        raise DeployError(f"{service}:{model.name} would be refused: " + "; ".join(problems))


class Clients:
    """boto3 clients of the moto server, every call checked against its API model first."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.session = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )  # moto ignores credentials; these keep the shell's own out of the test
        self.session.events.register("before-parameter-build", _check_against_model)
        self._clients: dict[str, Any] = {}

    def reset(self) -> None:
        """Forget every resource (a fresh account)."""
        _reset(self.endpoint)

    def __call__(self, service: str) -> Any:
        if service not in self._clients:
            config = Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"})
            self._clients[service] = self.session.client(  # type: ignore[call-overload]
                service, endpoint_url=self.endpoint, config=config
            )
        return self._clients[service]


@contextmanager
def moto_server() -> Iterator[Clients]:
    """A fresh moto server on 127.0.0.1 (a free port), and clients of it."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        _reset(endpoint)
        yield Clients(endpoint)
    finally:
        _reset(endpoint)  # leave no state to the next test
        server.stop()


def _reset(endpoint: str) -> None:
    """Empty every moto backend (the server shares them with this process's in-process mocks)."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")  # noqa: S310 - loopback http
    urllib.request.urlopen(request, timeout=10).close()  # noqa: S310 - loopback http


# ---------------------------------------------------------------------------------------------------------------
# Resources created through their own APIs
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class Context:
    clients: Clients
    evaluator: Evaluator
    # Calls made once every resource exists, in their order: bucket policies, then bucket logging (see
    # _bucket_policy and _complete_bucket).
    deferred: list[tuple[int, Callable[[], None]]] = field(default_factory=list)

    def generated_name(self, logical_id: str, kind: str) -> str:
        """The name CloudFormation gives a resource whose template sets none: ``<stack>-<logical id>-<suffix>``."""
        limit = GENERATED_NAMES[kind][1]
        suffix = re.sub(r"[^A-Z0-9]", "", base64.b32encode(logical_id.encode()).decode())[:12]
        name = f"{STACK_NAME}-{logical_id[: limit - len(STACK_NAME) - len(suffix) - 2]}-{suffix}"
        return name.lower() if kind == "AWS::S3::Bucket" else name


def _named(context: Context, logical_id: str, kind: str, properties: dict[str, Any]) -> dict[str, Any]:
    name_property = GENERATED_NAMES[kind][0]
    return {**properties, name_property: properties.get(name_property) or context.generated_name(logical_id, kind)}


def _tags_as_map(tags: list[dict[str, str]]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in tags}


def _lambda_function(context: Context, logical_id: str, properties: dict[str, Any]) -> Deployed:
    request = _named(context, logical_id, "AWS::Lambda::Function", properties)
    environment = len(json.dumps(request.get("Environment", {}).get("Variables", {}), separators=(",", ":")).encode())
    if environment > LAMBDA_ENVIRONMENT_MAX_BYTES:
        raise DeployError(
            f"environment variables of {environment} bytes are over Lambda's {LAMBDA_ENVIRONMENT_MAX_BYTES}"
        )
    if "DurableConfig" not in request and request.get("Timeout", 3) > LAMBDA_TIMEOUT_MAX_SECONDS:
        raise DeployError(f"Timeout {request['Timeout']} s is over Lambda's {LAMBDA_TIMEOUT_MAX_SECONDS} s")
    reserved = request.pop("ReservedConcurrentExecutions", None)
    if "Tags" in request:
        request["Tags"] = _tags_as_map(request["Tags"])
    function = context.clients("lambda").create_function(**request)
    if reserved is not None:
        context.clients("lambda").put_function_concurrency(
            FunctionName=request["FunctionName"], ReservedConcurrentExecutions=reserved
        )
    return Deployed("AWS::Lambda::Function", "api", request["FunctionName"], {"Arn": function["FunctionArn"]})


def _lambda_layer_version(context: Context, logical_id: str, properties: dict[str, Any]) -> Deployed:
    request = {key: value for key, value in properties.items() if key != "RetentionPolicy"}  # SAM's, not Lambda's
    layer = context.clients("lambda").publish_layer_version(**request)
    return Deployed("AWS::Lambda::LayerVersion", "api", layer["LayerVersionArn"])


def _lambda_version(context: Context, logical_id: str, properties: dict[str, Any]) -> Deployed:
    version = context.clients("lambda").publish_version(**properties)
    return Deployed("AWS::Lambda::Version", "api", version["FunctionArn"], {"Version": version["Version"]})


def _lambda_alias(context: Context, logical_id: str, properties: dict[str, Any]) -> Deployed:
    alias = context.clients("lambda").create_alias(**properties)
    return Deployed("AWS::Lambda::Alias", "api", alias["AliasArn"])


def _lambda_event_invoke_config(context: Context, logical_id: str, properties: dict[str, Any]) -> Deployed:
    context.clients("lambda").put_function_event_invoke_config(**properties)
    return Deployed("AWS::Lambda::EventInvokeConfig", "api", logical_id)


def _lambda_event_source_mapping(context: Context, logical_id: str, properties: dict[str, Any]) -> Deployed:
    source = properties["EventSourceArn"]
    if source.startswith("arn:aws:sqs:"):
        # Lambda refuses an SQS source whose visibility timeout is under the function's timeout
        # (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html); moto does not check.
        queue_url = context.clients("sqs").get_queue_url(QueueName=source.rsplit(":", 1)[-1])["QueueUrl"]
        attributes = context.clients("sqs").get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["VisibilityTimeout"]
        )
        visibility = int(attributes["Attributes"]["VisibilityTimeout"])
        timeout = context.clients("lambda").get_function_configuration(FunctionName=properties["FunctionName"])[
            "Timeout"
        ]
        if visibility < timeout:
            raise DeployError(f"queue visibility timeout {visibility} s is under the function's timeout {timeout} s")
    mapping = context.clients("lambda").create_event_source_mapping(**properties)
    return Deployed("AWS::Lambda::EventSourceMapping", "api", mapping["UUID"])


def _lambda_permission(context: Context, logical_id: str, properties: dict[str, Any]) -> Deployed:
    context.clients("lambda").add_permission(StatementId=logical_id, **properties)
    return Deployed("AWS::Lambda::Permission", "api", logical_id)


def _state_machine(context: Context, logical_id: str, properties: dict[str, Any]) -> Deployed:
    request = _named(context, logical_id, "AWS::StepFunctions::StateMachine", properties)
    substitutions = request.get("DefinitionSubstitutions", {})
    definition = string.Template(request["DefinitionString"]).safe_substitute(substitutions)
    left = sorted(set(re.findall(r"\$\{([^}]+)\}", definition)))
    if left:
        raise DeployError(f"{logical_id}: no DefinitionSubstitutions for {left} (Step Functions gets them verbatim)")
    json.loads(definition)  # Step Functions refuses a definition that is not JSON
    logging_configuration = request.get("LoggingConfiguration", {})
    machine = context.clients("stepfunctions").create_state_machine(
        name=request["StateMachineName"],
        definition=definition,
        roleArn=request["RoleArn"],
        type=request.get("StateMachineType", "STANDARD"),
        loggingConfiguration={
            "level": logging_configuration.get("Level", "OFF"),
            "includeExecutionData": logging_configuration.get("IncludeExecutionData", False),
            "destinations": [
                {"cloudWatchLogsLogGroup": {"logGroupArn": item["CloudWatchLogsLogGroup"]["LogGroupArn"]}}
                for item in logging_configuration.get("Destinations", [])
            ],
        },
        tracingConfiguration={"enabled": request.get("TracingConfiguration", {}).get("Enabled", False)},
        tags=[{"key": tag["Key"], "value": tag["Value"]} for tag in request.get("Tags", [])],
    )
    arn = machine["stateMachineArn"]
    return Deployed("AWS::StepFunctions::StateMachine", "api", arn, {"Arn": arn, "Name": request["StateMachineName"]})


def _alarm(context: Context, logical_id: str, properties: dict[str, Any]) -> Deployed:
    request = _named(context, logical_id, "AWS::CloudWatch::Alarm", properties)
    cloudwatch = context.clients("cloudwatch")
    cloudwatch.put_metric_alarm(**request)
    (alarm,) = cloudwatch.describe_alarms(AlarmNames=[request["AlarmName"]])["MetricAlarms"]
    return Deployed("AWS::CloudWatch::Alarm", "api", request["AlarmName"], {"Arn": alarm["AlarmArn"]})


def _bucket_policy(context: Context, logical_id: str, properties: dict[str, Any]) -> Deployed:
    policy = json.dumps(properties["PolicyDocument"])
    context.clients("s3").head_bucket(Bucket=properties["Bucket"])
    # Put last: moto applies a bucket policy's Deny without its Condition (a documented moto limitation), so
    # DenyInsecureTransport would refuse every object the deployment still writes (the GlueArtifacts publisher).
    context.deferred.append(
        (0, lambda: context.clients("s3").put_bucket_policy(Bucket=properties["Bucket"], Policy=policy))
    )
    return Deployed("AWS::S3::BucketPolicy", "api", logical_id)


def _queue_policy(context: Context, logical_id: str, properties: dict[str, Any]) -> Deployed:
    for url in properties["Queues"]:
        context.clients("sqs").set_queue_attributes(
            QueueUrl=url, Attributes={"Policy": json.dumps(properties["PolicyDocument"])}
        )
    return Deployed("AWS::SQS::QueuePolicy", "api", logical_id)


def _topic_policy(context: Context, logical_id: str, properties: dict[str, Any]) -> Deployed:
    for arn in properties["Topics"]:
        context.clients("sns").set_topic_attributes(
            TopicArn=arn, AttributeName="Policy", AttributeValue=json.dumps(properties["PolicyDocument"])
        )
    return Deployed("AWS::SNS::TopicPolicy", "api", logical_id)


def _secret(context: Context, logical_id: str, properties: dict[str, Any]) -> Deployed:
    request = _named(context, logical_id, "AWS::SecretsManager::Secret", properties)
    generate = request.pop("GenerateSecretString", None)
    if generate is not None:
        options = {
            key: value for key, value in generate.items() if key not in ("SecretStringTemplate", "GenerateStringKey")
        }
        password = context.clients("secretsmanager").get_random_password(**options)["RandomPassword"]
        if "SecretStringTemplate" in generate:
            document = json.loads(generate["SecretStringTemplate"])
            request["SecretString"] = json.dumps({**document, generate["GenerateStringKey"]: password})
        else:
            request["SecretString"] = password
    secret = context.clients("secretsmanager").create_secret(**request)
    return Deployed("AWS::SecretsManager::Secret", "api", secret["ARN"])


def _schedule(context: Context, logical_id: str, properties: dict[str, Any]) -> Deployed:
    request = _named(context, logical_id, "AWS::Scheduler::Schedule", properties)
    schedule = context.clients("scheduler").create_schedule(**request)
    return Deployed("AWS::Scheduler::Schedule", "api", request["Name"], {"Arn": schedule["ScheduleArn"]})


def _glue(operation: str, kind: str, name: Callable[[dict[str, Any]], str]) -> Callable[..., Deployed]:
    def create(context: Context, logical_id: str, properties: dict[str, Any]) -> Deployed:
        request = _named(context, logical_id, kind, properties) if kind in GENERATED_NAMES else properties
        getattr(context.clients("glue"), operation)(**request)
        return Deployed(kind, "api", name(request))

    return create


def _glue_security_configuration(context: Context, logical_id: str, properties: dict[str, Any]) -> Deployed:
    encryption = dict(properties["EncryptionConfiguration"])
    if "S3Encryptions" in encryption:  # CloudFormation's name of the API's S3Encryption list
        encryption["S3Encryption"] = encryption.pop("S3Encryptions")
    context.clients("glue").create_security_configuration(Name=properties["Name"], EncryptionConfiguration=encryption)
    return Deployed("AWS::Glue::SecurityConfiguration", "api", properties["Name"])


def _quicksight(operation: str, kind: str) -> Callable[..., Deployed]:
    def create(context: Context, logical_id: str, properties: dict[str, Any]) -> Deployed:
        created = getattr(context.clients("quicksight"), operation)(**properties)
        return Deployed(kind, "api", created["Arn"], {"Arn": created["Arn"]})

    return create


def _quicksight_analysis(context: Context, logical_id: str, properties: dict[str, Any]) -> Deployed:
    # moto has no analyses: the request is checked against the API model (the definition's members, enums, patterns)
    _checked_by_model_only(context, "quicksight", "create_analysis", properties)
    arn = f"arn:aws:quicksight:{REGION}:{properties['AwsAccountId']}:analysis/{properties['AnalysisId']}"
    return Deployed("AWS::QuickSight::Analysis", "api", arn, {"Arn": arn})


def _checked_by_model_only(context: Context, service: str, operation: str, request: dict[str, Any]) -> None:
    """Send ``request`` through botocore (the API model checks) to a stub: moto does not implement ``service``."""
    client = context.clients(service)
    with Stubber(client) as stubber:
        stubber.add_response(operation, {})
        getattr(client, operation)(**request)


def _camel(properties: dict[str, Any]) -> dict[str, Any]:
    def key(name: str) -> str:
        return name[0].lower() + name[1:]

    return {
        key(name): [_camel(item) if isinstance(item, dict) else item for item in value]
        if isinstance(value, list)
        else value
        for name, value in properties.items()
    }


def _role_names(arns: list[str]) -> list[str]:
    return [arn.rsplit("/", 1)[-1] for arn in arns]


def _redshift_namespace(context: Context, logical_id: str, properties: dict[str, Any]) -> Deployed:
    request = _camel(properties)
    default_role = [request["defaultIamRoleArn"]] if "defaultIamRoleArn" in request else []
    for role in _role_names(request.get("iamRoles", []) + default_role):
        context.clients("iam").get_role(RoleName=role)  # a role the namespace names must exist
    _checked_by_model_only(context, "redshift-serverless", "create_namespace", request)
    name = request["namespaceName"]
    arn = f"arn:aws:redshift-serverless:{REGION}:{ACCOUNT_ID}:namespace/{name}"
    return Deployed(
        "AWS::RedshiftServerless::Namespace",
        "model",
        name,
        {"Namespace.NamespaceName": name, "Namespace.NamespaceArn": arn},
    )


def _redshift_workgroup(context: Context, logical_id: str, properties: dict[str, Any]) -> Deployed:
    request = _camel(properties)
    namespaces = [item.ref for item in context.evaluator.resources.values() if item.kind.endswith("::Namespace")]
    if request.get("namespaceName") not in namespaces:
        raise DeployError(f"{logical_id}: namespace {request.get('namespaceName')!r} does not exist")
    if request.get("subnetIds"):
        context.clients("ec2").describe_subnets(SubnetIds=request["subnetIds"])
    if request.get("securityGroupIds"):
        context.clients("ec2").describe_security_groups(GroupIds=request["securityGroupIds"])
    _checked_by_model_only(context, "redshift-serverless", "create_workgroup", request)
    name = request["workgroupName"]
    return Deployed(
        "AWS::RedshiftServerless::Workgroup",
        "model",
        name,
        {
            "Workgroup.WorkgroupName": name,
            "Workgroup.WorkgroupArn": f"arn:aws:redshift-serverless:{REGION}:{ACCOUNT_ID}:workgroup/{name}",
            "Workgroup.Endpoint.Address": f"{name}.{ACCOUNT_ID}.{REGION}.redshift-serverless.amazonaws.com",
            "Workgroup.Endpoint.Port": 5439,
        },
    )


def _glue_artifacts_stub(context: Context, logical_id: str, properties: dict[str, Any]) -> Deployed:
    """What PublishGlueArtifactsFunction answers: the real publisher, writing into the lake its environment names."""
    from energylake.lake.layout import LakeUri
    from energylake.lake.storage import S3Storage
    from energylake.lambdas.publish_glue_artifacts import glue_artifacts, publish

    function = context.clients("lambda").get_function_configuration(FunctionName=properties["ServiceToken"])
    lake = LakeUri.parse(function["Environment"]["Variables"]["ENERGYLAKE_LAKE_URI"])
    storage = S3Storage(lake.bucket, lake.prefix, client=context.clients("s3"))
    artifacts = glue_artifacts(REPO_ROOT / "layers" / "common" / "energylake", REPO_ROOT / "glue" / "build_gold.py")
    published = publish(artifacts, storage, lake)
    return Deployed(logical_id, "stub", f"glue-artifacts-{published.digest}", published.as_data())


def _warehouse_setup_stub(context: Context, logical_id: str, properties: dict[str, Any]) -> Deployed:
    """What WarehouseSetupFunction answers: its properties validated as the function reads them, the workgroup and
    namespace they name created, and the setup SQL it would run (moto has no Redshift to run it on)."""
    from energylake.lambdas.warehouse_setup import SetupProperties

    setup = SetupProperties.model_validate(properties)
    created = {
        item.ref for item in context.evaluator.resources.values() if item.kind.startswith("AWS::RedshiftServerless")
    }
    for name in (setup.workgroup_name, setup.namespace_name):
        if name not in created:
            raise DeployError(f"{logical_id}: {name!r} is not a workgroup or namespace this deployment created")
    statements = setup.statements()
    return Deployed(
        logical_id,
        "stub",
        f"warehouse-setup-{setup.workgroup_name}-{setup.schema_name}",
        {"Statements": str(len(statements))},
        properties,
    )


def _custom_resource(context: Context, logical_id: str, properties: dict[str, Any]) -> Deployed:
    kind = context.evaluator.template["Resources"][logical_id]["Type"]
    context.clients("lambda").get_function(FunctionName=properties["ServiceToken"])  # CloudFormation invokes it
    if kind not in CUSTOM_RESOURCE_STUBS:
        raise DeployError(f"{logical_id}: no stub answers {kind}: add one to tests/support/deploy.py")
    deployed = CUSTOM_RESOURCE_STUBS[kind](context, logical_id, properties)
    deployed.kind = kind
    return deployed


Creator = Callable[[Context, str, dict[str, Any]], Deployed]
CUSTOM_RESOURCE_STUBS: dict[str, Creator] = {
    "Custom::GlueArtifacts": _glue_artifacts_stub,
    "Custom::WarehouseSetup": _warehouse_setup_stub,
}
API_CREATORS: dict[str, Creator] = {
    "AWS::Lambda::Function": _lambda_function,
    "AWS::Lambda::LayerVersion": _lambda_layer_version,
    "AWS::Lambda::Version": _lambda_version,
    "AWS::Lambda::Alias": _lambda_alias,
    "AWS::Lambda::EventInvokeConfig": _lambda_event_invoke_config,
    "AWS::Lambda::EventSourceMapping": _lambda_event_source_mapping,
    "AWS::Lambda::Permission": _lambda_permission,
    "AWS::StepFunctions::StateMachine": _state_machine,
    "AWS::CloudWatch::Alarm": _alarm,
    "AWS::S3::BucketPolicy": _bucket_policy,
    "AWS::SQS::QueuePolicy": _queue_policy,
    "AWS::SNS::TopicPolicy": _topic_policy,
    "AWS::SecretsManager::Secret": _secret,
    "AWS::Scheduler::Schedule": _schedule,
    "AWS::Glue::Database": _glue("create_database", "AWS::Glue::Database", lambda r: r["DatabaseInput"]["Name"]),
    "AWS::Glue::Table": _glue("create_table", "AWS::Glue::Table", lambda r: r["TableInput"]["Name"]),
    "AWS::Glue::Job": _glue("create_job", "AWS::Glue::Job", lambda r: r["Name"]),
    "AWS::Glue::SecurityConfiguration": _glue_security_configuration,
    "AWS::QuickSight::DataSource": _quicksight("create_data_source", "AWS::QuickSight::DataSource"),
    "AWS::QuickSight::DataSet": _quicksight("create_data_set", "AWS::QuickSight::DataSet"),
    "AWS::QuickSight::Dashboard": _quicksight("create_dashboard", "AWS::QuickSight::Dashboard"),
    "AWS::QuickSight::Analysis": _quicksight_analysis,
    "AWS::RedshiftServerless::Namespace": _redshift_namespace,
    "AWS::RedshiftServerless::Workgroup": _redshift_workgroup,
}


# ---------------------------------------------------------------------------------------------------------------
# What moto's CloudFormation skips, applied through the API after the stack
# ---------------------------------------------------------------------------------------------------------------


# IAM quotas no API model states (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html):
# a role's inline policies together, and its trust policy (the default quota), in characters without white space.
ROLE_INLINE_POLICIES_MAX_CHARACTERS = 10_240
ROLE_TRUST_POLICY_MAX_CHARACTERS = 2_048
# Lambda quotas the API model does not state (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html):
# all environment variables of a function together, and the timeout of a function (the model allows durable
# functions' longer one).
LAMBDA_ENVIRONMENT_MAX_BYTES = 4_096
LAMBDA_TIMEOUT_MAX_SECONDS = 900


def policy_characters(document: Any) -> int:
    """A policy's size as IAM counts it against its quotas: white space outside strings does not count."""
    return len(json.dumps(document, separators=(",", ":")))


def _complete_role(context: Context, deployed: Deployed, properties: dict[str, Any]) -> None:
    iam = context.clients("iam")
    trust = policy_characters(properties["AssumeRolePolicyDocument"])
    if trust > ROLE_TRUST_POLICY_MAX_CHARACTERS:
        raise DeployError(f"trust policy of {trust} characters is over IAM's {ROLE_TRUST_POLICY_MAX_CHARACTERS}")
    inline = sum(policy_characters(policy["PolicyDocument"]) for policy in properties.get("Policies", []))
    if inline > ROLE_INLINE_POLICIES_MAX_CHARACTERS:
        raise DeployError(
            f"inline policies of {inline} characters are over IAM's {ROLE_INLINE_POLICIES_MAX_CHARACTERS}"
        )
    iam.update_assume_role_policy(
        RoleName=deployed.ref, PolicyDocument=json.dumps(properties["AssumeRolePolicyDocument"])
    )
    for policy in properties.get("Policies", []):
        # Without a Version IAM reads a document as 2008-10-17 and accepts it (SAM's schedule roles have such
        # documents); moto's validator requires 2012-10-17, so such a document is checked with that Version.
        document = {"Version": "2012-10-17", **policy["PolicyDocument"]}
        iam.put_role_policy(RoleName=deployed.ref, PolicyName=policy["PolicyName"], PolicyDocument=json.dumps(document))
    for arn in properties.get("ManagedPolicyArns", []):
        name = arn.removeprefix("arn:aws:iam::aws:policy/")
        if name == arn:
            iam.attach_role_policy(RoleName=deployed.ref, PolicyArn=arn)  # one of this account's policies
        elif name not in aws_managed_policy_names():
            raise DeployError(f"{arn} is not an AWS managed policy")


@lru_cache(maxsize=1)
def aws_managed_policy_names() -> frozenset[str]:
    """The AWS managed policies (moto's copy of AWS's list). moto attaches them only when it loads all of them into
    every account, which takes seconds per account: their names are checked instead (SAM attaches
    AWSXrayWriteOnlyAccess to a traced state machine's role)."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return frozenset(json.loads(aws_managed_policies_data))


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    converted: dict[str, Any] = {
        "ID": rule["Id"],
        "Status": rule["Status"],
        "Filter": {"Prefix": rule.get("Prefix", "")},
    }
    if "ExpirationInDays" in rule:
        converted["Expiration"] = {"Days": rule["ExpirationInDays"]}
    if "Transitions" in rule:
        converted["Transitions"] = [
            {"Days": item["TransitionInDays"], "StorageClass": item["StorageClass"]} for item in rule["Transitions"]
        ]
    for key in ("NoncurrentVersionExpiration", "AbortIncompleteMultipartUpload"):
        if key in rule:
            converted[key] = rule[key]
    unknown = set(rule) - {"Id", "Status", "Prefix", "ExpirationInDays", "Transitions", *converted}
    if unknown:
        raise DeployError(f"lifecycle rule {rule['Id']}: {sorted(unknown)} not mapped: teach tests/support/deploy.py")
    return converted


def _complete_bucket(context: Context, deployed: Deployed, properties: dict[str, Any]) -> None:
    s3, bucket = context.clients("s3"), deployed.ref
    if "VersioningConfiguration" in properties:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration=properties["VersioningConfiguration"])
    if "PublicAccessBlockConfiguration" in properties:
        s3.put_public_access_block(
            Bucket=bucket, PublicAccessBlockConfiguration=properties["PublicAccessBlockConfiguration"]
        )
    if "OwnershipControls" in properties:
        s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls=properties["OwnershipControls"])
    if "LifecycleConfiguration" in properties:
        rules = [_lifecycle_rule(rule) for rule in properties["LifecycleConfiguration"]["Rules"]]
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})
    if "LoggingConfiguration" in properties:
        logging_configuration = properties["LoggingConfiguration"]
        target = {
            "TargetBucket": logging_configuration["DestinationBucketName"],
            "TargetPrefix": logging_configuration.get("LogFilePrefix", ""),
        }
        # moto refuses logging until the target's bucket policy lets logging.s3.amazonaws.com write; AWS does not
        # check at this call (LocalStack's AWS-validated parity tests dropped moto's check: localstack/localstack#8654),
        # and CloudFormation creates the target's policy after this bucket when the policy names it (aws:SourceArn).
        context.deferred.append(
            (1, lambda: s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={"LoggingEnabled": target}))
        )
    if "NotificationConfiguration" in properties:
        queues = [
            {
                "QueueArn": item["Queue"],
                "Events": [item["Event"]],
                "Filter": {"Key": {"FilterRules": item.get("Filter", {}).get("S3Key", {}).get("Rules", [])}},
            }
            for item in properties["NotificationConfiguration"].get("QueueConfigurations", [])
        ]
        s3.put_bucket_notification_configuration(
            Bucket=bucket, NotificationConfiguration={"QueueConfigurations": queues}
        )


def _complete_key(context: Context, deployed: Deployed, properties: dict[str, Any]) -> None:
    # moto's CloudFormation keeps the key policy as an object where its API keeps a JSON string.
    kms = context.clients("kms")
    kms.put_key_policy(KeyId=deployed.ref, PolicyName="default", Policy=json.dumps(properties["KeyPolicy"]))
    if properties.get("EnableKeyRotation"):
        kms.enable_key_rotation(KeyId=deployed.ref)


COMPLETERS: dict[str, Callable[[Context, Deployed, dict[str, Any]], None]] = {
    "AWS::IAM::Role": _complete_role,
    "AWS::KMS::Key": _complete_key,
    "AWS::S3::Bucket": _complete_bucket,
}


# ---------------------------------------------------------------------------------------------------------------
# The deployment
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class Deployment:
    template: dict[str, Any]  # the SAM-transformed template
    parameters: dict[str, Any]
    clients: Clients
    resources: dict[str, Deployed]
    stacks: list[str]
    outputs: dict[str, Any]

    def of_type(self, kind: str) -> dict[str, Deployed]:
        return {name: item for name, item in self.resources.items() if item.kind == kind}


def _output_key(logical_id: str, attribute: str | None) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", f"{logical_id}Ref" if attribute is None else f"{logical_id}At{attribute}")


def _attributes_used(template: dict[str, Any]) -> dict[str, set[str]]:
    used: dict[str, set[str]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "Fn::GetAtt":
                    logical_id, attribute = value.split(".", 1) if isinstance(value, str) else value
                    used.setdefault(logical_id, set()).add(attribute)
                elif key == "Fn::Sub":
                    for name in _SUB_NAME.findall(value if isinstance(value, str) else value[0]):
                        if "." in name and not name.startswith("AWS::"):
                            logical_id, attribute = name.split(".", 1)
                            used.setdefault(logical_id, set()).add(attribute)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(template)
    return used


def _create_stack(context: Context, name: str, wave: list[str], attributes_used: dict[str, set[str]]) -> None:
    """One CloudFormation stack of ``wave``; their Refs and used attributes become known through its outputs."""
    evaluator, keep = context.evaluator, frozenset(wave)
    body: dict[str, Any] = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}, "Outputs": {}}
    properties_of: dict[str, dict[str, Any]] = {}
    for logical_id in wave:
        resource = evaluator.template["Resources"][logical_id]
        properties = evaluator.resolve(resource.get("Properties", {}), keep)
        if resource["Type"] in GENERATED_NAMES:
            properties = _named(context, logical_id, resource["Type"], properties)
        properties_of[logical_id] = properties
        depends_on = resource.get("DependsOn", [])
        depends_on = [item for item in ([depends_on] if isinstance(depends_on, str) else depends_on) if item in keep]
        body["Resources"][logical_id] = {"Type": resource["Type"], "Properties": properties, "DependsOn": depends_on}
        body["Outputs"][_output_key(logical_id, None)] = {"Value": {"Ref": logical_id}}
        for attribute in sorted(attributes_used.get(logical_id, ())):
            body["Outputs"][_output_key(logical_id, attribute)] = {"Value": {"Fn::GetAtt": [logical_id, attribute]}}
    cloudformation = context.clients("cloudformation")
    try:
        cloudformation.create_stack(
            StackName=name, TemplateBody=json.dumps(body), Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]
        )
    except Exception as exc:  # moto creates the resources inside the call: a refusal surfaces here
        raise DeployError(f"stack {name} ({', '.join(wave)}) was refused: {type(exc).__name__}: {exc}") from exc
    (stack,) = cloudformation.describe_stacks(StackName=name)["Stacks"]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        events = cloudformation.describe_stack_events(StackName=name)["StackEvents"]
        reasons = [f"{event['LogicalResourceId']}: {event.get('ResourceStatusReason')}" for event in events]
        raise DeployError(f"stack {name} is {stack['StackStatus']}: {reasons}")
    outputs = {item["OutputKey"]: item["OutputValue"] for item in stack.get("Outputs", [])}
    for logical_id in wave:
        kind = evaluator.template["Resources"][logical_id]["Type"]
        attributes = {}
        for attribute in attributes_used.get(logical_id, ()):
            value = outputs.get(_output_key(logical_id, attribute))
            if not isinstance(value, str) or not value or value.startswith("{"):
                raise DeployError(f"moto's CloudFormation gives no {logical_id}.{attribute} ({kind})")
            attributes[attribute] = value
        ref = outputs.get(_output_key(logical_id, None))
        if not isinstance(ref, str) or not ref or ref.startswith("<"):
            raise DeployError(f"moto's CloudFormation gives no Ref of {logical_id} ({kind}): {ref!r}")
        deployed = Deployed(kind, "cloudformation", ref, attributes)
        evaluator.resources[logical_id] = deployed
        deployed.properties = evaluator.resolve(properties_of[logical_id])
        if kind in COMPLETERS:
            try:
                COMPLETERS[kind](context, deployed, deployed.properties)
            except Exception as exc:  # the service's refusal of a property moto's CloudFormation skipped
                raise DeployError(f"{logical_id} ({kind}) was refused: {type(exc).__name__}: {exc}") from exc


def _create_through_api(context: Context, logical_id: str) -> None:
    resource = context.evaluator.template["Resources"][logical_id]
    kind = resource["Type"]
    creator = _custom_resource if kind.startswith("Custom::") else API_CREATORS.get(kind)
    if creator is None:
        raise DeployError(f"{logical_id}: {kind} is neither created by moto's CloudFormation nor by an API here")
    properties = context.evaluator.resolve(resource.get("Properties", {}))
    try:
        deployed = creator(context, logical_id, properties)
        deployed.properties = properties
        context.evaluator.resources[logical_id] = deployed
    except DeployError as exc:
        raise DeployError(f"{logical_id} ({kind}): {exc}") from None
    except Exception as exc:  # the service's own refusal (moto's validation, botocore's): name the resource
        raise DeployError(f"{logical_id} ({kind}) was refused: {type(exc).__name__}: {exc}") from exc


def upload_artifacts(clients: Clients, template: dict[str, Any]) -> None:
    """What `sam deploy` uploads: a zip per function and layer (a handler that does nothing: nothing runs here)."""
    s3 = clients("s3")
    s3.create_bucket(Bucket=ARTIFACTS_BUCKET)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def lambda_handler(event, context):\n    return None\n")
    keys: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("S3Bucket") == ARTIFACTS_BUCKET:
                keys.add(node["S3Key"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(template["Resources"])
    for key in sorted(keys):
        s3.put_object(Bucket=ARTIFACTS_BUCKET, Key=key, Body=buffer.getvalue())


def existing_warehouse_network_and_quicksight(clients: Clients) -> dict[str, str]:
    """What an account brings to a deployment that creates its warehouse and QuickSight data sets: a VPC's private
    subnets (three zones) and a security group, a QuickSight user, a secret for QuickSight's read-only warehouse user.
    Returns the parameter overrides that name them."""
    ec2 = clients("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{index}.0/24", AvailabilityZone=f"{REGION}{zone}")["Subnet"]
        for index, zone in enumerate("abc")
    ]
    group = ec2.create_security_group(GroupName="energylake-warehouse", Description="warehouse", VpcId=vpc)
    reader = clients("secretsmanager").create_secret(
        Name="energylake-quicksight-reader", SecretString=json.dumps({"username": "quicksight", "password": "x"})
    )
    user = clients("quicksight").register_user(
        AwsAccountId=ACCOUNT_ID,
        Namespace="default",
        IdentityType="IAM",
        IamArn=f"arn:aws:iam::{ACCOUNT_ID}:user/analyst",
        UserRole="AUTHOR",
        Email="analyst@example.com",
        UserName="analyst",
    )
    return {
        "RedshiftSubnetIds": ",".join(subnet["SubnetId"] for subnet in subnets),
        "RedshiftSecurityGroupIds": group["GroupId"],
        "QuickSightPrincipalArn": user["User"]["Arn"],
        "QuickSightRedshiftSecretArn": reader["ARN"],
        "RedshiftReaderUser": "quicksight",  # the secret's username: the setup grants it energylake_reader
    }


def deploy(clients: Clients, template: dict[str, Any], parameters: dict[str, Any]) -> Deployment:
    """Create every resource of the SAM-transformed ``template`` under ``parameters`` (see the module docstring)."""
    evaluator = Evaluator(template, parameters)
    context = Context(clients, evaluator)
    upload_artifacts(clients, template)
    pending = [name for name in template["Resources"] if evaluator.present(name)]
    needs = {}
    for name in pending:
        resource = template["Resources"][name]
        depends_on = resource.get("DependsOn", [])
        needs[name] = dependencies(evaluator, resource.get("Properties", {})) | set(
            [depends_on] if isinstance(depends_on, str) else depends_on
        )
    attributes_used = _attributes_used(template)
    stacks: list[str] = []
    while pending:
        done = set(evaluator.resources)
        wave = [name for name in pending if template["Resources"][name]["Type"] in CLOUDFORMATION_TYPES]
        while True:  # a stack may hold resources that need each other, never one that needs a later resource
            ready = [name for name in wave if needs[name] <= done | set(wave)]
            if ready == wave:
                break
            wave = ready
        if wave:
            stacks.append(f"{STACK_NAME}-{len(stacks) + 1}")
            _create_stack(context, stacks[-1], wave, attributes_used)
        progressed = bool(wave)
        for name in [name for name in pending if name not in wave]:
            kind = template["Resources"][name]["Type"]
            if kind not in CLOUDFORMATION_TYPES and needs[name] <= set(evaluator.resources):
                _create_through_api(context, name)
                progressed = True
        pending = [name for name in pending if name not in evaluator.resources]
        if not progressed:
            blocked = {name: sorted(needs[name] - set(evaluator.resources)) for name in pending}
            raise DeployError(f"nothing more can be created; waiting on: {blocked}")
    for _, call in sorted(context.deferred, key=lambda item: item[0]):
        call()
    outputs = {}
    for name, output in template.get("Outputs", {}).items():
        if "Condition" not in output or evaluator.condition(output["Condition"]):
            outputs[name] = evaluator.resolve(output["Value"])
    return Deployment(template, parameters, clients, evaluator.resources, stacks, outputs)
