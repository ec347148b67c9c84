"""The ``energylake`` command's output: JSON-lines logs in the lake, progress bars, tables and the closing summary.

rich is a local-only library (the ``local`` extra): it is imported here and nowhere else.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from energylake.errors import EnergylakeError, StageError
from energylake.lake.layout import LOG_FILE
from energylake.local.options import Plan
from energylake.local.runner import PipelineReport, timed

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


@contextmanager
def log_file(plan: Plan, command: str) -> Iterator[Path | None]:
    """JSON-lines logs of the ``energylake`` loggers in ``<lake>/logs/energylake.log`` (local lakes)."""
    lake = plan.local_lake
    if lake is None:
        yield None
        return
    path = lake / LOG_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(JsonLines())
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


def table_rows(warehouse: str) -> dict[str, dict[str, Any]]:
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


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> Table:
    """A rich table: the first column left-aligned (names), the others right-aligned (numbers)."""
    from rich.table import Table

    table = Table(title=title)
    for index, column in enumerate(columns):
        table.add_column(column, justify="left" if index == 0 else "right")
    for row in rows:
        table.add_row(*row)
    return table


def summary(report: PipelineReport, plan: Plan, dashboard: str | None, log: Path | None) -> None:
    """The closing summary: rows per warehouse table, quality failures, time per stage, where things are."""
    console = make_console()
    totals = table_rows(plan.warehouse)
    if report.loaded_rows or totals:
        written = report.loaded_rows
        rows = [
            [name, f"{written[name]:,}" if name in written else "-", f"{totals.get(name, {}).get('rows', 0):,}"]
            for name in sorted(set(written) | set(totals))
        ]
        console.print(table("warehouse tables", ("table", "rows written", "rows in table"), rows))
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


def write_dashboard(plan: Plan, report: PipelineReport | None = None) -> str:
    """Write the HTML dashboard from the warehouse (timed in ``report`` when given); a failure is a StageError."""
    from energylake.local.dashboard import write_dashboard as write

    Path(plan.dashboard).parent.mkdir(parents=True, exist_ok=True)
    with timed(report, "dashboard") if report is not None else nullcontext():
        try:
            return write(plan.warehouse, plan.dashboard)
        except Exception as exc:
            logger.exception("dashboard failed")
            raise StageError("dashboard", dataset=plan.warehouse, day="the whole warehouse", cause=exc) from exc
