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

from tests.conftest import REPO_ROOT

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


def _function_statements(function: str) -> list[dict[str, Any]]:
    """Inline statements of a function's Policies (SAM policy templates and managed policy names are not inline)."""
    statements: list[dict[str, Any]] = []
    for item in _as_list(FUNCTIONS[function]["Properties"].get("Policies", [])):
        for policy in _branches(item):
            if isinstance(policy, dict) and "Statement" in policy:
                statements.extend(_statements(policy))
    return statements


def _all_statements() -> Iterator[tuple[str, dict[str, Any]]]:
    """(resource name, statement) for every policy document in the template."""
    for name in FUNCTIONS:
        for statement in _function_statements(name):
            yield name, statement
    documents = {
        "AWS::IAM::Role": lambda p: [pol["PolicyDocument"] for pol in p.get("Policies", [])],
        "AWS::IAM::Policy": lambda p: [p["PolicyDocument"]],
        "AWS::IAM::ManagedPolicy": lambda p: [p["PolicyDocument"]],
        "AWS::S3::BucketPolicy": lambda p: [p["PolicyDocument"]],
        "AWS::SQS::QueuePolicy": lambda p: [p["PolicyDocument"]],
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


def test_only_the_key_policy_uses_service_wildcards_or_star_resources() -> None:
    # In a key policy, kms:* for the account root and Resource "*" (= this key) is the required delegation form.
    offenders = []
    for name, statement in _all_statements():
        if statement["Effect"] != "Allow" or RESOURCES[name]["Type"] == "AWS::KMS::Key":
            continue
        if _is_namespaced_put_metric_data(statement):
            continue
        if any(action.endswith(":*") for action in _actions(statement)) or "*" in _as_list(statement["Resource"]):
            offenders.append((name, statement.get("Sid")))
    assert not offenders


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
    assert readers == {"FetchErcotFunction": CHOSEN_SECRET}
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


def test_the_dead_letter_queues_are_the_ones_failures_go_to() -> None:
    targets = {_text(VALIDATE_QUEUE["RedrivePolicy"]["deadLetterTargetArn"])} | {
        _text(FUNCTIONS[f]["Properties"]["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]["Destination"])
        for f in FETCH_SOURCES
    }
    assert targets == {f"${{{name}.Arn}}" for name in DEAD_LETTER_QUEUES}


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


@pytest.mark.parametrize("event", sorted(path.name for path in EVENTS.glob("*.json")))
def test_each_sample_event_names_a_function(event: str) -> None:
    function = "".join(part.capitalize() for part in Path(event).stem.split("_")) + "Function"
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


def _role_statements(role: str) -> list[dict[str, Any]]:
    properties = RESOURCES[role]["Properties"]
    return [
        statement for policy in properties.get("Policies", []) for statement in _statements(policy["PolicyDocument"])
    ]


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
    from energylake.schema import GOLD_TABLES, SILVER_TABLES

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
    [statement] = _function_statements("TriggerGlueFunction")
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
    """Statements guarded by Fn::If at the top of a Statement list, by condition name."""
    found: dict[str, list[dict[str, Any]]] = {}
    for policy in _as_list(FUNCTIONS[function]["Properties"]["Policies"]):
        for item in _as_list(policy.get("Statement", [])):
            if isinstance(item, dict) and "Fn::If" in item:
                condition, when_true, when_false = item["Fn::If"]
                assert when_false == {"Ref": "AWS::NoValue"}
                found.setdefault(condition, []).append(when_true)
    return found


def test_load_redshift_gets_database_credentials_only_for_the_configured_warehouse() -> None:
    guarded = _conditional_statements("LoadRedshiftFunction")
    assert set(guarded) == {"RedshiftIsServerless", "RedshiftIsProvisioned"}
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
            assert name == "ValidateFunction", (name, statement.get("Sid"))


def test_every_function_has_a_sample_event() -> None:
    events = {path.stem for path in EVENTS.glob("*.json")}
    expected = {
        "".join(f"_{c.lower()}" if c.isupper() else c for c in name.removesuffix("Function")).lstrip("_")
        for name in FUNCTIONS
    }
    assert expected <= events, f"missing events/{sorted(expected - events)}.json"
