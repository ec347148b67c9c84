"""template.yaml deployed as `sam deploy` would deploy it, into moto on loopback (tests/support/deploy.py), for the dev
configuration of samconfig.toml and for prod with a created Redshift Serverless warehouse in a VPC and QuickSight.

Nothing leaves the machine: a ThreadedMotoServer on 127.0.0.1, boto3 with its endpoint_url.

What creates what (tried on moto 5.2; moto's CloudFormation skips a type it does not know and silently drops a
reference to it, so the split is explicit, in deploy.CLOUDFORMATION_TYPES and deploy.API_CREATORS):

- moto's CloudFormation, one stack per wave of dependencies, each to CREATE_COMPLETE: IAM::Role, KMS::Key,
  KMS::Alias, Logs::LogGroup, SQS::Queue, SNS::Topic, DynamoDB::Table, S3::Bucket, Events::Rule,
  CloudWatch::Dashboard. What moto's CloudFormation skips is put again through the API right after the stack: a role's
  trust and inline policies (validated there; moto's CloudFormation does not), a KMS key's policy (moto's
  CloudFormation keeps it as an object) and a bucket's versioning, lifecycle, public access block, ownership controls,
  notifications and logging (ignored by moto's CloudFormation).
- Their own APIs, with the template's resolved properties: Lambda::Function, LayerVersion, Version, Alias,
  EventInvokeConfig, EventSourceMapping (moto's CloudFormation knows some of these but drops Layers, Architectures,
  LoggingConfig, TracingConfig, and gives no Ref of a layer version), StepFunctions::StateMachine (moto's CloudFormation
  drops DefinitionSubstitutions, logging and tracing), CloudWatch::Alarm, S3::BucketPolicy, SQS::QueuePolicy,
  SNS::TopicPolicy, SecretsManager::Secret, Scheduler::Schedule, Glue::Database, Table, Job, SecurityConfiguration,
  QuickSight::DataSource and DataSet (moto's CloudFormation has none of these).
- The API model only (moto has no Redshift Serverless): RedshiftServerless::Namespace and Workgroup, sent through
  botocore to a stub after checking that the roles, subnets, security groups and namespace they name exist.
- A stub: Custom::GlueArtifacts runs the real publisher (energylake.lambdas.publish_glue_artifacts) into the moto lake.

Every API call is also checked against the service's API model (required members, lengths, ranges, enums, patterns)
and against rules no model states (IAM policy sizes, Lambda's timeout and environment size, an SQS source's
visibility timeout against its function's timeout). Queues, log groups, keys, the table, the topic, the rule and the
dashboard are only as checked as moto is (not much): cfn-lint's resource schemas (make checks) cover their values.

Where moto is stricter than AWS, or slow, deploy.py bends, each commented there: bucket policies are put last (moto
applies a Deny without its Condition, so DenyInsecureTransport would refuse every object the deployment writes), and
so is bucket logging (moto wants the target's policy first; AWS does not check it at that call); an inline policy
without Version is checked as 2012-10-17 (IAM reads it as 2008-10-17 and accepts it: SAM's schedule roles have them);
AWS managed policies are checked by name rather than attached (moto loads them only on request, seconds per account).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.deploy import (
    ACCOUNT_ID,
    REGION,
    Clients,
    DeployError,
    Deployment,
    deploy,
    existing_warehouse_network_and_quicksight,
    load_template,
    moto_server,
    parameter_values,
    rule_failures,
    sam_transform,
    samconfig_parameters,
)

TEMPLATE = load_template()
LAMBDA_ARN = re.compile(rf"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:[A-Za-z0-9_-]+")


def _assertion(rule: str, index: int = 0) -> str:
    """The AssertDescription of one assertion of one rule, as template.yaml words it."""
    description: str = TEMPLATE["Rules"][rule]["Assertions"][index]["AssertDescription"]
    return description


def _parameters(**overrides: str) -> dict[str, Any]:
    return parameter_values(TEMPLATE, {**samconfig_parameters(), **overrides})


# --------------------------------------------------------------------------------------------------------------------
# Parameters and Rules: what CloudFormation refuses before it creates anything (moto ignores the Rules section)
# --------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "refusals"),
    [
        (
            {"CreateRedshiftServerless": "true", "RedshiftMode": "none"},
            [("CreatedWarehouseIsServerless", 0), ("CreatedWorkgroupNeedsSubnets", 0)],
        ),
        ({"CreateRedshiftServerless": "true", "RedshiftMode": "serverless"}, [("CreatedWorkgroupNeedsSubnets", 0)]),
        (
            {
                "CreateRedshiftServerless": "true",
                "RedshiftMode": "serverless",
                "RedshiftSubnetIds": "subnet-0123456789abcdef0,,subnet-0123456789abcdef1",
            },
            [("CreatedWorkgroupNeedsSubnets", 0)],
        ),
        (
            {"RedshiftMode": "serverless", "RedshiftCopyRoleArn": f"arn:aws:iam::{ACCOUNT_ID}:role/copy"},
            [("ExistingServerlessNeedsWorkgroup", 0)],
        ),
        (
            {"RedshiftMode": "provisioned", "RedshiftCopyRoleArn": f"arn:aws:iam::{ACCOUNT_ID}:role/copy"},
            [("ProvisionedNeedsClusterAndUser", 0)],
        ),
        ({"RedshiftMode": "serverless", "RedshiftWorkgroup": "analytics"}, [("ExistingWarehouseNeedsCopyRole", 0)]),
        (
            {"QuickSightPrincipalArn": f"arn:aws:quicksight:{REGION}:{ACCOUNT_ID}:user/default/analyst"},
            [
                ("QuickSightNeedsAWarehouseAndASecret", 0),
                ("QuickSightNeedsAWarehouseAndASecret", 1),
            ],
        ),
    ],
    ids=[
        "created-warehouse-not-serverless",
        "created-workgroup-without-subnets",
        "created-workgroup-with-an-empty-subnet",
        "no-workgroup",
        "no-cluster",
        "no-copy-role",
        "quicksight-alone",
    ],
)
def test_refused_combinations_are_refused_with_their_description(
    overrides: dict[str, str], refusals: list[tuple[str, int]]
) -> None:
    # GIVEN the dev configuration with a combination that cannot work
    parameters = _parameters(**overrides)
    # WHEN the Rules are evaluated over it
    failures = rule_failures(TEMPLATE, parameters)
    # THEN CloudFormation would refuse it, with the template's own words
    assert failures == [_assertion(rule, index) for rule, index in refusals]


@pytest.mark.parametrize("environment", ["default", "prod"])
def test_the_samconfig_environments_pass_the_rules(environment: str) -> None:
    assert rule_failures(TEMPLATE, parameter_values(TEMPLATE, samconfig_parameters(environment))) == []


def test_an_existing_warehouse_with_everything_it_needs_passes_the_rules() -> None:
    parameters = _parameters(
        RedshiftMode="serverless",
        RedshiftWorkgroup="analytics",
        RedshiftCopyRoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/copy",
    )
    assert rule_failures(TEMPLATE, parameters) == []


def test_a_parameter_outside_its_allowed_pattern_is_refused_before_the_rules() -> None:
    with pytest.raises(DeployError, match=r"RedshiftWorkgroup: 'Analytics_1' does not match"):
        _parameters(RedshiftWorkgroup="Analytics_1")
    with pytest.raises(DeployError, match=r"GatePollSeconds: 0 is outside"):
        _parameters(GatePollSeconds="0")


def test_a_rule_function_the_evaluator_does_not_know_stops_the_test() -> None:
    template: dict[str, Any] = {"Rules": {"R": {"Assertions": [{"Assert": {"Fn::EachMemberIn": [[], []]}}]}}}
    with pytest.raises(DeployError, match="Fn::EachMemberIn is not evaluated here"):
        rule_failures(template, {})


# --------------------------------------------------------------------------------------------------------------------
# What a user relies on after a deploy (shared by both configurations)
# --------------------------------------------------------------------------------------------------------------------


def _layer_exists(clients: Clients, arn: str) -> None:
    *_, name, version = arn.split(":")  # moto has no get_layer_version_by_arn
    clients("lambda").get_layer_version(LayerName=name, VersionNumber=int(version))


def _exists(clients: Clients, value: str) -> None:
    """Fail unless ``value`` (an output) names something that exists: an ARN, a queue URL or an S3 location."""
    if value.startswith("arn:aws:lambda:") and ":layer:" in value:
        _layer_exists(clients, value)
    elif value.startswith("arn:aws:lambda:"):
        clients("lambda").get_function(FunctionName=value)
    elif value.startswith("arn:aws:states:"):
        clients("stepfunctions").describe_state_machine(stateMachineArn=value)
    elif value.startswith("arn:aws:sns:"):
        clients("sns").get_topic_attributes(TopicArn=value)
    elif value.startswith("arn:aws:kms:"):
        clients("kms").describe_key(KeyId=value)
    elif value.startswith("arn:aws:secretsmanager:"):
        clients("secretsmanager").describe_secret(SecretId=value)
    elif value.startswith("arn:aws:iam:"):
        clients("iam").get_role(RoleName=value.rsplit("/", 1)[-1])
    elif value.startswith("https://sqs."):
        clients("sqs").get_queue_attributes(QueueUrl=value)
    elif value.startswith("s3://"):
        bucket, _, key = value.removeprefix("s3://").partition("/")
        # Listing, not reading: moto's bucket policy denies object reads over plain http (see the module docstring).
        listed = clients("s3").list_objects_v2(Bucket=bucket, Prefix=key).get("Contents", [])
        assert key.endswith("/") or [item["Key"] for item in listed] == [key], f"{value} does not exist"


def assert_outputs_resolve_to_what_exists(deployment: Deployment) -> None:
    expected = {
        name
        for name, output in deployment.template["Outputs"].items()
        if "Condition" not in output or name in deployment.outputs
    }
    assert set(deployment.outputs) == expected
    for name, value in deployment.outputs.items():
        assert isinstance(value, str) and value, name
        assert "${" not in value and "{" not in value, f"{name} did not resolve: {value}"
        _exists(deployment.clients, value)


def assert_functions_run_as_roles_lambda_may_assume(deployment: Deployment) -> None:
    clients = deployment.clients
    for name, function in deployment.of_type("AWS::Lambda::Function").items():
        configuration = clients("lambda").get_function(FunctionName=function.ref)["Configuration"]
        role = clients("iam").get_role(RoleName=configuration["Role"].rsplit("/", 1)[-1])["Role"]
        trust = role["AssumeRolePolicyDocument"]
        trust = json.loads(trust) if isinstance(trust, str) else trust
        assert any(
            statement["Effect"] == "Allow"
            and statement["Principal"] == {"Service": "lambda.amazonaws.com"}
            and statement["Action"] == "sts:AssumeRole"
            for statement in trust["Statement"]
        ), name
        policy_names = clients("iam").list_role_policies(RoleName=role["RoleName"])["PolicyNames"]
        assert policy_names, f"{name}'s role has no inline policy"
        for policy_name in policy_names:
            document = clients("iam").get_role_policy(RoleName=role["RoleName"], PolicyName=policy_name)
            document = document["PolicyDocument"]
            document = json.loads(document) if isinstance(document, str) else document
            assert document["Version"] == "2012-10-17" and document["Statement"], (name, policy_name)
        for layer in configuration.get("Layers", []):
            _layer_exists(clients, layer["Arn"])
        log_group = function.properties["LoggingConfig"]["LogGroup"]  # moto's get_function leaves LoggingConfig out
        groups = clients("logs").describe_log_groups(logGroupNamePrefix=log_group)["logGroups"]
        assert [group["logGroupName"] for group in groups] == [log_group], name


def assert_glue_job_runs_what_glue_artifacts_published(deployment: Deployment) -> None:
    clients, published = deployment.clients, deployment.resources["GlueArtifacts"].attributes
    job = clients("glue").get_job(JobName=deployment.resources["BuildGoldJob"].ref)["Job"]
    assert job["Command"]["ScriptLocation"] == published["ScriptLocation"] == deployment.outputs["GlueScriptLocation"]
    assert job["DefaultArguments"]["--extra-py-files"] == published["PackageLocation"]
    lake = deployment.outputs["LakeBucketName"]
    assert published["ScriptLocation"].startswith(f"s3://{lake}/artifacts/glue/")
    for location in (published["ScriptLocation"], published["PackageLocation"]):
        _exists(clients, location)
    clients("glue").get_security_configuration(Name=job["SecurityConfiguration"])
    clients("iam").get_role(RoleName=job["Role"].rsplit("/", 1)[-1])


def assert_state_machines_call_deployed_functions(deployment: Deployment) -> None:
    clients = deployment.clients
    function_arns = {item.attributes["Arn"] for item in deployment.of_type("AWS::Lambda::Function").values()}
    for name, machine in deployment.of_type("AWS::StepFunctions::StateMachine").items():
        described = clients("stepfunctions").describe_state_machine(stateMachineArn=machine.ref)
        definition = described["definition"]
        assert "${" not in definition, name
        called = set(LAMBDA_ARN.findall(definition))
        assert called and called <= function_arns, (name, called - function_arns)
        clients("iam").get_role(RoleName=described["roleArn"].rsplit("/", 1)[-1])
        assert described["tracingConfiguration"]["enabled"] is True, name


def assert_alarms_notify_the_alert_topic(deployment: Deployment) -> None:
    topic = deployment.outputs["AlertTopicArn"]
    alarms = deployment.clients("cloudwatch").describe_alarms(MaxRecords=100)["MetricAlarms"]
    assert len(alarms) == len(deployment.of_type("AWS::CloudWatch::Alarm"))
    for alarm in alarms:
        assert alarm["AlarmActions"] == [topic], alarm["AlarmName"]


def assert_every_stack_completed(deployment: Deployment) -> None:
    # Every unconditional resource exists (a conditional one: see each configuration's own tests).
    unconditional = {name for name, resource in deployment.template["Resources"].items() if "Condition" not in resource}
    assert unconditional <= set(deployment.resources)
    # Every stack completed, with every resource it was given (moto's CloudFormation skips a type it does not know).
    in_stacks: set[str] = set()
    cloudformation = deployment.clients("cloudformation")
    for stack in deployment.stacks:
        (described,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
        assert described["StackStatus"] == "CREATE_COMPLETE", stack
        for resource in cloudformation.describe_stack_resources(StackName=stack)["StackResources"]:
            assert resource["ResourceStatus"] == "CREATE_COMPLETE", (stack, resource["LogicalResourceId"])
            in_stacks.add(resource["LogicalResourceId"])
    by_stacks = {name for name, item in deployment.resources.items() if item.created_by == "cloudformation"}
    assert in_stacks == by_stacks and by_stacks


USER_CHECKS = [
    assert_every_stack_completed,
    assert_outputs_resolve_to_what_exists,
    assert_functions_run_as_roles_lambda_may_assume,
    assert_glue_job_runs_what_glue_artifacts_published,
    assert_state_machines_call_deployed_functions,
    assert_alarms_notify_the_alert_topic,
]


# --------------------------------------------------------------------------------------------------------------------
# dev (samconfig.toml's default environment)
# --------------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="class")
def dev() -> Iterator[Deployment]:
    """The dev configuration deployed once for the class (one moto server at a time in this process)."""
    parameters = parameter_values(TEMPLATE, samconfig_parameters())
    assert rule_failures(TEMPLATE, parameters) == []
    with moto_server() as clients:
        yield deploy(clients, sam_transform(TEMPLATE, parameters), parameters)


class TestDevDeployment:
    @pytest.mark.parametrize("check", USER_CHECKS, ids=lambda check: check.__name__.removeprefix("assert_"))
    def test_what_a_user_relies_on(self, dev: Deployment, check: Any) -> None:
        check(dev)

    def test_dev_creates_no_warehouse_and_keeps_the_schedules_off(self, dev: Deployment) -> None:
        assert not dev.of_type("AWS::RedshiftServerless::Workgroup")
        assert not dev.of_type("AWS::QuickSight::DataSource")
        assert "ErcotApiSecret" in dev.resources  # no ErcotSecretArn given: the stack holds the placeholder secret
        for schedule in dev.of_type("AWS::Scheduler::Schedule").values():
            described = dev.clients("scheduler").get_schedule(Name=schedule.ref)
            assert described["State"] == "DISABLED"
            assert described["Target"]["Arn"] == dev.outputs["StartRunFunctionArn"]

    def test_the_lake_bucket_notifies_the_validate_queue_and_every_zone_has_a_lifecycle(self, dev: Deployment) -> None:
        s3, lake = dev.clients("s3"), dev.outputs["LakeBucketName"]
        notification = s3.get_bucket_notification_configuration(Bucket=lake)["QueueConfigurations"]
        queue_arn = dev.clients("sqs").get_queue_attributes(
            QueueUrl=dev.outputs["ValidateQueueUrl"], AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        assert [item["QueueArn"] for item in notification] == [queue_arn]
        assert s3.get_bucket_versioning(Bucket=lake)["Status"] == "Enabled"
        prefixes = {
            rule["Filter"].get("Prefix", "") for rule in s3.get_bucket_lifecycle_configuration(Bucket=lake)["Rules"]
        }
        assert {"raw/", "silver/", "gold/"} <= prefixes


# --------------------------------------------------------------------------------------------------------------------
# prod with a created Redshift Serverless warehouse in a VPC, and QuickSight
# --------------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="class")
def warehouse() -> Iterator[Deployment]:
    with moto_server() as clients:
        overrides = {
            **samconfig_parameters("prod"),
            "CreateRedshiftServerless": "true",
            "RedshiftMode": "serverless",
            **existing_warehouse_network_and_quicksight(clients),
        }
        parameters = parameter_values(TEMPLATE, overrides)
        assert rule_failures(TEMPLATE, parameters) == []
        yield deploy(clients, sam_transform(TEMPLATE, parameters), parameters)


class TestProdDeploymentWithACreatedWarehouse:
    @pytest.mark.parametrize("check", USER_CHECKS, ids=lambda check: check.__name__.removeprefix("assert_"))
    def test_what_a_user_relies_on(self, warehouse: Deployment, check: Any) -> None:
        check(warehouse)

    def test_the_workgroup_lives_in_the_given_subnets_and_the_loader_in_no_vpc(self, warehouse: Deployment) -> None:
        workgroup = warehouse.resources["WarehouseWorkgroup"]
        assert sorted(workgroup.properties["SubnetIds"]) == sorted(warehouse.parameters["RedshiftSubnetIds"])
        assert workgroup.ref == warehouse.outputs["WarehouseWorkgroupName"]
        # the loader reaches the workgroup through the Redshift Data API: no VPC, the workgroup's name
        loader = warehouse.resources["LoadRedshiftFunction"].ref
        configuration = warehouse.clients("lambda").get_function_configuration(FunctionName=loader)
        assert not configuration.get("VpcConfig", {}).get("SubnetIds")
        assert configuration["Environment"]["Variables"]["ENERGYLAKE_REDSHIFT_WORKGROUP"] == workgroup.ref

    def test_the_created_namespace_is_set_up_for_the_loader_and_quicksight(self, warehouse: Deployment) -> None:
        # GIVEN the WarehouseSetup custom resource as deployed
        setup = warehouse.resources["WarehouseSetup"].properties
        loader_role = warehouse.resources["LoadRedshiftRole"].ref
        # THEN it sets up the created workgroup and namespace, granting the loader's IAMR user and QuickSight's user
        assert setup["WorkgroupName"] == warehouse.resources["WarehouseWorkgroup"].ref
        assert setup["NamespaceName"] == warehouse.resources["WarehouseNamespace"].ref
        assert setup["LoaderUsers"] == [f"IAMR:{loader_role}"]
        assert setup["ReaderUsers"] == ["quicksight"]
        # AND the loader's role carries the database role Redshift Serverless grants at sign-in
        tags = warehouse.clients("iam").list_role_tags(RoleName=loader_role)["Tags"]
        assert {"Key": "RedshiftDbRoles", "Value": "energylake_loader"} in tags

    def test_the_namespace_copies_with_the_created_copy_role(self, warehouse: Deployment) -> None:
        copy_role = warehouse.outputs["WarehouseCopyRoleArn"]
        namespace = warehouse.resources["WarehouseNamespace"].properties
        assert namespace["IamRoles"] == [copy_role]
        assert namespace["DefaultIamRoleArn"] == copy_role
        role = warehouse.clients("iam").get_role(RoleName=copy_role.rsplit("/", 1)[-1])["Role"]
        services = [statement["Principal"]["Service"] for statement in role["AssumeRolePolicyDocument"]["Statement"]]
        assert any(
            "redshift.amazonaws.com" in ([service] if isinstance(service, str) else service) for service in services
        )

    def test_quicksight_reads_the_created_workgroup(self, warehouse: Deployment) -> None:
        source_id = warehouse.outputs["QuickSightDataSourceId"]
        source = warehouse.clients("quicksight").describe_data_source(AwsAccountId=ACCOUNT_ID, DataSourceId=source_id)
        endpoint = warehouse.resources["WarehouseWorkgroup"].attributes["Workgroup.Endpoint.Address"]
        assert source["DataSource"]["DataSourceParameters"]["RedshiftParameters"]["Host"] == endpoint
        # one data set per warehouse view the dashboard's charts read, and the analysis and dashboard over them
        from energylake.local.dashboard.specs import CHARTS

        views = {chart.view for chart in CHARTS} | {chart.overlay.view for chart in CHARTS if chart.overlay}
        data_sets = warehouse.of_type("AWS::QuickSight::DataSet").values()
        assert {
            next(iter(d.properties["PhysicalTableMap"].values()))["RelationalTable"]["Name"] for d in data_sets
        } == views
        dashboard_id = warehouse.outputs["QuickSightDashboardId"]
        dashboard = warehouse.clients("quicksight").describe_dashboard(
            AwsAccountId=ACCOUNT_ID, DashboardId=dashboard_id
        )
        assert dashboard["Dashboard"]["DashboardId"] == dashboard_id
        assert warehouse.of_type("AWS::QuickSight::Analysis")

    def test_prod_runs_the_schedules(self, warehouse: Deployment) -> None:
        schedules = warehouse.of_type("AWS::Scheduler::Schedule").values()
        assert schedules
        for schedule in schedules:
            assert warehouse.clients("scheduler").get_schedule(Name=schedule.ref)["State"] == "ENABLED"


# --------------------------------------------------------------------------------------------------------------------
# A property AWS would refuse fails the deployment, naming the resource
# --------------------------------------------------------------------------------------------------------------------

NO_EFFECT_POLICY = {
    "PolicyName": "read",
    "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Action": "s3:GetObject", "Resource": "*"}]},
}
VALID: dict[str, Any] = {
    "Role": {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            }
        },
    },
    "Fn": {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Handler": "app.lambda_handler",
            "Runtime": "python3.12",
            "Role": {"Fn::GetAtt": ["Role", "Arn"]},
            "Code": {"S3Bucket": "energylake-deploy-artifacts", "S3Key": "Fn.zip"},
            "MemorySize": 512,
            "Timeout": 60,
        },
    },
    "Job": {
        "Type": "AWS::Glue::Job",
        "Properties": {
            "Role": {"Fn::GetAtt": ["Role", "Arn"]},
            "Command": {"Name": "glueetl", "ScriptLocation": "s3://energylake-deploy-artifacts/job.py"},
            "GlueVersion": "5.1",
            "WorkerType": "G.1X",
            "NumberOfWorkers": 2,
        },
    },
    "Machine": {
        "Type": "AWS::StepFunctions::StateMachine",
        "Properties": {
            "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
            "DefinitionString": json.dumps(
                {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "${WorkerArn}", "End": True}}}
            ),
            "DefinitionSubstitutions": {"WorkerArn": {"Fn::GetAtt": ["Fn", "Arn"]}},
        },
    },
    "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 120}},
    "Mapping": {
        "Type": "AWS::Lambda::EventSourceMapping",
        "Properties": {
            "EventSourceArn": {"Fn::GetAtt": ["Queue", "Arn"]},
            "FunctionName": {"Ref": "Fn"},
            "BatchSize": 5,
        },
    },
    "Alarm": {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "Namespace": "AWS/Lambda",
            "MetricName": "Errors",
            "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": "Fn"}}],
            "Statistic": "Sum",
            "Period": 300,
            "EvaluationPeriods": 1,
            "Threshold": 0,
            "ComparisonOperator": "GreaterThanThreshold",
        },
    },
}


@pytest.fixture(scope="class")
def server() -> Iterator[Clients]:
    with moto_server() as clients:
        yield clients


class TestRefusals:
    """Small templates (a role, a function, a Glue job, a state machine, a queue feeding the function, an alarm), one
    property changed to a value AWS refuses in each test, on one moto server reset between them."""

    @pytest.mark.parametrize(
        ("name", "change", "refusal"),
        [
            ("Fn", {"MemorySize": 64}, r"Fn \(AWS::Lambda::Function\): lambda:CreateFunction would be refused: "),
            ("Fn", {"Timeout": 1200}, r"Fn \(AWS::Lambda::Function\): Timeout 1200 s is over Lambda's 900 s"),
            ("Job", {"WorkerType": "G.3X"}, r"Job \(AWS::Glue::Job\): glue:CreateJob would be refused: .*'G.3X'"),
            ("Role", {"Policies": [NO_EFFECT_POLICY]}, r"Role \(AWS::IAM::Role\) was refused: MalformedPolicyDocument"),
            ("Machine", {"DefinitionSubstitutions": {}}, r"Machine: no DefinitionSubstitutions for \['WorkerArn'\]"),
            ("Alarm", {"ComparisonOperator": "GreaterThan"}, r"Alarm \(AWS::CloudWatch::Alarm\): .*ComparisonOperator"),
            ("Queue", {"VisibilityTimeout": 30}, r"Mapping \(.*\): queue visibility timeout 30 s is under .* 60 s"),
        ],
        ids=[
            "lambda-memory",
            "lambda-timeout",
            "glue-worker",
            "policy-no-effect",
            "unsubstituted",
            "alarm-operator",
            "queue-visibility",
        ],
    )
    def test_a_refused_property_fails_naming_the_resource(
        self, server: Clients, name: str, change: dict[str, Any], refusal: str
    ) -> None:
        # GIVEN valid resources, one of them with one property AWS refuses
        resources = copy.deepcopy(VALID)
        resources[name]["Properties"].update(change)
        server.reset()
        # WHEN they are deployed THEN the deployment fails, naming the resource and the problem
        with pytest.raises(DeployError, match=refusal):
            deploy(server, {"Resources": resources}, {})

    def test_the_valid_resources_deploy(self, server: Clients) -> None:
        # The refusals above come from the one property each test changes: unchanged, every resource deploys.
        server.reset()
        deployment = deploy(server, {"Resources": copy.deepcopy(VALID)}, {})
        assert set(deployment.resources) == set(VALID)
        assert {item.created_by for item in deployment.resources.values()} == {"cloudformation", "api"}

    def test_a_reference_to_a_resource_the_conditions_leave_out_fails(self, server: Clients) -> None:
        template = {
            "Conditions": {"Never": {"Fn::Equals": ["a", "b"]}},
            "Resources": {
                "Role": copy.deepcopy(VALID["Role"]),
                "Absent": {**copy.deepcopy(VALID["Role"]), "Condition": "Never"},
            },
            "Outputs": {"AbsentRole": {"Value": {"Fn::GetAtt": ["Absent", "Arn"]}}},
        }
        server.reset()
        with pytest.raises(DeployError, match=r"Absent\.Arn does not exist"):
            deploy(server, template, {})

    def test_the_real_template_with_a_refused_value_fails(self, server: Clients) -> None:
        # GIVEN the transformed template with a loader timeout Lambda refuses (over 15 minutes)
        parameters = parameter_values(TEMPLATE, samconfig_parameters())
        transformed = sam_transform(TEMPLATE, parameters)
        transformed["Resources"]["LoadRedshiftFunction"]["Properties"]["Timeout"] = 1200
        server.reset()
        # WHEN it is deployed THEN the loader is named
        with pytest.raises(DeployError, match=r"LoadRedshiftFunction \(AWS::Lambda::Function\): Timeout 1200 s"):
            deploy(server, transformed, parameters)
