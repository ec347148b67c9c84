"""The ``energylake`` command's output: JSON-lines logs in the lake, progress bars, tables and the closing summary.

rich is a local-only library (the ``local`` extra): it is imported here and nowhere else.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from energylake.errors import EnergylakeError, StageError, WarehouseBusyError, lock_holder, one_line
from energylake.lake.layout import LOG_FILE
from energylake.lake.storage import Storage
from energylake.local.options import Plan
from energylake.local.runner import PipelineReport, interrupt_aware, timed
from energylake.plan import OPEN_METEO_FREE_CALLS_PER_DAY, OPEN_METEO_FREE_CALLS_PER_HOUR, FetchPlan
from energylake.window import Window

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

logger = logging.getLogger("energylake.cli")


class JsonLines(logging.Formatter):
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


class _LogFile(logging.FileHandler):
    """The lake's log file, which a full disk must not turn into a traceback per record on stderr (logging's
    default) nor into an error at close that hides the stage's: the first failure stops it and is kept."""

    failure: OSError | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self.failure is None:
            super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        failure = sys.exc_info()[1]
        self.failure = failure if isinstance(failure, OSError) else OSError(str(failure))

    def close(self) -> None:
        try:
            super().close()  # flushes: the disk may still be full
        except OSError as exc:
            self.failure = self.failure or exc


class _TerminalLine(logging.Formatter):
    """Warnings on the terminal as one line each; tracebacks go to the log file only."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname} {record.name}: {one_line(record.getMessage())}"


@contextmanager
def log_file(plan: Plan, command: str) -> Iterator[Path | None]:
    """JSON-lines logs of the ``energylake`` loggers in ``<lake>/logs/energylake.log`` (local lakes).

    The terminal gets warnings only, one line each: errors become the command's closing line (the CLI prints it),
    and their tracebacks stay in the file."""
    lake = plan.local_lake
    if lake is None:
        yield None
        return
    path = lake / LOG_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = _LogFile(path, encoding="utf-8")
    handler.setFormatter(JsonLines())
    handler.setLevel(logging.INFO)
    # The file gets INFO and up; the terminal keeps only warnings (the progress bar and summary say the rest).
    terminal = logging.StreamHandler(sys.stderr)
    terminal.setLevel(logging.WARNING)
    terminal.addFilter(lambda record: record.levelno < logging.ERROR)
    terminal.setFormatter(_TerminalLine())
    package = logging.getLogger("energylake")
    previous = package.level, package.propagate
    package.addHandler(handler)
    package.addHandler(terminal)
    package.setLevel(logging.INFO)
    package.propagate = False
    logger.info("energylake %s started", command, extra={"command": command, "lake": plan.lake_uri})
    finished = False
    try:
        yield path
        finished = True
    except StageError as exc:
        logger.error("%s", exc, extra={"stage": exc.stage, "dataset": exc.dataset, "day": exc.day})
        raise
    except EnergylakeError as exc:
        logger.error("%s failed: %s", command, exc)
        raise
    except Exception:  # not ours (DuckDB, the OS): the CLI prints one line; the traceback belongs in the file
        logger.exception("%s failed", command)
        raise
    finally:
        package.removeHandler(handler)
        package.removeHandler(terminal)
        package.setLevel(previous[0])
        package.propagate = previous[1]
        handler.close()
        if handler.failure is not None and finished:
            print(f"warning: the log {path} is incomplete: {handler.failure}", file=sys.stderr)


def make_console(*, stderr: bool = False) -> Console:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, width=None if stream.isatty() else 140, highlight=False)


def make_progress() -> Progress:
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
        console=make_console(stderr=True),
        transient=True,
    )


def table_rows(warehouse: str, window: Window | None = None) -> dict[str, dict[str, Any]]:
    """Rows, first and last time per warehouse table (empty when the file does not exist); with ``window``, also
    ``in_window``: the rows whose time lies in the window's UTC bounds."""
    if not Path(warehouse).is_file():
        return {}
    import duckdb

    from energylake.warehouse.model import WAREHOUSE

    try:
        con = duckdb.connect(warehouse, read_only=True)
    except duckdb.IOException as exc:
        if "Could not set lock" not in str(exc):
            raise
        holder = lock_holder(str(exc))
        raise WarehouseBusyError(
            f"the warehouse {warehouse} is being written by {holder or 'another process'}, so it cannot be read now. "
            "What to do: wait for that run or connection to finish, then rerun",
            holder=holder,
        ) from None
    try:
        present = {str(row[0]) for row in con.sql("SELECT table_name FROM information_schema.tables").fetchall()}
        rows: dict[str, dict[str, Any]] = {}
        for table in WAREHOUSE.tables:
            if table.name not in present:
                continue
            time = table.time_column
            count, first, last = con.sql(
                f"SELECT count(*), min({time}), max({time}) FROM {table.name}"  # noqa: S608 (model names)
            ).fetchall()[0]
            rows[table.name] = {
                "rows": int(count),
                "first": first.isoformat() if first else None,
                "last": last.isoformat() if last else None,
            }
            if window is not None:
                (inside,) = con.execute(
                    f"SELECT count(*) FROM {table.name} WHERE {time} >= ? AND {time} < ?",  # noqa: S608 (model names)
                    [window.start_utc, window.end_utc],
                ).fetchall()[0]
                rows[table.name]["in_window"] = int(inside)
        return rows
    finally:
        con.close()


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]], *, names: int = 1) -> Table:
    """A rich table: the first ``names`` columns left-aligned (names), the others right-aligned (numbers)."""
    from rich.table import Table

    table = Table(title=title)
    for index, column in enumerate(columns):
        table.add_column(column, justify="left" if index < names else "right")
    for row in rows:
        table.add_row(*row)
    return table


def written_cell(written: int | None, rows_in_window: int) -> str:
    """What the load did to one table, for a reader: rows new or changed; "unchanged" when the table already held
    every row of the window (a rerun: the load upserts and rewrites only rows whose values changed); "none in the
    window" when there was nothing to load; "-" when the run did not load it. A bare "0" read like a failure."""
    if written is None:
        return "-"
    if written == 0:
        return "unchanged" if rows_in_window else "none in the window"
    return f"{written:,}"


def rejection_reasons(quality_report: Mapping[str, Any]) -> list[tuple[str, int, str]]:
    """Why a curated group's rows were rejected, from its quality report: (check, rows it rejected, one example's
    reason) per ``reject_rows`` check that rejected any (a row failing two checks counts in both)."""
    reasons: list[tuple[str, int, str]] = []
    for check in quality_report.get("checks", []):
        failures = int(check.get("failures", 0) or 0)
        if check.get("severity") != "reject_rows" or failures <= 0:
            continue
        examples = check.get("examples") or [{}]
        reasons.append((str(check.get("name", "?")), failures, str(examples[0].get("reason", ""))))
    return reasons


def read_quality_report(lake: Storage, key: str | None) -> dict[str, Any]:
    """A quality report from the lake; an empty one when it is missing or unreadable (status must not fail on it)."""
    if not key:
        return {}
    try:
        document = json.loads(lake.get(key))
    except (EnergylakeError, OSError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}


def rejected_rows_lines(report: PipelineReport, lake: Storage) -> list[str]:
    """One line per dataset and check that rejected rows in this run: how many, an example, and where they are."""
    totals: dict[tuple[str, str], list[Any]] = {}  # (dataset, check) -> [rows, groups, example]
    for result in report.curated:
        if result.status != "passed" or not result.rows_rejected:
            continue
        reasons = rejection_reasons(read_quality_report(lake, result.report_key))
        for check, rows, example in reasons or [("reason not recorded", result.rows_rejected, "")]:
            entry = totals.setdefault((result.dataset, check), [0, 0, example])
            entry[0] += rows
            entry[1] += 1
    return [
        f"rejected {rows:,} {dataset} row(s) in {groups} group(s), {check}"
        + (f", e.g. {example}" if example else "")
        + f"; kept in quarantine/dataset={dataset}/date=*/*/rejected.parquet"
        for (dataset, check), (rows, groups, example) in totals.items()
    ]


def summary(report: PipelineReport, plan: Plan, dashboard: str | None, log: Path | None) -> None:
    """The closing summary: rows per warehouse table, quality failures, time per stage, where things are."""
    console = make_console()
    totals = table_rows(plan.warehouse, plan.window)
    if report.loaded_rows or totals:
        written = report.loaded_rows
        rows = [
            [
                name,
                written_cell(written.get(name), totals.get(name, {}).get("in_window", 0)),
                f"{totals.get(name, {}).get('rows', 0):,}",
            ]
            for name in sorted(set(written) | set(totals))
        ]
        console.print(table("warehouse tables", ("table", "rows new or changed", "rows in table"), rows))
        if written and not any(written.values()):
            console.print("warehouse unchanged: it already held every row this run loaded", markup=False)
    quality = report.quality()
    if quality:
        columns = ("dataset", "groups passed", "groups failed", "rows in", "rows out", "rows rejected")
        keys = ("passed", "failed", "rows_in", "rows_out", "rows_rejected")
        console.print(
            table("quality", columns, [[name, *(f"{row[k]:,}" for k in keys)] for name, row in quality.items()])
        )
    if report.seconds:
        timing = [[stage, f"{seconds:.1f}"] for stage, seconds in report.seconds.items()]
        timing.append(["total", f"{sum(report.seconds.values()):.1f}"])
        console.print(table("time per stage", ("stage", "seconds"), timing))
    for result in report.curated:
        if result.status == "failed":
            console.print(f"quarantined {result.dataset} {result.group}: {result.reason}", markup=False)
    for line in rejected_rows_lines(report, plan.lake):
        console.print(line, markup=False, soft_wrap=True)
    quarantined = sum(row["failed"] for row in quality.values())
    rejected = sum(row["rows_rejected"] for row in quality.values())
    if quarantined or rejected:
        what = [f"{quarantined} group(s) quarantined"] if quarantined else []
        what += [f"{rejected:,} row(s) rejected"] if rejected else []
        console.print(
            f"warning: {' and '.join(what)}; see `energylake status --lake {plan.lake_uri}`",
            markup=False,
            soft_wrap=True,
        )
    for label, where in (
        ("warehouse", plan.warehouse if report.loaded_rows else None),
        ("dashboard", dashboard),
        ("log", log),
    ):
        if where:
            console.print(f"{label}: {where}", markup=False)


def duration(minutes: float) -> str:
    """``minutes`` for a reader: "45 min", "7 h 32 min", "3 d 4 h"."""
    whole = round(minutes)
    if whole < 60:
        return f"{minutes:.1f} min" if minutes < 10 else f"{whole} min"
    hours, rest = divmod(whole, 60)
    if hours < 24:
        return f"{hours} h {rest:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def print_backfill_plan(
    fetch_plan: FetchPlan | None, *, window: Window, chunk_days: int, chunks: int, pending: int, sample: bool
) -> None:
    """The plan a backfill prints before it starts: days per door per dataset, the requests they take, and the
    least time ERCOT's and Open-Meteo's limits allow for them; then the days no door reaches, and why."""
    console = make_console()
    done = f", {chunks - pending} already done" if pending < chunks else ""
    console.print(
        f"backfill {window}: {chunks} chunk(s) of at most {chunk_days} days (a calendar year where ERCOT's yearly "
        f"files serve every ERCOT dataset){done}; {pending} to run",
        markup=False,
        soft_wrap=True,
    )
    if fetch_plan is None:
        console.print("no fetch stage: nothing is requested from ERCOT or Open-Meteo", markup=False)
        return
    rows: list[list[str]] = []
    for dataset in fetch_plan.datasets:
        for door in dataset.doors:
            spans = str(door.spans[0]) if len(door.spans) == 1 else f"{len(door.spans)} spans, {door.spans[0].start}.."
            if len(door.spans) > 1:
                spans += str(door.spans[-1].end)
            files = f"{door.documents:,}" if door.documents else "-"
            if dataset.is_weather:
                files = f"{door.calls:,.0f} calls"
            rows.append([dataset.dataset, door.door, f"{door.days:,}", spans, files, f"{door.requests:,}"])
        if dataset.tokens:
            rows.append([dataset.dataset, "token", "-", "-", "-", f"{dataset.tokens:,}"])
        if dataset.unreachable_days:
            rows.append([dataset.dataset, "(unreachable)", f"{dataset.unreachable_days:,}", "-", "-", "0"])
    seen = "credentials" if fetch_plan.credentials else "no credentials"
    title = f"fetch plan seen from {fetch_plan.today} ({seen}): days per door and requests"
    console.print(table(title, ("dataset", "door", "days", "days span", "documents", "requests"), rows, names=2))
    free_tier = (
        f"; free tier {OPEN_METEO_FREE_CALLS_PER_HOUR:,}/h, {OPEN_METEO_FREE_CALLS_PER_DAY:,}/day"
        if fetch_plan.open_meteo_free_tier
        else ""
    )
    limits = [
        [
            "ERCOT",
            f"{fetch_plan.ercot_requests:,}",
            f"{fetch_plan.ercot_requests_per_minute:g} requests/min",
            duration(fetch_plan.ercot_minutes),
        ],
        [
            "Open-Meteo",
            f"{fetch_plan.open_meteo_requests:,} ({fetch_plan.open_meteo_calls:,.0f} calls)",
            f"{fetch_plan.open_meteo_requests_per_minute:g} calls/min{free_tier}",
            duration(fetch_plan.open_meteo_minutes),
        ],
        ["total", f"{fetch_plan.ercot_requests + fetch_plan.open_meteo_requests:,}", "", duration(fetch_plan.minutes)],
    ]
    console.print(
        table("requests and the least time the limits allow", ("source", "requests", "limit", "at least"), limits)
    )
    console.print(
        "a lower bound: requests over the limits, without retries, 429 waits, API days that answer no rows "
        "(fetched again from the archive), transfers or the other stages",
        markup=False,
        soft_wrap=True,
    )
    if sample:
        console.print("the sample source answers offline without limits: the times are the live sources'", markup=False)
    for dataset in fetch_plan.datasets:
        for item in dataset.unreachable:
            console.print(
                f"unreachable: {dataset.dataset} {item.span} ({item.span.days_count:,} days): {item.reason}",
                markup=False,
                soft_wrap=True,  # one line each: a reason is long, and people grep these
            )


def write_dashboard(plan: Plan, report: PipelineReport | None = None, *, synthetic: bool = False) -> str:
    """Write the HTML dashboard from the warehouse (timed in ``report`` when given); a failure is a StageError.
    ``synthetic``: the run's data came from the offline sample source, which the page says."""
    from energylake.local.dashboard import write_dashboard as write

    Path(plan.dashboard).parent.mkdir(parents=True, exist_ok=True)
    with timed(report, "dashboard") if report is not None else nullcontext(), interrupt_aware():
        try:
            return write(plan.warehouse, plan.dashboard, synthetic=synthetic)
        except Exception as exc:
            logger.exception("dashboard failed")
            raise StageError("dashboard", dataset=plan.warehouse, day="the whole warehouse", cause=exc) from exc
