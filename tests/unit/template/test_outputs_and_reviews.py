"""Parameters and outputs: the stack's outputs, samconfig.toml's dev and prod parameters, and every checkov skip
reviewed and explained."""

from __future__ import annotations

from tests.support.paths import REPO_ROOT
from tests.support.template import DEAD_LETTER_QUEUES, RESOURCES, RUN_TIME_FUNCTIONS, STATE_MACHINES, TEMPLATE

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
    *(f"{name}Arn" for name in RUN_TIME_FUNCTIONS),
}


def test_outputs_name_everything_a_user_needs() -> None:
    outputs = TEMPLATE["Outputs"]
    assert set(outputs) >= EXPECTED_OUTPUTS, sorted(EXPECTED_OUTPUTS - set(outputs))
    for name in STATE_MACHINES:
        assert outputs[f"{name}Arn"]["Value"] == {"Ref": name}
    for name in RUN_TIME_FUNCTIONS:
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
    "CKV_AWS_28",  # DynamoDB PITR: the rate-limit table holds one slot timestamp
    "CKV_AWS_115",  # reserved concurrency: bounded by callers or the shared ERCOT budget; none is reserved
    "CKV_AWS_119",  # DynamoDB CMK: the rate-limit table holds no data
    "CKV_AWS_116",  # DLQ: on-failure destinations, or synchronous/SQS invocation
    "CKV_AWS_117",  # VPC: AWS and public endpoints only (the warehouse through the Redshift Data API)
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
    # No function skips the VPC check while it has a VpcConfig (none has).
    in_vpc = {n for n, r in RESOURCES.items() if "VpcConfig" in r.get("Properties", {})}
    assert not in_vpc & {n for n, c, _ in skips if c == "CKV_AWS_117"}
