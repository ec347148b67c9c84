"""A long window in resumable chunks: the chunks of a local backfill that completed, kept in the lake.

:class:`BackfillState` records them under ``<lake>/_state/backfill-<start>-<end>.json``, so a rerun after an
interruption skips them. Every stage is idempotent, so a chunk that was interrupted half way is simply run again.
A chunk records the datasets it ran: those some door reached on its days (:func:`energylake.plan.backfill_chunks`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from energylake.errors import StorageError
from energylake.lake.layout import backfill_state_key
from energylake.lake.storage import Storage
from energylake.local.runner import PipelineReport
from energylake.window import Window


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
        return backfill_state_key(self.window.start, self.window.end)

    @classmethod
    def load(cls, lake: Storage, window: Window, stages: tuple[str, ...], datasets: tuple[str, ...]) -> BackfillState:
        state = cls(lake, window, stages, datasets)
        if not lake.exists(state.key):
            return state
        try:
            document = json.loads(lake.get(state.key))
            for chunk, done in dict(document.get("completed", {})).items():
                state.recorded[str(chunk)] = dict(done)
                if state._covers(dict(done), datasets):
                    state.completed[str(chunk)] = dict(done)
        except (ValueError, AttributeError) as exc:
            raise StorageError(f"backfill state {state.key} in {lake.uri} is unreadable ({exc}): delete it") from exc
        return state

    def _covers(self, done: dict[str, Any], datasets: tuple[str, ...] | list[str]) -> bool:
        # A chunk counts as done only if it ran at least the stages AND the datasets asked for now.
        return set(self.stages) <= set(done.get("stages", [])) and set(datasets) <= set(done.get("datasets", []))

    def is_done(self, chunk: Window, datasets: tuple[str, ...] | None = None) -> bool:
        """Whether ``chunk`` ran for ``datasets`` (default: every dataset of the backfill). A backfill passes the
        datasets some door reaches on the chunk's days: the others were never fetched, so a later run that reaches
        them (with API credentials, say) runs the chunk again."""
        if datasets is None:
            return str(chunk) in self.completed
        done = self.recorded.get(str(chunk))
        return done is not None and self._covers(done, datasets)

    def mark_done(self, chunk: Window, report: PipelineReport, datasets: tuple[str, ...] | None = None) -> None:
        """Record ``chunk`` as run for ``datasets`` (default: every dataset of the backfill)."""
        ran = set(self.datasets if datasets is None else datasets)
        # Datasets done earlier with the same stages stay done (a backfill of weather after one of spp_dam).
        previous = self.recorded.get(str(chunk), {})
        if set(previous.get("stages", [])) == set(self.stages):
            ran |= set(previous.get("datasets", []))
        entry: dict[str, Any] = {
            "stages": list(self.stages),
            "datasets": sorted(ran),
            "finished_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "seconds": {stage: round(seconds, 3) for stage, seconds in report.seconds.items()},
            "loaded_rows": report.loaded_rows,
        }
        unreachable = sorted(set(self.datasets) - ran)
        if unreachable:
            entry["unreachable"] = unreachable  # no door reached them on these days when the chunk ran
        self.recorded[str(chunk)] = entry
        if self._covers(entry, self.datasets):
            self.completed[str(chunk)] = entry
        document = {
            "window": str(self.window),
            "stages": list(self.stages),
            "completed": dict(sorted(self.recorded.items())),
        }
        self.lake.put(self.key, json.dumps(document, indent=1, sort_keys=True).encode())
