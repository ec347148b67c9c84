"""Listing by prefix means the same on a local folder and on S3, and a group's members are durable before the
manifest that commits them (issue 16: landing a year of archive documents without an fsync and a folder walk each).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from energylake.contracts.raw import RawReply
from energylake.errors import StorageError
from energylake.lake import layout
from energylake.lake.landing import LandedGroup, land_group, land_groups
from energylake.lake.storage import LocalStorage, Storage

KEYS = [
    "raw/ercot/spp_rt/date=2024-11-03/aaa111/one.json",
    "raw/ercot/spp_rt/date=2024-11-03/aaa222/two.json",
    "raw/ercot/spp_rt/date=2024-11-03/bbb333/three.json",
    "raw/ercot/spp_rt/date=2024-11-04/aaa111/four.json",
    "silver/dataset=spp_rt/date=2024-11-03/part.parquet",
    "silver/dataset=spp_rtx/date=2024-11-03/part.parquet",
]


@pytest.fixture
def filled(lake: Storage) -> Storage:
    for key in KEYS:
        lake.put(key, b"x", {})
    return lake


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("raw/ercot/spp_rt/date=2024-11-03/", KEYS[:3]),
        ("raw/ercot/spp_rt/date=2024-11-03/aaa", KEYS[:2]),  # ends mid-name: a string prefix, as on S3
        ("raw/ercot/spp_rt/date=2024-11-03/aaa111/", KEYS[:1]),
        ("raw/ercot/spp_rt/date=2024-11-03/ccc999/", []),  # a request folder not landed yet: nothing
        ("silver/dataset=spp_rt", KEYS[4:6]),  # the string prefix also matches the sibling "spp_rtx"
        ("silver/dataset=spp_rt/", KEYS[4:5]),
        ("", KEYS),
        ("nothing/here/", []),
    ],
)
def test_a_prefix_lists_the_same_keys_on_both_backends(filled: Storage, prefix: str, expected: list[str]) -> None:
    # GIVEN objects in neighbouring folders WHEN listing a prefix THEN exactly the keys starting with it, sorted
    assert list(filled.list(prefix)) == sorted(expected)


def test_local_listing_skips_temp_files_and_sidecars(tmp_path: Path) -> None:
    # GIVEN a local lake with an object, its metadata sidecar and a writer's temp file next to it
    lake = LocalStorage(tmp_path / "lake")
    lake.put("raw/a/b.json", b"{}", {"k": "v"})
    (tmp_path / "lake" / "raw" / "a" / ".tmp-abc").write_bytes(b"half")
    # WHEN listing everything THEN only the object
    assert list(lake.list("")) == ["raw/a/b.json"]
    assert list(lake.list("raw/a/")) == ["raw/a/b.json"]


def reply(page: int, day: dt.date = dt.date(2024, 11, 3)) -> RawReply:
    return RawReply(
        source="ercot",
        dataset="spp_rt",
        day=day,
        origin="ercot-archive",
        origin_reason="older than the data endpoints",
        method="GET",
        url="https://api.ercot.com/api/public-reports/archive/np6-905-cd",
        params={"download": str(page)},
        status_code=200,
        body=f"document {page}".encode(),
        extension="csv",
        fetched_at=dt.datetime(2024, 11, 4, 12, 0, tzinfo=dt.UTC),
        extra={},
    )


def recording_lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[LocalStorage, list[str]]:
    """A local lake and the list its syncs ("sync") and writes ("member", "manifest") are recorded in, in order."""
    lake = LocalStorage(tmp_path / "lake")
    events: list[str] = []
    monkeypatch.setattr(os, "sync", lambda: events.append("sync"))
    real_put_new = lake.put_new

    def recorded(key: str, data: bytes, metadata: dict[str, str]) -> bool:
        events.append("manifest" if layout.is_manifest_key(key) else "member")
        return real_put_new(key, data, metadata)

    monkeypatch.setattr(lake, "put_new", recorded)
    return lake, events


def test_a_groups_members_are_synced_once_before_its_manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a local lake that records every fsync, sync and object written
    lake, events = recording_lake(tmp_path, monkeypatch)
    monkeypatch.setattr(os, "fsync", lambda fd: events.append("fsync"))
    # WHEN a group of 50 documents lands
    landed = land_group(lake, [reply(page) for page in range(50)])
    # THEN the 50 members were written without an fsync each, made durable by one sync, and only then the
    # manifest was written (with its own fsyncs: it is the commit point)
    assert landed.manifest_written
    first_manifest = events.index("manifest")
    assert events[:first_manifest] == ["member"] * 50 + ["sync"]
    assert "fsync" in events[first_manifest:]


def test_landing_the_same_group_again_syncs_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a group already landed
    lake = LocalStorage(tmp_path / "lake")
    land_group(lake, [reply(page) for page in range(3)])
    syncs: list[str] = []
    monkeypatch.setattr(os, "sync", lambda: syncs.append("sync"))
    # WHEN the same replies land again THEN nothing is written, so nothing is synced
    again = land_group(lake, [dataclasses.replace(reply(page)) for page in range(3)])
    assert not again.manifest_written and syncs == []


def test_a_failure_inside_the_group_writes_no_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a lake whose third member write fails
    lake = LocalStorage(tmp_path / "lake")
    syncs: list[str] = []
    monkeypatch.setattr(os, "sync", lambda: syncs.append("sync"))
    real_put_new, calls = lake.put_new, [0]

    def failing(key: str, data: bytes, metadata: dict[str, str]) -> bool:
        calls[0] += 1
        if calls[0] == 3:
            raise OSError("disk gone")
        return real_put_new(key, data, metadata)

    monkeypatch.setattr(lake, "put_new", failing)
    # WHEN the group lands THEN the error comes through, no manifest commits the group (the two members written
    # before the failure are synced, whole, for a rerun to find), and the next write is durable on its own again
    # (fsync per file outside a group)
    with pytest.raises(OSError, match="disk gone"):
        land_group(lake, [reply(page) for page in range(5)])
    assert not any(layout.is_manifest_key(key) for key in lake.list("raw/"))
    assert len(list(lake.list("raw/"))) == 2
    assert syncs == ["sync"]
    fsyncs: list[int] = []
    monkeypatch.setattr(os, "fsync", fsyncs.append)
    lake.put("raw/after.json", b"{}")
    assert fsyncs


def test_a_sidecar_left_half_written_by_a_killed_landing_is_rewritten_by_the_next(tmp_path: Path) -> None:
    # GIVEN a local lake where a killed landing left half of an object's sidecar and not the object itself
    lake = LocalStorage(tmp_path / "lake")
    key = "raw/source=ercot/dataset=spp_rt/date=2024-11-03/aaa111/one.zip"
    sidecar = tmp_path / "lake" / ".meta" / f"{key}.json"
    sidecar.parent.mkdir(parents=True)
    sidecar.write_bytes(b'{"content-sha256": "0123')
    # WHEN the object lands
    assert lake.put_new(key, b"zip bytes", {"content-sha256": "abc", "http-status": "200"})
    # THEN its metadata is the new one, whole, and no temp file is left beside it
    assert lake.metadata(key) == {"content-sha256": "abc", "http-status": "200"}
    assert sorted(path.name for path in sidecar.parent.iterdir()) == ["one.zip.json"]


def test_a_sidecar_that_cannot_be_written_is_a_storage_error_and_the_object_is_not_landed(tmp_path: Path) -> None:
    # GIVEN a local lake whose sidecar folder for the object is a file (a damaged or hand-edited lake)
    lake = LocalStorage(tmp_path / "lake")
    key = "raw/source=ercot/dataset=spp_rt/date=2024-11-03/aaa111/one.zip"
    blocker = tmp_path / "lake" / ".meta" / "raw/source=ercot/dataset=spp_rt/date=2024-11-03/aaa111"
    blocker.parent.mkdir(parents=True)
    blocker.write_bytes(b"not a folder")
    # WHEN the object lands THEN a StorageError names the sidecar, and the object is not in the lake
    with pytest.raises(StorageError, match=r"cannot write .*one\.zip\.json"):
        lake.put_new(key, b"zip bytes", {"content-sha256": "abc"})
    assert not lake.exists(key)


def day_groups(days: int, pages: int = 3) -> list[list[RawReply]]:
    return [[reply(page, dt.date(2024, 11, 1) + dt.timedelta(days=n)) for page in range(pages)] for n in range(days)]


def test_groups_landed_together_are_synced_once_per_batch_before_their_manifests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a local lake that records its syncs and writes
    lake, events = recording_lake(tmp_path, monkeypatch)
    sealed: list[LandedGroup] = []
    # WHEN 5 groups of 3 land, 2 groups per sync
    land_groups(lake, day_groups(5), lambda _, group: sealed.append(group), per_sync=2)
    # THEN each batch's members are synced by one sync, and only then are its manifests written, in group order
    batch = ["member"] * 6 + ["sync", "manifest", "manifest"]
    assert events == batch + batch + ["member"] * 3 + ["sync", "manifest"]
    assert [group.members[0].key.split("date=")[1][:10] for group in sealed] == [
        f"2024-11-0{day}" for day in range(1, 6)
    ]
    assert all(group.manifest_written for group in sealed)


def test_a_group_failing_mid_batch_leaves_the_whole_groups_before_it_sealed(tmp_path: Path) -> None:
    # GIVEN groups whose third fails to arrive (the source's error comes out of the iterator)
    lake = LocalStorage(tmp_path / "lake")

    def arriving() -> Iterator[list[RawReply]]:
        groups = day_groups(4)
        yield groups[0]
        yield groups[1]
        raise RuntimeError("ERCOT answered 500 for 2024-11-03")

    sealed: list[LandedGroup] = []
    # WHEN they land 32 groups per sync THEN the error comes through
    with pytest.raises(RuntimeError, match="2024-11-03"):
        land_groups(lake, arriving(), lambda _, group: sealed.append(group), per_sync=32)
    # AND the two groups before it were sealed and reported, as landing them one by one would have
    manifests = [key for key in lake.list("raw/") if layout.is_manifest_key(key)]
    assert len(sealed) == 2 and sorted(group.manifest_key for group in sealed) == manifests
    # AND a rerun of all four lands the missing two and finds the first two unchanged
    again: list[LandedGroup] = []
    land_groups(lake, day_groups(4), lambda _, group: again.append(group), per_sync=32)
    assert [group.manifest_written for group in again] == [False, False, True, True]


@pytest.mark.parametrize(
    ("groups", "per_sync", "problem"),
    [([[]], 32, "a group has at least one reply"), ([], 0, "per_sync is at least 1, got 0")],
)
def test_land_groups_refuses_an_empty_group_or_batch_naming_it(
    tmp_path: Path, groups: list[list[RawReply]], per_sync: int, problem: str
) -> None:
    # GIVEN an empty group, or no groups per sync WHEN landed THEN a ValueError names the problem, nothing landed
    lake = LocalStorage(tmp_path / "lake")
    with pytest.raises(ValueError, match=problem):
        land_groups(lake, groups, lambda *_: None, per_sync=per_sync)
    assert list(lake.list("")) == []
