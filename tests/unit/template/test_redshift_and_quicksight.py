"""The warehouse: LoadRedshiftFunction's database credentials and configuration, the optional Serverless warehouse
and its COPY role, and the optional QuickSight data sets over the warehouse's gold tables."""

from __future__ import annotations

import json
from typing import Any

import pytest

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


def test_load_redshift_gets_database_credentials_only_for_the_configured_warehouse() -> None:
    guarded = conditional_statements("LoadRedshiftFunction")
    assert set(guarded) == {"RedshiftIsServerless", "RedshiftIsProvisioned", "LoadInVpc"}
    [serverless] = guarded["RedshiftIsServerless"]
    assert actions_of(serverless) == {"redshift-serverless:getcredentials", "redshift-serverless:getworkgroup"}
    created, existing = serverless["Resource"]["Fn::If"][1:]
    assert serverless["Resource"]["Fn::If"][0] == "CreateServerlessWarehouse"
    assert created == {"Fn::GetAtt": ["WarehouseWorkgroup", "Workgroup.WorkgroupArn"]}
    assert text_of(existing).endswith(":workgroup/*") and "${AWS::AccountId}" in text_of(existing)
    provisioned = {action for statement in guarded["RedshiftIsProvisioned"] for action in actions_of(statement)}
    assert provisioned == {"redshift:getclustercredentials", "redshift:describeclusters"}
    resources = {text_of(r) for s in guarded["RedshiftIsProvisioned"] for r in as_list(s["Resource"])}
    assert all("${RedshiftClusterId}" in resource for resource in resources)
    # Every Redshift permission is conditional: a stack without a warehouse grants none.
    unguarded = [s for s in function_statements("LoadRedshiftFunction") if any("redshift" in a for a in actions_of(s))]
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
    from energylake.settings import Settings

    fields = {f"ENERGYLAKE_{name.upper()}" for name in Settings.model_fields if name.startswith("redshift_")}
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
            assert {text_of(r) for r in as_list(statement["Resource"])} == {
                f"${{LakeBucket.Arn}}/{zone}/*" for zone in ("silver", "gold")
            }


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
