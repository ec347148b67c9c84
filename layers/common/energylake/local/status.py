"""``energylake status`` and ``energylake ls``: what the lake and the warehouse hold (read only)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

from energylake.lake import layout
from energylake.lake.landing import list_raw
from energylake.lake.storage import open_storage
from energylake.local.console import make_console, table_rows
from energylake.local.options import Plan, checked_plan

EXIT_OK = 0


def day_ranges(days: set[str]) -> list[str]:
    """Consecutive ISO days folded into 'first..last' ranges."""
    ranges: list[list[dt.date]] = []
    for day in sorted(dt.date.fromisoformat(d) for d in days if len(d) == 10):
        if ranges and day - ranges[-1][1] == dt.timedelta(days=1):
            ranges[-1][1] = day
        else:
            ranges.append([day, day])
    return [str(first) if first == last else f"{first}..{last}" for first, last in ranges]


def status_document(plan: Plan) -> dict[str, Any]:
    lake = plan.lake
    raw: dict[str, dict[str, Any]] = {}
    raw_days: dict[str, set[str]] = {}
    for key in list_raw(lake):
        parts = layout.partition_values(key)
        dataset = parts.get("dataset", "?")
        entry = raw.setdefault(dataset, {"source": parts.get("source", "?"), "objects": 0})
        entry["objects"] += 1
        raw_days.setdefault(dataset, set()).add(parts.get("date", "?"))
    for dataset, days in raw_days.items():
        raw[dataset].update(days=len(days), windows=day_ranges(days))
    zones: dict[str, dict[str, int]] = {}

    def zone_row(dataset: str) -> dict[str, int]:
        return zones.setdefault(
            dataset,
            {"silver_files": 0, "reports": 0, "passed": 0, "failed": 0, "rows_rejected": 0, "quarantine_folders": 0},
        )

    for key in lake.list(f"{layout.SILVER_ZONE}/"):
        if key.endswith(".parquet"):
            zone_row(layout.partition_values(key).get("dataset", "?"))["silver_files"] += 1
    quarantined: list[dict[str, Any]] = []
    for key in lake.list(f"{layout.QUALITY_ZONE}/"):
        if not key.endswith(".json"):
            continue
        parts = layout.partition_values(key)
        row = zone_row(parts.get("dataset", "?"))
        row["reports"] += 1
        try:
            report = json.loads(lake.get(key))
        except ValueError:
            continue
        row["rows_rejected"] += int(report.get("rows", {}).get("rejected", 0) or 0)
        if report.get("status") == "failed" or report.get("passed") is False:
            row["failed"] += 1
            quarantined.append(
                {
                    "dataset": parts.get("dataset", "?"),
                    "date": parts.get("date", "?"),
                    "group": layout.quality_report_group(key),
                    "why": "; ".join(str(reason) for reason in report.get("failed_because", [])) or "checks failed",
                }
            )
        else:
            row["passed"] += 1
    groups = {found for key in lake.list(f"{layout.QUARANTINE_ZONE}/") if (found := layout.quarantine_group(key))}
    for dataset, _group in groups:
        zone_row(dataset)["quarantine_folders"] += 1
    return {
        "lake": plan.lake_uri,
        "raw": dict(sorted(raw.items())),
        "zones": dict(sorted(zones.items())),
        "quarantined": quarantined,
        "warehouse": {"path": plan.warehouse, "tables": table_rows(plan.warehouse)},
    }


def status(args: argparse.Namespace) -> int:
    plan = checked_plan(args, writes=False)
    lake = plan.local_lake
    if lake is not None and not lake.is_dir():
        print(f"{plan.lake_uri}: no lake here yet (run `energylake run` to create one)")
        return EXIT_OK
    document = status_document(plan)
    if args.json:
        print(json.dumps(document, indent=2))
        return EXIT_OK
    from rich.table import Table

    console = make_console()
    raw = Table(title=f"raw zone: {plan.lake_uri}")
    for column in ("dataset", "source", "objects", "days", "windows"):
        raw.add_column(column, justify="right" if column in ("objects", "days") else "left")
    for dataset, entry in document["raw"].items():
        raw.add_row(dataset, entry["source"], str(entry["objects"]), str(entry["days"]), ", ".join(entry["windows"]))
    console.print(raw)
    zones = Table(title="silver, quality reports and quarantine")
    columns = ("silver_files", "reports", "passed", "failed", "rows_rejected", "quarantine_folders")
    zones.add_column("dataset")
    for column in columns:
        zones.add_column(column.replace("_", " "), justify="right")
    for dataset, row in document["zones"].items():
        zones.add_row(dataset, *(f"{row[column]:,}" for column in columns))
    console.print(zones)
    tables = document["warehouse"]["tables"]
    if tables:
        warehouse = Table(title=f"warehouse: {plan.warehouse}")
        for column in ("table", "rows", "first (UTC)", "last (UTC)"):
            warehouse.add_column(column, justify="right" if column == "rows" else "left")
        for name, entry in tables.items():
            warehouse.add_row(name, f"{entry['rows']:,}", str(entry["first"] or "-"), str(entry["last"] or "-"))
        console.print(warehouse)
    else:
        console.print(f"warehouse: no file at {plan.warehouse}", markup=False)
    for item in document["quarantined"]:
        console.print(f"quarantined {item['dataset']} {item['date']} {item['group']}: {item['why']}", markup=False)
    if not document["quarantined"]:
        console.print("no quarantined groups")
    return EXIT_OK


def ls(args: argparse.Namespace) -> int:
    lake = open_storage(args.lake)
    keys = list_raw(lake)
    counts: dict[tuple[str, str], int] = {}
    days: dict[tuple[str, str], set[str]] = {}
    for key in keys:
        parts = layout.partition_values(key)
        group = (parts.get("source", "?"), parts.get("dataset", "?"))
        counts[group] = counts.get(group, 0) + 1
        days.setdefault(group, set()).add(parts.get("date", "?"))
    if not keys:
        print(f"{lake.uri}: the raw zone is empty")
        return EXIT_OK
    print(f"{'source':<10} {'dataset':<18} {'objects':>7}  days")
    for (source, dataset), count in sorted(counts.items()):
        seen = sorted(days[(source, dataset)])
        plural = "" if len(seen) == 1 else "s"
        print(f"{source:<10} {dataset:<18} {count:>7}  {seen[0]}..{seen[-1]} ({len(seen)} day{plural})")
    print(f"{len(keys)} raw objects in {lake.uri}")
    curated = (layout.SILVER_ZONE, layout.QUALITY_ZONE, layout.QUARANTINE_ZONE)
    zones = {zone: len(list(lake.list(f"{zone}/"))) for zone in curated}
    print(", ".join(f"{zone}: {count} objects" for zone, count in zones.items()))
    return EXIT_OK
