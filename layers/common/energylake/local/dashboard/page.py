"""The dashboard page: every chart in one self-contained HTML file (inline SVG, CSS and a few lines of JavaScript)."""

from __future__ import annotations

import datetime as dt
import os

from energylake.errors import WarehouseError
from energylake.local.dashboard import charts
from energylake.local.dashboard import drawing as draw

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
    rows = charts.query_rows(
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
        charts.chart_load_temperature,
        charts.chart_timeseries,
        charts.chart_heatmap,
        charts.chart_wind,
        charts.chart_solar,
        charts.chart_netload_price,
        charts.chart_freshness,
    )
    sections = []
    for (chart_id, title), build in zip(charts.CHARTS, builders, strict=True):
        content, note = build(warehouse_path)
        sections.append(
            f'<section class="chart" id="{chart_id}" data-chart="{chart_id}"><h2>{draw.esc(title)}</h2>'
            f'<p class="note">{draw.esc(note)}</p>{content}</section>'
        )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>energylake: ERCOT load, prices and weather</title><style>{_CSS}</style></head><body>"
        "<header><h1>energylake: ERCOT load, prices and weather</h1>"
        f'<p class="window">Window: {draw.esc(_window(warehouse_path))} · generated at '
        f'<time datetime="{generated.isoformat()}">{generated:%Y-%m-%d %H:%M} UTC</time> · '
        f"from {draw.esc(os.path.basename(warehouse_path))}</p></header><main>"
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
