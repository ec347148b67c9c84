"""The ``energylake`` command: the local door into the same stages the Lambdas run.

Exit codes: 0 success; 1 the pipeline failed (the message names the stage, dataset and what to do);
2 bad usage or bad input (nothing is written).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from energylake.datasets import ALL_DATASETS, get_dataset
from energylake.errors import ConfigurationError, EnergylakeError, InvalidRequestError
from energylake.lake import list_raw
from energylake.settings import Settings
from energylake.storage import Storage, open_storage
from energylake.timeconv import local_day_bounds_utc
from energylake.window import Window

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _window_arguments() -> _Parser:
    shared = _Parser(add_help=False)
    shared.add_argument("--start", required=True, help="first operating day, YYYY-MM-DD (America/Chicago)")
    shared.add_argument("--end", required=True, help="last operating day, YYYY-MM-DD (inclusive)")
    shared.add_argument(
        "--dataset",
        action="append",
        dest="datasets",
        metavar="NAME",
        help=f"repeatable; default all of: {' '.join(ALL_DATASETS)}",
    )
    shared.add_argument("--lake", default="./lake", help="lake folder or s3://bucket/prefix (default ./lake)")
    shared.add_argument("--json", action="store_true", help="print the result as JSON")
    return shared


def _build_parser() -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = _Parser(
        prog="energylake", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    window = _window_arguments()

    fetch = commands.add_parser("fetch", parents=[window], help="fetch raw ERCOT and Open-Meteo replies into the lake")
    fetch.add_argument("--source", choices=("live", "sample"), default="live", help="live APIs or the offline sample")

    commands.add_parser(
        "reprocess", parents=[window], help="curate raw -> silver for a window, without fetching (quality-gated)"
    )
    commands.add_parser("gold", parents=[window], help="build the hourly gold tables from silver with local Spark")
    load = commands.add_parser("load", parents=[window], help="upsert silver and gold into the DuckDB warehouse")
    load.add_argument("--warehouse", help="DuckDB file (default <lake>/warehouse.duckdb)")

    listing = commands.add_parser("ls", help="list what the lake holds: raw, silver, quality reports, quarantine")
    listing.add_argument("--lake", default="./lake")
    return parser


def _open_lake(uri: str) -> Storage:
    if "://" not in uri:
        path = Path(uri)
        probe = path if path.exists() else next((p for p in path.parents if p.exists()), Path("."))
        if not probe.is_dir() or not _writable(probe):
            raise InvalidRequestError(f"lake folder {uri!r} is not writable")
    return open_storage(uri)


def _writable(folder: Path) -> bool:
    import os

    return os.access(folder, os.W_OK | os.X_OK)


def _window_and_datasets(args: argparse.Namespace) -> tuple[Window, tuple[str, ...]]:
    window = Window.parse(args.start, args.end)
    datasets = tuple(args.datasets or ALL_DATASETS)
    for name in datasets:
        get_dataset(name)  # unknown names fail before anything is done
    return window, datasets


def _fetch(args: argparse.Namespace) -> int:
    from energylake.stages import fetch_many, live_connection, sample_connection

    window, datasets = _window_and_datasets(args)
    lake = _open_lake(args.lake)
    settings = Settings()
    if args.source == "sample":
        # The sample's clock sits early on the day after the window, so its dashboards cover the window's end.
        sample_now = local_day_bounds_utc(window.end + dt.timedelta(days=1))[0] + dt.timedelta(hours=6)
        connection = sample_connection(settings, now=sample_now)
    else:
        connection = live_connection(settings)
    results = fetch_many(datasets, window, lake, connection)
    if args.json:
        print(json.dumps([result.as_dict() for result in results], indent=2))
        return EXIT_OK
    print(f"{'dataset':<18} {'objects':>7} {'new':>5} {'same':>5} {'requests':>8} {'retries':>7}  source")
    for result in results:
        print(
            f"{result.dataset:<18} {len(result.keys):>7} {result.written:>5} {result.unchanged:>5} "
            f"{result.stats.requests:>8} {result.stats.retries:>7}  {', '.join(sorted(result.sources_used))}"
        )
    for result in results:
        for note in result.notes:
            print(f"note: {note}")
    print(f"lake: {lake.uri}")
    return EXIT_OK


def _reprocess(args: argparse.Namespace) -> int:
    from energylake.stages import reprocess

    window, datasets = _window_and_datasets(args)
    lake = _open_lake(args.lake)
    results = reprocess(window, lake, datasets)
    if args.json:
        print(json.dumps([result.as_dict() for result in results], indent=2))
    else:
        print(f"{'dataset':<18} {'group':<22} {'status':<8} {'rows in':>8} {'out':>8} {'rejected':>8}")
        for result in results:
            print(
                f"{result.dataset:<18} {result.group:<22} {result.status:<8} {result.rows_in:>8} "
                f"{result.rows_out:>8} {result.rows_rejected:>8}"
            )
        for result in results:
            if result.status == "failed":
                print(f"quarantined {result.dataset} {result.group}: {result.reason}")
        if not results:
            print(f"nothing to curate: no raw groups for {window} in {lake.uri} (run energylake fetch first)")
    failed = [result for result in results if result.status == "failed"]
    return EXIT_FAILED if failed else EXIT_OK


def _gold(args: argparse.Namespace) -> int:
    from energylake.stages import build_gold

    window = Window.parse(args.start, args.end)
    _open_lake(args.lake)
    counts = build_gold(window, args.lake)
    print(json.dumps(counts, indent=2) if args.json else ", ".join(f"{name}: {n} rows" for name, n in counts.items()))
    return EXIT_OK


def _load(args: argparse.Namespace) -> int:
    from energylake.stages import load_warehouse

    window, _ = _window_and_datasets(args)
    _open_lake(args.lake)
    warehouse = args.warehouse or str(Path(args.lake) / "warehouse.duckdb")
    counts = load_warehouse(window, args.lake, warehouse)
    if args.json:
        print(json.dumps(counts, indent=2))
    else:
        for name, rows in counts.items():
            print(f"{name:<28} {rows:>10} rows written")
        print(f"warehouse: {warehouse}")
    return EXIT_OK


def _ls(args: argparse.Namespace) -> int:
    lake = open_storage(args.lake)
    keys = list_raw(lake)
    counts: dict[tuple[str, str], int] = {}
    days: dict[tuple[str, str], set[str]] = {}
    for key in keys:
        parts = dict(part.split("=", 1) for part in key.split("/") if "=" in part)
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
    zones = {zone: len(list(lake.list(f"{zone}/"))) for zone in ("silver", "quality", "quarantine")}
    print(", ".join(f"{zone}: {count} objects" for zone, count in zones.items()))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _build_parser().parse_args(argv)
    except _UsageError as exc:
        print(f"energylake: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        commands = {"fetch": _fetch, "reprocess": _reprocess, "gold": _gold, "load": _load, "ls": _ls}
        return commands[args.command](args)
    except (InvalidRequestError, ConfigurationError) as exc:
        print(f"energylake: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except EnergylakeError as exc:
        print(f"energylake: {args.command} failed: {exc}", file=sys.stderr)
        print("Nothing partial was written; fix the cause and rerun (reruns are safe).", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    raise SystemExit(main())
