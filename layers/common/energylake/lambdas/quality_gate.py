"""QualityGateFunction: has every group the run landed been curated, and did all pass? (the machines poll it).

:func:`quality_gate` checks that every group the fetch steps landed has a quality report for its newest manifest:
``passed`` when all did and all passed, ``pending`` while some are still being curated;
:class:`~energylake.errors.QualityGateFailedError` when any failed,
:class:`~energylake.errors.QualityGateTimeoutError` when the poll budget is spent.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Final, Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field

from energylake.contracts.datasets import DatasetName
from energylake.errors import QualityGateFailedError, QualityGateTimeoutError, StorageError
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
    status: Literal["passed", "pending"]
    attempt: int  # the next check's number
    groups: int
    passed: int
    pending: list[str]  # manifests still waiting for their report (at most 20 listed)


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
    failed: list[str] = []
    for manifest_key in manifests:
        report = _report_for(storage, manifest_key)
        if report is None:
            pending.append(manifest_key)
        elif report.get("status") != "passed":
            reasons = "; ".join(str(reason) for reason in report.get("failed_because", [])) or "quality checks failed"
            failed.append(f"{manifest_key}: {reasons}")
    if failed:
        raise QualityGateFailedError(
            f"{len(failed)} of {len(manifests)} landed groups failed quality checks (quarantined): "
            + " | ".join(failed[:_LISTED])
        )
    attempt = request.attempt + 1
    if pending and attempt >= request.max_polls:
        raise QualityGateTimeoutError(
            f"{len(pending)} of {len(manifests)} landed groups still have no quality report after {attempt} checks: "
            + ", ".join(pending[:_LISTED])
        )
    logger.info("quality gate check %d: %d passed, %d pending", attempt, len(manifests) - len(pending), len(pending))
    return GateResult(
        status="pending" if pending else "passed",
        attempt=attempt,
        groups=len(manifests),
        passed=len(manifests) - len(pending),
        pending=pending[:_LISTED],
    )


def handle(event: object, storage: Storage | None = None) -> GateResult:
    """QualityGateFunction's body (the lake is ``ENERGYLAKE_LAKE_URI``'s unless given)."""
    request = parse_event(event, QualityGateEvent)
    return quality_gate(request, storage if storage is not None else lake())
