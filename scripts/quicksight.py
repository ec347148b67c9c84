"""Writes template.yaml's QuickSight data sets, analysis and dashboard from the local dashboard's chart list.

    .venv/bin/python scripts/quicksight.py          # rewrite the generated regions of template.yaml
    .venv/bin/python scripts/quicksight.py --check  # exit 1 if template.yaml's regions differ (run by the tests)

The charts are :data:`energylake.local.dashboard.specs.CHARTS`, the same list the offline page draws, so QuickSight
shows the same views' columns: one ``AWS::QuickSight::DataSet`` per warehouse view a chart reads (DIRECT_QUERY over
the view in the warehouse schema; its columns typed from an empty DuckDB warehouse's ``information_schema``, the
views' own output types), and one ``AWS::QuickSight::Analysis`` and one ``AWS::QuickSight::Dashboard`` sharing a
definition: one sheet, one visual per chart (plus a line of bin means under a scatter with an overlay view), a
date range (two day parameters driving a time-range filter on each chart's ``day_column``), a zone picker and a hub
picker (parameters filtering each chart's ``zone_column`` / ``hub_column``). Everything is behind the template's
``CreateQuickSight`` condition and owned by ``QuickSightPrincipalArn`` alone.

Where QuickSight differs from the offline page:

* bar charts have no error bars: a ``bar_ci`` chart draws the interval's ends as two more bars next to the estimate,
  one small multiple per ``split_by`` value (a bar chart takes either several values or a colour field);
* the zone picker's "select all" shows every area of a ``zone_everywhere`` chart (the page shows only that area);
* the date range defaults to the last 30 days up to today (the page to everything the warehouse holds).

Only the text between the BEGIN/END GENERATED lines is written; the rest of template.yaml stays byte for byte.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "template.yaml"
sys.path.insert(0, str(REPO / "layers" / "common"))

from energylake.local.dashboard.specs import CHARTS, DASH, DOT, ChartSpec  # noqa: E402 - after the path
from energylake.warehouse.views import MARKET_TIME_ZONE  # noqa: E402 - after the path

COMMAND = "python scripts/quicksight.py"
RESOURCES_BEGIN = f"  # --- BEGIN GENERATED: QuickSight ({COMMAND}) ---\n"
OUTPUTS_BEGIN = f"  # --- BEGIN GENERATED: QuickSight outputs ({COMMAND}) ---\n"
END = "  # --- END GENERATED ---\n"

CONDITION = "CreateQuickSight"
PRINCIPAL = "QuickSightPrincipalArn"
SHEET_ID = "energylake"
# The hub the offline page picks first when the warehouse has it (the five hubs' average).
DEFAULT_HUB = "HB_HUBAVG"
DEFAULT_DAYS = 30
START_DAY, END_DAY, ZONE, HUB = "StartDay", "EndDay", "Zone", "Hub"
# The view whose column lists the weather zones and the one listing the hubs and load zones (the pickers' values).
ZONE_VALUES = ("v_load_temperature_points", "weather_zone")
HUB_VALUES = ("v_prices_hourly", "settlement_point")

# DuckDB's view column types (information_schema.data_type) -> QuickSight's input column types. Redshift gives the
# transpiled views the same kinds: character varying, double precision, integer kinds, date, timestamptz, boolean.
QUICKSIGHT_TYPES = {
    "VARCHAR": "STRING",
    "DOUBLE": "DECIMAL",
    "FLOAT": "DECIMAL",
    "SMALLINT": "INTEGER",
    "INTEGER": "INTEGER",
    "BIGINT": "INTEGER",
    "HUGEINT": "INTEGER",
    "DATE": "DATETIME",
    "TIMESTAMP": "DATETIME",
    "TIMESTAMP WITH TIME ZONE": "DATETIME",
    "BOOLEAN": "BOOLEAN",
}
LINE_STYLES = {DASH: "DASHED", DOT: "DOTTED"}
# Blue below zero, white at zero, red above; grey where there is no price (as the offline heat map).
DIVERGING = [{"Color": "#2166AC"}, {"Color": "#F7F7F7", "DataValue": 0}, {"Color": "#B2182B"}]
NO_VALUE_COLOR = {"Color": "#BDBDBD"}

DATA_SET_ACTIONS = [
    "quicksight:DescribeDataSet",
    "quicksight:DescribeDataSetPermissions",
    "quicksight:PassDataSet",
    "quicksight:DescribeIngestion",
    "quicksight:ListIngestions",
    "quicksight:UpdateDataSet",
    "quicksight:DeleteDataSet",
    "quicksight:CreateIngestion",
    "quicksight:CancelIngestion",
    "quicksight:UpdateDataSetPermissions",
]
ANALYSIS_ACTIONS = [
    "quicksight:RestoreAnalysis",
    "quicksight:UpdateAnalysisPermissions",
    "quicksight:DeleteAnalysis",
    "quicksight:DescribeAnalysisPermissions",
    "quicksight:QueryAnalysis",
    "quicksight:DescribeAnalysis",
    "quicksight:UpdateAnalysis",
]
DASHBOARD_ACTIONS = [
    "quicksight:DescribeDashboard",
    "quicksight:ListDashboardVersions",
    "quicksight:UpdateDashboardPermissions",
    "quicksight:QueryDashboard",
    "quicksight:UpdateDashboard",
    "quicksight:DeleteDashboard",
    "quicksight:DescribeDashboardPermissions",
    "quicksight:UpdateDashboardPublishedVersion",
]


# --- CloudFormation's short intrinsic tags -------------------------------------------------------------------------
class Ref(str):
    pass


class GetAtt(str):
    pass


class Sub(str):
    pass


class _Dumper(yaml.SafeDumper):  # type: ignore[misc]
    """Block style with list items indented under their key, as the rest of template.yaml writes them."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


for _tag, _kind in (("!Ref", Ref), ("!GetAtt", GetAtt), ("!Sub", Sub)):
    _Dumper.add_representer(_kind, lambda dumper, value, tag=_tag: dumper.represent_scalar(tag, str(value)))


def _yaml(node: dict[str, Any], indent: int) -> str:
    text = yaml.dump(node, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10_000, indent=2)
    return "".join(" " * indent + line if line.strip() else line for line in text.splitlines(keepends=True))


# --- the views' columns --------------------------------------------------------------------------------------------
def chart_views(charts: Iterable[ChartSpec] = CHARTS) -> list[str]:
    """Every view a chart or its overlay reads, in chart order."""
    views = [view for chart in charts for view in (chart.view, chart.overlay.view if chart.overlay else None) if view]
    return list(dict.fromkeys(views))


def view_columns(views: list[str]) -> dict[str, list[tuple[str, str]]]:
    """Each view's columns and QuickSight types, as an empty warehouse with the model's views declares them."""
    import duckdb

    from energylake.warehouse import duckdb as warehouse

    with tempfile.TemporaryDirectory() as directory:
        path = str(Path(directory) / "warehouse.duckdb")
        warehouse.migrate(path)
        con = duckdb.connect(path, read_only=True)
        try:
            columns: dict[str, list[tuple[str, str]]] = {}
            for view in views:
                rows = con.execute(
                    "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
                    "ORDER BY ordinal_position",
                    [view],
                ).fetchall()
                if not rows:
                    raise SystemExit(f"a chart reads {view}, which the warehouse model has no view of")
                unknown = sorted({str(kind) for _, kind in rows} - set(QUICKSIGHT_TYPES))
                if unknown:
                    raise SystemExit(f"{view}: no QuickSight type for DuckDB type(s) {', '.join(unknown)}")
                columns[view] = [(str(name), QUICKSIGHT_TYPES[str(kind)]) for name, kind in rows]
            return columns
        finally:
            con.close()


def data_set_logical_id(view: str) -> str:
    return "QuickSight" + "".join(part.title() for part in view.removeprefix("v_").split("_")) + "DataSet"


def data_set_id(view: str) -> str:
    return view.replace("_", "-")


# --- field wells ---------------------------------------------------------------------------------------------------
def _column(view: str, name: str) -> dict[str, str]:
    return {"DataSetIdentifier": view, "ColumnName": name}


def _field_id(chart: ChartSpec, column: str) -> str:
    return f"{chart.chart_id}.{column}"


def _dimension(chart: ChartSpec, view: str, column: str, kind: str) -> dict[str, Any]:
    field: dict[str, Any] = {"FieldId": _field_id(chart, column), "Column": _column(view, column)}
    if kind == "DATETIME":
        granularity = "DAY" if column in (chart.day_column, "operating_day") else "HOUR"
        return {"DateDimensionField": {**field, "DateGranularity": granularity}}
    if kind in ("INTEGER", "DECIMAL"):
        return {"NumericalDimensionField": field}
    return {"CategoricalDimensionField": field}


def _measure(chart: ChartSpec, view: str, column: str) -> dict[str, Any]:
    # One row per hour and series in every drawn view, so the hour's average is its value; over coarser periods
    # the average of MW or USD/MWh is what the period's mean means.
    return {
        "NumericalMeasureField": {
            "FieldId": _field_id(chart, column),
            "Column": _column(view, column),
            "AggregationFunction": {"SimpleNumericalAggregation": "AVERAGE"},
        }
    }


def _labels(*labels: str) -> list[dict[str, Any]]:
    return [{"AxisLabelOptions": [{"CustomLabel": label}]} if label else {"Visibility": "HIDDEN"} for label in labels]


def _titles(chart: ChartSpec) -> dict[str, Any]:
    return {
        "VisualId": chart.chart_id,
        "Title": {"Visibility": "VISIBLE", "FormatText": {"PlainText": chart.title}},
        "Subtitle": {"Visibility": "VISIBLE", "FormatText": {"PlainText": chart.note}},
    }


def _line(chart: ChartSpec, types: dict[str, str], *, stacked: bool = False, markers: bool = False) -> dict[str, Any]:
    view = chart.view
    drawn = chart.series[:1] if stacked or markers else chart.series  # split_by colours the one value
    values = [_measure(chart, view, s.column) for s in drawn]
    wells: dict[str, Any] = {"Category": [_dimension(chart, view, chart.x, types[chart.x])], "Values": values}
    if chart.split_by:
        wells["Colors"] = [_dimension(chart, view, chart.split_by, types[chart.split_by])]
    x_label, y_label = _labels(chart.x_label, chart.y_label)
    configuration: dict[str, Any] = {
        "FieldWells": {"LineChartAggregatedFieldWells": wells},
        "Type": "STACKED_AREA" if stacked else "LINE",
        "XAxisLabelOptions": x_label,
        "PrimaryYAxisLabelOptions": y_label,
        "Legend": {"Visibility": "VISIBLE"},
        "Tooltip": {"TooltipVisibility": "VISIBLE", "SelectedTooltipType": "DETAILED"},
    }
    if markers:
        configuration["DefaultSeriesSettings"] = {
            "LineStyleSettings": {"LineVisibility": "HIDDEN"},
            "MarkerStyleSettings": {"MarkerVisibility": "VISIBLE", "MarkerShape": "CIRCLE"},
        }
    styled = [s for s in chart.series if s.style in LINE_STYLES and not (stacked or markers)]
    if styled:
        configuration["Series"] = [
            {
                "DataFieldSeriesItem": {
                    "FieldId": _field_id(chart, s.column),
                    "AxisBinding": "PRIMARY_YAXIS",
                    "Settings": {"LineStyleSettings": {"LineStyle": LINE_STYLES[s.style]}},
                }
            }
            for s in styled
        ]
    return {"LineChartVisual": {**_titles(chart), "ChartConfiguration": configuration}}


def _scatter(chart: ChartSpec, types: dict[str, str]) -> dict[str, Any]:
    view = chart.view
    y = chart.series[0].column
    wells: dict[str, Any] = {
        "XAxis": [_dimension(chart, view, chart.x, types[chart.x])],
        "YAxis": [_dimension(chart, view, y, types[y])],
    }
    if chart.split_by:
        wells["Category"] = [_dimension(chart, view, chart.split_by, types[chart.split_by])]
    x_label, y_label = _labels(chart.x_label, chart.y_label)
    configuration = {
        "FieldWells": {"ScatterPlotUnaggregatedFieldWells": wells},
        "XAxisLabelOptions": x_label,
        "YAxisLabelOptions": y_label,
        "Legend": {"Visibility": "VISIBLE"},
    }
    return {"ScatterPlotVisual": {**_titles(chart), "ChartConfiguration": configuration}}


def _overlay(chart: ChartSpec, types: dict[str, str]) -> dict[str, Any]:
    """The scatter's overlay view as its own line (a QuickSight visual reads one data set)."""
    assert chart.overlay is not None
    overlay = chart.overlay
    visual_id = f"{chart.chart_id}-bin-means"
    wells = {
        "Category": [
            {
                "NumericalDimensionField": {
                    "FieldId": f"{visual_id}.{overlay.x}",
                    "Column": _column(overlay.view, overlay.x),
                }
            }
        ],
        "Values": [
            {
                "NumericalMeasureField": {
                    "FieldId": f"{visual_id}.{overlay.y}",
                    "Column": _column(overlay.view, overlay.y),
                    "AggregationFunction": {"SimpleNumericalAggregation": "AVERAGE"},
                }
            }
        ],
    }
    x_label, y_label = _labels(chart.x_label, chart.y_label)
    title = f"{chart.title}: {overlay.label} ({overlay.view})"
    return {
        "LineChartVisual": {
            "VisualId": visual_id,
            "Title": {"Visibility": "VISIBLE", "FormatText": {"PlainText": title}},
            "Subtitle": {
                "Visibility": "VISIBLE",
                "FormatText": {"PlainText": f"{overlay.y} per {overlay.x} over the whole warehouse."},
            },
            "ChartConfiguration": {
                "FieldWells": {"LineChartAggregatedFieldWells": wells},
                "Type": "LINE",
                "XAxisLabelOptions": x_label,
                "PrimaryYAxisLabelOptions": y_label,
            },
        }
    }


def _bar(chart: ChartSpec, types: dict[str, str]) -> dict[str, Any]:
    view = chart.view
    wells: dict[str, Any] = {"Category": [_dimension(chart, view, chart.x, types[chart.x])]}
    if chart.ci_low and chart.ci_high:
        # No error bars in QuickSight: the interval's ends are bars of their own beside the estimate.
        columns = (chart.ci_low, chart.series[0].column, chart.ci_high)
        wells["Values"] = [_measure(chart, view, column) for column in columns]
        if chart.split_by:
            wells["SmallMultiples"] = [_dimension(chart, view, chart.split_by, types[chart.split_by])]
    else:
        wells["Values"] = [_measure(chart, view, chart.series[0].column)]
        if chart.split_by:
            wells["Colors"] = [_dimension(chart, view, chart.split_by, types[chart.split_by])]
    x_label, y_label = _labels(chart.x_label, chart.y_label)
    configuration = {
        "FieldWells": {"BarChartAggregatedFieldWells": wells},
        "Orientation": "VERTICAL",
        "BarsArrangement": "CLUSTERED",
        "CategoryLabelOptions": x_label,
        "ValueLabelOptions": y_label,
        "Legend": {"Visibility": "VISIBLE"},
    }
    return {"BarChartVisual": {**_titles(chart), "ChartConfiguration": configuration}}


def _heatmap(chart: ChartSpec, types: dict[str, str]) -> dict[str, Any]:
    assert chart.y is not None
    view = chart.view
    wells = {
        "Columns": [_dimension(chart, view, chart.x, types[chart.x])],
        "Rows": [_dimension(chart, view, chart.y, types[chart.y])],
        "Values": [_measure(chart, view, chart.series[0].column)],
    }
    x_label, y_label = _labels(chart.x_label, chart.y_label)
    configuration = {
        "FieldWells": {"HeatMapAggregatedFieldWells": wells},
        "ColorScale": {"ColorFillType": "GRADIENT", "Colors": DIVERGING, "NullValueColor": NO_VALUE_COLOR},
        "ColumnLabelOptions": x_label,
        "RowLabelOptions": y_label,
        "Legend": {"Visibility": "VISIBLE"},
    }
    return {"HeatMapVisual": {**_titles(chart), "ChartConfiguration": configuration}}


def _table(chart: ChartSpec) -> dict[str, Any]:
    columns = list(dict.fromkeys((chart.x, *(s.column for s in chart.series))))
    values = [{"FieldId": _field_id(chart, c), "Column": _column(chart.view, c)} for c in columns]
    configuration = {"FieldWells": {"TableUnaggregatedFieldWells": {"Values": values}}}
    return {"TableVisual": {**_titles(chart), "ChartConfiguration": configuration}}


def visuals_of(chart: ChartSpec, types: dict[str, str]) -> list[dict[str, Any]]:
    """The QuickSight visuals drawing ``chart``: one, and a second for a scatter's overlay view."""
    if chart.kind == "line":
        visual = _line(chart, types)
    elif chart.kind == "stacked_area":
        visual = _line(chart, types, stacked=True)
    elif chart.kind == "markers":
        visual = _line(chart, types, markers=True)
    elif chart.kind == "scatter":
        visual = _scatter(chart, types)
    elif chart.kind in ("bar", "bar_ci"):
        visual = _bar(chart, types)
    elif chart.kind == "heatmap":
        visual = _heatmap(chart, types)
    elif chart.kind == "table":
        visual = _table(chart)
    else:
        raise SystemExit(f"chart {chart.chart_id}: no QuickSight visual for kind {chart.kind!r}")
    return [visual, _overlay(chart, types)] if chart.overlay else [visual]


# --- controls and filters ------------------------------------------------------------------------------------------
def _scoped(visual_ids: list[str]) -> dict[str, Any]:
    scope = {"SheetId": SHEET_ID, "Scope": "SELECTED_VISUALS", "VisualIds": visual_ids}
    return {"SelectedSheets": {"SheetVisualScopingConfigurations": [scope]}}


def _group(filter_id: str, visual_ids: list[str], condition: dict[str, Any]) -> dict[str, Any]:
    return {
        "FilterGroupId": filter_id,
        "Filters": [condition],
        "ScopeConfiguration": _scoped(visual_ids),
        "CrossDataset": "SINGLE_DATASET",
        "Status": "ENABLED",
    }


def filter_groups(charts: Iterable[ChartSpec]) -> list[dict[str, Any]]:
    """Per view and filtered column: the date range on day columns, the zone and hub pickers on theirs."""
    targets: dict[tuple[str, str, str], list[str]] = {}
    for chart in charts:
        for control, column in (("date", chart.day_column), ("zone", chart.zone_column), ("hub", chart.hub_column)):
            if column:
                targets.setdefault((control, chart.view, column), []).append(chart.chart_id)
    groups = []
    for (control, view, column), visual_ids in targets.items():
        filter_id = f"{control}-{view.replace('_', '-')}-{column.replace('_', '-')}"
        if control == "date":
            condition: dict[str, Any] = {
                "TimeRangeFilter": {
                    "FilterId": filter_id,
                    "Column": _column(view, column),
                    "RangeMinimumValue": {"Parameter": START_DAY},
                    "RangeMaximumValue": {"Parameter": END_DAY},
                    "IncludeMinimum": True,
                    "IncludeMaximum": True,
                    "TimeGranularity": "DAY",
                    "NullOption": "NON_NULLS_ONLY",
                }
            }
        else:
            configuration = {
                "MatchOperator": "EQUALS",
                "ParameterName": ZONE if control == "zone" else HUB,
                "NullOption": "NON_NULLS_ONLY",
                "SelectAllOptions": "FILTER_ALL_VALUES",
            }
            condition = {
                "CategoryFilter": {
                    "FilterId": filter_id,
                    "Column": _column(view, column),
                    "Configuration": {"CustomFilterConfiguration": configuration},
                }
            }
        groups.append(_group(filter_id, visual_ids, condition))
    return groups


def parameters() -> list[dict[str, Any]]:
    days_back = f"addDateTime(-{DEFAULT_DAYS}, 'DD', truncDate('DD', now()))"
    return [
        {
            "DateTimeParameterDeclaration": {
                "Name": START_DAY,
                "TimeGranularity": "DAY",
                "DefaultValues": {"RollingDate": {"Expression": days_back}},
            }
        },
        {
            "DateTimeParameterDeclaration": {
                "Name": END_DAY,
                "TimeGranularity": "DAY",
                "DefaultValues": {"RollingDate": {"Expression": "truncDate('DD', now())"}},
            }
        },
        {"StringParameterDeclaration": {"Name": ZONE, "ParameterValueType": "SINGLE_VALUED"}},
        {
            "StringParameterDeclaration": {
                "Name": HUB,
                "ParameterValueType": "SINGLE_VALUED",
                "DefaultValues": {"StaticValues": [DEFAULT_HUB]},
            }
        },
    ]


def parameter_controls() -> list[dict[str, Any]]:
    def dropdown(name: str, title: str, values: tuple[str, str], *, select_all: bool) -> dict[str, Any]:
        control: dict[str, Any] = {
            "ParameterControlId": f"{name.lower()}-picker",
            "Title": title,
            "SourceParameterName": name,
            "Type": "SINGLE_SELECT",
            "SelectableValues": {"LinkToDataSetColumn": _column(*values)},
        }
        if select_all:
            control["DisplayOptions"] = {"SelectAllOptions": {"Visibility": "VISIBLE"}}
        return {"Dropdown": control}

    return [
        {
            "DateTimePicker": {
                "ParameterControlId": "start-day",
                "Title": "from (operating day)",
                "SourceParameterName": START_DAY,
            }
        },
        {
            "DateTimePicker": {
                "ParameterControlId": "end-day",
                "Title": "to (operating day)",
                "SourceParameterName": END_DAY,
            }
        },
        dropdown(ZONE, "weather zone", ZONE_VALUES, select_all=True),
        dropdown(HUB, "hub / load zone", HUB_VALUES, select_all=False),
    ]


def definition(charts: tuple[ChartSpec, ...], columns: dict[str, list[tuple[str, str]]]) -> dict[str, Any]:
    """The analysis's and the dashboard's definition: the data sets by view, the parameters, one sheet."""
    visuals = [
        visual
        for chart in charts
        for visual in visuals_of(chart, dict(columns[chart.view]) | _overlay_types(chart, columns))
    ]
    visual_ids = [next(iter(v.values()))["VisualId"] for v in visuals]
    elements = [
        {"ElementId": visual_id, "ElementType": "VISUAL", "ColumnSpan": 36, "RowSpan": 12} for visual_id in visual_ids
    ]
    return {
        "DataSetIdentifierDeclarations": [
            {"Identifier": view, "DataSetArn": GetAtt(f"{data_set_logical_id(view)}.Arn")} for view in columns
        ],
        "ParameterDeclarations": parameters(),
        # Times and the date range on the market's clock, as the offline page and the views' operating days
        "Options": {"Timezone": MARKET_TIME_ZONE},
        "FilterGroups": filter_groups(charts),
        "Sheets": [
            {
                "SheetId": SHEET_ID,
                "Name": "energylake",
                "Title": "energylake: ERCOT grid and weather",
                "ParameterControls": parameter_controls(),
                "Visuals": visuals,
                "Layouts": [{"Configuration": {"GridLayout": {"Elements": elements}}}],
            }
        ],
    }


def _overlay_types(chart: ChartSpec, columns: dict[str, list[tuple[str, str]]]) -> dict[str, str]:
    return dict(columns[chart.overlay.view]) if chart.overlay else {}


# --- the resources -------------------------------------------------------------------------------------------------
def _permissions(actions: list[str]) -> list[dict[str, Any]]:
    return [{"Principal": Ref(PRINCIPAL), "Actions": actions}]


def data_set(view: str, columns: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "Type": "AWS::QuickSight::DataSet",
        "Condition": CONDITION,
        "Properties": {
            "AwsAccountId": Ref("AWS::AccountId"),
            "DataSetId": Sub(f"${{AWS::StackName}}-{data_set_id(view)}"),
            "Name": Sub(f"energylake ${{Stage}} {view}"),
            "ImportMode": "DIRECT_QUERY",
            "PhysicalTableMap": {
                data_set_id(view): {
                    "RelationalTable": {
                        "DataSourceArn": GetAtt("QuickSightDataSource.Arn"),
                        "Schema": Ref("RedshiftSchema"),
                        "Name": view,
                        "InputColumns": [{"Name": name, "Type": kind} for name, kind in columns],
                    }
                }
            },
            "Permissions": _permissions(DATA_SET_ACTIONS),
        },
    }


def resources(charts: tuple[ChartSpec, ...] = CHARTS) -> dict[str, Any]:
    columns = view_columns(chart_views(charts))
    generated: dict[str, Any] = {data_set_logical_id(view): data_set(view, cols) for view, cols in columns.items()}
    shared = definition(charts, columns)
    generated["QuickSightAnalysis"] = {
        "Type": "AWS::QuickSight::Analysis",
        "Condition": CONDITION,
        "Properties": {
            "AwsAccountId": Ref("AWS::AccountId"),
            "AnalysisId": Sub("${AWS::StackName}-analysis"),
            "Name": Sub("energylake ${Stage} analysis"),
            "Definition": shared,
            "Permissions": _permissions(ANALYSIS_ACTIONS),
        },
    }
    generated["QuickSightDashboard"] = {
        "Type": "AWS::QuickSight::Dashboard",
        "Condition": CONDITION,
        "Properties": {
            "AwsAccountId": Ref("AWS::AccountId"),
            "DashboardId": Sub("${AWS::StackName}-dashboard"),
            "Name": Sub("energylake ${Stage}"),
            "Definition": shared,
            "DashboardPublishOptions": {
                "AdHocFilteringOption": {"AvailabilityStatus": "ENABLED"},
                "ExportToCSVOption": {"AvailabilityStatus": "ENABLED"},
                "SheetControlsOption": {"VisibilityState": "EXPANDED"},
            },
            "Permissions": _permissions(DASHBOARD_ACTIONS),
        },
    }
    return generated


def outputs(views: list[str]) -> dict[str, Any]:
    ids = ",".join(f"${{AWS::StackName}}-{data_set_id(view)}" for view in views)
    return {
        "QuickSightDataSetIds": {
            "Condition": CONDITION,
            "Description": "QuickSight data sets, one per warehouse view the dashboard draws.",
            "Value": Sub(ids),
        },
        "QuickSightAnalysisId": {
            "Condition": CONDITION,
            "Description": "QuickSight analysis of the dashboard's charts (editable copy).",
            "Value": Sub("${AWS::StackName}-analysis"),
        },
        "QuickSightDashboardId": {
            "Condition": CONDITION,
            "Description": "QuickSight dashboard: the local page's charts over the same warehouse views.",
            "Value": Sub("${AWS::StackName}-dashboard"),
        },
    }


HEADER = (
    "  # Generated from energylake.local.dashboard.specs.CHARTS (the offline page's chart list): do not edit here;\n"
    f"  # change the charts or scripts/quicksight.py and run `{COMMAND}` (a test fails while they differ).\n"
)


def regions(charts: tuple[ChartSpec, ...] = CHARTS) -> tuple[str, str]:
    """The text of the resources region and of the outputs region, markers excluded."""
    generated = resources(charts)
    resources_text = "\n".join(
        f"{HEADER}{_yaml({name: body}, 2)}" if i == 0 else _yaml({name: body}, 2)
        for i, (name, body) in enumerate(generated.items())
    )
    outputs_text = _yaml(outputs(chart_views(charts)), 2)
    return resources_text, outputs_text


def _between(text: str, begin: str, where: str) -> tuple[int, int]:
    if text.count(begin) != 1:
        raise SystemExit(f"{where}: expected one line {begin.strip()!r}, found {text.count(begin)}")
    start = text.index(begin) + len(begin)
    end = text.find(END, start)
    if end < 0:
        raise SystemExit(f"{where}: no {END.strip()!r} after {begin.strip()!r}")
    return start, end


def rewritten(text: str, where: str) -> str:
    """``text`` with both generated regions replaced by what the chart list gives now."""
    resources_text, outputs_text = regions()
    for begin, body in ((RESOURCES_BEGIN, resources_text), (OUTPUTS_BEGIN, outputs_text)):
        start, end = _between(text, begin, where)
        text = text[:start] + body + text[end:]
    return text


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the template's generated regions differ")
    parser.add_argument("--template", type=Path, default=TEMPLATE, help="the template to write or check")
    arguments = parser.parse_args(argv)
    text = arguments.template.read_text()
    expected = rewritten(text, str(arguments.template))
    if arguments.check:
        if expected != text:
            print(f"{arguments.template}: the QuickSight regions differ from the chart list; run {COMMAND}")
            return 1
        return 0
    if expected != text:
        arguments.template.write_text(expected)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
