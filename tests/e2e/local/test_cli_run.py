"""`energylake run`, `status`, `backfill` and the bad-input contract, on the offline sample source.

The whole pipeline (Spark included) runs once, in a module-scoped fixture, over a window holding the 2024 fall-back
day; the other tests assert on that lake or call ``cli.main`` in-process for the fast cases.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import duckdb
import pytest

from energylake.errors import FetchError
from energylake.local import cli
from tests.support.cli import energylake, files_under

WINDOW = ["--start", "2024-11-02", "--end", "2024-11-04"]
DATASETS = ("spp_rt", "spp_dam", "load_weather_zone", "wind", "solar", "weather")
DATASET_ARGS = [arg for name in DATASETS for arg in ("--dataset", name)]
# The warehouse tables those datasets feed (silver) and the gold tables built from them.
FED_TABLES = (
    "ercot_spp",
    "ercot_load_by_weather_zone",
    "weather_hourly",
    "ercot_wind_solar",
    "energy_weather_hourly",
    "system_hourly",
    "ercot_spp_hourly",
)


VOLATILE = frozenset({"loaded_at_utc", "run_id"})


def table_rows(warehouse: Path) -> dict[str, list[tuple[object, ...]]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = {}
        for table in FED_TABLES:
            # Every column but when the row was loaded and which curation run wrote it (a rerun is a new run).
            columns = [row[0] for row in con.sql(f"DESCRIBE {table}").fetchall() if row[0] not in VOLATILE]
            rows[table] = sorted(con.sql(f"SELECT {', '.join(columns)} FROM {table}").fetchall(), key=repr)  # noqa: S608
        return rows
    finally:
        con.close()


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """GIVEN the sample source WHEN `energylake run` covers 2024-11-02..04 for six datasets, into a fresh lake."""
    lake = tmp_path_factory.mktemp("run") / "lake"
    done = energylake("run", "--source", "sample", *WINDOW, *DATASET_ARGS, "--lake", str(lake))
    return lake, done


def test_run_exits_0_and_fills_every_table_those_datasets_feed(
    ran: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    lake, done = ran
    # THEN it succeeded and printed the closing summary: tables, quality, time per stage, where things are
    assert done.returncode == 0, done.stderr[-3000:]
    for heading in ("warehouse tables", "quality", "time per stage", "fetch", "curate", "gold", "load"):
        assert heading in done.stdout
    assert f"warehouse: {lake / 'warehouse.duckdb'}" in done.stdout
    # AND every warehouse table those datasets feed holds rows
    rows = table_rows(lake / "warehouse.duckdb")
    assert all(rows[table] for table in FED_TABLES), {table: len(r) for table, r in rows.items()}
    # AND the structured log is JSON lines naming the stages
    log = [json.loads(line) for line in (lake / "logs" / "energylake.log").read_text().splitlines()]
    assert {entry.get("stage") for entry in log} >= {"fetch", "curate", "gold", "load"}


def test_the_fall_back_day_has_25_hours(ran: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    lake, done = ran
    assert done.returncode == 0
    con = duckdb.connect(str(lake / "warehouse.duckdb"), read_only=True)
    labels = con.sql(
        "SELECT hour_ending, repeated_hour FROM system_hourly WHERE operating_day = DATE '2024-11-03' ORDER BY 1, 2"
    ).fetchall()
    con.close()
    assert len(labels) == 25
    assert labels[1:3] == [(2, False), (2, True)]


def test_status_reports_windows_zones_and_table_counts(
    ran: tuple[Path, subprocess.CompletedProcess[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    lake, done = ran
    assert done.returncode == 0
    before = files_under(lake)
    # WHEN status runs (as JSON, then as tables)
    assert cli.main(["status", "--lake", str(lake), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    # THEN it names the raw windows, the curated zones and the rows of every warehouse table
    assert set(document["raw"]) == set(DATASETS)
    assert "2024-11-02..2024-11-04" in document["raw"]["spp_rt"]["windows"]
    assert all(document["zones"][name]["silver_files"] > 0 for name in DATASETS)
    assert all(document["zones"][name]["reports"] > 0 for name in DATASETS)
    counts = {name: entry["rows"] for name, entry in document["warehouse"]["tables"].items()}
    assert counts == {name: len(rows) for name, rows in table_rows(lake / "warehouse.duckdb").items()} | {
        name: count for name, count in counts.items() if name not in FED_TABLES
    }
    assert cli.main(["status", "--lake", str(lake)]) == 0
    text = capsys.readouterr().out
    assert all(table in text for table in FED_TABLES)
    assert "no quarantined groups" in text
    # AND it wrote nothing
    assert files_under(lake) == before


def test_rerunning_curation_gold_and_load_leaves_identical_rows(
    ran: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    lake, done = ran
    assert done.returncode == 0
    first = table_rows(lake / "warehouse.duckdb")
    # WHEN the window is reprocessed (raw -> silver -> gold -> warehouse, no fetch)
    again = energylake("reprocess", *WINDOW, *DATASET_ARGS, "--lake", str(lake))
    assert again.returncode == 0, again.stderr[-3000:]
    # THEN the warehouse holds exactly the same rows
    assert table_rows(lake / "warehouse.duckdb") == first


BAD_INPUTS = [
    (["--start", "2024-11-07", "--end", "2024-11-01"], "end 2024-11-01 is before start 2024-11-07"),
    (["--start", "2024-02-30", "--end", "2024-03-01"], "start must be a real calendar date"),
    (["--start", "2024-11-01", "--end", "2024-11-01", "--dataset", "prices"], "unknown dataset 'prices'"),
    (["--end", "2024-11-01"], "required: --start"),
]
BAD_SOURCE = (["--start", "2024-11-01", "--end", "2024-11-01", "--source", "cache"], "invalid choice: 'cache'")


@pytest.mark.parametrize(
    ("command", "args", "message"),
    [(command, *case) for command in ("run", "backfill", "fetch", "reprocess") for case in BAD_INPUTS]
    + [(command, *BAD_SOURCE) for command in ("run", "backfill", "fetch")],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, args: list[str], message: str
) -> None:
    # GIVEN a bad input WHEN a command runs with it
    code = cli.main([command, "--lake", str(tmp_path / "lake"), *args])
    # THEN it exits 2 with one clear line, and nothing was created
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert files_under(tmp_path) == []


def test_unwritable_paths_exit_2_and_write_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    day = ["--start", "2024-11-01", "--end", "2024-11-01", "--source", "sample"]
    cases = [
        # a lake under a file
        (["--lake", str(blocker / "lake")], "lake folder", "is a file"),
        # a lake inside a place nobody can create files in (even root)
        (["--lake", "/proc/energylake-test/lake"], "lake folder", "not writable"),
        # a warehouse in a missing, read-only place (the lake itself is fine)
        (["--lake", str(tmp_path / "lake"), "--warehouse", "/proc/energylake-test/w.duckdb"], "warehouse file", ""),
        # a warehouse path that is a folder
        (["--lake", str(tmp_path / "lake"), "--warehouse", str(tmp_path)], "warehouse file", "is a folder"),
    ]
    for paths, what, why in cases:
        # WHEN run gets the unwritable path THEN it exits 2 naming it, and the lake was not created
        assert cli.main(["run", *day, *paths]) == 2, paths
        err = capsys.readouterr().err
        assert what in err and why in err and "not writable" in err, err
        assert files_under(tmp_path) == [blocker]
        assert not (tmp_path / "lake").exists()


def test_a_lake_uri_of_another_scheme_exits_2_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a lake URI energylake cannot open WHEN a command gets it
    args = ["--start", "2024-11-01", "--end", "2024-11-01", "--warehouse", str(tmp_path / "w.duckdb")]
    code = cli.main(["reprocess", "--lake", "ftp://example.com/lake", *args])
    # THEN it exits 2 with one line naming the URI and what is supported, and writes nothing
    err = capsys.readouterr().err
    assert code == 2
    assert "unsupported lake URI 'ftp://example.com/lake': use a folder path or s3://bucket/prefix" in err
    assert len(err.strip().splitlines()) == 1
    assert files_under(tmp_path) == []


def test_a_bad_setting_exits_2_naming_the_variable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an ENERGYLAKE_* variable with an impossible value
    monkeypatch.setenv("ENERGYLAKE_HTTP_MAX_ATTEMPTS", "0")
    # WHEN a command that reaches the sources runs
    code = cli.main(["fetch", "--start", "2024-11-01", "--end", "2024-11-01", "--lake", str(tmp_path / "lake")])
    # THEN one line names the variable and the rule, and nothing is written
    err = capsys.readouterr().err
    assert code == 2
    assert "invalid setting ENERGYLAKE_HTTP_MAX_ATTEMPTS: Input should be greater than or equal to 1" in err
    assert len(err.strip().splitlines()) == 1
    assert files_under(tmp_path) == []


def test_status_of_a_missing_lake_creates_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["status", "--lake", str(tmp_path / "lake")]) == 0
    assert "no lake here yet" in capsys.readouterr().out
    assert not (tmp_path / "lake").exists()


def test_backfill_resumes_after_an_interruption_skipping_finished_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from energylake.local import runner

    lake = tmp_path / "lake"
    real_fetch = runner.fetch
    fetched: list[tuple[str, str]] = []
    broken = {"2024-11-03"}

    def flaky_fetch(window: object, dataset: str, storage: object, connection: object) -> object:
        fetched.append((dataset, str(window)))
        if str(window).startswith(tuple(broken)):
            raise FetchError("sample outage", request=f"GET {dataset} {window}")
        return real_fetch(window, dataset, storage, connection)  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "fetch", flaky_fetch)
    args = ["backfill", "--source", "sample", "--start", "2024-11-02", "--end", "2024-11-04", "--chunk-days", "1",
            "--stages", "fetch,curate", "--dataset", "spp_dam", "--lake", str(lake)]  # fmt: skip
    # GIVEN a backfill in 1-day chunks WHEN the source fails during the 2nd chunk
    assert cli.main(args) == 1
    err = capsys.readouterr().err
    # THEN it exits 1 naming the stage, the dataset and the day, and what to do
    assert "fetch failed for spp_dam on 2024-11-03..2024-11-03" in err
    assert "What to do" in err
    state = json.loads((lake / "_state" / "backfill-2024-11-02-2024-11-04.json").read_text())
    assert list(state["completed"]) == ["2024-11-02..2024-11-02"]
    # WHEN the source recovers and the same backfill runs again
    broken.clear()
    fetched.clear()
    assert cli.main([*args, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    # THEN the finished chunk was skipped, the others ran, and silver covers all three days
    assert [window for _, window in fetched] == ["2024-11-03..2024-11-03", "2024-11-04..2024-11-04"]
    assert (summary["chunks"], summary["skipped"]) == (3, 1)
    state = json.loads((lake / "_state" / "backfill-2024-11-02-2024-11-04.json").read_text())
    assert len(state["completed"]) == 3
    assert summary["quality"]["spp_dam"]["failed"] == 0
    # AND a third run has nothing left to do
    fetched.clear()
    assert cli.main(args) == 0
    assert fetched == []
    assert "0 chunk(s) run, 3 skipped" in capsys.readouterr().out


def test_a_backfill_of_other_datasets_over_the_same_window_is_not_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a finished backfill of spp_dam over two days
    lake = tmp_path / "lake"
    base = ["backfill", "--source", "sample", "--start", "2024-11-02", "--end", "2024-11-03", "--chunk-days", "1",
            "--stages", "fetch", "--lake", str(lake), "--json"]  # fmt: skip
    assert cli.main([*base, "--dataset", "spp_dam"]) == 0
    capsys.readouterr()
    # WHEN the same window is backfilled for weather
    assert cli.main([*base, "--dataset", "weather"]) == 0
    summary = json.loads(capsys.readouterr().out)
    # THEN no chunk counts as done (they were done for spp_dam only) and weather landed
    assert (summary["chunks"], summary["skipped"]) == (2, 0)
    assert any((lake / "raw" / "source=openmeteo").rglob("*.json"))
    # AND rerunning the spp_dam backfill still skips both chunks
    assert cli.main([*base, "--dataset", "spp_dam"]) == 0
    assert json.loads(capsys.readouterr().out)["skipped"] == 2


def test_a_malformed_manifest_stops_reprocess_with_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a lake whose spp_dam partition holds a manifest that is not JSON
    lake = tmp_path / "lake"
    bad = lake / "raw/source=ercot/dataset=spp_dam/date=2024-11-03/_manifests/g/20241104T000000000000Z-x.manifest.json"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"{not json")
    # WHEN reprocess runs over that day
    code = cli.main(["reprocess", "--silver-only", "--start", "2024-11-03", "--end", "2024-11-03", "--dataset",
                     "spp_dam", "--lake", str(lake)])  # fmt: skip
    # THEN it exits 1 naming the stage and the malformed manifest, without a traceback
    err = capsys.readouterr().err
    assert code == 1
    assert "curate failed for spp_dam" in err and "malformed" in err and bad.name in err
    assert "Traceback" not in err
