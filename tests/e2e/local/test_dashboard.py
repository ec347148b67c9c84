"""The dashboard end to end: a warehouse loaded from gold Parquet -> one offline HTML file -> a real browser.

The warehouse is built the way the pipeline builds it (gold Parquet in the lake's ``gold/<table>/date=<UTC date>/``
layout, then :func:`energylake.warehouse.duckdb.load`), with synthetic but physically shaped rows over a window
holding the 2024 fall-back day, so the test needs no Spark. The browser is Debian's chromium driven by Playwright
(never ``playwright install``); CI installs it with scripts/install-system-deps.sh.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from energylake.contracts import schemas as schema
from energylake.errors import WarehouseError
from energylake.lake.storage import LocalStorage
from energylake.local.dashboard import CHARTS, hinge_fit, render_dashboard, write_dashboard
from energylake.timeconv import local_day_bounds_utc
from energylake.warehouse.duckdb import load, migrate
from energylake.window import Window

CHROMIUM = "/usr/bin/chromium"
CENTRAL = ZoneInfo("America/Chicago")
START, END = dt.date(2024, 11, 1), dt.date(2024, 11, 7)  # holds the fall-back day 2024-11-03 (25 hours)
ZONES = ("COAST", "EAST", "FAR_WEST", "NORTH", "NORTH_CENTRAL", "SOUTHERN", "SOUTH_CENTRAL", "WEST")
HUBS = ("HB_HOUSTON", "HB_NORTH", "HB_SOUTH", "HB_WEST", "HB_PAN")

# What each chart must say: a title fragment and the units on its axes/legend.
UNITS: dict[str, tuple[str, ...]] = {
    "load-temperature": ("temperature (°C)", "load (MW)", "fitted curve"),
    "timeseries": ("load (MW)", "price (USD/MWh)", "temperature (°C)", "Central time"),
    "price-heatmap": ("hour ending (Central)", "operating day (Central)", "USD/MWh"),
    "wind": ("(m/s)", "wind generation (MW)", "mean per 1 m/s bin"),
    "solar": ("(W/m²)", "solar generation (MW)", "mean per 50 W/m² bin"),
    "netload-price": ("net load (MW)", "(USD/MWh)", "price spike"),
    "freshness": ("rows", "energy_weather_hourly", "system_hourly", "ercot_spp_hourly"),
}


# --- a warehouse from gold Parquet -----------------------------------------------------------------------------------


def _hours() -> list[dict[str, Any]]:
    """Every UTC hour of the window's Central operating days, with ERCOT's hour-ending labels."""
    start_utc, end_utc = local_day_bounds_utc(START)[0], local_day_bounds_utc(END)[1]
    hours = []
    t = start_utc
    while t < end_utc:
        local = t.astimezone(CENTRAL)
        hours.append(
            {
                "interval_start_utc": t,
                "interval_end_utc": t + dt.timedelta(hours=1),
                "operating_day": local.date(),
                "hour_ending": local.hour + 1,
                "repeated_hour": local.fold == 1,
            }
        )
        t += dt.timedelta(hours=1)
    return hours


def _temperature(zone_index: int, t: dt.datetime) -> float:
    local = t.astimezone(CENTRAL)
    day = (t - dt.datetime(2024, 11, 1, tzinfo=dt.UTC)).total_seconds() / 86400
    return 12 + 2 * zone_index % 5 + 9 * math.sin((local.hour - 9) / 24 * 2 * math.pi) + 3 * math.sin(day)


def _write_gold(lake: Path, contract: schema.TableSchema, rows: list[dict[str, Any]]) -> None:
    by_date: dict[dt.date, list[dict[str, Any]]] = {}
    for row in rows:
        by_date.setdefault(row["interval_start_utc"].date(), []).append(row)
    arrow_schema = contract.arrow_schema()
    for day, day_rows in by_date.items():
        folder = lake / "gold" / contract.name / f"date={day.isoformat()}"
        folder.mkdir(parents=True, exist_ok=True)
        columns = {name: [r.get(name) for r in day_rows] for name in contract.column_names}
        pq.write_table(pa.table(columns, schema=arrow_schema), folder / "part-00000.snappy.parquet")


def build_lake(lake: Path) -> dict[str, int]:
    hours = _hours()
    zone_rows: list[dict[str, Any]] = []
    system_rows: list[dict[str, Any]] = []
    spp_rows: list[dict[str, Any]] = []
    base = schema.DEGREE_BASE_C
    for k, hour in enumerate(hours):
        t = hour["interval_start_utc"]
        local_hour = t.astimezone(CENTRAL).hour
        loads, temps = [], []
        for z, zone in enumerate(ZONES):
            temp = _temperature(z, t)
            load_mw = (
                2000 + 900 * z + 180 * max(0, temp - base) + 120 * max(0, base - temp) + 40 * math.sin(k * 1.7 + z)
            )
            loads.append(load_mw)
            temps.append(temp)
            zone_rows.append(
                {
                    **hour,
                    "weather_zone": zone,
                    "load_mw": load_mw,
                    "temperature_2m_c": temp,
                    "dew_point_2m_c": temp - 6,
                    "relative_humidity_2m_pct": 60.0,
                    "wind_speed_100m_ms": 4 + 6 * (1 + math.sin(k / 9 + z)),
                    "shortwave_radiation_wm2": max(0.0, 700 * math.sin((local_hour - 6) / 12 * math.pi)),
                    "cloud_cover_pct": 20.0,
                    "precipitation_mm": 0.0,
                    "cooling_degree_hours": max(0.0, temp - base),
                    "heating_degree_hours": max(0.0, base - temp),
                    "has_load": True,
                    "has_weather": True,
                }
            )
        speed = sum(r["wind_speed_100m_ms"] for r in zone_rows[-len(ZONES) :]) / len(ZONES)
        irradiance = sum(r["shortwave_radiation_wm2"] for r in zone_rows[-len(ZONES) :]) / len(ZONES)
        wind = min(28000.0, 60 * speed**3)
        solar = 25 * irradiance
        load_mw = sum(loads)
        net = load_mw - wind - solar
        price = 15 + net / 1500 + (900 if k == 100 else 0)  # one scarcity hour
        row: dict[str, Any] = {
            **hour,
            "load_mw": load_mw,
            "load_zones": len(ZONES),
            "load_forecast_mw": load_mw * 1.01,
            "wind_generation_mw": wind,
            "wind_forecast_mw": wind * 0.95,
            "solar_generation_mw": solar,
            "solar_forecast_mw": solar * 1.05,
            "net_load_mw": net,
            "rt_price_hub_avg_usd_mwh": price,
            "dam_price_hub_avg_usd_mwh": price * 0.9,
            "load_weighted_temperature_c": sum(a * b for a, b in zip(loads, temps, strict=True)) / load_mw,
            "has_load": True,
            "has_prices": True,
            "has_renewables": True,
            "has_weather": True,
        }
        for h, hub in enumerate(HUBS):
            row[f"rt_price_{hub.lower()}_usd_mwh"] = price + h
            row[f"dam_price_{hub.lower()}_usd_mwh"] = price * 0.9 + h
            spp_rows.append(
                {
                    **hour,
                    "settlement_point": hub,
                    "settlement_point_type": "HU",
                    "rt_price_mean_usd_mwh": price + h,
                    "rt_price_min_usd_mwh": price + h - 2,
                    "rt_price_max_usd_mwh": price + h + 2,
                    "rt_intervals": 4,
                    "dam_price_usd_mwh": price * 0.9 + h,
                }
            )
        system_rows.append(row)
    _write_gold(lake, schema.ENERGY_WEATHER_HOURLY, zone_rows)
    _write_gold(lake, schema.SYSTEM_HOURLY, system_rows)
    _write_gold(lake, schema.ERCOT_SPP_HOURLY, spp_rows)
    return {
        "system_hourly": len(system_rows),
        "energy_weather_hourly": len(zone_rows),
        "ercot_spp_hourly": len(spp_rows),
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("dashboard")
    lake = root / "lake"
    expected = build_lake(lake)
    warehouse = str(root / "warehouse.duckdb")
    loaded = load(Window(START, END), LocalStorage(lake), warehouse)
    out = write_dashboard(warehouse, str(root / "out" / "dashboard.html"))
    return {"root": root, "warehouse": warehouse, "html": Path(out), "expected": expected, "loaded": loaded}


def _section(page: str, chart_id: str) -> str:
    match = re.search(rf'<section class="chart" id="{chart_id}".*?</section>', page, re.S)
    assert match, f"chart section {chart_id} missing"
    return match.group(0)


# --- the HTML --------------------------------------------------------------------------------------------------------


def test_the_fixture_warehouse_holds_the_window_with_its_fall_back_day(built: dict[str, Any]) -> None:
    # 7 operating days, one of them 25 hours long
    assert built["expected"]["system_hourly"] == 7 * 24 + 1
    for table, rows in built["expected"].items():
        assert built["loaded"][table] == rows


def test_the_page_is_self_contained_with_every_chart_titled_and_labelled(built: dict[str, Any]) -> None:
    page = built["html"].read_text(encoding="utf-8")
    assert str(built["html"]).endswith("dashboard.html")
    # offline: no URL at all (so no CDN, no fonts, no fetches), no external resource tags, a CSP forbidding fetches
    assert not re.search(r"https?://", page), re.findall(r"https?://\S{0,40}", page)
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=|@import|url\(", page)
    assert "default-src 'none'" in page
    assert "operating days 2024-11-01 to 2024-11-07" in page
    assert "generated at" in page
    for chart_id, title in CHARTS:
        section = _section(page, chart_id)
        assert f"<h2>{title}</h2>" in section
        assert "<svg" in section
        if chart_id != "freshness":
            assert "no data" not in section
        for unit in UNITS[chart_id]:
            assert unit in section, f"{chart_id}: {unit!r} missing"
    # the fixture loads only gold: the panel shows the gold tables' counts and flags the empty silver tables
    freshness = _section(page, "freshness")
    assert all(f">{n:,}<" in freshness for n in (1352, 169, 845))
    assert freshness.count('<tr class="empty">') == 8  # 8 silver datasets hold no rows
    assert "Complete hours in system_hourly (169 hours)" in freshness


def test_the_load_temperature_fit_recovers_the_slopes_the_data_was_built_with() -> None:
    base = schema.DEGREE_BASE_C
    points = [(t / 2, 1000 + 200 * max(0, t / 2 - base) + 80 * max(0, base - t / 2)) for t in range(0, 70)]
    fit = hinge_fit(points)
    assert fit is not None and fit.cooling is not None and fit.heating is not None
    assert fit.cooling == pytest.approx(200) and fit.heating == pytest.approx(80)
    assert fit.r2 == pytest.approx(1.0)
    assert hinge_fit(points[:2]) is None


def test_an_empty_warehouse_renders_every_chart_as_no_data(tmp_path: Path) -> None:
    warehouse = str(tmp_path / "empty.duckdb")
    migrate(warehouse)
    page = render_dashboard(warehouse)
    assert "no data loaded" in page
    for chart_id, _ in CHARTS:
        assert "no data" in _section(page, chart_id)
    # the freshness panel always says "no data" per empty table: it must say so for the gold tables too
    assert "system_hourly: no data" in _section(page, "freshness")


def test_a_missing_warehouse_is_an_error_not_an_empty_page(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match="no warehouse"):
        write_dashboard(str(tmp_path / "absent.duckdb"), str(tmp_path / "d.html"))
    assert not (tmp_path / "d.html").exists()


def test_rendering_only_reads_the_warehouse(built: dict[str, Any]) -> None:
    before = os.stat(built["warehouse"]).st_mtime_ns
    render_dashboard(built["warehouse"])
    assert os.stat(built["warehouse"]).st_mtime_ns == before


# --- the page in a real browser --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Any:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is absent: run `bash scripts/install-system-deps.sh` (installs Debian chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev extra")
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        yield launched
        launched.close()


def test_the_dashboard_loads_offline_in_chromium_and_every_chart_draws(built: dict[str, Any], browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    attempted: list[str] = []
    errors: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            attempted.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: attempted.append(r.url) if not r.url.startswith("file://") else None)
    page.goto(built["html"].as_uri(), wait_until="load")

    for chart_id, title in CHARTS:
        section = page.locator(f"section#{chart_id}")
        assert section.locator("h2").inner_text() == title
        svg = section.locator("svg.chart-svg")
        assert svg.count() == 1
        assert svg.is_visible()
        box = svg.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 100, (chart_id, box)
        marks = section.locator(".mark").count()
        assert marks > 0, f"{chart_id} drew no marks"
    # the tooltip script works: hovering a mark shows its text
    page.locator("section#price-heatmap rect.mark").first.hover()
    assert "USD/MWh" in page.locator("#tip").inner_text()

    shot = built["root"] / "dashboard.png"
    page.screenshot(path=str(shot), full_page=True)
    for chart_id, _ in CHARTS:
        page.locator(f"section#{chart_id}").screenshot(path=str(built["root"] / f"chart-{chart_id}.png"))
    page.close()
    assert shot.stat().st_size > 50_000
    assert attempted == [], f"the page tried to leave the file: {attempted}"
    assert errors == [], f"console errors: {errors}"
    print(f"dashboard screenshot: {shot}")


def test_the_no_data_page_also_renders_cleanly_in_chromium(tmp_path: Path, browser: Any) -> None:
    warehouse = str(tmp_path / "empty.duckdb")
    migrate(warehouse)
    out = Path(write_dashboard(warehouse, str(tmp_path / "empty.html")))
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(out.as_uri())
    for chart_id, _ in CHARTS:
        svg = page.locator(f"section#{chart_id} svg.chart-svg")
        assert svg.is_visible()
        assert "no data" in page.locator(f"section#{chart_id}").inner_text()
    page.close()
    assert errors == []
