"""What each function's own code may do: the fetchers write only their source's raw prefix, ValidateFunction reads
raw and writes the curated zones, the orchestration functions read or start only what they need; and the variables
the plan function is configured with."""

from __future__ import annotations

import pytest

from tests.support.template import (
    FETCH_SOURCES,
    FUNCTIONS,
    GOLD_JOB_ARN,
    S3_OBJECT_ACTIONS,
    TEMPLATE,
    actions_of,
    as_list,
    code_statements,
    function_statements,
    text_of,
)


@pytest.mark.parametrize(("function", "source"), sorted(FETCH_SOURCES.items()))
def test_fetch_function_touches_only_its_source_prefix(function: str, source: str) -> None:
    prefix = f"raw/source={source}/*"
    s3_statements = [s for s in function_statements(function) if any(a.startswith("s3:") for a in actions_of(s))]
    assert s3_statements, f"{function} has no S3 permissions"
    for statement in s3_statements:
        actions = actions_of(statement)
        resources = {text_of(resource) for resource in as_list(statement["Resource"])}
        if actions & S3_OBJECT_ACTIONS:
            assert resources == {f"${{LakeBucket.Arn}}/{prefix}"}, statement.get("Sid")
            assert actions <= {"s3:getobject", "s3:putobject"}, "fetch only reads and writes, never deletes"
        else:
            assert actions == {"s3:listbucket"}, statement.get("Sid")
            assert resources == {"${LakeBucket.Arn}"}
            assert statement["Condition"]["StringLike"]["s3:prefix"] == prefix


@pytest.mark.parametrize("function", sorted(FETCH_SOURCES))
def test_fetch_function_uses_the_lake_key_only_through_s3(function: str) -> None:
    [statement] = [s for s in function_statements(function) if any(a.startswith("kms:") for a in actions_of(s))]
    assert actions_of(statement) == {"kms:generatedatakey", "kms:decrypt"}
    assert text_of(statement["Resource"]) == "${LakeKey.Arn}"
    assert statement["Condition"]["StringEquals"]["kms:ViaService"] == {"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"}


CURATED_ZONES = ("silver", "quality", "quarantine")


def test_validate_function_reads_raw_and_writes_only_the_curated_zones() -> None:
    s3_statements = [
        s for s in function_statements("ValidateFunction") if any(a.startswith("s3:") for a in actions_of(s))
    ]
    readable, writable = set(), set()
    for statement in s3_statements:
        assert statement["Effect"] == "Allow"
        actions = actions_of(statement)
        resources = {text_of(resource) for resource in as_list(statement["Resource"])}
        if actions == {"s3:listbucket"}:
            assert resources == {"${LakeBucket.Arn}"}
            prefixes = set(as_list(statement["Condition"]["StringLike"]["s3:prefix"]))
            assert prefixes == {"raw/*", *(f"{zone}/*" for zone in CURATED_ZONES)}
            continue
        assert actions <= {"s3:getobject", "s3:putobject", "s3:deleteobject"}, statement.get("Sid")
        if "s3:getobject" in actions:
            readable |= resources
        if actions & {"s3:putobject", "s3:deleteobject"}:
            writable |= resources
    zones = {f"${{LakeBucket.Arn}}/{zone}/*" for zone in CURATED_ZONES}
    assert writable == zones, "ValidateFunction writes silver/, quality/, quarantine/ and nothing else (never raw/)"
    assert readable == zones | {"${LakeBucket.Arn}/raw/*"}


def test_validate_function_uses_the_lake_key_only_through_s3() -> None:
    [statement] = [
        s for s in function_statements("ValidateFunction") if any(a.startswith("kms:") for a in actions_of(s))
    ]
    assert actions_of(statement) == {"kms:generatedatakey", "kms:decrypt"}
    assert text_of(statement["Resource"]) == "${LakeKey.Arn}"
    assert statement["Condition"]["StringEquals"]["kms:ViaService"] == {"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"}


def test_trigger_glue_may_only_start_and_watch_the_gold_job() -> None:
    [statement] = code_statements("TriggerGlueFunction")
    assert actions_of(statement) == {"glue:startjobrun", "glue:getjobrun", "glue:getjobruns"}
    assert statement["Resource"] == GOLD_JOB_ARN
    variables = FUNCTIONS["TriggerGlueFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["ENERGYLAKE_GLUE_JOB_NAME"] == {"Ref": "BuildGoldJob"}


def test_build_gold_reads_silver_and_writes_and_replaces_only_gold() -> None:
    # GIVEN the gold function's own permissions (beyond its logs and X-Ray)
    by_sid = {s["Sid"]: s for s in code_statements("BuildGoldFunction")}
    # THEN it reads silver objects, writes and deletes gold objects (a partition's old files), lists only those two
    # zones, and uses the lake key only through S3: nothing under raw/, quality/ or artifacts/, no other service
    assert set(by_sid) == {"ReadSilver", "WriteGold", "ListSilverAndGold", "LakeKeyThroughS3"}
    assert actions_of(by_sid["ReadSilver"]) == {"s3:getobject"}
    assert text_of(by_sid["ReadSilver"]["Resource"]) == "${LakeBucket.Arn}/silver/*"
    assert actions_of(by_sid["WriteGold"]) == {"s3:putobject", "s3:deleteobject"}
    assert text_of(by_sid["WriteGold"]["Resource"]) == "${LakeBucket.Arn}/gold/*"
    listing = by_sid["ListSilverAndGold"]
    assert actions_of(listing) == {"s3:listbucket"}
    assert text_of(listing["Resource"]) == "${LakeBucket.Arn}"
    assert set(listing["Condition"]["StringLike"]["s3:prefix"]) == {"silver/*", "gold/*"}
    key = by_sid["LakeKeyThroughS3"]
    assert actions_of(key) == {"kms:generatedatakey", "kms:decrypt"}
    assert text_of(key["Resource"]) == "${LakeKey.Arn}"
    assert key["Condition"] == {"StringEquals": {"kms:ViaService": {"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"}}}


def test_the_gold_function_and_the_planner_share_one_window_limit() -> None:
    # GIVEN the two functions that read the limit: the planner chooses the engine, the gold function refuses more
    gold = FUNCTIONS["BuildGoldFunction"]["Properties"]["Environment"]["Variables"]
    planner = FUNCTIONS["PlanRunFunction"]["Properties"]["Environment"]["Variables"]
    # THEN both take it from the same parameter, so a window the planner sends to the Lambda is never refused there
    assert gold == {"ENERGYLAKE_GOLD_LAMBDA_MAX_DAYS": {"Ref": "GoldLambdaMaxDays"}}
    assert planner["ENERGYLAKE_GOLD_LAMBDA_MAX_DAYS"] == {"Ref": "GoldLambdaMaxDays"}
    parameter = TEMPLATE["Parameters"]["GoldLambdaMaxDays"]
    assert parameter["MinValue"] >= 1
    assert "Glue" in parameter["Description"]


def test_load_redshift_lists_the_loadable_zones_and_writes_only_its_copy_manifests() -> None:
    # It lists the window's objects (and their sizes) for the COPY manifest it writes and deletes; Redshift reads the
    # objects, and the manifest, through the COPY role: the function reads no lake object.
    statements = function_statements("LoadRedshiftFunction")
    by_sid = {s["Sid"]: s for s in statements if any(a.startswith(("s3:", "kms:")) for a in actions_of(s))}
    assert set(by_sid) == {"ListLoadableZones", "WriteCopyManifests", "LakeKeyThroughS3"}
    listing = by_sid["ListLoadableZones"]
    assert actions_of(listing) == {"s3:listbucket"}
    assert text_of(listing["Resource"]) == "${LakeBucket.Arn}"
    assert set(listing["Condition"]["StringLike"]["s3:prefix"]) == {"silver/*", "gold/*"}
    manifests = by_sid["WriteCopyManifests"]
    assert actions_of(manifests) == {"s3:putobject", "s3:deleteobject"}
    assert text_of(manifests["Resource"]) == "${LakeBucket.Arn}/artifacts/redshift/copy-manifests/*"
    from energylake.lake.layout import REDSHIFT_MANIFESTS_PREFIX

    assert text_of(manifests["Resource"]).endswith(f"/{REDSHIFT_MANIFESTS_PREFIX}*")
    key = by_sid["LakeKeyThroughS3"]
    assert actions_of(key) == {"kms:generatedatakey"}  # to write an SSE-KMS object; nothing to decrypt
    assert key["Condition"] == {"StringEquals": {"kms:ViaService": {"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"}}}


PLAN_VARIABLES = {
    "ENERGYLAKE_GATE_POLL_SECONDS": ("GatePollSeconds", 30),
    "ENERGYLAKE_GATE_MAX_POLLS": ("GateMaxPolls", 40),
    "ENERGYLAKE_GLUE_POLL_SECONDS": ("GluePollSeconds", 60),
    "ENERGYLAKE_GLUE_MAX_POLLS": ("GlueMaxPolls", 120),
    "ENERGYLAKE_GOLD_LAMBDA_MAX_DAYS": ("GoldLambdaMaxDays", 2),
    "ENERGYLAKE_BACKFILL_CHUNK_DAYS": ("BackfillChunkDays", 7),
    "ENERGYLAKE_BACKFILL_MAX_CONCURRENCY": ("BackfillMaxConcurrency", 1),
    "ENERGYLAKE_BACKFILL_TOLERATED_FAILURE_PERCENT": ("BackfillToleratedFailurePercent", 10),
}


def test_plan_run_is_configured_from_the_parameters_and_calls_no_aws_api() -> None:
    properties = FUNCTIONS["PlanRunFunction"]["Properties"]
    variables = properties["Environment"]["Variables"]
    assert variables == {variable: {"Ref": parameter} for variable, (parameter, _) in PLAN_VARIABLES.items()}
    for parameter, default in PLAN_VARIABLES.values():
        assert TEMPLATE["Parameters"][parameter]["Type"] == "Number"
        assert TEMPLATE["Parameters"][parameter]["Default"] == default
    assert not code_statements("PlanRunFunction"), "PlanRunFunction is pure: no AWS permission beyond logs and X-Ray"
    assert {s["Sid"] for s in function_statements("PlanRunFunction")} == {"OwnLogGroup", "XRayTracing"}
    # The variables are the ones the settings read, and the defaults agree with the code's.
    from energylake.settings import Settings

    fields = Settings.model_fields
    for variable, (_, default) in PLAN_VARIABLES.items():
        field = variable.removeprefix("ENERGYLAKE_").lower()
        assert field in fields, variable
        assert fields[field].default == default, variable


def test_quality_gate_only_reads_manifests_and_quality_reports() -> None:
    statements = code_statements("QualityGateFunction")
    readable: set[str] = set()
    for statement in statements:
        actions = actions_of(statement)
        if actions == {"s3:getobject"}:
            readable |= {text_of(resource) for resource in as_list(statement["Resource"])}
        elif actions == {"s3:listbucket"}:
            assert text_of(statement["Resource"]) == "${LakeBucket.Arn}"
            assert set(statement["Condition"]["StringLike"]["s3:prefix"]) == {"raw/*", "quality/*"}
        elif actions == {"kms:decrypt"}:
            assert text_of(statement["Resource"]) == "${LakeKey.Arn}"
            assert statement["Condition"]["StringEquals"]["kms:ViaService"] == {
                "Fn::Sub": "s3.${AWS::Region}.amazonaws.com"
            }
        else:
            pytest.fail(f"QualityGateFunction: unexpected permissions {sorted(actions)}")
    assert readable == {"${LakeBucket.Arn}/raw/*", "${LakeBucket.Arn}/quality/*"}


def test_start_run_may_only_start_and_describe_the_pipeline() -> None:
    properties = FUNCTIONS["StartRunFunction"]["Properties"]
    assert properties["Environment"]["Variables"] == {
        "ENERGYLAKE_PIPELINE_STATE_MACHINE_ARN": {"Ref": "PipelineStateMachine"}
    }
    by_action = {frozenset(actions_of(s)): s for s in code_statements("StartRunFunction")}
    assert set(by_action) == {frozenset({"states:startexecution"}), frozenset({"states:describeexecution"})}
    assert by_action[frozenset({"states:startexecution"})]["Resource"] == {"Ref": "PipelineStateMachine"}
    describe = text_of(by_action[frozenset({"states:describeexecution"})]["Resource"])
    assert describe.endswith(":execution:${PipelineStateMachine.Name}:*")
