"""The dashboard page: every chart of :data:`.specs.CHARTS` in one offline HTML file drawn by Plotly.

Python only reads the views (read only) and embeds their rows as JSON next to the inlined plotly.js bundle; the
page's script (:mod:`.script`) draws the charts from those rows and re-draws them when the date range, zone or hub
changes. No number is computed here: every value shown is a view's column, formatted. Times are shown in ERCOT's
Central time (``America/Chicago``, the hour's beginning on time axes); hours are ERCOT hour-ending labels.
"""

from __future__ import annotations

import datetime as dt
import decimal
import html
import json
import math
import os
import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from energylake.errors import InvalidRequestError, WarehouseError
from energylake.local.dashboard.script import CSS, SCRIPT
from energylake.local.dashboard.specs import CHARTS, TIME, ChartSpec

CENTRAL = ZoneInfo("America/Chicago")
# No request may leave the page: scripts and styles are inline, images only data: and blob: URLs (PNG export).
CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data: blob:"
_NAME = re.compile(r"^[A-Z0-9_]{1,64}$")
_PREFERRED_HUB = "HB_HUBAVG"

Row = dict[str, Any]


@dataclass(frozen=True)
class Narrowing:
    """What ``energylake dashboard --start --end --zone --hub`` keeps: operating days, one weather zone, one hub."""

    start: dt.date | None = None
    end: dt.date | None = None
    zone: str | None = None
    hub: str | None = None

    def __post_init__(self) -> None:
        if self.start and self.end and self.start > self.end:
            raise InvalidRequestError(f"--start {self.start} is after --end {self.end}")
        for flag, name in (("--zone", self.zone), ("--hub", self.hub)):
            if name is not None and not _NAME.match(name):
                raise InvalidRequestError(f"{flag} must be a name like COAST or HB_NORTH, got {name!r}")

    def where(self, spec_day: str | None, spec_zone: str | None, spec_hub: str | None, present: set[str]) -> str:
        """The SQL condition for one view (only its present columns; names and dates are validated above)."""
        terms = []
        if spec_day in present and self.start:
            terms.append(f"{spec_day} >= DATE '{self.start.isoformat()}'")
        if spec_day in present and self.end:
            terms.append(f"{spec_day} <= DATE '{self.end.isoformat()}'")
        if spec_zone in present and self.zone:
            terms.append(f"{spec_zone} = '{self.zone}'")
        if spec_hub in present and self.hub:
            terms.append(f"{spec_hub} = '{self.hub}'")
        return " WHERE " + " AND ".join(terms) if terms else ""


MEMORY_LIMIT = "512MB"  # DuckDB's share of the page's memory (the rest is the page's rows in Python)


@dataclass
class _Reader:
    """Reads the views from one read-only connection; a view missing from an older warehouse reads as absent."""

    warehouse_path: str
    _columns: dict[str, set[str] | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        import duckdb

        # DuckDB's default is 80% of the machine's memory: the forecast views' joins over a year of vintages took
        # 4.5 GB for the page. Bounded, they spill to a temp folder instead (92 days: 1.4 GB -> 0.6 GB, 5.7 -> 7.4 s).
        self._con = duckdb.connect(self.warehouse_path, read_only=True, config={"memory_limit": MEMORY_LIMIT})

    def close(self) -> None:
        self._con.close()

    def columns(self, view: str) -> set[str] | None:
        if view not in self._columns:
            got = self._con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [view]
            ).fetchall()
            self._columns[view] = {str(name) for (name,) in got} or None
        return self._columns[view]

    def rows(self, sql: str) -> list[Row]:
        cursor = self._con.execute(sql)
        names = [d[0] for d in cursor.description or ()]
        return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def _json_value(column: str, value: object) -> object:
    """A view's value as the page's JSON holds it: times as Central wall time, days as ISO text."""
    if isinstance(value, dt.datetime):
        local = value.astimezone(CENTRAL) if column == TIME or value.tzinfo is not None else value
        return local.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, decimal.Decimal):
        return float(value)
    return str(value)


def _chart_data(reader: _Reader, spec: ChartSpec, narrowing: Narrowing) -> dict[str, Any]:
    """One chart's rows, column by column, or why it has none."""
    present = reader.columns(spec.view)
    if present is None:
        return {"missing": f"view {spec.view} is not in this warehouse (run `energylake load` to update it)"}
    optional = {spec.day_column, spec.zone_column, spec.hub_column}
    required = [c for c in spec.columns if c not in optional]
    absent = [c for c in required if c not in present]
    if absent:
        return {"missing": f"view {spec.view} lacks {', '.join(absent)}"}
    columns = [c for c in spec.columns if c in present]
    where = narrowing.where(spec.day_column, spec.zone_column, spec.hub_column, present)
    # Identifiers come from the constant specs and the view's own column list; values are validated in Narrowing.
    sql = f"SELECT {', '.join(columns)} FROM {spec.view}{where} ORDER BY {', '.join(columns)}"  # noqa: S608
    rows = reader.rows(sql)
    data: dict[str, Any] = {"columns": {c: [_json_value(c, r[c]) for r in rows] for c in columns}, "rows": len(rows)}
    if spec.overlay is not None and (reader.columns(spec.overlay.view) or set()) >= {spec.overlay.x, spec.overlay.y}:
        o = spec.overlay
        bins = reader.rows(f"SELECT {o.x}, {o.y} FROM {o.view} ORDER BY {o.x}")  # noqa: S608 (constant names)
        data["overlay"] = {"x": [_json_value(o.x, b[o.x]) for b in bins], "y": [_json_value(o.y, b[o.y]) for b in bins]}
    return data


def _spec_json(spec: ChartSpec) -> dict[str, Any]:
    return {
        "id": spec.chart_id,
        "title": spec.title,
        "view": spec.view,
        "kind": spec.kind,
        "x": spec.x,
        "y": spec.y,
        "series": [{"column": s.column, "label": s.label, "unit": s.unit, "style": s.style} for s in spec.series],
        "x_label": spec.x_label,
        "y_label": spec.y_label,
        "split_by": spec.split_by,
        "ci_low": spec.ci_low,
        "ci_high": spec.ci_high,
        "overlay_label": spec.overlay.label if spec.overlay else None,
        "day_column": spec.day_column,
        "zone_column": spec.zone_column,
        "zone_everywhere": spec.zone_everywhere,
        "hub_column": spec.hub_column,
    }


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _number(value: object, decimals: int) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{float(value):,.{decimals}f}"  # type: ignore[arg-type]


def _cell(value: object, decimals: int, column: str) -> str:
    raw = "" if value is None else repr(float(value))  # type: ignore[arg-type]
    return f'<td class="num" data-column="{column}" data-value="{raw}">{_number(value, decimals)}</td>'


def _sensitivity_table(reader: _Reader, narrowing: Narrowing) -> str:
    view = "v_load_temperature_sensitivity"
    present = reader.columns(view) or set()
    needed = ["weather_zone", "regime", "slope_mw_per_c", "slope_ci95_low_mw_per_c", "slope_ci95_high_mw_per_c",
              "r_squared", "hours"]  # fmt: skip
    if not present.issuperset(needed):
        return f'<p class="no-data">no data: {view} with slopes and confidence intervals is not in this warehouse</p>'
    method_col = ", method" if "method" in present else ""
    rows = reader.rows(
        f"SELECT {', '.join(needed)}{method_col} FROM {view}"  # noqa: S608 (constant names)
        f"{narrowing.where(None, 'weather_zone', None, present)} ORDER BY weather_zone, regime"
    )
    if not rows:
        return '<p class="no-data">no data</p>'
    body = "".join(
        f'<tr data-zone="{_esc(r["weather_zone"])}"><td>{_esc(r["weather_zone"])}</td><td>{_esc(r["regime"])}</td>'
        + _cell(r["slope_mw_per_c"], 1, "slope_mw_per_c")
        + _cell(r["slope_ci95_low_mw_per_c"], 1, "slope_ci95_low_mw_per_c")
        + _cell(r["slope_ci95_high_mw_per_c"], 1, "slope_ci95_high_mw_per_c")
        + _cell(r["r_squared"], 2, "r_squared")
        + _cell(r["hours"], 0, "hours")
        + "</tr>"
        for r in rows
    )
    methods = sorted({str(r["method"]) for r in rows if r.get("method")})
    method = f'<p class="note method">Method: {_esc("; ".join(methods))}</p>' if methods else ""
    return (
        '<div class="scroll"><table class="headline" id="sensitivity-table"><thead><tr><th>zone</th><th>regime</th>'
        "<th>MW/°C</th><th>95% CI low</th><th>95% CI high</th><th>r²</th><th>hours</th></tr></thead>"
        f"<tbody>{body}</tbody></table></div>{method}"
    )


def _skill_table(reader: _Reader, narrowing: Narrowing) -> str:
    view = "v_forecast_skill"
    present = reader.columns(view) or set()
    needed = ["forecast", "area", "lead", "hours", "mae_mw", "mape_pct", "bias_mw"]
    if not present.issuperset(needed):
        return f'<p class="no-data">no data: {view} is not in this warehouse</p>'
    zone = f"area IN ('SYSTEM', '{narrowing.zone}')" if narrowing.zone else "area = 'SYSTEM'"
    rows = reader.rows(
        f"SELECT {', '.join(needed)} FROM {view} WHERE {zone} ORDER BY forecast, area, lead"  # noqa: S608
    )
    if not rows:
        return '<p class="no-data">no data</p>'
    body = "".join(
        f'<tr data-zone="{_esc(r["area"])}"><td>{_esc(r["forecast"])}</td><td>{_esc(r["area"])}</td>'
        f"<td>{_esc(r['lead'])}</td>"
        + _cell(r["mape_pct"], 2, "mape_pct")
        + _cell(r["mae_mw"], 0, "mae_mw")
        + _cell(r["bias_mw"], 0, "bias_mw")
        + _cell(r["hours"], 0, "hours")
        + "</tr>"
        for r in rows
    )
    return (
        '<div class="scroll"><table class="headline" id="skill-table"><thead><tr><th>forecast</th><th>area</th>'
        "<th>lead</th><th>MAPE %</th><th>MAE MW</th><th>bias MW</th><th>hours</th></tr></thead>"
        f"<tbody>{body}</tbody></table></div>"
    )


def _freshness_table(data: dict[str, Any], spec: ChartSpec) -> str:
    if "missing" in data or not data.get("rows"):
        return f'<p class="no-data">no data{": " + _esc(data["missing"]) if "missing" in data else ""}</p>'
    cols = data["columns"]
    head = "".join(f"<th>{_esc(c)}</th>" for c in ["table", *(s.label for s in spec.series)])
    body = []
    for i in range(data["rows"]):
        empty = not cols["row_count"][i]
        # a dataset without rows has no newest time: say so rather than leave a dash
        cells = [_esc(cols[spec.x][i])] + [
            ("no data" if empty else "—") if cols[s.column][i] is None else _esc(cols[s.column][i]) for s in spec.series
        ]
        body.append(f'<tr class="{"empty" if empty else ""}">' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    table = f'<table class="fresh"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    return f'<div class="scroll">{table}</div>'


def _window(reader: _Reader, narrowing: Narrowing) -> tuple[str, str | None, str | None]:
    """The operating days the warehouse's hourly tables hold (narrowed), as text and as the date range's bounds."""
    where = narrowing.where("operating_day", None, None, {"operating_day"})
    days = "SELECT operating_day FROM system_hourly UNION ALL SELECT operating_day FROM energy_weather_hourly "
    days += "UNION ALL SELECT operating_day FROM ercot_spp_hourly"
    sql = f"SELECT MIN(operating_day) AS first, MAX(operating_day) AS last, COUNT(DISTINCT operating_day) AS days FROM ({days}){where}"  # noqa: E501, S608 (validated dates)
    try:
        rows = reader.rows(sql)
    except Exception:  # a warehouse without the gold tables has no window
        rows = []
    if not rows or rows[0]["first"] is None:
        return "no data loaded", None, None
    first, last = rows[0]["first"].isoformat(), rows[0]["last"].isoformat()
    return f"operating days {first} to {last} ({int(rows[0]['days'])} days with data)", first, last


def _distinct(data: dict[str, Any], column: str | None) -> set[str]:
    values = (data.get("columns") or {}).get(column or "", [])
    return {str(v) for v in values if v is not None}


def _plotly_bundle() -> str:
    """plotly.js as the plotly package ships it (what ``plotly.offline.get_plotlyjs`` reads), to inline."""
    from importlib.resources import files

    return (files("plotly") / "package_data" / "plotly.min.js").read_text(encoding="utf-8")


def render_dashboard(
    warehouse_path: str,
    *,
    narrowing: Narrowing | None = None,
    synthetic: bool = False,
    generated_at: dt.datetime | None = None,
) -> str:
    """The dashboard page for the warehouse file, as HTML text (``synthetic``: the sample source's data)."""
    if not os.path.exists(warehouse_path):
        raise WarehouseError(f"no warehouse at {warehouse_path}: run `energylake load` first")
    narrowing = narrowing or Narrowing()
    generated = (generated_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    reader = _Reader(warehouse_path)
    try:
        charts = {spec.chart_id: _chart_data(reader, spec, narrowing) for spec in CHARTS}
        window, first, last = _window(reader, narrowing)
        sensitivity, skill = _sensitivity_table(reader, narrowing), _skill_table(reader, narrowing)
    finally:
        reader.close()
    zones = set().union(*(_distinct(charts[s.chart_id], s.zone_column) for s in CHARTS if s.zone_column))
    zones -= {s.zone_everywhere for s in CHARTS if s.zone_everywhere}
    hubs = sorted(set().union(*(_distinct(charts[s.chart_id], s.hub_column) for s in CHARTS if s.hub_column)))
    default_hub = narrowing.hub or (_PREFERRED_HUB if _PREFERRED_HUB in hubs else (hubs[0] if hubs else None))
    payload = {
        "specs": [_spec_json(s) for s in CHARTS if s.kind != "table"],
        "charts": charts,
        "first_day": first,
        "last_day": last,
        "zone": narrowing.zone,
        "hub": default_hub,
    }
    data_json = json.dumps(payload, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    sections = []
    for spec in CHARTS:
        data = charts[spec.chart_id]
        if spec.kind == "table":
            content = _freshness_table(data, spec)
        elif "missing" in data or not data.get("rows"):
            content = f'<p class="no-data">no data{": " + _esc(data["missing"]) if "missing" in data else ""}</p>'
        else:
            content = f'<div class="plot" id="plot-{spec.chart_id}"></div>'
        if spec.chart_id == "load-sensitivity":
            content += sensitivity
        if spec.chart_id == "forecast-skill":
            content += skill
        sections.append(
            f'<section class="chart" id="{spec.chart_id}" data-chart="{spec.chart_id}" data-view="{spec.view}">'
            f'<h2>{_esc(spec.title)}</h2><p class="note">{_esc(spec.note)}</p>{content}</section>'
        )
    zone_options = "".join(f'<option value="{_esc(z)}">{_esc(z)}</option>' for z in sorted(zones))
    hub_options = "".join(f'<option value="{_esc(h)}">{_esc(h)}</option>' for h in hubs)
    bounds = f' min="{first}" max="{last}"' if first else ""
    synthetic_note = (
        '<p class="synthetic"><strong>Demo data:</strong> every number on this page comes from energylake\'s '
        "synthetic sample source, not from ERCOT or Open-Meteo.</p>"
        if synthetic
        else ""
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>energylake: ERCOT load, prices and weather</title><style>{CSS}</style>"
        f"<script>{_plotly_bundle()}</script></head><body>"
        "<header><h1>energylake: ERCOT load, prices and weather</h1>"
        f'<p class="window">Window: {_esc(window)} · generated at '
        f'<time datetime="{generated.isoformat()}">{generated:%Y-%m-%d %H:%M} UTC</time> · '
        f"from {_esc(os.path.basename(warehouse_path))}</p>{synthetic_note}</header>"
        '<form class="controls" id="controls" onsubmit="return false">'
        f'<label>from <input type="date" id="start" value="{first or ""}"{bounds}></label>'
        f'<label>to <input type="date" id="end" value="{last or ""}"{bounds}></label>'
        f'<label>zone <select id="zone"><option value="all">all zones</option>{zone_options}</select></label>'
        f'<label>hub / load zone <select id="hub">{hub_options}</select></label>'
        '<button type="button" id="reset">reset</button></form><main>'
        + "".join(sections)
        + f'</main><script type="application/json" id="dashboard-data">{data_json}</script>'
        f"<script>{SCRIPT}</script></body></html>\n"
    )


def write_dashboard(
    warehouse_path: str, out_path: str, *, narrowing: Narrowing | None = None, synthetic: bool = False
) -> str:
    """Render the warehouse's dashboard to ``out_path`` (one self-contained, offline HTML file); returns the path."""
    page = render_dashboard(warehouse_path, narrowing=narrowing, synthetic=synthetic)
    folder = os.path.dirname(os.path.abspath(out_path))
    os.makedirs(folder, exist_ok=True)
    tmp = f"{out_path}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(page)
    os.replace(tmp, out_path)
    return out_path
