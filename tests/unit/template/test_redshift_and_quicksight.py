"""The warehouse: LoadRedshiftFunction's Data API permissions and configuration, the optional Serverless warehouse
with its setup and COPY role, and the optional QuickSight data source over the warehouse (the data sets, analysis and
dashboard generated from the chart list: test_quicksight.py)."""

from __future__ import annotations

import json

from tests.support.paths import REPO_ROOT
from tests.support.template import (
    FUNCTIONS,
    RESOURCES,
    TEMPLATE,
    WRITE_ACTIONS,
    actions_of,
    as_list,
    conditional_statements,
    function_statements,
    role_statements,
    text_of,
)


def test_load_redshift_reaches_only_the_configured_warehouse_through_the_data_api() -> None:
    guarded = conditional_statements("LoadRedshiftFunction")
    assert set(guarded) == {"RedshiftIsServerless", "RedshiftIsProvisioned", "UsesAWarehouse"}
    serverless = {s["Sid"]: s for s in guarded["RedshiftIsServerless"]}
    assert set(serverless) == {"RunStatementsOnTheWorkgroup", "ServerlessCredentials", "ReadOwnRoleTagsAtSignIn"}
    # running SQL and signing in are scoped to the workgroup: the created one, else any of this account and region
    # (a workgroup's ARN holds its id, not the name the parameter gives)
    for sid, actions in (
        ("RunStatementsOnTheWorkgroup", {"redshift-data:batchexecutestatement", "redshift-data:executestatement"}),
        ("ServerlessCredentials", {"redshift-serverless:getcredentials"}),
    ):
        statement = serverless[sid]
        assert actions_of(statement) == actions
        condition, created, existing = statement["Resource"]["Fn::If"]
        assert condition == "CreateServerlessWarehouse"
        assert created == {"Fn::GetAtt": ["WarehouseWorkgroup", "Workgroup.WorkgroupArn"]}
        assert text_of(existing).endswith(":workgroup/*") and "${AWS::AccountId}" in text_of(existing)
    # the RedshiftDbRoles tag is read at sign-in (AWS documents tag:GetResources and tag:GetTagKeys for it)
    assert actions_of(serverless["ReadOwnRoleTagsAtSignIn"]) == {"tag:getresources", "tag:gettagkeys"}
    provisioned = {s["Sid"]: s for s in guarded["RedshiftIsProvisioned"]}
    assert set(provisioned) == {"RunStatementsOnTheCluster", "ClusterCredentials"}
    assert text_of(provisioned["RunStatementsOnTheCluster"]["Resource"]).endswith(":cluster:${RedshiftClusterId}")
    assert actions_of(provisioned["ClusterCredentials"]) == {"redshift:getclustercredentials"}
    resources = {text_of(r) for r in as_list(provisioned["ClusterCredentials"]["Resource"])}
    assert all("${RedshiftClusterId}" in resource for resource in resources)
    # following statements: only those this role ran, and only when there is a warehouse at all
    [follow] = guarded["UsesAWarehouse"]
    assert actions_of(follow) == {
        "redshift-data:describestatement",
        "redshift-data:getstatementresult",
        "redshift-data:cancelstatement",
    }
    assert follow["Condition"] == {"StringEquals": {"redshift-data:statement-owner-iam-userid": "${aws:userid}"}}
    # every Redshift permission is conditional: a stack without a warehouse grants none
    unguarded = [
        s
        for s in function_statements("LoadRedshiftFunction")
        if any(a.startswith(("redshift", "tag:")) for a in actions_of(s))
    ]
    assert len(unguarded) == sum(len(statements) for statements in guarded.values())


def test_the_loaders_role_carries_the_database_role_serverless_grants_at_sign_in() -> None:
    tags = RESOURCES["LoadRedshiftRole"]["Properties"]["Tags"]
    assert {"Key": "RedshiftDbRoles", "Value": "energylake_loader"} in tags
    from energylake.warehouse.redshift.setup import LOADER_ROLE

    assert LOADER_ROLE == "energylake_loader"  # the role the setup creates and grants CREATE on the schema


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
    from energylake.settings import Settings

    fields = {f"ENERGYLAKE_{name.upper()}" for name in Settings.model_fields if name.startswith("redshift_")}
    assert set(variables) <= fields
    # No VPC (the Data API is an AWS endpoint), no driver and no pyarrow in the package
    assert "VpcConfig" not in properties
    requirements = (REPO_ROOT / properties["CodeUri"] / "requirements.txt").read_text()
    installed = {line.split(">")[0].split("=")[0].strip() for line in requirements.splitlines() if line[:1].isalpha()}
    assert installed == {"sqlglot"}


def test_conditions_are_wired() -> None:
    conditions = TEMPLATE["Conditions"]
    assert conditions["CreateServerlessWarehouse"] == {"Fn::Equals": [{"Ref": "CreateRedshiftServerless"}, "true"]}
    assert conditions["RedshiftIsServerless"] == {"Fn::Equals": [{"Ref": "RedshiftMode"}, "serverless"]}
    assert conditions["RedshiftIsProvisioned"] == {"Fn::Equals": [{"Ref": "RedshiftMode"}, "provisioned"]}
    assert conditions["UsesAWarehouse"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "RedshiftMode"}, "none"]}]}
    assert conditions["CreateCopyRole"] == {
        "Fn::And": [{"Condition": "CreateServerlessWarehouse"}, {"Fn::Equals": [{"Ref": "RedshiftCopyRoleArn"}, ""]}]
    }
    for created in ("WarehouseNamespace", "WarehouseWorkgroup", "WarehouseSetup", "WarehouseSetupFunction"):
        assert RESOURCES[created]["Condition"] == "CreateServerlessWarehouse", created
    assert RESOURCES["WarehouseCopyRole"]["Condition"] == "CreateCopyRole"
    assert TEMPLATE["Parameters"]["RedshiftMode"]["AllowedValues"] == ["serverless", "provisioned", "none"]
    assert TEMPLATE["Parameters"]["RedshiftMode"]["Default"] == "none"
    assert set(TEMPLATE["Rules"]) >= {
        "CreatedWarehouseIsServerless",
        "CreatedWorkgroupNeedsSubnets",
        "ExistingWarehouseNeedsCopyRole",
    }


def test_a_created_workgroup_without_subnets_is_refused_with_a_reason() -> None:
    # The loader needs no network (Data API); where the workgroup lives is the operator's choice, so the stack
    # refuses to guess (it would land in whatever default VPC exists, or fail where none does).
    rule = TEMPLATE["Rules"]["CreatedWorkgroupNeedsSubnets"]
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "CreateRedshiftServerless"}, "true"]}
    [assertion] = rule["Assertions"]
    assert assertion["Assert"] == {"Fn::Not": [{"Fn::Contains": [{"Ref": "RedshiftSubnetIds"}, ""]}]}
    assert "needs RedshiftSubnetIds" in assertion["AssertDescription"]
    assert "Redshift Data API" in assertion["AssertDescription"]
    workgroup = RESOURCES["WarehouseWorkgroup"]["Properties"]
    assert workgroup["SubnetIds"] == {
        "Fn::If": ["WorkgroupSubnetsGiven", {"Ref": "RedshiftSubnetIds"}, {"Ref": "AWS::NoValue"}]
    }


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


def test_a_created_namespace_is_set_up_at_deploy_time_as_its_admin() -> None:
    # GIVEN the setup custom resource of a created namespace
    setup = RESOURCES["WarehouseSetup"]["Properties"]
    assert setup["ServiceToken"] == {"Fn::GetAtt": ["WarehouseSetupFunction", "Arn"]}
    assert (setup["WorkgroupName"], setup["NamespaceName"]) == (
        {"Ref": "WarehouseWorkgroup"},
        {"Ref": "WarehouseNamespace"},
    )
    assert (setup["Database"], setup["SchemaName"]) == ({"Ref": "RedshiftDatabase"}, {"Ref": "RedshiftSchema"})
    assert setup["LoaderUsers"] == [{"Fn::Sub": "IAMR:${LoadRedshiftRole}"}]
    assert setup["ReaderUsers"] == {"Fn::If": ["ReaderUserGiven", [{"Ref": "RedshiftReaderUser"}], []]}
    # ... re-run when the code that writes the setup changes
    assert setup["SetupFunctionVersion"] == {"Ref": "WarehouseSetupFunction.Version"}
    assert setup["CommonLayerVersion"] == {"Ref": "CommonLayer"}
    # THEN its function runs SQL on that workgroup only, follows only its own statements, and reads only the admin
    # secret Redshift manages for that namespace (found through GetNamespace on that namespace)
    by_sid = {s["Sid"]: s for s in role_statements("WarehouseSetupRole")}
    assert actions_of(by_sid["RunStatementsOnTheWorkgroup"]) == {"redshift-data:executestatement"}
    assert by_sid["RunStatementsOnTheWorkgroup"]["Resource"] == {
        "Fn::GetAtt": ["WarehouseWorkgroup", "Workgroup.WorkgroupArn"]
    }
    assert by_sid["FollowOwnStatements"]["Condition"] == {
        "StringEquals": {"redshift-data:statement-owner-iam-userid": "${aws:userid}"}
    }
    assert by_sid["FindTheAdminSecret"]["Resource"] == {"Fn::GetAtt": ["WarehouseNamespace", "Namespace.NamespaceArn"]}
    assert text_of(by_sid["AdminSecret"]["Resource"]).endswith(":secret:redshift!${WarehouseNamespace}-*")
    assert FUNCTIONS["WarehouseSetupFunction"]["Properties"]["CodeUri"] == "functions/warehouse_setup/"


def test_copy_role_reads_the_loadable_zones_and_the_copy_manifests_only() -> None:
    trust = RESOURCES["WarehouseCopyRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert {service for s in trust for service in as_list(s["Principal"]["Service"])} == {
        "redshift.amazonaws.com",
        "redshift-serverless.amazonaws.com",
    }
    # the condition Redshift documents (the database user's ARN arrives as the external ID), not aws:SourceAccount
    for statement in trust:
        assert statement["Condition"] == {
            "StringLike": {
                "sts:ExternalId": {
                    "Fn::Sub": "arn:${AWS::Partition}:redshift:${AWS::Region}:${AWS::AccountId}:dbuser:*"
                }
            }
        }
    for statement in role_statements("WarehouseCopyRole"):
        actions = actions_of(statement)
        assert not actions & WRITE_ACTIONS
        assert actions <= {"s3:getobject", "s3:listbucket", "kms:decrypt"}, statement.get("Sid")
        if "s3:getobject" in actions:
            # COPY ... MANIFEST reads the manifest the loader wrote with this role too
            assert {text_of(r) for r in as_list(statement["Resource"])} == {
                "${LakeBucket.Arn}/silver/*",
                "${LakeBucket.Arn}/gold/*",
                "${LakeBucket.Arn}/artifacts/redshift/copy-manifests/*",
            }


QUICKSIGHT = {name: r for name, r in RESOURCES.items() if r["Type"].startswith("AWS::QuickSight::")}


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
