"""Alarms and alerts: every dead-letter queue and function raises an alarm, the freshness alarms, Glue failures to
the alert topic, the topic's and its key's policies, and the CloudWatch dashboard."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.template import (
    ALARMS,
    ALERT_TOPIC,
    DEAD_LETTER_QUEUES,
    GLOBAL_FUNCTION,
    RESOURCES,
    RUN_TIME_FUNCTIONS,
    STATE_MACHINES,
    TEMPLATE,
    actions_of,
    alarms_on,
    of_type,
)


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
    assert actions_of(cloudwatch) == {"kms:decrypt", "kms:generatedatakey*"}
    assert RESOURCES["AlertsKey"]["Properties"]["EnableKeyRotation"] is True


@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
@pytest.mark.parametrize("function", sorted(RUN_TIME_FUNCTIONS))
def test_every_function_has_an_errors_and_a_throttles_alarm(function: str, metric: str) -> None:
    [alarm] = alarms_on("AWS/Lambda", metric, "FunctionName", {"Ref": function})
    assert alarm["Statistic"] == "Sum"
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["AlarmActions"] == ALERT_TOPIC


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
    [(name, rule)] = list(of_type("AWS::Events::Rule").items())
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
    [topic_policy] = of_type("AWS::SNS::TopicPolicy").values()
    assert topic_policy["Properties"]["Topics"] == [{"Ref": "AlertTopic"}]
    statements = topic_policy["Properties"]["PolicyDocument"]["Statement"]
    [events] = [s for s in statements if s["Principal"] == {"Service": "events.amazonaws.com"}]
    assert actions_of(events) == {"sns:publish"}
    assert events["Condition"]["ArnEquals"]["aws:SourceArn"] == {"Fn::GetAtt": [name, "Arn"]}
    key_statements = RESOURCES["AlertsKey"]["Properties"]["KeyPolicy"]["Statement"]
    [key] = [s for s in key_statements if s["Principal"] == {"Service": "events.amazonaws.com"}]
    assert actions_of(key) == {"kms:decrypt", "kms:generatedatakey*"}


def test_the_topic_policy_keeps_cloudwatch_alarms_publishing() -> None:
    [topic_policy] = of_type("AWS::SNS::TopicPolicy").values()
    statements = topic_policy["Properties"]["PolicyDocument"]["Statement"]
    [cloudwatch] = [s for s in statements if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert actions_of(cloudwatch) == {"sns:publish"}
    assert cloudwatch["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert all(s["Effect"] == "Allow" and "Service" in s["Principal"] for s in statements)


def test_the_dead_letter_queue_of_the_rule_accepts_only_that_rule() -> None:
    [policy] = [
        p["Properties"]
        for p in of_type("AWS::SQS::QueuePolicy").values()
        if p["Properties"]["Queues"] == [{"Ref": "AlertEventsDeadLetterQueue"}]
    ]
    [statement] = policy["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert actions_of(statement) == {"sqs:sendmessage"}
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == {"Fn::GetAtt": ["GlueJobFailedRule", "Arn"]}


def _dashboard() -> dict[str, Any]:
    import re

    [dashboard] = of_type("AWS::CloudWatch::Dashboard").values()
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
    for function in RUN_TIME_FUNCTIONS:
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
