"""The ``energylake`` command's options: the argument parser, and every input checked before anything is written.

:func:`checked_plan` turns parsed arguments into a :class:`Plan` (window, datasets, lake, warehouse and dashboard
paths), raising :class:`~energylake.errors.InvalidRequestError` (exit code 2) for anything wrong: an impossible date,
an unknown dataset, an unwritable path.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from energylake import __version__
from energylake.contracts.datasets import ALL_DATASETS, get_dataset
from energylake.errors import InvalidRequestError, StorageError
from energylake.fetch import Connection, live_connection
from energylake.gold import ENGINES, GoldEngine, check_engine
from energylake.lake.layout import LakeUri
from energylake.lake.storage import Storage, open_storage
from energylake.local.runner import ALL_STAGES
from energylake.local.warehouse_lock import DEFAULT_WAIT_SECONDS
from energylake.settings import load_settings
from energylake.timeconv import local_day_bounds_utc
from energylake.window import Window, parse_day

DEFAULT_LAKE = "./lake"
DEFAULT_CHUNK_DAYS = 7


class UsageError(Exception):
    pass


DESCRIPTION = """\
energylake: ERCOT grid data and Open-Meteo weather -> raw lake -> silver Parquet -> gold -> DuckDB warehouse.

  run        fetch -> curate -> gold -> warehouse -> dashboard for a window
  backfill   the same over a long window, in resumable chunks (--plan prints the plan and stops)
  fetch      sources -> raw only
  reprocess  raw -> silver -> gold -> warehouse, without fetching (--silver-only: raw -> silver)
  gold       silver -> gold;  load: silver + gold -> warehouse;  dashboard: warehouse -> HTML
  status     what the lake and the warehouse hold;  ls: the raw zone

Exit codes: 0 success; 1 failed (one line: what failed and what to do; nothing partial is kept, reruns are safe);
2 bad usage or input (one line, nothing written); 3 finished, with quarantined groups (one line each);
130 interrupted (rerun to resume).
"""


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Help that shows every option's default (unless its text already says it)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        shown = action.default not in (None, False, argparse.SUPPRESS) and bool(action.option_strings)
        if shown and "default" not in text:
            text += f" (default {action.default})"
        return text


class Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _path_arguments() -> Parser:
    shared = Parser(add_help=False)
    shared.add_argument("--lake", default=DEFAULT_LAKE, help="lake folder or s3://bucket/prefix (default ./lake)")
    shared.add_argument("--warehouse", help="DuckDB file (default <lake>/warehouse.duckdb)")
    shared.add_argument(
        "--warehouse-wait",
        type=float,
        default=DEFAULT_WAIT_SECONDS,
        metavar="SECONDS",
        help="how long to wait for another process (a notebook, another run) to release the warehouse file",
    )
    return shared


def _window_arguments() -> Parser:
    shared = Parser(add_help=False)
    shared.add_argument("--start", required=True, help="first operating day, YYYY-MM-DD (America/Chicago)")
    shared.add_argument("--end", required=True, help="last operating day, YYYY-MM-DD (inclusive)")
    shared.add_argument(
        "--dataset",
        action="append",
        dest="datasets",
        metavar="NAME",
        help=f"repeatable; default all of: {' '.join(ALL_DATASETS)}",
    )
    shared.add_argument("--json", action="store_true", help="print the result as JSON")
    return shared


def _source_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        choices=("live", "sample"),
        default="live",
        help="live: the ERCOT and Open-Meteo APIs; sample: the offline sample",
    )


def _engine_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="duckdb",
        help="what builds gold: duckdb (default, in process) or spark (local Spark: needs pyspark and Java 17)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = Parser(prog="energylake", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"energylake {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    paths, window = _path_arguments(), _window_arguments()

    run = commands.add_parser(
        "run", parents=[window, paths], help="the whole pipeline for a window, then the dashboard"
    )
    _source_argument(run)
    _engine_argument(run)
    run.add_argument("--out", help="dashboard HTML file (default <lake>/dashboard.html)")

    backfill = commands.add_parser("backfill", parents=[window, paths], help="a long window in resumable chunks")
    _source_argument(backfill)
    _engine_argument(backfill)
    backfill.add_argument("--chunk-days", type=int, default=DEFAULT_CHUNK_DAYS, help="days per chunk (default 7)")
    backfill.add_argument(
        "--stages",
        default=",".join(ALL_STAGES),
        help=f"comma-separated stages to run per chunk (default {','.join(ALL_STAGES)})",
    )
    backfill.add_argument("--out", help="dashboard HTML file (default <lake>/dashboard.html)")
    backfill.add_argument(
        "--sample-today",
        metavar="YYYY-MM-DD",
        help="with --source sample: the sample's today (default the day after --end); a window older than 90 days "
        "then comes through the archive or the yearly files, as it would live",
    )
    backfill.add_argument(
        "--plan",
        action="store_true",
        help="print the plan (days per door, requests, the least time ERCOT's limit allows) and exit, writing nothing",
    )

    fetch = commands.add_parser("fetch", parents=[window, paths], help="fetch raw ERCOT and Open-Meteo replies")
    _source_argument(fetch)
    reprocess = commands.add_parser(
        "reprocess", parents=[window, paths], help="raw -> silver -> gold -> warehouse for a window, without fetching"
    )
    reprocess.add_argument("--silver-only", action="store_true", help="stop after curation (raw -> silver)")
    reprocess.add_argument(
        "--rebuild-manifests",
        action="store_true",
        help="first rebuild the manifest of every group whose raw objects have none (deleted, or a fetch that died "
        "before sealing it) from the objects' own metadata; without it such objects are only reported",
    )
    _engine_argument(reprocess)
    gold = commands.add_parser("gold", parents=[window, paths], help="build the hourly gold tables from silver")
    _engine_argument(gold)
    commands.add_parser("load", parents=[window, paths], help="upsert silver and gold into the DuckDB warehouse")

    dashboard = commands.add_parser("dashboard", parents=[paths], help="write the HTML dashboard from the warehouse")
    dashboard.add_argument("--out", help="HTML file (default <lake>/dashboard.html)")
    # Not --start/--end's window dests: the dashboard narrows what the warehouse holds, it names no datasets to run.
    dashboard.add_argument("--start", dest="from_day", metavar="YYYY-MM-DD", help="first operating day shown")
    dashboard.add_argument("--end", dest="to_day", metavar="YYYY-MM-DD", help="last operating day shown (inclusive)")
    dashboard.add_argument("--zone", help="one weather zone (e.g. COAST): zone charts show only it")
    dashboard.add_argument("--hub", help="one settlement point (e.g. HB_NORTH, LZ_HOUSTON): price charts show only it")
    status = commands.add_parser("status", parents=[paths], help="what the lake and the warehouse hold")
    status.add_argument("--json", action="store_true", help="print the status as JSON")
    commands.add_parser("ls", parents=[paths], help="list the raw zone: objects and days per dataset")
    return parser


# --- validation: everything is checked before anything is written ---------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """A command's checked inputs: the lake (opened once, passed unchanged to every stage), the warehouse and
    dashboard files, and for window commands the window and datasets."""

    lake_uri: str  # as the user gave it
    lake: Storage
    warehouse: str
    dashboard: str
    window: Window | None
    datasets: tuple[str, ...]
    engine: GoldEngine = "duckdb"  # what builds gold, checked usable when the command builds gold
    warehouse_wait: float = DEFAULT_WAIT_SECONDS  # seconds to wait for another process to release the warehouse

    @property
    def local_lake(self) -> Path | None:
        return self.lake.location.path


def _nearest_existing(path: Path) -> Path:
    return next((p for p in (path, *path.parents) if p.exists()), Path("."))


def _check_writable(path: Path, what: str, *, folder: bool) -> None:
    """Raise InvalidRequestError unless ``path`` (a folder or a file, existing or not) can be written."""
    if path.exists():
        if folder != path.is_dir():
            raise InvalidRequestError(
                f"{what} {str(path)!r} is not writable: it is {'a file' if folder else 'a folder'}"
            )
        if not folder:
            if not os.access(path, os.W_OK):
                raise InvalidRequestError(f"{what} {str(path)!r} is not writable")
            return
    anchor = _nearest_existing(path if folder else path.parent)
    if not anchor.is_dir():
        raise InvalidRequestError(f"{what} {str(path)!r} is not writable: {str(anchor)!r} is a file")
    if not os.access(anchor, os.W_OK | os.X_OK):
        raise InvalidRequestError(f"{what} {str(path)!r} is not writable: no write permission in {str(anchor)!r}")
    try:  # permissions can lie (root, read-only mounts, /proc): try it, leaving nothing behind
        with tempfile.TemporaryFile(dir=anchor, prefix=".energylake-probe-"):
            pass
    except OSError as exc:
        raise InvalidRequestError(
            f"{what} {str(path)!r} is not writable: cannot create files in {str(anchor)!r} ({exc.strerror or exc})"
        ) from None


def checked_plan(args: argparse.Namespace, *, writes: bool = True) -> Plan:
    window: Window | None = None
    datasets: tuple[str, ...] = ()
    if getattr(args, "start", None) is not None:
        window = Window.parse(args.start, args.end)
        datasets = tuple(get_dataset(name).name for name in (args.datasets or ALL_DATASETS))
    lake_uri: str = args.lake
    try:
        location = LakeUri.parse(lake_uri)
    except StorageError as exc:
        raise InvalidRequestError(str(exc)) from None
    remote = location.path is None
    if not remote and Path(lake_uri).exists() and not Path(lake_uri).is_dir():
        raise InvalidRequestError(f"lake folder {lake_uri!r} is a file, not a lake folder: pass the lake's folder")
    if remote and not args.warehouse:
        raise InvalidRequestError(f"with a remote lake ({lake_uri}) pass --warehouse FILE (a local DuckDB file)")
    warehouse = args.warehouse or str(Path(lake_uri) / "warehouse.duckdb")
    out = getattr(args, "out", None)
    if remote and not out:
        out = str(Path(warehouse).with_name("dashboard.html"))
    dashboard = out or str(Path(lake_uri) / "dashboard.html")
    if "://" in warehouse or "://" in dashboard:
        raise InvalidRequestError("--warehouse and --out must be local files")
    if writes:
        if not remote:
            _check_writable(Path(lake_uri), "lake folder", folder=True)
        _check_writable(Path(warehouse), "warehouse file", folder=False)
        if out or args.command in ("run", "backfill", "dashboard"):
            _check_writable(Path(dashboard), "dashboard file", folder=False)
    engine = check_engine(args.engine) if _builds_gold(args) else "duckdb"
    wait = float(getattr(args, "warehouse_wait", DEFAULT_WAIT_SECONDS))
    if wait < 0:
        raise InvalidRequestError(f"--warehouse-wait must be 0 or more seconds, got {wait:g}")
    return Plan(lake_uri, open_storage(lake_uri), warehouse, dashboard, window, datasets, engine, wait)


def _builds_gold(args: argparse.Namespace) -> bool:
    """Whether the command runs the gold stage (then its engine must be usable before anything runs)."""
    if args.command in ("run", "gold"):
        return True
    if args.command == "reprocess":
        return not args.silver_only
    if args.command == "backfill":
        return not args.plan and "gold" in {stage.strip() for stage in str(args.stages).split(",")}
    return False


def source_connection(source: str, window: Window, *, sample_today: str | None = None) -> Connection:
    """The live sources, or the offline sample with its clock early on ``sample_today`` (default the day after the
    window, so its dashboards cover the window's end, as the real ones cover yesterday and today)."""
    settings = load_settings()
    if source == "sample":
        from energylake import sample

        today = parse_day(sample_today, field="--sample-today") if sample_today else window.end + dt.timedelta(days=1)
        sample_now = local_day_bounds_utc(today)[0] + dt.timedelta(hours=6)
        return sample.connection(settings, now=sample_now)
    if sample_today:
        raise InvalidRequestError("--sample-today sets the sample source's clock: use it with --source sample")
    return live_connection(settings)
