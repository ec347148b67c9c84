"""The whole local pipeline over a window: fetch -> curate -> gold -> warehouse, each stage optional.

:func:`run_pipeline` calls the same stage functions the Lambdas and the Glue job call, times every stage, and turns
any stage's failure into a :class:`~energylake.errors.StageError` that names the stage, the dataset (or table) and
the day, and says what to do. Every stage is idempotent, so a rerun after a failure is safe.

The CLI (:mod:`energylake.local.cli`) owns arguments, validation, progress bars and the summary table; this module
has no terminal output of its own (``on_step`` reports progress to whoever asks).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, get_args

from energylake.contracts.datasets import in_catalog_order
from energylake.curate import CurateResult, new_run_id, reprocess
from energylake.errors import EnergylakeError, StageError
from energylake.fetch import Connection, FetchResult, fetch
from energylake.lake.layout import parse_manifest_key
from energylake.lake.storage import Storage
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


@contextmanager
def timed(report: PipelineReport, stage: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - started
        report.add_time(stage, elapsed)
        logger.info("stage %s took %.2f s", stage, elapsed, extra={"stage": stage, "seconds": round(elapsed, 3)})


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
) -> PipelineReport:
    """Run ``stages`` (in pipeline order) for ``window``; raises :class:`StageError` on the first failure.

    ``engine`` builds gold: DuckDB in this process (the default), or a local Spark session. ``skip_curated`` leaves
    alone groups whose quality report already passed from their newest manifest (a backfill's chunks: a yearly file's
    group would otherwise be curated again for every chunk of its year).

    A quality failure is not a pipeline failure: the group is quarantined, reported in the result, and the rest of
    the pipeline builds on what passed.
    """
    step = on_step or (lambda _message: None)
    names = in_catalog_order(datasets)
    report = PipelineReport()
    if "fetch" in stages:
        if connection is None:
            raise ValueError("fetching needs a connection")
        with timed(report, "fetch"):
            for name in names:
                step(f"fetch {name} {window}")
                try:
                    report.fetched.append(fetch(window, name, lake, connection))
                except EnergylakeError as exc:
                    raise StageError("fetch", dataset=name, day=str(window), cause=exc) from exc
    if "curate" in stages:
        run_id = new_run_id()
        with timed(report, "curate"):
            for name in names:
                step(f"curate {name} {window}")
                current: list[str] = []
                try:
                    report.curated += reprocess(
                        window, lake, [name], run_id=run_id, on_manifest=current.append, skip_curated=skip_curated
                    )
                except EnergylakeError as exc:
                    day = parse_manifest_key(current[-1]).day.isoformat() if current else str(window)
                    raise StageError("curate", dataset=name, day=day, cause=exc) from exc
    if "gold" in stages:
        step(f"gold ({_ENGINE_NAMES[engine]}) {window}")
        with timed(report, "gold"):
            from energylake.gold import build_gold

            try:
                report.gold_rows = build_gold(window, lake, engine=engine)
            except Exception as exc:  # DuckDB, Spark and py4j raise their own types: name the stage whatever failed
                logger.exception("gold failed for %s", window)
                raise StageError("gold", dataset="the gold tables", day=str(window), cause=exc) from exc
    if "load" in stages:
        step(f"warehouse {window}")
        with timed(report, "load"):
            from energylake.warehouse.duckdb import load

            try:
                report.loaded_rows = load(window, lake, warehouse)
            except EnergylakeError as exc:
                table = str(getattr(exc, "table", "the warehouse"))
                raise StageError("load", dataset=table, day=str(window), cause=exc) from exc
    return report
