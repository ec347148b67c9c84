"""The page's stylesheet and script: draws the embedded view rows with Plotly and re-draws on every control change.

The script only filters and arranges the rows the views returned (date range, zone, hub) into Plotly traces; the
one derived quantity is the heat map's colour range (it saturates at the 98th percentile of the absolute price so
one scarcity hour does not wash out the rest; hover shows every cell's exact price).
"""

from __future__ import annotations

CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f6f7f9; color: #222; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto,
  "Helvetica Neue", Arial, sans-serif; overflow-x: hidden; }
header { padding: 16px 20px 10px; background: #fff; border-bottom: 1px solid #e3e3e3; }
header h1 { margin: 0 0 4px; font-size: 22px; font-weight: 600; }
header p { margin: 0; color: #555; overflow-wrap: anywhere; }
p.synthetic { margin-top: 6px; padding: 6px 10px; background: #fff4d6; border: 1px solid #f0d48a; border-radius: 6px;
  color: #5a4500; }
form.controls { position: sticky; top: 0; z-index: 10; display: flex; flex-wrap: wrap; gap: 8px 16px;
  padding: 8px 20px; background: #fff; border-bottom: 1px solid #e3e3e3; font-size: 14px; }
form.controls label { display: flex; align-items: center; gap: 6px; }
form.controls input, form.controls select, form.controls button { font: inherit; font-size: 14px; padding: 2px 4px;
  max-width: 100%; }
main { padding: 8px 20px 40px; max-width: 1200px; }
section.chart { background: #fff; border: 1px solid #e3e3e3; border-radius: 8px; padding: 12px 14px; margin: 14px 0;
  min-width: 0; }
section.chart h2 { margin: 0 0 2px; font-size: 17px; font-weight: 600; }
section.chart p.note { margin: 0 0 6px; color: #666; font-size: 13px; }
div.plot { width: 100%; height: 360px; }
p.no-data { color: #999; font-style: italic; }
div.scroll { max-width: 100%; overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin-top: 8px; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #eee; white-space: nowrap; }
th { color: #555; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.empty td { color: #b04040; }
tr.hidden { display: none; }
@media (max-width: 600px) {
  header, main, form.controls { padding-left: 8px; padding-right: 8px; }
  section.chart { padding: 8px; }
  div.plot { height: 320px; }
}
"""

SCRIPT = r"""
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("dashboard-data").textContent);
  var PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                 "#9c755f", "#bab0ac"];
  // blue below zero, white at zero, red above (ColorBrewer RdBu); cells with no price show the grey background
  var DIVERGING = [[0, "#2166ac"], [0.25, "#67a9cf"], [0.5, "#f7f7f7"], [0.75, "#ef8a62"], [1, "#b2182b"]];
  var FONT = {family: "system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif", size: 12, color: "#333"};
  var startInput = document.getElementById("start"), endInput = document.getElementById("end");
  var zoneSelect = document.getElementById("zone"), hubSelect = document.getElementById("hub");
  var state = {start: DATA.first_day, end: DATA.last_day, zone: DATA.zone || "all", hub: DATA.hub};
  zoneSelect.value = state.zone;
  if (state.hub) { hubSelect.value = state.hub; }

  function kept(spec, cols, i) {
    if (spec.day_column && cols[spec.day_column]) {
      var day = cols[spec.day_column][i];
      if (state.start && day < state.start) { return false; }
      if (state.end && day > state.end) { return false; }
    }
    if (spec.zone_column && cols[spec.zone_column]) {
      var zone = cols[spec.zone_column][i];
      if (state.zone === "all") {
        if (spec.zone_everywhere && zone !== spec.zone_everywhere) { return false; }
      } else if (zone !== state.zone) { return false; }
    }
    if (spec.hub_column && cols[spec.hub_column] && state.hub && cols[spec.hub_column][i] !== state.hub) {
      return false;
    }
    return true;
  }

  function pick(spec, data) {
    var cols = data.columns, out = {}, names = Object.keys(cols), n = data.rows;
    names.forEach(function (c) { out[c] = []; });
    for (var i = 0; i < n; i++) {
      if (kept(spec, cols, i)) { names.forEach(function (c) { out[c].push(cols[c][i]); }); }
    }
    out.__n = out[spec.x].length;
    return out;
  }

  function groups(rows, column) {
    var order = [], by = {};
    if (!column) { return [[null, rows]]; }
    for (var i = 0; i < rows.__n; i++) {
      var key = rows[column][i];
      if (!(key in by)) {
        by[key] = {__n: 0};
        Object.keys(rows).forEach(function (c) { if (c !== "__n") { by[key][c] = []; } });
        order.push(key);
      }
      Object.keys(rows).forEach(function (c) { if (c !== "__n") { by[key][c].push(rows[c][i]); } });
      by[key].__n += 1;
    }
    order.sort();
    return order.map(function (k) { return [k, by[k]]; });
  }

  function fmt(unit) { return unit === "%" ? "%{y:,.2f} %" : "%{y:,.1f} " + unit; }

  function traces(spec, rows, data) {
    var s0 = spec.series[0];
    if (spec.kind === "line") {
      return spec.series.map(function (s, k) {
        return {type: "scatter", mode: "lines", name: s.label, x: rows[spec.x], y: rows[s.column],
                line: {color: PALETTE[k % PALETTE.length], width: s.style === "solid" ? 1.6 : 2.4, dash: s.style},
                connectgaps: false, hovertemplate: fmt(s.unit)};
      });
    }
    if (spec.kind === "stacked_area") {
      return groups(rows, spec.split_by).map(function (g, k) {
        return {type: "scatter", mode: "lines", stackgroup: "one", name: String(g[0]), x: g[1][spec.x],
                y: g[1][s0.column], line: {width: 0.5, color: PALETTE[k % PALETTE.length]},
                hovertemplate: fmt(s0.unit)};
      });
    }
    if (spec.kind === "scatter") {
      var out = groups(rows, spec.split_by).map(function (g, k) {
        return {type: "scatter", mode: "markers", name: g[0] === null ? s0.label : String(g[0]), x: g[1][spec.x],
                y: g[1][s0.column], marker: {size: 4, opacity: 0.55, color: PALETTE[k % PALETTE.length]},
                hovertemplate: "%{x:,.1f} → %{y:,.0f} " + s0.unit};
      });
      if (data.overlay) {
        out.push({type: "scatter", mode: "lines+markers", name: spec.overlay_label, x: data.overlay.x,
                  y: data.overlay.y, line: {color: "#222", width: 2.4, shape: "hv"}, marker: {size: 5, color: "#222"},
                  hovertemplate: "bin from %{x:,.1f}: %{y:,.0f} " + s0.unit});
      }
      return out;
    }
    if (spec.kind === "bar_ci") {
      return groups(rows, spec.split_by).map(function (g, k) {
        var y = g[1][s0.column], lo = g[1][spec.ci_low], hi = g[1][spec.ci_high];
        return {type: "bar", name: String(g[0]), x: g[1][spec.x], y: y,
                marker: {color: PALETTE[k % PALETTE.length]},
                customdata: y.map(function (_, i) { return [lo[i], hi[i]]; }),
                error_y: {type: "data", symmetric: false, color: "#333",
                          array: y.map(function (v, i) { return hi[i] === null ? null : hi[i] - v; }),
                          arrayminus: y.map(function (v, i) { return lo[i] === null ? null : v - lo[i]; })},
                hovertemplate: "%{y:,.1f} MW/°C (95% CI %{customdata[0]:,.1f} to %{customdata[1]:,.1f})"};
      });
    }
    if (spec.kind === "bar") {
      return groups(rows, spec.split_by).map(function (g, k) {
        var extra = spec.series.slice(1);
        return {type: "bar", name: String(g[0]), x: g[1][spec.x], y: g[1][s0.column],
                marker: {color: PALETTE[k % PALETTE.length]},
                customdata: g[1][s0.column].map(function (_, i) {
                  return extra.map(function (s) { return g[1][s.column][i]; }); }),
                hovertemplate: "%{y:,.2f} % (" + extra.map(function (s, j) {
                  return s.label + " %{customdata[" + j + "]:,.0f} " + s.unit; }).join(", ") + ")"};
      });
    }
    if (spec.kind === "heatmap") {
      var z = rows[s0.column].filter(function (v) { return v !== null; })
        .map(Math.abs).sort(function (a, b) { return a - b; });
      var cap = z.length ? Math.max(z[Math.round(0.98 * (z.length - 1))], 1) : 1;
      return [{type: "heatmap", x: rows[spec.x], y: rows[spec.y], z: rows[s0.column], zmid: 0, zmin: -cap,
               zmax: cap, colorscale: DIVERGING, hoverongaps: false,
               colorbar: {title: {text: s0.unit}, thickness: 10, tickfont: {size: 11}},
               hovertemplate: "%{x} HE%{y}: %{z:,.2f} USD/MWh<extra></extra>"}];
    }
    if (spec.kind === "markers") {
      return groups(rows, spec.split_by).map(function (g, k) {
        return {type: "scatter", mode: "markers", name: String(g[0]), x: g[1][spec.x], y: g[1][s0.column],
                marker: {size: 8, color: PALETTE[(k + 2) % PALETTE.length]}, hovertemplate: fmt(s0.unit)};
      });
    }
    return [];
  }

  function nextDay(day) {
    var d = new Date(day + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + 1);
    return d.toISOString().slice(0, 10);
  }

  function layout(spec, empty) {
    var timeAxis = spec.x === "interval_start_utc";
    var narrow = window.innerWidth < 600;
    var result = {
      font: FONT, autosize: true, paper_bgcolor: "#fff", plot_bgcolor: "#fff",
      margin: {l: narrow ? 48 : 64, r: 12, t: 8, b: 40},
      hovermode: timeAxis ? "x unified" : "closest",
      legend: {orientation: "h", y: -0.22, x: 0, font: {size: 12}},
      xaxis: {title: {text: spec.x_label, font: {size: 12}}, tickfont: {size: 11}, automargin: true,
              gridcolor: "#eee", type: timeAxis ? "date" : (spec.kind === "heatmap" ? "category" : "-"),
              hoverformat: timeAxis ? "%a %b %d %H:%M" : undefined},
      yaxis: {title: {text: spec.y_label, font: {size: 12}}, tickfont: {size: 11}, automargin: true,
              gridcolor: "#eee", zerolinecolor: "#bbb"},
      barmode: "group",
      annotations: empty ? [{text: "no data in the picked range", showarrow: false, xref: "paper", yref: "paper",
                             x: 0.5, y: 0.5, font: {size: 14, color: "#999"}}] : []
    };
    if (timeAxis && state.start && state.end) {  // the picked days, even where a chart has few points
      result.xaxis.range = [state.start + " 00:00", nextDay(state.end) + " 00:00"];
    }
    result.showlegend = true;
    if (spec.kind === "heatmap") {
      result.yaxis.autorange = "reversed";
      result.plot_bgcolor = "#bdbdbd";
      result.yaxis.dtick = 3;
      result.hovermode = "closest";
    }
    return result;
  }

  var CONFIG = {responsive: true, displaylogo: false, scrollZoom: false,
                modeBarButtonsToRemove: ["select2d", "lasso2d"],
                toImageButtonOptions: {format: "png", scale: 2}};

  function draw() {
    var pending = [];
    DATA.specs.forEach(function (spec) {
      var el = document.getElementById("plot-" + spec.id);
      var data = DATA.charts[spec.id];
      if (!el || !data || !data.columns) { return; }
      var rows = pick(spec, data);
      var config = Object.assign({}, CONFIG, {toImageButtonOptions: {format: "png", scale: 2, filename: spec.id}});
      el.setAttribute("data-points", String(rows.__n));
      pending.push(Plotly.react(el, traces(spec, rows, data), layout(spec, rows.__n === 0), config));
    });
    document.querySelectorAll("table.headline tbody tr").forEach(function (tr) {
      var zone = tr.getAttribute("data-zone");
      var shown = state.zone === "all" || zone === state.zone || zone === "SYSTEM";
      tr.classList.toggle("hidden", !shown);
    });
    return Promise.all(pending);
  }

  function changed() {
    state.start = startInput.value || DATA.first_day;
    state.end = endInput.value || DATA.last_day;
    state.zone = zoneSelect.value;
    state.hub = hubSelect.value || DATA.hub;
    draw();
  }
  [startInput, endInput, zoneSelect, hubSelect].forEach(function (el) { el.addEventListener("change", changed); });
  document.getElementById("reset").addEventListener("click", function () {
    startInput.value = DATA.first_day || ""; endInput.value = DATA.last_day || "";
    zoneSelect.value = DATA.zone || "all"; hubSelect.value = DATA.hub || "";
    changed();
  });
  var t0 = performance.now();
  draw().then(function () {
    window.dashboardRenderedMs = performance.now();
    window.dashboardDrawMs = performance.now() - t0;
    document.body.setAttribute("data-rendered", "true");
  });
})();
"""
