"""The dashboard's page as a file: one offline HTML page holding only what the warehouse's views return.

The warehouse is the demo's (the sample source through ``energylake run``, a week holding the 2024 fall-back day);
the page is checked as text here, in a real browser in test_dashboard_browser.py.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import math
import os
import re
from html import escape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from energylake.errors import InvalidRequestError, WarehouseError
from energylake.local.dashboard import CHARTS, Narrowing, render_dashboard, write_dashboard
from energylake.local.dashboard import specs as specs_module
from energylake.warehouse.duckdb import migrate
from tests.support.cli import energylake
from tests.support.dashboard import DEMO_END, DEMO_START, FALL_BACK_DAY, demo_lake, view_rows

CENTRAL = ZoneInfo("America/Chicago")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    lake = demo_lake(tmp_path_factory.mktemp("dashboard"))
    html = (lake / "dashboard.html").read_text(encoding="utf-8")
    return {"lake": lake, "warehouse": lake / "warehouse.duckdb", "html": html}


def embedded(page: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', page, re.S)
    assert match, "the page embeds no data"
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def section(page: str, chart_id: str) -> str:
    match = re.search(rf'<section class="chart" id="{chart_id}".*?</section>', page, re.S)
    assert match, f"chart section {chart_id} missing"
    return match.group(0)


def headline(page: str, table_id: str) -> list[dict[str, str]]:
    """Each row of a headline table: its key cells' text, and per numeric column (text, data-value)."""
    table = re.search(rf'<table class="headline" id="{table_id}">.*?</table>', page, re.S)
    assert table, f"headline table {table_id} missing"
    rows = []
    for tr in re.findall(r"<tr data-zone=.*?</tr>", table.group(0), re.S):
        cells = re.findall(r"<td>([^<]*)</td>", tr)
        numbers = dict(
            (name, (text, value))
            for name, value, text in re.findall(r'data-column="(\w+)" data-value="([^"]*)">([^<]*)<', tr)
        )
        rows.append({"keys": cells, **numbers})
    return rows


def as_page_value(column: str, value: object) -> object:
    """What the page's JSON must hold for a view value (times: Central wall time of the hour's start)."""
    if isinstance(value, dt.datetime):
        return value.astimezone(CENTRAL).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def same(got: list[object], want: list[object]) -> bool:
    """Equal lists, floats to 1e-12 (a view's parallel aggregates may differ in the last bit between reads)."""
    return len(got) == len(want) and all(
        g == pytest.approx(w, rel=1e-12, abs=1e-9) if isinstance(w, float) and isinstance(g, float) else g == w
        for g, w in zip(got, want, strict=True)
    )


# --- the file --------------------------------------------------------------------------------------------------------


def test_the_page_is_one_offline_file_with_plotly_inlined_and_every_chart_titled(demo: dict[str, Any]) -> None:
    page = demo["html"]
    # GIVEN the demo's dashboard THEN nothing is loaded from elsewhere: no external tags or sources, a CSP
    assert not re.search(r"<(link|img|iframe)\b|<script[^>]+\bsrc=|@import", page)
    assert "default-src 'none'" in page
    assert "Plotly" in page and len(page) > 3_000_000  # the bundle itself is inline
    assert f"operating days {DEMO_START} to {DEMO_END} (7 days with data)" in page
    for spec in CHARTS:
        html = section(page, spec.chart_id)
        assert f"<h2>{escape(spec.title)}</h2>" in html
        # AND every chart of the demo has rows (a plot to draw or a table), none says "no data"
        assert "no data" not in html, spec.chart_id
        assert f'id="plot-{spec.chart_id}"' in html or spec.kind == "table"
    print(f"dashboard page size: {len(page.encode()) / 1e6:.2f} MB")


def test_every_chart_embeds_exactly_the_rows_its_view_returns(demo: dict[str, Any]) -> None:
    charts = embedded(demo["html"])["charts"]
    for spec in CHARTS:
        # WHEN the view is read directly, in the order the page reads it
        columns = spec.columns
        order = ", ".join(columns)
        rows = view_rows(demo["warehouse"], f"SELECT {', '.join(columns)} FROM {spec.view} ORDER BY {order}")  # noqa: S608
        got = charts[spec.chart_id]
        # THEN the page holds the same rows, column by column, with nothing added or computed
        assert got["rows"] == len(rows) > 0, spec.chart_id
        assert set(got["columns"]) == set(columns), spec.chart_id
        for column in columns:
            want = [as_page_value(column, r[column]) for r in rows]
            if column == "minutes_behind":  # counted from now(): the view read here may be a minute past the page
                assert all(0 <= w - g <= 1 for g, w in zip(got["columns"][column], want, strict=True)), spec.chart_id
                continue
            assert same(got["columns"][column], want), (spec.chart_id, column)


def test_the_headline_numbers_are_the_views_numbers(demo: dict[str, Any]) -> None:
    page = demo["html"]
    sensitivity = view_rows(
        demo["warehouse"],
        "SELECT weather_zone, regime, slope_mw_per_c, slope_ci95_low_mw_per_c, slope_ci95_high_mw_per_c, r_squared, "
        "hours, method FROM v_load_temperature_sensitivity ORDER BY weather_zone, regime",
    )
    shown = headline(page, "sensitivity-table")
    # GIVEN the view's 8 zones x 2 regimes THEN the page shows each once, as the view says, to the decimals it shows
    assert [r["keys"] for r in shown] == [[v["weather_zone"], v["regime"]] for v in sensitivity]
    assert len(shown) == 16
    for got, want in zip(shown, sensitivity, strict=True):
        for column, decimals in (("slope_mw_per_c", 1), ("slope_ci95_low_mw_per_c", 1),
                                 ("slope_ci95_high_mw_per_c", 1), ("r_squared", 2), ("hours", 0)):  # fmt: skip
            text, value = got[column]
            assert float(value) == pytest.approx(float(want[column]), rel=1e-12), column
            assert text == f"{float(want[column]):,.{decimals}f}", column
    assert f"Method: {sensitivity[0]['method']}" in section(page, "load-sensitivity")

    skill = view_rows(
        demo["warehouse"],
        "SELECT forecast, area, lead, mape_pct, mae_mw, bias_mw, hours FROM v_forecast_skill "
        "WHERE area = 'SYSTEM' ORDER BY forecast, area, lead",
    )
    shown = headline(page, "skill-table")
    assert [r["keys"] for r in shown] == [[v["forecast"], v["area"], v["lead"]] for v in skill]
    assert {r["lead"] for r in skill} == {"hour_ahead", "day_ahead", "days_2_7"}
    for got, want in zip(shown, skill, strict=True):
        for column, decimals in (("mape_pct", 2), ("mae_mw", 0), ("bias_mw", 0), ("hours", 0)):
            text, value = got[column]
            assert float(value) == pytest.approx(float(want[column]), rel=1e-12), column
            assert text == f"{float(want[column]):,.{decimals}f}", column


def test_the_chart_list_is_plain_data_naming_view_columns_that_exist(demo: dict[str, Any]) -> None:
    # GIVEN the chart specs module THEN it imports no charting library (QuickSight is generated from the same list)
    tree = ast.parse(Path(specs_module.__file__).read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    } | {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= {"__future__", "dataclasses"}
    assert len({s.chart_id for s in CHARTS}) == len(CHARTS)
    # AND every column a spec names is a column of its view in the demo warehouse
    for spec in CHARTS:
        have = {r["column_name"] for r in view_rows(demo["warehouse"], f"DESCRIBE {spec.view}")}
        assert set(spec.columns) <= have, (spec.chart_id, set(spec.columns) - have)
        if spec.overlay:
            have = {r["column_name"] for r in view_rows(demo["warehouse"], f"DESCRIBE {spec.overlay.view}")}
            assert {spec.overlay.x, spec.overlay.y} <= have


# --- narrowing -------------------------------------------------------------------------------------------------------


def test_the_cli_narrows_the_page_to_days_a_zone_and_a_hub(demo: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "narrow.html"
    # WHEN `energylake dashboard --start --end --zone --hub` runs on the demo lake
    day = FALL_BACK_DAY.isoformat()
    paths = ["--lake", str(demo["lake"]), "--out", str(out)]
    done = energylake("dashboard", *paths, "--start", day, "--end", day, "--zone", "coast", "--hub", "HB_NORTH")
    assert done.returncode == 0, done.stderr
    data = embedded(out.read_text(encoding="utf-8"))
    charts = data["charts"]
    # THEN the page holds only that operating day (25 hours: the fall-back day), that zone and that hub
    assert charts["load-forecast"]["rows"] == 25
    assert set(charts["load-forecast"]["columns"]["operating_day"]) == {FALL_BACK_DAY.isoformat()}
    assert set(charts["load-temperature"]["columns"]["weather_zone"]) == {"COAST"}
    assert charts["load-temperature"]["rows"] == 25
    assert set(charts["prices"]["columns"]["settlement_point"]) == {"HB_NORTH"}
    assert data["hub"] == "HB_NORTH" and data["zone"] == "COAST"
    assert f"operating days {FALL_BACK_DAY} to {FALL_BACK_DAY} (1 days with data)" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2024-11-05", "--end", "2024-11-02"], "--start 2024-11-05 is after --end 2024-11-02"),
        (["--start", "2024-11-31"], "--start must be a real calendar date"),
        (["--zone", "COAST; DROP TABLE x"], "--zone must be a name like COAST"),
        (["--hub", "hb north"], "--hub must be a name like"),
    ],
)
def test_bad_narrowing_names_the_problem_and_writes_nothing(
    demo: dict[str, Any], tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "bad.html"
    done = energylake("dashboard", "--lake", str(demo["lake"]), "--out", str(out), *args)
    assert done.returncode != 0
    assert message in done.stderr
    assert not out.exists()


def test_narrowing_checks_its_input_before_reading_anything() -> None:
    with pytest.raises(InvalidRequestError, match="after --end"):
        Narrowing(start=DEMO_END, end=DEMO_START)
    with pytest.raises(InvalidRequestError, match="--zone must be"):
        Narrowing(zone="co'ast")


# --- edges -----------------------------------------------------------------------------------------------------------


def test_the_page_a_sample_run_writes_says_its_data_is_synthetic(demo: dict[str, Any]) -> None:
    # GIVEN the page `energylake run --source sample` wrote THEN it says the numbers come from the synthetic sample
    assert "synthetic sample source" in demo["html"]


def test_the_synthetic_data_note_shows_only_for_the_sample(demo: dict[str, Any]) -> None:
    assert "synthetic sample source" in render_dashboard(str(demo["warehouse"]), synthetic=True)
    assert "synthetic sample source" not in render_dashboard(str(demo["warehouse"]), synthetic=False)


def test_an_empty_warehouse_renders_every_chart_as_no_data(tmp_path: Path) -> None:
    warehouse = str(tmp_path / "empty.duckdb")
    migrate(warehouse)
    page = render_dashboard(warehouse)
    assert "no data loaded" in page
    for spec in CHARTS:
        assert "no data" in section(page, spec.chart_id), spec.chart_id


def test_a_warehouse_without_the_views_says_which_view_is_missing(tmp_path: Path) -> None:
    import duckdb

    warehouse = tmp_path / "old.duckdb"
    duckdb.connect(str(warehouse)).close()  # an empty database file: no tables, no views
    page = render_dashboard(str(warehouse))
    assert "view v_prices_hourly is not in this warehouse" in section(page, "prices")


def test_a_missing_warehouse_is_an_error_not_an_empty_page(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match="no warehouse"):
        write_dashboard(str(tmp_path / "absent.duckdb"), str(tmp_path / "d.html"))
    assert not (tmp_path / "d.html").exists()


def test_rendering_only_reads_the_warehouse(demo: dict[str, Any]) -> None:
    before = os.stat(demo["warehouse"]).st_mtime_ns
    render_dashboard(str(demo["warehouse"]))
    assert os.stat(demo["warehouse"]).st_mtime_ns == before
