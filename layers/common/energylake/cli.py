"""The ``energylake`` command: the local door into the same stages the Lambdas run.

  run        fetch -> curate -> gold (Spark) -> warehouse (DuckDB) -> dashboard, for a window
  backfill   the same over a long window, in chunks, resumable after an interruption
  fetch      sources -> raw only
  reprocess  raw -> silver -> gold -> warehouse, without fetching (--silver-only: raw -> silver)
  gold       silver -> gold;  load: silver + gold -> warehouse;  dashboard: warehouse -> HTML
  status     what the lake and the warehouse hold;  ls: the raw zone

Every command takes --lake (default ./lake) and --warehouse (default <lake>/warehouse.duckdb).
Exit codes: 0 success; 1 the pipeline failed (the message names the stage, dataset and date, and what to do);
2 bad usage or bad input (one line on stderr, and nothing is written).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, cast

from energylake.backfill import ALL_STAGES, BackfillState, PipelineReport, StageError, run_pipeline, timed
from energylake.datasets import ALL_DATASETS, get_dataset
from energylake.errors import ConfigurationError, EnergylakeError, InvalidRequestError
from energylake.lake import QUALITY_ZONE, QUARANTINE_ZONE, SILVER_ZONE, list_raw
from energylake.settings import Settings
from energylake.storage import open_storage
from energylake.timeconv import local_day_bounds_utc
from energylake.window import Window

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from energylake.stages import Connection

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEFAULT_LAKE = "./lake"
DEFAULT_CHUNK_DAYS = 7
LOG_FILE = "logs/energylake.log"

logger = logging.getLogger("energylake.cli")


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


# --- arguments ----------------------------------------------------------------------------------------------------


def _path_arguments() -> _Parser:
    shared = _Parser(add_help=False)
    shared.add_argument("--lake", default=DEFAULT_LAKE, help="lake folder or s3://bucket/prefix (default ./lake)")
    shared.add_argument("--warehouse", help="DuckDB file (default <lake>/warehouse.duckdb)")
    return shared


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
    shared.add_argument("--json", action="store_true", help="print the result as JSON")
    return shared


def _source_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", choices=("live", "sample"), default="live", help="live APIs or the offline sample")


def _build_parser() -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = _Parser(
        prog="energylake", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    paths, window = _path_arguments(), _window_arguments()

    run = commands.add_parser(
        "run", parents=[window, paths], help="the whole pipeline for a window, then the dashboard"
    )
    _source_argument(run)
    run.add_argument("--out", help="dashboard HTML file (default <lake>/dashboard.html)")

    backfill = commands.add_parser("backfill", parents=[window, paths], help="a long window in resumable chunks")
    _source_argument(backfill)
    backfill.add_argument("--chunk-days", type=int, default=DEFAULT_CHUNK_DAYS, help="days per chunk (default 7)")
    backfill.add_argument(
        "--stages",
        default=",".join(ALL_STAGES),
        help=f"comma-separated stages to run per chunk (default {','.join(ALL_STAGES)})",
    )
    backfill.add_argument("--out", help="dashboard HTML file (default <lake>/dashboard.html)")

    fetch = commands.add_parser("fetch", parents=[window, paths], help="fetch raw ERCOT and Open-Meteo replies")
    _source_argument(fetch)
    reprocess = commands.add_parser(
        "reprocess", parents=[window, paths], help="raw -> silver -> gold -> warehouse for a window, without fetching"
    )
    reprocess.add_argument("--silver-only", action="store_true", help="stop after curation (raw -> silver)")
    commands.add_parser("gold", parents=[window, paths], help="build the hourly gold tables from silver with Spark")
    commands.add_parser("load", parents=[window, paths], help="upsert silver and gold into the DuckDB warehouse")

    dashboard = commands.add_parser("dashboard", parents=[paths], help="write the HTML dashboard from the warehouse")
    dashboard.add_argument("--out", help="HTML file (default <lake>/dashboard.html)")
    status = commands.add_parser("status", parents=[paths], help="what the lake and the warehouse hold")
    status.add_argument("--json", action="store_true", help="print the status as JSON")
    commands.add_parser("ls", parents=[paths], help="list the raw zone: objects and days per dataset")
    return parser


# --- validation: everything is checked before anything is written ---------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """A command's checked inputs."""

    lake_uri: str
    warehouse: str
    dashboard: str
    window: Window | None
    datasets: tuple[str, ...]

    @property
    def local_lake(self) -> Path | None:
        return None if "://" in self.lake_uri else Path(self.lake_uri)


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


def _plan(args: argparse.Namespace, *, writes: bool = True) -> _Plan:
    window: Window | None = None
    datasets: tuple[str, ...] = ()
    if getattr(args, "start", None) is not None:
        window = Window.parse(args.start, args.end)
        datasets = tuple(get_dataset(name).name for name in (args.datasets or ALL_DATASETS))
    lake_uri: str = args.lake
    remote = "://" in lake_uri
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
    return _Plan(lake_uri, warehouse, dashboard, window, datasets)


def _connection(source: str, window: Window) -> Connection:
    from energylake.stages import live_connection, sample_connection

    settings = Settings()
    if source == "sample":
        # The sample's clock sits early on the day after the window, so its dashboards cover the window's end.
        sample_now = local_day_bounds_utc(window.end + dt.timedelta(days=1))[0] + dt.timedelta(hours=6)
        return sample_connection(settings, now=sample_now)
    return live_connection(settings)


# --- logs, progress, tables ---------------------------------------------------------------------------------------


class _JsonLines(logging.Formatter):
    _STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in self._STANDARD and not k.startswith("_")})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


@contextmanager
def _log_file(plan: _Plan, command: str) -> Iterator[Path | None]:
    """JSON-lines logs of the ``energylake`` loggers in ``<lake>/logs/energylake.log`` (local lakes)."""
    lake = plan.local_lake
    if lake is None:
        yield None
        return
    path = lake / LOG_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(_JsonLines())
    handler.setLevel(logging.INFO)
    # The file gets INFO and up; the terminal keeps only warnings (the progress bar and summary say the rest).
    terminal = logging.StreamHandler(sys.stderr)
    terminal.setLevel(logging.WARNING)
    terminal.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    package = logging.getLogger("energylake")
    previous = package.level, package.propagate
    package.addHandler(handler)
    package.addHandler(terminal)
    package.setLevel(logging.INFO)
    package.propagate = False
    logger.info("energylake %s started", command, extra={"command": command, "lake": plan.lake_uri})
    try:
        yield path
    except StageError as exc:
        logger.error("%s", exc, extra={"stage": exc.stage, "dataset": exc.dataset, "day": exc.day})
        raise
    except EnergylakeError as exc:
        logger.error("%s failed: %s", command, exc)
        raise
    finally:
        package.removeHandler(handler)
        package.removeHandler(terminal)
        package.setLevel(previous[0])
        package.propagate = previous[1]
        handler.close()


def _console(*, stderr: bool = False) -> Console:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, width=None if stream.isatty() else 140, highlight=False)


def _progress() -> Progress:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=_console(stderr=True),
        transient=True,
    )


def _table_rows(warehouse: str) -> dict[str, dict[str, Any]]:
    """Rows, first and last time per warehouse table (empty when the file does not exist)."""
    if not Path(warehouse).is_file():
        return {}
    import duckdb

    from energylake.warehouse.model import WAREHOUSE

    con = duckdb.connect(warehouse, read_only=True)
    try:
        present = {str(row[0]) for row in con.sql("SELECT table_name FROM information_schema.tables").fetchall()}
        rows: dict[str, dict[str, Any]] = {}
        for table in WAREHOUSE.tables:
            if table.name not in present:
                continue
            count, first, last = con.sql(
                f"SELECT count(*), min({table.time_column}), max({table.time_column}) FROM {table.name}"  # noqa: S608 (model names)
            ).fetchall()[0]
            rows[table.name] = {
                "rows": int(count),
                "first": first.isoformat() if first else None,
                "last": last.isoformat() if last else None,
            }
        return rows
    finally:
        con.close()


def _table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> Table:
    """A rich table: the first column left-aligned (names), the others right-aligned (numbers)."""
    from rich.table import Table

    table = Table(title=title)
    for index, column in enumerate(columns):
        table.add_column(column, justify="left" if index == 0 else "right")
    for row in rows:
        table.add_row(*row)
    return table


def _summary(report: PipelineReport, plan: _Plan, dashboard: str | None, log: Path | None) -> None:
    """The closing summary: rows per warehouse table, quality failures, time per stage, where things are."""
    console = _console()
    totals = _table_rows(plan.warehouse)
    if report.loaded_rows or totals:
        written = report.loaded_rows
        rows = [
            [name, f"{written[name]:,}" if name in written else "-", f"{totals.get(name, {}).get('rows', 0):,}"]
            for name in sorted(set(written) | set(totals))
        ]
        console.print(_table("warehouse tables", ("table", "rows written", "rows in table"), rows))
    quality = report.quality()
    if quality:
        columns = ("dataset", "groups passed", "groups failed", "rows in", "rows out", "rows rejected")
        keys = ("passed", "failed", "rows_in", "rows_out", "rows_rejected")
        console.print(
            _table("quality", columns, [[name, *(f"{row[k]:,}" for k in keys)] for name, row in quality.items()])
        )
    if report.seconds:
        timing = [[stage, f"{seconds:.1f}"] for stage, seconds in report.seconds.items()]
        timing.append(["total", f"{sum(report.seconds.values()):.1f}"])
        console.print(_table("time per stage", ("stage", "seconds"), timing))
    for result in report.curated:
        if result.status == "failed":
            console.print(f"quarantined {result.dataset} {result.group}: {result.reason}", markup=False)
    quarantined = sum(row["failed"] for row in quality.values())
    if quarantined:
        console.print(f"warning: {quarantined} group(s) quarantined; see `energylake status --lake {plan.lake_uri}`")
    for label, where in (
        ("warehouse", plan.warehouse if report.loaded_rows else None),
        ("dashboard", dashboard),
        ("log", log),
    ):
        if where:
            console.print(f"{label}: {where}", markup=False)


# --- the dashboard (written by energylake.dashboard, which may not be installed) -------------------------------------


def _write_dashboard(plan: _Plan, report: PipelineReport | None = None) -> str | None:
    try:
        module = importlib.import_module("energylake.dashboard")
    except ModuleNotFoundError as exc:
        if exc.name != "energylake.dashboard":
            raise
        print(
            "note: the dashboard module is not available in this installation; skipped the dashboard", file=sys.stderr
        )
        return None
    write = cast(Callable[[str, str], str], module.write_dashboard)
    Path(plan.dashboard).parent.mkdir(parents=True, exist_ok=True)
    context = timed(report, "dashboard") if report is not None else _nothing()
    with context:
        try:
            return write(plan.warehouse, plan.dashboard)
        except Exception as exc:
            logger.exception("dashboard failed")
            raise StageError("dashboard", dataset=plan.warehouse, day="the whole warehouse", cause=exc) from exc


@contextmanager
def _nothing() -> Iterator[None]:
    yield


# --- commands -----------------------------------------------------------------------------------------------------


def _pipeline(plan: _Plan, stages: tuple[str, ...], connection: Connection | None) -> PipelineReport:
    assert plan.window is not None
    steps = (len(plan.datasets) if "fetch" in stages else 0) + (len(plan.datasets) if "curate" in stages else 0)
    steps += sum(stage in stages for stage in ("gold", "load"))
    with _progress() as progress:
        task = progress.add_task("starting", total=steps)
        started = [0]

        def step(message: str) -> None:
            progress.update(task, description=message, completed=started[0])
            started[0] += 1

        lake = open_storage(plan.lake_uri)
        report = run_pipeline(
            plan.window,
            plan.datasets,
            lake,
            plan.lake_uri,
            plan.warehouse,
            connection=connection,
            stages=stages,
            on_step=step,
        )
        progress.update(task, completed=steps)
    return report


def _run(args: argparse.Namespace) -> int:
    plan = _plan(args)
    assert plan.window is not None
    connection = _connection(args.source, plan.window)
    with _log_file(plan, "run") as log:
        report = _pipeline(plan, ALL_STAGES, connection)
        dashboard = _write_dashboard(plan, report)
        logger.info("run finished", extra={"window": str(plan.window), "seconds": report.seconds})
    if args.json:
        print(json.dumps(_report_json(report, plan, dashboard), indent=2))
    else:
        _summary(report, plan, dashboard, log)
    return EXIT_OK


def _report_json(report: PipelineReport, plan: _Plan, dashboard: str | None) -> dict[str, Any]:
    return {
        "window": str(plan.window),
        "lake": plan.lake_uri,
        "warehouse": plan.warehouse,
        "dashboard": dashboard,
        "loaded_rows": report.loaded_rows,
        "gold_rows": report.gold_rows,
        "quality": report.quality(),
        "seconds": {stage: round(seconds, 3) for stage, seconds in report.seconds.items()},
    }


def _backfill(args: argparse.Namespace) -> int:
    stages = tuple(stage.strip() for stage in str(args.stages).split(",") if stage.strip())
    unknown = [stage for stage in stages if stage not in ALL_STAGES]
    if unknown or not stages:
        raise InvalidRequestError(f"unknown stage {unknown[0] if unknown else ''!r}; stages: {','.join(ALL_STAGES)}")
    if args.chunk_days < 1:
        raise InvalidRequestError(f"--chunk-days must be at least 1, got {args.chunk_days}")
    plan = _plan(args)
    assert plan.window is not None
    ordered = tuple(stage for stage in ALL_STAGES if stage in stages)
    chunks = list(plan.window.chunks(args.chunk_days))
    with _log_file(plan, "backfill") as log:
        lake = open_storage(plan.lake_uri)
        state = BackfillState.load(lake, plan.window, ordered, tuple(plan.datasets))
        pending = [chunk for chunk in chunks if not state.is_done(chunk)]
        skipped = len(chunks) - len(pending)
        if skipped:
            print(f"resuming: {skipped} of {len(chunks)} chunks already done ({state.key})", file=sys.stderr)
        total = PipelineReport()
        with _progress() as progress:
            task = progress.add_task("backfill", total=len(pending))
            for chunk in pending:
                connection = _connection(args.source, chunk) if "fetch" in ordered else None

                def step(message: str, chunk: Window = chunk) -> None:
                    progress.update(task, description=f"chunk {chunk}: {message}")

                report = run_pipeline(
                    chunk,
                    plan.datasets,
                    lake,
                    plan.lake_uri,
                    plan.warehouse,
                    connection=connection,
                    stages=ordered,
                    on_step=step,
                )
                state.mark_done(chunk, report)
                logger.info("backfill chunk %s done", chunk, extra={"chunk": str(chunk), "seconds": report.seconds})
                total.merge(report)
                progress.advance(task)
        dashboard = _write_dashboard(plan, total) if "load" in ordered else None
    if args.json:
        print(json.dumps({**_report_json(total, plan, dashboard), "chunks": len(chunks), "skipped": skipped}, indent=2))
    else:
        _summary(total, plan, dashboard, log)
        print(f"backfill {plan.window}: {len(pending)} chunk(s) run, {skipped} skipped (already done)")
    return EXIT_OK


def _fetch(args: argparse.Namespace) -> int:
    plan = _plan(args)
    assert plan.window is not None
    connection = _connection(args.source, plan.window)
    with _log_file(plan, "fetch"):
        results = _pipeline(plan, ("fetch",), connection).fetched
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
    print(f"lake: {plan.lake_uri}")
    return EXIT_OK


def _reprocess(args: argparse.Namespace) -> int:
    plan = _plan(args)
    assert plan.window is not None
    stages: tuple[str, ...] = ("curate",) if args.silver_only else ("curate", "gold", "load")
    with _log_file(plan, "reprocess") as log:
        report = _pipeline(plan, stages, None)
    results = report.curated
    if args.json:
        print(json.dumps([result.as_dict() for result in results], indent=2))
    elif args.silver_only:
        print(f"{'dataset':<18} {'group':<22} {'status':<8} {'rows in':>8} {'out':>8} {'rejected':>8}")
        for result in results:
            print(
                f"{result.dataset:<18} {result.group:<22} {result.status:<8} {result.rows_in:>8} "
                f"{result.rows_out:>8} {result.rows_rejected:>8}"
            )
        for result in results:
            if result.status == "failed":
                print(f"quarantined {result.dataset} {result.group}: {result.reason}")
    else:
        _summary(report, plan, None, log)
    if not results:
        print(f"nothing to curate: no raw groups for {plan.window} in {plan.lake_uri} (run energylake fetch first)")
    failed = [result for result in results if result.status == "failed"]
    return EXIT_FAILED if failed and args.silver_only else EXIT_OK


def _gold(args: argparse.Namespace) -> int:
    plan = _plan(args)
    with _log_file(plan, "gold"):
        counts = _pipeline(plan, ("gold",), None).gold_rows
    print(json.dumps(counts, indent=2) if args.json else ", ".join(f"{name}: {n} rows" for name, n in counts.items()))
    return EXIT_OK


def _load(args: argparse.Namespace) -> int:
    plan = _plan(args)
    with _log_file(plan, "load"):
        counts = _pipeline(plan, ("load",), None).loaded_rows
    if args.json:
        print(json.dumps(counts, indent=2))
    else:
        for name, rows in counts.items():
            print(f"{name:<28} {rows:>10} rows written")
        print(f"warehouse: {plan.warehouse}")
    return EXIT_OK


def _dashboard(args: argparse.Namespace) -> int:
    plan = _plan(args)
    if not Path(plan.warehouse).is_file():
        raise InvalidRequestError(f"no warehouse at {plan.warehouse!r}: run `energylake run` (or load) first")
    with _log_file(plan, "dashboard"):
        written = _write_dashboard(plan)
    if written is None:
        return EXIT_FAILED
    print(f"dashboard: {written}")
    return EXIT_OK


# --- status and ls (read only) ------------------------------------------------------------------------------------


def _day_ranges(days: set[str]) -> list[str]:
    """Consecutive ISO days folded into 'first..last' ranges."""
    ranges: list[list[dt.date]] = []
    for day in sorted(dt.date.fromisoformat(d) for d in days if len(d) == 10):
        if ranges and day - ranges[-1][1] == dt.timedelta(days=1):
            ranges[-1][1] = day
        else:
            ranges.append([day, day])
    return [str(first) if first == last else f"{first}..{last}" for first, last in ranges]


def _partition(key: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in key.split("/") if "=" in part)


def _status_document(plan: _Plan) -> dict[str, Any]:
    lake = open_storage(plan.lake_uri)
    raw: dict[str, dict[str, Any]] = {}
    raw_days: dict[str, set[str]] = {}
    for key in list_raw(lake):
        parts = _partition(key)
        dataset = parts.get("dataset", "?")
        entry = raw.setdefault(dataset, {"source": parts.get("source", "?"), "objects": 0})
        entry["objects"] += 1
        raw_days.setdefault(dataset, set()).add(parts.get("date", "?"))
    for dataset, days in raw_days.items():
        raw[dataset].update(days=len(days), windows=_day_ranges(days))
    zones: dict[str, dict[str, int]] = {}

    def zone_row(dataset: str) -> dict[str, int]:
        return zones.setdefault(
            dataset,
            {"silver_files": 0, "reports": 0, "passed": 0, "failed": 0, "rows_rejected": 0, "quarantine_folders": 0},
        )

    for key in lake.list(f"{SILVER_ZONE}/"):
        if key.endswith(".parquet"):
            zone_row(_partition(key).get("dataset", "?"))["silver_files"] += 1
    quarantined: list[dict[str, Any]] = []
    for key in lake.list(f"{QUALITY_ZONE}/"):
        if not key.endswith(".json"):
            continue
        parts = _partition(key)
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
                    "group": key.rsplit("/", 1)[-1].removesuffix(".json"),
                    "why": "; ".join(str(reason) for reason in report.get("failed_because", [])) or "checks failed",
                }
            )
        else:
            row["passed"] += 1
    groups = {
        (_partition(key).get("dataset", "?"), key.split("/")[3])  # quarantine/dataset=/date=/<group>/<file>
        for key in lake.list(f"{QUARANTINE_ZONE}/")
        if len(key.split("/")) > 4
    }
    for dataset, _group in groups:
        zone_row(dataset)["quarantine_folders"] += 1
    return {
        "lake": plan.lake_uri,
        "raw": dict(sorted(raw.items())),
        "zones": dict(sorted(zones.items())),
        "quarantined": quarantined,
        "warehouse": {"path": plan.warehouse, "tables": _table_rows(plan.warehouse)},
    }


def _status(args: argparse.Namespace) -> int:
    plan = _plan(args, writes=False)
    lake = plan.local_lake
    if lake is not None and not lake.is_dir():
        print(f"{plan.lake_uri}: no lake here yet (run `energylake run` to create one)")
        return EXIT_OK
    document = _status_document(plan)
    if args.json:
        print(json.dumps(document, indent=2))
        return EXIT_OK
    from rich.table import Table

    console = _console()
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


def _ls(args: argparse.Namespace) -> int:
    lake = open_storage(args.lake)
    keys = list_raw(lake)
    counts: dict[tuple[str, str], int] = {}
    days: dict[tuple[str, str], set[str]] = {}
    for key in keys:
        parts = _partition(key)
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
    zones = {zone: len(list(lake.list(f"{zone}/"))) for zone in (SILVER_ZONE, QUALITY_ZONE, QUARANTINE_ZONE)}
    print(", ".join(f"{zone}: {count} objects" for zone, count in zones.items()))
    return EXIT_OK


_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "run": _run,
    "backfill": _backfill,
    "fetch": _fetch,
    "reprocess": _reprocess,
    "gold": _gold,
    "load": _load,
    "dashboard": _dashboard,
    "status": _status,
    "ls": _ls,
}


def main(argv: Sequence[str] | None = None) -> int:
    started = time.perf_counter()
    try:
        args = _build_parser().parse_args(argv)
    except _UsageError as exc:
        print(f"energylake: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return _COMMANDS[args.command](args)
    except (InvalidRequestError, ConfigurationError) as exc:
        print(f"energylake: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except StageError as exc:
        print(f"energylake: {args.command} failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except EnergylakeError as exc:
        print(f"energylake: {args.command} failed: {exc}", file=sys.stderr)
        print("Fix the cause and rerun (reruns are safe).", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(
            f"energylake: {args.command} interrupted after {time.perf_counter() - started:.0f} s; "
            "rerun the same command to resume (completed work is kept, reruns are safe)",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
