"""The dashboard: one self-contained, interactive HTML file drawn by Plotly from the warehouse's views alone.

:data:`CHARTS` (:mod:`.specs`) lists every chart as plain data (view, columns, kind, title); :func:`write_dashboard`
reads those views (read only), embeds their rows and the plotly.js bundle in one page, and the page's script draws
them with zoom and pan, unified hover, legend toggles, PNG export, a date range and zone and hub pickers. The page
works offline: no CDN, no web fonts, no fetches (a Content-Security-Policy forbids them).
"""

from __future__ import annotations

from energylake.local.dashboard.page import Narrowing, render_dashboard, write_dashboard
from energylake.local.dashboard.specs import CHARTS, ChartSpec, Series

__all__ = ["CHARTS", "ChartSpec", "Narrowing", "Series", "render_dashboard", "write_dashboard"]
