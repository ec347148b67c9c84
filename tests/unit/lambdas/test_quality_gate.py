"""QualityGateFunction (energylake.lambdas.quality_gate): has every group the run landed been curated, and did all
pass?

The gate runs against a local lake holding REAL landed groups (the sample source through the real clients) curated
by the real curation, so "pending", "passed" and "failed" are the states a deployed gate would see.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from energylake.curate import curate
from energylake.errors import InvalidRequestError, QualityGateTimeoutError, StorageError
from energylake.fetch import fetch
from energylake.lake.layout import quality_report_key
from energylake.lake.storage import LocalStorage, Storage, open_storage
from energylake.lambdas.quality_gate import QualityGateEvent, handle, quality_gate
from energylake.sample import connection as sample_connection
from energylake.settings import Settings
from energylake.window import Window
from tests.support.fakes import land_unparseable_version

UTC = dt.UTC
AFTER_WINDOW = dt.datetime(2024, 11, 8, 12, tzinfo=UTC)  # the sample clock: every day of the window is complete
NOV_3 = Window(dt.date(2024, 11, 3), dt.date(2024, 11, 3))


# ----------------------------------------------------------------------------------------------------------------
# quality gate, on a local lake with real landed and curated groups
# ----------------------------------------------------------------------------------------------------------------


@pytest.fixture
def lake(tmp_path: Path) -> Storage:
    return open_storage(str(tmp_path / "lake"))


def land(lake: Storage, dataset: str, window: Window = NOV_3) -> list[str]:
    """Fetch ``dataset`` from the sample source into ``lake``; the manifests of the groups landed."""
    return fetch(window, dataset, lake, sample_connection(Settings(), now=AFTER_WINDOW, throttle_every=0)).manifests


def gate_event(ercot: dict[str, list[str]], weather: list[str] | None = None, **extra: Any) -> QualityGateEvent:
    """The gate's event as the state machine builds it from the fetch results."""
    return QualityGateEvent.model_validate(
        {
            "ercot": [
                {"dataset": name, "manifests": keys, "written": 1, "unchanged": 0} for name, keys in ercot.items()
            ],
            "weather": {"dataset": "weather", "manifests": weather or []},
            "attempt": 0,
            "max_polls": 40,
            **extra,
        }
    )


def land_newer_broken_version(lake: Storage, manifest_key: str) -> str:
    newer = land_unparseable_version(lake, manifest_key, fetched_at=AFTER_WINDOW + dt.timedelta(days=1))
    assert newer != manifest_key
    return newer


def test_groups_not_yet_curated_are_pending_and_the_attempt_counts_up(lake: Storage) -> None:
    # GIVEN two datasets landed, not curated yet
    spp_rt, weather = land(lake, "spp_rt"), land(lake, "weather")
    # WHEN the gate checks them (first, then second check)
    first = quality_gate(gate_event({"spp_rt": spp_rt}, weather), lake)
    second = quality_gate(gate_event({"spp_rt": spp_rt}, weather, attempt=first["attempt"]), lake)
    # THEN both are pending, listed, and the next check's number goes up by one each time
    assert first == {
        "status": "pending",
        "attempt": 1,
        "groups": 2,
        "passed": 0,
        "pending": sorted(spp_rt + weather),
        "quarantined": [],
        "summary": "0 of 2 landed groups passed, 2 pending, 0 quarantined",
    }
    assert second["status"] == "pending"
    assert second["attempt"] == 2


def test_once_every_group_is_curated_the_gate_passes(lake: Storage) -> None:
    # GIVEN ERCOT and weather groups landed; one curated
    spp_rt, spp_dam, weather = land(lake, "spp_rt"), land(lake, "spp_dam"), land(lake, "weather")
    event = gate_event({"spp_rt": spp_rt, "spp_dam": spp_dam}, weather)
    curate(spp_rt[0], lake)
    partly = quality_gate(event, lake)
    assert (partly["status"], partly["passed"], partly["pending"]) == ("pending", 1, sorted(spp_dam + weather))
    # WHEN the rest are curated (and pass)
    for key in spp_dam + weather:
        assert curate(key, lake).status == "passed"
    result = quality_gate(event, lake)
    # THEN the gate passes with every group counted
    assert result == {
        "status": "passed",
        "attempt": 1,
        "groups": 3,
        "passed": 3,
        "pending": [],
        "quarantined": [],
        "summary": "3 of 3 landed groups passed, 0 pending, 0 quarantined",
    }


def test_a_report_for_an_older_manifest_of_the_group_does_not_count(lake: Storage) -> None:
    # GIVEN a group curated (and passed), then a newer version of it landed and not yet curated
    [old] = land(lake, "spp_dam")
    assert curate(old, lake).status == "passed"
    newer = land_newer_broken_version(lake, old)
    # WHEN the gate checks either manifest of the group
    for key in (newer, old):
        result = quality_gate(gate_event({"spp_dam": [key]}), lake)
        # THEN it is pending: the passed report is for a version the lake no longer serves
        assert (result["status"], result["pending"]) == ("pending", [key])


def test_a_quarantined_group_is_named_and_the_run_goes_on_with_what_passed(lake: Storage) -> None:
    # GIVEN a passed spp_rt group, and a spp_dam group whose newest version failed curation (quarantined)
    [spp_rt] = land(lake, "spp_rt")
    curate(spp_rt, lake)
    [old] = land(lake, "spp_dam")
    curate(old, lake)
    newer = land_newer_broken_version(lake, old)
    assert curate(newer, lake).status == "failed"
    # WHEN the gate checks them
    result = quality_gate(gate_event({"spp_rt": [spp_rt], "spp_dam": [newer]}), lake)
    # THEN "quarantined", not an error: the machine goes on to gold and the load with what passed (as the CLI
    # does), and names the group, its manifest and why, one line each, as the CLI does (`quarantined <dataset>
    # <group>: ...`); the passed group is counted, not named
    assert (result["status"], result["groups"], result["passed"]) == ("quarantined", 2, 1)
    [line] = result["quarantined"]
    assert line.startswith("quarantined spp_dam ") and newer in line and "parse failed" in line
    assert result["summary"].startswith("1 of 2 landed groups passed, 0 pending, 1 quarantined")
    assert newer in result["summary"] and spp_rt not in result["summary"]


def test_a_failed_group_waits_for_the_others_before_the_gate_decides(lake: Storage) -> None:
    # GIVEN a failed group, and one still being curated
    [pending] = land(lake, "spp_rt")
    [old] = land(lake, "spp_dam")
    newer = land_newer_broken_version(lake, old)
    curate(newer, lake)
    # WHEN the gate checks THEN it waits (the passed share is not known yet), naming the failed one already
    result = quality_gate(gate_event({"spp_rt": [pending], "spp_dam": [newer]}), lake)
    assert (result["status"], result["pending"]) == ("pending", [pending])
    assert newer in result["quarantined"][0]
    # AND once the other group is curated, the decision is "quarantined"
    curate(pending, lake)
    assert quality_gate(gate_event({"spp_rt": [pending], "spp_dam": [newer]}), lake)["status"] == "quarantined"


def test_the_last_allowed_check_with_groups_still_pending_times_out(lake: Storage) -> None:
    # GIVEN a group never curated, and the gate's budget of 3 checks
    [key] = land(lake, "spp_dam")
    # WHEN the 2nd check finds it pending, the run may wait again
    assert quality_gate(gate_event({"spp_dam": [key]}, attempt=1, max_polls=3), lake)["status"] == "pending"
    # THEN the 3rd (last) check gives up, naming the group and the number of checks
    with pytest.raises(QualityGateTimeoutError, match=r"1 of 1 landed groups still have no quality report after 3"):
        quality_gate(gate_event({"spp_dam": [key]}, attempt=2, max_polls=3), lake)


def test_the_last_allowed_check_passes_when_everything_is_curated(lake: Storage) -> None:
    [key] = land(lake, "spp_dam")
    curate(key, lake)
    assert quality_gate(gate_event({"spp_dam": [key]}, attempt=2, max_polls=3), lake)["status"] == "passed"


def test_an_empty_fetch_passes_at_once(lake: Storage) -> None:
    # GIVEN fetch steps that landed no group (nothing available yet), and no weather asked for
    event = gate_event({"spp_rt": []})
    # THEN there is nothing to wait for
    result = quality_gate(event, lake)
    assert (result["status"], result["groups"], result["pending"], result["quarantined"]) == ("passed", 0, [], [])


def test_a_manifest_landed_by_two_steps_is_checked_once(lake: Storage) -> None:
    [key] = land(lake, "spp_dam")
    result = quality_gate(gate_event({"spp_dam": [key, key]}), lake)
    assert (result["groups"], result["pending"]) == (1, [key])


@pytest.mark.parametrize(
    "key",
    [
        "raw/source=ercot/dataset=spp_rt/date=2024-11-03/part-0.json",
        "silver/dataset=spp_rt/date=2024-11-03/_manifests/g/20241108T120000000000Z-abc.manifest.json",
        "raw/source=ercot/dataset=spp_rt/date=2024-11-03/g/20241108T120000000000Z-abc.manifest.json",
        "raw/source=ercot/dataset=spp_rt/date=2024-13-03/_manifests/g/20241108T120000000000Z-abc.manifest.json",
    ],
)
def test_a_malformed_manifest_key_is_rejected(lake: Storage, key: str) -> None:
    with pytest.raises(InvalidRequestError, match="not a raw manifest key"):
        quality_gate(gate_event({"spp_rt": [key]}), lake)


def test_a_corrupt_quality_report_is_a_storage_error(lake: Storage) -> None:
    [key] = land(lake, "spp_dam")
    group = key.split("/")[5]
    lake.put(quality_report_key("spp_dam", dt.date(2024, 11, 3), group), b"{not json")
    with pytest.raises(StorageError, match="is not JSON"):
        quality_gate(gate_event({"spp_dam": [key]}), lake)


def test_handle_quality_gate_validates_the_event(lake: Storage) -> None:
    valid = {"ercot": [], "weather": {"dataset": "weather", "manifests": []}, "attempt": 0, "max_polls": 3}
    with pytest.raises(InvalidRequestError, match="attempt: Input should be greater than or equal to 0"):
        handle({**valid, "attempt": -1}, storage=lake)
    with pytest.raises(InvalidRequestError, match=r"ercot\.0\.dataset: Input should be"):
        handle({**valid, "ercot": [{"dataset": "prices", "manifests": []}]}, storage=lake)
    with pytest.raises(InvalidRequestError, match="status: Extra inputs"):
        handle({**valid, "status": "pending"}, storage=lake)
    # An empty or renamed event fails rather than passing with nothing to check
    with pytest.raises(InvalidRequestError, match="ercot: Field required; weather: Field required"):
        handle({}, storage=lake)
    assert handle(valid, storage=lake)["status"] == "passed"


def test_the_gate_only_reads_the_lake(lake: Storage) -> None:
    [key] = land(lake, "spp_dam")
    assert isinstance(lake, LocalStorage)
    before = sorted(p.relative_to(lake.root) for p in lake.root.rglob("*"))
    quality_gate(gate_event({"spp_dam": [key]}), lake)
    assert sorted(p.relative_to(lake.root) for p in lake.root.rglob("*")) == before
