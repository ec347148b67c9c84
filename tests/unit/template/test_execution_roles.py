"""Execution roles: one explicit role per function (SAM's generated one would attach AWSLambdaBasicExecutionRole,
logs on "*", and AWSXrayWriteOnlyAccess); its logs go to its own log group only, and it holds exactly what its
event sources and destination need (no function joins a VPC)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.template import (
    DATA_API_FOLLOW_ACTIONS,
    FUNCTIONS,
    GLOBAL_FUNCTION,
    RESOURCES,
    STAR_STATEMENTS,
    TEMPLATE_PATH,
    XRAY_ACTIONS,
    actions_of,
    all_statements,
    as_list,
    branches,
    function_role,
    function_statements,
    text_of,
)

SQS_POLLER_ACTIONS = {"sqs:receivemessage", "sqs:deletemessage", "sqs:getqueueattributes"}


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_function_runs_as_its_own_explicit_role(function: str) -> None:
    name = function.removesuffix("Function")
    properties = FUNCTIONS[function]["Properties"]
    assert properties["Role"] == {"Fn::GetAtt": [f"{name}Role", "Arn"]}
    assert "Policies" not in properties, "permissions belong in the function's role"
    assert [other for other in FUNCTIONS if function_role(other) == f"{name}Role"] == [function]
    role = RESOURCES[f"{name}Role"]["Properties"]
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert (trust["Effect"], trust["Principal"], trust["Action"]) == (
        "Allow",
        {"Service": "lambda.amazonaws.com"},
        "sts:AssumeRole",
    )
    assert "ManagedPolicyArns" not in role, "every permission is inline and scoped (no AWS managed policy)"
    sids = [statement["Sid"] for statement in function_statements(function)]
    assert len(sids) == len(set(sids)), f"{function}: give every statement a unique Sid"


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_function_role_logs_only_to_the_function_log_group(function: str) -> None:
    log_group = FUNCTIONS[function]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    assert log_group == f"{function.removesuffix('Function')}LogGroup"
    [statement] = [s for s in function_statements(function) if any(a.startswith("logs:") for a in actions_of(s))]
    assert statement["Sid"] == "OwnLogGroup"
    # No logs:CreateLogGroup: the stack creates the group. Its Arn attribute (arn:...:log-group:<name>:*) covers the
    # group's log streams, which CreateLogStream and PutLogEvents act on.
    assert actions_of(statement) == {"logs:createlogstream", "logs:putlogevents"}
    assert statement["Resource"] == {"Fn::GetAtt": [log_group, "Arn"]}


def test_a_function_log_group_is_written_only_by_its_function_role() -> None:
    writers: dict[str, set[str]] = {}
    for name, statement in all_statements():
        if statement["Effect"] == "Allow" and any(a.startswith("logs:") for a in actions_of(statement)):
            for resource in as_list(statement["Resource"]):
                writers.setdefault(text_of(resource), set()).add(name)
    for function in FUNCTIONS:
        log_group = FUNCTIONS[function]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert writers.pop(f"${{{log_group}.Arn}}") == {function_role(function)}
    # Left: the Glue job's groups and the state machines' log delivery (Resource "*", logs-delivery actions only).
    assert all("aws-glue" in resource or resource == "*" for resource in writers), sorted(writers)


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_function_role_traces_to_xray(function: str) -> None:
    [statement] = [s for s in function_statements(function) if any(a.startswith("xray:") for a in actions_of(s))]
    assert statement["Sid"] == "XRayTracing"
    assert actions_of(statement) == XRAY_ACTIONS
    assert statement["Resource"] == "*"


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_function_role_uses_star_only_where_no_resource_type_exists(function: str) -> None:
    role = function_role(function)
    for policy in RESOURCES[role]["Properties"]["Policies"]:
        for item in as_list(policy["PolicyDocument"]["Statement"]):
            for statement in branches(item):
                if "*" not in as_list(statement["Resource"]):
                    continue
                if statement["Sid"] == "XRayTracing":
                    assert actions_of(statement) == XRAY_ACTIONS
                    continue
                # the Data API's statement actions (no resource type) only for the statements the role itself ran
                assert actions_of(statement) == STAR_STATEMENTS[(role, statement["Sid"])], (role, statement["Sid"])
                if actions_of(statement) & DATA_API_FOLLOW_ACTIONS:
                    assert statement["Condition"] == {
                        "StringEquals": {"redshift-data:statement-owner-iam-userid": "${aws:userid}"}
                    }


def test_no_function_joins_a_vpc() -> None:
    # The warehouse is reached through the Redshift Data API (an AWS endpoint): no VpcConfig, no network interfaces.
    assert "VpcConfig" not in GLOBAL_FUNCTION
    assert {function for function in FUNCTIONS if "VpcConfig" in FUNCTIONS[function]["Properties"]} == set()
    for function in FUNCTIONS:
        for statement in function_statements(function):
            assert not {a for a in actions_of(statement) if a.startswith("ec2:")}, (function, statement.get("Sid"))


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_function_role_polls_exactly_its_sqs_event_sources(function: str) -> None:
    # SAM adds AWSLambdaSQSQueueExecutionRole only to a role it generates: the event source mapping polls with the role.
    events = FUNCTIONS[function]["Properties"].get("Events", {}).values()
    queues = {text_of(event["Properties"]["Queue"]) for event in events if event["Type"] == "SQS"}
    polling = [s for s in function_statements(function) if actions_of(s) & SQS_POLLER_ACTIONS]
    if not queues:
        assert not polling
        return
    [statement] = polling
    assert statement["Sid"] == "PollTheValidateQueue"
    assert actions_of(statement) == SQS_POLLER_ACTIONS
    assert {text_of(resource) for resource in as_list(statement["Resource"])} == queues
    for queue in queues:
        properties = RESOURCES[queue.removeprefix("${").removesuffix(".Arn}")]["Properties"]
        # SSE-SQS: nothing to decrypt. A queue with a KMS key needs kms:Decrypt on that key in the role.
        assert properties.get("SqsManagedSseEnabled") is True and "KmsMasterKeyId" not in properties


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_function_role_may_send_only_to_its_on_failure_destination(function: str) -> None:
    # SAM adds sqs:SendMessage on the destination only to a role it generates.
    config = FUNCTIONS[function]["Properties"].get("EventInvokeConfig", {})
    destination = config.get("DestinationConfig", {}).get("OnFailure")
    sending = [s for s in function_statements(function) if actions_of(s) & {"sqs:sendmessage", "sns:publish"}]
    if destination is None:
        assert not sending
        return
    assert destination["Type"] == "SQS"
    [statement] = sending
    assert statement["Sid"] == "OnFailureDestination"
    assert actions_of(statement) == {"sqs:sendmessage"}
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
        assert function["Properties"]["Role"] == {"Fn::GetAtt": [function_role(name), "Arn"]}
        assert "ManagedPolicyArns" not in resources[function_role(name)]["Properties"]
    managed = {
        text_of(arn)
        for resource in resources.values()
        if resource["Type"] == "AWS::IAM::Role"
        for arn in resource["Properties"].get("ManagedPolicyArns", [])
    }
    # Left: AWSXrayWriteOnlyAccess on the state machines' generated roles (Tracing), X-Ray only. No
    # AWSLambdaBasicExecutionRole, AWSLambdaSQSQueueExecutionRole or AWSLambdaVPCAccessExecutionRole (logs on "*").
    assert {arn.rpartition("/")[2] for arn in managed} <= {"AWSXrayWriteOnlyAccess"}, sorted(managed)
