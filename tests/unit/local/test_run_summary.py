"""The run summary: why rows were rejected, and a rerun's untouched tables read "unchanged", never a bare 0."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from energylake.curate import CurateResult
from energylake.lake import layout
from energylake.lake.storage import open_storage
from energylake.local.console import rejection_reasons, summary, written_cell
from energylake.local.options import Plan
from energylake.local.runner import PipelineReport


def check(name: str, severity: str, failures: int, reason: str = "") -> dict[str, Any]:
    examples = [{"row": 31, "reason": reason}] if reason else []
    return {
        "name": name,
        "kind": name.partition(":")[0],
        "severity": severity,
        "failures": failures,
        "examples": examples,
    }


HUMIDITY = "relative_humidity_2m_pct=150 outside [0, 100]"
REPORT = {
    "status": "passed",
    "rows": {"in": 392, "kept": 389, "rejected": 3},
    "checks": [
        check("schema", "fail_object", 0),
        check("range:relative_humidity_2m_pct", "reject_rows", 2, HUMIDITY),
        check("unique_key", "reject_rows", 1, "duplicate natural key (weather_zone=COAST, ...), conflicting"),
        check("range:temperature_2m_c", "reject_rows", 0),
        check("completeness", "fail_object", 5, "COAST 2026-03-02: 23 of 24"),
    ],
}


def test_written_cell_says_what_the_load_did() -> None:
    # GIVEN what load returned for a table and the rows the table holds in the window
    # THEN rows are counted, a no-op on a filled window is "unchanged", nothing to load says so, not loaded is "-"
    assert written_cell(1344, 1344) == "1,344"
    assert written_cell(0, 1344) == "unchanged"
    assert written_cell(0, 0) == "none in the window"
    assert written_cell(None, 1344) == "-"


def test_rejection_reasons_are_the_row_checks_that_rejected_rows() -> None:
    # WHEN the reasons are read off a report THEN only reject_rows checks that rejected rows, each with an example
    assert rejection_reasons(REPORT) == [
        ("range:relative_humidity_2m_pct", 2, HUMIDITY),
        ("unique_key", 1, "duplicate natural key (weather_zone=COAST, ...), conflicting"),
    ]
    assert rejection_reasons({}) == []


def curated(lake_root: Path, group: str, rows_rejected: int, *, report: dict[str, Any] | None) -> CurateResult:
    key = layout.quality_report_key("weather", dt.date(2026, 3, 1), group)
    if report is not None:
        open_storage(str(lake_root)).put(key, json.dumps(report).encode())
    return CurateResult(
        manifest_key="raw/x.manifest.json",
        dataset="weather",
        group=group,
        status="passed",
        rows_in=392,
        rows_out=392 - rows_rejected,
        rows_rejected=rows_rejected,
        report_key=key,
    )


def run_summary(tmp_path: Path, results: list[CurateResult], capsys: pytest.CaptureFixture[str]) -> list[str]:
    lake = open_storage(str(tmp_path / "lake"))
    plan = Plan(str(tmp_path / "lake"), lake, str(tmp_path / "none.duckdb"), str(tmp_path / "d.html"), None, ())
    summary(PipelineReport(curated=results), plan, None, None)
    return capsys.readouterr().out.splitlines()


def test_the_summary_says_why_rows_were_rejected_and_where_they_are(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN two weather groups that rejected rows for the same check, and one whose report is gone
    results = [
        curated(tmp_path / "lake", "a", 3, report=REPORT),
        curated(tmp_path / "lake", "b", 3, report=REPORT),
        curated(tmp_path / "lake", "c", 4, report=None),
    ]
    # WHEN the summary prints
    lines = run_summary(tmp_path, results, capsys)
    # THEN one line per dataset and check: rows, groups, an example and where the rows are kept
    rejected = [line for line in lines if line.startswith("rejected ")]
    assert rejected == [
        f"rejected 4 weather row(s) in 2 group(s), range:relative_humidity_2m_pct, e.g. {HUMIDITY}; "
        "kept in quarantine/dataset=weather/date=*/*/rejected.parquet",
        "rejected 2 weather row(s) in 2 group(s), unique_key, e.g. duplicate natural key (weather_zone=COAST, ...), "
        "conflicting; kept in quarantine/dataset=weather/date=*/*/rejected.parquet",
        "rejected 4 weather row(s) in 1 group(s), reason not recorded; "
        "kept in quarantine/dataset=weather/date=*/*/rejected.parquet",
    ]
    # AND the closing warning counts the rejected rows and points at status
    assert any(line.startswith("warning: 10 row(s) rejected; see `energylake status") for line in lines)


def test_a_summary_without_rejected_rows_warns_of_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a group that rejected nothing WHEN the summary prints THEN no rejection line and no warning
    lines = run_summary(tmp_path, [curated(tmp_path / "lake", "a", 0, report=REPORT)], capsys)
    assert not [line for line in lines if line.startswith(("rejected ", "warning:"))]
