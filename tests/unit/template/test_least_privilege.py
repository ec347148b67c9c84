"""IAM least privilege over every policy document of the template: no wildcard actions, "*" resources only where
an action has no resource-level permission, curated zones written only by their writers; and the ERCOT secret:
never in the template, read by the ERCOT fetcher alone, never in a function's environment."""

from __future__ import annotations

import json

from tests.support.template import (
    FUNCTIONS,
    GLOBAL_FUNCTION,
    RESOURCES,
    STAR_RESOURCE_ACTIONS,
    STAR_STATEMENTS,
    TEMPLATE,
    WRITE_ACTIONS,
    actions_of,
    all_statements,
    as_list,
    function_role,
    is_namespaced_put_metric_data,
    text_of,
)


def test_no_statement_allows_every_action() -> None:
    offenders = [
        (name, statement.get("Sid"))
        for name, statement in all_statements()
        if statement["Effect"] == "Allow" and actions_of(statement) & {"*", "s3:*"}
    ]
    assert not offenders


def test_no_action_is_a_wildcard() -> None:
    # No "*" and no "service:*" (nor a partial wildcard such as "s3:Get*") in any Allow, except the KMS key policies'
    # account-root delegation (kms:* on "this key"), the required form for a key policy.
    offenders = []
    for name, statement in all_statements():
        if statement["Effect"] != "Allow":
            continue
        if RESOURCES[name]["Type"] == "AWS::KMS::Key" and statement.get("Principal") == {
            "AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
        }:
            continue
        wild = {action for action in actions_of(statement) if "*" in action}
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
    for name, statement in all_statements():
        if statement["Effect"] != "Allow" or RESOURCES[name]["Type"] == "AWS::KMS::Key":
            continue
        if is_namespaced_put_metric_data(statement):
            continue
        allowed = STAR_RESOURCE_ACTIONS
        if "*" in as_list(statement["Resource"]) and not actions_of(statement) <= allowed:
            offenders.append((name, statement.get("Sid"), sorted(actions_of(statement) - allowed)))
    assert not offenders


def test_the_star_resource_allow_list_is_used_where_expected() -> None:
    # The allow-list is not a loophole: only the state machines' X-Ray and log-delivery statements, the functions'
    # X-Ray statements, and the warehouse roles' Data API statement-following and role-tag reading use it.
    users = {
        (name, statement.get("Sid"))
        for name, statement in all_statements()
        if statement["Effect"] == "Allow" and actions_of(statement) & STAR_RESOURCE_ACTIONS
    }
    assert users == (
        {
            (machine, sid)
            for machine in ("PipelineStateMachine", "BackfillStateMachine")
            for sid in ("XRayTracing", "CloudWatchLogsDelivery")
        }
        | {(function_role(function), "XRayTracing") for function in FUNCTIONS}
        | set(STAR_STATEMENTS)
    )


def test_only_the_gold_builders_and_validate_write_curated_zones() -> None:
    # No role other than the two gold engines' (the Glue job, the gold Lambda for short windows) writes gold/, and
    # none but ValidateFunction writes silver/.
    gold_writers = {"BuildGoldJobRole", function_role("BuildGoldFunction")}
    writers = set()
    for name, statement in all_statements():
        if statement["Effect"] != "Allow" or not actions_of(statement) & WRITE_ACTIONS:
            continue
        resources = {text_of(resource) for resource in as_list(statement["Resource"])}
        if any("/gold/" in resource for resource in resources):
            assert name in gold_writers, (name, statement.get("Sid"))
            writers.add(name)
        if any("/silver/" in resource for resource in resources):
            assert name == function_role("ValidateFunction"), (name, statement.get("Sid"))
    assert writers == gold_writers


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
        for name, statement in all_statements()
        if any(action.startswith("secretsmanager:") for action in actions_of(statement))
    }
    # ... and the warehouse setup reads only the admin secret Redshift manages for the namespace the stack created
    account = "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}"
    admin = {"Fn::Sub": f"{account}:secret:redshift!${{WarehouseNamespace}}-*"}
    assert readers == {"FetchErcotRole": CHOSEN_SECRET, "WarehouseSetupRole": admin}
    assert function_role("FetchErcotFunction") == "FetchErcotRole"
    variables = FUNCTIONS["FetchErcotFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["ENERGYLAKE_ERCOT_SECRET_ARN"] == CHOSEN_SECRET
    assert variables["ENERGYLAKE_ERCOT_REQUESTS_PER_MINUTE"] == {"Ref": "ErcotRequestsPerMinute"}


def test_no_secret_in_any_function_environment() -> None:
    # The premise of the CKV_AWS_173 skips: variables hold names, ARNs, limits, never credentials.
    suspicious = ("PASSWORD", "TOKEN", "SUBSCRIPTION_KEY", "ACCESS_KEY")
    for name in FUNCTIONS:
        variables = FUNCTIONS[name]["Properties"].get("Environment", {}).get("Variables", {})
        variables = {**GLOBAL_FUNCTION["Environment"]["Variables"], **variables}
        for variable in variables:
            assert not any(word in variable for word in suspicious), (name, variable)
