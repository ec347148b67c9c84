"""template.yaml keeps its promises: runtime and layer, logging, least-privilege IAM, an encrypted private lake.

The template is read with cfn-lint's decoder, which understands the short intrinsic tags (!Ref, !GetAtt, !Sub, !If)
and returns them in their long form ({"Ref": ...}, {"Fn::GetAtt": [...]}, ...).
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode_str  # type: ignore[import-untyped]

from tests.support.paths import REPO_ROOT

TEMPLATE_PATH = REPO_ROOT / "template.yaml"
EVENTS = REPO_ROOT / "events"

# Each fetch function and the only raw/ prefix it may touch. A new fetch function must be added here.
FETCH_SOURCES = {"FetchErcotFunction": "ercot", "FetchWeatherFunction": "openmeteo"}

S3_OBJECT_ACTIONS = {"s3:getobject", "s3:putobject", "s3:deleteobject", "s3:getobjectversion", "s3:deleteobjectversion"}


def _load_template() -> dict[str, Any]:
    template, matches = decode_str(TEMPLATE_PATH.read_text())
    assert not matches, f"template.yaml does not parse: {matches}"
    # Plain dicts/lists/strings: the decoder's node classes carry line marks we do not need.
    plain: dict[str, Any] = json.loads(json.dumps(template))
    return plain


TEMPLATE = _load_template()
RESOURCES: dict[str, dict[str, Any]] = TEMPLATE["Resources"]
GLOBAL_FUNCTION: dict[str, Any] = TEMPLATE.get("Globals", {}).get("Function", {})


def _of_type(kind: str) -> dict[str, dict[str, Any]]:
    return {name: resource for name, resource in RESOURCES.items() if resource["Type"] == kind}


FUNCTIONS = _of_type("AWS::Serverless::Function")


def _effective(function: str, prop: str) -> Any:
    """A function property as deployed: its own value, else the Globals value; for a list (Layers) both, Globals
    first, because SAM concatenates Globals lists with the function's (checked with samtranslator)."""
    properties = FUNCTIONS[function]["Properties"]
    if prop not in properties:
        return GLOBAL_FUNCTION.get(prop)
    own, shared = properties[prop], GLOBAL_FUNCTION.get(prop)
    if isinstance(own, list) and isinstance(shared, list):
        return shared + own
    return own


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _text(value: Any) -> str:
    """An ARN expression as one string: {"Fn::GetAtt": ["B", "Arn"]} -> "${B.Arn}", {"Fn::Sub": "x"} -> "x"."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        return f"${{{'.'.join(target) if isinstance(target, list) else target}}}"
    if isinstance(value, dict) and "Ref" in value:
        return f"${{{value['Ref']}}}"
    if isinstance(value, dict) and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        return str(sub if isinstance(sub, str) else sub[0])
    return json.dumps(value, sort_keys=True)


def _branches(value: Any) -> list[Any]:
    """The values a (possibly conditional) item can take: both branches of an Fn::If, none for AWS::NoValue."""
    if isinstance(value, dict) and "Fn::If" in value:
        _, when_true, when_false = value["Fn::If"]
        return _branches(when_true) + _branches(when_false)
    if value == {"Ref": "AWS::NoValue"}:
        return []
    return [value]


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    """A policy document's statements, conditional ones (Fn::If) included with every branch."""
    return [branch for item in _as_list(document["Statement"]) for branch in _branches(item)]


def _role_statements(role: str) -> list[dict[str, Any]]:
    """Statements of an AWS::IAM::Role's inline policies, conditional ones included with every branch."""
    properties = RESOURCES[role]["Properties"]
    return [
        statement for policy in properties.get("Policies", []) for statement in _statements(policy["PolicyDocument"])
    ]


def _function_role(function: str) -> str:
    """The AWS::IAM::Role a function runs as: its Role must be !GetAtt <role>.Arn of a role in this template."""
    role = FUNCTIONS[function]["Properties"].get("Role")
    assert isinstance(role, dict) and "Fn::GetAtt" in role, f"{function}: Role must be !GetAtt <Name>Role.Arn"
    name, attribute = role["Fn::GetAtt"] if isinstance(role["Fn::GetAtt"], list) else role["Fn::GetAtt"].split(".")
    assert attribute == "Arn" and RESOURCES[name]["Type"] == "AWS::IAM::Role", role
    return str(name)


def _function_statements(name: str) -> list[dict[str, Any]]:
    """A function's permissions: the inline statements of its execution role. A state machine's: the inline statements
    of its Policies (SAM policy templates and managed policy names are not inline)."""
    if name in FUNCTIONS:
        return _role_statements(_function_role(name))
    statements: list[dict[str, Any]] = []
    for item in _as_list(RESOURCES[name]["Properties"].get("Policies", [])):
        for policy in _branches(item):
            if isinstance(policy, dict) and "Statement" in policy:
                statements.extend(_statements(policy))
    return statements


# What every function's role grants for running at all (its logs, X-Ray), and what SAM would have added to a role it
# generated for an event source or a destination (the SQS poller, the on-failure queue, the VPC network interfaces).
EXECUTION_SIDS = {"OwnLogGroup", "XRayTracing", "PollTheValidateQueue", "OnFailureDestination", "VpcNetworkInterfaces"}


def _code_statements(function: str) -> list[dict[str, Any]]:
    """The statements a function's own code needs: its role's, without the execution ones (EXECUTION_SIDS)."""
    return [s for s in _function_statements(function) if s.get("Sid") not in EXECUTION_SIDS]


def _all_statements() -> Iterator[tuple[str, dict[str, Any]]]:
    """(resource name, statement) for every policy document in the template. A function's permissions are in its
    execution role (an AWS::IAM::Role, named here by the role's name); a function has no Policies of its own."""
    for name, resource in RESOURCES.items():
        if resource["Type"] == "AWS::Serverless::Function":
            assert "Policies" not in resource["Properties"], f"{name}: permissions belong in its role"
        if resource["Type"] == "AWS::Serverless::StateMachine":
            for statement in _function_statements(name):
                yield name, statement
    documents = {
        "AWS::IAM::Role": lambda p: [pol["PolicyDocument"] for pol in p.get("Policies", [])],
        "AWS::IAM::Policy": lambda p: [p["PolicyDocument"]],
        "AWS::IAM::ManagedPolicy": lambda p: [p["PolicyDocument"]],
        "AWS::S3::BucketPolicy": lambda p: [p["PolicyDocument"]],
        "AWS::SQS::QueuePolicy": lambda p: [p["PolicyDocument"]],
        "AWS::SNS::TopicPolicy": lambda p: [p["PolicyDocument"]],
        "AWS::KMS::Key": lambda p: [p["KeyPolicy"]],
    }
    for name, resource in RESOURCES.items():
        extract = documents.get(resource["Type"])
        if extract is None:
            continue
        for document in extract(resource.get("Properties", {})):
            for statement in _statements(document):
                yield name, statement


def _actions(statement: dict[str, Any]) -> set[str]:
    return {action.lower() for action in _as_list(statement.get("Action", []))}


# --------------------------------------------------------------------------------------------------------------------
# Functions: runtime, architecture, tracing, logging, layer, code
# --------------------------------------------------------------------------------------------------------------------


def test_the_template_declares_the_fetch_functions() -> None:
    assert set(FETCH_SOURCES) <= set(FUNCTIONS)
    undeclared = {name for name in FUNCTIONS if name.startswith("Fetch")} - set(FETCH_SOURCES)
    assert not undeclared, f"add {undeclared} to FETCH_SOURCES with the source prefix it may write"


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_function_runs_python312_on_arm64_with_active_tracing(function: str) -> None:
    assert _effective(function, "Runtime") == "python3.12"
    assert _effective(function, "Architectures") == ["arm64"]
    assert _effective(function, "Tracing") == "Active"


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_function_uses_the_common_layer(function: str) -> None:
    assert {"Ref": "CommonLayer"} in _as_list(_effective(function, "Layers") or [])


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_function_declares_each_layer_once(function: str) -> None:
    # A layer in Globals and again in the function would be attached twice (Lambda refuses the update).
    layers = [json.dumps(layer, sort_keys=True) for layer in _as_list(_effective(function, "Layers") or [])]
    assert len(layers) == len(set(layers)), f"{function}: {layers}"


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_function_logs_json_to_its_own_log_group_with_retention(function: str) -> None:
    # LoggingConfig merges: LogFormat from Globals, LogGroup from the function.
    logging = {**(GLOBAL_FUNCTION.get("LoggingConfig") or {}), **FUNCTIONS[function]["Properties"]["LoggingConfig"]}
    assert logging.get("LogFormat") == "JSON"
    group = logging.get("LogGroup")
    assert isinstance(group, dict), f"{function}: LoggingConfig.LogGroup must !Ref a log group of this template"
    assert "Ref" in group, f"{function}: LoggingConfig.LogGroup must be a !Ref, got {group}"
    log_group = RESOURCES[group["Ref"]]
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert log_group["Properties"].get("RetentionInDays") == {"Ref": "LogRetentionDays"}
    assert TEMPLATE["Parameters"]["LogRetentionDays"]["Default"] == 30


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_function_code_folder_holds_the_handler(function: str) -> None:
    properties = FUNCTIONS[function]["Properties"]
    folder = REPO_ROOT / properties["CodeUri"]
    module_name, _, handler_name = _effective(function, "Handler").rpartition(".")
    module = folder / f"{module_name.replace('.', '/')}.py"
    assert module.is_file(), f"{function}: {module.relative_to(REPO_ROOT)} does not exist"
    defined = {
        node.name
        for node in ast.parse(module.read_text()).body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    assert handler_name in defined, f"{function}: {module.relative_to(REPO_ROOT)} defines no {handler_name}()"


def test_globals_point_functions_at_the_lake_root() -> None:
    variables = GLOBAL_FUNCTION["Environment"]["Variables"]
    assert variables["ENERGYLAKE_LAKE_URI"] == {"Fn::Sub": "s3://${LakeBucket}/"}
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "energylake"
    assert variables["POWERTOOLS_LOG_LEVEL"] == {"Ref": "LogLevel"}
    assert "POWERTOOLS_SERVICE_NAME" in variables


def test_common_layer_is_built_by_sam_for_python312_arm64() -> None:
    layer = RESOURCES["CommonLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    properties = layer["Properties"]
    assert properties["CompatibleRuntimes"] == ["python3.12"]
    assert properties["CompatibleArchitectures"] == ["arm64"]
    assert layer["Metadata"]["BuildMethod"] == "python3.12"
    assert layer["Metadata"].get("BuildArchitecture") == "arm64", "without it sam build installs x86_64 wheels"
    content = REPO_ROOT / properties["ContentUri"]
    assert (content / "requirements.txt").is_file()
    assert (content / "energylake" / "__init__.py").is_file()
    assert not (content / "python").exists(), "BuildMethod python3.12 creates python/ itself: do not add one"


# --------------------------------------------------------------------------------------------------------------------
# Lake bucket
# --------------------------------------------------------------------------------------------------------------------

LAKE = RESOURCES["LakeBucket"]["Properties"]


def test_lake_bucket_is_versioned() -> None:
    assert LAKE["VersioningConfiguration"] == {"Status": "Enabled"}


def test_lake_bucket_uses_sse_kms_with_a_bucket_key() -> None:
    [rule] = LAKE["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert _text(rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]) == "${LakeKey.Arn}"
    assert RESOURCES["LakeKey"]["Type"] == "AWS::KMS::Key"
    assert RESOURCES["LakeKey"]["Properties"]["EnableKeyRotation"] is True
    assert rule["BucketKeyEnabled"] is True


@pytest.mark.parametrize("bucket", sorted(_of_type("AWS::S3::Bucket")))
def test_every_bucket_blocks_public_access_and_acls(bucket: str) -> None:
    properties = RESOURCES[bucket]["Properties"]
    block = properties["PublicAccessBlockConfiguration"]
    assert block == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
    )
    assert properties["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]


@pytest.mark.parametrize("bucket", sorted(_of_type("AWS::S3::Bucket")))
def test_every_bucket_refuses_plain_http(bucket: str) -> None:
    policies = [
        resource["Properties"]["PolicyDocument"]
        for resource in _of_type("AWS::S3::BucketPolicy").values()
        if resource["Properties"]["Bucket"] == {"Ref": bucket}
    ]
    assert policies, f"{bucket} has no bucket policy"
    denials = [
        statement
        for document in policies
        for statement in _as_list(document["Statement"])
        if statement["Effect"] == "Deny"
        and statement.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") in ("false", False)
    ]
    assert denials, f"{bucket}: no Deny on aws:SecureTransport=false"
    covered = {_text(resource) for statement in denials for resource in _as_list(statement["Resource"])}
    assert {f"${{{bucket}.Arn}}", f"${{{bucket}.Arn}}/*"} <= covered
    assert any(_actions(statement) & {"s3:*"} for statement in denials)


def test_raw_zone_tiers_down_and_old_versions_expire() -> None:
    rules = {rule.get("Prefix"): rule for rule in LAKE["LifecycleConfiguration"]["Rules"]}
    raw = rules["raw/"]
    assert raw["Status"] == "Enabled"
    assert {(t["StorageClass"], t["TransitionInDays"]) for t in raw["Transitions"]} == {
        ("STANDARD_IA", 30),
        ("GLACIER_IR", 180),
    }
    assert raw["NoncurrentVersionExpiration"]["NoncurrentDays"] == 365


def test_lake_access_is_logged_to_an_expiring_sse_s3_bucket() -> None:
    assert LAKE["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": "AccessLogsBucket"}
    logs = RESOURCES["AccessLogsBucket"]["Properties"]
    [rule] = logs["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert [r["ExpirationInDays"] for r in logs["LifecycleConfiguration"]["Rules"]] == [90]


@pytest.mark.parametrize("name", ["LakeBucket", "LakeKey"])
def test_lake_data_and_key_survive_stack_deletion(name: str) -> None:
    assert RESOURCES[name].get("DeletionPolicy") == "Retain"
    assert RESOURCES[name].get("UpdateReplacePolicy") == "Retain"


# --------------------------------------------------------------------------------------------------------------------
# IAM: least privilege
# --------------------------------------------------------------------------------------------------------------------


def test_no_statement_allows_every_action() -> None:
    offenders = [
        (name, statement.get("Sid"))
        for name, statement in _all_statements()
        if statement["Effect"] == "Allow" and _actions(statement) & {"*", "s3:*"}
    ]
    assert not offenders


def _is_namespaced_put_metric_data(statement: dict[str, Any]) -> bool:
    # cloudwatch:PutMetricData has no resource-level permissions: "*" is its only form, scoped by a namespace condition.
    return _actions(statement) == {"cloudwatch:putmetricdata"} and bool(
        statement.get("Condition", {}).get("StringEquals", {}).get("cloudwatch:namespace")
    )


# Actions that have no resource-level permissions: "*" is their only valid Resource (each is commented in the template).
STAR_RESOURCE_ACTIONS = {
    # X-Ray tracing (the state machines, and every function's role: Tracing Active)
    "xray:puttracesegments",
    "xray:puttelemetryrecords",
    "xray:getsamplingrules",
    "xray:getsamplingtargets",
    # Step Functions' CloudWatch Logs delivery
    "logs:createlogdelivery",
    "logs:getlogdelivery",
    "logs:updatelogdelivery",
    "logs:deletelogdelivery",
    "logs:listlogdeliveries",
    "logs:putresourcepolicy",
    "logs:describeresourcepolicies",
    "logs:describeloggroups",
}


# Lambda's network interfaces for a function in a VPC (what AWSLambdaVPCAccessExecutionRole grants): the Describe
# actions have no resource-level permissions and Lambda creates the interfaces in subnets given as parameters. Allowed
# on "*" only in LoadRedshiftRole's VpcNetworkInterfaces statement, and only under LoadInVpc (checked below).
LAMBDA_VPC_ACTIONS = {
    "ec2:createnetworkinterface",
    "ec2:describenetworkinterfaces",
    "ec2:describesubnets",
    "ec2:deletenetworkinterface",
    "ec2:assignprivateipaddresses",
    "ec2:unassignprivateipaddresses",
}
VPC_STATEMENT = ("LoadRedshiftRole", "VpcNetworkInterfaces")


def test_no_action_is_a_wildcard() -> None:
    # No "*" and no "service:*" (nor a partial wildcard such as "s3:Get*") in any Allow, except the KMS key policies'
    # account-root delegation (kms:* on "this key"), the required form for a key policy.
    offenders = []
    for name, statement in _all_statements():
        if statement["Effect"] != "Allow":
            continue
        if RESOURCES[name]["Type"] == "AWS::KMS::Key" and statement.get("Principal") == {
            "AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
        }:
            continue
        wild = {action for action in _actions(statement) if "*" in action}
        # kms:GenerateDataKey* in the AlertsKey policy for the alarm/EventBridge service principals is AWS's documented
        # form (GenerateDataKey and GenerateDataKeyWithoutPlaintext), scoped to the key itself.
        if RESOURCES[name]["Type"] == "AWS::KMS::Key":
            wild -= {"kms:generatedatakey*"}
        if wild:
            offenders.append((name, statement.get("Sid"), sorted(wild)))
    assert not offenders


def test_star_resources_only_for_actions_without_resource_level_permissions() -> None:
    # In a key policy Resource "*" means "this key"; PutMetricData is "*" only, scoped by a namespace condition.
    offenders = []
    for name, statement in _all_statements():
        if statement["Effect"] != "Allow" or RESOURCES[name]["Type"] == "AWS::KMS::Key":
            continue
        if _is_namespaced_put_metric_data(statement):
            continue
        allowed = STAR_RESOURCE_ACTIONS | (
            LAMBDA_VPC_ACTIONS if (name, statement.get("Sid")) == VPC_STATEMENT else set()
        )
        if "*" in _as_list(statement["Resource"]) and not _actions(statement) <= allowed:
            offenders.append((name, statement.get("Sid"), sorted(_actions(statement) - allowed)))
    assert not offenders


def test_the_star_resource_allow_list_is_used_where_expected() -> None:
    # The allow-list is not a loophole: only the state machines' X-Ray and log-delivery statements and the functions'
    # X-Ray statements use it (and LoadRedshiftRole's VPC statement the VPC list).
    users = {
        (name, statement.get("Sid"))
        for name, statement in _all_statements()
        if statement["Effect"] == "Allow" and _actions(statement) & STAR_RESOURCE_ACTIONS
    }
    assert users == {
        (machine, sid)
        for machine in ("PipelineStateMachine", "BackfillStateMachine")
        for sid in ("XRayTracing", "CloudWatchLogsDelivery")
    } | {(_function_role(function), "XRayTracing") for function in FUNCTIONS}
    vpc_users = {
        (name, statement.get("Sid"))
        for name, statement in _all_statements()
        if statement["Effect"] == "Allow" and _actions(statement) & LAMBDA_VPC_ACTIONS
    }
    assert vpc_users == {VPC_STATEMENT}


@pytest.mark.parametrize(("function", "source"), sorted(FETCH_SOURCES.items()))
def test_fetch_function_touches_only_its_source_prefix(function: str, source: str) -> None:
    prefix = f"raw/source={source}/*"
    s3_statements = [s for s in _function_statements(function) if any(a.startswith("s3:") for a in _actions(s))]
    assert s3_statements, f"{function} has no S3 permissions"
    for statement in s3_statements:
        actions = _actions(statement)
        resources = {_text(resource) for resource in _as_list(statement["Resource"])}
        if actions & S3_OBJECT_ACTIONS:
            assert resources == {f"${{LakeBucket.Arn}}/{prefix}"}, statement.get("Sid")
            assert actions <= {"s3:getobject", "s3:putobject"}, "fetch only reads and writes, never deletes"
        else:
            assert actions == {"s3:listbucket"}, statement.get("Sid")
            assert resources == {"${LakeBucket.Arn}"}
            assert statement["Condition"]["StringLike"]["s3:prefix"] == prefix


@pytest.mark.parametrize("function", sorted(FETCH_SOURCES))
def test_fetch_function_uses_the_lake_key_only_through_s3(function: str) -> None:
    [statement] = [s for s in _function_statements(function) if any(a.startswith("kms:") for a in _actions(s))]
    assert _actions(statement) == {"kms:generatedatakey", "kms:decrypt"}
    assert _text(statement["Resource"]) == "${LakeKey.Arn}"
    assert statement["Condition"]["StringEquals"]["kms:ViaService"] == {"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"}


# --------------------------------------------------------------------------------------------------------------------
# Execution roles: one explicit role per function (SAM's generated one would attach AWSLambdaBasicExecutionRole, logs
# on "*", and AWSXrayWriteOnlyAccess); its logs go to its own log group only
# --------------------------------------------------------------------------------------------------------------------

XRAY_ACTIONS = {action for action in STAR_RESOURCE_ACTIONS if action.startswith("xray:")}
SQS_POLLER_ACTIONS = {"sqs:receivemessage", "sqs:deletemessage", "sqs:getqueueattributes"}


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_function_runs_as_its_own_explicit_role(function: str) -> None:
    name = function.removesuffix("Function")
    properties = FUNCTIONS[function]["Properties"]
    assert properties["Role"] == {"Fn::GetAtt": [f"{name}Role", "Arn"]}
    assert "Policies" not in properties, "permissions belong in the function's role"
    assert [other for other in FUNCTIONS if _function_role(other) == f"{name}Role"] == [function]
    role = RESOURCES[f"{name}Role"]["Properties"]
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert (trust["Effect"], trust["Principal"], trust["Action"]) == (
        "Allow",
        {"Service": "lambda.amazonaws.com"},
        "sts:AssumeRole",
    )
    assert "ManagedPolicyArns" not in role, "every permission is inline and scoped (no AWS managed policy)"
    sids = [statement["Sid"] for statement in _function_statements(function)]
    assert len(sids) == len(set(sids)), f"{function}: give every statement a unique Sid"


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_function_role_logs_only_to_the_function_log_group(function: str) -> None:
    log_group = FUNCTIONS[function]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    assert log_group == f"{function.removesuffix('Function')}LogGroup"
    [statement] = [s for s in _function_statements(function) if any(a.startswith("logs:") for a in _actions(s))]
    assert statement["Sid"] == "OwnLogGroup"
    # No logs:CreateLogGroup: the stack creates the group. Its Arn attribute (arn:...:log-group:<name>:*) covers the
    # group's log streams, which CreateLogStream and PutLogEvents act on.
    assert _actions(statement) == {"logs:createlogstream", "logs:putlogevents"}
    assert statement["Resource"] == {"Fn::GetAtt": [log_group, "Arn"]}


def test_a_function_log_group_is_written_only_by_its_function_role() -> None:
    writers: dict[str, set[str]] = {}
    for name, statement in _all_statements():
        if statement["Effect"] == "Allow" and any(a.startswith("logs:") for a in _actions(statement)):
            for resource in _as_list(statement["Resource"]):
                writers.setdefault(_text(resource), set()).add(name)
    for function in FUNCTIONS:
        log_group = FUNCTIONS[function]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert writers.pop(f"${{{log_group}.Arn}}") == {_function_role(function)}
    # Left: the Glue job's groups and the state machines' log delivery (Resource "*", logs-delivery actions only).
    assert all("aws-glue" in resource or resource == "*" for resource in writers), sorted(writers)


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_function_role_traces_to_xray(function: str) -> None:
    [statement] = [s for s in _function_statements(function) if any(a.startswith("xray:") for a in _actions(s))]
    assert statement["Sid"] == "XRayTracing"
    assert _actions(statement) == XRAY_ACTIONS
    assert statement["Resource"] == "*"


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_function_role_uses_star_only_for_xray_and_vpc_interfaces_in_a_vpc(function: str) -> None:
    role = _function_role(function)
    for policy in RESOURCES[role]["Properties"]["Policies"]:
        for item in _as_list(policy["PolicyDocument"]["Statement"]):
            condition = item["Fn::If"][0] if isinstance(item, dict) and "Fn::If" in item else None
            for statement in _branches(item):
                if "*" not in _as_list(statement["Resource"]):
                    continue
                if statement["Sid"] == "XRayTracing":
                    assert _actions(statement) == XRAY_ACTIONS
                    continue
                assert (role, statement["Sid"]) == VPC_STATEMENT, (role, statement["Sid"])
                assert condition == "LoadInVpc", "the network interface permissions only for a function in a VPC"
                assert _actions(statement) == LAMBDA_VPC_ACTIONS


def test_only_load_redshift_joins_a_vpc_and_only_then_manages_network_interfaces() -> None:
    assert "VpcConfig" not in GLOBAL_FUNCTION
    in_vpc = {function for function in FUNCTIONS if "VpcConfig" in FUNCTIONS[function]["Properties"]}
    assert in_vpc == {"LoadRedshiftFunction"}
    assert FUNCTIONS["LoadRedshiftFunction"]["Properties"]["VpcConfig"]["Fn::If"][0] == "LoadInVpc"
    [statement] = _conditional_statements("LoadRedshiftFunction")["LoadInVpc"]
    assert statement["Sid"] == "VpcNetworkInterfaces"
    assert _actions(statement) == LAMBDA_VPC_ACTIONS


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_function_role_polls_exactly_its_sqs_event_sources(function: str) -> None:
    # SAM adds AWSLambdaSQSQueueExecutionRole only to a role it generates: the event source mapping polls with the role.
    events = FUNCTIONS[function]["Properties"].get("Events", {}).values()
    queues = {_text(event["Properties"]["Queue"]) for event in events if event["Type"] == "SQS"}
    polling = [s for s in _function_statements(function) if _actions(s) & SQS_POLLER_ACTIONS]
    if not queues:
        assert not polling
        return
    [statement] = polling
    assert statement["Sid"] == "PollTheValidateQueue"
    assert _actions(statement) == SQS_POLLER_ACTIONS
    assert {_text(resource) for resource in _as_list(statement["Resource"])} == queues
    for queue in queues:
        properties = RESOURCES[queue.removeprefix("${").removesuffix(".Arn}")]["Properties"]
        # SSE-SQS: nothing to decrypt. A queue with a KMS key needs kms:Decrypt on that key in the role.
        assert properties.get("SqsManagedSseEnabled") is True and "KmsMasterKeyId" not in properties


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_function_role_may_send_only_to_its_on_failure_destination(function: str) -> None:
    # SAM adds sqs:SendMessage on the destination only to a role it generates.
    config = FUNCTIONS[function]["Properties"].get("EventInvokeConfig", {})
    destination = config.get("DestinationConfig", {}).get("OnFailure")
    sending = [s for s in _function_statements(function) if _actions(s) & {"sqs:sendmessage", "sns:publish"}]
    if destination is None:
        assert not sending
        return
    assert destination["Type"] == "SQS"
    [statement] = sending
    assert statement["Sid"] == "OnFailureDestination"
    assert _actions(statement) == {"sqs:sendmessage"}
    assert statement["Resource"] == destination["Destination"]


def _sam_translated() -> dict[str, Any]:
    """template.yaml as SAM deploys it (samtranslator), code locations replaced by placeholders."""
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    template = yaml_parse(TEMPLATE_PATH.read_text())
    for resource in template["Resources"].values():
        for key in ("CodeUri", "DefinitionUri", "ContentUri"):
            if isinstance(resource.get("Properties", {}).get(key), str):
                resource["Properties"][key] = "s3://bucket/key"

    class NoManagedPolicyNames:
        # Only needed to resolve managed policy *names* in Policies, which the template never uses.
        def load(self) -> dict[str, str]:
            return {}

    translated: dict[str, Any] = json.loads(json.dumps(transform(template, {}, NoManagedPolicyNames())))
    return translated


def test_sam_generates_no_function_role_and_attaches_no_managed_logs_policy() -> None:
    resources = _sam_translated()["Resources"]
    functions = {name: r for name, r in resources.items() if r["Type"] == "AWS::Lambda::Function"}
    assert set(functions) == set(FUNCTIONS)
    for name, function in functions.items():
        assert function["Properties"]["Role"] == {"Fn::GetAtt": [_function_role(name), "Arn"]}
        assert "ManagedPolicyArns" not in resources[_function_role(name)]["Properties"]
    managed = {
        _text(arn)
        for resource in resources.values()
        if resource["Type"] == "AWS::IAM::Role"
        for arn in resource["Properties"].get("ManagedPolicyArns", [])
    }
    # Left: AWSXrayWriteOnlyAccess on the state machines' generated roles (Tracing), X-Ray only. No
    # AWSLambdaBasicExecutionRole, AWSLambdaSQSQueueExecutionRole or AWSLambdaVPCAccessExecutionRole (logs on "*").
    assert {arn.rpartition("/")[2] for arn in managed} <= {"AWSXrayWriteOnlyAccess"}, sorted(managed)


# --------------------------------------------------------------------------------------------------------------------
# ERCOT secret
# --------------------------------------------------------------------------------------------------------------------

CHOSEN_SECRET = {"Fn::If": ["CreateErcotSecret", {"Ref": "ErcotApiSecret"}, {"Ref": "ErcotSecretArn"}]}


def test_no_secret_value_is_written_in_the_template() -> None:
    assert "SecretString" not in json.dumps(TEMPLATE).replace("GenerateSecretString", "").replace(
        "SecretStringTemplate", ""
    )
    secret = RESOURCES["ErcotApiSecret"]
    assert secret["Condition"] == "CreateErcotSecret"
    assert TEMPLATE["Conditions"]["CreateErcotSecret"] == {"Fn::Equals": [{"Ref": "ErcotSecretArn"}, ""]}
    generated = secret["Properties"]["GenerateSecretString"]
    template_keys = set(json.loads(generated["SecretStringTemplate"])) | {generated["GenerateStringKey"]}
    assert template_keys == {"username", "password", "subscription_key"}  # the shape energylake.settings reads


def test_only_the_ercot_fetcher_reads_the_ercot_secret() -> None:
    readers = {
        name: statement["Resource"]
        for name, statement in _all_statements()
        if any(action.startswith("secretsmanager:") for action in _actions(statement))
    }
    assert readers == {"FetchErcotRole": CHOSEN_SECRET}
    assert _function_role("FetchErcotFunction") == "FetchErcotRole"
    variables = FUNCTIONS["FetchErcotFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["ENERGYLAKE_ERCOT_SECRET_ARN"] == CHOSEN_SECRET
    assert variables["ENERGYLAKE_ERCOT_REQUESTS_PER_MINUTE"] == {"Ref": "ErcotRequestsPerMinute"}


def test_ercot_fetcher_runs_one_at_a_time() -> None:
    assert FUNCTIONS["FetchErcotFunction"]["Properties"]["ReservedConcurrentExecutions"] == 1


# --------------------------------------------------------------------------------------------------------------------
# Failed asynchronous invocations
# --------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("function", sorted(FETCH_SOURCES))
def test_failed_async_fetches_land_in_an_encrypted_queue(function: str) -> None:
    config = FUNCTIONS[function]["Properties"]["EventInvokeConfig"]
    assert config["MaximumRetryAttempts"] == 2
    failure = config["DestinationConfig"]["OnFailure"]
    assert failure["Type"] == "SQS"
    queue = RESOURCES[_text(failure["Destination"]).removeprefix("${").removesuffix(".Arn}")]
    assert queue["Type"] == "AWS::SQS::Queue"
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600


# --------------------------------------------------------------------------------------------------------------------
# Validate stage: manifest notifications -> queue (+ DLQ) -> ValidateFunction
# --------------------------------------------------------------------------------------------------------------------

QUEUES = _of_type("AWS::SQS::Queue")
VALIDATE = FUNCTIONS["ValidateFunction"]["Properties"]
[VALIDATE_EVENT] = [event["Properties"] for event in VALIDATE["Events"].values() if event["Type"] == "SQS"]
VALIDATE_QUEUE = RESOURCES["ValidateQueue"]["Properties"]
CURATED_ZONES = ("silver", "quality", "quarantine")
# The bucket name as LakeBucket spells it (a plain string in ValidateQueuePolicy: see the cycle note in template.yaml).
LAKE_BUCKET_NAME = LAKE["BucketName"]["Fn::Sub"]


def test_validate_function_is_fed_by_the_validate_queue_with_partial_batch_failures() -> None:
    assert VALIDATE["CodeUri"] == "functions/validate/"
    assert _text(VALIDATE_EVENT["Queue"]) == "${ValidateQueue.Arn}"
    assert VALIDATE_EVENT["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 1 <= VALIDATE_EVENT["BatchSize"] <= 10
    assert VALIDATE_EVENT["MaximumBatchingWindowInSeconds"] <= 10


def test_validate_queue_stays_invisible_for_six_function_timeouts() -> None:
    # AWS: visibility timeout >= 6 x the function timeout (+ the batching window), or a message reappears while
    # a throttled or slow batch still holds it.
    timeout = _effective("ValidateFunction", "Timeout")
    assert isinstance(timeout, int) and timeout >= 60
    assert VALIDATE_QUEUE["VisibilityTimeout"] >= 6 * timeout + VALIDATE_EVENT["MaximumBatchingWindowInSeconds"]


def test_validate_queue_redrives_to_its_dead_letter_queue() -> None:
    redrive = VALIDATE_QUEUE["RedrivePolicy"]
    assert _text(redrive["deadLetterTargetArn"]) == "${ValidateDeadLetterQueue.Arn}"
    assert 3 <= int(redrive["maxReceiveCount"]) <= 10
    dead = RESOURCES["ValidateDeadLetterQueue"]["Properties"]
    assert dead["MessageRetentionPeriod"] == 14 * 24 * 3600
    # A dead-lettered message keeps its first enqueue time: the DLQ must keep messages longer than the source.
    assert VALIDATE_QUEUE.get("MessageRetentionPeriod", 4 * 24 * 3600) < dead["MessageRetentionPeriod"]


@pytest.mark.parametrize("queue", sorted(QUEUES))
def test_every_queue_is_encrypted_at_rest(queue: str) -> None:
    properties = QUEUES[queue]["Properties"]
    assert properties.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in properties


def test_only_new_manifests_under_raw_notify_the_validate_queue() -> None:
    [config] = LAKE["NotificationConfiguration"]["QueueConfigurations"]
    assert config["Event"] == "s3:ObjectCreated:*"
    assert _text(config["Queue"]) == "${ValidateQueue.Arn}"
    rules = {rule["Name"]: rule["Value"] for rule in config["Filter"]["S3Key"]["Rules"]}
    assert rules == {"prefix": "raw/", "suffix": ".manifest.json"}
    assert set(LAKE["NotificationConfiguration"]) == {"QueueConfigurations"}


def test_only_the_lake_bucket_of_this_account_may_send_to_the_validate_queue() -> None:
    policy = RESOURCES["ValidateQueuePolicy"]["Properties"]
    assert policy["Queues"] == [{"Ref": "ValidateQueue"}]
    [statement] = policy["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert _actions(statement) == {"sqs:sendmessage"}
    assert _text(statement["Resource"]) == "${ValidateQueue.Arn}"
    source_arn = statement["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"]
    assert source_arn == [f"arn:${{AWS::Partition}}:s3:::{LAKE_BUCKET_NAME[0]}", LAKE_BUCKET_NAME[1]]
    assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    # S3 tests the destination when the notification is set: the policy must exist before the bucket is configured.
    assert RESOURCES["LakeBucket"]["DependsOn"] in ("ValidateQueuePolicy", ["ValidateQueuePolicy"])


def test_lake_bucket_name_is_valid_for_any_stack() -> None:
    # Lower case only (a stack name may have capitals), at most 63 characters with the longest stage and region.
    template, variables = LAKE_BUCKET_NAME
    assert "${AWS::StackName}" not in template
    longest = (
        template.replace("${Stage}", max(TEMPLATE["Parameters"]["Stage"]["AllowedValues"], key=len))
        .replace("${AWS::AccountId}", "123456789012")
        .replace("${AWS::Region}", "ap-southeast-2")
        .replace("${StackSuffix}", "50e2416294e0")
    )
    assert "${" not in longest and len(longest) <= 63 and longest == longest.lower()
    assert set(variables) == {"StackSuffix"}


def test_validate_function_uses_the_common_and_data_layers() -> None:
    assert _effective("ValidateFunction", "Layers") == [{"Ref": "CommonLayer"}, {"Ref": "DataLayer"}]
    layer = RESOURCES["DataLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    assert layer["Metadata"] == {"BuildMethod": "python3.12", "BuildArchitecture": "arm64"}
    content = REPO_ROOT / layer["Properties"]["ContentUri"]
    requirements = (content / "requirements.txt").read_text()
    assert "pyarrow" in requirements and "orjson" in requirements
    assert not (content / "python").exists(), "BuildMethod python3.12 creates python/ itself: do not add one"


# The functions that import pyarrow: ValidateFunction parses and writes Parquet; LoadRedshiftFunction reads the
# warehouse model, which takes its columns from schema.py (pyarrow types).
DATA_LAYER_FUNCTIONS = {"ValidateFunction", "LoadRedshiftFunction"}


@pytest.mark.parametrize("function", sorted(set(FUNCTIONS) - DATA_LAYER_FUNCTIONS))
def test_only_the_functions_that_need_pyarrow_carry_the_data_layer(function: str) -> None:
    assert {"Ref": "DataLayer"} not in _as_list(_effective(function, "Layers") or [])


def test_load_redshift_uses_the_common_and_data_layers() -> None:
    assert _effective("LoadRedshiftFunction", "Layers") == [{"Ref": "CommonLayer"}, {"Ref": "DataLayer"}]


def test_validate_function_reads_raw_and_writes_only_the_curated_zones() -> None:
    s3_statements = [
        s for s in _function_statements("ValidateFunction") if any(a.startswith("s3:") for a in _actions(s))
    ]
    readable, writable = set(), set()
    for statement in s3_statements:
        assert statement["Effect"] == "Allow"
        actions = _actions(statement)
        resources = {_text(resource) for resource in _as_list(statement["Resource"])}
        if actions == {"s3:listbucket"}:
            assert resources == {"${LakeBucket.Arn}"}
            prefixes = set(_as_list(statement["Condition"]["StringLike"]["s3:prefix"]))
            assert prefixes == {"raw/*", *(f"{zone}/*" for zone in CURATED_ZONES)}
            continue
        assert actions <= {"s3:getobject", "s3:putobject", "s3:deleteobject"}, statement.get("Sid")
        if "s3:getobject" in actions:
            readable |= resources
        if actions & {"s3:putobject", "s3:deleteobject"}:
            writable |= resources
    zones = {f"${{LakeBucket.Arn}}/{zone}/*" for zone in CURATED_ZONES}
    assert writable == zones, "ValidateFunction writes silver/, quality/, quarantine/ and nothing else (never raw/)"
    assert readable == zones | {"${LakeBucket.Arn}/raw/*"}


def test_validate_function_uses_the_lake_key_only_through_s3() -> None:
    [statement] = [
        s for s in _function_statements("ValidateFunction") if any(a.startswith("kms:") for a in _actions(s))
    ]
    assert _actions(statement) == {"kms:generatedatakey", "kms:decrypt"}
    assert _text(statement["Resource"]) == "${LakeKey.Arn}"
    assert statement["Condition"]["StringEquals"]["kms:ViaService"] == {"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"}


# --------------------------------------------------------------------------------------------------------------------
# Alarms
# --------------------------------------------------------------------------------------------------------------------

ALARMS = _of_type("AWS::CloudWatch::Alarm")
DEAD_LETTER_QUEUES = sorted(name for name in QUEUES if "DeadLetter" in name)


def _dead_letter_targets() -> dict[str, set[str]]:
    """Every place a failure is sent: queue redrives, async on-failure destinations, schedule and rule DLQs."""
    targets: dict[str, set[str]] = {}

    def add(target: Any, origin: str) -> None:
        targets.setdefault(_text(target), set()).add(origin)

    for name, queue in QUEUES.items():
        if "RedrivePolicy" in queue["Properties"]:
            add(queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"], name)
    for name, function in FUNCTIONS.items():
        properties = function["Properties"]
        failure = properties.get("EventInvokeConfig", {}).get("DestinationConfig", {}).get("OnFailure")
        if failure:
            add(failure["Destination"], name)
        for event_name, event in properties.get("Events", {}).items():
            if event["Type"] == "ScheduleV2":
                add(event["Properties"]["DeadLetterConfig"]["Arn"], f"{name}.{event_name}")
    for name, rule in _of_type("AWS::Events::Rule").items():
        for target in rule["Properties"]["Targets"]:
            add(target["DeadLetterConfig"]["Arn"], name)
    return targets


def test_the_dead_letter_queues_are_the_ones_failures_go_to() -> None:
    assert set(_dead_letter_targets()) == {f"${{{name}.Arn}}" for name in DEAD_LETTER_QUEUES}


@pytest.mark.parametrize("queue", DEAD_LETTER_QUEUES)
def test_a_message_in_a_dead_letter_queue_raises_an_alarm(queue: str) -> None:
    watching = [
        alarm["Properties"]
        for alarm in ALARMS.values()
        if {"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}} in alarm["Properties"]["Dimensions"]
    ]
    assert len(watching) == 1, f"no alarm on {queue}"
    [alarm] = watching
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)
    assert alarm["EvaluationPeriods"] == 1
    assert alarm["AlarmActions"] == [{"Ref": "AlertTopic"}]


def test_alerts_go_to_a_topic_cloudwatch_can_publish_to() -> None:
    topic = RESOURCES["AlertTopic"]["Properties"]
    # Not alias/aws/sns: its key policy does not let CloudWatch encrypt, so alarm notifications would be lost.
    assert topic["KmsMasterKeyId"] == {"Ref": "AlertsKey"}
    statements = RESOURCES["AlertsKey"]["Properties"]["KeyPolicy"]["Statement"]
    [cloudwatch] = [s for s in statements if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert _actions(cloudwatch) == {"kms:decrypt", "kms:generatedatakey*"}
    assert RESOURCES["AlertsKey"]["Properties"]["EnableKeyRotation"] is True


# --------------------------------------------------------------------------------------------------------------------
# Sample events and the linter
# --------------------------------------------------------------------------------------------------------------------


# Sample events not named after their function (events/README.md): the backfill machine's input to PlanRunFunction.
EVENT_FUNCTION_EXCEPTIONS = {"plan_backfill.json": "PlanRunFunction"}


@pytest.mark.parametrize("event", sorted(path.name for path in EVENTS.glob("*.json")))
def test_each_sample_event_names_a_function(event: str) -> None:
    function = EVENT_FUNCTION_EXCEPTIONS.get(event) or (
        "".join(part.capitalize() for part in Path(event).stem.split("_")) + "Function"
    )
    assert function in FUNCTIONS, f"events/{event} is for {function}, which template.yaml does not declare"
    assert isinstance(json.loads((EVENTS / event).read_text()), dict)


def test_every_fetch_function_has_a_sample_event() -> None:
    events = {path.stem for path in EVENTS.glob("*.json")}
    assert {"fetch_ercot", "fetch_weather"} <= events


@pytest.fixture(scope="session")
def sam_validate_lint() -> subprocess.CompletedProcess[str]:
    """One `sam validate --lint` per test session (about 6 s)."""
    sam = shutil.which("sam", path=str(Path(sys.executable).parent)) or shutil.which("sam")
    if sam is None:
        pytest.fail("sam (aws-sam-cli) is not installed: `make venv` installs it")
    environment = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "SAM_CLI_TELEMETRY": "0"}
    return subprocess.run(
        [sam, "validate", "--lint", "--template", str(TEMPLATE_PATH)],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
        cwd=REPO_ROOT,
        timeout=300,
    )


def test_sam_validate_lint_passes(sam_validate_lint: subprocess.CompletedProcess[str]) -> None:
    output = sam_validate_lint.stdout + sam_validate_lint.stderr
    assert sam_validate_lint.returncode == 0, output
    assert "is a valid SAM Template" in output


# --------------------------------------------------------------------------------------------------------------------
# Gold stage: the Glue job, its role, the Data Catalog
# --------------------------------------------------------------------------------------------------------------------

GOLD_JOB = RESOURCES["BuildGoldJob"]["Properties"]
WRITE_ACTIONS = {"s3:putobject", "s3:deleteobject", "s3:deleteobjectversion", "s3:putobjectacl", "s3:restoreobject"}


def test_gold_job_runs_the_gold_script_on_glue_5_with_two_g1x_workers() -> None:
    assert GOLD_JOB["GlueVersion"] in ("5.0", "5.1")
    assert (GOLD_JOB["WorkerType"], GOLD_JOB["NumberOfWorkers"]) == ("G.1X", 2)
    assert GOLD_JOB["Command"]["Name"] == "glueetl"
    assert GOLD_JOB["Command"]["ScriptLocation"] == {"Fn::Sub": "s3://${LakeBucket}/${GlueScriptKey}"}
    assert TEMPLATE["Parameters"]["GlueScriptKey"]["Default"] == "artifacts/glue/build_gold.py"
    assert (REPO_ROOT / "glue").is_dir()
    assert _text(GOLD_JOB["Role"]) == "${BuildGoldJobRole.Arn}"
    # One run at a time: TriggerGlueFunction relies on it (two runs would replace the same partitions).
    assert GOLD_JOB["ExecutionProperty"]["MaxConcurrentRuns"] == 1
    assert GOLD_JOB["SecurityConfiguration"] == {"Ref": "BuildGoldSecurityConfiguration"}


def test_gold_job_default_arguments() -> None:
    arguments = GOLD_JOB["DefaultArguments"]
    assert arguments["--lake"] == {"Fn::Sub": "s3://${LakeBucket}/"}
    assert arguments["--extra-py-files"] == {"Fn::Sub": "s3://${LakeBucket}/${GluePackageKey}"}
    assert arguments["--enable-metrics"] == "true"
    assert arguments["--job-bookmark-option"] == "job-bookmark-disable"
    assert arguments["--conf"] == "spark.sql.sources.partitionOverwriteMode=dynamic"


@pytest.mark.parametrize("parameter", ["GlueScriptKey", "GluePackageKey"])
def test_glue_artifacts_live_where_the_job_role_may_read(parameter: str) -> None:
    definition = TEMPLATE["Parameters"][parameter]
    assert definition["AllowedPattern"].startswith("^artifacts/glue/")
    assert definition["Default"].startswith("artifacts/glue/")


def test_gold_job_role_is_assumed_by_glue_only() -> None:
    [trust] = RESOURCES["BuildGoldJobRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "glue.amazonaws.com"}
    assert trust["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}


def test_gold_job_role_reads_silver_and_writes_only_gold() -> None:
    readable, writable, listable = set(), set(), set()
    for statement in _role_statements("BuildGoldJobRole"):
        assert statement["Effect"] == "Allow"
        actions = _actions(statement)
        resources = {_text(resource) for resource in _as_list(statement["Resource"])}
        s3_actions = {action for action in actions if action.startswith("s3:")}
        if not s3_actions:
            continue
        assert s3_actions == actions, f"{statement.get('Sid')}: mixes S3 with other services"
        if actions == {"s3:listbucket"}:
            assert resources == {"${LakeBucket.Arn}"}
            listable |= set(_as_list(statement["Condition"]["StringLike"]["s3:prefix"]))
            continue
        assert actions <= {"s3:getobject"} | WRITE_ACTIONS, statement.get("Sid")
        if "s3:getobject" in actions:
            readable |= resources
        if actions & WRITE_ACTIONS:
            writable |= resources
    assert writable == {"${LakeBucket.Arn}/gold/*"}, "the gold job writes gold/ and nothing else"
    assert readable == {f"${{LakeBucket.Arn}}/{zone}/*" for zone in ("silver", "gold", "artifacts/glue")}
    assert listable == {"silver/*", "gold/*", "artifacts/glue/*"}


def test_gold_job_role_uses_the_lake_key_only_through_s3_and_logs_only_to_glue_groups() -> None:
    statements = _role_statements("BuildGoldJobRole")
    [kms] = [s for s in statements if any(a.startswith("kms:") for a in _actions(s))]
    assert _actions(kms) == {"kms:generatedatakey", "kms:decrypt"}
    assert _text(kms["Resource"]) == "${LakeKey.Arn}"
    assert kms["Condition"]["StringEquals"]["kms:ViaService"] == {"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"}
    [logs] = [s for s in statements if any(a.startswith("logs:") for a in _actions(s))]
    assert all(":log-group:/aws-glue/jobs/" in _text(resource) for resource in _as_list(logs["Resource"]))
    [metrics] = [s for s in statements if any(a.startswith("cloudwatch:") for a in _actions(s))]
    assert _is_namespaced_put_metric_data(metrics)
    assert metrics["Condition"]["StringEquals"]["cloudwatch:namespace"] == "Glue"


def test_gold_job_encrypts_its_s3_writes_with_the_lake_key() -> None:
    configuration = RESOURCES["BuildGoldSecurityConfiguration"]["Properties"]["EncryptionConfiguration"]
    [s3] = configuration["S3Encryptions"]
    assert s3["S3EncryptionMode"] == "SSE-KMS"
    assert _text(s3["KmsKeyArn"]) == "${LakeKey.Arn}"


CATALOG_TABLES = {
    resource["Properties"]["TableInput"]["Name"]: resource["Properties"]
    for resource in _of_type("AWS::Glue::Table").values()
}


def _hive_type(arrow_type: Any) -> str:
    import pyarrow as pa

    simple = {
        pa.string(): "string",
        pa.float64(): "double",
        pa.bool_(): "boolean",
        pa.date32(): "date",
        pa.int8(): "tinyint",
        pa.int16(): "smallint",
        pa.int32(): "int",
        pa.int64(): "bigint",
    }
    if pa.types.is_timestamp(arrow_type):
        return "timestamp"
    return simple[arrow_type]


def _catalog_expectations() -> list[tuple[str, str, Any]]:
    """(catalog table name, lake location under the bucket, schema.py table) for every silver dataset and gold table."""
    from energylake.contracts.schemas import GOLD_TABLES, SILVER_TABLES

    silver = [(f"silver_{name}", f"silver/dataset={name}", schema) for name, schema in SILVER_TABLES.items()]
    gold = [(f"gold_{name}", f"gold/{name}", schema) for name, schema in GOLD_TABLES.items()]
    return silver + gold


CATALOG_EXPECTATIONS = _catalog_expectations()


def test_the_catalog_has_a_table_per_silver_dataset_and_gold_table_and_nothing_else() -> None:
    assert set(CATALOG_TABLES) == {name for name, _, _ in CATALOG_EXPECTATIONS}
    database = RESOURCES["LakeDatabase"]["Properties"]["DatabaseInput"]
    assert database["Name"] == {"Fn::Sub": "energylake_${Stage}"}
    assert all(table["DatabaseName"] == {"Ref": "LakeDatabase"} for table in CATALOG_TABLES.values())


@pytest.mark.parametrize(("name", "location", "schema"), CATALOG_EXPECTATIONS, ids=[e[0] for e in CATALOG_EXPECTATIONS])
def test_catalog_table_columns_are_schema_py_columns(name: str, location: str, schema: Any) -> None:
    descriptor = CATALOG_TABLES[name]["TableInput"]["StorageDescriptor"]
    columns = [(column["Name"], column["Type"]) for column in descriptor["Columns"]]
    assert columns == [(column.name, _hive_type(column.type)) for column in schema.columns], (
        f"{name}: regenerate its Columns from schema.py {schema.name}"
    )


@pytest.mark.parametrize(("name", "location", "schema"), CATALOG_EXPECTATIONS, ids=[e[0] for e in CATALOG_EXPECTATIONS])
def test_catalog_table_is_parquet_partitioned_by_a_projected_date(name: str, location: str, schema: Any) -> None:
    table = CATALOG_TABLES[name]["TableInput"]
    descriptor = table["StorageDescriptor"]
    assert table["TableType"] == "EXTERNAL_TABLE"
    assert descriptor["Location"] == {"Fn::Sub": f"s3://${{LakeBucket}}/{location}/"}
    assert (
        descriptor["SerdeInfo"]["SerializationLibrary"] == "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    )
    assert descriptor["InputFormat"] == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    assert [(key["Name"], key["Type"]) for key in table["PartitionKeys"]] == [("date", "string")]
    parameters = table["Parameters"]
    assert parameters["classification"] == "parquet"
    assert parameters["projection.enabled"] == "true"
    assert parameters["projection.date.type"] == "date"
    assert parameters["projection.date.format"] == "yyyy-MM-dd"
    assert parameters["projection.date.range"] == "2015-01-01,NOW"
    # ${!date} is !Sub's escape for a literal ${date}: the placeholder projection fills in.
    assert parameters["storage.location.template"] == {"Fn::Sub": f"s3://${{LakeBucket}}/{location}/date=${{!date}}/"}


def test_no_crawler_is_needed() -> None:
    assert not _of_type("AWS::Glue::Crawler"), "partitions are projected (see the LakeDatabase comment)"


# --------------------------------------------------------------------------------------------------------------------
# TriggerGlueFunction and LoadRedshiftFunction
# --------------------------------------------------------------------------------------------------------------------

GOLD_JOB_ARN = {"Fn::Sub": "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:job/${BuildGoldJob}"}


def test_trigger_glue_may_only_start_and_watch_the_gold_job() -> None:
    [statement] = _code_statements("TriggerGlueFunction")
    assert _actions(statement) == {"glue:startjobrun", "glue:getjobrun", "glue:getjobruns"}
    assert statement["Resource"] == GOLD_JOB_ARN
    variables = FUNCTIONS["TriggerGlueFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["ENERGYLAKE_GLUE_JOB_NAME"] == {"Ref": "BuildGoldJob"}


def test_load_redshift_only_lists_the_loadable_zones() -> None:
    # It checks which date prefixes exist; Redshift reads the objects through the COPY role.
    statements = _function_statements("LoadRedshiftFunction")
    s3_statements = [s for s in statements if any(a.startswith("s3:") for a in _actions(s))]
    [listing] = s3_statements
    assert _actions(listing) == {"s3:listbucket"}
    assert _text(listing["Resource"]) == "${LakeBucket.Arn}"
    assert set(listing["Condition"]["StringLike"]["s3:prefix"]) == {"silver/*", "gold/*"}
    assert not [s for s in statements if any(a.startswith("kms:") for a in _actions(s))]


def _conditional_statements(function: str) -> dict[str, list[dict[str, Any]]]:
    """Statements of a function's role guarded by Fn::If at the top of a Statement list, by condition name."""
    found: dict[str, list[dict[str, Any]]] = {}
    for policy in RESOURCES[_function_role(function)]["Properties"]["Policies"]:
        for item in _as_list(policy["PolicyDocument"]["Statement"]):
            if isinstance(item, dict) and "Fn::If" in item:
                condition, when_true, when_false = item["Fn::If"]
                assert when_false == {"Ref": "AWS::NoValue"}
                found.setdefault(condition, []).append(when_true)
    return found


def test_load_redshift_gets_database_credentials_only_for_the_configured_warehouse() -> None:
    guarded = _conditional_statements("LoadRedshiftFunction")
    assert set(guarded) == {"RedshiftIsServerless", "RedshiftIsProvisioned", "LoadInVpc"}
    [serverless] = guarded["RedshiftIsServerless"]
    assert _actions(serverless) == {"redshift-serverless:getcredentials", "redshift-serverless:getworkgroup"}
    created, existing = serverless["Resource"]["Fn::If"][1:]
    assert serverless["Resource"]["Fn::If"][0] == "CreateServerlessWarehouse"
    assert created == {"Fn::GetAtt": ["WarehouseWorkgroup", "Workgroup.WorkgroupArn"]}
    assert _text(existing).endswith(":workgroup/*") and "${AWS::AccountId}" in _text(existing)
    provisioned = {action for statement in guarded["RedshiftIsProvisioned"] for action in _actions(statement)}
    assert provisioned == {"redshift:getclustercredentials", "redshift:describeclusters"}
    resources = {_text(r) for s in guarded["RedshiftIsProvisioned"] for r in _as_list(s["Resource"])}
    assert all("${RedshiftClusterId}" in resource for resource in resources)
    # Every Redshift permission is conditional: a stack without a warehouse grants none.
    unguarded = [s for s in _function_statements("LoadRedshiftFunction") if any("redshift" in a for a in _actions(s))]
    assert len(unguarded) == len(guarded["RedshiftIsServerless"]) + len(guarded["RedshiftIsProvisioned"])


def test_load_redshift_configuration_comes_from_the_parameters() -> None:
    properties = FUNCTIONS["LoadRedshiftFunction"]["Properties"]
    variables = properties["Environment"]["Variables"]
    copy_role = {
        "Fn::If": ["CreateCopyRole", {"Fn::GetAtt": ["WarehouseCopyRole", "Arn"]}, {"Ref": "RedshiftCopyRoleArn"}]
    }
    assert variables["ENERGYLAKE_REDSHIFT_COPY_ROLE_ARN"] == copy_role
    assert variables["ENERGYLAKE_REDSHIFT_MODE"] == {"Ref": "RedshiftMode"}
    assert variables["ENERGYLAKE_REDSHIFT_WORKGROUP"] == {
        "Fn::If": ["CreateServerlessWarehouse", {"Ref": "WarehouseWorkgroup"}, {"Ref": "RedshiftWorkgroup"}]
    }
    for variable, parameter in (
        ("ENERGYLAKE_REDSHIFT_CLUSTER_ID", "RedshiftClusterId"),
        ("ENERGYLAKE_REDSHIFT_DB_USER", "RedshiftDbUser"),
        ("ENERGYLAKE_REDSHIFT_DATABASE", "RedshiftDatabase"),
        ("ENERGYLAKE_REDSHIFT_SCHEMA_NAME", "RedshiftSchema"),
    ):
        assert variables[variable] == {"Ref": parameter}
    # The variables are the ones the loader's settings read.
    from energylake.redshift_loader import RedshiftSettings

    fields = {f"ENERGYLAKE_REDSHIFT_{name.upper()}" for name in RedshiftSettings.model_fields}
    assert set(variables) <= fields
    assert properties["VpcConfig"]["Fn::If"][0] == "LoadInVpc"
    assert properties["VpcConfig"]["Fn::If"][2] == {"Ref": "AWS::NoValue"}
    requirements = (REPO_ROOT / properties["CodeUri"] / "requirements.txt").read_text()
    assert "redshift_connector" in requirements and "sqlglot" in requirements


def test_conditions_are_wired() -> None:
    conditions = TEMPLATE["Conditions"]
    assert conditions["CreateServerlessWarehouse"] == {"Fn::Equals": [{"Ref": "CreateRedshiftServerless"}, "true"]}
    assert conditions["RedshiftIsServerless"] == {"Fn::Equals": [{"Ref": "RedshiftMode"}, "serverless"]}
    assert conditions["RedshiftIsProvisioned"] == {"Fn::Equals": [{"Ref": "RedshiftMode"}, "provisioned"]}
    assert conditions["CreateCopyRole"] == {
        "Fn::And": [{"Condition": "CreateServerlessWarehouse"}, {"Fn::Equals": [{"Ref": "RedshiftCopyRoleArn"}, ""]}]
    }
    assert RESOURCES["WarehouseNamespace"]["Condition"] == "CreateServerlessWarehouse"
    assert RESOURCES["WarehouseWorkgroup"]["Condition"] == "CreateServerlessWarehouse"
    assert RESOURCES["WarehouseCopyRole"]["Condition"] == "CreateCopyRole"
    assert TEMPLATE["Parameters"]["RedshiftMode"]["AllowedValues"] == ["serverless", "provisioned", "none"]
    assert TEMPLATE["Parameters"]["RedshiftMode"]["Default"] == "none"
    assert set(TEMPLATE["Rules"]) >= {"CreatedWarehouseIsServerless", "ExistingWarehouseNeedsCopyRole"}


def test_created_namespace_keeps_its_admin_password_out_of_the_template() -> None:
    namespace = RESOURCES["WarehouseNamespace"]["Properties"]
    assert namespace["ManageAdminPassword"] is True
    assert "AdminUserPassword" not in namespace
    copy_role = {
        "Fn::If": ["CreateCopyRole", {"Fn::GetAtt": ["WarehouseCopyRole", "Arn"]}, {"Ref": "RedshiftCopyRoleArn"}]
    }
    assert namespace["IamRoles"] == [copy_role]
    assert RESOURCES["WarehouseWorkgroup"]["Properties"]["PubliclyAccessible"] is False
    assert RESOURCES["WarehouseWorkgroup"]["Properties"]["NamespaceName"] == {"Ref": "WarehouseNamespace"}


def test_copy_role_only_reads_the_loadable_zones() -> None:
    trust = RESOURCES["WarehouseCopyRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert {service for s in trust for service in _as_list(s["Principal"]["Service"])} == {
        "redshift.amazonaws.com",
        "redshift-serverless.amazonaws.com",
    }
    for statement in _role_statements("WarehouseCopyRole"):
        actions = _actions(statement)
        assert not actions & WRITE_ACTIONS
        assert actions <= {"s3:getobject", "s3:listbucket", "kms:decrypt"}, statement.get("Sid")
        if "s3:getobject" in actions:
            assert {_text(r) for r in _as_list(statement["Resource"])} == {
                f"${{LakeBucket.Arn}}/{zone}/*" for zone in ("silver", "gold")
            }


def test_only_the_gold_job_and_validate_write_curated_zones() -> None:
    # No role or function other than the gold job writes gold/, and none but ValidateFunction writes silver/.
    for name, statement in _all_statements():
        if statement["Effect"] != "Allow" or not _actions(statement) & WRITE_ACTIONS:
            continue
        resources = {_text(resource) for resource in _as_list(statement["Resource"])}
        if any("/gold/" in resource for resource in resources):
            assert name == "BuildGoldJobRole", (name, statement.get("Sid"))
        if any("/silver/" in resource for resource in resources):
            assert name == _function_role("ValidateFunction"), (name, statement.get("Sid"))


def test_every_function_has_a_sample_event() -> None:
    events = {path.stem for path in EVENTS.glob("*.json")}
    expected = {
        "".join(f"_{c.lower()}" if c.isupper() else c for c in name.removesuffix("Function")).lstrip("_")
        for name in FUNCTIONS
    }
    assert expected <= events, f"missing events/{sorted(expected - events)}.json"


# --------------------------------------------------------------------------------------------------------------------
# Every function: alarms; every queue: redrive and visibility
# --------------------------------------------------------------------------------------------------------------------

STATE_MACHINES = _of_type("AWS::Serverless::StateMachine")
ALERT_TOPIC = [{"Ref": "AlertTopic"}]


def _alarms_on(namespace: str, metric: str, dimension: str, value: Any) -> list[dict[str, Any]]:
    return [
        alarm["Properties"]
        for alarm in ALARMS.values()
        if (alarm["Properties"].get("Namespace"), alarm["Properties"].get("MetricName")) == (namespace, metric)
        and {"Name": dimension, "Value": value} in alarm["Properties"].get("Dimensions", [])
    ]


@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_every_function_has_an_errors_and_a_throttles_alarm(function: str, metric: str) -> None:
    [alarm] = _alarms_on("AWS/Lambda", metric, "FunctionName", {"Ref": function})
    assert alarm["Statistic"] == "Sum"
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["AlarmActions"] == ALERT_TOPIC


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_every_function_sets_its_own_timeout_and_memory(function: str) -> None:
    properties = FUNCTIONS[function]["Properties"]
    assert isinstance(properties.get("Timeout"), int) and 1 <= properties["Timeout"] <= 900
    assert isinstance(properties.get("MemorySize"), int) and 128 <= properties["MemorySize"] <= 10240


def _consumers(queue: str) -> list[tuple[str, dict[str, Any]]]:
    """(function, SQS event properties) for every function fed by the queue."""
    return [
        (name, event["Properties"])
        for name, function in FUNCTIONS.items()
        for event in function["Properties"].get("Events", {}).values()
        if event["Type"] == "SQS" and _text(event["Properties"]["Queue"]) == f"${{{queue}.Arn}}"
    ]


WORK_QUEUES = sorted(set(QUEUES) - set(DEAD_LETTER_QUEUES))


def test_every_queue_is_either_a_work_queue_with_a_consumer_or_a_dead_letter_queue() -> None:
    assert WORK_QUEUES == ["ValidateQueue"]
    assert set(DEAD_LETTER_QUEUES) == {
        "FetchDeadLetterQueue",
        "ValidateDeadLetterQueue",
        "ScheduleDeadLetterQueue",
        "AlertEventsDeadLetterQueue",
    }
    for queue in WORK_QUEUES:
        assert _consumers(queue), f"{queue} has no consumer"
    for queue in DEAD_LETTER_QUEUES:
        assert not _consumers(queue), f"{queue} is a dead-letter queue: nothing consumes it automatically"
        assert "RedrivePolicy" not in QUEUES[queue]["Properties"]


@pytest.mark.parametrize("queue", WORK_QUEUES)
def test_work_queue_redrives_and_outlasts_six_consumer_timeouts(queue: str) -> None:
    properties = QUEUES[queue]["Properties"]
    redrive = properties["RedrivePolicy"]
    assert _text(redrive["deadLetterTargetArn"]).removeprefix("${").removesuffix(".Arn}") in DEAD_LETTER_QUEUES
    assert 3 <= int(redrive["maxReceiveCount"]) <= 10
    for function, event in _consumers(queue):
        timeout = _effective(function, "Timeout")
        window = event.get("MaximumBatchingWindowInSeconds", 0)
        assert properties["VisibilityTimeout"] >= 6 * timeout + window, (queue, function)


def test_max_receive_count_is_explained_in_the_template() -> None:
    text = TEMPLATE_PATH.read_text()
    block = text[text.index("  ValidateQueue:\n") : text.index("  ValidateQueuePolicy:\n")]
    comment_before_count = block[: block.index("maxReceiveCount:")].rsplit("RedrivePolicy:", 1)[1]
    assert "#" in comment_before_count and "receive" in comment_before_count.lower()


@pytest.mark.parametrize("queue", DEAD_LETTER_QUEUES)
def test_dead_letter_queue_keeps_messages_fourteen_days(queue: str) -> None:
    assert QUEUES[queue]["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert QUEUES[queue]["Properties"]["SqsManagedSseEnabled"] is True


def test_every_dead_letter_queue_is_fed_by_something() -> None:
    targets = _dead_letter_targets()
    for queue in DEAD_LETTER_QUEUES:
        assert targets.get(f"${{{queue}.Arn}}"), f"nothing sends failures to {queue}"


# --------------------------------------------------------------------------------------------------------------------
# Orchestration: the functions the state machines call
# --------------------------------------------------------------------------------------------------------------------

STAGE_FUNCTIONS = (
    "PlanRunFunction",
    "FetchErcotFunction",
    "FetchWeatherFunction",
    "QualityGateFunction",
    "TriggerGlueFunction",
    "LoadRedshiftFunction",
)
PIPELINE_SUBSTITUTIONS = {f"{name}Arn" for name in STAGE_FUNCTIONS} | {"AlertTopicArn"}
BACKFILL_SUBSTITUTIONS = PIPELINE_SUBSTITUTIONS | {"LakeBucketName"}
PLAN_VARIABLES = {
    "ENERGYLAKE_GATE_POLL_SECONDS": ("GatePollSeconds", 30),
    "ENERGYLAKE_GATE_MAX_POLLS": ("GateMaxPolls", 40),
    "ENERGYLAKE_GLUE_POLL_SECONDS": ("GluePollSeconds", 60),
    "ENERGYLAKE_GLUE_MAX_POLLS": ("GlueMaxPolls", 120),
    "ENERGYLAKE_BACKFILL_CHUNK_DAYS": ("BackfillChunkDays", 7),
    "ENERGYLAKE_BACKFILL_MAX_CONCURRENCY": ("BackfillMaxConcurrency", 1),
    "ENERGYLAKE_BACKFILL_TOLERATED_FAILURE_PERCENT": ("BackfillToleratedFailurePercent", 10),
}


@pytest.mark.parametrize(
    ("function", "folder", "timeout", "memory"),
    [
        ("PlanRunFunction", "plan_run", 10, 256),
        ("QualityGateFunction", "quality_gate", 60, 256),
        ("StartRunFunction", "start_run", 15, 256),
    ],
)
def test_orchestration_function_shape(function: str, folder: str, timeout: int, memory: int) -> None:
    properties = FUNCTIONS[function]["Properties"]
    assert properties["CodeUri"] == f"functions/{folder}/"
    assert properties["Handler"] == "app.lambda_handler"
    assert (properties["Timeout"], properties["MemorySize"]) == (timeout, memory)


def test_plan_run_is_configured_from_the_parameters_and_calls_no_aws_api() -> None:
    properties = FUNCTIONS["PlanRunFunction"]["Properties"]
    variables = properties["Environment"]["Variables"]
    assert variables == {variable: {"Ref": parameter} for variable, (parameter, _) in PLAN_VARIABLES.items()}
    for parameter, default in PLAN_VARIABLES.values():
        assert TEMPLATE["Parameters"][parameter]["Type"] == "Number"
        assert TEMPLATE["Parameters"][parameter]["Default"] == default
    assert not _code_statements("PlanRunFunction"), "PlanRunFunction is pure: no AWS permission beyond logs and X-Ray"
    assert {s["Sid"] for s in _function_statements("PlanRunFunction")} == {"OwnLogGroup", "XRayTracing"}
    # The variables are the ones the orchestration settings read, and the defaults agree with the code's.
    from energylake.orchestration import OrchestrationSettings

    fields = OrchestrationSettings.model_fields
    for variable, (_, default) in PLAN_VARIABLES.items():
        field = variable.removeprefix("ENERGYLAKE_").lower()
        assert field in fields, variable
        assert fields[field].default == default, variable


def test_quality_gate_only_reads_manifests_and_quality_reports() -> None:
    statements = _code_statements("QualityGateFunction")
    readable: set[str] = set()
    for statement in statements:
        actions = _actions(statement)
        if actions == {"s3:getobject"}:
            readable |= {_text(resource) for resource in _as_list(statement["Resource"])}
        elif actions == {"s3:listbucket"}:
            assert _text(statement["Resource"]) == "${LakeBucket.Arn}"
            assert set(statement["Condition"]["StringLike"]["s3:prefix"]) == {"raw/*", "quality/*"}
        elif actions == {"kms:decrypt"}:
            assert _text(statement["Resource"]) == "${LakeKey.Arn}"
            assert statement["Condition"]["StringEquals"]["kms:ViaService"] == {
                "Fn::Sub": "s3.${AWS::Region}.amazonaws.com"
            }
        else:
            pytest.fail(f"QualityGateFunction: unexpected permissions {sorted(actions)}")
    assert readable == {"${LakeBucket.Arn}/raw/*", "${LakeBucket.Arn}/quality/*"}


def test_start_run_may_only_start_and_describe_the_pipeline() -> None:
    properties = FUNCTIONS["StartRunFunction"]["Properties"]
    assert properties["Environment"]["Variables"] == {
        "ENERGYLAKE_PIPELINE_STATE_MACHINE_ARN": {"Ref": "PipelineStateMachine"}
    }
    by_action = {frozenset(_actions(s)): s for s in _code_statements("StartRunFunction")}
    assert set(by_action) == {frozenset({"states:startexecution"}), frozenset({"states:describeexecution"})}
    assert by_action[frozenset({"states:startexecution"})]["Resource"] == {"Ref": "PipelineStateMachine"}
    describe = _text(by_action[frozenset({"states:describeexecution"})]["Resource"])
    assert describe.endswith(":execution:${PipelineStateMachine.Name}:*")


def test_start_run_failures_land_in_the_schedule_dead_letter_queue() -> None:
    config = FUNCTIONS["StartRunFunction"]["Properties"]["EventInvokeConfig"]
    assert 0 <= config["MaximumRetryAttempts"] <= 2
    assert config["DestinationConfig"]["OnFailure"] == {
        "Type": "SQS",
        "Destination": {"Fn::GetAtt": ["ScheduleDeadLetterQueue", "Arn"]},
    }


SCHEDULES = {
    name: event["Properties"]
    for name, event in FUNCTIONS["StartRunFunction"]["Properties"]["Events"].items()
    if event["Type"] == "ScheduleV2"
}


def test_two_schedules_start_the_pipeline() -> None:
    assert set(SCHEDULES) == {"RealtimeSchedule", "DailySchedule"}
    assert set(FUNCTIONS["StartRunFunction"]["Properties"]["Events"]) == set(SCHEDULES)
    assert SCHEDULES["RealtimeSchedule"]["ScheduleExpression"] == "rate(15 minutes)"
    assert SCHEDULES["DailySchedule"]["ScheduleExpression"] == "cron(30 6 * * ? *)"
    assert SCHEDULES["DailySchedule"]["ScheduleExpressionTimezone"] == "America/Chicago"
    # Nothing else starts a schedule-triggered function.
    for name in set(FUNCTIONS) - {"StartRunFunction"}:
        events = FUNCTIONS[name]["Properties"].get("Events", {}).values()
        assert not [e for e in events if e["Type"] in ("Schedule", "ScheduleV2")], name


@pytest.mark.parametrize(("schedule", "kind"), [("RealtimeSchedule", "realtime"), ("DailySchedule", "daily")])
def test_schedule_sends_its_kind_and_the_scheduled_time(schedule: str, kind: str) -> None:
    assert json.loads(SCHEDULES[schedule]["Input"]) == {
        "schedule": kind,
        "scheduled_time": "<aws.scheduler.scheduled-time>",
    }


@pytest.mark.parametrize("schedule", sorted(SCHEDULES))
def test_schedule_retries_then_dead_letters_and_follows_schedules_state(schedule: str) -> None:
    properties = SCHEDULES[schedule]
    retry = properties["RetryPolicy"]
    assert 1 <= retry["MaximumRetryAttempts"] <= 185
    assert 60 <= retry["MaximumEventAgeInSeconds"] <= 86400
    assert properties["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["ScheduleDeadLetterQueue", "Arn"]}}
    assert properties["State"] == {"Ref": "SchedulesState"}
    # A generated name: two stacks in one account cannot collide on a schedule name.
    assert properties.get("OmitName") is True and "Name" not in properties


def test_schedules_are_off_unless_enabled() -> None:
    parameter = TEMPLATE["Parameters"]["SchedulesState"]
    assert parameter["AllowedValues"] == ["ENABLED", "DISABLED"]
    assert parameter["Default"] == "DISABLED"


# --------------------------------------------------------------------------------------------------------------------
# State machines
# --------------------------------------------------------------------------------------------------------------------

MACHINE_SUBSTITUTIONS = {"PipelineStateMachine": PIPELINE_SUBSTITUTIONS, "BackfillStateMachine": BACKFILL_SUBSTITUTIONS}


def test_the_template_declares_the_two_state_machines() -> None:
    assert set(STATE_MACHINES) == set(MACHINE_SUBSTITUTIONS)


@pytest.mark.parametrize("machine", sorted(MACHINE_SUBSTITUTIONS))
def test_state_machine_is_standard_traced_and_logged(machine: str) -> None:
    properties = STATE_MACHINES[machine]["Properties"]
    assert properties["Type"] == "STANDARD"
    assert properties["Tracing"] == {"Enabled": True}
    logging = properties["Logging"]
    assert logging["Level"] in ("ERROR", "ALL")
    assert logging["IncludeExecutionData"] is True
    [destination] = logging["Destinations"]
    log_group_ref = destination["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"]
    log_group = RESOURCES[log_group_ref[0]]
    assert log_group_ref[1] == "Arn" and log_group["Type"] == "AWS::Logs::LogGroup"
    assert log_group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert _text(log_group["Properties"]["LogGroupName"]).startswith("/aws/vendedlogs/states/")


@pytest.mark.parametrize("machine", sorted(MACHINE_SUBSTITUTIONS))
def test_state_machine_has_a_fixed_name_and_its_definition_file(machine: str) -> None:
    properties = STATE_MACHINES[machine]["Properties"]
    kind = machine.removesuffix("StateMachine").lower()
    assert properties["Name"] == {"Fn::Sub": f"${{AWS::StackName}}-{kind}"}
    assert properties["DefinitionUri"] == f"statemachines/{kind}.asl.json"
    assert "Definition" not in properties


@pytest.mark.parametrize("machine", sorted(MACHINE_SUBSTITUTIONS))
def test_state_machine_substitutions_are_exactly_the_agreed_keys(machine: str) -> None:
    substitutions = STATE_MACHINES[machine]["Properties"]["DefinitionSubstitutions"]
    assert set(substitutions) == MACHINE_SUBSTITUTIONS[machine]
    for function in STAGE_FUNCTIONS:
        assert substitutions[f"{function}Arn"] == {"Fn::GetAtt": [function, "Arn"]}
        assert function in FUNCTIONS
    assert substitutions["AlertTopicArn"] == {"Ref": "AlertTopic"}
    if "LakeBucketName" in substitutions:
        assert substitutions["LakeBucketName"] == {"Ref": "LakeBucket"}


@pytest.mark.parametrize("machine", sorted(MACHINE_SUBSTITUTIONS))
def test_every_definition_placeholder_is_substituted(machine: str) -> None:
    import re

    path = REPO_ROOT / STATE_MACHINES[machine]["Properties"]["DefinitionUri"]
    if not path.is_file():
        pytest.fail(f"{path.relative_to(REPO_ROOT)} does not exist (sam build needs it)")
    placeholders = set(re.findall(r"\$\{([A-Za-z0-9_]+)\}", path.read_text()))
    substitutions = set(STATE_MACHINES[machine]["Properties"]["DefinitionSubstitutions"])
    assert placeholders <= substitutions, f"not substituted: {sorted(placeholders - substitutions)}"


def _statements_by_sid(machine: str) -> dict[str, dict[str, Any]]:
    statements = _function_statements(machine)
    by_sid = {statement["Sid"]: statement for statement in statements}
    assert len(by_sid) == len(statements), f"{machine}: give every statement a unique Sid"
    return by_sid


@pytest.mark.parametrize("machine", sorted(MACHINE_SUBSTITUTIONS))
def test_state_machine_invokes_exactly_the_stage_functions(machine: str) -> None:
    invoking = [s for s in _function_statements(machine) if any(a.startswith("lambda:") for a in _actions(s))]
    [statement] = invoking
    assert _actions(statement) == {"lambda:invokefunction"}
    resources = {_text(resource) for resource in _as_list(statement["Resource"])}
    expected = {f"${{{f}.Arn}}" for f in STAGE_FUNCTIONS} | {f"${{{f}.Arn}}:*" for f in STAGE_FUNCTIONS}
    assert resources == expected


@pytest.mark.parametrize("machine", sorted(MACHINE_SUBSTITUTIONS))
def test_state_machine_polls_glue_and_alerts_through_the_encrypted_topic(machine: str) -> None:
    by_sid = _statements_by_sid(machine)
    assert _actions(by_sid["PollTheGoldJob"]) == {"glue:getjobrun"}
    assert by_sid["PollTheGoldJob"]["Resource"] == GOLD_JOB_ARN
    assert _actions(by_sid["PublishAlerts"]) == {"sns:publish"}
    assert by_sid["PublishAlerts"]["Resource"] == {"Ref": "AlertTopic"}
    key = by_sid["AlertTopicKeyThroughSns"]
    assert _actions(key) == {"kms:generatedatakey", "kms:decrypt"}
    assert _text(key["Resource"]) == "${AlertsKey.Arn}"
    assert key["Condition"]["StringEquals"]["kms:ViaService"] == {"Fn::Sub": "sns.${AWS::Region}.amazonaws.com"}
    assert _actions(by_sid["XRayTracing"]) == {a for a in STAR_RESOURCE_ACTIONS if a.startswith("xray:")}
    assert _actions(by_sid["CloudWatchLogsDelivery"]) == {a for a in STAR_RESOURCE_ACTIONS if a.startswith("logs:")}


def test_pipeline_machine_has_no_other_permissions() -> None:
    assert set(_statements_by_sid("PipelineStateMachine")) == {
        "InvokeTheStageFunctions",
        "PollTheGoldJob",
        "PublishAlerts",
        "AlertTopicKeyThroughSns",
        "XRayTracing",
        "CloudWatchLogsDelivery",
    }


def test_backfill_machine_runs_its_own_children_and_writes_only_backfill_results() -> None:
    by_sid = _statements_by_sid("BackfillStateMachine")
    assert set(by_sid) == set(_statements_by_sid("PipelineStateMachine")) | {
        "StartItsOwnChildExecutions",
        "WatchItsOwnChildExecutions",
        "WriteBackfillResults",
        "LakeKeyThroughS3",
    }
    prefix = "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}"
    start = by_sid["StartItsOwnChildExecutions"]
    assert _actions(start) == {"states:startexecution"}
    assert _text(start["Resource"]) == f"{prefix}:stateMachine:${{AWS::StackName}}-backfill"
    watch = by_sid["WatchItsOwnChildExecutions"]
    assert _actions(watch) == {"states:describeexecution", "states:stopexecution"}
    assert {_text(r) for r in _as_list(watch["Resource"])} == {
        f"{prefix}:execution:${{AWS::StackName}}-backfill:*",
        f"{prefix}:execution:${{AWS::StackName}}-backfill/*",
    }
    # The machine's own name in the policy is the name it is given.
    assert STATE_MACHINES["BackfillStateMachine"]["Properties"]["Name"] == {"Fn::Sub": "${AWS::StackName}-backfill"}
    results = by_sid["WriteBackfillResults"]
    assert _actions(results) == {
        "s3:putobject",
        "s3:getobject",
        "s3:listmultipartuploadparts",
        "s3:abortmultipartupload",
    }
    assert _text(results["Resource"]) == "${LakeBucket.Arn}/backfill-results/*"
    key = by_sid["LakeKeyThroughS3"]
    assert _text(key["Resource"]) == "${LakeKey.Arn}"
    assert key["Condition"]["StringEquals"]["kms:ViaService"] == {"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"}


@pytest.mark.parametrize("machine", sorted(MACHINE_SUBSTITUTIONS))
@pytest.mark.parametrize("metric", ["ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"])
def test_state_machine_failures_raise_alarms(machine: str, metric: str) -> None:
    [alarm] = _alarms_on("AWS/States", metric, "StateMachineArn", {"Ref": machine})
    assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == ("Sum", "GreaterThanThreshold", 0)
    assert alarm["AlarmActions"] == ALERT_TOPIC


# --------------------------------------------------------------------------------------------------------------------
# Alerts: freshness, Glue failures, the topic's and key's policies
# --------------------------------------------------------------------------------------------------------------------


def test_the_real_time_freshness_alarm_watches_spp_rt() -> None:
    [alarm] = [
        a["Properties"]
        for a in ALARMS.values()
        if a["Properties"].get("MetricName") == "DataFreshnessMinutes"
        and {"Name": "dataset", "Value": "spp_rt"} in a["Properties"]["Dimensions"]
    ]
    assert alarm["Namespace"] == GLOBAL_FUNCTION["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"]
    # Powertools adds the service dimension to every metric: the alarm must name it or it watches nothing.
    assert {"Name": "service", "Value": GLOBAL_FUNCTION["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]} in (
        alarm["Dimensions"]
    )
    assert len(alarm["Dimensions"]) == 2
    assert (alarm["Statistic"], alarm["Period"]) == ("Maximum", 900)
    assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (2, 2)
    # The metric counts from the newest interval's START: ERCOT posts ~20 minutes after it (15-minute interval + ~5
    # minutes), and the target is 20 minutes after posting.
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 40)
    assert alarm["TreatMissingData"] == "breaching"
    assert alarm["AlarmActions"] == ALERT_TOPIC
    # Alerts only when runs are scheduled AND a warehouse exists to measure (RedshiftMode none skips the loads).
    assert alarm["ActionsEnabled"] == {"Fn::If": ["FreshnessWatched", True, False]}
    assert TEMPLATE["Conditions"]["FreshnessWatched"] == {
        "Fn::And": [{"Condition": "SchedulesEnabled"}, {"Fn::Not": [{"Fn::Equals": [{"Ref": "RedshiftMode"}, "none"]}]}]
    }


def test_daily_datasets_have_a_freshness_alarm_too() -> None:
    from energylake.contracts.datasets import ALL_DATASETS

    watched = {
        dimension["Value"]
        for alarm in ALARMS.values()
        if alarm["Properties"].get("MetricName") == "DataFreshnessMinutes"
        for dimension in alarm["Properties"]["Dimensions"]
        if dimension["Name"] == "dataset"
    }
    assert watched == {"spp_rt", "spp_dam", "load_weather_zone"}
    assert watched <= set(ALL_DATASETS)


def test_glue_job_failures_go_to_the_alert_topic() -> None:
    [(name, rule)] = list(_of_type("AWS::Events::Rule").items())
    properties = rule["Properties"]
    pattern = properties["EventPattern"]
    assert pattern["source"] == ["aws.glue"]
    assert pattern["detail-type"] == ["Glue Job State Change"]
    assert pattern["detail"]["jobName"] == [{"Ref": "BuildGoldJob"}]
    assert set(pattern["detail"]["state"]) == {"FAILED", "TIMEOUT", "ERROR"}
    [target] = properties["Targets"]
    assert target["Arn"] == {"Ref": "AlertTopic"}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    # The topic lets exactly this rule publish, and the topic's key lets EventBridge encrypt.
    [topic_policy] = _of_type("AWS::SNS::TopicPolicy").values()
    assert topic_policy["Properties"]["Topics"] == [{"Ref": "AlertTopic"}]
    statements = topic_policy["Properties"]["PolicyDocument"]["Statement"]
    [events] = [s for s in statements if s["Principal"] == {"Service": "events.amazonaws.com"}]
    assert _actions(events) == {"sns:publish"}
    assert events["Condition"]["ArnEquals"]["aws:SourceArn"] == {"Fn::GetAtt": [name, "Arn"]}
    key_statements = RESOURCES["AlertsKey"]["Properties"]["KeyPolicy"]["Statement"]
    [key] = [s for s in key_statements if s["Principal"] == {"Service": "events.amazonaws.com"}]
    assert _actions(key) == {"kms:decrypt", "kms:generatedatakey*"}


def test_the_topic_policy_keeps_cloudwatch_alarms_publishing() -> None:
    [topic_policy] = _of_type("AWS::SNS::TopicPolicy").values()
    statements = topic_policy["Properties"]["PolicyDocument"]["Statement"]
    [cloudwatch] = [s for s in statements if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert _actions(cloudwatch) == {"sns:publish"}
    assert cloudwatch["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert all(s["Effect"] == "Allow" and "Service" in s["Principal"] for s in statements)


def test_the_dead_letter_queue_of_the_rule_accepts_only_that_rule() -> None:
    [policy] = [
        p["Properties"]
        for p in _of_type("AWS::SQS::QueuePolicy").values()
        if p["Properties"]["Queues"] == [{"Ref": "AlertEventsDeadLetterQueue"}]
    ]
    [statement] = policy["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert _actions(statement) == {"sqs:sendmessage"}
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == {"Fn::GetAtt": ["GlueJobFailedRule", "Arn"]}


# --------------------------------------------------------------------------------------------------------------------
# Dashboard
# --------------------------------------------------------------------------------------------------------------------


def _dashboard() -> dict[str, Any]:
    import re

    [dashboard] = _of_type("AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    # Every ${...} must name a resource (or its attribute), a parameter or a pseudo parameter.
    for reference in re.findall(r"\$\{([^}]+)\}", body):
        head = reference.split(".")[0]
        assert head in RESOURCES or head in TEMPLATE["Parameters"] or head.startswith("AWS::"), reference
    parsed: dict[str, Any] = json.loads(re.sub(r"\$\{([^}]+)\}", lambda m: m.group(1), body))
    return parsed


def test_the_dashboard_is_valid_json_and_shows_the_pipeline() -> None:
    text = json.dumps(_dashboard())
    for machine in STATE_MACHINES:
        for metric in ("ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed"):
            assert f'"{metric}", "StateMachineArn", "{machine}"' in text, (machine, metric)
    for function in FUNCTIONS:
        for metric in ("Errors", "Duration"):
            assert f'"{metric}", "FunctionName", "{function}"' in text, (function, metric)
    for queue in DEAD_LETTER_QUEUES:
        assert f'"QueueName", "{queue}.QueueName"' in text, queue
    from energylake.contracts.datasets import ALL_DATASETS

    for dataset in ALL_DATASETS:
        assert f'"DataFreshnessMinutes", "service", "energylake", "dataset", "{dataset}"' in text, dataset
    assert '"JobName", "BuildGoldJob"' in text


def test_the_dashboard_widgets_fit_the_grid() -> None:
    for widget in _dashboard()["widgets"]:
        assert widget["x"] >= 0 and widget["x"] + widget["width"] <= 24


# --------------------------------------------------------------------------------------------------------------------
# QuickSight
# --------------------------------------------------------------------------------------------------------------------

QUICKSIGHT = {name: r for name, r in RESOURCES.items() if r["Type"].startswith("AWS::QuickSight::")}
QUICKSIGHT_DATA_SETS = {
    name: r["Properties"] for name, r in QUICKSIGHT.items() if r["Type"] == "AWS::QuickSight::DataSet"
}


def test_quicksight_is_optional() -> None:
    assert QUICKSIGHT, "QuickSight resources are missing"
    assert {r["Condition"] for r in QUICKSIGHT.values()} == {"CreateQuickSight"}
    assert TEMPLATE["Parameters"]["QuickSightPrincipalArn"]["Default"] == ""
    condition = json.dumps(TEMPLATE["Conditions"]["CreateQuickSight"])
    assert "QuickSightPrincipalArn" in condition and "QuickSightRedshiftSecretArn" in condition
    quicksight_outputs = {name: o for name, o in TEMPLATE["Outputs"].items() if name.startswith("QuickSight")}
    assert quicksight_outputs
    assert {o.get("Condition") for o in quicksight_outputs.values()} == {"CreateQuickSight"}


def test_quicksight_reads_the_warehouse_with_a_secret() -> None:
    [source] = [r["Properties"] for r in QUICKSIGHT.values() if r["Type"] == "AWS::QuickSight::DataSource"]
    assert source["Type"] == "REDSHIFT"
    assert source["Credentials"] == {"SecretArn": {"Ref": "QuickSightRedshiftSecretArn"}}
    provisioned, serverless = source["DataSourceParameters"]["RedshiftParameters"]["Fn::If"][1:]
    assert provisioned["ClusterId"] == {"Ref": "RedshiftClusterId"}
    assert provisioned["Database"] == serverless["Database"] == {"Ref": "RedshiftDatabase"}
    assert serverless["Host"]["Fn::If"][0] == "CreateServerlessWarehouse"
    assert source["SslProperties"] == {"DisableSsl": False}
    assert [p["Principal"] for p in source["Permissions"]] == [{"Ref": "QuickSightPrincipalArn"}]


def _quicksight_type(arrow_type: Any) -> str:
    import pyarrow as pa

    if pa.types.is_timestamp(arrow_type) or pa.types.is_date(arrow_type):
        return "DATETIME"
    if pa.types.is_string(arrow_type):
        return "STRING"
    if pa.types.is_floating(arrow_type):
        return "DECIMAL"
    if pa.types.is_integer(arrow_type):
        return "INTEGER"
    if pa.types.is_boolean(arrow_type):
        return "BOOLEAN"
    raise AssertionError(f"no QuickSight type for {arrow_type}")


def test_quicksight_has_a_data_set_per_gold_table() -> None:
    from energylake.contracts.schemas import GOLD_TABLES

    tables = {
        table["RelationalTable"]["Name"]
        for properties in QUICKSIGHT_DATA_SETS.values()
        for table in properties["PhysicalTableMap"].values()
    }
    assert tables == set(GOLD_TABLES)


@pytest.mark.parametrize("data_set", sorted(QUICKSIGHT_DATA_SETS))
def test_quicksight_data_set_columns_are_the_warehouse_columns(data_set: str) -> None:
    from energylake.contracts.schemas import GOLD_TABLES
    from energylake.warehouse.model import WAREHOUSE

    properties = QUICKSIGHT_DATA_SETS[data_set]
    assert properties["ImportMode"] == "DIRECT_QUERY"
    [physical] = properties["PhysicalTableMap"].values()
    relational = physical["RelationalTable"]
    assert relational["DataSourceArn"] == {"Fn::GetAtt": ["QuickSightDataSource", "Arn"]}
    assert relational["Schema"] == {"Ref": "RedshiftSchema"}
    table = WAREHOUSE.table(relational["Name"])
    columns = [(column["Name"], column["Type"]) for column in relational["InputColumns"]]
    assert columns == [(column.name, _quicksight_type(column.type)) for column in table.columns]
    # The warehouse table is schema.py's gold contract plus loaded_at_utc.
    assert [name for name, _ in columns][:-1] == list(GOLD_TABLES[relational["Name"]].column_names)
    assert [p["Principal"] for p in properties["Permissions"]] == [{"Ref": "QuickSightPrincipalArn"}]


# --------------------------------------------------------------------------------------------------------------------
# Outputs, samconfig, checkov annotations
# --------------------------------------------------------------------------------------------------------------------

EXPECTED_OUTPUTS = {
    "LakeBucketName",
    "AlertTopicArn",
    "PipelineStateMachineArn",
    "PipelineStateMachineName",
    "BackfillStateMachineArn",
    "BackfillStateMachineName",
    "BackfillResultsLocation",
    "ScheduleDeadLetterQueueUrl",
    "AlertEventsDeadLetterQueueUrl",
    "FetchDeadLetterQueueUrl",
    "ValidateDeadLetterQueueUrl",
    "PipelineDashboardName",
    "PipelineDashboardUrl",
    "QuickSightDataSourceId",
    "QuickSightDataSetIds",
    "BuildGoldJobName",
    "LakeDatabaseName",
    *(f"{name}Arn" for name in FUNCTIONS),
}


def test_outputs_name_everything_a_user_needs() -> None:
    outputs = TEMPLATE["Outputs"]
    assert set(outputs) >= EXPECTED_OUTPUTS, sorted(EXPECTED_OUTPUTS - set(outputs))
    for name in STATE_MACHINES:
        assert outputs[f"{name}Arn"]["Value"] == {"Ref": name}
    for name in FUNCTIONS:
        assert outputs[f"{name}Arn"]["Value"] == {"Fn::GetAtt": [name, "Arn"]}
    for name in DEAD_LETTER_QUEUES:
        assert outputs[f"{name}Url"]["Value"] == {"Ref": name}
    assert all(output.get("Description") for output in outputs.values())


def test_samconfig_has_dev_and_prod_and_prod_runs_the_schedules() -> None:
    import shlex
    import tomllib

    config = tomllib.loads((REPO_ROOT / "samconfig.toml").read_text())

    def overrides(environment: str) -> dict[str, str]:
        text = config[environment]["deploy"]["parameters"]["parameter_overrides"]
        return dict(item.split("=", 1) for item in shlex.split(text))

    dev, prod = overrides("default"), overrides("prod")
    assert dev["Stage"] == "dev" and prod["Stage"] == "prod"
    assert dev.get("SchedulesState", "DISABLED") == "DISABLED"
    assert prod["SchedulesState"] == "ENABLED"
    assert int(prod["LogRetentionDays"]) > TEMPLATE["Parameters"]["LogRetentionDays"]["Default"]
    for environment in ("default", "prod"):
        for parameter in overrides(environment):
            assert parameter in TEMPLATE["Parameters"], (environment, parameter)
        assert config[environment]["deploy"]["parameters"]["capabilities"] == "CAPABILITY_IAM"
        assert config[environment]["validate"]["parameters"]["lint"] is True


# Every checkov skip in the template, and why it is acceptable here (the reason itself is in the template).
ALLOWED_CHECKOV_SKIPS = {
    "CKV_AWS_18",  # the access-log bucket does not log itself
    "CKV_AWS_27",  # SSE-SQS queues (checkov only recognises KmsMasterKeyId)
    "CKV_AWS_99",  # Glue security configuration: S3 encrypted; logs carry no data; bookmarks disabled
    "CKV_AWS_115",  # reserved concurrency: bounded by callers; only FetchErcot is reserved
    "CKV_AWS_116",  # DLQ: on-failure destinations, or synchronous/SQS invocation
    "CKV_AWS_117",  # VPC: public endpoints only (LoadRedshift has an optional VpcConfig)
    "CKV_AWS_149",  # ERCOT secret on the AWS managed key
    "CKV_AWS_158",  # log groups: CloudWatch Logs default encryption, no data in logs
    "CKV_AWS_173",  # no secret in any function environment
}


def _checkov_skips() -> list[tuple[str, str, str]]:
    return [
        (name, skip["id"], skip.get("comment", ""))
        for name, resource in RESOURCES.items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]


def test_every_checkov_skip_is_reviewed_and_explained() -> None:
    skips = _checkov_skips()
    assert skips
    for name, check, comment in skips:
        assert check in ALLOWED_CHECKOV_SKIPS, f"{name}: new skip {check}: fix the finding or add it here with a reason"
        assert len(comment) >= 40, f"{name}: {check} needs a real reason in its comment"
    # The one reserved function must not skip the concurrency check, and no function skips the VPC check while
    # it has a VpcConfig.
    assert ("FetchErcotFunction", "CKV_AWS_115") not in {(n, c) for n, c, _ in skips}
    assert ("LoadRedshiftFunction", "CKV_AWS_117") not in {(n, c) for n, c, _ in skips}


def test_no_secret_in_any_function_environment() -> None:
    # The premise of the CKV_AWS_173 skips: variables hold names, ARNs, limits, never credentials.
    suspicious = ("PASSWORD", "TOKEN", "SUBSCRIPTION_KEY", "ACCESS_KEY")
    for name in FUNCTIONS:
        variables = FUNCTIONS[name]["Properties"].get("Environment", {}).get("Variables", {})
        variables = {**GLOBAL_FUNCTION["Environment"]["Variables"], **variables}
        for variable in variables:
            assert not any(word in variable for word in suspicious), (name, variable)
