"""The Redshift load: a window of silver/gold Parquet into Redshift through the Redshift Data API, one transaction per
chunk of days holding every table, migrating first only when the schema is behind the code.

LoadRedshiftFunction (:mod:`energylake.lambdas.load_redshift`) calls :func:`load_window`. What one load does, for a
window of operating days and a list of tables (in the model's order: silver-fed tables first, then gold):

1. **Read the schema version** (:func:`~energylake.warehouse.redshift.sql.schema_version_sql`, one query). Older than
   the code's (:attr:`WarehouseModel.version`; "does not exist" counts as 0): run the migration batch
   (:func:`~energylake.warehouse.redshift.sql.migration_statements`: tables, guarded changes, views, the reader role's
   grant, the version rows; serialized by a ``LOCK`` on the version table). Current: no DDL at all, so overlapping
   loads never conflict over catalog changes. Newer than the code: refuse (deploy the newer code).
2. **Load in chunks** of at most ``chunk_days`` operating days (:meth:`Window.chunks`), each chunk ONE transaction
   holding every table. Per chunk: for each table, list the chunk's Parquet objects with their sizes (every source
   dataset, every UTC date partition the chunk touches; of silver, only the objects a passed quality report lists,
   as the DuckDB loader does: anything else in a silver folder is named in a warning and never copied, see
   :mod:`energylake.lake.quality_listing`) and write them to a COPY manifest under
   ``artifacts/redshift/copy-manifests/`` of the lake (one key per table and load, so concurrent loads never share
   one); then run every table's :func:`~energylake.warehouse.redshift.sql.load_statements` (stage, one
   ``COPY ... MANIFEST``, dedupe to the chunk's ``[start_utc, end_utc)``, ``MERGE`` on the natural key), in the
   model's order, as ONE batch (:func:`~energylake.warehouse.redshift.sql.chunk_load_statements`: 4 statements a
   table, 36 for the model's 9, within the Data API's 40; more is refused before any SQL, never split). Either every
   table of the chunk is merged or none is. The manifests are deleted after the batch succeeded (kept after a
   failure, for diagnosis). A table with no object in a chunk is left out of that chunk's batch (a chunk with none
   at all sends none); a partly covered window loads what exists (rerun it when the rest has landed: loads are
   idempotent).
3. **Stay inside the invocation.** With ``time_left`` (the Lambda's remaining time), a chunk starts only while there
   is time for it: at least ``reserve_s`` seconds and one and a half times the slowest chunk so far, plus a safety
   margin. Otherwise the load stops between chunks and returns ``done: false`` with ``next_start`` (the first day not
   loaded): the caller invokes again from there (the state machines loop on it). Each batch also gets a deadline: a
   statement still running when the invocation is about to end is cancelled rather than left behind. Any window thus
   loads in bounded steps; a rerun after a failure repeats at most the failed chunk's work.
4. **Report freshness** (best effort): per dataset, minutes since its newest interval (``v_data_freshness``), the
   figure the DataFreshnessMinutes metric and its alarm watch.

Failure: a chunk's batch that fails was rolled back whole, so every table is unchanged for that chunk, and raises
:class:`WarehouseLoadError` naming the chunk, the statement kind, Redshift's error and, when the Data API reports
which statement failed, the table it belongs to (``WarehouseLoadError.table``; else every table of the chunk); the
chunks after it are NOT attempted, so the state machine sees one failure with one cause and retries the whole load.
What is atomic is a chunk, not a window: the chunks of a multi-chunk window commit one after another, so a failure
keeps the chunks before it. That is safe because a load is idempotent: a rerun merges them again to the same rows
(``MERGE`` on the natural key). Serialization conflicts and API throttling were already retried (:mod:`.data_api`).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final, Literal, TypedDict

from energylake.contracts.datasets import ALL_DATASETS
from energylake.errors import WarehouseError, WarehouseLoadError
from energylake.lake import layout
from energylake.lake.layout import redshift_copy_manifest_key
from energylake.lake.quality_listing import passed_silver_keys, silver_group
from energylake.lake.storage import Storage
from energylake.warehouse.model import WAREHOUSE, WarehouseModel
from energylake.warehouse.redshift import sql
from energylake.warehouse.redshift.data_api import DataApi
from energylake.window import Window

__all__ = [
    "LoadResult",
    "TableLoad",
    "emit_freshness",
    "empty_result",
    "freshness_from_rows",
    "freshness_sql",
    "load_window",
]

logger = logging.getLogger(__name__)

MIGRATION_TABLE: Final = "(migration)"  # WarehouseLoadError.table for failures before any table is loaded
DEFAULT_RESERVE_S: Final = 120.0  # the least time a chunk may start with
_SAFETY_S: Final = 30.0  # kept back from every deadline: the reply, the freshness read, the metrics
_COUNTED: Final = ("COPY", "MERGE", "DELETE", "INSERT", "UPDATE")


class TableLoad(TypedDict):
    table: str
    status: Literal["loaded", "no_data"]
    files: int  # Parquet objects copied (all chunks)
    bytes: int  # their size
    rows: dict[str, int]  # rows per statement kind (COPY: staged, MERGE: merged) where Redshift reports them


class LoadResult(TypedDict):
    start: str
    end: str
    window_start_utc: str
    window_end_utc: str
    schema: str
    schema_version: int  # the warehouse's version after this load (0: no warehouse configured)
    migrated: bool  # whether this load ran the migration batch
    chunks: int  # chunks of days loaded by this invocation
    loaded_end: str | None  # the last operating day loaded (None: nothing loaded yet)
    # False when the invocation stopped between chunks to stay within its time: invoke again from next_start.
    done: bool
    next_start: str | None
    tables: list[TableLoad]
    # Per dataset: whole minutes between now and the newest interval the warehouse holds (v_data_freshness), the
    # figure the DataFreshnessMinutes metric and its alarm watch. Datasets with no rows are absent.
    freshness_minutes: dict[str, int]


def freshness_sql(schema_name: str | None) -> str:
    """Per dataset, the freshest of its tables in the ``v_data_freshness`` view (Redshift and DuckDB alike)."""
    view = f"{schema_name}.v_data_freshness" if schema_name else "v_data_freshness"
    return (  # schema_name is a checked identifier (Settings), not user text
        f"SELECT dataset, MIN(minutes_behind) AS minutes_behind FROM {view} "
        "WHERE newest_utc IS NOT NULL GROUP BY dataset ORDER BY dataset"
    )


def freshness_from_rows(rows: Iterable[Sequence[Any]]) -> dict[str, int]:
    """Minutes behind per source dataset. The view's gold rows (named after their table) are left out: gold holds
    every hour of the window it was built for, data or not, so its newest hour says nothing about freshness."""
    return {str(name): int(minutes) for name, minutes in rows if minutes is not None and name in ALL_DATASETS}


def emit_freshness(metrics: Any, freshness: dict[str, int]) -> None:
    """One ``DataFreshnessMinutes`` EMF metric per dataset (dimension ``dataset``), which the freshness alarm watches.

    A separate metrics object per dataset: EMF dimensions apply to a whole blob, not to one value.
    """
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    for dataset, minutes in sorted(freshness.items()):
        with single_metric(
            name="DataFreshnessMinutes",
            unit=MetricUnit.Count,
            value=minutes,
            namespace=getattr(metrics, "namespace", None),
            default_dimensions={**getattr(metrics, "default_dimensions", {}), "dataset": dataset},
        ) as metric:
            del metric  # the context manager flushes the blob on exit


def empty_result(window: Window, schema_name: str) -> LoadResult:
    """A load that loaded nothing (yet)."""
    return LoadResult(
        start=window.start.isoformat(),
        end=window.end.isoformat(),
        window_start_utc=window.start_utc.isoformat(),
        window_end_utc=window.end_utc.isoformat(),
        schema=schema_name,
        schema_version=0,
        migrated=False,
        chunks=0,
        loaded_end=None,
        done=True,
        next_start=None,
        tables=[],
        freshness_minutes={},
    )


def new_load_id() -> str:
    """A unique, sortable id for one load (names its COPY manifests)."""
    return f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def load_window(
    window: Window,
    lake: Storage,
    *,
    tables: Sequence[str],
    data_api: DataApi,
    iam_role_arn: str,
    schema_name: str = "energylake",
    reader_role: str | None = None,
    chunk_days: int = 7,
    time_left: Callable[[], float] | None = None,
    reserve_s: float = DEFAULT_RESERVE_S,
    load_id: str | None = None,
    model: WarehouseModel = WAREHOUSE,
) -> LoadResult:
    """Migrate when behind, then load ``tables`` for ``window`` chunk by chunk (see the module docstring)."""
    lake.location.s3_root("loading Redshift")  # a folder lake cannot be COPYed from: say so before any SQL
    sql.check_load_batch(tables)  # every chunk's tables must fit ONE batch: refuse before any SQL, never split
    load_id = load_id or new_load_id()
    result = empty_result(window, schema_name)
    loads = {table: TableLoad(table=table, status="no_data", files=0, bytes=0, rows={}) for table in tables}

    def deadline() -> float | None:
        return None if time_left is None else data_api.clock() + max(0.0, time_left() - _SAFETY_S)

    result["schema_version"], result["migrated"] = _migrate(
        data_api, window, schema_name=schema_name, reader_role=reader_role, model=model, deadline=deadline
    )
    slowest = 0.0
    for chunk in window.chunks(chunk_days):
        needed = max(reserve_s, 1.5 * slowest) + _SAFETY_S
        if result["chunks"] and time_left is not None and time_left() < needed:
            logger.warning(
                "stopping before %s to stay within the invocation (%.0f s left, a chunk needs about %.0f s): "
                "invoke again with start %s to load the rest",
                chunk,
                time_left(),
                needed,
                chunk.start,
            )
            result["done"], result["next_start"] = False, chunk.start.isoformat()
            break
        started = data_api.clock()
        _load_chunk(
            data_api,
            lake,
            [loads[table] for table in tables],
            chunk,
            load_id=load_id,
            iam_role_arn=iam_role_arn,
            schema_name=schema_name,
            model=model,
            deadline=deadline(),
        )
        slowest = max(slowest, data_api.clock() - started)
        result["chunks"] += 1
        result["loaded_end"] = chunk.end.isoformat()
    result["tables"] = [loads[table] for table in tables]
    result["freshness_minutes"] = _read_freshness(data_api, schema_name, deadline())
    return result


def _migrate(
    data_api: DataApi,
    window: Window,
    *,
    schema_name: str,
    reader_role: str | None,
    model: WarehouseModel,
    deadline: Callable[[], float | None],
) -> tuple[int, bool]:
    """(the schema version after this step, whether the migration batch ran)."""
    version = _schema_version(data_api, window, schema_name, deadline())
    if version > model.version:
        raise WarehouseLoadError(
            f"the warehouse schema {schema_name} is at version {version}, newer than this code's {model.version}: "
            "deploy the newer code (loading with older code could undo its changes)",
            table=MIGRATION_TABLE,
            window=window,
        )
    if version == model.version:
        return version, False
    logger.info("schema %s is at version %d, the code at %d: migrating", schema_name, version, model.version)
    statements = sql.migration_statements(schema_name, model=model, reader_role=reader_role)
    try:
        data_api.batch(statements, kind="migration", deadline=deadline())
    except WarehouseError as exc:
        # A concurrent loader may have migrated first (its CREATE TABLE raced ours before the LOCK): fine if so.
        if _schema_version(data_api, window, schema_name, deadline()) >= model.version:
            logger.warning("migration failed but another loader brought %s to version %d", schema_name, model.version)
            return model.version, False
        raise _load_error(
            "migration", f"schema {schema_name}", MIGRATION_TABLE, window, exc, hint=" (rolled back)" + _SETUP_HINT
        ) from exc
    return model.version, True


_SETUP_HINT = (
    " (is the warehouse set up? The schema, the loader's database role and its grants come from the deploy for a "
    "created namespace, or from `python -m energylake.warehouse.redshift.setup` run by an administrator)"
)


def _schema_version(data_api: DataApi, window: Window, schema_name: str, deadline: float | None) -> int:
    try:
        rows = data_api.query(sql.schema_version_sql(schema_name), kind="schema version read", deadline=deadline)
    except WarehouseError as exc:
        if "does not exist" in str(exc):  # no version table yet: a warehouse never migrated
            return 0
        raise _load_error(
            "schema version read", f"schema {schema_name}", MIGRATION_TABLE, window, exc, hint=_SETUP_HINT
        ) from exc
    value = rows[0][0] if rows and rows[0] else None
    return int(value) if value is not None else 0


def _load_chunk(
    data_api: DataApi,
    lake: Storage,
    loads: Sequence[TableLoad],
    chunk: Window,
    *,
    load_id: str,
    iam_role_arn: str,
    schema_name: str,
    model: WarehouseModel,
    deadline: float | None,
) -> None:
    """Load ``chunk`` of every table in ``loads`` (the model's order) as ONE batch: all merged, or none."""
    copied: list[tuple[TableLoad, list[tuple[str, int]], str]] = []  # (table, its objects, its manifest key)
    for load in loads:
        objects = _chunk_objects(lake, load["table"], chunk, schema_name=schema_name, model=model)
        if objects:
            copied.append((load, objects, redshift_copy_manifest_key(load["table"], chunk.start, chunk.end, load_id)))
        else:
            logger.info("%s: nothing in the lake for %s", load["table"], chunk)
    if not copied:
        return
    groups = sql.chunk_load_statements(
        [(load["table"], lake.location.object_uri(key)) for load, _, key in copied],
        iam_role_arn=iam_role_arn,
        window=chunk,
        schema_name=schema_name,
        model=model,
    )
    _write_manifests(lake, copied, chunk, load_id=load_id, schema_name=schema_name)
    statements = [statement for _, group in groups for statement in group]
    try:
        batch = data_api.batch(statements, kind="load", deadline=deadline)
    except WarehouseError as exc:
        raise _chunk_load_error(exc, groups, chunk, load_id=load_id, schema_name=schema_name) from exc
    offset = 0
    for (load, objects, key), (_, group) in zip(copied, groups, strict=True):
        _discard(lake, key)
        load["status"] = "loaded"
        load["files"] += len(objects)
        load["bytes"] += sum(size for _, size in objects)
        # The batch reports rows per statement, in the order sent: this table's are its group's slice.
        for statement, rows in zip(group, batch.rows[offset : offset + len(group)], strict=False):
            kind = statement.split(None, 1)[0].upper()
            if kind in _COUNTED and rows is not None:
                load["rows"][kind] = load["rows"].get(kind, 0) + rows
        offset += len(group)
    logger.info(
        "loaded %s in one transaction (%d attempts): %s",
        chunk,
        batch.attempts,
        "; ".join(f"{load['table']} {len(objects)} files, rows {load['rows']}" for load, objects, _ in copied),
    )


def _chunk_objects(
    lake: Storage, table: str, chunk: Window, *, schema_name: str, model: WarehouseModel
) -> list[tuple[str, int]]:
    """The ``(s3:// URL, size)`` of every object ``table`` copies for ``chunk``: listed, passed quality only."""
    try:
        listing = [
            (key, size)
            for prefix in sql.table_prefixes(table, chunk, model=model)
            for key, size in lake.list_sizes(prefix)
        ]
        return [(lake.location.object_uri(key), size) for key, size in _passed_quality(lake, table, listing)]
    except Exception as exc:
        raise _load_error("listing the lake", f"{schema_name}.{table}", table, chunk, exc) from exc


def _write_manifests(
    lake: Storage,
    copied: Sequence[tuple[TableLoad, list[tuple[str, int]], str]],
    chunk: Window,
    *,
    load_id: str,
    schema_name: str,
) -> None:
    """One COPY manifest per table of the chunk. A failed write leaves nothing of the chunk behind: the manifests
    written before it were never used, so they are deleted again (and nothing was sent to Redshift)."""
    written: list[str] = []
    for load, objects, key in copied:
        table = load["table"]
        try:
            lake.put(key, sql.copy_manifest(objects), {"energylake-table": table, "energylake-load": load_id})
        except Exception as exc:
            for used in written:
                _discard(lake, used)
            raise _load_error("writing the COPY manifest", f"{schema_name}.{table}", table, chunk, exc) from exc
        written.append(key)


# "... [statement 10 of 36: COPY stage_weather_hourly ...]": how the Data API client (data_api._failure) names the
# failing statement of a batch when DescribeStatement's SubStatements say which one failed.
_FAILED_STATEMENT = re.compile(r"\[statement (\d+) of (\d+): ")


def _chunk_load_error(
    exc: WarehouseError,
    groups: Sequence[tuple[str, Sequence[str]]],
    chunk: Window,
    *,
    load_id: str,
    schema_name: str,
) -> WarehouseLoadError:
    """The failed chunk's error: which table's statement failed (when the Data API said which statement), that the
    whole chunk was rolled back, and where the manifests stay."""
    tables = [table for table, _ in groups]
    failing = tables[0] if len(tables) == 1 else _failing_table(str(exc), groups)
    if failing is None:
        what = f"{len(tables)} tables ({', '.join(f'{schema_name}.{t}' for t in tables)})"
        table = ", ".join(tables)
    elif len(tables) == 1:
        what, table = f"{schema_name}.{failing}", failing
    else:
        position = f"table {tables.index(failing) + 1} of {len(tables)} in the chunk's transaction"
        what = f"{schema_name}.{failing} ({position})"
        table = failing
    manifest = redshift_copy_manifest_key(failing or tables[0], chunk.start, chunk.end, load_id)
    return _load_error(
        "load",
        what,
        table,
        chunk,
        exc,
        hint=(
            f" (rolled back: the whole chunk, every table unchanged for it: {', '.join(tables)}; "
            f"its COPY manifests stay for diagnosis, e.g. {manifest})"
        ),
    )


def _failing_table(error: str, groups: Sequence[tuple[str, Sequence[str]]]) -> str | None:
    """The table whose statement failed, from the statement number the error names (None: not named)."""
    match = _FAILED_STATEMENT.search(error)
    total = sum(len(group) for _, group in groups)
    if match is None or int(match.group(2)) != total:
        return None
    number = int(match.group(1))
    for table, group in groups:
        if number <= len(group):
            return table
        number -= len(group)
    return None


def _passed_quality(lake: Storage, table: str, listing: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """The ``(key, size)`` pairs of ``listing`` a load may copy: gold objects all (the gold build replaces a date's
    files whole), silver objects only where a passed quality report lists them (the rule the DuckDB loader follows,
    :mod:`energylake.lake.quality_listing`). Every other silver object is named in a warning and left out of the
    manifest. One quality-folder listing per dataset of the table chunk."""
    silver_groups: dict[str, set[str]] = {}
    for key, _ in listing:
        if key.startswith(f"{layout.SILVER_ZONE}/"):
            silver_groups.setdefault(layout.partition_values(key)["dataset"], set()).add(silver_group(key))
    listed = {key for dataset, groups in silver_groups.items() for key in passed_silver_keys(lake, dataset, groups)}
    kept = []
    for key, size in listing:
        if key.startswith(f"{layout.SILVER_ZONE}/") and key not in listed:
            logger.warning(
                "not loading %s into %s: no passed quality report lists it (curation did not write it)",
                lake.location.object_uri(key),
                table,
            )
            continue
        kept.append((key, size))
    return kept


def _load_error(
    kind: str, what: str, table: str, window: Window, exc: Exception, *, hint: str = ""
) -> WarehouseLoadError:
    """The error a caller sees: the step, the table (or schema), the window, and the underlying error (for a
    Data API failure: the statement kind and Redshift's own message)."""
    return WarehouseLoadError(
        f"{kind} of {what} for window {window} (operating days) failed: {exc}{hint}",
        table=table,
        window=window,
    )


def _discard(lake: Storage, key: str) -> None:
    """Delete a used COPY manifest; a failure only leaves a small object behind (the lifecycle rules expire it)."""
    try:
        lake.delete(key)
    except Exception:
        logger.warning("could not delete the COPY manifest %s", key, exc_info=True)


def _read_freshness(data_api: DataApi, schema_name: str, deadline: float | None) -> dict[str, int]:
    """Best effort, after every table committed: a failed read must not fail (and retry) a load that succeeded.
    No figure means no DataFreshnessMinutes metric, which the freshness alarm treats as breaching."""
    try:
        return freshness_from_rows(data_api.query(freshness_sql(schema_name), kind="freshness read", deadline=deadline))
    except Exception:
        logger.exception("reading %s.v_data_freshness failed: no freshness metric this load", schema_name)
        return {}
