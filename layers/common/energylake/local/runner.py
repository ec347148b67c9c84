"""The whole local pipeline over a window: fetch -> curate -> gold -> warehouse, each stage optional.

:func:`run_pipeline` calls the same stage functions the Lambdas and the Glue job call, times every stage, and turns
any stage's failure into a :class:`~energylake.errors.StageError` that names the stage, the dataset (or table) and
the day, and says what to do. Every stage is idempotent, so a rerun after a failure is safe.

The CLI (:mod:`energylake.local.cli`) owns arguments, validation, progress bars and the summary table; this module
has no terminal output of its own (``on_step`` reports progress to whoever asks).
"""

from __future__ import annotations

import atexit
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import TYPE_CHECKING, Any, Literal, get_args

from energylake.contracts.datasets import in_catalog_order
from energylake.curate import CurateResult, new_run_id, reprocess
from energylake.errors import EnergylakeError, StageError
from energylake.fetch import Connection, FetchResult, fetch
from energylake.lake.layout import SPARK_LOG_FILE, parse_manifest_key
from energylake.lake.storage import LocalStorage, Storage
from energylake.window import Window

if TYPE_CHECKING:
    from energylake.gold import GoldEngine

logger = logging.getLogger(__name__)

Stage = Literal["fetch", "curate", "gold", "load"]
ALL_STAGES: tuple[Stage, ...] = get_args(Stage)


@dataclass
class PipelineReport:
    """What one run of the pipeline did, stage by stage (summed over chunks for a backfill)."""

    fetched: list[FetchResult] = field(default_factory=list)
    curated: list[CurateResult] = field(default_factory=list)
    gold_rows: dict[str, int] = field(default_factory=dict)
    loaded_rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def add_time(self, stage: str, seconds: float) -> None:
        self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds

    def merge(self, other: PipelineReport) -> None:
        self.fetched.extend(other.fetched)
        self.curated.extend(other.curated)
        for name, rows in other.gold_rows.items():
            self.gold_rows[name] = self.gold_rows.get(name, 0) + rows
        for name, rows in other.loaded_rows.items():
            self.loaded_rows[name] = self.loaded_rows.get(name, 0) + rows
        for stage, seconds in other.seconds.items():
            self.add_time(stage, seconds)

    def quality(self) -> dict[str, dict[str, int]]:
        """Per dataset: groups passed and failed (quarantined), rows in, out and rejected."""
        table: dict[str, dict[str, int]] = {}
        for result in self.curated:
            if result.status == "skipped":
                continue
            row = table.setdefault(
                result.dataset, {"passed": 0, "failed": 0, "rows_in": 0, "rows_out": 0, "rows_rejected": 0}
            )
            row["passed" if result.status == "passed" else "failed"] += 1
            row["rows_in"] += result.rows_in
            row["rows_out"] += result.rows_out
            row["rows_rejected"] += result.rows_rejected
        return table


StepCallback = Callable[[str], None]
_ENGINE_NAMES = {"duckdb": "DuckDB", "spark": "Spark"}


class _Interrupts:
    """Whether Ctrl-C (SIGINT) arrived while the pipeline ran.

    Libraries turn it into errors of their own: DuckDB stops the query and raises ``RuntimeError('Query
    interrupted')``; pyspark's own handler calls into the JVM from inside the interrupted py4j call (a reentrant
    read: ``Py4JError``, and py4j logs its tracebacks). Either would surface as a failed stage (exit 1, "check Java
    17"). So the pipeline's handler is ours (:meth:`reclaim` after Spark starts), it drops the libraries' log noise
    once it fired, and a stage error met after an interrupt is re-raised as the interrupt it is (exit 130)."""

    def __init__(self) -> None:
        self.seen = False
        self._handler: Callable[[int, FrameType | None], None] | None = None
        self._previous: Callable[[int, FrameType | None], Any] | int | None = None

    def _quiet(self, record: logging.LogRecord) -> bool:
        """A log filter: after an interrupt, only energylake's own records (the libraries' are its aftermath)."""
        return not self.seen or record.name.startswith("energylake")

    @contextmanager
    def noted(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():  # only the main thread gets signals
            yield
            return
        previous = signal.getsignal(signal.SIGINT)
        self._previous = previous
        if not callable(previous):  # SIGINT ignored (nohup, a background job) or not Python's: leave it so
            yield
            return

        def note(signum: int, frame: FrameType | None) -> None:
            self.seen = True
            previous(signum, frame)

        self._handler = note
        handlers = list(logging.getLogger().handlers)
        for handler in handlers:
            handler.addFilter(self._quiet)
        signal.signal(signal.SIGINT, note)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)
            for handler in handlers:
                handler.removeFilter(self._quiet)
            self._handler = None

    def reclaim(self) -> None:
        """Make SIGINT ours again, or ignored again when it was (pyspark installs its handler when its context
        starts, whatever was there)."""
        if threading.current_thread() is not threading.main_thread():
            return
        wanted = self._handler if self._handler is not None else self._previous
        if wanted is not None:
            signal.signal(signal.SIGINT, wanted)

    def caused(self, exc: BaseException) -> bool:
        """Whether ``exc`` is the aftermath of an interrupt: one was noted, or one is in its chain."""
        seen: set[int] = set()
        link: BaseException | None = exc
        while link is not None and id(link) not in seen:
            seen.add(id(link))
            if isinstance(link, KeyboardInterrupt) or "Query interrupted" in str(link):  # DuckDB's words
                return True
            link = link.__cause__ or link.__context__
        return self.seen


def _stop_spark() -> None:
    """After an interrupt of Spark gold: stop the session now (not at exit, when its JVM may be gone: tracebacks
    after the prompt returns) and wait, bounded, for the JVM to end, so that nothing of it prints after the CLI's
    one line."""
    try:
        from pyspark import SparkContext
        from pyspark.sql import SparkSession
    except ImportError:
        return
    session = SparkSession.getActiveSession() or SparkSession._instantiatedSession
    gateway = SparkContext._gateway
    process = getattr(gateway, "proc", None)
    if session is not None:
        atexit.unregister(session.stop)  # energylake.gold registered it for a normal exit
        try:
            # The cancelled query's stages log their cancellation as errors, with Java traces: not news.
            session.sparkContext.setLogLevel("OFF")
            session.stop()
        except Exception:  # the JVM may be gone already; the interrupt is what gets reported
            logger.debug("stopping Spark after an interrupt failed", exc_info=True)
    if process is not None:
        try:
            if process.stdin is not None:
                process.stdin.close()  # the gateway JVM exits when its parent's pipe closes
            process.wait(timeout=30)
        except Exception:  # still running: it dies with its pipe when this process exits
            logger.debug("the Spark JVM did not end after an interrupt", exc_info=True)


@contextmanager
def _as_interrupt(interrupts: _Interrupts, *, spark: bool = False) -> Iterator[None]:
    """Re-raise a stage's failure that an interrupt caused as the interrupt (after stopping Spark, if it ran)."""
    try:
        yield
    except KeyboardInterrupt:
        if spark:
            _stop_spark()
        raise
    except Exception as exc:
        if not interrupts.caused(exc):
            raise
        if spark:
            _stop_spark()
        raise KeyboardInterrupt from None


@contextmanager
def interrupt_aware() -> Iterator[None]:
    """For a stage outside :func:`run_pipeline` (the dashboard): a failure that a Ctrl-C caused (DuckDB's "Query
    interrupted") is re-raised as the interrupt it is, so the command exits 130, not 1."""
    interrupts = _Interrupts()
    with interrupts.noted(), _as_interrupt(interrupts):
        yield


@contextmanager
def timed(report: PipelineReport, stage: str) -> Iterator[None]:
    started = time.perf_counter()
    logger.info("stage %s started", stage, extra={"stage": stage})
    try:
        yield
    finally:
        elapsed = time.perf_counter() - started
        report.add_time(stage, elapsed)
        logger.info("stage %s took %.2f s", stage, elapsed, extra={"stage": stage, "seconds": round(elapsed, 3)})


def _build_gold(window: Window, lake: Storage, engine: GoldEngine, interrupts: _Interrupts) -> dict[str, int]:
    """The gold stage; any failure but an interrupt becomes a StageError naming it."""
    from energylake.gold import build_gold, check_engine

    try:
        if engine == "spark":
            from energylake.gold.spark import local_spark_session

            check_engine(engine)
            # Started here (build_gold reuses it) to take SIGINT back from pyspark; its log goes to the lake's logs.
            local_spark_session(log_file=lake.root / SPARK_LOG_FILE if isinstance(lake, LocalStorage) else None)
            interrupts.reclaim()
        return build_gold(window, lake, engine=engine)
    except Exception as exc:  # DuckDB, Spark and py4j raise their own types: name the stage whatever failed
        if interrupts.caused(exc):
            raise  # _as_interrupt makes it the interrupt it is, without a trace in the log
        logger.exception("gold failed for %s", window)
        raise StageError("gold", dataset="the gold tables", day=str(window), cause=exc) from exc


def run_pipeline(
    window: Window,
    datasets: tuple[str, ...],
    lake: Storage,
    warehouse: str,
    *,
    connection: Connection | None,
    stages: tuple[str, ...] = ALL_STAGES,
    on_step: StepCallback | None = None,
    engine: GoldEngine = "duckdb",
    skip_curated: bool = False,
    curated_before: set[str] | None = None,
) -> PipelineReport:
    """Run ``stages`` (in pipeline order) for ``window``; raises :class:`StageError` on the first failure.

    ``engine`` builds gold: DuckDB in this process (the default), or a local Spark session. ``skip_curated`` leaves
    alone groups whose quality report already passed from their newest manifest (a backfill's chunks: a yearly file's
    group would otherwise be curated again for every chunk of its year). ``curated_before``: the manifests curated
    by the caller's earlier chunks, never curated again in its later ones (:func:`energylake.curate.reprocess`).

    A quality failure is not a pipeline failure: the group is quarantined, reported in the result, and the rest of
    the pipeline builds on what passed.
    """
    step = on_step or (lambda _message: None)
    names = in_catalog_order(datasets)
    report = PipelineReport()
    interrupts = _Interrupts()
    with interrupts.noted():
        if "fetch" in stages:
            if connection is None:
                raise ValueError("fetching needs a connection")
            with timed(report, "fetch"), _as_interrupt(interrupts):
                for name in names:
                    step(f"fetch {name} {window}")
                    try:
                        report.fetched.append(fetch(window, name, lake, connection))
                    except EnergylakeError as exc:
                        raise StageError("fetch", dataset=name, day=str(window), cause=exc) from exc
        if "curate" in stages:
            run_id = new_run_id()
            with timed(report, "curate"), _as_interrupt(interrupts):
                for name in names:
                    step(f"curate {name} {window}")
                    current: list[str] = []
                    try:
                        report.curated += reprocess(
                            window,
                            lake,
                            [name],
                            run_id=run_id,
                            on_manifest=current.append,
                            skip_curated=skip_curated,
                            curated_before=curated_before,
                        )
                    except EnergylakeError as exc:
                        day = parse_manifest_key(current[-1]).day.isoformat() if current else str(window)
                        raise StageError("curate", dataset=name, day=day, cause=exc) from exc
        if "gold" in stages:
            step(f"gold ({_ENGINE_NAMES[engine]}) {window}")
            with timed(report, "gold"), _as_interrupt(interrupts, spark=engine == "spark"):
                report.gold_rows = _build_gold(window, lake, engine, interrupts)
        if "load" in stages:
            step(f"warehouse {window}")
            with timed(report, "load"), _as_interrupt(interrupts):
                from energylake.warehouse.duckdb import load

                try:
                    report.loaded_rows = load(window, lake, warehouse)
                except EnergylakeError as exc:
                    table = str(getattr(exc, "table", "the warehouse"))
                    raise StageError("load", dataset=table, day=str(window), cause=exc) from exc
    return report
