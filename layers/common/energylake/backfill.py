"""The whole local pipeline over a window, and long windows in resumable chunks.

:func:`run_pipeline` runs fetch -> curate -> gold -> warehouse for one window (each stage optional), timing every
stage and turning any stage's failure into a :class:`StageError` that names the stage, the dataset (or table) and
the day, and says what to do. :class:`BackfillState` records the chunks of a backfill that completed, under
``<lake>/_state/backfill-<start>-<end>.json``, so a rerun after an interruption skips them. Every stage is
idempotent, so a chunk that was interrupted half way is simply run again.

The CLI (:mod:`energylake.cli`) owns arguments, validation, progress bars and the summary table; this module has
no terminal output of its own (``on_step`` reports progress to whoever asks).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args

from energylake.datasets import ALL_DATASETS, get_dataset
from energylake.errors import EnergylakeError, StorageError
from energylake.storage import Storage
from energylake.window import Window

if TYPE_CHECKING:
    from energylake.curate import CurateResult
    from energylake.stages import Connection, FetchResult

logger = logging.getLogger(__name__)

Stage = Literal["fetch", "curate", "gold", "load"]
ALL_STAGES: tuple[Stage, ...] = get_args(Stage)
STATE_PREFIX = "_state/"

_ADVICE: dict[str, str] = {
    "fetch": "check the network, the ENERGYLAKE_* endpoints and credentials (or use --source sample), then rerun",
    "curate": "check the lake is readable and writable, then rerun (raw objects stay; reruns are safe)",
    "gold": "check Java 17 and the Spark settings (see README), then rerun; silver is intact",
    "load": "check the warehouse file is not open in another program and the disk has room, then rerun",
    "dashboard": "the warehouse is loaded; fix the cause and run `energylake dashboard`",
}


class StageError(EnergylakeError):
    """A pipeline stage failed: ``stage``, ``dataset`` (or table) and ``day`` (or window) say where."""

    def __init__(self, stage: str, *, dataset: str, day: str, cause: BaseException) -> None:
        self.stage = stage
        self.dataset = dataset
        self.day = day
        self.advice = _ADVICE.get(stage, "fix the cause and rerun (reruns are safe)")
        super().__init__(
            f"{stage} failed for {dataset} on {day}: {type(cause).__name__}: {cause}. What to do: {self.advice}"
        )


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


@contextmanager
def timed(report: PipelineReport, stage: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - started
        report.add_time(stage, elapsed)
        logger.info("stage %s took %.2f s", stage, elapsed, extra={"stage": stage, "seconds": round(elapsed, 3)})


def _day_of_key(key: str) -> str:
    return next((part.split("=", 1)[1] for part in key.split("/") if part.startswith("date=")), "?")


def run_pipeline(
    window: Window,
    datasets: tuple[str, ...],
    lake: Storage,
    lake_uri: str,
    warehouse: str,
    *,
    connection: Connection | None,
    stages: tuple[str, ...] = ALL_STAGES,
    on_step: StepCallback | None = None,
) -> PipelineReport:
    """Run ``stages`` (in pipeline order) for ``window``; raises :class:`StageError` on the first failure.

    A quality failure is not a pipeline failure: the group is quarantined, reported in the result, and the rest of
    the pipeline builds on what passed.
    """
    from energylake import stages as stage_functions

    step = on_step or (lambda _message: None)
    names = [name for name in ALL_DATASETS if name in {get_dataset(d).name for d in datasets}]
    report = PipelineReport()
    if "fetch" in stages:
        if connection is None:
            raise ValueError("fetching needs a connection")
        with timed(report, "fetch"):
            for name in names:
                step(f"fetch {name} {window}")
                try:
                    report.fetched.append(stage_functions.fetch(name, window, lake, connection))
                except EnergylakeError as exc:
                    raise StageError("fetch", dataset=name, day=str(window), cause=exc) from exc
    if "curate" in stages:
        run_id = stage_functions.new_run_id()
        with timed(report, "curate"):
            for name in names:
                step(f"curate {name} {window}")
                key = ""
                try:
                    for key in stage_functions.manifests_for(window, name, lake):
                        report.curated.append(stage_functions.curate(key, lake, run_id=run_id))
                except EnergylakeError as exc:
                    day = _day_of_key(key) if key else str(window)
                    raise StageError("curate", dataset=name, day=day, cause=exc) from exc
    if "gold" in stages:
        step(f"gold (Spark) {window}")
        with timed(report, "gold"):
            try:
                report.gold_rows = stage_functions.build_gold(window, lake_uri)
            except Exception as exc:  # Spark and py4j raise their own types: name the stage whatever failed
                logger.exception("gold failed for %s", window)
                raise StageError("gold", dataset="the gold tables", day=str(window), cause=exc) from exc
    if "load" in stages:
        step(f"warehouse {window}")
        with timed(report, "load"):
            try:
                report.loaded_rows = stage_functions.load_warehouse(window, lake_uri, warehouse)
            except EnergylakeError as exc:
                table = str(getattr(exc, "table", "the warehouse"))
                raise StageError("load", dataset=table, day=str(window), cause=exc) from exc
    return report


# --- backfill state -----------------------------------------------------------------------------------------------


@dataclass
class BackfillState:
    """The chunks of one backfill (window + stages + datasets) that completed, kept in the lake so a rerun resumes."""

    lake: Storage
    window: Window
    stages: tuple[str, ...]
    datasets: tuple[str, ...]
    completed: dict[str, dict[str, Any]] = field(default_factory=dict)  # "start..end" -> what it did
    recorded: dict[str, dict[str, Any]] = field(default_factory=dict)  # every chunk in the file, done for us or not

    @property
    def key(self) -> str:
        return f"{STATE_PREFIX}backfill-{self.window.start}-{self.window.end}.json"

    @classmethod
    def load(cls, lake: Storage, window: Window, stages: tuple[str, ...], datasets: tuple[str, ...]) -> BackfillState:
        state = cls(lake, window, stages, datasets)
        if not lake.exists(state.key):
            return state
        try:
            document = json.loads(lake.get(state.key))
            for chunk, done in dict(document.get("completed", {})).items():
                state.recorded[str(chunk)] = dict(done)
                # A chunk counts as done only if it ran at least the stages AND the datasets asked for now.
                if set(stages) <= set(done.get("stages", [])) and set(datasets) <= set(done.get("datasets", [])):
                    state.completed[str(chunk)] = dict(done)
        except (ValueError, AttributeError) as exc:
            raise StorageError(f"backfill state {state.key} in {lake.uri} is unreadable ({exc}): delete it") from exc
        return state

    def is_done(self, chunk: Window) -> bool:
        return str(chunk) in self.completed

    def mark_done(self, chunk: Window, report: PipelineReport) -> None:
        # Datasets done earlier with the same stages stay done (a backfill of weather after one of spp_dam).
        previous = self.recorded.get(str(chunk), {})
        datasets = set(self.datasets)
        if set(previous.get("stages", [])) == set(self.stages):
            datasets |= set(previous.get("datasets", []))
        self.completed[str(chunk)] = self.recorded[str(chunk)] = {
            "stages": list(self.stages),
            "datasets": sorted(datasets),
            "finished_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "seconds": {stage: round(seconds, 3) for stage, seconds in report.seconds.items()},
            "loaded_rows": report.loaded_rows,
        }
        document = {
            "window": str(self.window),
            "stages": list(self.stages),
            "completed": dict(sorted(self.recorded.items())),
        }
        self.lake.put(self.key, json.dumps(document, indent=1, sort_keys=True).encode())
