"""The dashboard: one self-contained HTML file rendered from the warehouse alone.

:func:`write_dashboard` queries the DuckDB warehouse (read-only: the gold tables and the analyst views of
:mod:`energylake.warehouse.model`) and writes a single HTML page whose charts are inline SVG drawn here in Python.
The page works offline: no CDN, no web fonts, no fetches (a Content-Security-Policy forbids them); a few lines of
inline JavaScript show a tooltip for the marks' ``data-tip`` text. Times are shown in ERCOT's Central time
(``America/Chicago``); hours are ERCOT hour-ending labels. A chart whose data is empty says "no data".

Charts: load against temperature per weather zone (with a hinge least-squares fit at the degree-hour balance point);
system load, hub-average RT price and load-weighted temperature over time; a price heat map (hour ending x operating
day); wind generation against 100 m wind speed; solar generation against irradiance; net load against price; and a
data freshness and quality panel.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from energylake.schema import DEGREE_BASE_C
from energylake.warehouse.duckdb import WarehouseError, query
from energylake.warehouse.model import SPIKE_ABSOLUTE_USD_MWH, SPIKE_MEDIAN_MULTIPLE, WAREHOUSE

__all__ = ["CHARTS", "write_dashboard"]

CENTRAL = ZoneInfo("America/Chicago")
MAX_POINTS = 4000  # per scatter chart: larger sets are thinned evenly (fits always use every row)

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

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1", "#edc948", "#9c755f", "#ff9da7")
INK = "#333"
MUTED = "#777"
GRID = "#e6e6e6"

Rows = list[dict[str, Any]]


# --- data --------------------------------------------------------------------------------------------------------


def _rows(warehouse_path: str, sql: str) -> Rows:
    """The query's rows as dicts; a table or view missing from an older warehouse reads as no rows."""
    try:
        table = query(warehouse_path, sql)
    except duckdb.CatalogException:
        return []
    return [dict(row) for row in table.to_pylist()]


def _num(value: object) -> float | None:
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


# --- formatting and scales ---------------------------------------------------------------------------------------


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _fmt(value: float, step: float | None = None) -> str:
    if step is not None and step < 1:
        decimals = min(4, max(0, -math.floor(math.log10(step))))
        return f"{value:,.{decimals}f}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}" if value != int(value) else f"{int(value)}"


def _nice_step(span: float, count: int) -> float:
    raw = span / max(count, 1)
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 2.5, 5, 10):
        if raw <= multiple * magnitude:
            return multiple * magnitude
    return 10 * magnitude


def _domain(values: Iterable[float], *, pad: float = 0.04, zero: bool = False) -> tuple[float, float]:
    vals = list(values)
    lo, hi = (min(vals), max(vals)) if vals else (0.0, 1.0)
    if zero:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    if hi - lo < 1e-9:
        lo, hi = lo - 1.0, hi + 1.0
    margin = (hi - lo) * pad
    return (lo if zero and lo == 0 else lo - margin), hi + margin


def _ticks(lo: float, hi: float, count: int = 5) -> tuple[list[float], float]:
    step = _nice_step(hi - lo, count)
    first = math.ceil(lo / step) * step
    ticks: list[float] = []
    value = first
    while value <= hi + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    return ticks, step


@dataclass(frozen=True)
class Scale:
    lo: float
    hi: float
    a: float  # pixel of lo
    b: float  # pixel of hi

    def __call__(self, value: float) -> float:
        return self.a + (value - self.lo) / (self.hi - self.lo) * (self.b - self.a)


@dataclass(frozen=True)
class Frame:
    """One plotting area inside an SVG: left/top corner and size, with the x and y scales over it."""

    x: Scale
    y: Scale
    left: float
    top: float
    width: float
    height: float


def _frame(
    left: float, top: float, width: float, height: float, *, xd: tuple[float, float], yd: tuple[float, float]
) -> Frame:
    return Frame(
        Scale(xd[0], xd[1], left, left + width), Scale(yd[0], yd[1], top + height, top), left, top, width, height
    )


def _svg(width: int, height: int, body: Sequence[str], label: str) -> str:
    return (
        f'<svg class="chart-svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{_esc(label)}">' + "".join(body) + "</svg>"
    )


def _text(
    x: float, y: float, text: str, *, anchor: str = "middle", size: int = 12, cls: str = "", extra: str = ""
) -> str:
    klass = f' class="{cls}"' if cls else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}"{klass}{extra}>{_esc(text)}</text>'


def _axes(
    f: Frame,
    *,
    x_label: str | None,
    y_label: str,
    x_ticks: Sequence[tuple[float, str]] | None = None,
    y_count: int = 5,
) -> list[str]:
    """Grid lines, tick labels and axis titles for a frame; ``x_ticks`` overrides numeric x ticks."""
    out: list[str] = [
        f'<rect x="{f.left:.1f}" y="{f.top:.1f}" width="{f.width:.1f}" height="{f.height:.1f}" fill="#fff" '
        f'stroke="{GRID}"/>'
    ]
    ys, ystep = _ticks(f.y.lo, f.y.hi, y_count)
    for v in ys:
        py = f.y(v)
        out.append(f'<line x1="{f.left:.1f}" x2="{f.left + f.width:.1f}" y1="{py:.1f}" y2="{py:.1f}" stroke="{GRID}"/>')
        out.append(_text(f.left - 6, py + 4, _fmt(v, ystep), anchor="end", size=11, cls="tick"))
    if x_ticks is None:
        xs, xstep = _ticks(f.x.lo, f.x.hi, max(3, int(f.width // 90)))
        x_ticks = [(v, _fmt(v, xstep)) for v in xs]
    bottom = f.top + f.height
    for v, label in x_ticks:
        px = f.x(v)
        out.append(f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{f.top:.1f}" y2="{bottom:.1f}" stroke="{GRID}"/>')
        if x_label is not None:
            out.append(_text(px, bottom + 16, label, size=11, cls="tick"))
    if x_label:
        out.append(_text(f.left + f.width / 2, bottom + 36, x_label, size=12, cls="axis-label"))
    cy = f.top + f.height / 2
    out.append(
        _text(
            f.left - 52,
            cy,
            y_label,
            size=12,
            cls="axis-label",
            extra=f' transform="rotate(-90 {f.left - 52:.1f} {cy:.1f})"',
        )
    )
    return out


def _legend(x: float, y: float, items: Sequence[tuple[str, str, str]]) -> list[str]:
    """A horizontal legend: (label, colour, kind) with kind "dot", "line" or "area"."""
    out = ['<g class="legend">']
    cursor = x
    for label, colour, kind in items:
        if kind == "dot":
            out.append(f'<circle cx="{cursor + 5:.1f}" cy="{y - 4:.1f}" r="4" fill="{colour}" fill-opacity="0.7"/>')
        elif kind == "line":
            out.append(
                f'<line x1="{cursor:.1f}" x2="{cursor + 16:.1f}" y1="{y - 4:.1f}" y2="{y - 4:.1f}" stroke="{colour}" '
                'stroke-width="2.5"/>'
            )
        else:
            out.append(f'<rect x="{cursor:.1f}" y="{y - 10:.1f}" width="14" height="10" fill="{colour}"/>')
        out.append(_text(cursor + 22, y, label, anchor="start", size=12))
        cursor += 30 + 7 * len(label)
    out.append("</g>")
    return out


def _no_data(width: int, height: int, label: str, why: str = "no data") -> str:
    body = [
        f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" fill="#fafafa" stroke="{GRID}"/>',
        _text(width / 2, height / 2, why, size=16, cls="no-data"),
    ]
    return _svg(width, height, body, f"{label}: {why}")


def _dot(x: float, y: float, colour: str, tip: str, r: float = 2.6) -> str:
    return (
        f'<circle class="mark" cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{colour}" fill-opacity="0.55" '
        f'data-tip="{_esc(tip)}"/>'
    )


def _polyline(points: Sequence[tuple[float, float]], colour: str, width: float = 2.0, cls: str = "mark") -> str:
    if not points:
        return ""
    d = "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in points)
    return f'<path class="{cls}" d="{d}" fill="none" stroke="{colour}" stroke-width="{width}" stroke-linejoin="round"/>'


def _central(ts: dt.datetime) -> dt.datetime:
    return ts.astimezone(CENTRAL)


def _time_ticks(lo: float, hi: float, max_ticks: int = 9) -> list[tuple[float, str]]:
    """Ticks at Central midnights between two epoch seconds, every n days so at most ``max_ticks`` show."""
    start = dt.datetime.fromtimestamp(lo, CENTRAL).date()
    end = dt.datetime.fromtimestamp(hi, CENTRAL).date()
    days = (end - start).days + 1
    every = max(1, math.ceil(days / max_ticks))
    ticks: list[tuple[float, str]] = []
    day = start
    while day <= end:
        at = dt.datetime(day.year, day.month, day.day, tzinfo=CENTRAL).timestamp()
        if lo <= at <= hi:
            ticks.append((at, day.strftime("%b %d")))
        day += dt.timedelta(days=every)
    return ticks


# --- fits ----------------------------------------------------------------------------------------------------------


def _solve(matrix: list[list[float]], rhs: list[float]) -> list[float] | None:
    """Gaussian elimination with partial pivoting; None when singular."""
    n = len(rhs)
    a = [[*row, rhs[i]] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        if abs(a[pivot][col]) < 1e-9:
            return None
        a[col], a[pivot] = a[pivot], a[col]
        for r in range(n):
            if r != col:
                factor = a[r][col] / a[col][col]
                a[r] = [x - factor * y for x, y in zip(a[r], a[col], strict=True)]
    return [a[i][n] / a[i][i] for i in range(n)]


@dataclass(frozen=True)
class HingeFit:
    """load = base + cooling x max(0, T - balance) + heating x max(0, balance - T) (least squares)."""

    base: float
    cooling: float | None  # MW per °C above the balance point (None: no hours there to fit)
    heating: float | None  # MW per °C below it
    r2: float | None

    def __call__(self, t: float) -> float:
        return (
            self.base
            + (self.cooling or 0.0) * max(0.0, t - DEGREE_BASE_C)
            + (self.heating or 0.0) * max(0.0, DEGREE_BASE_C - t)
        )


def hinge_fit(
    points: Sequence[tuple[float, float]], balance: float = DEGREE_BASE_C, min_side: int = 3
) -> HingeFit | None:
    """Fit the two-slope degree-hour model to (temperature, load) points; None with fewer than 3 points."""
    if len(points) < 3:
        return None
    above = sum(1 for t, _ in points if t > balance) >= min_side
    below = sum(1 for t, _ in points if t < balance) >= min_side
    features: list[Callable[[float], float]] = [lambda t: 1.0]
    if above:
        features.append(lambda t: max(0.0, t - balance))
    if below:
        features.append(lambda t: max(0.0, balance - t))
    xs = [[f(t) for f in features] for t, _ in points]
    ys = [y for _, y in points]
    k = len(features)
    xtx = [[sum(row[i] * row[j] for row in xs) for j in range(k)] for i in range(k)]
    xty = [sum(row[i] * y for row, y in zip(xs, ys, strict=True)) for i in range(k)]
    coef = _solve(xtx, xty)
    if coef is None:
        return None
    cooling = coef[1] if above else None
    heating = coef[-1] if below else None
    fit = HingeFit(coef[0], cooling, heating, None)
    mean = sum(ys) / len(ys)
    sst = sum((y - mean) ** 2 for y in ys)
    sse = sum((y - fit(t)) ** 2 for t, y in points)
    return HingeFit(coef[0], cooling, heating, 1 - sse / sst if sst > 0 else None)


# --- charts --------------------------------------------------------------------------------------------------------


def _chart_load_temperature(wh: str) -> tuple[str, str]:
    rows = _rows(
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
        return _no_data(960, 200, CHARTS[0][1]), note
    zones = sorted({str(r["weather_zone"]) for r in rows})
    cols = 4
    pw, ph, gap_x, gap_y, left, top = 170, 150, 82, 78, 70, 44
    nrows = math.ceil(len(zones) / cols)
    width = left + cols * pw + (cols - 1) * gap_x + 20
    height = top + nrows * (ph + gap_y) + 10
    all_t = [float(r["t"]) for r in rows]
    xd = _domain(all_t)
    body: list[str] = _legend(left, 18, [("hourly load (MW)", MUTED, "dot"), ("fitted curve", INK, "line")])
    for i, zone in enumerate(zones):
        colour = PALETTE[i % len(PALETTE)]
        pts = [(float(r["t"]), float(r["y"])) for r in rows if r["weather_zone"] == zone]
        px = left + (i % cols) * (pw + gap_x)
        py = top + (i // cols) * (ph + gap_y) + 16
        f = _frame(px, py, pw, ph, xd=xd, yd=_domain(y for _, y in pts))
        body.append(f'<g class="panel" data-zone="{_esc(zone)}">')
        body.append(_text(px + pw / 2, py - 6, zone, size=13, cls="panel-title"))
        body += _axes(f, x_label="temperature (°C)", y_label="load (MW)", y_count=4)
        for t, y in _thin(pts, MAX_POINTS // max(1, len(zones))):
            body.append(_dot(f.x(t), f.y(y), colour, f"{zone}: {t:.1f} °C, {y:,.0f} MW"))
        fit = hinge_fit(pts)
        if fit is not None:
            knots = sorted({xd[0], xd[1], *([DEGREE_BASE_C] if xd[0] < DEGREE_BASE_C < xd[1] else [])})
            curve = [(f.x(t), f.y(min(max(fit(t), f.y.lo), f.y.hi))) for t in knots]
            body.append(_polyline(curve, INK, 2.2, cls="mark fit"))
            parts = []
            if fit.cooling is not None:
                parts.append(f"cool {fit.cooling:+,.0f}")
            if fit.heating is not None:
                parts.append(f"heat {fit.heating:+,.0f}")
            r2 = f", r² {fit.r2:.2f}" if fit.r2 is not None else ""
            body.append(_text(px + pw / 2, py + ph + 52, " · ".join(parts) + f" MW/°C{r2}", size=11, cls="fit-note"))
        body.append("</g>")
    return _svg(width, height, body, CHARTS[0][1]), note


def _chart_timeseries(wh: str) -> tuple[str, str]:
    rows = _rows(
        wh,
        "SELECT interval_start_utc AS t, load_mw, load_forecast_mw, rt_price_hub_avg_usd_mwh AS price, "
        "dam_price_hub_avg_usd_mwh AS dam, load_weighted_temperature_c AS temp FROM system_hourly "
        "ORDER BY interval_start_utc",
    )
    note = "Hourly values; the time axis is Central time (America/Chicago), ticks at midnight."
    if not rows:
        return _no_data(960, 200, CHARTS[1][1]), note
    times = [r["t"].timestamp() for r in rows]
    xd = (min(times), max(times) if max(times) > min(times) else min(times) + 3600)
    ticks = _time_ticks(*xd)
    panels: tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...] = (
        ("load (MW)", (("load_mw", "actual load", PALETTE[0]), ("load_forecast_mw", "ERCOT forecast", "#a0cbe8"))),
        ("price (USD/MWh)", (("price", "hub avg RT", PALETTE[3]), ("dam", "hub avg DAM", "#ff9d9a"))),
        ("temperature (°C)", (("temp", "load-weighted temperature", PALETTE[1]),)),
    )
    left, top, pw, ph, gap = 80, 16, 840, 150, 50
    width, height = left + pw + 30, top + len(panels) * (ph + gap) + 20
    body: list[str] = []
    for i, (y_label, series) in enumerate(panels):
        py = top + i * (ph + gap) + 20
        values = [v for key, _, _ in series for r in rows if (v := _num(r[key])) is not None]
        f = _frame(left, py, pw, ph, xd=xd, yd=_domain(values))
        last = i == len(panels) - 1
        body.append('<g class="panel">')
        body += _axes(f, x_label="Central time" if last else "", y_label=y_label, x_ticks=ticks, y_count=4)
        if not values:
            body.append(_text(left + pw / 2, py + ph / 2, "no data", size=14, cls="no-data"))
        for key, _label, colour in reversed(series):
            segment: list[tuple[float, float]] = []
            for ts, r in zip(times, rows, strict=True):
                v = _num(r[key])
                if v is None:  # a gap breaks the line
                    body.append(_polyline(segment, colour))
                    segment = []
                else:
                    segment.append((f.x(ts), f.y(v)))
            body.append(_polyline(segment, colour))
        for ts, r in _thin(list(zip(times, rows, strict=True)), 2000):  # invisible hover targets
            v = _num(r[series[0][0]])
            if v is not None:
                when = _central(r["t"]).strftime("%a %b %d %H:%M %Z")
                body.append(
                    f'<circle cx="{f.x(ts):.1f}" cy="{f.y(v):.1f}" r="4" fill="transparent" '
                    f'data-tip="{_esc(f"{when}: {v:,.1f} {y_label}")}"/>'
                )
        body += _legend(left, py - 8, [(label, colour, "line") for _, label, colour in series])
        body.append("</g>")
    return _svg(width, height, body, CHARTS[1][1]), note


def _colour(fraction: float) -> str:
    """A sequential scale (pale yellow -> orange -> dark red/purple), fraction in [0, 1]."""
    stops = ((255, 247, 188), (254, 196, 79), (236, 112, 20), (204, 76, 2), (140, 45, 4), (73, 0, 106))
    fraction = min(max(fraction, 0.0), 1.0) * (len(stops) - 1)
    i = min(int(fraction), len(stops) - 2)
    w = fraction - i
    rgb = [round(a + (b - a) * w) for a, b in zip(stops[i], stops[i + 1], strict=True)]
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _chart_heatmap(wh: str) -> tuple[str, str]:
    rows = _rows(
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
        return _no_data(960, 200, CHARTS[2][1]), note
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
            f'fill="{_colour((price - lo) / (hi - lo))}" data-tip="{_esc(tip)}"/>'
        )
    for he in range(1, 25, 3):
        body.append(_text(left - 6, top + (he - 0.5) * ch + 4, f"HE{he:02d}", anchor="end", size=11, cls="tick"))
    every = max(1, math.ceil(ndays / 10))
    for k in range(0, ndays, every):
        day = first + dt.timedelta(days=k)
        body.append(_text(left + (k + 0.5) * cw, top + ph + 16, day.strftime("%b %d"), size=11, cls="tick"))
    body.append(_text(left + pw / 2, top + ph + 40, "operating day (Central)", size=12, cls="axis-label"))
    cy = top + ph / 2
    body.append(
        _text(
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
    body.append(_text(lx, top - 6, "USD/MWh", anchor="start", size=12, cls="axis-label"))
    if capped:
        body.append(_text(lx, top + ph + 16, f"top: ≥ {hi:,.0f}", anchor="start", size=11, cls="tick"))
    for b in range(bands):
        band_y = top + ph - (b + 1) * ph / bands
        body.append(
            f'<rect x="{lx}" y="{band_y:.2f}" width="18" height="{ph / bands + 0.4:.2f}" '
            f'fill="{_colour(b / (bands - 1))}"/>'
        )
    ticks, step = _ticks(lo, hi, 5)
    for v in [lo, *ticks, hi] if len(ticks) < 2 else ticks:
        tick_y = top + ph - (v - lo) / (hi - lo) * ph
        body.append(f'<line x1="{lx + 18}" x2="{lx + 23}" y1="{tick_y:.1f}" y2="{tick_y:.1f}" stroke="{INK}"/>')
        body.append(_text(lx + 26, tick_y + 4, _fmt(v, step), anchor="start", size=11, cls="tick"))
    body.append('<g class="legend"></g>')
    return _svg(width, height, body, CHARTS[2][1]), note


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
        return _no_data(960, 200, title)
    left, top, pw, ph = 80, 30, 820, 300
    f = _frame(left, top, pw, ph, xd=_domain(p[0] for p in points), yd=_domain((p[1] for p in points), zero=True))
    body = _axes(f, x_label=x_label, y_label=y_label)
    for x, y, when in _thin(points):
        body.append(_dot(f.x(x), f.y(y), colour, f"{when}: {x:,.1f} {unit_x}, {y:,.0f} {unit_y}"))
    body.append(_polyline([(f.x(x), f.y(y)) for x, y in sorted(bins)], INK, 2.4, cls="mark bins"))
    for x, y in bins:
        body.append(
            f'<circle cx="{f.x(x):.1f}" cy="{f.y(y):.1f}" r="3.5" fill="{INK}" '
            f'data-tip="{_esc(f"bin mean at {x:,.1f} {unit_x}: {y:,.0f} {unit_y}")}"/>'
        )
    body += _legend(left, 18, [(point_label, colour, "dot"), (bin_label, INK, "line")])
    return _svg(left + pw + 30, top + ph + 50, body, title)


def _when(ts: dt.datetime) -> str:
    return _central(ts).strftime("%b %d %H:%M %Z")


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
    rows = _rows(wh, f"{points_sql} ORDER BY interval_start_utc")
    bins = _rows(wh, bins_sql)
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


def _chart_wind(wh: str) -> tuple[str, str]:
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
            colour=PALETTE[0],
            point_label="hourly system wind generation",
            bin_label="mean per 1 m/s bin",
            unit_x="m/s",
            caption="System-wide actual wind generation against the weather zones' mean 100 m wind speed "
            "(v_wind_vs_wind_speed).",
        ),
    )


def _chart_solar(wh: str) -> tuple[str, str]:
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
            colour=PALETTE[1],
            point_label="hourly system solar generation",
            bin_label="mean per 50 W/m² bin",
            unit_x="W/m²",
            caption="System-wide actual solar generation against the zones' mean shortwave radiation "
            "(v_solar_vs_irradiance).",
        ),
    )


def _chart_netload_price(wh: str) -> tuple[str, str]:
    rows = _rows(
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
        return _no_data(960, 200, title), note
    left, top, pw, ph = 80, 30, 820, 300
    f = _frame(left, top, pw, ph, xd=_domain(float(r["x"]) for r in rows), yd=_domain(float(r["y"]) for r in rows))
    body = _axes(f, x_label="net load (MW)", y_label="hub-average RT price (USD/MWh)")
    normal = [r for r in rows if not r["spike"]]
    spikes = [r for r in rows if r["spike"]]
    for group, colour, r_ in ((_thin(normal), PALETTE[0], 2.6), (spikes, PALETTE[3], 4.0)):
        for r in group:
            tip = f"{_when(r['t'])}: {float(r['x']):,.0f} MW, {float(r['y']):,.2f} USD/MWh"
            body.append(_dot(f.x(float(r["x"])), f.y(float(r["y"])), colour, tip, r_))
    body += _legend(left, 18, [("hourly", PALETTE[0], "dot"), (f"price spike ({len(spikes)} h)", PALETTE[3], "dot")])
    return _svg(left + pw + 30, top + ph + 50, body, title), note


def _ts(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "—" if value is None else str(value)


def _behind(minutes: object) -> str:
    m = _num(minutes)
    if m is None:
        return "—"
    if abs(m) < 120:
        return f"{m:,.0f} min"
    if abs(m) < 48 * 60:
        return f"{m / 60:,.1f} h"
    return f"{m / 1440:,.1f} days"


def _chart_freshness(wh: str) -> tuple[str, str]:
    fresh = _rows(wh, "SELECT * FROM v_data_freshness ORDER BY table_name, dataset")
    counts = []
    for table in WAREHOUSE.tables:
        got = _rows(wh, f"SELECT COUNT(*) AS n FROM {table.name}")  # noqa: S608 (names from the model)
        counts.append((table.name, int(got[0]["n"]) if got else 0))
    quality = _rows(
        wh,
        "SELECT COUNT(*) AS hours, AVG(CAST(has_load AS DOUBLE)) AS has_load, "
        "AVG(CAST(has_prices AS DOUBLE)) AS has_prices, AVG(CAST(has_renewables AS DOUBLE)) AS has_renewables, "
        "AVG(CAST(has_weather AS DOUBLE)) AS has_weather FROM system_hourly",
    )
    # row counts: a horizontal bar chart on a log scale (tables span 10^2..10^7 rows)
    left, top, bw, bh = 210, 34, 560, 20
    height = top + len(counts) * (bh + 6) + 40
    body = _legend(left, 18, [("rows in the warehouse table (log scale)", PALETTE[0], "area")])
    top_log = max(1.0, math.ceil(math.log10(max([n for _, n in counts] + [10]))))
    for i, (name, n) in enumerate(counts):
        y = top + i * (bh + 6)
        w = 0.0 if n <= 0 else max(2.0, math.log10(n) / top_log * bw) if n > 1 else 2.0
        body.append(_text(left - 8, y + bh - 5, name, anchor="end", size=12))
        if n > 0:
            body.append(
                f'<rect class="mark" x="{left}" y="{y}" width="{w:.1f}" height="{bh}" fill="{PALETTE[0]}" '
                f'data-tip="{_esc(f"{name}: {n:,} rows")}"/>'
            )
        body.append(_text(left + w + 6, y + bh - 5, f"{n:,}" if n else "no data", anchor="start", size=12, cls="tick"))
    axis_y = top + len(counts) * (bh + 6) + 4
    for p in range(0, int(top_log) + 1):
        x = left + p / top_log * bw
        body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 4}" y2="{axis_y}" stroke="{GRID}"/>')
        body.append(_text(x, axis_y + 14, f"{10**p:,}", size=11, cls="tick"))
    body.append(_text(left + bw / 2, axis_y + 32, "rows (count, log scale)", size=12, cls="axis-label"))
    svg = _svg(left + bw + 130, height + 10, body, CHARTS[6][1])

    cells = ['<table class="fresh"><thead><tr><th>table</th><th>dataset</th><th>freshness column</th>'
             "<th>newest</th><th>behind now</th><th>rows</th><th>last loaded</th></tr></thead><tbody>"]  # fmt: skip
    if not fresh:
        cells.append('<tr><td colspan="7" class="no-data">no data</td></tr>')
    for r in fresh:
        stale = int(r["row_count"] or 0) == 0
        cells.append(
            f'<tr class="{"empty" if stale else ""}"><td>{_esc(r["table_name"])}</td><td>{_esc(r["dataset"])}</td>'
            f"<td>{_esc(r['freshness_column'])}</td><td>{_esc(_ts(r['newest_utc']))}</td>"
            f"<td>{_esc(_behind(r['minutes_behind']))}</td><td class='num'>{int(r['row_count'] or 0):,}</td>"
            f"<td>{_esc(_ts(r['newest_loaded_at_utc']))}</td></tr>"
        )
    cells.append("</tbody></table>")
    q = quality[0] if quality else {}
    hours = int(q.get("hours") or 0)
    if hours:
        flags = " · ".join(
            f"{name.replace('has_', '')}: {100 * float(q[name] or 0):.1f}%"
            for name in ("has_load", "has_prices", "has_renewables", "has_weather")
        )
        quality_html = f"<p class='quality'>Complete hours in system_hourly ({hours:,} hours) — {_esc(flags)}</p>"
    else:
        quality_html = "<p class='quality no-data'>system_hourly: no data</p>"
    note = "Rows per warehouse table; per dataset the newest time held (v_data_freshness) and how far behind now it is."
    return svg + quality_html + "".join(cells), note


# --- page ----------------------------------------------------------------------------------------------------------

_CSS = """
:root { color-scheme: light; }
body { margin: 0; background: #f6f7f9; color: #222; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto,
  "Helvetica Neue", Arial, sans-serif; }
header { padding: 20px 32px 12px; background: #fff; border-bottom: 1px solid #e3e3e3; }
header h1 { margin: 0 0 4px; font-size: 24px; font-weight: 600; }
header p { margin: 0; color: #555; }
main { padding: 16px 32px 40px; max-width: 1100px; }
section.chart { background: #fff; border: 1px solid #e3e3e3; border-radius: 8px; padding: 16px 20px; margin: 16px 0; }
section.chart h2 { margin: 0 0 2px; font-size: 18px; font-weight: 600; }
section.chart p.note { margin: 0 0 10px; color: #666; font-size: 13px; }
svg.chart-svg { display: block; max-width: 100%; height: auto; font-family: inherit; }
svg text { fill: #333; }
svg text.tick { fill: #666; }
svg text.panel-title { font-weight: 600; }
svg text.no-data, td.no-data, p.no-data { fill: #999; color: #999; font-style: italic; }
table.fresh { border-collapse: collapse; width: 100%; font-size: 13px; margin-top: 8px; }
table.fresh th, table.fresh td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eee; }
table.fresh th { color: #555; font-weight: 600; }
table.fresh td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.fresh tr.empty td { color: #b04040; }
p.quality { font-size: 13px; color: #444; margin: 8px 0 0; }
#tip { position: absolute; display: none; pointer-events: none; background: rgba(30, 30, 30, 0.9); color: #fff;
  font-size: 12px; padding: 4px 8px; border-radius: 4px; white-space: nowrap; }
"""

_JS = """
(function () {
  var tip = document.getElementById("tip");
  document.addEventListener("mousemove", function (e) {
    var t = e.target && e.target.closest ? e.target.closest("[data-tip]") : null;
    if (!t) { tip.style.display = "none"; return; }
    tip.textContent = t.getAttribute("data-tip");
    tip.style.display = "block";
    tip.style.left = (e.pageX + 12) + "px";
    tip.style.top = (e.pageY + 12) + "px";
  });
})();
"""

_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"


def _window(wh: str) -> str:
    rows = _rows(
        wh,
        "SELECT MIN(operating_day) AS first, MAX(operating_day) AS last, COUNT(DISTINCT operating_day) AS days "
        "FROM (SELECT operating_day FROM system_hourly UNION ALL SELECT operating_day FROM energy_weather_hourly "
        "UNION ALL SELECT operating_day FROM ercot_spp_hourly)",
    )
    if not rows or rows[0]["first"] is None:
        return "no data loaded"
    r = rows[0]
    return f"operating days {r['first'].isoformat()} to {r['last'].isoformat()} ({int(r['days'])} days with data)"


def render_dashboard(warehouse_path: str, *, generated_at: dt.datetime | None = None) -> str:
    """The dashboard page for the warehouse file, as HTML text."""
    if not os.path.exists(warehouse_path):
        raise WarehouseError(f"no warehouse at {warehouse_path}: run `energylake load` first")
    generated = (generated_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    builders = (
        _chart_load_temperature,
        _chart_timeseries,
        _chart_heatmap,
        _chart_wind,
        _chart_solar,
        _chart_netload_price,
        _chart_freshness,
    )
    sections = []
    for (chart_id, title), build in zip(CHARTS, builders, strict=True):
        content, note = build(warehouse_path)
        sections.append(
            f'<section class="chart" id="{chart_id}" data-chart="{chart_id}"><h2>{_esc(title)}</h2>'
            f'<p class="note">{_esc(note)}</p>{content}</section>'
        )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>energylake: ERCOT load, prices and weather</title><style>{_CSS}</style></head><body>"
        "<header><h1>energylake: ERCOT load, prices and weather</h1>"
        f'<p class="window">Window: {_esc(_window(warehouse_path))} · generated at '
        f'<time datetime="{generated.isoformat()}">{generated:%Y-%m-%d %H:%M} UTC</time> · '
        f"from {_esc(os.path.basename(warehouse_path))}</p></header><main>"
        + "".join(sections)
        + f'</main><div id="tip"></div><script>{_JS}</script></body></html>\n'
    )


def write_dashboard(warehouse_path: str, out_path: str) -> str:
    """Render the warehouse's dashboard to ``out_path`` (one self-contained, offline HTML file); returns the path."""
    page = render_dashboard(warehouse_path)
    folder = os.path.dirname(os.path.abspath(out_path))
    os.makedirs(folder, exist_ok=True)
    tmp = f"{out_path}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(page)
    os.replace(tmp, out_path)
    return out_path
