"""The curate stage: one raw group (named by its manifest) -> typed silver Parquet, or quarantine, with a report.

:func:`curate` is what ValidateFunction runs for each manifest S3 announces; :func:`reprocess` curates every group of
a window again without fetching (the local ``reprocess`` and ``run`` commands). The steps, for the newest manifest
of a group:

1. check every member's bytes against the SHA-256 its manifest records (and its name carries): a member changed
   since landing quarantines the group, the reason naming the object and both hashes, and none of its rows is read
   (fetching the day again repairs the object: :mod:`energylake.lake.landing`);
   parse every member with the dataset's parser (``energylake.parse``) and add lineage columns;
   in a group of posted documents (archive, MIS), a row that a later document re-posts (same natural key) gives way
   to the later posting's row (ordered by docId, which grows with posting time), and the report counts them
   (``rows_superseded``, and a note);
2. run the quality gate (``energylake.quality``), which keeps, rejects (with a reason) or fails rows;
3. passed: write one Parquet file per UTC date to ``silver/dataset=<d>/date=<utc day>/<group>.parquet``;
   failed: write the parsed rows and the report under ``quarantine/`` instead;
4. rejected rows (if any) go to ``quarantine/.../rejected.parquet``, and the report to ``quality/...``, last.

Reprocessing a group rewrites the same keys, and deletes silver files that an earlier run of the group wrote but
this run does not (their keys are in the previous report), so the silver zone never holds a stale or duplicate
copy of a group. Curating an older manifest than the group's newest is skipped: SQS may deliver out of order.

:func:`reprocess` also warns, one line per group, about raw objects of its window that no manifest lists (a
deleted manifest, a fetch interrupted before sealing its group): reprocess cannot curate them, and the line says
how to fix it (fetch the day again, or :func:`rebuild_manifests`, the local ``reprocess --rebuild-manifests``).
Rebuilding is asked for, never automatic: objects without a manifest may be a group whose fetch died half way, and
only the operator knows whether curating what is there is what they want.

A data problem (unparseable reply, failed check) is an outcome, not an exception: it is quarantined and reported,
and the caller's message is done. Storage failures raise, so the caller retries.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import json
import logging
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from energylake.contracts.datasets import ALL_DATASETS, CATALOG, DatasetName, get_dataset, in_catalog_order
from energylake.contracts.schemas import UTC_TIMESTAMP, silver_schema
from energylake.errors import ParseError, StorageError
from energylake.lake.landing import (
    Manifest,
    UnmanifestedGroup,
    list_manifests,
    newest_manifest,
    rebuild_manifest,
    unmanifested_groups,
)
from energylake.lake.layout import parse_manifest_key, quality_report_key, quarantine_prefix, silver_key
from energylake.lake.storage import Storage
from energylake.parse import ParseResult, RawObject, parse_raw
from energylake.quality import QualityConfig, run_quality
from energylake.timeconv import local_day_bounds_utc
from energylake.window import Window

logger = logging.getLogger(__name__)

PARQUET_COMPRESSION = "zstd"


@dataclass
class CurateResult:
    """What curating one group did."""

    manifest_key: str
    dataset: str
    group: str
    status: str  # "passed" | "failed" | "skipped" (a newer manifest of the group exists)
    rows_in: int = 0
    rows_out: int = 0
    rows_rejected: int = 0
    silver_keys: list[str] = field(default_factory=list)
    report_key: str | None = None
    quarantine_keys: list[str] = field(default_factory=list)
    reason: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "manifest": self.manifest_key,
            "dataset": self.dataset,
            "group": self.group,
            "status": self.status,
            "rows": {"in": self.rows_in, "out": self.rows_out, "rejected": self.rows_rejected},
            "silver": list(self.silver_keys),
            "report": self.report_key,
            "quarantine": list(self.quarantine_keys),
            "reason": self.reason,
        }


def completeness_days(manifest: Manifest) -> tuple[list[dt.date], list[dt.date]]:
    """(days that must be complete, days allowed to be partial) for a group, from when it was fetched.

    A covered day is expected complete when, at fetch time, it had ended at least the dataset's publication lag
    ago (``datasets.Dataset.complete_after``); a later day (today, tomorrow's forecast) may be partial.
    """
    lag = get_dataset(manifest.dataset).complete_after
    if lag is None:
        return [], list(manifest.covered_days)
    expected: list[dt.date] = []
    partial: list[dt.date] = []
    for day in manifest.covered_days:
        _, day_end_utc = local_day_bounds_utc(day)
        (expected if day_end_utc + lag <= manifest.fetched_at else partial).append(day)
    return expected, partial


def _with_lineage(result: ParseResult, raw: RawObject, run_id: str, fetched_at: dt.datetime) -> pa.Table:
    rows = result.table.num_rows
    table: pa.Table = result.table
    # One value repeated by Arrow, not a Python list of it converted cell by cell (a year's curation converted
    # millions of datetimes that way).
    table = table.append_column("source_dataset", pa.repeat(pa.scalar(raw.dataset, pa.string()), rows))
    table = table.append_column("raw_key", pa.repeat(pa.scalar(raw.key, pa.string()), rows))
    table = table.append_column("run_id", pa.repeat(pa.scalar(run_id, pa.string()), rows))
    return table.append_column("fetched_at_utc", pa.repeat(pa.scalar(fetched_at, UTC_TIMESTAMP), rows))


def _fetched_at(metadata: dict[str, str], fallback: dt.datetime) -> dt.datetime:
    stamp = metadata.get("fetched-at")
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else fallback


def _parquet_bytes(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression=PARQUET_COMPRESSION)
    return buffer.getvalue()


def _previous_outputs(lake: Storage, report_key: str) -> list[str]:
    if not lake.exists(report_key):
        return []
    try:
        previous: dict[str, Any] = json.loads(lake.get(report_key))
    except ValueError:
        return []
    return [str(key) for key in previous.get("outputs", {}).get("silver", [])]


def _write_silver(lake: Storage, dataset: DatasetName, group: str, table: pa.Table) -> list[str]:
    """One Parquet file per UTC date of the table's time column, sorted by the natural key."""
    schema = silver_schema(dataset)
    table = table.sort_by([(name, "ascending") for name in schema.natural_key])
    utc_days = pc.cast(pc.cast(table[schema.time_column], pa.timestamp("us")), pa.date32())
    keys = []
    for utc_day in pc.unique(utc_days).to_pylist():
        day_rows = table.filter(pc.equal(utc_days, pa.scalar(utc_day, pa.date32())))
        key = silver_key(dataset, cast(dt.date, utc_day), group)
        lake.put(key, _parquet_bytes(day_rows), {"rows": str(day_rows.num_rows), "request-group": group})
        keys.append(key)
    return sorted(keys)


def new_run_id() -> str:
    """A curation run's id: when it started and a random part (silver rows carry it as lineage)."""
    return f"run-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def curate(
    manifest_key: str, lake: Storage, *, run_id: str | None = None, config: QualityConfig | None = None
) -> CurateResult:
    """Curate the group ``manifest_key`` names into silver, or quarantine it; always writes a report (see the
    module docstring). A data problem is an outcome (``status: failed``); a storage problem raises."""
    run_id = run_id or new_run_id()
    newest = newest_manifest(lake, manifest_key)
    manifest = Manifest.load(lake, manifest_key)
    result = CurateResult(manifest_key, manifest.dataset, manifest.group, status="skipped")
    if newest != manifest_key:
        result.reason = f"superseded by {newest}"
        logger.info("skipping %s: %s", manifest_key, result.reason)
        return result

    report_key = quality_report_key(manifest.dataset, manifest.day, manifest.group)
    outputs = _GroupOutputs(
        report_key,
        quarantine_prefix(manifest.dataset, manifest.day, manifest.group),
        _previous_outputs(lake, report_key),
    )
    expected_days, partial_days = completeness_days(manifest)
    context = {
        "manifest": manifest_key,
        "group": manifest.group,
        "origin": manifest.origin,
        "run_id": run_id,
        "fetched_at": manifest.fetched_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }

    tables: list[pa.Table] = []
    member_metadata: list[dict[str, str]] = []
    rows_read = 0
    unknown_columns: dict[str, list[str]] = {}
    notes: list[str] = []
    try:
        for member_key, recorded_sha256 in zip(manifest.member_keys, manifest.member_sha256, strict=True):
            metadata = lake.metadata(member_key)
            member_metadata.append(metadata)
            raw = RawObject(member_key, manifest.dataset, lake.get(member_key), metadata)
            _check_integrity(member_key, raw.body, recorded_sha256)
            try:
                parsed = parse_raw(raw)
            except ParseError as exc:
                raise ParseError(f"{member_key}: {exc}") from None
            rows_read += parsed.rows_read
            if parsed.unknown_columns:
                unknown_columns[member_key] = sorted(parsed.unknown_columns)
            notes.extend(parsed.notes)
            tables.append(_with_lineage(parsed, raw, run_id, _fetched_at(metadata, manifest.fetched_at)))
    except (ParseError, _ChangedMemberError) as exc:
        check = "integrity" if isinstance(exc, _ChangedMemberError) else "parse"
        report: dict[str, Any] = {
            "dataset": manifest.dataset,
            "passed": False,
            "failed_because": [f"{check} failed: {exc}"],
            "error": str(exc),
            "rows": {"in": 0, "kept": 0, "rejected": 0},
            "checks": [{"name": check, "kind": check, "severity": "fail_object", "passed": False}],
            "context": context,
        }
        result.status, result.reason = "failed", str(exc)
        return _finish(lake, result, report, outputs, rows=None, rejected=None)

    table, superseded = _supersede_reposts(manifest, tables, member_metadata, notes)
    outcome = run_quality(
        manifest.dataset,
        table,
        expected_days=expected_days,
        partial_days=partial_days,
        config=config or QualityConfig(),
        context=context,
        origin=manifest.origin,
    )
    report = dict(outcome.report)
    report["source_rows_read"] = rows_read
    report["rows_superseded"] = superseded
    report["unknown_columns"] = unknown_columns
    report["notes"] = notes
    result.rows_in = table.num_rows
    result.rows_rejected = outcome.rejected.num_rows
    if outcome.passed:
        result.status = "passed"
        result.rows_out = outcome.table.num_rows
        silver = (manifest.dataset, outcome.table)
        return _finish(lake, result, report, outputs, rows=None, rejected=outcome.rejected, silver=silver)
    result.status = "failed"
    result.reason = "; ".join(str(reason) for reason in report.get("failed_because", [])) or "quality checks failed"
    return _finish(lake, result, report, outputs, rows=table, rejected=outcome.rejected)


class _ChangedMemberError(Exception):
    """A member's bytes are not the ones its manifest records: the group is quarantined (never an exception out)."""


# A raw object's name ends in "-<the first 16 hex digits of its SHA-256>.<extension>" (lake.landing.land_raw).
_NAMED_SHA256 = re.compile(r"-([0-9a-f]{16})\.[A-Za-z0-9]+$")


def _check_integrity(key: str, body: bytes, recorded_sha256: str) -> None:
    """``body`` must hash to the SHA-256 the manifest records for ``key``, which its name must carry."""
    named = _NAMED_SHA256.search(key)
    if named is not None and not recorded_sha256.startswith(named.group(1)):
        raise _ChangedMemberError(
            f"manifest records SHA-256 {recorded_sha256} for raw object {key}, whose name says {named.group(1)}...: "
            "the manifest was altered; fetch the day again to seal the group anew"
        )
    found = hashlib.sha256(body).hexdigest()
    if found != recorded_sha256:
        raise _ChangedMemberError(
            f"raw object {key} was changed after landing: its content has SHA-256 {found}, its name and manifest "
            f"record {recorded_sha256}; fetch the day again to repair it (no row of the group was used)"
        )


# Groups whose members are posted documents: a member can re-post (correct) another's intervals.
_DOCUMENT_ORIGINS = frozenset({"ercot-archive", "ercot-mis"})


def posting_ranks(metadata: Sequence[dict[str, str]]) -> list[int]:
    """Each member's place in posting order (0 = posted first): by docId (ERCOT's docIds grow with posting time,
    and unlike a wall-clock label they are never ambiguous), else by the listed posting time, else member order."""
    doc_ids = [item.get("x-doc-id", "") for item in metadata]
    labels = [item.get("x-post-datetime") or item.get("x-publish-date") or "" for item in metadata]
    keys: list[Any]
    if all(doc_id.isdigit() for doc_id in doc_ids):
        keys = [int(doc_id) for doc_id in doc_ids]
    elif all(labels):
        keys = [label[:19] for label in labels]  # ISO wall clock: sorts as text; MIS offsets are unreliable
    else:
        keys = list(range(len(metadata)))
    order = sorted(range(len(metadata)), key=lambda index: (keys[index], index))
    ranks = [0] * len(metadata)
    for rank, index in enumerate(order):
        ranks[index] = rank
    return ranks


def _supersede_reposts(
    manifest: Manifest, tables: list[pa.Table], metadata: list[dict[str, str]], notes: list[str]
) -> tuple[pa.Table, int]:
    """The group's rows for the quality gate: a document group's re-posted intervals keep only their later posting
    (:func:`keep_latest_postings`), with a note saying how many rows that superseded."""
    if not tables:
        return silver_schema(manifest.dataset).arrow_schema().empty_table(), 0
    if manifest.origin not in _DOCUMENT_ORIGINS or len(tables) == 1:
        return pa.concat_tables(tables), 0
    table, superseded = keep_latest_postings(manifest.dataset, tables, metadata)
    if superseded:
        notes.append(
            f"{superseded} rows superseded by a later posting of the same intervals (a re-posted document): the "
            "later posting's rows are kept"
        )
    return table, superseded


def keep_latest_postings(
    dataset: DatasetName, tables: Sequence[pa.Table], metadata: Sequence[dict[str, str]]
) -> tuple[pa.Table, int]:
    """The members' rows with those superseded by a later member's row of the same natural key removed, and how
    many were removed: a re-posted document wins over the posting it corrects.

    A row with a null key part is always kept (the quality gate rejects it, naming the null); duplicates within one
    member are kept too, so the gate rejects them as before. Forecast vintages are left alone: their natural key
    holds the posting time, so two postings never legitimately share a key (a collision is the gate's business)."""
    key = list(silver_schema(dataset).natural_key)
    table = pa.concat_tables(tables)
    if "posted_at_utc" in key or table.num_rows == 0:
        return table, 0
    ranks = posting_ranks(metadata)
    rank = pa.array([ranks[n] for n, member in enumerate(tables) for _ in range(member.num_rows)], pa.int64())
    rows = pa.array(range(table.num_rows), pa.int64())
    indexed = table.select(key).append_column("__rank", rank).append_column("__row", rows)
    groups = indexed.group_by(key, use_threads=False).aggregate([("__rank", "max"), ("__row", "list")])
    members = groups.column("__row_list").combine_chunks()
    latest_of_member = pc.take(groups.column("__rank_max"), pc.list_parent_indices(members))
    # The flattened members are a permutation of the rows: sorting them puts every row's latest rank in its place.
    latest = pc.take(latest_of_member, pc.sort_indices(pc.list_flatten(members)))
    complete_key = functools.reduce(pc.and_, [pc.is_valid(table.column(name)) for name in key])
    keep = pc.or_(pc.invert(complete_key), pc.equal(rank, latest))
    kept = table.filter(keep)
    return kept, table.num_rows - kept.num_rows


@dataclass(frozen=True)
class _GroupOutputs:
    report_key: str
    quarantine: str  # prefix
    previous_silver: list[str]  # what the group's previous curation wrote


def _finish(
    lake: Storage,
    result: CurateResult,
    report: dict[str, Any],
    outputs: _GroupOutputs,
    *,
    rows: pa.Table | None,
    rejected: pa.Table | None,
    silver: tuple[DatasetName, pa.Table] | None = None,
) -> CurateResult:
    """Write the silver and quarantine what must be, remove stale outputs, then write the report (last: it marks
    the group done)."""
    report_key, quarantine = outputs.report_key, outputs.quarantine
    # One sync for the group's outputs, not an fsync per file (a vintage group writes a file per UTC date it
    # covers: a year's curation wrote 55,000 files), all of it before the report that commits them.
    with lake.synced_together():
        if silver is not None:
            result.silver_keys = _write_silver(lake, silver[0], result.group, silver[1])
        if rows is not None:
            key = f"{quarantine}rows.parquet"
            lake.put(key, _parquet_bytes(rows))
            result.quarantine_keys.append(key)
        if rejected is not None and rejected.num_rows:
            key = f"{quarantine}rejected.parquet"
            lake.put(key, _parquet_bytes(rejected))
            result.quarantine_keys.append(key)
        if result.status == "failed":
            result.quarantine_keys.append(f"{quarantine}report.json")
        written = set(result.silver_keys) | set(result.quarantine_keys)
        for stale in sorted((set(outputs.previous_silver) | set(lake.list(quarantine))) - written):
            _delete(lake, stale)
    report["status"] = result.status
    report["outputs"] = {"silver": result.silver_keys, "quarantine": result.quarantine_keys}
    # The report is what later stages wait for: written last, after every output above.
    body = json.dumps(report, indent=1, sort_keys=True, default=str).encode()
    lake.put(report_key, body)
    result.report_key = report_key
    if result.status == "failed":
        lake.put(f"{quarantine}report.json", body)
    logger.info(
        "curated %s: %s (%d in, %d out, %d rejected)",
        result.group,
        result.status,
        result.rows_in,
        result.rows_out,
        result.rows_rejected,
    )
    return result


def _delete(lake: Storage, key: str) -> None:
    try:
        lake.delete(key)
    except StorageError:
        logger.warning("could not delete stale silver object %s", key)


# How far outside a window a raw partition may hold data for it: a weather request lands under its first day and
# covers up to 15 more; the fuel-mix dashboard lands under its newest day and covers the day before; an archived
# forecast posting day lands under its posting day and covers up to 7 days after it and 2 before it.
_PARTITION_LOOKBACK = dt.timedelta(days=16)
_PARTITION_LOOKAHEAD = dt.timedelta(
    days=max([1, *(entry.archive.vintage_days_after for entry in CATALOG.values() if entry.archive is not None)])
)


def raw_partitions_for(window: Window, dataset: str) -> list[dt.date]:
    """The raw day partitions that may hold a group of ``dataset`` covering a day of ``window``, in day order: the
    window's days widened by how far a group can reach from its partition (see above), and for a dataset with a
    yearly file (catalog: ``Dataset.yearly``) the 1 January of every year the window touches, where the year's file
    lands (:mod:`energylake.sources.ercot.yearly`). A few look-ups per year, never a listing of the whole raw zone."""
    entry = get_dataset(dataset)
    first, last = window.start - _PARTITION_LOOKBACK, window.end + _PARTITION_LOOKAHEAD
    days = {first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)}
    if entry.yearly is not None:
        days.update(dt.date(year, 1, 1) for year in range(window.start.year, window.end.year + 1))
    return sorted(days)


def manifests_for(window: Window, dataset: str, lake: Storage) -> list[str]:
    """The newest manifest of every group of ``dataset`` whose covered days meet ``window``, in partition order
    (:func:`raw_partitions_for`: a yearly file's group is found from any window inside its year).

    A malformed manifest raises :class:`~energylake.errors.ParseError` naming it (as curating it would).
    """
    entry = get_dataset(dataset)
    found: list[str] = []
    for day in raw_partitions_for(window, dataset):
        for key in list_manifests(lake, entry.source, entry.name, day):
            covered = Manifest.load(lake, key).covered_days
            if any(window.start <= covered_day <= window.end for covered_day in covered):
                found.append(key)
    return found


def unmanifested_for(window: Window, dataset: str, lake: Storage) -> list[UnmanifestedGroup]:
    """Raw objects of ``dataset`` that no manifest lists and whose covered days meet ``window``, by group, in
    partition order (:func:`raw_partitions_for`)."""
    entry = get_dataset(dataset)
    found: list[UnmanifestedGroup] = []
    for day in raw_partitions_for(window, dataset):
        for orphans in unmanifested_groups(lake, entry.source, entry.name, day):
            if any(window.start <= covered_day <= window.end for covered_day in orphans.covered_days):
                found.append(orphans)
    return found


def describe_unmanifested(orphans: UnmanifestedGroup, window: Window, *, shown: int = 3) -> str:
    """One line: which raw objects no manifest lists, what that means, and the fix (for ``window``)."""
    more = len(orphans.keys) - shown
    names = ", ".join(orphans.keys[:shown]) + (f" and {more} more" if more > 0 else "")
    what = f"{len(orphans.keys)} raw object(s) of {orphans.dataset} {orphans.day} are in no manifest"
    if orphans.sealed:
        what += " of their group (a fetch interrupted before it sealed the group?)"
    fix = f"fetch {orphans.day} again"
    if orphans.problem:
        fix += f" (their manifest cannot be rebuilt: {orphans.problem})"
    else:
        fix += (
            ", or rebuild the manifest from their metadata with `energylake reprocess --rebuild-manifests "
            f"--start {window.start} --end {window.end} --dataset {orphans.dataset}`"
        )
    return f"{what}, so they are not curated: {names}; {fix}"


def rebuild_manifests(
    window: Window, lake: Storage, datasets: Sequence[str] = ALL_DATASETS
) -> list[tuple[UnmanifestedGroup, str]]:
    """Rebuild the manifest of every group of ``window`` that has none and whose objects can make one (see
    :func:`energylake.lake.landing.rebuild_manifest`): ``(group, new manifest key)`` for each. Groups that cannot
    be rebuilt are left alone (:func:`reprocess` keeps warning about them, saying why)."""
    rebuilt = []
    for name in in_catalog_order(datasets):
        for orphans in unmanifested_for(window, name, lake):
            if not orphans.problem:
                rebuilt.append((orphans, rebuild_manifest(lake, orphans)))
    return rebuilt


def reprocess(
    window: Window,
    lake: Storage,
    datasets: Sequence[str] = ALL_DATASETS,
    *,
    run_id: str | None = None,
    on_manifest: Callable[[str], None] | None = None,
    skip_curated: bool = False,
    curated_before: set[str] | None = None,
) -> list[CurateResult]:
    """Rebuild silver from raw for ``window`` without fetching: every group's newest manifest is curated again, one
    run id for all. ``on_manifest`` hears each manifest key before it is curated (progress, error reports).

    ``skip_curated`` leaves alone a group whose quality report says it already passed from that same manifest
    (status ``skipped``): for a backfill's chunks, which each meet the groups that cover far more than the chunk (a
    yearly file covers its whole year) and would otherwise curate them again for every chunk of the year. A plain
    reprocess (after a parser change, say) curates every group again.

    ``curated_before`` holds the manifests the caller curated already in this run (a backfill's earlier chunks):
    those are left alone, and every manifest curated here is added. A group wider than a chunk (a forecast's posting
    day covers ten operating days, a yearly file a year) is then curated once per backfill, not once per chunk it
    meets, also when the backfill curates everything again."""
    run = run_id or new_run_id()
    results = []
    for name in in_catalog_order(datasets):
        for orphans in unmanifested_for(window, name, lake):
            logger.warning(
                "%s", describe_unmanifested(orphans, window), extra={"dataset": name, "objects": len(orphans.keys)}
            )
        for manifest_key in manifests_for(window, name, lake):
            if curated_before is not None and manifest_key in curated_before:
                group = parse_manifest_key(manifest_key).group
                results.append(
                    CurateResult(manifest_key, name, group, status="skipped", reason="curated earlier in this run")
                )
                continue
            if skip_curated and (done := _passed_from(lake, manifest_key)) is not None:
                results.append(done)
                continue
            if on_manifest is not None:
                on_manifest(manifest_key)
            results.append(curate(manifest_key, lake, run_id=run))
            if curated_before is not None:
                curated_before.add(manifest_key)
    return results


def _passed_from(lake: Storage, manifest_key: str) -> CurateResult | None:
    """A ``skipped`` result when the group's quality report says it passed from ``manifest_key``, else None (no
    report, an unreadable one, a failure, or a report from another manifest of the group)."""
    manifest = Manifest.load(lake, manifest_key)
    report_key = quality_report_key(manifest.dataset, manifest.day, manifest.group)
    if not lake.exists(report_key):
        return None
    try:
        report: Any = json.loads(lake.get(report_key))
    except ValueError:
        return None
    context = report.get("context") if isinstance(report, dict) else None
    if not isinstance(context, dict) or report.get("status") != "passed" or context.get("manifest") != manifest_key:
        return None
    return CurateResult(
        manifest_key,
        manifest.dataset,
        manifest.group,
        status="skipped",
        reason=f"already curated from this manifest (run {context.get('run_id', '?')})",
        report_key=report_key,
    )
