"""The gold stage: the Glue job, its role (reads silver, writes only gold), its encryption, and the Data Catalog
(one projected, partitioned table per silver dataset and gold table, columns from the schemas)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.paths import REPO_ROOT
from tests.support.template import (
    RESOURCES,
    WRITE_ACTIONS,
    actions_of,
    as_list,
    is_namespaced_put_metric_data,
    of_type,
    role_statements,
    text_of,
)

GOLD_JOB = RESOURCES["BuildGoldJob"]["Properties"]


def test_gold_job_runs_the_gold_script_on_glue_5_with_two_g1x_workers() -> None:
    assert GOLD_JOB["GlueVersion"] in ("5.0", "5.1")
    assert (GOLD_JOB["WorkerType"], GOLD_JOB["NumberOfWorkers"]) == ("G.1X", 2)
    assert GOLD_JOB["Command"]["Name"] == "glueetl"
    assert GOLD_JOB["Command"]["ScriptLocation"] == {"Fn::GetAtt": ["GlueArtifacts", "ScriptLocation"]}
    assert (REPO_ROOT / "glue" / "build_gold.py").is_file()
    assert text_of(GOLD_JOB["Role"]) == "${BuildGoldJobRole.Arn}"
    # One run at a time: TriggerGlueFunction relies on it (two runs would replace the same partitions).
    assert GOLD_JOB["ExecutionProperty"]["MaxConcurrentRuns"] == 1
    assert GOLD_JOB["SecurityConfiguration"] == {"Ref": "BuildGoldSecurityConfiguration"}


def test_gold_job_default_arguments() -> None:
    arguments = GOLD_JOB["DefaultArguments"]
    assert arguments["--lake"] == {"Fn::Sub": "s3://${LakeBucket}/"}
    assert arguments["--extra-py-files"] == {"Fn::GetAtt": ["GlueArtifacts", "PackageLocation"]}
    assert arguments["--enable-metrics"] == "true"
    assert arguments["--job-bookmark-option"] == "job-bookmark-disable"
    assert arguments["--conf"] == "spark.sql.sources.partitionOverwriteMode=dynamic"


def test_the_deploy_publishes_the_job_artifacts_and_republishes_when_either_changes() -> None:
    # GIVEN the custom resource the job's locations come from
    artifacts = RESOURCES["GlueArtifacts"]
    assert artifacts["Type"] == "Custom::GlueArtifacts"
    properties = artifacts["Properties"]
    assert properties["ServiceToken"] == {"Fn::GetAtt": ["PublishGlueArtifactsFunction", "Arn"]}
    # THEN a new layer (the package) or a new function version (the linked script) changes its properties, which is
    # what makes CloudFormation send the Update that publishes them
    assert properties["CommonLayerVersion"] == {"Ref": "CommonLayer"}
    assert properties["PublisherVersion"] == {"Ref": "PublishGlueArtifactsFunction.Version"}
    publisher = RESOURCES["PublishGlueArtifactsFunction"]["Properties"]
    assert publisher["AutoPublishAlias"] and publisher["CodeUri"] == "functions/publish_glue_artifacts/"
    # AND its folder carries the job script as a link to glue/ (sam build copies the target), not a second copy
    link = REPO_ROOT / "functions" / "publish_glue_artifacts" / "build_gold.py"
    assert link.is_symlink() and link.resolve() == (REPO_ROOT / "glue" / "build_gold.py").resolve()


def test_the_publisher_may_only_add_objects_under_the_prefix_the_job_reads() -> None:
    statements = role_statements("PublishGlueArtifactsRole")
    s3 = [statement for statement in statements if any(a.startswith("s3:") for a in actions_of(statement))]
    assert [(actions_of(statement), text_of(statement["Resource"])) for statement in s3] == [
        ({"s3:putobject"}, "${LakeBucket.Arn}/artifacts/glue/*")
    ]
    readable = {
        text_of(resource)
        for statement in role_statements("BuildGoldJobRole")
        if "s3:getobject" in actions_of(statement)
        for resource in as_list(statement["Resource"])
    }
    assert "${LakeBucket.Arn}/artifacts/glue/*" in readable


def test_gold_job_role_is_assumed_by_glue_with_the_trust_glue_documents() -> None:
    # GIVEN the gold job's role
    [trust] = RESOURCES["BuildGoldJobRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    # THEN only Glue may assume it, and without a condition on a key Glue does not send (aws:SourceAccount would
    # evaluate false on every AssumeRole and no run would start)
    assert trust["Principal"] == {"Service": "glue.amazonaws.com"}
    assert trust["Action"] == "sts:AssumeRole"
    assert "Condition" not in trust


def test_gold_job_role_reads_silver_and_writes_only_gold() -> None:
    readable, writable, listable = set(), set(), set()
    for statement in role_statements("BuildGoldJobRole"):
        assert statement["Effect"] == "Allow"
        actions = actions_of(statement)
        resources = {text_of(resource) for resource in as_list(statement["Resource"])}
        s3_actions = {action for action in actions if action.startswith("s3:")}
        if not s3_actions:
            continue
        assert s3_actions == actions, f"{statement.get('Sid')}: mixes S3 with other services"
        if actions == {"s3:listbucket"}:
            assert resources == {"${LakeBucket.Arn}"}
            listable |= set(as_list(statement["Condition"]["StringLike"]["s3:prefix"]))
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
    statements = role_statements("BuildGoldJobRole")
    [kms] = [s for s in statements if any(a.startswith("kms:") for a in actions_of(s))]
    assert actions_of(kms) == {"kms:generatedatakey", "kms:decrypt"}
    assert text_of(kms["Resource"]) == "${LakeKey.Arn}"
    assert kms["Condition"]["StringEquals"]["kms:ViaService"] == {"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"}
    [logs] = [s for s in statements if any(a.startswith("logs:") for a in actions_of(s))]
    assert all(":log-group:/aws-glue/jobs/" in text_of(resource) for resource in as_list(logs["Resource"]))
    [metrics] = [s for s in statements if any(a.startswith("cloudwatch:") for a in actions_of(s))]
    assert is_namespaced_put_metric_data(metrics)
    assert metrics["Condition"]["StringEquals"]["cloudwatch:namespace"] == "Glue"


def test_gold_job_encrypts_its_s3_writes_with_the_lake_key() -> None:
    configuration = RESOURCES["BuildGoldSecurityConfiguration"]["Properties"]["EncryptionConfiguration"]
    [s3] = configuration["S3Encryptions"]
    assert s3["S3EncryptionMode"] == "SSE-KMS"
    assert text_of(s3["KmsKeyArn"]) == "${LakeKey.Arn}"


CATALOG_TABLES = {
    resource["Properties"]["TableInput"]["Name"]: resource["Properties"]
    for resource in of_type("AWS::Glue::Table").values()
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
    from energylake.contracts.schemas import GOLD_TABLES, SILVER_TABLES

    silver = [(f"silver_{name}", f"silver/dataset={name}", schema) for name, schema in SILVER_TABLES.items()]
    gold = [(f"gold_{name}", f"gold/{name}", schema) for name, schema in GOLD_TABLES.items()]
    return silver + gold


CATALOG_EXPECTATIONS = _catalog_expectations()


def test_the_catalog_has_a_table_per_silver_dataset_and_gold_table_and_nothing_else() -> None:
    assert set(CATALOG_TABLES) == {name for name, _, _ in CATALOG_EXPECTATIONS}
    database = RESOURCES["LakeDatabase"]["Properties"]["DatabaseInput"]
    # Named from the stack, not the stage: two stacks of one stage (a second dev stack) must not collide.
    assert database["Name"] == {"Fn::Join": ["_", {"Fn::Split": ["-", {"Ref": "AWS::StackName"}]}]}
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
    assert not of_type("AWS::Glue::Crawler"), "partitions are projected (see the LakeDatabase comment)"
