"""The demo's dashboard in a real browser (Debian chromium via Playwright): offline, interactive, usable at 390 px.

Screenshots land in the pytest tmp folder (printed with -s); so do the figures: page size and time to first render.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from energylake.local.dashboard import CHARTS
from tests.support.dashboard import FALL_BACK_DAY, chromium, demo_lake

PLOTS = [spec.chart_id for spec in CHARTS if spec.kind != "table"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("dashboard-browser")
    lake = demo_lake(root)
    return {"root": root, "html": lake / "dashboard.html"}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def open_page(browser: Any, html: Path, width: int = 1200) -> tuple[Any, list[str], list[str]]:
    """The page loaded and drawn; the requests that tried to leave it and the console errors, as they happen."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    left: list[str] = []
    errors: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith("file://"):
            r.continue_()
        else:  # anything else would leave the machine: recorded and refused
            left.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(html.as_uri(), wait_until="load")
    page.wait_for_selector("body[data-rendered=true]", timeout=60_000)
    return page, left, errors


def wait_until(page: Any, expression: str, timeout_s: float = 20) -> None:
    """Poll a JS expression until true (``wait_for_function`` evaluates strings, which the page's CSP forbids)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"never true: {expression}"
        page.wait_for_timeout(50)


def trace_points(page: Any, chart_id: str) -> list[int]:
    return list(page.evaluate(f"document.getElementById('plot-{chart_id}').data.map(t => (t.x || []).length)"))


def test_the_page_draws_every_chart_offline_without_errors(demo: dict[str, Any], browser: Any) -> None:
    started = time.perf_counter()
    page, left, errors = open_page(browser, demo["html"])
    wall = time.perf_counter() - started
    # THEN every chart is a drawn Plotly figure with visible marks
    for chart_id in PLOTS:
        plot = page.locator(f"#plot-{chart_id}")
        assert plot.locator(".main-svg").count() >= 1, chart_id
        box = plot.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 200, (chart_id, box)
        assert sum(trace_points(page, chart_id)) > 0, chart_id
    # AND a PNG export is one click away on every chart (Plotly's mode bar)
    assert page.locator(".modebar-btn[data-title='Download plot as a PNG']").count() == len(PLOTS)
    rendered_ms = page.evaluate("window.dashboardRenderedMs")
    shot = demo["root"] / "dashboard-1200.png"
    page.screenshot(path=str(shot), full_page=True)
    for chart_id in PLOTS:
        page.locator(f"section#{chart_id}").screenshot(path=str(demo["root"] / f"chart-{chart_id}.png"))
    page.close()
    assert left == [], f"the page tried to leave the file: {left}"
    assert errors == [], f"console errors: {errors}"
    size_mb = demo["html"].stat().st_size / 1e6
    print(f"\npage {size_mb:.2f} MB; first render {rendered_ms:.0f} ms after navigation start ({wall:.2f} s wall)")
    print(f"screenshots: {demo['root']}")


def test_the_date_range_narrows_the_drawn_data(demo: dict[str, Any], browser: Any) -> None:
    page, _, errors = open_page(browser, demo["html"])
    before = trace_points(page, "load-forecast")
    assert before == [169, 169, 169]  # 7 days, one of them 25 hours
    scatter_before = sum(trace_points(page, "load-temperature"))
    # WHEN the range is set to the fall-back day alone
    page.fill("#start", FALL_BACK_DAY.isoformat())
    page.fill("#end", FALL_BACK_DAY.isoformat())
    page.dispatch_event("#end", "change")
    wait_until(page, "document.getElementById('plot-load-forecast').data[0].x.length === 25")
    # THEN the time series hold that day's 25 hours and the scatter that day's zone-hours, and the axis follows
    assert trace_points(page, "load-forecast") == [25, 25, 25]
    assert sum(trace_points(page, "load-temperature")) == 8 * 25 < scatter_before
    x_range = page.evaluate("document.getElementById('plot-load-forecast').layout.xaxis.range")
    assert x_range[0].startswith("2024-11-03") and x_range[1].startswith("2024-11-04")
    # AND reset brings the whole week back
    page.click("#reset")
    wait_until(page, "document.getElementById('plot-load-forecast').data[0].x.length === 169")
    page.close()
    assert errors == []


def test_the_zone_and_hub_pickers_change_the_drawn_data(demo: dict[str, Any], browser: Any) -> None:
    page, _, errors = open_page(browser, demo["html"])
    names = page.evaluate("document.getElementById('plot-load-temperature').data.map(t => t.name)")
    assert len(names) == 8 and "COAST" in names
    # WHEN the zone picker says COAST THEN the scatter and the sensitivity bars hold COAST alone
    page.select_option("#zone", "COAST")
    wait_until(page, "document.getElementById('plot-load-temperature').data.length === 1")
    assert page.evaluate("document.getElementById('plot-load-temperature').data[0].name") == "COAST"
    assert page.evaluate("document.getElementById('plot-load-sensitivity').data.map(t => t.x)") == [
        ["COAST"],
        ["COAST"],
    ]
    assert page.locator("#sensitivity-table tbody tr:not(.hidden)").count() == 2
    # WHEN the hub picker moves from the hub average to HB_WEST THEN the price lines are HB_WEST's prices
    y = "document.getElementById('plot-prices').data[0].y"
    hub_average = page.evaluate(f"JSON.stringify({y})")
    page.select_option("#hub", "HB_WEST")
    wait_until(page, f"JSON.stringify({y}) !== {hub_average!r}")
    assert len(page.evaluate(y)) == 169
    page.close()
    assert errors == []


def test_hover_shows_every_series_of_a_panel(demo: dict[str, Any], browser: Any) -> None:
    page, _, _ = open_page(browser, demo["html"])
    plot = page.locator("#plot-load-forecast .nsewdrag").first
    plot.scroll_into_view_if_needed()
    box = plot.bounding_box()
    assert box is not None
    # WHEN the pointer rests in the middle of the load panel
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    hover = page.locator("#plot-load-forecast .hoverlayer")
    wait_until(page, "document.querySelector('#plot-load-forecast .hoverlayer').textContent.includes('MW')")
    # THEN one label lists the hour and every series: the actual and both forecasts
    text = hover.text_content() or ""
    for label in ("actual load", "hour-ahead forecast", "day-ahead forecast"):
        assert label in text, text
    assert text.count("MW") == 3
    page.close()


def test_dragging_across_a_chart_zooms_its_time_axis(demo: dict[str, Any], browser: Any) -> None:
    page, _, _ = open_page(browser, demo["html"])
    axis = "document.getElementById('plot-net-load').layout.xaxis.range"
    before = page.evaluate(axis)
    before_json = page.evaluate(f"JSON.stringify({axis})")
    drag = page.locator("#plot-net-load .nsewdrag").first
    drag.scroll_into_view_if_needed()
    box = drag.bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2
    # WHEN the user drags across the middle fifth of the plot
    page.mouse.move(box["x"] + box["width"] * 0.4, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, y, steps=8)
    page.mouse.move(box["x"] + box["width"] * 0.6, y, steps=8)
    page.mouse.up()
    wait_until(page, f"JSON.stringify({axis}) !== {before_json!r}")
    after = page.evaluate(axis)
    # THEN the time axis shows a narrower span inside the old one
    assert before[0] < after[0] < after[1] < before[1], (before, after)
    page.close()


def test_at_390_px_nothing_overflows_and_ticks_stay_readable(demo: dict[str, Any], browser: Any) -> None:
    page, _, errors = open_page(browser, demo["html"], width=390)
    # THEN the page is no wider than the phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for chart_id in PLOTS:
        box = page.locator(f"#plot-{chart_id}").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, (chart_id, box)
    # AND every tick label is at least 10 px
    sizes = page.evaluate(
        "Array.from(document.querySelectorAll('.xtick text, .ytick text'))"
        ".map(t => parseFloat(getComputedStyle(t).fontSize))"
    )
    assert len(sizes) > 100
    assert min(sizes) >= 10, min(sizes)
    page.screenshot(path=str(demo["root"] / "dashboard-390.png"), full_page=True)
    page.close()
    assert errors == []
