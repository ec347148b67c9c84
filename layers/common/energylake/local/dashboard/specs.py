"""The dashboard's charts as plain data: one list of chart specs (view, columns, kind, title), nothing drawn here.

The local page (:mod:`.page`, Plotly) draws these specs; the list is kept free of any charting import so other
renderers (QuickSight analysis definitions) can be generated from the same list. Every number a chart shows is a
column of the named warehouse view: a spec names columns, never a computation.

Kinds:

* ``line``: ``x`` is a time column, one line per ``series`` column (``style`` says solid/dash/dot);
* ``stacked_area``: one filled band per value of ``split_by`` (``series[0]`` is the value), stacked over time;
* ``scatter``: ``x`` against ``series[0]``, one marker colour per value of ``split_by``; ``overlay`` names a second
  view (binned means) drawn as a step line over the points;
* ``bar_ci``: ``series[0]`` per ``x`` category and ``split_by`` group, with error bars from the ``ci_low`` and
  ``ci_high`` columns (the confidence interval's ends as the view returns them);
* ``bar``: ``series[0]`` per ``x`` category, one bar group per value of ``split_by``;
* ``heatmap``: ``series[0]`` coloured on ``x`` (operating day) by ``y`` (hour ending), diverging around zero;
* ``markers``: ``series[0]`` against time, one marker colour per value of ``split_by``;
* ``table``: the ``series`` columns as an HTML table.

Filters: ``day_column`` is what the date range narrows, ``zone_column`` what the zone picker narrows, and
``hub_column`` what the hub picker narrows (``None``: the control does not apply to that chart).
"""

from __future__ import annotations

from dataclasses import dataclass

SOLID, DASH, DOT = "solid", "dash", "dot"


@dataclass(frozen=True)
class Series:
    """One column a chart draws: its label in the legend and hover, its unit, and its line style."""

    column: str
    label: str
    unit: str
    style: str = SOLID


@dataclass(frozen=True)
class Overlay:
    """A second view drawn over a scatter: ``y`` against ``x`` as a step line (bin start to the next bin)."""

    view: str
    x: str
    y: str
    label: str


@dataclass(frozen=True)
class ChartSpec:
    chart_id: str
    title: str
    view: str
    kind: str
    x: str
    series: tuple[Series, ...]
    x_label: str
    y_label: str
    note: str
    split_by: str | None = None
    y: str | None = None  # the heat map's rows
    ci_low: str | None = None
    ci_high: str | None = None
    overlay: Overlay | None = None
    day_column: str | None = "operating_day"
    zone_column: str | None = None
    zone_everywhere: str | None = None  # the zone_column value shown while the zone picker says "all zones"
    hub_column: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column of ``view`` the chart reads, in a stable order without repeats."""
        named = (self.x, self.y, self.split_by, *(s.column for s in self.series), self.ci_low, self.ci_high)
        named += (self.day_column, self.zone_column, self.hub_column)
        return tuple(dict.fromkeys(c for c in named if c is not None))


TIME = "interval_start_utc"
TIME_LABEL = "Central time (hour beginning)"
LOAD = Series("load_mw", "actual load", "MW")

CHARTS: tuple[ChartSpec, ...] = (
    ChartSpec(
        "load-temperature",
        "Load against temperature, per weather zone",
        "v_load_temperature_points",
        "scatter",
        "temperature_c",
        (Series("load_mw", "hourly load", "MW"),),
        "temperature (°C)",
        "load (MW)",
        "Each dot is one zone-hour (v_load_temperature_points).",
        split_by="weather_zone",
        zone_column="weather_zone",
    ),
    ChartSpec(
        "load-sensitivity",
        "Load sensitivity to temperature, MW per °C with 95% confidence interval",
        "v_load_temperature_sensitivity",
        "bar_ci",
        "weather_zone",
        (Series("slope_mw_per_c", "slope", "MW/°C"),),
        "weather zone",
        "MW per °C",
        "Slopes, intervals and method as v_load_temperature_sensitivity returns them (the whole warehouse; "
        "the date range does not narrow them).",
        split_by="regime",
        ci_low="slope_ci95_low_mw_per_c",
        ci_high="slope_ci95_high_mw_per_c",
        day_column=None,
        zone_column="weather_zone",
    ),
    ChartSpec(
        "load-forecast",
        "System load: actual against ERCOT's forecasts by lead time",
        "v_system_forecasts_hourly",
        "line",
        TIME,
        (
            LOAD,
            Series("load_forecast_hour_ahead_mw", "hour-ahead forecast", "MW", DASH),
            Series("load_forecast_day_ahead_mw", "day-ahead forecast", "MW", DOT),
        ),
        TIME_LABEL,
        "load (MW)",
        "Forecasts are drawn over the actual (dashed: hour ahead, dotted: day ahead).",
    ),
    ChartSpec(
        "renewables-forecast",
        "Wind and solar: actual against ERCOT's forecasts",
        "v_system_forecasts_hourly",
        "line",
        TIME,
        (
            Series("wind_generation_mw", "wind actual", "MW"),
            Series("wind_forecast_hour_ahead_mw", "wind hour-ahead", "MW", DASH),
            Series("wind_forecast_day_ahead_mw", "wind day-ahead", "MW", DOT),
            Series("solar_generation_mw", "solar actual", "MW"),
            Series("solar_forecast_hour_ahead_mw", "solar hour-ahead", "MW", DASH),
            Series("solar_forecast_day_ahead_mw", "solar day-ahead", "MW", DOT),
        ),
        TIME_LABEL,
        "generation (MW)",
        "System-wide generation and ERCOT's forecasts (v_system_forecasts_hourly).",
    ),
    ChartSpec(
        "forecast-skill",
        "Forecast error by lead time (mean absolute percentage error)",
        "v_forecast_skill",
        "bar",
        "lead",
        (Series("mape_pct", "MAPE", "%"), Series("mae_mw", "MAE", "MW"), Series("bias_mw", "bias", "MW")),
        "lead time",
        "MAPE (%)",
        "v_forecast_skill over the whole warehouse: area SYSTEM, or the picked zone where the view has it.",
        split_by="forecast",
        day_column=None,
        zone_column="area",
        zone_everywhere="SYSTEM",
    ),
    ChartSpec(
        "prices",
        "Day-ahead against real-time price",
        "v_prices_hourly",
        "line",
        TIME,
        (
            Series("rt_price_usd_mwh", "real-time", "USD/MWh"),
            Series("dam_price_usd_mwh", "day-ahead", "USD/MWh", DASH),
        ),
        TIME_LABEL,
        "price (USD/MWh)",
        "Hourly settlement point prices of the picked hub or load zone (v_prices_hourly).",
        hub_column="settlement_point",
    ),
    ChartSpec(
        "price-spread",
        "Day-ahead minus real-time price",
        "v_prices_hourly",
        "line",
        TIME,
        (Series("dam_rt_spread_usd_mwh", "DAM - RT spread", "USD/MWh"),),
        TIME_LABEL,
        "spread (USD/MWh)",
        "Positive: day-ahead above real time (v_prices_hourly).",
        hub_column="settlement_point",
    ),
    ChartSpec(
        "price-heatmap",
        "Real-time price by hour ending and operating day",
        "v_prices_hourly",
        "heatmap",
        "operating_day",
        (Series("rt_price_usd_mwh", "real-time price", "USD/MWh"),),
        "operating day (Central)",
        "hour ending (Central)",
        "Colour diverges around 0 USD/MWh: negative prices blue, positive red; grey: no price.",
        y="hour_ending",
        hub_column="settlement_point",
    ),
    ChartSpec(
        "price-spikes",
        "Price spikes",
        "v_price_spikes",
        "markers",
        TIME,
        (Series("rt_price_usd_mwh", "spike hour", "USD/MWh"),),
        TIME_LABEL,
        "real-time price (USD/MWh)",
        "Hours v_price_spikes flags, coloured by the rule that fired (spike_rule).",
        split_by="spike_rule",
        hub_column="settlement_point",
    ),
    ChartSpec(
        "fuel-mix",
        "Generation by fuel (stacked)",
        "v_fuel_mix_hourly",
        "stacked_area",
        TIME,
        (Series("generation_mw", "generation", "MW"),),
        TIME_LABEL,
        "generation (MW)",
        "Hourly generation per fuel (v_fuel_mix_hourly); click a fuel in the legend to hide it.",
        split_by="fuel",
    ),
    ChartSpec(
        "net-load",
        "Load, wind, solar and net load",
        "v_system_forecasts_hourly",
        "line",
        TIME,
        (
            LOAD,
            Series("net_load_mw", "net load (load - wind - solar)", "MW"),
            Series("wind_generation_mw", "wind", "MW"),
            Series("solar_generation_mw", "solar", "MW"),
        ),
        TIME_LABEL,
        "MW",
        "Net load is what the rest of the fleet must serve (v_system_forecasts_hourly).",
    ),
    ChartSpec(
        "wind",
        "Wind generation against 100 m wind speed",
        "v_wind_vs_wind_speed",
        "scatter",
        "mean_wind_speed_100m_ms",
        (Series("wind_generation_mw", "hourly system wind generation", "MW"),),
        "mean 100 m wind speed of the weather zones (m/s)",
        "wind generation (MW)",
        "Hourly points (v_wind_vs_wind_speed) and the mean per 1 m/s bin over the whole warehouse "
        "(v_wind_vs_wind_speed_binned).",
        overlay=Overlay("v_wind_vs_wind_speed_binned", "wind_speed_bin_ms", "mean_wind_generation_mw", "bin mean"),
    ),
    ChartSpec(
        "solar",
        "Solar generation against irradiance",
        "v_solar_vs_irradiance",
        "scatter",
        "mean_shortwave_radiation_wm2",
        (Series("solar_generation_mw", "hourly system solar generation", "MW"),),
        "mean shortwave irradiance of the weather zones (W/m²)",
        "solar generation (MW)",
        "Hourly points (v_solar_vs_irradiance) and the mean per 50 W/m² bin over the whole warehouse "
        "(v_solar_vs_irradiance_binned).",
        overlay=Overlay("v_solar_vs_irradiance_binned", "irradiance_bin_wm2", "mean_solar_generation_mw", "bin mean"),
    ),
    ChartSpec(
        "freshness",
        "Data freshness",
        "v_data_freshness",
        "table",
        "table_name",
        (
            Series("dataset", "dataset", ""),
            Series("freshness_column", "freshness column", ""),
            Series("newest_utc", "newest (UTC)", ""),
            Series("minutes_behind", "minutes behind now", "min"),
            Series("row_count", "rows", ""),
        ),
        "table",
        "",
        "Per table and dataset: the newest time held and how far behind now it is (v_data_freshness).",
        day_column=None,
    ),
)

# The page's headline numbers: the sensitivity per zone and regime, and the forecast skill, as their views return them.
HEADLINES: tuple[ChartSpec, ...] = tuple(c for c in CHARTS if c.chart_id in ("load-sensitivity", "forecast-skill"))
