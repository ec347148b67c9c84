"""Raw is what it says it is (issue 15, defects 1 and 4), below the CLI: landing repairs an object whose content no
longer matches its name, curation checks every member against its manifest's hash, and a missing manifest is found
and can be rebuilt from the objects' own metadata, never from their current bytes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from energylake.contracts.raw import RawReply
from energylake.curate import curate, rebuild_manifests, unmanifested_for
from energylake.errors import InvalidRequestError
from energylake.fetch import fetch
from energylake.lake.landing import (
    Manifest,
    land_group,
    land_raw,
    list_manifests,
    rebuild_manifest,
    unmanifested_groups,
)
from energylake.lake.storage import LocalStorage, Storage, open_storage
from energylake.sample import connection as sample_connection
from energylake.settings import Settings
from energylake.window import Window

DAY = dt.date(2024, 11, 3)
BODY = b'{"_meta": {"totalPages": 1, "totalRecords": 1}, "data": [["2024-11-03", 2, "HB_NORTH", 23.5, "Y"]]}'
TAMPERED = BODY.replace(b"23.5", b"93.5")


def reply(page: int = 1, total_pages: int = 1, body: bytes = BODY, fetched_minute: int = 0) -> RawReply:
    return RawReply(
        source="ercot",
        dataset="spp_rt",
        day=DAY,
        origin="ercot-api",
        origin_reason="ERCOT API credentials configured",
        method="GET",
        url="https://api.ercot.com/api/public-reports/np6-905-cd/spp_node_zone_hub",
        params={"deliveryDateFrom": "2024-11-03", "deliveryDateTo": "2024-11-03", "page": str(page)},
        status_code=200,
        body=body,
        extension="json",
        fetched_at=dt.datetime(2024, 11, 4, 12, fetched_minute, tzinfo=dt.UTC),
        extra={"page": str(page), "total-pages": str(total_pages)},
    )


def tamper(lake: Storage, key: str, new_body: bytes) -> None:
    """Change an object's bytes in place, its metadata untouched (what an editor or a stray script does)."""
    lake.put(key, new_body, lake.metadata(key))


# --- landing compares content ----------------------------------------------------------------------------------------


def test_refetching_repairs_an_object_whose_content_no_longer_matches_its_name(lake: Storage) -> None:
    # GIVEN a landed reply whose bytes were changed afterwards
    landed = land_raw(lake, reply())
    tamper(lake, landed.key, TAMPERED)
    # WHEN the same reply is landed again (a later fetch)
    again = land_raw(lake, reply(fetched_minute=30))
    # THEN the true bytes are back under the same key, the landing says so, and the metadata keeps the evidence
    assert again.key == landed.key
    assert again.repaired and again.written
    assert lake.get(landed.key) == BODY
    assert lake.metadata(landed.key)["repaired-from-sha256"] == hashlib.sha256(TAMPERED).hexdigest()
    # AND landing it once more is a no-op again
    assert not land_raw(lake, reply(fetched_minute=45)).written


def test_the_repair_is_logged_naming_the_object_and_both_hashes(
    lake: Storage, caplog: pytest.LogCaptureFixture
) -> None:
    landed = land_raw(lake, reply())
    tamper(lake, landed.key, TAMPERED)
    land_raw(lake, reply(fetched_minute=30))
    [record] = [r for r in caplog.records if r.levelname == "WARNING"]
    assert landed.key in record.getMessage()
    assert hashlib.sha256(TAMPERED).hexdigest() in record.getMessage() and landed.sha256 in record.getMessage()


def test_a_group_with_a_repaired_member_gets_a_new_newest_manifest(lake: Storage) -> None:
    # GIVEN a landed and sealed group whose member was changed afterwards
    first = land_group(lake, [reply()])
    tamper(lake, first.members[0].key, TAMPERED)
    # WHEN the group is fetched again
    again = land_group(lake, [reply(fetched_minute=30)])
    # THEN a newer manifest lists the repaired member (on AWS its creation queues the group for curation again)
    assert again.manifest_written and again.manifest_key > first.manifest_key
    assert list_manifests(lake, "ercot", "spp_rt", DAY) == [again.manifest_key]
    assert Manifest.load(lake, again.manifest_key).member_keys == (first.members[0].key,)
    # AND an unchanged refetch still writes no manifest
    assert not land_group(lake, [reply(fetched_minute=45)]).manifest_written


# --- curation checks every member ------------------------------------------------------------------------------------


@pytest.fixture
def sampled(tmp_path: Path) -> tuple[LocalStorage, str]:
    """A local lake holding one sample day of DAM prices, landed and sealed."""
    lake = LocalStorage(tmp_path / "lake")
    connection = sample_connection(Settings(), now=dt.datetime(2024, 11, 8, 12, tzinfo=dt.UTC), throttle_every=0)
    [manifest_key] = fetch(Window(DAY, DAY), "spp_dam", lake, connection).manifests
    return lake, manifest_key


def test_a_changed_member_quarantines_the_group_naming_the_object_and_both_hashes(
    sampled: tuple[LocalStorage, str],
) -> None:
    lake, manifest_key = sampled
    # GIVEN the group was curated once, then one digit of its member changed
    assert curate(manifest_key, lake).status == "passed"
    [member] = Manifest.load(lake, manifest_key).member_keys
    body = lake.get(member)
    changed = body.replace(b"3", b"8", 1)
    tamper(lake, member, changed)
    # WHEN it is curated again
    result = curate(manifest_key, lake)
    # THEN it is quarantined, the reason naming the object and both hashes, and no silver of the group is left
    assert result.status == "failed"
    assert member in result.reason
    assert hashlib.sha256(changed).hexdigest() in result.reason and hashlib.sha256(body).hexdigest() in result.reason
    assert result.silver_keys == [] and list(lake.list("silver/")) == []
    report = json.loads(lake.get(str(result.report_key)))
    assert report["checks"][0]["name"] == "integrity" and report["rows"]["in"] == 0


def test_a_manifest_whose_recorded_hash_was_altered_is_quarantined(sampled: tuple[LocalStorage, str]) -> None:
    lake, manifest_key = sampled
    # GIVEN the manifest's member hash was edited to match changed bytes
    document = json.loads(lake.get(manifest_key))
    document["members"][0]["sha256"] = "f" * 64
    lake.put(manifest_key, json.dumps(document).encode())
    # WHEN curated THEN quarantined: the recorded hash disagrees with the object's name
    result = curate(manifest_key, lake)
    assert result.status == "failed"
    assert "f" * 64 in result.reason and "manifest was altered" in result.reason


# --- objects without a manifest --------------------------------------------------------------------------------------


def test_objects_of_a_group_without_manifest_are_found_with_their_group(lake: Storage) -> None:
    # GIVEN a sealed group whose manifest was then deleted
    landed = land_group(lake, [reply(1, 2), reply(2, 2)])
    lake.delete(landed.manifest_key)
    # WHEN the partition is scanned THEN both objects are found, as one rebuildable group
    [orphans] = unmanifested_groups(lake, "ercot", "spp_rt", DAY)
    assert sorted(orphans.keys) == sorted(member.key for member in landed.members)
    assert (orphans.group, orphans.sealed, orphans.problem) == (landed.group, False, "")
    assert orphans.covered_days == (DAY,)


def test_a_rebuilt_manifest_lists_the_members_in_page_order_with_their_landed_hashes(lake: Storage) -> None:
    # GIVEN a 3-page group whose manifest was deleted
    landed = land_group(lake, [reply(1, 3), reply(2, 3, body=BODY + b" "), reply(3, 3, body=BODY + b"  ")])
    original = Manifest.load(lake, landed.manifest_key)
    lake.delete(landed.manifest_key)
    # WHEN it is rebuilt
    [orphans] = unmanifested_groups(lake, "ercot", "spp_rt", DAY)
    rebuilt = Manifest.load(lake, rebuild_manifest(lake, orphans))
    # THEN it says what the original said, and the scan finds nothing left over
    assert rebuilt.key == original.key
    assert (rebuilt.member_keys, rebuilt.member_sha256) == (original.member_keys, original.member_sha256)
    assert (rebuilt.origin, rebuilt.fetched_at, rebuilt.covered_days) == (
        original.origin,
        original.fetched_at,
        original.covered_days,
    )
    assert unmanifested_groups(lake, "ercot", "spp_rt", DAY) == []


def test_a_group_missing_pages_is_reported_but_never_rebuilt(lake: Storage) -> None:
    # GIVEN page 1 of 2 landed and the fetch died before page 2 and the manifest
    land_raw(lake, reply(1, 2))
    # WHEN the window's groups without a manifest are rebuilt
    rebuilt = rebuild_manifests(Window(DAY, DAY), lake, ["spp_rt"])
    # THEN none is: the group stays reported, saying why it cannot be rebuilt
    assert rebuilt == []
    [orphans] = unmanifested_for(Window(DAY, DAY), "spp_rt", lake)
    assert orphans.problem == "incomplete: pages 1 of 2 landed"
    with pytest.raises(InvalidRequestError, match="pages 1 of 2"):
        rebuild_manifest(lake, orphans)
    assert list_manifests(lake, "ercot", "spp_rt", DAY) == []


def test_objects_a_refetch_landed_but_never_sealed_are_reported_not_rebuilt(lake: Storage) -> None:
    # GIVEN a sealed group, then a refetch that landed a changed page 1 and died before sealing
    land_group(lake, [reply()])
    newer = land_raw(lake, reply(body=BODY.replace(b"23.5", b"24.0"), fetched_minute=30))
    # WHEN the partition is scanned THEN the new version is reported as in no manifest of its (sealed) group
    [orphans] = unmanifested_groups(lake, "ercot", "spp_rt", DAY)
    assert orphans.keys == (newer.key,) and orphans.sealed
    assert "has a manifest already" in orphans.problem


def test_a_rebuilt_manifest_cannot_bless_a_changed_object(sampled: tuple[LocalStorage, str]) -> None:
    lake, manifest_key = sampled
    # GIVEN a member changed AND its group's manifest deleted
    [member] = Manifest.load(lake, manifest_key).member_keys
    tamper(lake, member, lake.get(member).replace(b"3", b"8", 1))
    lake.delete(manifest_key)
    # WHEN the manifest is rebuilt and the group curated
    [(_, rebuilt)] = rebuild_manifests(Window(DAY, DAY), lake, ["spp_dam"])
    result = curate(rebuilt, lake)
    # THEN the rebuilt manifest carries the hash recorded at landing, so the change is still caught
    assert result.status == "failed" and "changed after landing" in result.reason


def test_a_repair_on_a_versioned_s3_bucket_keeps_the_changed_bytes_as_a_noncurrent_version() -> None:
    with mock_aws():
        # GIVEN a versioned S3 lake (as template.yaml deploys it) holding a changed raw object
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="lake")
        s3.put_bucket_versioning(Bucket="lake", VersioningConfiguration={"Status": "Enabled"})
        lake = open_storage("s3://lake", s3_client=s3)
        landed = land_raw(lake, reply())
        tamper(lake, landed.key, TAMPERED)
        # WHEN a refetch repairs it
        land_raw(lake, reply(fetched_minute=30))
        # THEN the current version is the true bytes and the changed bytes stay as a noncurrent version
        versions = s3.list_object_versions(Bucket="lake", Prefix=landed.key)["Versions"]
        bodies = {
            s3.get_object(Bucket="lake", Key=landed.key, VersionId=v["VersionId"])["Body"].read() for v in versions
        }
        assert lake.get(landed.key) == BODY
        assert bodies == {BODY, TAMPERED}
