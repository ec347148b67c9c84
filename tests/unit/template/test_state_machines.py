"""The two state machines as template.yaml deploys them: standard, traced, logged, their definition files and
substitutions, exactly the permissions they use, and alarms on their failures."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.paths import REPO_ROOT
from tests.support.template import (
    ALERT_TOPIC,
    FUNCTIONS,
    GOLD_JOB_ARN,
    RESOURCES,
    STAGE_FUNCTIONS,
    STAR_RESOURCE_ACTIONS,
    STATE_MACHINES,
    actions_of,
    alarms_on,
    as_list,
    function_statements,
    text_of,
)

PIPELINE_SUBSTITUTIONS = {f"{name}Arn" for name in STAGE_FUNCTIONS} | {"AlertTopicArn"}
BACKFILL_SUBSTITUTIONS = PIPELINE_SUBSTITUTIONS | {"LakeBucketName"}
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
    assert text_of(log_group["Properties"]["LogGroupName"]).startswith("/aws/vendedlogs/states/")


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
    statements = function_statements(machine)
    by_sid = {statement["Sid"]: statement for statement in statements}
    assert len(by_sid) == len(statements), f"{machine}: give every statement a unique Sid"
    return by_sid


@pytest.mark.parametrize("machine", sorted(MACHINE_SUBSTITUTIONS))
def test_state_machine_invokes_exactly_the_stage_functions(machine: str) -> None:
    invoking = [s for s in function_statements(machine) if any(a.startswith("lambda:") for a in actions_of(s))]
    [statement] = invoking
    assert actions_of(statement) == {"lambda:invokefunction"}
    resources = {text_of(resource) for resource in as_list(statement["Resource"])}
    expected = {f"${{{f}.Arn}}" for f in STAGE_FUNCTIONS} | {f"${{{f}.Arn}}:*" for f in STAGE_FUNCTIONS}
    assert resources == expected


@pytest.mark.parametrize("machine", sorted(MACHINE_SUBSTITUTIONS))
def test_state_machine_polls_glue_and_alerts_through_the_encrypted_topic(machine: str) -> None:
    by_sid = _statements_by_sid(machine)
    assert actions_of(by_sid["PollTheGoldJob"]) == {"glue:getjobrun"}
    assert by_sid["PollTheGoldJob"]["Resource"] == GOLD_JOB_ARN
    assert actions_of(by_sid["PublishAlerts"]) == {"sns:publish"}
    assert by_sid["PublishAlerts"]["Resource"] == {"Ref": "AlertTopic"}
    key = by_sid["AlertTopicKeyThroughSns"]
    assert actions_of(key) == {"kms:generatedatakey", "kms:decrypt"}
    assert text_of(key["Resource"]) == "${AlertsKey.Arn}"
    assert key["Condition"]["StringEquals"]["kms:ViaService"] == {"Fn::Sub": "sns.${AWS::Region}.amazonaws.com"}
    assert actions_of(by_sid["XRayTracing"]) == {a for a in STAR_RESOURCE_ACTIONS if a.startswith("xray:")}
    assert actions_of(by_sid["CloudWatchLogsDelivery"]) == {a for a in STAR_RESOURCE_ACTIONS if a.startswith("logs:")}


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
    assert actions_of(start) == {"states:startexecution"}
    assert text_of(start["Resource"]) == f"{prefix}:stateMachine:${{AWS::StackName}}-backfill"
    watch = by_sid["WatchItsOwnChildExecutions"]
    assert actions_of(watch) == {"states:describeexecution", "states:stopexecution"}
    assert {text_of(r) for r in as_list(watch["Resource"])} == {
        f"{prefix}:execution:${{AWS::StackName}}-backfill:*",
        f"{prefix}:execution:${{AWS::StackName}}-backfill/*",
    }
    # The machine's own name in the policy is the name it is given.
    assert STATE_MACHINES["BackfillStateMachine"]["Properties"]["Name"] == {"Fn::Sub": "${AWS::StackName}-backfill"}
    results = by_sid["WriteBackfillResults"]
    assert actions_of(results) == {
        "s3:putobject",
        "s3:getobject",
        "s3:listmultipartuploadparts",
        "s3:abortmultipartupload",
    }
    assert text_of(results["Resource"]) == "${LakeBucket.Arn}/backfill-results/*"
    key = by_sid["LakeKeyThroughS3"]
    assert text_of(key["Resource"]) == "${LakeKey.Arn}"
    assert key["Condition"]["StringEquals"]["kms:ViaService"] == {"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"}


@pytest.mark.parametrize("machine", sorted(MACHINE_SUBSTITUTIONS))
@pytest.mark.parametrize("metric", ["ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"])
def test_state_machine_failures_raise_alarms(machine: str, metric: str) -> None:
    [alarm] = alarms_on("AWS/States", metric, "StateMachineArn", {"Ref": machine})
    assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == ("Sum", "GreaterThanThreshold", 0)
    assert alarm["AlarmActions"] == ALERT_TOPIC
