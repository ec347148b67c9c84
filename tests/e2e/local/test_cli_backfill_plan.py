"""`energylake backfill` plans before it runs: days per door, requests and the least time ERCOT's limits allow.

`--plan` prints the plan and exits 0 having written nothing; without it the plan is printed and the backfill runs,
fetching per chunk only the datasets some door reaches. The sample source has API credentials; the live source is
planned without touching the network (the plan makes no request).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from energylake.contracts.datasets import ALL_DATASETS
from energylake.local import cli
from energylake.plan import backfill_chunks, plan_fetch
from energylake.settings import Settings
from energylake.timeconv import central_today
from energylake.window import Window
from tests.support.cli import energylake, files_under

HISTORY = ["--start", "2011-01-01", "--end", "2026-12-05"]  # the sample's clock: 2026-12-06, after the window


def test_the_plan_of_history_prints_each_door_the_requests_and_the_time_and_writes_nothing(tmp_path: Path) -> None:
    # GIVEN no lake yet WHEN the whole nodal history is planned on the sample source (it has credentials)
    lake = tmp_path / "lake"
    done = energylake("backfill", "--source", "sample", *HISTORY, "--plan", "--lake", str(lake))
    # THEN it exits 0 and prints the days of every door, the requests and the least time at 30 requests a minute
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for door in ("ercot-yearly", "ercot-archive", "ercot-api", "ercot-dashboard", "open-meteo-archive"):
        assert door in out
    assert "2014-05-01..2026-09-06" in out  # real-time prices through the archive
    assert "30 requests/min" in out and "at least" in out and "a lower bound" in out
    assert "unreachable: solar 2011-01-01..2016-03-11 (1,897 days)" in out
    assert "ERCOT's archive of NP4-737-CD starts 2016-03-12" in out
    # AND nothing was created: no lake, no log, no state
    assert not lake.exists()
    assert files_under(tmp_path) == []


def test_the_json_plan_is_the_planners(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["backfill", "--source", "sample", *HISTORY, "--plan", "--json", "--lake", str(tmp_path / "l")])
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    # THEN the figures are plan_fetch's over the same chunks, seen from the sample's clock with credentials
    window = Window(dt.date(2011, 1, 1), dt.date(2026, 12, 5))
    today = dt.date(2026, 12, 6)
    chunks = backfill_chunks(window, ALL_DATASETS, today=today, credentials=True, chunk_days=7)
    expected = plan_fetch(window, ALL_DATASETS, today=today, credentials=True, settings=Settings(), chunks=chunks)
    assert printed["plan"] == json.loads(json.dumps(expected.as_dict()))
    assert printed["chunks"] == printed["pending"] == sum(1 for chunk in chunks if chunk.datasets)
    assert printed["plan"]["ercot_requests"] == expected.ercot_requests
    assert not (tmp_path / "l").exists()


def test_without_credentials_the_plan_lists_the_mis_days_and_what_to_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the live source without ERCOT credentials (the test environment has none), up to yesterday
    yesterday = central_today() - dt.timedelta(days=1)
    args = ["backfill", "--start", "2011-01-01", "--end", yesterday.isoformat(), "--lake", str(tmp_path / "lake")]
    # WHEN it is planned (no request leaves the machine: the tests are offline)
    assert cli.main([*args, "--plan"]) == 0
    out = capsys.readouterr().out
    # THEN the last five days come from the no-login MIS files, older years from the yearly files
    assert "ercot-mis" in out and "ercot-yearly" in out and "ercot-archive" not in out
    assert "(no credentials)" in out
    # AND the days no door reaches say which variables would reach them
    assert "unreachable: load_forecast 2011-01-01.." in out
    assert "ENERGYLAKE_ERCOT_USERNAME" in out
    assert cli.main([*args, "--plan", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)["plan"]
    assert plan["credentials"] is False
    assert plan["datasets"]["spp_rt"]["days"]["ercot-mis"] == 5
    assert files_under(tmp_path) == []


def test_with_live_credentials_old_days_come_from_the_archive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in (("USERNAME", "someone"), ("PASSWORD", "secret"), ("SUBSCRIPTION_KEY", "key")):
        monkeypatch.setenv(f"ENERGYLAKE_ERCOT_{name}", value)
    args = ["backfill", "--start", "2015-01-01", "--end", "2015-12-31", "--dataset", "spp_rt", "--plan", "--json"]
    assert cli.main([*args, "--lake", str(tmp_path / "lake")]) == 0
    plan = json.loads(capsys.readouterr().out)["plan"]
    # 365 days x 96 documents, in 53 weekly chunks: each lists and downloads its 672 (or fewer) documents
    spp_rt = plan["datasets"]["spp_rt"]
    assert (plan["credentials"], spp_rt["days"]) == (True, {"ercot-archive": 365})
    assert spp_rt["doors"][0]["documents"] == 365 * 96
    assert spp_rt["requests"] == 53 * 2 + 1  # listing + download per chunk, one token for the process
    assert files_under(tmp_path) == []


def test_a_backfill_prints_its_plan_then_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lake = tmp_path / "lake"
    args = ["backfill", "--source", "sample", "--start", "2024-11-02", "--end", "2024-11-03", "--dataset", "spp_dam",
            "--stages", "fetch", "--lake", str(lake)]  # fmt: skip
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    # THEN the plan (seen from the sample's clock, the day after the window) comes before the run's summary
    assert out.index("fetch plan seen from 2024-11-04") < out.index("backfill 2024-11-02..2024-11-03: 1 chunk(s) run")
    assert any((lake / "raw" / "source=ercot" / "dataset=spp_dam").rglob("*.json"))


def test_a_backfill_fetches_per_chunk_only_what_a_door_reaches_and_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the fuel mix and day-ahead prices of 2024-11-01..04, seen from 2024-11-05 (the sample's clock): the fuel
    # mix of the current year comes only from the dashboard (11-04 and 11-05), so 11-01..03 are unreachable for it
    lake = tmp_path / "lake"
    args = ["backfill", "--source", "sample", "--start", "2024-11-01", "--end", "2024-11-04", "--dataset", "fuel_mix",
            "--dataset", "spp_dam", "--stages", "fetch", "--lake", str(lake), "--json"]  # fmt: skip
    # WHEN it runs
    assert cli.main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    # THEN it does not fail on the unreachable days: the chunk holding them fetches spp_dam alone
    assert (summary["chunks"], summary["skipped"]) == (2, 0)
    assert summary["plan"]["datasets"]["fuel_mix"] == {
        "days": {"ercot-dashboard": 1},
        "requests": 1,
        "unreachable_days": 3,
    }
    state = json.loads((lake / "_state" / "backfill-2024-11-01-2024-11-04.json").read_text())["completed"]
    assert state["2024-11-01..2024-11-03"]["datasets"] == ["spp_dam"]
    assert state["2024-11-01..2024-11-03"]["unreachable"] == ["fuel_mix"]
    assert state["2024-11-04..2024-11-04"]["datasets"] == ["fuel_mix", "spp_dam"]
    fuel_days = {path.name for path in (lake / "raw" / "source=ercot" / "dataset=fuel_mix").glob("date=*")}
    assert fuel_days == {"date=2024-11-04"}
    # AND a rerun has nothing left, and its plan says so
    assert cli.main(args) == 0
    assert json.loads(capsys.readouterr().out)["skipped"] == 2
    assert cli.main([*args, "--plan"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert (plan["chunks"], plan["pending"], plan["plan"]["ercot_requests"]) == (2, 0, 0)


def test_a_backfill_no_door_reaches_exits_2_naming_why_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the load forecast of 2012 without credentials (its archive starts in 2014 and needs them)
    lake = tmp_path / "lake"
    args = ["backfill", "--start", "2012-01-01", "--end", "2012-01-31", "--dataset", "load_forecast"]
    code = cli.main([*args, "--lake", str(lake)])
    captured = capsys.readouterr()
    # THEN it exits 2 naming the reason, having printed its plan and written nothing
    assert code == 2
    assert "nothing to backfill in 2012-01-01..2012-01-31" in captured.err
    assert "NP3-565-CD starts 2014-08-08" in captured.err
    assert "unreachable: load_forecast 2012-01-01..2012-01-31 (31 days)" in captured.out
    assert not lake.exists()


@pytest.mark.parametrize(
    ("start", "end", "datasets"),
    [
        # the archive (the fall-back day's 100 real-time documents, a forecast's vintages) and a yearly file
        ("2024-11-02", "2024-11-03", ("spp_rt", "wind", "fuel_mix", "weather")),
        # yearly files across New Year (calendar-year chunks: one look-up, a download each)
        ("2013-12-31", "2014-01-01", ("load_weather_zone",)),
        # short chunks of one year of the fuel mix beside the archive: the year's file is looked up and downloaded
        # once for the three chunks, and one token serves every chunk's archive requests
        ("2015-02-02", "2015-02-07", ("spp_dam", "fuel_mix")),
    ],
)
def test_the_plan_counts_the_requests_the_clients_send(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], start: str, end: str, datasets: tuple[str, ...]
) -> None:
    # GIVEN the sample source seen from 2026-12-06: these days come through the archive and the yearly files
    args = ["backfill", "--source", "sample", "--sample-today", "2026-12-06", "--start", start, "--end", end,
            "--chunk-days", "2", "--stages", "fetch", "--lake", str(tmp_path / "lake"), "--json"]  # fmt: skip
    for name in datasets:
        args += ["--dataset", name]
    # WHEN the backfill runs through the real clients
    assert cli.main(args) == 0
    document = json.loads(capsys.readouterr().out)
    # THEN every dataset sent the requests its plan counted (the sample answers some with 429: those are retries)
    planned = {name: entry["requests"] for name, entry in document["plan"]["datasets"].items()}
    sent, retries = document["requests"]["sent"], document["requests"]["retries"]
    assert {name: sent[name] - retries[name] for name in sent} == planned
    assert "ercot-archive" in json.dumps(document["plan"]) or "ercot-yearly" in json.dumps(document["plan"])


def test_the_sample_clock_is_only_for_the_sample(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["backfill", "--start", "2024-11-01", "--end", "2024-11-02", "--sample-today", "2026-12-06",
                     "--plan", "--lake", str(tmp_path / "lake")])  # fmt: skip
    assert code == 2
    assert "--sample-today sets the sample source's clock" in capsys.readouterr().err
    code = cli.main(["backfill", "--source", "sample", "--start", "2024-11-01", "--end", "2024-11-02",
                     "--sample-today", "2026-13-01", "--plan", "--lake", str(tmp_path / "lake")])  # fmt: skip
    assert code == 2
    assert "--sample-today must be a real calendar date" in capsys.readouterr().err
    assert files_under(tmp_path) == []
