"""The energylake command as a user runs it: the offline sample source into a temp lake."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from energylake.contracts.datasets import ALL_DATASETS
from energylake.local.cli import main
from tests.support.cli import energylake, files_under


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return energylake(*args, timeout=300)


def test_fetch_over_a_dst_window_lands_every_dataset_and_reruns_cleanly(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    # GIVEN a window that includes the 2024 fall-back day WHEN the sample source is fetched
    first = run_cli("fetch", "--source", "sample", "--start", "2024-11-02", "--end", "2024-11-04", "--lake", str(lake))
    assert first.returncode == 0, first.stderr
    # THEN every dataset has raw objects, and ercot API datasets one day-partition per operating day
    listing = run_cli("ls", "--lake", str(lake))
    assert listing.returncode == 0
    for dataset in ALL_DATASETS:
        assert dataset in listing.stdout
    for day in ("2024-11-02", "2024-11-03", "2024-11-04"):
        assert any((lake / "raw/source=ercot/dataset=spp_rt" / f"date={day}").iterdir())
    before = files_under(lake)
    # WHEN it runs again THEN nothing new is written
    again = main(["fetch", "--source", "sample", "--start", "2024-11-02", "--end", "2024-11-04",
                  "--lake", str(lake), "--json"])  # fmt: skip
    assert again == 0
    assert files_under(lake) == before


def test_fetch_json_reports_keys_and_sources(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["fetch", "--source", "sample", "--start", "2024-03-10", "--end", "2024-03-10",
                 "--dataset", "spp_dam", "--dataset", "weather", "--lake", str(tmp_path), "--json"])  # fmt: skip
    assert code == 0
    results = json.loads(capsys.readouterr().out)
    assert [r["dataset"] for r in results] == ["spp_dam", "weather"]
    assert results[0]["sources_used"].keys() == {"ercot-api"}
    assert all(r["keys"] and r["written"] == len(r["keys"]) for r in results)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2024-11-07", "--end", "2024-11-01"], "before start"),
        (["--start", "2024-02-30", "--end", "2024-03-01"], "real calendar date"),
        (["--start", "2024-11-01", "--end", "2024-11-01", "--dataset", "prices"], "unknown dataset 'prices'"),
        (["--start", "2024-11-01"], "required"),
    ],
)
def test_bad_input_exits_2_with_one_clear_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    lake = tmp_path / "lake"
    assert main(["fetch", "--source", "sample", "--lake", str(lake), *args]) == 2
    assert message in capsys.readouterr().err
    assert not lake.exists()


def test_an_unwritable_lake_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code = main(["fetch", "--source", "sample", "--start", "2024-11-01", "--end", "2024-11-01",
                 "--lake", str(blocker / "lake")])  # fmt: skip
    assert code == 2
    assert "not writable" in capsys.readouterr().err
