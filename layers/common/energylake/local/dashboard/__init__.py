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

from energylake.local.dashboard.charts import CHARTS
from energylake.local.dashboard.fitting import HingeFit, hinge_fit
from energylake.local.dashboard.page import render_dashboard, write_dashboard

__all__ = ["CHARTS", "HingeFit", "hinge_fit", "render_dashboard", "write_dashboard"]
