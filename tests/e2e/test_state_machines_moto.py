"""The state machines EXECUTED on moto, driving the real handlers (see tests/support/sfn_stack.py for what stands in).

(a) happy path over a window with a DST day (three days: gold in Glue); (b) ERCOT keeps failing; (c) a quarantined
group is left out, the rest loaded, and the run ends GroupsQuarantined (the CLI's exit 3); (d) the same input twice
gives the same warehouse rows; (e) a bad input fails at the first state; (f) the backfill machine over a multi-day
window; (g) a backfill whose chunks reach different datasets (archives that start within the window) fetches per
chunk only those; (h) a one-day window builds gold in BuildGoldFunction, never in Glue; (i) a load that stops early
is resumed where it stopped; (j) a loader that stops without moving on fails the run instead of looping.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from energylake.contracts.datasets import WAREHOUSE_TABLES
from energylake.contracts.tables import GOLD_TABLES
from tests.support.sfn_stack import BUCKET, Stack, moto_stack

pytest.importorskip("pyspark", reason="pyspark is not installed (pip install -e '.[spark]')")

# Operating days 2024-11-02..04: 2024-11-03 is the fall-back day (25 hours). Three days: more than the gold Lambda's
# two (ENERGYLAKE_GOLD_LAMBDA_MAX_DAYS in the stack), so gold is built by the Glue job.
DST_WINDOW = {"start": "2024-11-02", "end": "2024-11-04"}
# The datasets the three gold tables read (prices, zone load, weather): enough for every gold table, quick to fetch.
GOLD_INPUTS = ["spp_rt", "spp_dam", "load_weather_zone", "weather"]
ALL_TABLES = WAREHOUSE_TABLES


@pytest.fixture(scope="class")
def happy_module() -> Iterator[tuple[Stack, dict[str, Any]]]:
    """One stack shared by (a) and (d) (class-scoped: two moto stacks cannot be alive at once): the happy-path
    execution runs once, (d) reruns it."""
    with pytest.MonkeyPatch.context() as monkeypatch, moto_stack(monkeypatch) as stack:
        first = stack.execute("pipeline", DST_WINDOW, name="happy-first")
        yield stack, first


@pytest.fixture
def happy(happy_module: tuple[Stack, dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> tuple[Stack, dict[str, Any]]:
    happy_module[0].apply_environment(monkeypatch)
    return happy_module


def _error(description: dict[str, Any]) -> tuple[str, str]:
    return description.get("error", ""), description.get("cause", "")


class TestHappyPath:
    """(a) then (d), on one stack."""

    def test_a_happy_path_over_a_dst_window_succeeds_and_fills_the_warehouse(
        self, happy: tuple[Stack, dict[str, Any]]
    ) -> None:
        stack, execution = happy

        # THEN the execution succeeded through every stage, in order
        assert execution["status"] == "SUCCEEDED", _error(execution)
        entered = stack.entered_states(execution["executionArn"])
        stages = ["PlanRun", "Fetch", "CheckQuality", "StartGold", "GetGoldRun", "LoadWarehouse", "Summarize"]
        assert list(dict.fromkeys(state for state in entered if state in stages)) == stages
        # ... gold in the Glue job: three operating days are more than the gold Lambda takes
        assert "BuildGold" not in entered and stack.calls("BuildGoldFunction") == []
        # ... every dataset was fetched: 7 ERCOT datasets one at a time, weather alongside
        assert sorted(call["dataset"] for call in stack.calls("FetchErcotFunction")) == sorted(
            ["spp_rt", "spp_dam", "load_weather_zone", "load_forecast", "wind", "solar", "fuel_mix"]
        )
        assert len(stack.calls("FetchWeatherFunction")) == 1
        # ... the summary says what was done
        summary = json.loads(execution["output"])
        assert summary["status"] == "SUCCEEDED"
        assert (summary["start"], summary["end"]) == ("2024-11-02", "2024-11-04")
        assert summary["quality"]["status"] == "passed" and summary["quality"]["groups"] == summary["quality"]["passed"]
        assert summary["quality"]["groups"] > 0
        assert summary["warehouse"]["freshness_minutes"]["spp_rt"] > 0
        assert summary["warehouse"]["done"] is True
        [run] = stack.glue.get_job_runs(JobName="energylake-test-gold")["JobRuns"]
        assert summary["gold"] == {"engine": "glue", "job_name": "energylake-test-gold", "job_run_id": run["Id"]}
        # ... gold was built once, for the window
        assert [str(window) for window in stack.gold_builds] == ["2024-11-02..2024-11-04"]
        # ... the warehouse holds every table, and the fall-back day has 25 hours, each once
        for table in ALL_TABLES:
            if table != "ercot_fuel_mix":  # the fuel-mix dashboard only covers the days before the sample's "now"
                assert stack.warehouse_rows(table), f"{table} is empty"
        system = stack.warehouse_rows("system_hourly")
        names = stack.columns("system_hourly")
        starts = [row[names.index("interval_start_utc")] for row in system]
        assert len(starts) == len(set(starts)) == 24 + 25 + 24
        # ... and nobody was alerted
        assert stack.alerts() == []

    def test_d_the_same_input_twice_gives_the_same_warehouse_rows(self, happy: tuple[Stack, dict[str, Any]]) -> None:
        stack, first = happy
        assert first["status"] == "SUCCEEDED", _error(first)
        before = {table: stack.warehouse_rows(table) for table in ALL_TABLES}
        raw_before = sorted(stack.lake.list("raw/"))

        # WHEN the same input runs again (a console rerun)
        second = stack.execute("pipeline", DST_WINDOW, name="happy-rerun")

        # THEN it succeeds, lands nothing new (identical bytes) and the warehouse holds exactly the same rows
        assert second["status"] == "SUCCEEDED", _error(second)
        assert sorted(stack.lake.list("raw/")) == raw_before
        after = {table: stack.warehouse_rows(table) for table in ALL_TABLES}
        assert after == before
        assert sum(len(rows) for rows in after.values()) > 0


def test_b_ercot_failing_retries_then_alerts_and_fails_with_nothing_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    with moto_stack(monkeypatch) as stack:
        # GIVEN ERCOT answers every request with HTTP 500
        def ercot_down(request: httpx.Request, response: httpx.Response) -> httpx.Response:
            if "ercot" in request.url.host:
                return httpx.Response(500, json={"statusCode": 500, "message": "Internal Server Error"})
            return response

        stack.reply_hook = ercot_down

        # WHEN the pipeline runs
        execution = stack.execute("pipeline", {**DST_WINDOW, "datasets": ["spp_rt", "weather"]}, name="ercot-down")

        # THEN it FAILED with the fetch's error ...
        assert execution["status"] == "FAILED"
        error, cause = _error(execution)
        assert error == "FetchError"
        assert "500" in cause or "spp_rt" in cause
        # ... after the state machine retried the fetch (the client also retried each request)
        assert len(stack.calls("FetchErcotFunction")) == 3  # 1 + Retry MaxAttempts 2 on FetchError
        # ... the alert topic was told which execution failed and why
        [alert] = stack.alerts()
        assert alert["Subject"] == "energylake pipeline failed"
        assert "ercot-down" in alert["Message"] and "FetchError" in alert["Message"]
        # ... and nothing reached Glue or the warehouse
        assert stack.calls("TriggerGlueFunction") == [] and stack.calls("LoadRedshiftFunction") == []
        assert not stack.warehouse_path.exists()
        assert stack.glue.get_job_runs(JobName="energylake-test-gold")["JobRuns"] == []


def test_c_a_quarantined_group_is_left_out_the_rest_is_loaded_and_the_run_ends_groups_quarantined(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with moto_stack(monkeypatch) as stack:
        # GIVEN ERCOT real-time prices that are all impossible (a sentinel far beyond the 10,000 USD/MWh cap): too
        # many bad rows to reject one by one, so the spp_rt group fails; the other datasets are fine
        def bad_price(request: httpx.Request, response: httpx.Response) -> httpx.Response:
            if "spp_node_zone_hub" not in request.url.path or response.status_code != 200:
                return response
            document = json.loads(response.content)
            column = [field["name"] for field in document["fields"]].index("settlementPointPrice")
            for row in document["data"]:
                row[column] = 999_999.0
            return httpx.Response(200, json=document, headers={"Content-Type": "application/json"})

        stack.reply_hook = bad_price

        # WHEN the pipeline runs over one day (gold in the Lambda)
        window = {"start": "2024-11-03", "end": "2024-11-03", "datasets": GOLD_INPUTS}
        execution = stack.execute("pipeline", window, name="bad-prices")

        # THEN, as the CLI (exit 3): gold and the warehouse were built from the groups that passed ...
        entered = stack.entered_states(execution["executionArn"])
        stages = ["CheckQuality", "BuildGold", "LoadWarehouse", "Summarize", "NotifyQuarantine", "Quarantined"]
        assert list(dict.fromkeys(state for state in entered if state in stages)) == stages
        assert list(stack.lake.list("quarantine/dataset=spp_rt/"))
        markets = dict(stack.query("SELECT market, count(*) FROM ercot_spp GROUP BY market"))
        assert markets.get("DAM", 0) > 0 and "RT15" not in markets
        assert stack.warehouse_rows("weather_hourly") and stack.warehouse_rows("energy_weather_hourly")
        # ... then the run ended FAILED with GroupsQuarantined, naming the group and the check, one line each
        assert execution["status"] == "FAILED"
        error, cause = _error(execution)
        assert error == "GroupsQuarantined"
        assert "quarantined spp_rt " in cause and "dataset=spp_rt" in cause and "settlementPointPrice" not in cause
        # ... and the alert said so (not "failed": what passed is loaded)
        [alert] = stack.alerts()
        assert alert["Subject"] == "energylake pipeline finished with quarantined groups"
        assert "quarantined spp_rt" in alert["Message"]


@pytest.mark.parametrize(
    ("execution_input", "named"),
    [
        ({"start": "2024-02-30", "end": "2024-03-01"}, "start"),
        ({"start": "2024-11-07", "end": "2024-11-01"}, "before start"),
        ({"start": "2024-11-01", "end": "2024-11-02", "datasets": ["spp_rt", "gas"]}, "datasets"),
        ({"start": "2024-11-01"}, "both start and end"),
        ({"schedule": "hourly", "scheduled_time": "2024-11-03T07:15:00Z"}, "schedule"),
        (["2024-11-01", "2024-11-02"], "input"),
    ],
)
def test_e_a_bad_input_fails_at_the_first_state_with_a_clear_cause(
    monkeypatch: pytest.MonkeyPatch, execution_input: Any, named: str
) -> None:
    with moto_stack(monkeypatch) as stack:
        execution = stack.execute("pipeline", execution_input, name="bad-input")

        # THEN it FAILED with the validation error, whose message names what is wrong ...
        assert execution["status"] == "FAILED"
        error, cause = _error(execution)
        assert error == "InvalidRequestError"
        message = json.loads(cause)["errorMessage"]
        assert message.startswith("invalid pipeline input") and named in message
        # ... at the first state: nothing was fetched
        assert [name for name, _ in stack.invocations if name != "ValidateFunction"] == ["PlanRunFunction"]
        entered = stack.entered_states(execution["executionArn"])
        assert entered == ["PlanRun", "InputRejected", "NotifyFailure", "Failed"]
        assert list(stack.lake.list("raw/")) == []
        [alert] = stack.alerts()
        assert "InvalidRequestError" in alert["Message"]


def test_f_the_backfill_machine_runs_a_multi_day_window_in_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    with moto_stack(monkeypatch) as stack:
        # WHEN a 5-day backfill runs in 2-day chunks
        execution = stack.execute(
            "backfill",
            {"start": "2024-10-31", "end": "2024-11-04", "chunk_days": 2, "datasets": ["spp_rt", "weather"]},
            name="backfill-5-days",
        )

        # THEN it succeeded; each chunk was fetched separately, and gold + the warehouse ran once for the window
        assert execution["status"] == "SUCCEEDED", _error(execution)
        windows = sorted((call["start"], call["end"]) for call in stack.calls("FetchErcotFunction"))
        assert windows == [("2024-10-31", "2024-11-01"), ("2024-11-02", "2024-11-03"), ("2024-11-04", "2024-11-04")]
        assert [str(window) for window in stack.gold_builds] == ["2024-10-31..2024-11-04"]
        assert len(stack.calls("LoadRedshiftFunction")) == 1
        # ... the map's result summary was written to S3 under backfill-results/
        summary = json.loads(execution["output"])
        written = summary["chunk_results"]["ResultWriterDetails"]
        assert written["Bucket"] == BUCKET and written["Key"].startswith("backfill-results/")
        assert stack.lake.exists(written["Key"])
        # ... and the warehouse holds every hour of the five days (the 25-hour fall-back day included)
        spp = stack.warehouse_rows("ercot_spp")
        assert spp
        [(hours,)] = stack.query("SELECT COUNT(DISTINCT interval_start_utc) FROM system_hourly")
        assert hours == 24 * 4 + 25
        assert stack.alerts() == []


def test_a_failed_glue_run_alerts_and_fails_before_the_warehouse(monkeypatch: pytest.MonkeyPatch) -> None:
    from unittest import mock

    from moto.glue.models import FakeJobRun

    with (
        moto_stack(monkeypatch) as stack,
        # GIVEN every Glue job run ends FAILED (moto's runs otherwise succeed at once)
        mock.patch.object(FakeJobRun, "status", new_callable=mock.PropertyMock, return_value="FAILED"),
    ):
        # WHEN the pipeline runs
        execution = stack.execute("pipeline", {**DST_WINDOW, "datasets": ["spp_rt"]}, name="glue-fails")

        # THEN the poll loop saw the failure: the execution FAILED naming the job run and its state ...
        assert execution["status"] == "FAILED"
        error, cause = _error(execution)
        assert error == "GlueJobFailed"
        [run] = stack.glue.get_job_runs(JobName="energylake-test-gold")["JobRuns"]
        assert run["Id"] in cause and "FAILED" in cause
        # ... the warehouse was never loaded, and the alert went out
        assert stack.calls("LoadRedshiftFunction") == []
        assert not stack.warehouse_path.exists()
        [alert] = stack.alerts()
        assert "GlueJobFailed" in alert["Message"]


def test_g_the_backfill_machine_fetches_per_chunk_only_the_datasets_a_door_reaches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with moto_stack(monkeypatch) as stack:
        # GIVEN a backfill across the first days of two archives: the load forecast's starts 2014-08-08, wind's
        # 2014-08-17 (weekly chunks; every day older than the data endpoints reach, so all through the archive)
        execution = stack.execute(
            "backfill",
            {"start": "2014-08-01", "end": "2014-08-20", "datasets": ["spp_dam", "load_forecast", "wind", "weather"]},
            name="backfill-archive-seams",
            timeout_s=600,
        )

        # THEN it succeeded: no chunk asked for a day no door reaches (moto fails the map on any failed chunk)
        assert execution["status"] == "SUCCEEDED", _error(execution)
        fetched = sorted((call["start"], call["end"], call["dataset"]) for call in stack.calls("FetchErcotFunction"))
        # ... the first chunk fetched no load forecast nor wind; each is fetched from its first day on, no day lost
        assert fetched == [
            ("2014-08-01", "2014-08-07", "spp_dam"),
            ("2014-08-08", "2014-08-14", "load_forecast"),
            ("2014-08-08", "2014-08-14", "spp_dam"),
            ("2014-08-15", "2014-08-16", "load_forecast"),
            ("2014-08-15", "2014-08-16", "spp_dam"),
            ("2014-08-17", "2014-08-20", "load_forecast"),
            ("2014-08-17", "2014-08-20", "spp_dam"),
            ("2014-08-17", "2014-08-20", "wind"),
        ]
        assert len(stack.calls("FetchWeatherFunction")) == 4  # weather reaches every chunk
        # ... gold and the warehouse ran once over the whole window
        assert [str(window) for window in stack.gold_builds] == ["2014-08-01..2014-08-20"]
        assert len(stack.calls("LoadRedshiftFunction")) == 1
        # ... and the warehouse holds each dataset from the first day a door reaches it
        [(dam_hours,)] = stack.query("SELECT COUNT(DISTINCT interval_start_utc) FROM ercot_spp WHERE market = 'DAM'")
        assert dam_hours == 20 * 24
        [(forecast_hours,)] = stack.query(
            "SELECT COUNT(DISTINCT interval_start_utc) FROM ercot_load_forecast "
            "WHERE interval_start_utc >= TIMESTAMPTZ '2014-08-08 05:00:00+00' "
            "AND interval_start_utc < TIMESTAMPTZ '2014-08-21 05:00:00+00'"
        )
        assert forecast_hours == 13 * 24  # 2014-08-08..20, every hour
        [(wind_hours,)] = stack.query(
            "SELECT COUNT(DISTINCT interval_start_utc) FROM ercot_wind_solar "
            "WHERE resource = 'WIND' AND interval_start_utc >= TIMESTAMPTZ '2014-08-17 05:00:00+00'"
        )
        assert wind_hours == 4 * 24
        assert stack.alerts() == []


def _gold_dates(stack: Stack) -> dict[str, set[str]]:
    """The UTC date partitions each gold table has in the lake."""
    found: dict[str, set[str]] = {}
    for key in stack.lake.list("gold/"):
        _, table, partition, _ = key.split("/", 3)
        found.setdefault(table, set()).add(partition.removeprefix("date="))
    return found


def test_h_a_one_day_window_builds_gold_in_the_lambda_and_never_starts_glue(monkeypatch: pytest.MonkeyPatch) -> None:
    with moto_stack(monkeypatch) as stack:
        # WHEN the pipeline runs over one operating day (the fall-back day: 25 hours, UTC dates Nov 3 and 4)
        execution = stack.execute(
            "pipeline", {"start": "2024-11-03", "end": "2024-11-03", "datasets": GOLD_INPUTS}, name="gold-in-lambda"
        )

        # THEN it succeeded through the Lambda branch, straight from the quality gate to the load
        assert execution["status"] == "SUCCEEDED", _error(execution)
        entered = stack.entered_states(execution["executionArn"])
        stages = ["CheckQuality", "ChooseGoldEngine", "BuildGold", "StartLoad", "LoadWarehouse", "Summarize"]
        assert list(dict.fromkeys(state for state in entered if state in stages)) == stages
        assert stack.calls("BuildGoldFunction") == [{"start": "2024-11-03", "end": "2024-11-03"}]
        # ... Glue was never involved: no trigger, no job run, no poll
        assert stack.calls("TriggerGlueFunction") == [] and stack.gold_builds == []
        assert stack.glue.get_job_runs(JobName="energylake-test-gold")["JobRuns"] == []
        assert "GetGoldRun" not in entered
        # ... the function wrote every gold table's two UTC dates into the lake (moto S3), and says so in the summary
        assert _gold_dates(stack) == {table: {"2024-11-03", "2024-11-04"} for table in GOLD_TABLES}
        gold = json.loads(execution["output"])["gold"]
        assert (gold["engine"], gold["utc_dates"]) == ("lambda", 2)
        assert set(gold["tables"]) == set(GOLD_TABLES) and all(rows > 0 for rows in gold["tables"].values())
        # ... and the warehouse holds the day's 25 hours once each
        [(hours,)] = stack.query("SELECT COUNT(DISTINCT interval_start_utc) FROM energy_weather_hourly")
        assert hours == 25
        assert stack.alerts() == []


def test_i_a_load_that_stops_early_is_resumed_where_it_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    with moto_stack(monkeypatch) as stack:
        # GIVEN a loader that loads one day per invocation (as the real one stops when its time runs short)
        stack.load_days_per_pass = 1

        # WHEN the pipeline runs over two operating days (gold in the Lambda: two days are its limit)
        execution = stack.execute(
            "pipeline", {"start": "2024-11-03", "end": "2024-11-04", "datasets": GOLD_INPUTS}, name="load-in-passes"
        )

        # THEN the first pass answered done false, and the machine called it again from next_start, to the same end
        assert execution["status"] == "SUCCEEDED", _error(execution)
        passes = [(call["start"], call["end"]) for call in stack.calls("LoadRedshiftFunction")]
        assert passes == [("2024-11-03", "2024-11-04"), ("2024-11-04", "2024-11-04")]
        entered = stack.entered_states(execution["executionArn"])
        assert entered.count("LoadWarehouse") == 2 and entered.count("NextLoadChunk") == 1
        assert stack.calls("BuildGoldFunction") == [{"start": "2024-11-03", "end": "2024-11-04"}]
        # ... the summary is the last pass's (done), and the warehouse holds both days' 25 + 24 hours
        assert json.loads(execution["output"])["warehouse"]["done"] is True
        [(hours,)] = stack.query("SELECT COUNT(DISTINCT interval_start_utc) FROM energy_weather_hourly")
        assert hours == 25 + 24
        assert stack.alerts() == []


def test_j_a_loader_that_stops_without_moving_on_fails_the_run_instead_of_looping(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with moto_stack(monkeypatch) as stack:
        # GIVEN a loader that answers "not done" but gives no next start (a defect in it)
        stack.load_reply_hook = lambda reply: {**reply, "done": False, "next_start": None}

        # WHEN the pipeline runs
        execution = stack.execute(
            "pipeline", {"start": "2024-11-03", "end": "2024-11-03", "datasets": ["spp_rt"]}, name="load-stalls"
        )

        # THEN the run failed after one pass, naming the stall, and the alert went out
        assert execution["status"] == "FAILED"
        error, cause = _error(execution)
        assert error == "WarehouseLoadStalled"
        assert "no progress" in cause and "2024-11-03" in cause
        assert len(stack.calls("LoadRedshiftFunction")) == 1
        [alert] = stack.alerts()
        assert "WarehouseLoadStalled" in alert["Message"]
