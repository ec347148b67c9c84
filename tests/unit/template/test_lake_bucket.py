"""The lake bucket: versioned, SSE-KMS with a rotated key, private, TLS only, tiered, logged, retained, and
named validly for any stack."""

from __future__ import annotations

import pytest

from energylake.lake.layout import ZONES
from tests.support.template import LAKE, LAKE_BUCKET_NAME, RESOURCES, TEMPLATE, actions_of, as_list, of_type, text_of


def test_lake_bucket_is_versioned() -> None:
    assert LAKE["VersioningConfiguration"] == {"Status": "Enabled"}


def test_lake_bucket_uses_sse_kms_with_a_bucket_key() -> None:
    [rule] = LAKE["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert text_of(rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]) == "${LakeKey.Arn}"
    assert RESOURCES["LakeKey"]["Type"] == "AWS::KMS::Key"
    assert RESOURCES["LakeKey"]["Properties"]["EnableKeyRotation"] is True
    assert rule["BucketKeyEnabled"] is True


@pytest.mark.parametrize("bucket", sorted(of_type("AWS::S3::Bucket")))
def test_every_bucket_blocks_public_access_and_acls(bucket: str) -> None:
    properties = RESOURCES[bucket]["Properties"]
    block = properties["PublicAccessBlockConfiguration"]
    assert block == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
    )
    assert properties["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]


@pytest.mark.parametrize("bucket", sorted(of_type("AWS::S3::Bucket")))
def test_every_bucket_refuses_plain_http(bucket: str) -> None:
    policies = [
        resource["Properties"]["PolicyDocument"]
        for resource in of_type("AWS::S3::BucketPolicy").values()
        if resource["Properties"]["Bucket"] == {"Ref": bucket}
    ]
    assert policies, f"{bucket} has no bucket policy"
    denials = [
        statement
        for document in policies
        for statement in as_list(document["Statement"])
        if statement["Effect"] == "Deny"
        and statement.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") in ("false", False)
    ]
    assert denials, f"{bucket}: no Deny on aws:SecureTransport=false"
    covered = {text_of(resource) for statement in denials for resource in as_list(statement["Resource"])}
    assert {f"${{{bucket}.Arn}}", f"${{{bucket}.Arn}}/*"} <= covered
    assert any(actions_of(statement) & {"s3:*"} for statement in denials)


def test_raw_zone_tiers_down_and_old_versions_expire() -> None:
    rules = {rule.get("Prefix"): rule for rule in LAKE["LifecycleConfiguration"]["Rules"]}
    raw = rules["raw/"]
    assert raw["Status"] == "Enabled"
    assert {(t["StorageClass"], t["TransitionInDays"]) for t in raw["Transitions"]} == {
        ("STANDARD_IA", 30),
        ("GLACIER_IR", 180),
    }
    assert raw["NoncurrentVersionExpiration"]["NoncurrentDays"] == 365


def test_every_zone_has_a_lifecycle_for_its_old_versions() -> None:
    # GIVEN the versioned lake bucket's lifecycle rules, by prefix
    rules = {
        rule.get("Prefix"): rule for rule in LAKE["LifecycleConfiguration"]["Rules"] if rule["Status"] == "Enabled"
    }
    # THEN every zone the code writes (and the Glue artifacts, the backfill results) expires its noncurrent versions;
    # the zones rewritten in place (gold every 15 minutes) keep them briefly, raw for a year
    prefixes = [f"{zone}/" for zone in ZONES] + ["artifacts/", "backfill-results/"]
    days = {prefix: rules[prefix]["NoncurrentVersionExpiration"]["NoncurrentDays"] for prefix in prefixes}
    assert days["raw/"] == 365
    assert days["gold/"] <= 7
    assert all(0 < value <= 30 for prefix, value in days.items() if prefix != "raw/")


def test_lake_access_is_logged_to_an_expiring_sse_s3_bucket() -> None:
    assert LAKE["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": "AccessLogsBucket"}
    logs = RESOURCES["AccessLogsBucket"]["Properties"]
    [rule] = logs["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert [r["ExpirationInDays"] for r in logs["LifecycleConfiguration"]["Rules"]] == [90]


@pytest.mark.parametrize("name", ["LakeBucket", "LakeKey"])
def test_lake_data_and_key_survive_stack_deletion(name: str) -> None:
    assert RESOURCES[name].get("DeletionPolicy") == "Retain"
    assert RESOURCES[name].get("UpdateReplacePolicy") == "Retain"


def test_lake_bucket_name_is_valid_for_any_stack() -> None:
    # Lower case only (a stack name may have capitals), at most 63 characters with the longest stage and region.
    template, variables = LAKE_BUCKET_NAME
    assert "${AWS::StackName}" not in template
    longest = (
        template.replace("${Stage}", max(TEMPLATE["Parameters"]["Stage"]["AllowedValues"], key=len))
        .replace("${AWS::AccountId}", "123456789012")
        .replace("${AWS::Region}", "ap-southeast-2")
        .replace("${StackSuffix}", "50e2416294e0")
    )
    assert "${" not in longest and len(longest) <= 63 and longest == longest.lower()
    assert set(variables) == {"StackSuffix"}
