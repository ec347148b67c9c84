"""The dashboard's charts: each reads the warehouse (read only) and returns its SVG and a caption.

Times are shown in ERCOT's Central time; hours are ERCOT hour-ending labels. A chart whose data is empty says
"no data".
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from energylake.contracts.schemas import DEGREE_BASE_C
from energylake.local.dashboard import drawing as draw
from energylake.local.dashboard.fitting import hinge_fit
from energylake.warehouse.duckdb import query
from energylake.warehouse.model import SPIKE_ABSOLUTE_USD_MWH, SPIKE_MEDIAN_MULTIPLE, WAREHOUSE

# (id, title): every chart section of the page, in order; the tests and the page's anchors use the ids.
CHARTS: tuple[tuple[str, str], ...] = (
    ("load-temperature", "Load against temperature, per weather zone"),
    ("timeseries", "System load, hub price and load-weighted temperature"),
    ("price-heatmap", "Hub-average real-time price by hour"),
    ("wind", "Wind generation against 100 m wind speed"),
    ("solar", "Solar generation against irradiance"),
    ("netload-price", "Net load against price"),
    ("freshness", "Data freshness and quality"),
)

MAX_POINTS = 4000  # per scatter chart: larger sets are thinned evenly (fits always use every row)

Rows = list[dict[str, Any]]


def query_rows(warehouse_path: str, sql: str) -> Rows:
    """The query's rows as dicts; a table or view missing from an older warehouse reads as no rows."""
    try:
        table = query(warehouse_path, sql)
    except duckdb.CatalogException:
        return []
    return [dict(row) for row in table.to_pylist()]


def num(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def _thin(rows: Sequence[Any], limit: int = MAX_POINTS) -> list[Any]:
    if len(rows) <= limit:
        return list(rows)
    step = math.ceil(len(rows) / limit)
    return list(rows[::step])


def chart_load_temperature(wh: str) -> tuple[str, str]:
    rows = query_rows(
        wh,
        "SELECT weather_zone, temperature_2m_c AS t, load_mw AS y, operating_day, hour_ending "
        "FROM energy_weather_hourly WHERE has_load AND has_weather AND load_mw IS NOT NULL "
        "AND temperature_2m_c IS NOT NULL ORDER BY weather_zone, interval_start_utc",
    )
    note = (
        f"Each dot is one zone-hour. Curve: least-squares fit of load = base + cooling slope x degrees above "
        f"{DEGREE_BASE_C:.1f} °C + heating slope x degrees below (the degree-hour balance point); slopes in MW/°C."
    )
    if not rows:
        return draw.no_data(960, 200, CHARTS[0][1]), note
    zones = sorted({str(r["weather_zone"]) for r in rows})
    cols = 4
    pw, ph, gap_x, gap_y, left, top = 170, 150, 82, 78, 70, 44
    nrows = math.ceil(len(zones) / cols)
    width = left + cols * pw + (cols - 1) * gap_x + 20
    height = top + nrows * (ph + gap_y) + 10
    all_t = [float(r["t"]) for r in rows]
    xd = draw.domain(all_t)
    body: list[str] = draw.legend(
        left, 18, [("hourly load (MW)", draw.MUTED, "dot"), ("fitted curve", draw.INK, "line")]
    )
    for i, zone in enumerate(zones):
        colour = draw.PALETTE[i % len(draw.PALETTE)]
        pts = [(float(r["t"]), float(r["y"])) for r in rows if r["weather_zone"] == zone]
        px = left + (i % cols) * (pw + gap_x)
        py = top + (i // cols) * (ph + gap_y) + 16
        f = draw.frame(px, py, pw, ph, xd=xd, yd=draw.domain(y for _, y in pts))
        body.append(f'<g class="panel" data-zone="{draw.esc(zone)}">')
        body.append(draw.text(px + pw / 2, py - 6, zone, size=13, cls="panel-title"))
        body += draw.axes(f, x_label="temperature (°C)", y_label="load (MW)", y_count=4)
        for t, y in _thin(pts, MAX_POINTS // max(1, len(zones))):
            body.append(draw.dot(f.x(t), f.y(y), colour, f"{zone}: {t:.1f} °C, {y:,.0f} MW"))
        fit = hinge_fit(pts)
        if fit is not None:
            knots = sorted({xd[0], xd[1], *([DEGREE_BASE_C] if xd[0] < DEGREE_BASE_C < xd[1] else [])})
            curve = [(f.x(t), f.y(min(max(fit(t), f.y.lo), f.y.hi))) for t in knots]
            body.append(draw.polyline(curve, draw.INK, 2.2, cls="mark fit"))
            parts = []
            if fit.cooling is not None:
                parts.append(f"cool {fit.cooling:+,.0f}")
            if fit.heating is not None:
                parts.append(f"heat {fit.heating:+,.0f}")
            r2 = f", r² {fit.r2:.2f}" if fit.r2 is not None else ""
            body.append(
                draw.text(px + pw / 2, py + ph + 52, " · ".join(parts) + f" MW/°C{r2}", size=11, cls="fit-note")
            )
        body.append("</g>")
    return draw.svg(width, height, body, CHARTS[0][1]), note


def chart_timeseries(wh: str) -> tuple[str, str]:
    rows = query_rows(
        wh,
        "SELECT interval_start_utc AS t, load_mw, load_forecast_mw, rt_price_hub_avg_usd_mwh AS price, "
        "dam_price_hub_avg_usd_mwh AS dam, load_weighted_temperature_c AS temp FROM system_hourly "
        "ORDER BY interval_start_utc",
    )
    note = "Hourly values; the time axis is Central time (America/Chicago), ticks at midnight."
    if not rows:
        return draw.no_data(960, 200, CHARTS[1][1]), note
    times = [r["t"].timestamp() for r in rows]
    xd = (min(times), max(times) if max(times) > min(times) else min(times) + 3600)
    ticks = draw.time_ticks(*xd)
    panels: tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...] = (
        ("load (MW)", (("load_mw", "actual load", draw.PALETTE[0]), ("load_forecast_mw", "ERCOT forecast", "#a0cbe8"))),
        ("price (USD/MWh)", (("price", "hub avg RT", draw.PALETTE[3]), ("dam", "hub avg DAM", "#ff9d9a"))),
        ("temperature (°C)", (("temp", "load-weighted temperature", draw.PALETTE[1]),)),
    )
    left, top, pw, ph, gap = 80, 16, 840, 150, 50
    width, height = left + pw + 30, top + len(panels) * (ph + gap) + 20
    body: list[str] = []
    for i, (y_label, series) in enumerate(panels):
        py = top + i * (ph + gap) + 20
        values = [v for key, _, _ in series for r in rows if (v := num(r[key])) is not None]
        f = draw.frame(left, py, pw, ph, xd=xd, yd=draw.domain(values))
        last = i == len(panels) - 1
        body.append('<g class="panel">')
        body += draw.axes(f, x_label="Central time" if last else "", y_label=y_label, x_ticks=ticks, y_count=4)
        if not values:
            body.append(draw.text(left + pw / 2, py + ph / 2, "no data", size=14, cls="no-data"))
        for key, _label, colour in reversed(series):
            segment: list[tuple[float, float]] = []
            for ts, r in zip(times, rows, strict=True):
                v = num(r[key])
                if v is None:  # a gap breaks the line
                    body.append(draw.polyline(segment, colour))
                    segment = []
                else:
                    segment.append((f.x(ts), f.y(v)))
            body.append(draw.polyline(segment, colour))
        for ts, r in _thin(list(zip(times, rows, strict=True)), 2000):  # invisible hover targets
            v = num(r[series[0][0]])
            if v is not None:
                when = draw.central(r["t"]).strftime("%a %b %d %H:%M %Z")
                body.append(
                    f'<circle cx="{f.x(ts):.1f}" cy="{f.y(v):.1f}" r="4" fill="transparent" '
                    f'data-tip="{draw.esc(f"{when}: {v:,.1f} {y_label}")}"/>'
                )
        body += draw.legend(left, py - 8, [(label, colour, "line") for _, label, colour in series])
        body.append("</g>")
    return draw.svg(width, height, body, CHARTS[1][1]), note


def _colour(fraction: float) -> str:
    """A sequential scale (pale yellow -> orange -> dark red/purple), fraction in [0, 1]."""
    stops = ((255, 247, 188), (254, 196, 79), (236, 112, 20), (204, 76, 2), (140, 45, 4), (73, 0, 106))
    fraction = min(max(fraction, 0.0), 1.0) * (len(stops) - 1)
    i = min(int(fraction), len(stops) - 2)
    w = fraction - i
    rgb = [round(a + (b - a) * w) for a, b in zip(stops[i], stops[i + 1], strict=True)]
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def chart_heatmap(wh: str) -> tuple[str, str]:
    rows = query_rows(
        wh,
        "SELECT operating_day, hour_ending, AVG(rt_price_hub_avg_usd_mwh) AS price, COUNT(*) AS hours "
        "FROM system_hourly WHERE rt_price_hub_avg_usd_mwh IS NOT NULL GROUP BY operating_day, hour_ending",
    )
    note = (
        "Colour: hub-average real-time price (USD/MWh) per operating day and ERCOT hour ending (Central time); "
        "the repeated fall-back hour shows the mean of its two hours; grey = no price; the scale tops out at the "
        "98th percentile (hover a cell for its price)."
    )
    if not rows:
        return draw.no_data(960, 200, CHARTS[2][1]), note
    days = sorted({r["operating_day"] for r in rows})
    first, last = days[0], days[-1]
    ndays = (last - first).days + 1
    cell: dict[tuple[dt.date, int], tuple[float, int]] = {
        (r["operating_day"], int(r["hour_ending"])): (float(r["price"]), int(r["hours"])) for r in rows
    }
    prices = sorted(p for p, _ in cell.values())
    lo = prices[0]
    # one scarcity hour would wash out every other cell: the scale tops out at the 98th percentile
    hi = prices[round(0.98 * (len(prices) - 1))]
    capped = hi < prices[-1]
    hi = hi if hi > lo else lo + 1.0
    left, top, pw, ch = 80, 20, 780, 13
    cw = pw / ndays
    ph = 24 * ch
    width, height = left + pw + 130, top + ph + 60
    body = [f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#eee"/>']
    for (day, he), (price, hours) in sorted(cell.items()):
        x = left + (day - first).days * cw
        y = top + (he - 1) * ch
        tip = f"{day.isoformat()} HE{he:02d}: {price:,.2f} USD/MWh" + (f" (mean of {hours} hours)" if hours > 1 else "")
        body.append(
            f'<rect class="mark" x="{x:.2f}" y="{y:.2f}" width="{cw + 0.3:.2f}" height="{ch + 0.3:.2f}" '
            f'fill="{_colour((price - lo) / (hi - lo))}" data-tip="{draw.esc(tip)}"/>'
        )
    for he in range(1, 25, 3):
        body.append(draw.text(left - 6, top + (he - 0.5) * ch + 4, f"HE{he:02d}", anchor="end", size=11, cls="tick"))
    every = max(1, math.ceil(ndays / 10))
    for k in range(0, ndays, every):
        day = first + dt.timedelta(days=k)
        body.append(draw.text(left + (k + 0.5) * cw, top + ph + 16, day.strftime("%b %d"), size=11, cls="tick"))
    body.append(draw.text(left + pw / 2, top + ph + 40, "operating day (Central)", size=12, cls="axis-label"))
    cy = top + ph / 2
    body.append(
        draw.text(
            left - 56,
            cy,
            "hour ending (Central)",
            size=12,
            cls="axis-label",
            extra=f' transform="rotate(-90 {left - 56} {cy})"',
        )
    )
    # colour legend: a vertical gradient bar made of bands, with ticks
    lx, bands = left + pw + 24, 48
    body.append(draw.text(lx, top - 6, "USD/MWh", anchor="start", size=12, cls="axis-label"))
    if capped:
        body.append(draw.text(lx, top + ph + 16, f"top: ≥ {hi:,.0f}", anchor="start", size=11, cls="tick"))
    for b in range(bands):
        band_y = top + ph - (b + 1) * ph / bands
        body.append(
            f'<rect x="{lx}" y="{band_y:.2f}" width="18" height="{ph / bands + 0.4:.2f}" '
            f'fill="{_colour(b / (bands - 1))}"/>'
        )
    ticks, step = draw.ticks(lo, hi, 5)
    for v in [lo, *ticks, hi] if len(ticks) < 2 else ticks:
        tick_y = top + ph - (v - lo) / (hi - lo) * ph
        body.append(f'<line x1="{lx + 18}" x2="{lx + 23}" y1="{tick_y:.1f}" y2="{tick_y:.1f}" stroke="{draw.INK}"/>')
        body.append(draw.text(lx + 26, tick_y + 4, draw.fmt(v, step), anchor="start", size=11, cls="tick"))
    body.append('<g class="legend"></g>')
    return draw.svg(width, height, body, CHARTS[2][1]), note


def _scatter_with_bins(
    title: str,
    points: Sequence[tuple[float, float, str]],
    bins: Sequence[tuple[float, float]],
    *,
    x_label: str,
    y_label: str,
    colour: str,
    point_label: str,
    bin_label: str,
    unit_x: str,
    unit_y: str,
) -> str:
    if not points:
        return draw.no_data(960, 200, title)
    left, top, pw, ph = 80, 30, 820, 300
    f = draw.frame(
        left, top, pw, ph, xd=draw.domain(p[0] for p in points), yd=draw.domain((p[1] for p in points), zero=True)
    )
    body = draw.axes(f, x_label=x_label, y_label=y_label)
    for x, y, when in _thin(points):
        body.append(draw.dot(f.x(x), f.y(y), colour, f"{when}: {x:,.1f} {unit_x}, {y:,.0f} {unit_y}"))
    body.append(draw.polyline([(f.x(x), f.y(y)) for x, y in sorted(bins)], draw.INK, 2.4, cls="mark bins"))
    for x, y in bins:
        body.append(
            f'<circle cx="{f.x(x):.1f}" cy="{f.y(y):.1f}" r="3.5" fill="{draw.INK}" '
            f'data-tip="{draw.esc(f"bin mean at {x:,.1f} {unit_x}: {y:,.0f} {unit_y}")}"/>'
        )
    body += draw.legend(left, 18, [(point_label, colour, "dot"), (bin_label, draw.INK, "line")])
    return draw.svg(left + pw + 30, top + ph + 50, body, title)


def _when(ts: dt.datetime) -> str:
    return draw.central(ts).strftime("%b %d %H:%M %Z")


@dataclass(frozen=True)
class _GenerationChart:
    """Generation against the weather that drives it: hourly points from one view, bin means from its twin."""

    chart: int  # index into CHARTS
    view: str
    x_column: str
    y_column: str
    bin_start: str
    bin_end: str
    bin_mean: str
    x_label: str
    y_label: str
    colour: str
    point_label: str
    bin_label: str
    unit_x: str
    caption: str


def _chart_generation(wh: str, spec: _GenerationChart) -> tuple[str, str]:
    # The identifiers come from the two constant specs below, never from input.
    points_sql = f"SELECT interval_start_utc AS t, {spec.x_column} AS x, {spec.y_column} AS y FROM {spec.view}"  # noqa: S608
    bin_x = f"{spec.bin_start} + ({spec.bin_end} - {spec.bin_start}) / 2"
    bins_sql = f"SELECT {bin_x} AS x, {spec.bin_mean} AS y FROM {spec.view}_binned ORDER BY 1"  # noqa: S608
    rows = query_rows(wh, f"{points_sql} ORDER BY interval_start_utc")
    bins = query_rows(wh, bins_sql)
    svg = _scatter_with_bins(
        CHARTS[spec.chart][1],
        [(float(r["x"]), float(r["y"]), _when(r["t"])) for r in rows],
        [(float(b["x"]), float(b["y"])) for b in bins],
        x_label=spec.x_label,
        y_label=spec.y_label,
        colour=spec.colour,
        point_label=spec.point_label,
        bin_label=spec.bin_label,
        unit_x=spec.unit_x,
        unit_y="MW",
    )
    return svg, spec.caption


def chart_wind(wh: str) -> tuple[str, str]:
    return _chart_generation(
        wh,
        _GenerationChart(
            chart=3,
            view="v_wind_vs_wind_speed",
            x_column="mean_wind_speed_100m_ms",
            y_column="wind_generation_mw",
            bin_start="wind_speed_bin_ms",
            bin_end="wind_speed_bin_end_ms",
            bin_mean="mean_wind_generation_mw",
            x_label="mean 100 m wind speed of the weather zones (m/s)",
            y_label="wind generation (MW)",
            colour=draw.PALETTE[0],
            point_label="hourly system wind generation",
            bin_label="mean per 1 m/s bin",
            unit_x="m/s",
            caption="System-wide actual wind generation against the weather zones' mean 100 m wind speed "
            "(v_wind_vs_wind_speed).",
        ),
    )


def chart_solar(wh: str) -> tuple[str, str]:
    return _chart_generation(
        wh,
        _GenerationChart(
            chart=4,
            view="v_solar_vs_irradiance",
            x_column="mean_shortwave_radiation_wm2",
            y_column="solar_generation_mw",
            bin_start="irradiance_bin_wm2",
            bin_end="irradiance_bin_end_wm2",
            bin_mean="mean_solar_generation_mw",
            x_label="mean shortwave irradiance of the weather zones (W/m²)",
            y_label="solar generation (MW)",
            colour=draw.PALETTE[1],
            point_label="hourly system solar generation",
            bin_label="mean per 50 W/m² bin",
            unit_x="W/m²",
            caption="System-wide actual solar generation against the zones' mean shortwave radiation "
            "(v_solar_vs_irradiance).",
        ),
    )


def chart_netload_price(wh: str) -> tuple[str, str]:
    rows = query_rows(
        wh,
        "SELECT s.interval_start_utc AS t, s.net_load_mw AS x, s.rt_price_hub_avg_usd_mwh AS y, "
        "p.interval_start_utc IS NOT NULL AS spike FROM system_hourly AS s "
        "LEFT JOIN v_price_spikes AS p ON p.interval_start_utc = s.interval_start_utc "
        "WHERE s.net_load_mw IS NOT NULL AND s.rt_price_hub_avg_usd_mwh IS NOT NULL ORDER BY s.interval_start_utc",
    )
    note = (
        "Net load = load - wind - solar. Spikes (v_price_spikes): hub-average RT price above "
        f"{SPIKE_ABSOLUTE_USD_MWH:,.0f} USD/MWh or {SPIKE_MEDIAN_MULTIPLE:g}x the trailing 30-day median."
    )
    title = CHARTS[5][1]
    if not rows:
        return draw.no_data(960, 200, title), note
    left, top, pw, ph = 80, 30, 820, 300
    f = draw.frame(
        left, top, pw, ph, xd=draw.domain(float(r["x"]) for r in rows), yd=draw.domain(float(r["y"]) for r in rows)
    )
    body = draw.axes(f, x_label="net load (MW)", y_label="hub-average RT price (USD/MWh)")
    normal = [r for r in rows if not r["spike"]]
    spikes = [r for r in rows if r["spike"]]
    for group, colour, r_ in ((_thin(normal), draw.PALETTE[0], 2.6), (spikes, draw.PALETTE[3], 4.0)):
        for r in group:
            tip = f"{_when(r['t'])}: {float(r['x']):,.0f} MW, {float(r['y']):,.2f} USD/MWh"
            body.append(draw.dot(f.x(float(r["x"])), f.y(float(r["y"])), colour, tip, r_))
    body += draw.legend(
        left, 18, [("hourly", draw.PALETTE[0], "dot"), (f"price spike ({len(spikes)} h)", draw.PALETTE[3], "dot")]
    )
    return draw.svg(left + pw + 30, top + ph + 50, body, title), note


def _ts(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "—" if value is None else str(value)


def _behind(minutes: object) -> str:
    m = num(minutes)
    if m is None:
        return "—"
    if abs(m) < 120:
        return f"{m:,.0f} min"
    if abs(m) < 48 * 60:
        return f"{m / 60:,.1f} h"
    return f"{m / 1440:,.1f} days"


def chart_freshness(wh: str) -> tuple[str, str]:
    fresh = query_rows(wh, "SELECT * FROM v_data_freshness ORDER BY table_name, dataset")
    counts = []
    for table in WAREHOUSE.tables:
        got = query_rows(wh, f"SELECT COUNT(*) AS n FROM {table.name}")  # noqa: S608 (names from the model)
        counts.append((table.name, int(got[0]["n"]) if got else 0))
    quality = query_rows(
        wh,
        "SELECT COUNT(*) AS hours, AVG(CAST(has_load AS DOUBLE)) AS has_load, "
        "AVG(CAST(has_prices AS DOUBLE)) AS has_prices, AVG(CAST(has_renewables AS DOUBLE)) AS has_renewables, "
        "AVG(CAST(has_weather AS DOUBLE)) AS has_weather FROM system_hourly",
    )
    # row counts: a horizontal bar chart on a log scale (tables span 10^2..10^7 rows)
    left, top, bw, bh = 210, 34, 560, 20
    height = top + len(counts) * (bh + 6) + 40
    body = draw.legend(left, 18, [("rows in the warehouse table (log scale)", draw.PALETTE[0], "area")])
    top_log = max(1.0, math.ceil(math.log10(max([n for _, n in counts] + [10]))))
    for i, (name, n) in enumerate(counts):
        y = top + i * (bh + 6)
        w = 0.0 if n <= 0 else max(2.0, math.log10(n) / top_log * bw) if n > 1 else 2.0
        body.append(draw.text(left - 8, y + bh - 5, name, anchor="end", size=12))
        if n > 0:
            body.append(
                f'<rect class="mark" x="{left}" y="{y}" width="{w:.1f}" height="{bh}" fill="{draw.PALETTE[0]}" '
                f'data-tip="{draw.esc(f"{name}: {n:,} rows")}"/>'
            )
        body.append(
            draw.text(left + w + 6, y + bh - 5, f"{n:,}" if n else "no data", anchor="start", size=12, cls="tick")
        )
    axis_y = top + len(counts) * (bh + 6) + 4
    for p in range(0, int(top_log) + 1):
        x = left + p / top_log * bw
        body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 4}" y2="{axis_y}" stroke="{draw.GRID}"/>')
        body.append(draw.text(x, axis_y + 14, f"{10**p:,}", size=11, cls="tick"))
    body.append(draw.text(left + bw / 2, axis_y + 32, "rows (count, log scale)", size=12, cls="axis-label"))
    svg = draw.svg(left + bw + 130, height + 10, body, CHARTS[6][1])

    cells = ['<table class="fresh"><thead><tr><th>table</th><th>dataset</th><th>freshness column</th>'
             "<th>newest</th><th>behind now</th><th>rows</th><th>last loaded</th></tr></thead><tbody>"]  # fmt: skip
    if not fresh:
        cells.append('<tr><td colspan="7" class="no-data">no data</td></tr>')
    for r in fresh:
        stale = int(r["row_count"] or 0) == 0
        cells.append(
            f'<tr class="{"empty" if stale else ""}"><td>{draw.esc(r["table_name"])}</td>'
            f"<td>{draw.esc(r['dataset'])}</td>"
            f"<td>{draw.esc(r['freshness_column'])}</td><td>{draw.esc(_ts(r['newest_utc']))}</td>"
            f"<td>{draw.esc(_behind(r['minutes_behind']))}</td><td class='num'>{int(r['row_count'] or 0):,}</td>"
            f"<td>{draw.esc(_ts(r['newest_loaded_at_utc']))}</td></tr>"
        )
    cells.append("</tbody></table>")
    q = quality[0] if quality else {}
    hours = int(q.get("hours") or 0)
    if hours:
        flags = " · ".join(
            f"{name.replace('has_', '')}: {100 * float(q[name] or 0):.1f}%"
            for name in ("has_load", "has_prices", "has_renewables", "has_weather")
        )
        quality_html = f"<p class='quality'>Complete hours in system_hourly ({hours:,} hours) — {draw.esc(flags)}</p>"
    else:
        quality_html = "<p class='quality no-data'>system_hourly: no data</p>"
    note = "Rows per warehouse table; per dataset the newest time held (v_data_freshness) and how far behind now it is."
    return svg + quality_html + "".join(cells), note
