"""template.yaml as plain data, read with cfn-lint's decoder (it understands the short intrinsic tags !Ref, !GetAtt,
!Sub, !If and returns them in their long form: {"Ref": ...}, {"Fn::GetAtt": [...]}, ...), and the lookups the
template tests share: resources by type, a function's effective properties, the statements of every policy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from cfnlint.decode import decode_str  # type: ignore[import-untyped]

from tests.support.paths import REPO_ROOT

TEMPLATE_PATH = REPO_ROOT / "template.yaml"
EVENTS = REPO_ROOT / "events"


def load_template() -> dict[str, Any]:
    template, matches = decode_str(TEMPLATE_PATH.read_text())
    assert not matches, f"template.yaml does not parse: {matches}"
    # Plain dicts/lists/strings: the decoder's node classes carry line marks we do not need.
    plain: dict[str, Any] = json.loads(json.dumps(template))
    return plain


TEMPLATE = load_template()
RESOURCES: dict[str, dict[str, Any]] = TEMPLATE["Resources"]
GLOBAL_FUNCTION: dict[str, Any] = TEMPLATE.get("Globals", {}).get("Function", {})


def of_type(kind: str) -> dict[str, dict[str, Any]]:
    """The template's resources of one type, by logical id."""
    return {name: resource for name, resource in RESOURCES.items() if resource["Type"] == kind}


FUNCTIONS = of_type("AWS::Serverless::Function")
# Invoked by CloudFormation during a deploy (custom resources): a failure fails the deploy itself, in the stack's
# events, so they get neither run-time alarms nor dashboard widgets nor an output.
DEPLOY_TIME_FUNCTIONS = frozenset({"PublishGlueArtifactsFunction", "WarehouseSetupFunction"})
RUN_TIME_FUNCTIONS = {name: function for name, function in FUNCTIONS.items() if name not in DEPLOY_TIME_FUNCTIONS}
STATE_MACHINES = of_type("AWS::Serverless::StateMachine")
QUEUES = of_type("AWS::SQS::Queue")
DEAD_LETTER_QUEUES = sorted(name for name in QUEUES if "DeadLetter" in name)
ALARMS = of_type("AWS::CloudWatch::Alarm")
ALERT_TOPIC = [{"Ref": "AlertTopic"}]
LAKE = RESOURCES["LakeBucket"]["Properties"]
# The bucket name as LakeBucket spells it (a plain string in ValidateQueuePolicy: see the cycle note in template.yaml).
LAKE_BUCKET_NAME = LAKE["BucketName"]["Fn::Sub"]

# Each fetch function and the only raw/ prefix it may touch. A new fetch function must be added here.
FETCH_SOURCES = {"FetchErcotFunction": "ercot", "FetchWeatherFunction": "openmeteo"}
# The functions the state machines call (each is a DefinitionSubstitution ${<Function>Arn}).
STAGE_FUNCTIONS = (
    "PlanRunFunction",
    "FetchErcotFunction",
    "FetchWeatherFunction",
    "QualityGateFunction",
    "TriggerGlueFunction",
    "BuildGoldFunction",
    "LoadRedshiftFunction",
)
GOLD_JOB_ARN = {"Fn::Sub": "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:job/${BuildGoldJob}"}

S3_OBJECT_ACTIONS = {"s3:getobject", "s3:putobject", "s3:deleteobject", "s3:getobjectversion", "s3:deleteobjectversion"}
WRITE_ACTIONS = {"s3:putobject", "s3:deleteobject", "s3:deleteobjectversion", "s3:putobjectacl", "s3:restoreobject"}

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
    # Following the Redshift Data API statements a role ran (scoped by redshift-data:statement-owner-iam-userid)
    "redshift-data:describestatement",
    "redshift-data:getstatementresult",
    "redshift-data:cancelstatement",
    # Reading the signing-in role's tags: Redshift Serverless maps its RedshiftDbRoles tag to database roles
    "tag:getresources",
    "tag:gettagkeys",
}
XRAY_ACTIONS = {action for action in STAR_RESOURCE_ACTIONS if action.startswith("xray:")}
DATA_API_FOLLOW_ACTIONS = {action for action in STAR_RESOURCE_ACTIONS if action.startswith("redshift-data:")}
TAG_READ_ACTIONS = {action for action in STAR_RESOURCE_ACTIONS if action.startswith("tag:")}
# The statements that use the "*" allow-list beyond X-Ray and log delivery: (role, Sid) -> their actions.
STAR_STATEMENTS = {
    ("LoadRedshiftRole", "FollowOwnStatements"): DATA_API_FOLLOW_ACTIONS,
    ("LoadRedshiftRole", "ReadOwnRoleTagsAtSignIn"): TAG_READ_ACTIONS,
    ("WarehouseSetupRole", "FollowOwnStatements"): DATA_API_FOLLOW_ACTIONS - {"redshift-data:getstatementresult"},
}

# What every function's role grants for running at all (its logs, X-Ray), and what SAM would have added to a role it
# generated for an event source or a destination (the SQS poller, the on-failure queue). No function joins a VPC.
EXECUTION_SIDS = {"OwnLogGroup", "XRayTracing", "PollTheValidateQueue", "OnFailureDestination"}


def effective(function: str, prop: str) -> Any:
    """A function property as deployed: its own value, else the Globals value; for a list (Layers) both, Globals
    first, because SAM concatenates Globals lists with the function's (checked with samtranslator)."""
    properties = FUNCTIONS[function]["Properties"]
    if prop not in properties:
        return GLOBAL_FUNCTION.get(prop)
    own, shared = properties[prop], GLOBAL_FUNCTION.get(prop)
    if isinstance(own, list) and isinstance(shared, list):
        return shared + own
    return own


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def text_of(value: Any) -> str:
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


def branches(value: Any) -> list[Any]:
    """The values a (possibly conditional) item can take: both branches of an Fn::If, none for AWS::NoValue."""
    if isinstance(value, dict) and "Fn::If" in value:
        _, when_true, when_false = value["Fn::If"]
        return branches(when_true) + branches(when_false)
    if value == {"Ref": "AWS::NoValue"}:
        return []
    return [value]


def document_statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    """A policy document's statements, conditional ones (Fn::If) included with every branch."""
    return [branch for item in as_list(document["Statement"]) for branch in branches(item)]


def role_statements(role: str) -> list[dict[str, Any]]:
    """Statements of an AWS::IAM::Role's inline policies, conditional ones included with every branch."""
    properties = RESOURCES[role]["Properties"]
    return [
        statement
        for policy in properties.get("Policies", [])
        for statement in document_statements(policy["PolicyDocument"])
    ]


def function_role(function: str) -> str:
    """The AWS::IAM::Role a function runs as: its Role must be !GetAtt <role>.Arn of a role in this template."""
    role = FUNCTIONS[function]["Properties"].get("Role")
    assert isinstance(role, dict) and "Fn::GetAtt" in role, f"{function}: Role must be !GetAtt <Name>Role.Arn"
    name, attribute = role["Fn::GetAtt"] if isinstance(role["Fn::GetAtt"], list) else role["Fn::GetAtt"].split(".")
    assert attribute == "Arn" and RESOURCES[name]["Type"] == "AWS::IAM::Role", role
    return str(name)


def function_statements(name: str) -> list[dict[str, Any]]:
    """A function's permissions: the inline statements of its execution role. A state machine's: the inline statements
    of its Policies (SAM policy templates and managed policy names are not inline)."""
    if name in FUNCTIONS:
        return role_statements(function_role(name))
    statements: list[dict[str, Any]] = []
    for item in as_list(RESOURCES[name]["Properties"].get("Policies", [])):
        for policy in branches(item):
            if isinstance(policy, dict) and "Statement" in policy:
                statements.extend(document_statements(policy))
    return statements


def code_statements(function: str) -> list[dict[str, Any]]:
    """The statements a function's own code needs: its role's, without the execution ones (EXECUTION_SIDS)."""
    return [s for s in function_statements(function) if s.get("Sid") not in EXECUTION_SIDS]


def conditional_statements(function: str) -> dict[str, list[dict[str, Any]]]:
    """Statements of a function's role guarded by Fn::If at the top of a Statement list, by condition name."""
    found: dict[str, list[dict[str, Any]]] = {}
    for policy in RESOURCES[function_role(function)]["Properties"]["Policies"]:
        for item in as_list(policy["PolicyDocument"]["Statement"]):
            if isinstance(item, dict) and "Fn::If" in item:
                condition, when_true, when_false = item["Fn::If"]
                assert when_false == {"Ref": "AWS::NoValue"}
                found.setdefault(condition, []).append(when_true)
    return found


def all_statements() -> Iterator[tuple[str, dict[str, Any]]]:
    """(resource name, statement) for every policy document in the template. A function's permissions are in its
    execution role (an AWS::IAM::Role, named here by the role's name); a function has no Policies of its own."""
    for name, resource in RESOURCES.items():
        if resource["Type"] == "AWS::Serverless::Function":
            assert "Policies" not in resource["Properties"], f"{name}: permissions belong in its role"
        if resource["Type"] == "AWS::Serverless::StateMachine":
            for statement in function_statements(name):
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
            for statement in document_statements(document):
                yield name, statement


def actions_of(statement: dict[str, Any]) -> set[str]:
    """A statement's actions, lower-cased."""
    return {action.lower() for action in as_list(statement.get("Action", []))}


def is_namespaced_put_metric_data(statement: dict[str, Any]) -> bool:
    # cloudwatch:PutMetricData has no resource-level permissions: "*" is its only form, scoped by a namespace condition.
    return actions_of(statement) == {"cloudwatch:putmetricdata"} and bool(
        statement.get("Condition", {}).get("StringEquals", {}).get("cloudwatch:namespace")
    )


def alarms_on(namespace: str, metric: str, dimension: str, value: Any) -> list[dict[str, Any]]:
    """The properties of every alarm on ``metric`` of ``namespace`` with the dimension ``dimension`` = ``value``."""
    return [
        alarm["Properties"]
        for alarm in ALARMS.values()
        if (alarm["Properties"].get("Namespace"), alarm["Properties"].get("MetricName")) == (namespace, metric)
        and {"Name": dimension, "Value": value} in alarm["Properties"].get("Dimensions", [])
    ]


def dead_letter_targets() -> dict[str, set[str]]:
    """Every place a failure is sent: queue redrives, async on-failure destinations, schedule and rule DLQs."""
    targets: dict[str, set[str]] = {}

    def add(target: Any, origin: str) -> None:
        targets.setdefault(text_of(target), set()).add(origin)

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
    for name, rule in of_type("AWS::Events::Rule").items():
        for target in rule["Properties"]["Targets"]:
            add(target["DeadLetterConfig"]["Arn"], name)
    return targets


def queue_consumers(queue: str) -> list[tuple[str, dict[str, Any]]]:
    """(function, SQS event properties) for every function fed by the queue."""
    return [
        (name, event["Properties"])
        for name, function in FUNCTIONS.items()
        for event in function["Properties"].get("Events", {}).values()
        if event["Type"] == "SQS" and text_of(event["Properties"]["Queue"]) == f"${{{queue}.Arn}}"
    ]
