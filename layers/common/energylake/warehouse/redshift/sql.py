"""Redshift SQL, generated from :mod:`energylake.warehouse.model`. This module only writes SQL; a Lambda runs it.

Migrations (:func:`migration_statements`) are idempotent: ``CREATE SCHEMA/TABLE IF NOT EXISTS`` (tables in their
newest shape, with ``DISTSTYLE``/``DISTKEY``/``SORTKEY`` and an informational ``PRIMARY KEY`` on the natural key),
a ``schema_version`` table, and small PL/pgSQL procedures: one runs ``ALTER TABLE ... ADD COLUMN`` only when the
column is missing (Redshift has no ``ADD COLUMN IF NOT EXISTS``); for a version that makes a column required, one
fills its old NULLs; for a version that changes a table's natural key, one replaces the informational
``PRIMARY KEY`` (looked up by name in ``pg_constraint``). The last two run only while their version is not yet in
``schema_version`` (the version row is inserted after them).

Views (:func:`view_statements`) are the model's DuckDB text transpiled by sqlglot (a runtime dependency of this
module, imported lazily) with every table qualified by the schema. Redshift's ``CREATE OR REPLACE VIEW`` keeps the
old column names and types: a view whose columns change must be dropped first (do it in the migration that
changes it).

One load (:func:`load_statements`) is one transaction::

    BEGIN
    CREATE TEMP TABLE stage_<t> (<the Parquet columns, in file order>)
    COPY stage_<t> FROM 's3://<lake>/<zone>/.../date=<UTC date>/' IAM_ROLE '<arn>' FORMAT AS PARQUET   -- one per prefix
    CREATE TEMP TABLE stage_<t>_latest AS <the window's rows, latest fetched_at_utc per natural key>
    MERGE INTO <schema>.<t> USING stage_<t>_latest AS s ON <natural key equalities>
        WHEN MATCHED THEN UPDATE SET ... WHEN NOT MATCHED THEN INSERT ...
    DROP TABLE stage_<t>_latest; DROP TABLE stage_<t>
    END

Design notes (Redshift restrictions that shaped it; see the COPY "columnar data" and MERGE usage notes):

* Columnar ``COPY`` maps Parquet columns to table columns **by position and the counts must match**, so the stage
  declares exactly the lake file's columns in ``schema.py`` order; it cannot be ``(LIKE target)``, which also has
  ``loaded_at_utc``.
* ``COPY`` takes one S3 prefix and **fails when the prefix holds no object**. ``s3_uri`` is the lake root
  (``s3://bucket[/prefix]``); by default one ``COPY`` is emitted per source dataset and UTC date of the window
  (:func:`copy_prefixes`). A caller that may meet missing days lists S3 first and passes the existing ones as
  ``prefixes``.
* Partitions are whole UTC days, the window is Central operating days: the dedupe step keeps only rows inside
  ``[window.start_utc, window.end_utc)``.
* ``MERGE`` needs a real table as its source (no view, subquery or CTE), fails when two source rows match one
  target row, allows only equality ``ON`` predicates, and has no ``WHEN MATCHED AND <condition>``: hence the
  deduplicated ``_latest`` temp table, and every matched row is rewritten (its ``loaded_at_utc`` refreshed), unlike
  DuckDB, which rewrites only changed rows.
* Temp tables are dropped explicitly because a Lambda may reuse its session.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence

from energylake.errors import InvalidRequestError
from energylake.lake.layout import partition
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
    "copy_prefixes",
    "create_table_sql",
    "load_statements",
    "migration_statements",
    "sql_literal",
    "view_statements",
]

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,126}$")
_FORBIDDEN = re.compile(r"['\"\\;\x00-\x1f\x7f]")
_S3_URI = re.compile(r"^s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/[A-Za-z0-9!_.*()=/\-]*)?$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z\-]*:iam::\d{12}:role/[A-Za-z0-9+=,.@_/\-]{1,512}$")
_ADD_COLUMN_PROCEDURE = "energylake_add_column"
_FILL_NULLS_PROCEDURE = "energylake_fill_nulls"
_REPLACE_PRIMARY_KEY_PROCEDURE = "energylake_replace_primary_key"


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


def migration_statements(schema_name: str = "energylake", *, model: WarehouseModel = WAREHOUSE) -> list[str]:
    """Idempotent DDL bringing a Redshift schema to ``model``'s version (safe to run on every deployment)."""
    schema_name = _identifier(schema_name, "schema_name")
    statements = [
        f"CREATE SCHEMA IF NOT EXISTS {schema_name}",
        f"CREATE TABLE IF NOT EXISTS {schema_name}.{SCHEMA_VERSION_TABLE} (\n"
        "    version INTEGER NOT NULL,\n"
        "    description VARCHAR(256) NOT NULL,\n"
        "    applied_at_utc TIMESTAMPTZ NOT NULL,\n"
        "    PRIMARY KEY (version)\n"
        ") DISTSTYLE ALL",
    ]
    statements += [create_table_sql(table, schema_name) for table in model.tables]
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
        statements.append(
            f"INSERT INTO {schema_name}.{SCHEMA_VERSION_TABLE} (version, description, applied_at_utc) "
            f"SELECT {migration.version}, {sql_literal(migration.description)}, GETDATE() "
            f"WHERE NOT EXISTS (SELECT 1 FROM {schema_name}.{SCHEMA_VERSION_TABLE} "
            f"WHERE version = {migration.version})"
        )
    return statements


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
    """``CREATE OR REPLACE VIEW`` for every analyst view, in dependency order."""
    schema_name = _identifier(schema_name, "schema_name")
    return [
        f"CREATE OR REPLACE VIEW {schema_name}.{view.name} AS {view_sql(view.sql, schema_name)}" for view in model.views
    ]


# --- loads -------------------------------------------------------------------------------------------------------


def copy_prefixes(table: str, *, s3_uri: str, window: Window, model: WarehouseModel = WAREHOUSE) -> list[str]:
    """The S3 prefixes (one per source dataset and UTC date) holding ``table``'s Parquet for the window."""
    if not _S3_URI.match(s3_uri):
        raise InvalidRequestError(f"s3_uri must be the lake root s3://bucket[/prefix], got {s3_uri!r}")
    root = s3_uri.rstrip("/")
    return [
        f"{root}/{prefix}{partition(day)}"
        for prefix in model.table(table).lake_prefixes()
        for day in window.utc_dates()
    ]


def load_statements(
    table: str,
    *,
    s3_uri: str,
    iam_role_arn: str,
    window: Window,
    schema_name: str = "energylake",
    prefixes: Sequence[str] | None = None,
    model: WarehouseModel = WAREHOUSE,
) -> list[str]:
    """One transaction loading ``table`` for the window's ``[start_utc, end_utc)`` from the lake at ``s3_uri``.

    ``prefixes`` overrides the default COPY prefixes (:func:`copy_prefixes`), e.g. with only those that exist.
    """
    schema_name = _identifier(schema_name, "schema_name")
    target = model.table(table)
    if not _ROLE_ARN.match(iam_role_arn):
        raise InvalidRequestError(f"iam_role_arn must be an IAM role ARN, got {iam_role_arn!r}")
    if prefixes is None:
        prefixes = copy_prefixes(table, s3_uri=s3_uri, window=window, model=model)
    for prefix in prefixes:
        if not _S3_URI.match(prefix):
            raise InvalidRequestError(f"COPY prefix must be an s3:// URI, got {prefix!r}")

    stage = f"stage_{target.name}"
    latest = f"{stage}_latest"
    qualified = f"{schema_name}.{target.name}"
    source = target.source_columns
    names = [c.name for c in source]
    key = target.natural_key
    values = [name for name in names if name not in key]
    order = ", ".join(f"{name} DESC" for name in target.dedupe_order) or ", ".join(key)
    time = target.time_column
    role = sql_literal(iam_role_arn)

    statements = ["BEGIN"]
    statements.append(f"CREATE TEMP TABLE {stage} (\n" + ",\n".join(f"    {_column_sql(c)}" for c in source) + "\n)")
    statements += [f"COPY {stage} FROM {sql_literal(prefix)} IAM_ROLE {role} FORMAT AS PARQUET" for prefix in prefixes]
    statements.append(
        f"CREATE TEMP TABLE {latest} AS\n"
        f"SELECT {', '.join(names)}\n"
        f"FROM (\n"
        f"    SELECT {', '.join(names)},\n"
        f"        ROW_NUMBER() OVER (PARTITION BY {', '.join(key)} ORDER BY {order}) AS row_rank\n"
        f"    FROM {stage}\n"
        f"    WHERE {time} >= {_timestamptz(window.start_utc)} AND {time} < {_timestamptz(window.end_utc)}\n"
        f") AS ranked\n"
        f"WHERE row_rank = 1"
    )
    statements.append(
        f"MERGE INTO {qualified} USING {latest} AS s\n"
        f"ON {' AND '.join(f'{qualified}.{k} = s.{k}' for k in key)}\n"
        f"WHEN MATCHED THEN UPDATE SET {', '.join([*(f'{v} = s.{v}' for v in values), f'{LOADED_AT} = GETDATE()'])}\n"
        f"WHEN NOT MATCHED THEN INSERT ({', '.join([*names, LOADED_AT])}) "
        f"VALUES ({', '.join([*(f's.{n}' for n in names), 'GETDATE()'])})"
    )
    statements += [f"DROP TABLE {latest}", f"DROP TABLE {stage}", "END"]
    return statements
