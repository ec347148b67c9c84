"""QualityGateFunction: has every group the run landed been curated, and did all pass? (the machines poll it).

:func:`quality_gate` checks that every group the fetch steps landed has a quality report for its newest manifest:
``pending`` while some are still being curated; then ``passed`` when all passed, or ``quarantined`` when some failed
(named one line each, as the CLI names them); :class:`~energylake.errors.QualityGateTimeoutError` when the poll
budget is spent. A quarantined group does not stop the run: as in the CLI, gold and the warehouse are built from the
groups that passed (a failed group writes no silver, and the loaders read only silver a passed report lists), and the
machine then ends with the error ``GroupsQuarantined`` (the CLI's exit 3), naming them, after alerting.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Final, Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field

from energylake.contracts.datasets import DatasetName
from energylake.errors import QualityGateTimeoutError, StorageError
from energylake.lake.layout import parse_manifest_key, quality_report_key
from energylake.lake.storage import Storage
from energylake.lambdas._aws import lake
from energylake.lambdas._shared import parse_event

__all__ = ["FetchSummary", "GateResult", "QualityGateEvent", "handle", "quality_gate"]

logger = logging.getLogger(__name__)


class FetchSummary(BaseModel):
    """What the state machines keep of a fetch function's reply (its ResultSelector)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    dataset: DatasetName
    manifests: list[str] = Field(default_factory=list)


class QualityGateEvent(BaseModel):
    """QualityGateFunction's event: the fetch steps' results and this check's number (0 for the first)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # All required: the machines always send all four, and a renamed path must fail the gate, not pass it with
    # nothing to check.
    ercot: list[FetchSummary]
    weather: FetchSummary
    attempt: int = Field(ge=0)
    max_polls: int = Field(ge=1)

    def manifests(self) -> list[str]:
        fetched = [*self.ercot, self.weather]
        return sorted({key for summary in fetched for key in summary.manifests})


class GateResult(TypedDict):
    status: Literal["passed", "quarantined", "pending"]
    attempt: int  # the next check's number
    groups: int
    passed: int
    pending: list[str]  # manifests still waiting for their report (at most 20 listed)
    quarantined: list[str]  # "quarantined <dataset> <group> (<manifest>): <why>", at most 20
    summary: str  # one line: the counts, and the quarantined groups when there are any


_LISTED: Final = 20


def _report_for(storage: Storage, manifest_key: str) -> dict[str, Any] | None:
    """The quality report of ``manifest_key``'s group if it was written for the group's newest manifest."""
    from energylake.lake.landing import newest_manifest  # the landing module loads with the first poll, not at import

    manifest = parse_manifest_key(manifest_key)
    report_key = quality_report_key(manifest.dataset, manifest.day, manifest.group)
    if not storage.exists(report_key):
        return None
    try:
        report: dict[str, Any] = json.loads(storage.get(report_key))
    except ValueError as exc:
        raise StorageError(f"quality report {report_key} is not JSON: {exc}") from None
    if report.get("context", {}).get("manifest") != newest_manifest(storage, manifest_key):
        return None  # the report is for an older manifest of the group: the newest is still being curated
    return report


def quality_gate(request: QualityGateEvent, storage: Storage) -> GateResult:
    """Check the groups ``request`` lists (see the module docstring)."""
    manifests = request.manifests()
    pending: list[str] = []
    quarantined: list[str] = []
    for manifest_key in manifests:
        report = _report_for(storage, manifest_key)
        if report is None:
            pending.append(manifest_key)
        elif report.get("status") != "passed":
            reasons = "; ".join(str(reason) for reason in report.get("failed_because", [])) or "quality checks failed"
            manifest = parse_manifest_key(manifest_key)
            quarantined.append(f"quarantined {manifest.dataset} {manifest.group} ({manifest_key}): {reasons}")
    attempt = request.attempt + 1
    if pending and attempt >= request.max_polls:
        raise QualityGateTimeoutError(
            f"{len(pending)} of {len(manifests)} landed groups still have no quality report after {attempt} checks: "
            + ", ".join(pending[:_LISTED])
        )
    passed = len(manifests) - len(pending) - len(quarantined)
    status: Literal["passed", "quarantined", "pending"] = (
        "pending" if pending else "quarantined" if quarantined else "passed"
    )
    summary = f"{passed} of {len(manifests)} landed groups passed, {len(pending)} pending"
    summary += f", {len(quarantined)} quarantined"
    if quarantined:
        summary += " (gold and the warehouse are built from the groups that passed): " + " | ".join(
            quarantined[:_LISTED]
        )
    logger.info("quality gate check %d: %s", attempt, summary)
    return GateResult(
        status=status,
        attempt=attempt,
        groups=len(manifests),
        passed=passed,
        pending=pending[:_LISTED],
        quarantined=quarantined[:_LISTED],
        summary=summary,
    )


def handle(event: object, storage: Storage | None = None) -> GateResult:
    """QualityGateFunction's body (the lake is ``ENERGYLAKE_LAKE_URI``'s unless given)."""
    request = parse_event(event, QualityGateEvent)
    return quality_gate(request, storage if storage is not None else lake())
