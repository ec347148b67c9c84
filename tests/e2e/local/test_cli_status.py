"""`energylake status`, `ls` and the run summary tell the truth: the days each dataset covers, why rows were
rejected, and that a rerun left rows unchanged (not "0 written").

One sample run (weather and real-time prices over a week) in a module-scoped fixture; each test that changes the
lake works on its own copy.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from energylake.lake.storage import open_storage
from tests.support.cli import energylake, files_under

WINDOW = ["--start", "2026-03-01", "--end", "2026-03-07"]
DATASETS = ["--dataset", "weather", "--dataset", "spp_rt"]
WEEK = [f"2026-03-0{day}" for day in range(1, 8)]
FED_TABLES = ("ercot_spp", "weather_hourly", "energy_weather_hourly", "system_hourly", "ercot_spp_hourly")


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """GIVEN the sample source WHEN `energylake run` covers 2026-03-01..07 for weather and RT prices."""
    lake = tmp_path_factory.mktemp("status") / "lake"
    done = energylake("run", "--source", "sample", *WINDOW, *DATASETS, "--lake", str(lake))
    assert done.returncode == 0, done.stderr[-3000:]
    return lake


def weather_groups(lake: Path) -> list[dict[str, object]]:
    return [json.loads(path.read_text()) for path in (lake / "raw/source=openmeteo").rglob("*.manifest.json")]


def test_status_and_ls_count_every_day_a_weather_fetch_window_covers(lake: Path) -> None:
    # GIVEN weather landed as fetch windows (each group's folder is its first day, not one folder per day)
    groups = weather_groups(lake)
    assert len(groups) < len(WEEK), "the sample should land the week's weather in fewer groups than days"
    before = files_under(lake)
    # WHEN status runs as JSON
    done = energylake("status", "--lake", str(lake), "--json")
    assert done.returncode == 0, done.stderr
    weather = json.loads(done.stdout)["raw"]["weather"]
    # THEN weather covers the seven days its groups cover, day by day, each curated whole
    assert weather["days"] == 7
    assert weather["windows"] == ["2026-03-01..2026-03-07"]
    assert weather["groups"] == len(groups)
    assert weather["missing_days"] == []
    assert weather["by_day"] == dict.fromkeys(WEEK, "complete")
    # AND the table says so too
    text = energylake("status", "--lake", str(lake)).stdout
    weather_line = next(line for line in text.splitlines() if " weather " in line)
    assert "2026-03-01..2026-03-07" in weather_line
    assert "7 complete" in weather_line
    # AND `ls` agrees
    listing = energylake("ls", "--lake", str(lake))
    assert listing.returncode == 0, listing.stderr
    line = next(line for line in listing.stdout.splitlines() if line.startswith("openmeteo"))
    assert "2026-03-01..2026-03-07 (7 days)" in line
    # AND neither wrote anything
    assert files_under(lake) == before


def test_status_names_the_days_no_group_covers(lake: Path, tmp_path: Path) -> None:
    # GIVEN a lake whose RT prices miss 2026-03-04 (its day partition removed)
    copy = tmp_path / "lake"
    shutil.copytree(lake, copy)
    shutil.rmtree(copy / "raw/source=ercot/dataset=spp_rt/date=2026-03-04")
    # WHEN status and ls run
    document = json.loads(energylake("status", "--lake", str(copy), "--json").stdout)
    listing = energylake("ls", "--lake", str(copy)).stdout
    # THEN both name the gap
    spp_rt = document["raw"]["spp_rt"]
    assert spp_rt["missing_days"] == ["2026-03-04"]
    assert spp_rt["windows"] == ["2026-03-01..2026-03-03", "2026-03-05..2026-03-07"]
    assert "2026-03-01..2026-03-03, 2026-03-05..2026-03-07 (6 days, 1 missing)" in listing


def land_one_bad_humidity(lake: Path) -> None:
    """Land the first weather group again as if Open-Meteo had answered one hour's relative humidity as 150 %
    (outside 0..100): a new raw object named by its SHA-256 and a newer manifest of the group, as `fetch` seals them."""
    storage = open_storage(str(lake))
    first_day = "raw/source=openmeteo/dataset=weather/date=2026-03-01/"
    (manifest_key,) = [key for key in storage.list(first_day) if key.endswith(".manifest.json")]
    manifest = json.loads(storage.get(manifest_key))
    (member,) = manifest["members"]
    locations = json.loads(storage.get(member["key"]))
    locations[0]["hourly"]["relative_humidity_2m"][30] = 150  # 2026-03-02 06:00 UTC: inside the window
    body = json.dumps(locations).encode()
    sha256 = hashlib.sha256(body).hexdigest()
    folder = member["key"].rsplit("/", 1)[0]
    bad_key = f"{folder}/20260309T120000000000Z-{sha256[:16]}.json"
    storage.put(bad_key, body, storage.metadata(member["key"]))
    manifest["members"] = [{"key": bad_key, "sha256": sha256, "size": len(body)}]
    newer = f"{manifest_key.rsplit('/', 1)[0]}/20260309T120000000000Z-0000000000000000.manifest.json"
    storage.put(newer, json.dumps(manifest).encode())


def test_rejected_rows_are_reported_with_their_reason_by_the_summary_and_status(lake: Path, tmp_path: Path) -> None:
    # GIVEN a lake where one weather row landed out of range
    copy = tmp_path / "lake"
    shutil.copytree(lake, copy)
    land_one_bad_humidity(copy)
    # WHEN the week is reprocessed
    done = energylake("reprocess", *WINDOW, "--dataset", "weather", "--lake", str(copy))
    assert done.returncode == 0, done.stderr[-3000:]
    # THEN the summary says which check rejected the row, with an example, and where the row is kept
    rejected = [line for line in done.stdout.splitlines() if line.startswith("rejected ")]
    assert len(rejected) == 1, done.stdout
    assert "1 weather row(s)" in rejected[0]
    assert "range:relative_humidity_2m_pct" in rejected[0]
    assert "relative_humidity_2m_pct=150 outside [0, 100]" in rejected[0]
    assert "quarantine/dataset=weather/" in rejected[0]
    assert "1 row(s) rejected" in done.stdout
    # AND status lists the group, the reason and the file holding the row, as JSON
    document = json.loads(energylake("status", "--lake", str(copy), "--json").stdout)
    (item,) = document["rejected"]
    assert (item["dataset"], item["date"], item["rows"]) == ("weather", "2026-03-01", 1)
    assert [reason["check"] for reason in item["reasons"]] == ["range:relative_humidity_2m_pct"]
    assert (copy / item["kept_in"]).is_file()
    # AND as text it no longer says only that nothing is quarantined
    text = energylake("status", "--lake", str(copy)).stdout
    assert "no quarantined groups; 1 row(s) rejected in 1 group(s)" in text
    assert "relative_humidity_2m_pct=150 outside [0, 100]" in text


def test_a_clean_lake_says_there_are_no_rejected_rows(lake: Path) -> None:
    # WHEN status runs on the clean sample lake
    text = energylake("status", "--lake", str(lake)).stdout
    # THEN it says both that nothing is quarantined and that no row was rejected
    assert "no quarantined groups; no rejected rows" in text


def rows_column(stdout: str, table: str) -> str:
    """The 'rows new or changed' cell of ``table`` in the summary's warehouse table."""
    line = next(line for line in stdout.splitlines() if f" {table} " in line)
    return line.split("│")[2].strip() if "│" in line else line.split()[1]


def test_a_rerun_says_rows_were_unchanged_not_zero_written(lake: Path, tmp_path: Path) -> None:
    copy = tmp_path / "lake"
    shutil.copytree(lake, copy)
    # WHEN the same window is curated, built and loaded again (nothing in the lake changed)
    again: subprocess.CompletedProcess[str] = energylake("reprocess", *WINDOW, *DATASETS, "--lake", str(copy))
    assert again.returncode == 0, again.stderr[-3000:]
    # THEN the gold tables the rerun rebuilt identically read "unchanged", and no cell is a bare 0
    assert "rows new or changed" in again.stdout
    for table in ("system_hourly", "ercot_spp_hourly", "energy_weather_hourly"):
        assert rows_column(again.stdout, table) == "unchanged", again.stdout
    assert "rows written" not in again.stdout
    # AND `energylake load` run again says every table is unchanged
    load = energylake("load", *WINDOW, "--lake", str(copy))
    assert load.returncode == 0, load.stderr
    cells = dict(line.split(maxsplit=1) for line in load.stdout.splitlines()[1:-1])
    assert {cells[table].strip() for table in FED_TABLES} == {"unchanged"}, load.stdout
    # AND a table those datasets do not feed says there was nothing to load, not 0
    assert cells["ercot_fuel_mix"].strip() == "none in the window", load.stdout
