"""The lake's layout: every key it builds parses back to what built it, and the lake URI is parsed once, strictly."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from energylake.errors import ConfigurationError, InvalidRequestError, StorageError
from energylake.lake import layout
from energylake.lake.layout import LakeUri
from energylake.lake.storage import open_storage

DAY = dt.date(2024, 11, 3)
UTC_DAY = dt.date(2024, 11, 4)
GROUP = "0f3a9c1d2e4b5a6c"
FINGERPRINT = "9e8d7c6b5a4f3e2d"
MANIFEST_NAME = "20241104T120000000000Z-1234abcd5678ef90.manifest.json"


# --- keys built and parsed back ---------------------------------------------------------------------------------------


def test_a_manifest_key_parses_back_to_source_dataset_day_and_group() -> None:
    # GIVEN the key land_group writes for a group's manifest
    key = f"{layout.manifest_prefix('ercot', 'spp_rt', DAY, GROUP)}{MANIFEST_NAME}"
    assert key == f"raw/source=ercot/dataset=spp_rt/date=2024-11-03/_manifests/{GROUP}/{MANIFEST_NAME}"
    # WHEN it is parsed THEN every part comes back, and its folder is the group's manifest folder
    parsed = layout.parse_manifest_key(key)
    assert (parsed.key, parsed.source, parsed.dataset, parsed.day, parsed.group) == (
        key,
        "ercot",
        "spp_rt",
        DAY,
        GROUP,
    )
    assert parsed.folder == layout.manifest_prefix("ercot", "spp_rt", DAY, GROUP)
    assert parsed.folder.startswith(layout.manifests_prefix("ercot", "spp_rt", DAY))
    assert layout.is_manifest_key(key) and not layout.is_raw_object_key(key)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (f"raw/source=ercot/dataset=spp_rt/date=2024-11-03/{FINGERPRINT}/a.json", "not a raw manifest key"),
        (f"silver/dataset=spp_rt/date=2024-11-03/_manifests/{GROUP}/{MANIFEST_NAME}", "not a raw manifest key"),
        (f"raw/source=ercot/dataset=spp_rt/date=2024-11-03/_manifests/{GROUP}/x.json", "not a raw manifest key"),
        (f"raw/source=ercot/dataset=spp_rt/date=2024-13-03/_manifests/{GROUP}/{MANIFEST_NAME}", "bad date"),
        (f"raw/dataset=spp_rt/source=ercot/date=2024-11-03/_manifests/{GROUP}/{MANIFEST_NAME}", "not a raw"),
    ],
)
def test_a_key_that_is_not_a_manifest_is_refused_naming_it(key: str, message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message) as caught:
        layout.parse_manifest_key(key)
    assert key in str(caught.value)


def test_a_raw_object_key_is_one_folder_per_request_in_its_day_partition() -> None:
    key = layout.raw_object_key("ercot", "spp_rt", DAY, FINGERPRINT, "20241104T120000Z-abc.json")
    assert key == f"raw/source=ercot/dataset=spp_rt/date=2024-11-03/{FINGERPRINT}/20241104T120000Z-abc.json"
    assert key.startswith(layout.raw_day_prefix("ercot", "spp_rt", DAY))
    assert key.startswith(layout.raw_prefix("ercot", "spp_rt")) and key.startswith(layout.raw_prefix("ercot"))
    assert layout.raw_prefix() == "raw/"
    # the request folder (name "") is a prefix of every version of the request
    assert key.startswith(layout.raw_object_key("ercot", "spp_rt", DAY, FINGERPRINT, ""))
    assert layout.is_raw_object_key(key) and not layout.is_manifest_key(key)
    assert layout.partition_values(key) == {"source": "ercot", "dataset": "spp_rt", "date": "2024-11-03"}


@pytest.mark.parametrize(
    ("key", "day"),
    [
        (layout.raw_day_prefix("openmeteo", "weather", DAY), DAY),
        (layout.raw_object_key("ercot", "fuel_mix", DAY, FINGERPRINT, "a.json"), DAY),
        (f"{layout.manifest_prefix('ercot', 'spp_dam', DAY, GROUP)}{MANIFEST_NAME}", DAY),
        (layout.silver_key("spp_rt", UTC_DAY, GROUP), UTC_DAY),
        (f"{layout.gold_prefix('system_hourly')}{layout.partition(UTC_DAY)}part-0.parquet", UTC_DAY),
        (layout.quality_report_key("spp_rt", DAY, GROUP), DAY),
        (f"{layout.quarantine_prefix('spp_rt', DAY, GROUP)}rejected.parquet", DAY),
        ("/tmp/lake/silver/dataset=weather/date=2024-11-04/g.parquet", UTC_DAY),  # a file path
        ("C:\\lake\\gold\\system_hourly\\date=2024-11-04\\part-0.parquet", UTC_DAY),  # a Windows path
    ],
)
def test_every_zone_key_gives_back_its_partition_date(key: str, day: dt.date) -> None:
    assert layout.partition_date(key) == day


@pytest.mark.parametrize(
    "key",
    [
        "silver/dataset=spp_rt/g.parquet",
        "_state/backfill-2024-11-02-2024-11-04.json",
        "date=2024-11-3/x",
        "silver/dataset=spp_rt/date=2024-13-03/g.parquet",  # an impossible date is no partition
        "x",
    ],
)
def test_a_key_outside_any_day_partition_has_no_partition_date(key: str) -> None:
    assert layout.partition_date(key) is None


def test_silver_gold_quality_and_quarantine_keys_follow_their_zones() -> None:
    silver = layout.silver_key("spp_rt", UTC_DAY, GROUP)
    assert silver == f"silver/dataset=spp_rt/date=2024-11-04/{GROUP}.parquet"
    assert silver.startswith(layout.silver_prefix("spp_rt"))
    assert layout.partition_values(silver) == {"dataset": "spp_rt", "date": "2024-11-04"}
    assert layout.gold_prefix("system_hourly") == "gold/system_hourly/"
    assert layout.partition(UTC_DAY) == "date=2024-11-04/"
    report = layout.quality_report_key("spp_rt", DAY, GROUP)
    assert report == f"quality/dataset=spp_rt/date=2024-11-03/{GROUP}.json"
    assert layout.quality_report_group(report) == GROUP
    assert layout.partition_values(report) == {"dataset": "spp_rt", "date": "2024-11-03"}
    assert {zone.split("/")[0] for zone in (silver, report)} <= set(layout.ZONES)


def test_an_object_of_a_quarantined_group_names_its_dataset_and_group() -> None:
    folder = layout.quarantine_prefix("load_weather_zone", DAY, GROUP)
    assert folder == f"quarantine/dataset=load_weather_zone/date=2024-11-03/{GROUP}/"
    for name in ("report.json", "rows.parquet", "rejected.parquet"):
        assert layout.quarantine_group(f"{folder}{name}") == ("load_weather_zone", GROUP)
    assert layout.quarantine_group(layout.silver_key("spp_rt", UTC_DAY, GROUP)) is None
    assert layout.quarantine_group("quarantine/dataset=spp_rt/date=2024-11-03") is None  # no group folder


def test_the_backfill_state_key_names_the_window() -> None:
    key = layout.backfill_state_key(dt.date(2024, 11, 2), dt.date(2024, 11, 4))
    assert key == "_state/backfill-2024-11-02-2024-11-04.json"
    assert key.startswith(f"{layout.STATE_ZONE}/") and layout.STATE_ZONE not in layout.ZONES
    assert layout.LOG_FILE == "logs/energylake.log"


# --- the lake URI -----------------------------------------------------------------------------------------------------


def test_a_folder_is_a_local_lake(tmp_path: Path) -> None:
    folder = str(tmp_path / "lake")
    lake = LakeUri.parse(folder)
    assert (lake.scheme, lake.is_s3, lake.path, lake.bucket, lake.prefix) == ("file", False, Path(folder), "", "")
    assert lake.text == folder and lake.root == folder
    assert lake.object_uri("raw/a.json") == f"{folder}/raw/a.json"
    assert lake.spark_path() == (tmp_path / "lake").resolve().as_uri()
    assert LakeUri.parse("./lake").path == Path("lake")
    # a folder lake cannot serve what needs S3: the error names who needs it and the URI
    with pytest.raises(ConfigurationError, match=r"the Glue job needs an S3 lake.*lake"):
        lake.s3_root("the Glue job")


def test_a_bucket_without_prefix_is_the_bucket_root() -> None:
    lake = LakeUri.parse("s3://energylake-lake")
    assert (lake.scheme, lake.is_s3, lake.bucket, lake.prefix, lake.path) == ("s3", True, "energylake-lake", "", None)
    assert lake.key_prefix == ""
    assert lake.root == "s3://energylake-lake"
    assert lake.s3_root("gold") == "s3://energylake-lake/"
    assert lake.object_uri("raw/a.json") == "s3://energylake-lake/raw/a.json"
    assert lake.spark_path() == "s3://energylake-lake"
    assert lake.lake_key("raw/a.json") == "raw/a.json"  # every object of the bucket is in the lake


@pytest.mark.parametrize(
    "uri", ["s3://energylake-lake/data/", "s3://energylake-lake/data", "s3://energylake-lake//data"]
)
def test_a_bucket_prefix_is_kept_without_slashes_at_either_end(uri: str) -> None:
    lake = LakeUri.parse(uri)
    assert (lake.bucket, lake.prefix, lake.key_prefix) == ("energylake-lake", "data", "data/")
    assert lake.root == "s3://energylake-lake/data"
    assert lake.s3_root("gold") == "s3://energylake-lake/data/"  # one trailing slash
    assert lake.object_uri("silver/x.parquet") == "s3://energylake-lake/data/silver/x.parquet"
    assert lake.lake_key("data/raw/a.json") == "raw/a.json"
    assert lake.lake_key("other/raw/a.json") is None  # outside the lake
    assert layout.s3_lake_root(uri) == "s3://energylake-lake/data/"


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("ftp://host/lake", "unsupported lake URI"),
        ("gs://bucket/lake", "unsupported lake URI"),
        ("s3://", "needs a bucket"),
        ("s3:///prefix", "needs a bucket"),
    ],
)
def test_another_scheme_or_an_s3_uri_without_bucket_is_refused(uri: str, message: str) -> None:
    with pytest.raises(StorageError, match=message) as caught:
        LakeUri.parse(uri)
    assert repr(uri) in str(caught.value)


@pytest.mark.parametrize("uri", ["./lake", "ftp://host/lake", "s3:///prefix"])
def test_an_event_field_that_is_not_an_s3_lake_is_an_invalid_request(uri: str) -> None:
    with pytest.raises(InvalidRequestError, match="must be an s3://bucket"):
        layout.s3_lake_root(uri)


def test_every_storage_knows_its_parsed_location(tmp_path: Path) -> None:
    local = open_storage(str(tmp_path / "lake")).location
    assert (local.scheme, local.path, local.root) == ("file", tmp_path / "lake", str(tmp_path / "lake"))
    s3 = open_storage("s3://energylake-lake/data/").location
    parsed = LakeUri.parse("s3://energylake-lake/data/")
    assert (s3.scheme, s3.bucket, s3.prefix, s3.root) == (parsed.scheme, parsed.bucket, parsed.prefix, parsed.root)
    assert s3.s3_root("gold") == "s3://energylake-lake/data/"
