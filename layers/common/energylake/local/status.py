"""``energylake status`` and ``energylake ls``: what the lake and the warehouse hold (read only)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from energylake.errors import EnergylakeError
from energylake.lake import layout
from energylake.lake.landing import Manifest
from energylake.lake.storage import Storage, open_storage
from energylake.local.console import make_console, read_quality_report, rejection_reasons, table_rows
from energylake.local.options import Plan, checked_plan

if TYPE_CHECKING:
    from rich.console import Console

EXIT_OK = 0
SHOWN_REJECTIONS = 20  # lines of rejected-row groups the text output prints (--json lists them all)

# What curation made of one operating day, best first: when groups overlap (Open-Meteo's archive and forecast
# windows meet on a day), the day counts as its best group has it.
DayState = Literal["complete", "partial", "quarantined", "not curated"]
_RANK: dict[str, int] = {"complete": 0, "partial": 1, "quarantined": 2, "not curated": 3}


def day_ranges(days: Iterable[str | dt.date]) -> list[str]:
    """Consecutive ISO days folded into 'first..last' ranges."""
    ranges: list[list[dt.date]] = []
    parsed = (day if isinstance(day, dt.date) else dt.date.fromisoformat(day) for day in days if len(str(day)) == 10)
    for day in sorted(set(parsed)):
        if ranges and day - ranges[-1][1] == dt.timedelta(days=1):
            ranges[-1][1] = day
        else:
            ranges.append([day, day])
    return [str(first) if first == last else f"{first}..{last}" for first, last in ranges]


@dataclass
class RawCoverage:
    """One dataset's raw zone: objects, landed groups, and the operating days those groups cover."""

    source: str
    objects: int = 0
    groups: dict[str, tuple[dt.date, ...]] = field(default_factory=dict)  # group -> the days its manifest covers
    unreadable_manifests: int = 0

    @property
    def days(self) -> set[dt.date]:
        return {day for covered in self.groups.values() for day in covered}

    @property
    def missing(self) -> list[dt.date]:
        """Days between the first and last covered day that no group covers."""
        days = self.days
        if not days:
            return []
        first, last = min(days), max(days)
        return [first + dt.timedelta(n) for n in range((last - first).days + 1) if first + dt.timedelta(n) not in days]


def raw_coverage(lake: Storage) -> dict[str, RawCoverage]:
    """Per dataset: raw objects, groups and the operating days they cover, from each group's newest manifest.

    A group lands under the first day it asked for (an Open-Meteo fetch window of a week sits in one ``date=``
    folder; ERCOT's yearly file under its year's first day), so the days come from the manifests' ``covered_days``,
    not from the folders. A group whose manifest cannot be read counts for its folder's day."""
    coverage: dict[str, RawCoverage] = {}
    newest: dict[str, str] = {}  # a group's manifest folder -> its newest manifest
    for key in lake.list(layout.raw_prefix()):
        parts = layout.partition_values(key)
        entry = coverage.setdefault(parts.get("dataset", "?"), RawCoverage(parts.get("source", "?")))
        if layout.is_manifest_key(key):
            folder = key.rsplit("/", 1)[0]
            newest[folder] = max(newest.get(folder, ""), key)
        elif layout.is_raw_object_key(key):
            entry.objects += 1
    for key in newest.values():
        parsed = layout.parse_manifest_key(key)
        entry = coverage[parsed.dataset]
        try:
            entry.groups[parsed.group] = Manifest.load(lake, key).covered_days
        except EnergylakeError:
            entry.groups[parsed.group] = (parsed.day,)
            entry.unreadable_manifests += 1
    return dict(sorted(coverage.items()))


def _curated_day_states(report: dict[str, Any], covered: Iterable[dt.date]) -> dict[dt.date, DayState]:
    """What one group's quality report says of each day its manifest covers."""
    if report.get("status") == "failed" or report.get("passed") is False:
        return dict.fromkeys(covered, "quarantined")
    counted = {str(entry.get("day")): entry for entry in report.get("days", [])}
    states: dict[dt.date, DayState] = {}
    for day in covered:
        entry = counted.get(day.isoformat())
        whole = entry is not None and not entry.get("short_entities") and not entry.get("failing_entities")
        states[day] = "complete" if whole else "partial"
    return states


def status_document(plan: Plan) -> dict[str, Any]:
    lake = plan.lake
    coverage = raw_coverage(lake)
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
    rejected: list[dict[str, Any]] = []
    day_states: dict[str, dict[dt.date, DayState]] = {}
    for key in lake.list(f"{layout.QUALITY_ZONE}/"):
        if not key.endswith(".json"):
            continue
        parts = layout.partition_values(key)
        dataset, group = parts.get("dataset", "?"), layout.quality_report_group(key)
        row = zone_row(dataset)
        row["reports"] += 1
        report = read_quality_report(lake, key)
        if not report:
            continue
        where = {"dataset": dataset, "date": parts.get("date", "?"), "group": group}
        raw = coverage.get(dataset)
        covered = raw.groups.get(group, ()) if raw is not None else ()
        states = day_states.setdefault(dataset, {})
        for day, state in _curated_day_states(report, covered).items():
            if _RANK[state] < _RANK[states.get(day, "not curated")]:
                states[day] = state
        rows_rejected = int(report.get("rows", {}).get("rejected", 0) or 0)
        row["rows_rejected"] += rows_rejected
        if report.get("status") == "failed" or report.get("passed") is False:
            row["failed"] += 1
            why = "; ".join(str(reason) for reason in report.get("failed_because", [])) or "checks failed"
            quarantined.append({**where, "why": why})
            continue
        row["passed"] += 1
        if rows_rejected:
            outputs = report.get("outputs", {}).get("quarantine", [])
            rejected.append(
                {
                    **where,
                    "rows": rows_rejected,
                    "reasons": [
                        {"check": check, "rows": rows, "example": example}
                        for check, rows, example in rejection_reasons(report)
                    ],
                    "kept_in": next((str(k) for k in outputs if str(k).endswith("rejected.parquet")), None),
                }
            )
    groups = {found for key in lake.list(f"{layout.QUARANTINE_ZONE}/") if (found := layout.quarantine_group(key))}
    for dataset, _group in groups:
        zone_row(dataset)["quarantine_folders"] += 1
    raw_document: dict[str, dict[str, Any]] = {}
    for dataset, entry in coverage.items():
        states = day_states.get(dataset, {})
        by_day = {day.isoformat(): states.get(day, "not curated") for day in sorted(entry.days)}
        raw_document[dataset] = {
            "source": entry.source,
            "objects": entry.objects,
            "groups": len(entry.groups),
            "days": len(by_day),
            "windows": day_ranges(entry.days),
            "missing_days": [day.isoformat() for day in entry.missing],
            "by_day": by_day,
            "unreadable_manifests": entry.unreadable_manifests,
        }
    return {
        "lake": plan.lake_uri,
        **_writer_and_debris(plan),
        "raw": raw_document,
        "zones": dict(sorted(zones.items())),
        "quarantined": quarantined,
        "rejected": rejected,
        "warehouse": {"path": plan.warehouse, "tables": table_rows(plan.warehouse)},
    }


def _writer_and_debris(plan: Plan) -> dict[str, Any]:
    """The command writing the lake now (None), and the temp files of interrupted runs (local lakes; listed only
    when no writer runs: a running writer's temps are its work in progress). The next writing command removes them."""
    from energylake.local.debris import find_debris
    from energylake.local.lock import holder

    found, holds = holder(plan.lake_uri)
    writer = {"pid": found.pid, "command": found.command, "since": found.started_utc} if found and holds else None
    root = plan.local_lake
    debris = [] if writer is not None or root is None else [str(p.relative_to(root)) for p in find_debris(root)]
    return {"writer": writer, "debris": debris}


def _print_writer_and_debris(console: Console, document: dict[str, Any]) -> None:
    writer = document["writer"]
    if writer is not None:
        console.print(
            f"being written by pid {writer['pid']} ({writer['command']}, since {writer['since']})", markup=False
        )
    debris = document["debris"]
    if debris:
        console.print(
            f"debris: {len(debris)} temp file(s) or folder(s) left by an interrupted run (the next writing command "
            f"removes them): {', '.join(debris[:3])}" + (", ..." if len(debris) > 3 else ""),
            markup=False,
            soft_wrap=True,
        )


def curated_summary(by_day: dict[str, str]) -> str:
    """A dataset's days by what curation made of them: "7 complete", or the ranges of each other state."""
    parts: list[str] = []
    for state in _RANK:
        days = [day for day, found in by_day.items() if found == state]
        if not days:
            continue
        parts.append(f"{len(days)} {state}" if state == "complete" else f"{state} {', '.join(day_ranges(days))}")
    return "; ".join(parts) or "-"


def _print_problems(console: Console, document: dict[str, Any]) -> None:
    """Quarantined groups and why, groups with rejected rows and why, then one closing line saying both."""
    for item in document["quarantined"]:
        console.print(f"quarantined {item['dataset']} {item['date']} {item['group']}: {item['why']}", markup=False)
    rejected = document["rejected"]
    for item in rejected[:SHOWN_REJECTIONS]:
        reasons = "; ".join(
            f"{reason['check']}: {reason['rows']:,} row(s)"
            + (f", e.g. {reason['example']}" if reason["example"] else "")
            for reason in item["reasons"]
        )
        console.print(
            f"rejected {item['rows']:,} row(s) of {item['dataset']} {item['date']} {item['group']}: "
            f"{reasons or 'reason not recorded'}" + (f" (kept in {item['kept_in']})" if item["kept_in"] else ""),
            markup=False,
            soft_wrap=True,
        )
    if len(rejected) > SHOWN_REJECTIONS:
        console.print(f"... and {len(rejected) - SHOWN_REJECTIONS} more group(s) with rejected rows (--json lists all)")
    rows_rejected = sum(item["rows"] for item in rejected)
    quarantine = (
        f"{len(document['quarantined'])} quarantined group(s)" if document["quarantined"] else "no quarantined groups"
    )
    rejections = (
        f"{rows_rejected:,} row(s) rejected in {len(rejected)} group(s) that passed, kept in quarantine/"
        if rejected
        else "no rejected rows"
    )
    console.print(f"{quarantine}; {rejections}", markup=False)


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
    raw = Table(title=f"raw zone: {plan.lake_uri} (days: operating days the landed groups cover)")
    for column in ("dataset", "source", "groups", "objects", "days", "covers", "missing", "curated days"):
        raw.add_column(column, justify="right" if column in ("groups", "objects", "days") else "left")
    for dataset, entry in document["raw"].items():
        raw.add_row(
            dataset,
            entry["source"],
            str(entry["groups"]),
            str(entry["objects"]),
            str(entry["days"]),
            ", ".join(entry["windows"]),
            ", ".join(day_ranges(entry["missing_days"])) or "-",
            curated_summary(entry["by_day"]),
        )
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
    _print_problems(console, document)
    _print_writer_and_debris(console, document)
    return EXIT_OK


def ls(args: argparse.Namespace) -> int:
    lake = open_storage(args.lake)
    coverage = raw_coverage(lake)
    if not any(entry.objects for entry in coverage.values()):
        print(f"{lake.uri}: the raw zone is empty")
        return EXIT_OK
    print(f"{'source':<10} {'dataset':<18} {'objects':>7} {'groups':>6}  days covered")
    for dataset, entry in sorted(coverage.items(), key=lambda item: (item[1].source, item[0])):
        days = entry.days
        plural = "" if len(days) == 1 else "s"
        missing = f", {len(entry.missing)} missing" if entry.missing else ""
        print(
            f"{entry.source:<10} {dataset:<18} {entry.objects:>7} {len(entry.groups):>6}  "
            f"{', '.join(day_ranges(days)) or '-'} ({len(days)} day{plural}{missing})"
        )
    print(f"{sum(entry.objects for entry in coverage.values())} raw objects in {lake.uri}")
    curated = (layout.SILVER_ZONE, layout.QUALITY_ZONE, layout.QUARANTINE_ZONE)
    zones = {zone: len(list(lake.list(f"{zone}/"))) for zone in curated}
    print(", ".join(f"{zone}: {count} objects" for zone, count in zones.items()))
    return EXIT_OK
