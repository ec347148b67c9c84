"""The dashboard's drawing kit: number formatting, scales, ticks, axes, legends and SVG marks (no data access)."""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from energylake.timeconv import CENTRAL

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1", "#edc948", "#9c755f", "#ff9da7")
INK = "#333"
MUTED = "#777"
GRID = "#e6e6e6"


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def fmt(value: float, step: float | None = None) -> str:
    if step is not None and step < 1:
        decimals = min(4, max(0, -math.floor(math.log10(step))))
        return f"{value:,.{decimals}f}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}" if value != int(value) else f"{int(value)}"


def nice_step(span: float, count: int) -> float:
    raw = span / max(count, 1)
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 2.5, 5, 10):
        if raw <= multiple * magnitude:
            return multiple * magnitude
    return 10 * magnitude


def domain(values: Iterable[float], *, pad: float = 0.04, zero: bool = False) -> tuple[float, float]:
    vals = list(values)
    lo, hi = (min(vals), max(vals)) if vals else (0.0, 1.0)
    if zero:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    if hi - lo < 1e-9:
        lo, hi = lo - 1.0, hi + 1.0
    margin = (hi - lo) * pad
    return (lo if zero and lo == 0 else lo - margin), hi + margin


def ticks(lo: float, hi: float, count: int = 5) -> tuple[list[float], float]:
    step = nice_step(hi - lo, count)
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


def frame(
    left: float, top: float, width: float, height: float, *, xd: tuple[float, float], yd: tuple[float, float]
) -> Frame:
    return Frame(
        Scale(xd[0], xd[1], left, left + width), Scale(yd[0], yd[1], top + height, top), left, top, width, height
    )


def svg(width: int, height: int, body: Sequence[str], label: str) -> str:
    return (
        f'<svg class="chart-svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{esc(label)}">' + "".join(body) + "</svg>"
    )


def text(
    x: float, y: float, text: str, *, anchor: str = "middle", size: int = 12, cls: str = "", extra: str = ""
) -> str:
    klass = f' class="{cls}"' if cls else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}"{klass}{extra}>{esc(text)}</text>'


def axes(
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
    ys, ystep = ticks(f.y.lo, f.y.hi, y_count)
    for v in ys:
        py = f.y(v)
        out.append(f'<line x1="{f.left:.1f}" x2="{f.left + f.width:.1f}" y1="{py:.1f}" y2="{py:.1f}" stroke="{GRID}"/>')
        out.append(text(f.left - 6, py + 4, fmt(v, ystep), anchor="end", size=11, cls="tick"))
    if x_ticks is None:
        xs, xstep = ticks(f.x.lo, f.x.hi, max(3, int(f.width // 90)))
        x_ticks = [(v, fmt(v, xstep)) for v in xs]
    bottom = f.top + f.height
    for v, label in x_ticks:
        px = f.x(v)
        out.append(f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{f.top:.1f}" y2="{bottom:.1f}" stroke="{GRID}"/>')
        if x_label is not None:
            out.append(text(px, bottom + 16, label, size=11, cls="tick"))
    if x_label:
        out.append(text(f.left + f.width / 2, bottom + 36, x_label, size=12, cls="axis-label"))
    cy = f.top + f.height / 2
    out.append(
        text(
            f.left - 52,
            cy,
            y_label,
            size=12,
            cls="axis-label",
            extra=f' transform="rotate(-90 {f.left - 52:.1f} {cy:.1f})"',
        )
    )
    return out


def legend(x: float, y: float, items: Sequence[tuple[str, str, str]]) -> list[str]:
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
        out.append(text(cursor + 22, y, label, anchor="start", size=12))
        cursor += 30 + 7 * len(label)
    out.append("</g>")
    return out


def no_data(width: int, height: int, label: str, why: str = "no data") -> str:
    body = [
        f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" fill="#fafafa" stroke="{GRID}"/>',
        text(width / 2, height / 2, why, size=16, cls="no-data"),
    ]
    return svg(width, height, body, f"{label}: {why}")


def dot(x: float, y: float, colour: str, tip: str, r: float = 2.6) -> str:
    return (
        f'<circle class="mark" cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{colour}" fill-opacity="0.55" '
        f'data-tip="{esc(tip)}"/>'
    )


def polyline(points: Sequence[tuple[float, float]], colour: str, width: float = 2.0, cls: str = "mark") -> str:
    if not points:
        return ""
    d = "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in points)
    return f'<path class="{cls}" d="{d}" fill="none" stroke="{colour}" stroke-width="{width}" stroke-linejoin="round"/>'


def central(ts: dt.datetime) -> dt.datetime:
    return ts.astimezone(CENTRAL)


def time_ticks(lo: float, hi: float, max_ticks: int = 9) -> list[tuple[float, str]]:
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
