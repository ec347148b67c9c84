"""Redshift SQL, generated from :mod:`energylake.warehouse.model`. This module only writes SQL (and the COPY
manifest); :mod:`.load` runs it through the Redshift Data API.

**Migrations** (:func:`migration_statements`) are ONE Data API batch (one transaction) that brings the schema to the
model's version, run by the loader only when the version recorded in ``schema_version`` is older
(:func:`schema_version_sql`, one cheap query per load):

    CREATE TABLE IF NOT EXISTS <schema>.schema_version (...)
    LOCK <schema>.schema_version                       -- concurrent migrators wait here, one at a time
    CREATE TABLE IF NOT EXISTS <schema>.<table> (...)  -- every table in its newest shape
    CREATE OR REPLACE PROCEDURE ... / CALL ...         -- guarded changes of later versions
    DROP VIEW IF EXISTS <every view> CASCADE          -- Redshift cannot change a view's columns in place
    CREATE OR REPLACE VIEW <schema>.<view> AS ...      -- every analyst view
    CREATE OR REPLACE PROCEDURE ..._describe_<a> / CALL  -- COMMENT ON every table, view, column (version 3 on)
    GRANT SELECT ON ALL TABLES IN SCHEMA <schema> TO ROLE <reader>
    INSERT INTO <schema>.schema_version ... WHERE NOT EXISTS (...)   -- one row per version, last

Every statement is idempotent (``IF NOT EXISTS``, ``CREATE OR REPLACE``, changes guarded by an existence check or by
their version not being recorded yet), so a second migrator that waited on the ``LOCK`` converges on the same schema,
and so does a migration applied to any older warehouse. Tables get ``DISTSTYLE``/``DISTKEY``/``SORTKEY`` and an
informational ``PRIMARY KEY`` on the natural key. The small PL/pgSQL procedures: one runs ``ALTER TABLE ... ADD
COLUMN`` only when the column is missing (Redshift has no ``ADD COLUMN IF NOT EXISTS``); for a version that makes a
column required, one fills its old NULLs; for a version that changes a table's natural key, one replaces the
informational ``PRIMARY KEY`` (looked up by name in ``pg_constraint``). The last two act only while their version is
unrecorded. The schema itself is NOT created here: the warehouse setup (:mod:`.setup`, run as an administrator)
creates it and grants the loader's database role ``CREATE`` on it, which is all the loader may do outside its tables.

The version is the contract between code and warehouse: a change to any table or view needs a new
:class:`~energylake.warehouse.model.Migration` (its version number is what makes loaders re-run this batch), which
``tests/unit/warehouse/test_redshift_sql.py`` enforces by pinning :func:`ddl_fingerprint` per version.

Views (:func:`view_statements`) are the model's DuckDB text transpiled by sqlglot (a runtime dependency of this
module, imported lazily) with every table qualified by the schema. Redshift's ``CREATE OR REPLACE VIEW`` keeps the
old column names and types, so a migration drops every view first and creates it anew.

**One load** of a chunk of days (:func:`chunk_load_statements`) is ONE Data API batch (one transaction: the Data
API runs a batch's statements in order and rolls all of them back when one fails) holding every table of the chunk
that has objects, in the model's order, four statements each (:func:`load_statements`)::

    CREATE TEMP TABLE stage_<t> (<the Parquet columns, in file order>)
    COPY stage_<t> FROM 's3://<lake>/artifacts/redshift/copy-manifests/...json'
        IAM_ROLE '<arn>' FORMAT AS PARQUET MANIFEST                  -- ONE COPY, every file of the chunk
    CREATE TEMP TABLE stage_<t>_latest AS <the chunk's rows, latest fetched_at_utc per natural key>
    MERGE INTO <schema>.<t> USING stage_<t>_latest AS s ON <natural key equalities>
        WHEN MATCHED THEN UPDATE SET ... WHEN NOT MATCHED THEN INSERT ...
    ... the same four for the next table ...

Either every table of the chunk is merged or none is. The Data API takes at most :data:`MAX_BATCH_STATEMENTS` (40)
statements a batch: the model's 9 tables are 36, and a chunk needing more is refused with the count
(:func:`check_load_batch`), never split into several transactions.

Design notes (Redshift restrictions that shaped it; see the COPY "columnar data" and MERGE usage notes):

* Columnar ``COPY`` maps Parquet columns to table columns **by position and the counts must match**, so the stage
  declares exactly the lake file's columns in the contract's order; it cannot be ``(LIKE target)``, which also has
  ``loaded_at_utc``.
* One ``COPY`` per table and chunk: the loader lists the chunk's Parquet objects (every source dataset, every UTC
  date partition the chunk touches, :func:`table_prefixes`) and writes them to a COPY manifest
  (:func:`copy_manifest`: ``entries`` of ``url``, ``mandatory: true`` and ``meta.content_length``, which COPY requires
  for Parquet). A day with no object simply has no entry (a prefix ``COPY`` fails on an empty prefix; a manifest
  does not care), and a listed file that vanished before the COPY fails it (``mandatory``) rather than loading less.
* Partitions are whole UTC days, the window is Central operating days: the dedupe step keeps only rows inside
  ``[window.start_utc, window.end_utc)``.
* ``MERGE`` needs a real table as its source (no view, subquery or CTE), fails when two source rows match one
  target row, allows only equality ``ON`` predicates, and has no ``WHEN MATCHED AND <condition>``: hence the
  deduplicated ``_latest`` temp table, and every matched row is rewritten (its ``loaded_at_utc`` refreshed), unlike
  DuckDB, which rewrites only changed rows.
* No ``BEGIN``/``END``: the batch is the transaction. No ``DROP`` of the temp tables either (two more a table: 54
  statements for the model, over the 40): a batch sent without ``SessionKeepAliveSeconds`` or ``SessionId`` (as
  :mod:`.data_api` sends it) has a session of its own that ends with the batch, and a Redshift temp table is
  dropped at the end of its session (https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_TABLE_NEW.html). The
  Data API reference has ``SessionKeepAliveSeconds`` as "the number of seconds to keep the session alive after the
  query finishes" (https://docs.aws.amazon.com/redshift-data/latest/APIReference/API_BatchExecuteStatement.html),
  and AWS introduced it so that temporary tables could be used across calls
  (https://aws.amazon.com/blogs/big-data/accelerate-your-data-workflows-with-amazon-redshift-data-api-persistent-sessions/).
  Within one batch the names never collide: one pair per table, each table once (:func:`check_load_batch`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
import string
from collections.abc import Sequence

from energylake.errors import InvalidRequestError
from energylake.lake.layout import partition
from energylake.warehouse import dictionary
from energylake.warehouse.model import (
    LOADED_AT,
    SCHEMA_VERSION_TABLE,
    WAREHOUSE,
    WarehouseColumn,
    WarehouseModel,
    WarehouseTable,
    redshift_type,
)
from energylake.window import Window

__all__ = [
    "DICTIONARY_SINCE_VERSION",
    "LOAD_STATEMENTS_PER_TABLE",
    "MAX_BATCH_STATEMENTS",
    "check_load_batch",
    "chunk_load_statements",
    "comment_statements",
    "copy_manifest",
    "create_table_sql",
    "ddl_fingerprint",
    "load_statements",
    "migration_statements",
    "schema_version_sql",
    "sql_literal",
    "table_prefixes",
    "view_statements",
]

# BatchExecuteStatement takes at most 40 SQL statements (the Data API's Sqls limit).
MAX_BATCH_STATEMENTS = 40
# What load_statements returns per table: stage, COPY, dedupe, MERGE. A chunk's tables share one batch, so the model
# may have at most MAX_BATCH_STATEMENTS // 4 = 10 tables (check_load_batch).
LOAD_STATEMENTS_PER_TABLE = 4

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,126}$")
_FORBIDDEN = re.compile(r"['\"\\;\x00-\x1f\x7f]")
_S3_URI = re.compile(r"^s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/[A-Za-z0-9!_.*()=/\-]*)?$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z\-]*:iam::\d{12}:role/[A-Za-z0-9+=,.@_/\-]{1,512}$")
_ADD_COLUMN_PROCEDURE = "energylake_add_column"
_FILL_NULLS_PROCEDURE = "energylake_fill_nulls"
_REPLACE_PRIMARY_KEY_PROCEDURE = "energylake_replace_primary_key"
_DESCRIBE_PROCEDURE = "energylake_describe"
# The data dictionary (COMMENT ON every table, view and column) arrived with schema version 3: a model older than
# that migrates without it, so its DDL, and its pinned fingerprint, stay what they were.
DICTIONARY_SINCE_VERSION = 3
# One procedure body's size budget (UTF-8 bytes): the Data API refuses a statement over 100 kB.
_DESCRIBE_BODY_BYTES = 60_000


def sql_literal(value: object) -> str:  # noqa: PLR0911 - one return per kind of literal
    """A SQL literal for a plain value. Strings holding quotes, backslashes, semicolons or control characters
    (newlines included) are refused rather than escaped: the few strings we inline (an S3 URI, a role ARN,
    timestamps) never need them, so their presence means a bug or an injection attempt."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidRequestError(f"refusing a non-finite SQL literal: {value!r}")
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise InvalidRequestError(f"refusing a naive datetime literal (UTC instants only): {value!r}")
        return "'" + value.astimezone(dt.UTC).isoformat(sep=" ") + "'"
    if isinstance(value, dt.date):
        return f"'{value.isoformat()}'"
    if isinstance(value, str):
        if _FORBIDDEN.search(value):
            raise InvalidRequestError(f"refusing a SQL literal with quotes, backslashes or control chars: {value!r}")
        return f"'{value}'"
    raise InvalidRequestError(f"no SQL literal for {type(value).__name__}")


def _identifier(name: str, what: str) -> str:
    if not _IDENTIFIER.match(name):
        raise InvalidRequestError(f"{what} must be a lower-case SQL identifier, got {name!r}")
    return name


def _timestamptz(value: dt.datetime) -> str:
    return f"CAST({sql_literal(value)} AS TIMESTAMPTZ)"


# --- DDL ---------------------------------------------------------------------------------------------------------


def _column_sql(column: WarehouseColumn, *, constraints: bool = True) -> str:
    not_null = " NOT NULL" if constraints and not column.nullable else ""
    return f"{column.name} {redshift_type(column)}{not_null}"


def create_table_sql(table: WarehouseTable, schema_name: str = "energylake") -> str:
    schema_name = _identifier(schema_name, "schema_name")
    d = table.distribution
    columns = [f"    {_column_sql(c)}" for c in table.columns]
    columns.append(f"    PRIMARY KEY ({', '.join(table.natural_key)})")
    physical = f"DISTSTYLE {d.style}"
    if d.style == "KEY":
        physical += f" DISTKEY ({d.distkey})"
    physical += f" COMPOUND SORTKEY ({', '.join(d.sortkey)})"
    return f"CREATE TABLE IF NOT EXISTS {schema_name}.{table.name} (\n" + ",\n".join(columns) + f"\n) {physical}"


def _add_column_procedure(schema_name: str) -> str:
    return (
        f"CREATE OR REPLACE PROCEDURE {schema_name}.{_ADD_COLUMN_PROCEDURE}"
        "(p_table VARCHAR(128), p_column VARCHAR(128), p_type VARCHAR(128)) AS $$\n"
        "BEGIN\n"
        "    IF NOT EXISTS (SELECT 1 FROM information_schema.columns\n"
        f"                   WHERE table_schema = '{schema_name}' AND table_name = p_table AND column_name = p_column)"
        " THEN\n"
        f"        EXECUTE 'ALTER TABLE {schema_name}.' || quote_ident(p_table) || ' ADD COLUMN ' || "
        "quote_ident(p_column) || ' ' || p_type;\n"
        "    END IF;\n"
        "END;\n"
        "$$ LANGUAGE plpgsql"
    )


def _fill_nulls_procedure(schema_name: str) -> str:
    # Redshift cannot ALTER a column to NOT NULL: old rows get the value, new tables are created NOT NULL, and the
    # stage table's NOT NULL makes a load with a NULL there fail. Runs only while the version is unrecorded.
    return (
        f"CREATE OR REPLACE PROCEDURE {schema_name}.{_FILL_NULLS_PROCEDURE}"
        "(p_version INTEGER, p_table VARCHAR(128), p_column VARCHAR(128), p_value VARCHAR(256)) AS $$\n"
        "BEGIN\n"
        f"    IF NOT EXISTS (SELECT 1 FROM {schema_name}.{SCHEMA_VERSION_TABLE} WHERE version = p_version) THEN\n"
        f"        EXECUTE 'UPDATE {schema_name}.' || quote_ident(p_table) || ' SET ' || quote_ident(p_column) || "
        "' = ' || quote_literal(p_value) || ' WHERE ' || quote_ident(p_column) || ' IS NULL';\n"
        "    END IF;\n"
        "END;\n"
        "$$ LANGUAGE plpgsql"
    )


def _replace_primary_key_procedure(schema_name: str) -> str:
    # The PRIMARY KEY is informational (not enforced) but the planner trusts it (e.g. to skip a DISTINCT), so a
    # key that rows now violate must go. Redshift names an unnamed key itself: look it up in pg_constraint.
    # Runs only while the version is unrecorded (a fresh install re-adds the key it was created with: harmless).
    return (
        f"CREATE OR REPLACE PROCEDURE {schema_name}.{_REPLACE_PRIMARY_KEY_PROCEDURE}"
        "(p_version INTEGER, p_table VARCHAR(128), p_columns VARCHAR(1024)) AS $$\n"
        "DECLARE\n"
        "    v_constraint VARCHAR(128);\n"
        "BEGIN\n"
        f"    IF NOT EXISTS (SELECT 1 FROM {schema_name}.{SCHEMA_VERSION_TABLE} WHERE version = p_version) THEN\n"
        "        SELECT INTO v_constraint c.conname FROM pg_constraint c\n"
        "            JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace\n"
        f"            WHERE n.nspname = '{schema_name}' AND t.relname = p_table AND c.contype = 'p';\n"
        "        IF v_constraint IS NOT NULL THEN\n"
        f"            EXECUTE 'ALTER TABLE {schema_name}.' || quote_ident(p_table) || ' DROP CONSTRAINT ' || "
        "quote_ident(v_constraint);\n"
        "        END IF;\n"
        f"        EXECUTE 'ALTER TABLE {schema_name}.' || quote_ident(p_table) || ' ADD PRIMARY KEY (' || p_columns "
        "|| ')';\n"
        "    END IF;\n"
        "END;\n"
        "$$ LANGUAGE plpgsql"
    )


def _version_table_sql(schema_name: str) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {schema_name}.{SCHEMA_VERSION_TABLE} (\n"
        "    version INTEGER NOT NULL,\n"
        "    description VARCHAR(256) NOT NULL,\n"
        "    applied_at_utc TIMESTAMPTZ NOT NULL,\n"
        "    PRIMARY KEY (version)\n"
        ") DISTSTYLE ALL"
    )


def schema_version_sql(schema_name: str = "energylake") -> str:
    """The one query a load starts with: the newest version the warehouse recorded (NULL in an empty table; the
    query fails with "does not exist" before the first migration)."""
    schema_name = _identifier(schema_name, "schema_name")
    return f"SELECT MAX(version) FROM {schema_name}.{SCHEMA_VERSION_TABLE}"


def _table_ddl(schema_name: str, model: WarehouseModel) -> list[str]:
    """Tables, procedures and the guarded changes of every version: the part of a migration before the views."""
    statements = [create_table_sql(table, schema_name) for table in model.tables]
    if any(m.add_columns for m in model.migrations):
        statements.append(_add_column_procedure(schema_name))
    if any(m.fill_nulls for m in model.migrations):
        statements.append(_fill_nulls_procedure(schema_name))
    if any(m.rekey for m in model.migrations):
        statements.append(_replace_primary_key_procedure(schema_name))
    for migration in model.migrations:
        for table_name, column_name in migration.add_columns:
            column = next(c for c in model.table(table_name).columns if c.name == column_name)
            statements.append(
                f"CALL {schema_name}.{_ADD_COLUMN_PROCEDURE}("
                f"{sql_literal(table_name)}, {sql_literal(column_name)}, {sql_literal(redshift_type(column))})"
            )
        for table_name, column_name, value in migration.fill_nulls:
            statements.append(
                f"CALL {schema_name}.{_FILL_NULLS_PROCEDURE}({migration.version}, "
                f"{sql_literal(table_name)}, {sql_literal(column_name)}, {sql_literal(value)})"
            )
        for table_name in migration.rekey:
            key = ", ".join(_identifier(name, "key column") for name in model.table(table_name).natural_key)
            statements.append(
                f"CALL {schema_name}.{_REPLACE_PRIMARY_KEY_PROCEDURE}({migration.version}, "
                f"{sql_literal(table_name)}, {sql_literal(key)})"
            )
    return statements


def comment_statements(schema_name: str = "energylake", *, model: WarehouseModel = WAREHOUSE) -> list[str]:
    """The data dictionary (:mod:`energylake.warehouse.dictionary`) as ``COMMENT ON`` every table, view and column.

    Redshift's COMMENT takes ``TABLE``, ``VIEW`` and ``COLUMN object_name.column_name`` (a view's columns too, except
    a late-binding view's: ours are schema-bound), one object per statement: hundreds of statements, over the Data
    API's 40 per batch. So they run inside stored procedures (PL/pgSQL accepts DDL as plain statements), each body
    under :data:`_DESCRIBE_BODY_BYTES`: ``CREATE OR REPLACE PROCEDURE <schema>.energylake_describe_<a, b...>()``
    and its ``CALL``, two statements per procedure. Empty for a model older than :data:`DICTIONARY_SINCE_VERSION`."""
    schema_name = _identifier(schema_name, "schema_name")
    if model.version < DICTIONARY_SINCE_VERSION:
        return []
    bodies: list[list[str]] = [[]]
    size = 0
    for comment in dictionary.comment_statements(model, schema_name=schema_name):
        line = f"    {comment};\n"
        if bodies[-1] and size + len(line.encode()) > _DESCRIBE_BODY_BYTES:
            bodies.append([])
            size = 0
        bodies[-1].append(line)
        size += len(line.encode())
    if len(bodies) > len(string.ascii_lowercase):
        raise InvalidRequestError(f"the data dictionary needs {len(bodies)} procedures, over 26: shorten it")
    statements: list[str] = []
    for letter, body in zip(string.ascii_lowercase, bodies, strict=False):
        procedure = f"{schema_name}.{_DESCRIBE_PROCEDURE}_{letter}"  # letters: every procedure name is [a-z_]
        statements.append(
            f"CREATE OR REPLACE PROCEDURE {procedure}() AS $$\nBEGIN\n{''.join(body)}END;\n$$ LANGUAGE plpgsql"
        )
        statements.append(f"CALL {procedure}()")
    return statements


def _version_inserts(schema_name: str, model: WarehouseModel) -> list[str]:
    return [
        f"INSERT INTO {schema_name}.{SCHEMA_VERSION_TABLE} (version, description, applied_at_utc) "
        f"SELECT {migration.version}, {sql_literal(migration.description)}, GETDATE() "
        f"WHERE NOT EXISTS (SELECT 1 FROM {schema_name}.{SCHEMA_VERSION_TABLE} "
        f"WHERE version = {migration.version})"
        for migration in model.migrations
    ]


def migration_statements(
    schema_name: str = "energylake", *, model: WarehouseModel = WAREHOUSE, reader_role: str | None = None
) -> list[str]:
    """The migration batch (see the module docstring): idempotent DDL bringing ``schema_name`` to ``model``'s
    version, the views, SELECT on every table and view for ``reader_role`` (a database role; None: no grant), and
    the version rows last. Runs as one transaction, serialized by a ``LOCK`` on the version table."""
    schema_name = _identifier(schema_name, "schema_name")
    statements = [_version_table_sql(schema_name), f"LOCK {schema_name}.{SCHEMA_VERSION_TABLE}"]
    statements += _table_ddl(schema_name, model)
    statements += view_statements(schema_name, model=model)
    statements += comment_statements(schema_name, model=model)
    if reader_role is not None:
        # Objects this loader creates (it owns them, so it may grant): the reader role reads every table and view.
        statements.append(
            f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema_name} TO ROLE {_identifier(reader_role, 'reader_role')}"
        )
    statements += _version_inserts(schema_name, model)
    if len(statements) > MAX_BATCH_STATEMENTS:
        raise InvalidRequestError(
            f"the migration is {len(statements)} statements, over the Data API's {MAX_BATCH_STATEMENTS} per batch: "
            "fold a version's changes into fewer statements"
        )
    return statements


def ddl_fingerprint(model: WarehouseModel = WAREHOUSE) -> str:
    """A digest of everything a migration creates (tables, procedures, guarded changes, views as written, and from
    :data:`DICTIONARY_SINCE_VERSION` the data dictionary's comments): equal fingerprints, same schema. Tests pin it
    per model version, so changing a table, a view or a description without a new version (which is what makes
    deployed loaders migrate) fails."""
    content = hashlib.sha256()
    ddl = [*_table_ddl("energylake", model), *_version_inserts("energylake", model)]
    for statement in [*ddl, *comment_statements("energylake", model=model)]:
        content.update(statement.encode() + b"\x00")
    for view in model.views:
        content.update(f"{view.name}\x00{view.sql}\x00".encode())
    return content.hexdigest()[:16]


# --- views -------------------------------------------------------------------------------------------------------


def view_sql(sql: str, schema_name: str = "energylake") -> str:
    """A view body (DuckDB text) in Redshift's dialect, with every table that is not a CTE qualified by schema."""
    import sqlglot
    from sqlglot import exp

    schema_name = _identifier(schema_name, "schema_name")
    tree = sqlglot.parse_one(sql, read="duckdb")
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        if table.name not in ctes and not table.args.get("db"):
            table.set("db", exp.to_identifier(schema_name))
    return tree.sql(dialect="redshift")


def view_statements(schema_name: str = "energylake", *, model: WarehouseModel = WAREHOUSE) -> list[str]:
    """One ``DROP VIEW IF EXISTS ... CASCADE`` of every analyst view, then ``CREATE OR REPLACE VIEW`` for each, in
    dependency order. Dropped first because Redshift's ``CREATE OR REPLACE VIEW`` refuses to change a view's
    columns; views hold no data, and the migration (one transaction, run only when the version is older) re-grants
    and re-comments them. ``CASCADE`` also drops views others built on ours: build on the tables or recreate them
    after a migration."""
    schema_name = _identifier(schema_name, "schema_name")
    names = ", ".join(f"{schema_name}.{view.name}" for view in model.views)
    return [
        f"DROP VIEW IF EXISTS {names} CASCADE",
        *(
            f"CREATE OR REPLACE VIEW {schema_name}.{view.name} AS {view_sql(view.sql, schema_name)}"
            for view in model.views
        ),
    ]


# --- loads -------------------------------------------------------------------------------------------------------


def table_prefixes(table: str, window: Window, *, model: WarehouseModel = WAREHOUSE) -> list[str]:
    """The lake-relative prefixes (one per source dataset and UTC date partition the window touches) holding
    ``table``'s Parquet for the window: what the loader lists to write the COPY manifest."""
    return [f"{prefix}{partition(day)}" for prefix in model.table(table).lake_prefixes() for day in window.utc_dates()]


def copy_manifest(objects: Sequence[tuple[str, int]]) -> bytes:
    """A COPY manifest (JSON) for ``objects``: ``(s3:// URL, size in bytes)`` pairs. Every entry is mandatory (a file
    listed but gone fails the COPY instead of loading less) and states ``meta.content_length``, which COPY requires
    for Parquet and ORC files."""
    if not objects:
        raise InvalidRequestError("a COPY manifest needs at least one object (skip a table with no data instead)")
    entries = []
    for url, size in objects:
        if not url.startswith("s3://") or size < 0:
            raise InvalidRequestError(f"a COPY manifest entry needs an s3:// URL and a size, got {url!r}, {size}")
        entries.append({"url": url, "mandatory": True, "meta": {"content_length": int(size)}})
    return json.dumps({"entries": entries}, indent=1).encode()


def load_statements(
    table: str,
    *,
    manifest_uri: str,
    iam_role_arn: str,
    window: Window,
    schema_name: str = "energylake",
    model: WarehouseModel = WAREHOUSE,
) -> list[str]:
    """The statements loading ``table`` for the window's ``[start_utc, end_utc)`` from the Parquet files the COPY
    manifest at ``manifest_uri`` lists: :data:`LOAD_STATEMENTS_PER_TABLE` of them, one part of a chunk's batch
    (:func:`chunk_load_statements`). Its temp tables are not dropped: they end with the batch's session."""
    schema_name = _identifier(schema_name, "schema_name")
    target = model.table(table)
    if not _ROLE_ARN.match(iam_role_arn):
        raise InvalidRequestError(f"iam_role_arn must be an IAM role ARN, got {iam_role_arn!r}")
    if not _S3_URI.match(manifest_uri):
        raise InvalidRequestError(f"manifest_uri must be an s3:// object URI, got {manifest_uri!r}")

    stage = f"stage_{target.name}"
    latest = f"{stage}_latest"
    qualified = f"{schema_name}.{target.name}"
    source = target.source_columns
    names = [c.name for c in source]
    key = target.natural_key
    values = [name for name in names if name not in key]
    order = ", ".join(f"{name} DESC" for name in target.dedupe_order) or ", ".join(key)
    time = target.time_column

    return [
        f"CREATE TEMP TABLE {stage} (\n" + ",\n".join(f"    {_column_sql(c)}" for c in source) + "\n)",
        f"COPY {stage} FROM {sql_literal(manifest_uri)} IAM_ROLE {sql_literal(iam_role_arn)} "
        "FORMAT AS PARQUET MANIFEST",
        f"CREATE TEMP TABLE {latest} AS\n"
        f"SELECT {', '.join(names)}\n"
        f"FROM (\n"
        f"    SELECT {', '.join(names)},\n"
        f"        ROW_NUMBER() OVER (PARTITION BY {', '.join(key)} ORDER BY {order}) AS row_rank\n"
        f"    FROM {stage}\n"
        f"    WHERE {time} >= {_timestamptz(window.start_utc)} AND {time} < {_timestamptz(window.end_utc)}\n"
        f") AS ranked\n"
        f"WHERE row_rank = 1",
        f"MERGE INTO {qualified} USING {latest} AS s\n"
        f"ON {' AND '.join(f'{qualified}.{k} = s.{k}' for k in key)}\n"
        f"WHEN MATCHED THEN UPDATE SET {', '.join([*(f'{v} = s.{v}' for v in values), f'{LOADED_AT} = GETDATE()'])}\n"
        f"WHEN NOT MATCHED THEN INSERT ({', '.join([*names, LOADED_AT])}) "
        f"VALUES ({', '.join([*(f's.{n}' for n in names), 'GETDATE()'])})",
    ]


def check_load_batch(tables: Sequence[str]) -> None:
    """Refuse a chunk load that cannot be ONE batch: more tables than the Data API's statements per batch allow
    (say how many statements), or a table twice (its temp tables would collide). Never split into several
    transactions: a failure would then leave part of the chunk merged."""
    repeated = sorted({table for table in tables if list(tables).count(table) > 1})
    if repeated:
        raise InvalidRequestError(f"a chunk load names {', '.join(repeated)} more than once: name each table once")
    count = len(tables) * LOAD_STATEMENTS_PER_TABLE
    if count > MAX_BATCH_STATEMENTS:
        raise InvalidRequestError(
            f"loading {len(tables)} tables in one transaction is {count} statements ({LOAD_STATEMENTS_PER_TABLE} a "
            f"table), over the Data API's {MAX_BATCH_STATEMENTS} per batch: a chunk's tables are never split over "
            "several transactions (a failure would leave part of them merged); load fewer tables per load"
        )


def chunk_load_statements(
    manifests: Sequence[tuple[str, str]],
    *,
    iam_role_arn: str,
    window: Window,
    schema_name: str = "energylake",
    model: WarehouseModel = WAREHOUSE,
) -> list[tuple[str, list[str]]]:
    """ONE batch (one transaction) loading a chunk: per ``(table, manifest_uri)`` in the given order (the model's),
    the table and its :func:`load_statements`. The caller sends every table's statements, flattened, as one batch and
    maps the batch's per-statement results back to the tables by these groups. Refused (:func:`check_load_batch`)
    when they would not fit one batch."""
    check_load_batch([table for table, _ in manifests])
    return [
        (
            table,
            load_statements(
                table,
                manifest_uri=manifest_uri,
                iam_role_arn=iam_role_arn,
                window=window,
                schema_name=schema_name,
                model=model,
            ),
        )
        for table, manifest_uri in manifests
    ]
