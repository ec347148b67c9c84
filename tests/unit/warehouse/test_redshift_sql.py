"""Redshift SQL generation: every statement parses in sqlglot's Redshift dialect, the load is golden (one COPY of a
manifest), the migration is one batch that locks, creates, grants and records its version last, a changed table or
view without a new version is caught, literals are refused rather than escaped, and every MERGE matches on exactly
the natural key.

No Redshift runs here (none is reachable), so these tests check the SQL text itself; a run against a real
workgroup is the credential-gated test in tests/functional/warehouse/test_redshift_handler.py."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re

import pytest
import sqlglot
from sqlglot import exp

from energylake.errors import InvalidRequestError
from energylake.warehouse.model import WAREHOUSE, WarehouseColumn, WarehouseModel
from energylake.warehouse.redshift import sql as redshift
from energylake.window import Window

ROLE = "arn:aws:iam::123456789012:role/energylake-redshift-copy"
LAKE = "s3://energylake-lake"
MANIFEST = f"{LAKE}/artifacts/redshift/copy-manifests/ercot_spp/2024-11-03_2024-11-03/L.json"
# Operating day 2024-11-03 (the fall-back Sunday: 25 hours) spans two UTC dates.
NOV_3 = Window(dt.date(2024, 11, 3), dt.date(2024, 11, 3))
START_UTC = NOV_3.start_utc

GOLDEN_ERCOT_SPP = """
CREATE TEMP TABLE stage_ercot_spp (
    market VARCHAR(8) NOT NULL,
    settlement_point VARCHAR(64) NOT NULL,
    settlement_point_type VARCHAR(16) NOT NULL,
    interval_start_utc TIMESTAMPTZ NOT NULL,
    interval_end_utc TIMESTAMPTZ NOT NULL,
    price_usd_mwh DOUBLE PRECISION NOT NULL,
    source_dataset VARCHAR(32) NOT NULL,
    raw_key VARCHAR(1024) NOT NULL,
    run_id VARCHAR(64) NOT NULL,
    fetched_at_utc TIMESTAMPTZ NOT NULL
);
COPY stage_ercot_spp FROM 's3://energylake-lake/artifacts/redshift/copy-manifests/ercot_spp/2024-11-03_2024-11-03/L.json' IAM_ROLE 'arn:aws:iam::123456789012:role/energylake-redshift-copy' FORMAT AS PARQUET MANIFEST;
CREATE TEMP TABLE stage_ercot_spp_latest AS
SELECT market, settlement_point, settlement_point_type, interval_start_utc, interval_end_utc, price_usd_mwh, source_dataset, raw_key, run_id, fetched_at_utc
FROM (
    SELECT market, settlement_point, settlement_point_type, interval_start_utc, interval_end_utc, price_usd_mwh, source_dataset, raw_key, run_id, fetched_at_utc,
        ROW_NUMBER() OVER (PARTITION BY market, settlement_point, settlement_point_type, interval_start_utc ORDER BY fetched_at_utc DESC, raw_key DESC) AS row_rank
    FROM stage_ercot_spp
    WHERE interval_start_utc >= CAST('2024-11-03 05:00:00+00:00' AS TIMESTAMPTZ) AND interval_start_utc < CAST('2024-11-04 06:00:00+00:00' AS TIMESTAMPTZ)
) AS ranked
WHERE row_rank = 1;
MERGE INTO energylake.ercot_spp USING stage_ercot_spp_latest AS s
ON energylake.ercot_spp.market = s.market AND energylake.ercot_spp.settlement_point = s.settlement_point AND energylake.ercot_spp.settlement_point_type = s.settlement_point_type AND energylake.ercot_spp.interval_start_utc = s.interval_start_utc
WHEN MATCHED THEN UPDATE SET interval_end_utc = s.interval_end_utc, price_usd_mwh = s.price_usd_mwh, source_dataset = s.source_dataset, raw_key = s.raw_key, run_id = s.run_id, fetched_at_utc = s.fetched_at_utc, loaded_at_utc = GETDATE()
WHEN NOT MATCHED THEN INSERT (market, settlement_point, settlement_point_type, interval_start_utc, interval_end_utc, price_usd_mwh, source_dataset, raw_key, run_id, fetched_at_utc, loaded_at_utc) VALUES (s.market, s.settlement_point, s.settlement_point_type, s.interval_start_utc, s.interval_end_utc, s.price_usd_mwh, s.source_dataset, s.raw_key, s.run_id, s.fetched_at_utc, GETDATE());
"""  # noqa: E501

# The DDL each schema version creates (sql.ddl_fingerprint). A change to a table, a procedure or a view changes the
# fingerprint: it must come with a new Migration (its version is what makes deployed loaders migrate), and a new line
# here. Never edit an existing line.
DDL_FINGERPRINTS = {2: "2d73ce5bf081bd23", 3: "e2f3c8adfa0e6536"}


def _load(table: str, **overrides: object) -> list[str]:
    arguments: dict[str, object] = {
        "manifest_uri": MANIFEST,
        "iam_role_arn": ROLE,
        "window": NOV_3,
    }
    arguments.update(overrides)
    return redshift.load_statements(table, **arguments)  # type: ignore[arg-type]


def _all_statements() -> list[str]:
    newer = WAREHOUSE.with_column("ercot_spp", WarehouseColumn("note", "string", True, "x"), "add note")
    statements = redshift.migration_statements(reader_role="energylake_reader")
    statements += redshift.migration_statements("analytics", model=newer)
    statements += [redshift.schema_version_sql(), redshift.schema_version_sql("analytics")]
    for table in WAREHOUSE.table_names:
        statements += _load(table)
    return statements


_COMMAND_SHAPES = (
    r"CALL [a-z_]+\.[a-z_]+\(.*\)"
    r"|LOCK [a-z_]+\.[a-z_]+"
    r"|GRANT SELECT ON ALL TABLES IN SCHEMA [a-z_]+ TO ROLE [a-z_]+"
)


def _parse(statement: str) -> exp.Expression:
    parsed = sqlglot.parse(statement, read="redshift", error_level=sqlglot.ErrorLevel.RAISE)
    assert len(parsed) == 1 and parsed[0] is not None, statement
    return parsed[0]


def test_every_generated_statement_parses_in_the_redshift_dialect() -> None:
    statements = _all_statements()
    assert len(statements) > 60
    for statement in statements:
        tree = _parse(statement)
        # sqlglot falls back to an opaque Command for syntax it does not model: only CALL, LOCK and the reader's
        # GRANT (Redshift's "TO ROLE") may, and those must be exactly of the shapes Redshift documents
        if isinstance(tree, exp.Command):
            assert re.fullmatch(_COMMAND_SHAPES, statement, flags=re.DOTALL), statement


def test_golden_load_statements_for_ercot_spp() -> None:
    expected = [s.strip() for s in GOLDEN_ERCOT_SPP.strip().rstrip(";").split(";\n")]
    assert _load("ercot_spp") == expected
    assert len(expected) == redshift.LOAD_STATEMENTS_PER_TABLE  # no DROP: the temp tables end with the batch's session


def _manifest(table: str) -> str:
    return f"{LAKE}/artifacts/redshift/copy-manifests/{table}/2024-11-03_2024-11-03/L.json"


def test_every_table_of_the_model_fits_one_chunk_batch() -> None:
    # GIVEN every table of the current model with data in a chunk
    manifests = [(table, _manifest(table)) for table in WAREHOUSE.table_names]
    # WHEN the chunk's batch is written
    groups = redshift.chunk_load_statements(manifests, iam_role_arn=ROLE, window=NOV_3)
    # THEN each table's load statements in the model's order, all of them within one Data API batch (one transaction)
    assert [table for table, _ in groups] == list(WAREHOUSE.table_names)
    assert all(group == _load(table, manifest_uri=_manifest(table)) for table, group in groups)
    count = sum(len(group) for _, group in groups)
    assert count == redshift.LOAD_STATEMENTS_PER_TABLE * len(WAREHOUSE.tables) <= redshift.MAX_BATCH_STATEMENTS
    # ... and no two tables share a temp table name (one session, one namespace for its temp tables)
    temps = [s.split()[3] for _, group in groups for s in group if s.startswith("CREATE TEMP TABLE")]
    assert len(temps) == len(set(temps)) == 2 * len(WAREHOUSE.tables)


def test_a_chunk_batch_over_the_data_apis_limit_is_refused_naming_the_count_never_split() -> None:
    # GIVEN a model grown to 11 tables
    spp = WAREHOUSE.table("ercot_spp")
    grown = dataclasses.replace(
        WAREHOUSE, tables=(*WAREHOUSE.tables, *(dataclasses.replace(spp, name=f"spp_copy_{n}") for n in (1, 2)))
    )
    manifests = [(table, _manifest(table)) for table in grown.table_names]
    # WHEN its chunk batch is asked for THEN it is refused with the count, not cut into two transactions
    with pytest.raises(InvalidRequestError, match=r"loading 11 tables in one transaction is 44 statements .* 40 per"):
        redshift.chunk_load_statements(manifests, iam_role_arn=ROLE, window=NOV_3, model=grown)
    # ... and so is a table named twice (its temp tables would collide)
    with pytest.raises(InvalidRequestError, match="names ercot_spp more than once"):
        redshift.check_load_batch(["ercot_spp", "weather_hourly", "ercot_spp"])
    redshift.check_load_batch(list(WAREHOUSE.table_names))  # the model itself fits


@pytest.mark.parametrize("table", WAREHOUSE.tables, ids=lambda t: t.name)
def test_merge_matches_on_exactly_the_natural_key(table: object) -> None:
    name = table.name  # type: ignore[attr-defined]
    merges = [_parse(s) for s in _load(name) if s.startswith("MERGE")]
    assert len(merges) == 1
    merge = merges[0]
    assert isinstance(merge, exp.Merge)
    on = merge.args["on"]
    pairs = set()
    for eq in on.find_all(exp.EQ):
        left, right = eq.left, eq.right
        assert isinstance(left, exp.Column) and isinstance(right, exp.Column)
        assert (left.db, left.table, right.table) == ("energylake", name, "s")
        assert left.name == right.name
        pairs.add(left.name)
    assert not list(on.find_all(exp.Or))
    assert pairs == set(WAREHOUSE.table(name).natural_key)


@pytest.mark.parametrize("table", WAREHOUSE.tables, ids=lambda t: t.name)
def test_a_load_is_one_copy_of_a_manifest_into_a_stage_that_matches_the_parquet_columns(table: object) -> None:
    model_table = WAREHOUSE.table(table.name)  # type: ignore[attr-defined]
    statements = _load(model_table.name)
    # the Data API batch is the transaction: no BEGIN/END of its own, at most 40 statements
    assert not {"BEGIN", "END", "COMMIT"} & {s.split()[0] for s in statements}
    assert len(statements) <= redshift.MAX_BATCH_STATEMENTS
    stage = _parse(statements[0])
    assert isinstance(stage, exp.Create)
    stage_columns = [c.name for c in stage.find_all(exp.ColumnDef)]
    assert stage_columns == list(model_table.contract.column_names)  # COPY maps columnar data by position
    copies = [s for s in statements if s.startswith("COPY ")]
    assert copies == [f"COPY stage_{model_table.name} FROM '{MANIFEST}' IAM_ROLE '{ROLE}' FORMAT AS PARQUET MANIFEST"]


def test_the_prefixes_a_window_touches_and_the_manifest_of_their_objects() -> None:
    # GIVEN the fall-back Sunday (two UTC dates) of a table fed by two datasets
    prefixes = redshift.table_prefixes("ercot_spp", NOV_3)
    assert prefixes == [
        "silver/dataset=spp_rt/date=2024-11-03/",
        "silver/dataset=spp_rt/date=2024-11-04/",
        "silver/dataset=spp_dam/date=2024-11-03/",
        "silver/dataset=spp_dam/date=2024-11-04/",
    ]
    assert redshift.table_prefixes("system_hourly", NOV_3) == [
        "gold/system_hourly/date=2024-11-03/",
        "gold/system_hourly/date=2024-11-04/",
    ]
    # WHEN its objects are written to a manifest THEN each is a mandatory entry with its length (Parquet needs it)
    manifest = json.loads(redshift.copy_manifest([(f"{LAKE}/{prefixes[0]}a.parquet", 10), (f"{LAKE}/x.parquet", 0)]))
    assert manifest == {
        "entries": [
            {"url": f"{LAKE}/{prefixes[0]}a.parquet", "mandatory": True, "meta": {"content_length": 10}},
            {"url": f"{LAKE}/x.parquet", "mandatory": True, "meta": {"content_length": 0}},
        ]
    }
    with pytest.raises(InvalidRequestError, match="at least one object"):
        redshift.copy_manifest([])
    with pytest.raises(InvalidRequestError, match="s3:// URL"):
        redshift.copy_manifest([("https://x/y.parquet", 1)])


@pytest.mark.parametrize(
    "value",
    ["it's", 'say "hi"', "back\\slash", "two\nlines", "cr\r", "semi;colon", "nul\x00", "tab\t"],
)
def test_sql_literal_refuses_rather_than_escapes(value: str) -> None:
    with pytest.raises(InvalidRequestError, match="refusing"):
        redshift.sql_literal(value)


def test_sql_literal_values() -> None:
    assert redshift.sql_literal(ROLE) == f"'{ROLE}'"
    assert redshift.sql_literal(None) == "NULL"
    assert redshift.sql_literal(True) == "TRUE"
    assert redshift.sql_literal(7) == "7"
    assert redshift.sql_literal(1.5) == "1.5"
    assert redshift.sql_literal(dt.date(2024, 1, 2)) == "'2024-01-02'"
    assert redshift.sql_literal(START_UTC) == "'2024-11-03 05:00:00+00:00'"
    for bad in (float("nan"), float("inf"), dt.datetime(2024, 1, 1), object()):
        with pytest.raises(InvalidRequestError):
            redshift.sql_literal(bad)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"iam_role_arn": "arn:aws:iam::123456789012:role/x' OR '1'='1"}, "iam_role_arn"),
        ({"iam_role_arn": "arn:aws:iam::123:role/short-account"}, "iam_role_arn"),
        ({"manifest_uri": "s3://bucket/pre'fix.json"}, "manifest_uri"),
        ({"manifest_uri": "https://bucket/m.json"}, "manifest_uri"),
        ({"manifest_uri": "s3://bucket/a\nb.json"}, "manifest_uri"),
        ({"schema_name": "energylake; DROP TABLE x"}, "schema_name"),
    ],
)
def test_load_statements_refuse_bad_inputs(override: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        _load("ercot_spp", **override)
    with pytest.raises(KeyError):
        _load("not_a_table")


class _NaiveStartWindow(Window):
    """A window whose first UTC bound lost its time zone (a real Window's bounds are always UTC instants)."""

    @property
    def start_utc(self) -> dt.datetime:
        return super().start_utc.replace(tzinfo=None)


def test_load_statements_refuse_a_bad_window() -> None:
    # The bounds were two datetimes checked by load_statements ("not after", "timezone-aware"); they are the
    # Window's own now: a window ending before it starts cannot be built, and a naive bound is refused, not inlined.
    with pytest.raises(InvalidRequestError, match="end 2024-11-02 is before start 2024-11-03"):
        _load("ercot_spp", window=Window(dt.date(2024, 11, 3), dt.date(2024, 11, 2)))
    with pytest.raises(InvalidRequestError, match="naive datetime"):
        _load("ercot_spp", window=_NaiveStartWindow(NOV_3.start, NOV_3.end))


def test_the_migration_is_one_batch_that_locks_creates_grants_and_records_its_version_last() -> None:
    statements = redshift.migration_statements(reader_role="energylake_reader")
    # one Data API batch (one transaction): within the Sqls limit, the version table first, then the LOCK that
    # serializes concurrent migrators; no CREATE SCHEMA (the setup makes it: the loader may only create IN it)
    assert len(statements) <= redshift.MAX_BATCH_STATEMENTS
    assert statements[0].startswith("CREATE TABLE IF NOT EXISTS energylake.schema_version (")
    assert statements[1] == "LOCK energylake.schema_version"
    assert not [s for s in statements if "CREATE SCHEMA" in s]
    creates = [s for s in statements if s.startswith("CREATE TABLE")]
    assert len(creates) == len(WAREHOUSE.tables) + 1  # + schema_version
    assert all(s.startswith("CREATE TABLE IF NOT EXISTS energylake.") for s in creates)
    spp = next(s for s in creates if "energylake.ercot_spp (" in s)
    assert spp.endswith(") DISTSTYLE KEY DISTKEY (settlement_point) COMPOUND SORTKEY (interval_start_utc)")
    assert "PRIMARY KEY (market, settlement_point, settlement_point_type, interval_start_utc)" in spp
    system = next(s for s in creates if "energylake.system_hourly (" in s)
    assert system.endswith("DISTSTYLE ALL COMPOUND SORTKEY (interval_start_utc)")
    # the views come with the migration (never on a load), then the reader role's SELECT on all of it
    views = [s for s in statements if s.startswith("CREATE OR REPLACE VIEW")]
    assert len(views) == len(WAREHOUSE.views)
    assert statements.index(next(s for s in statements if s.startswith("DROP VIEW IF EXISTS"))) < statements.index(
        views[0]
    )
    grant = statements.index("GRANT SELECT ON ALL TABLES IN SCHEMA energylake TO ROLE energylake_reader")
    assert max(statements.index(v) for v in views) < grant
    # every version recorded last, guarded: applying it twice records nothing twice
    inserts = [s for s in statements if s.startswith("INSERT")]
    assert statements[-len(inserts) :] == inserts and len(inserts) == WAREHOUSE.version
    assert all("WHERE NOT EXISTS" in s for s in inserts)
    assert redshift.schema_version_sql() == "SELECT MAX(version) FROM energylake.schema_version"
    # without a reader role, no grant
    assert not [s for s in redshift.migration_statements() if s.startswith("GRANT")]


def test_a_change_to_the_ddl_needs_a_new_schema_version() -> None:
    # GIVEN the DDL fingerprint of every released version
    # THEN the current model's is the one pinned for its version: a table or view changed without a new Migration
    # would never reach a deployed warehouse (loaders migrate only when the version is newer)
    assert DDL_FINGERPRINTS.get(WAREHOUSE.version) == redshift.ddl_fingerprint(), (
        f"the warehouse DDL changed: add a Migration (version {WAREHOUSE.version + 1}) and pin "
        f"{WAREHOUSE.version + 1}: {redshift.ddl_fingerprint()!r} here"
    )
    # AND any change to a table or a view changes it
    newer = WAREHOUSE.with_column("ercot_spp", WarehouseColumn("note", "string", True, "x"), "add note")
    assert redshift.ddl_fingerprint(newer) != redshift.ddl_fingerprint()
    edited = WarehouseModel(
        WAREHOUSE.tables,
        (*WAREHOUSE.views[:-1], dataclasses.replace(WAREHOUSE.views[-1], sql=WAREHOUSE.views[-1].sql + " ")),
        WAREHOUSE.migrations,
    )
    assert redshift.ddl_fingerprint(edited) != redshift.ddl_fingerprint()


def test_a_migration_over_the_data_apis_batch_limit_is_refused() -> None:
    model = WAREHOUSE
    for number in range(12):
        model = model.with_column("ercot_spp", WarehouseColumn(f"note_{number}", "string", True, "x"), f"add {number}")
    with pytest.raises(InvalidRequestError, match=r"over the Data API's 40 per batch"):
        redshift.migration_statements(model=model)


def test_a_newer_version_adds_its_column_through_the_guarded_procedure() -> None:
    newer = WAREHOUSE.with_column("ercot_spp", WarehouseColumn("note", "string", True, "x"), "add note")
    statements = redshift.migration_statements(model=newer)
    procedure = next(s for s in statements if s.startswith("CREATE OR REPLACE PROCEDURE"))
    assert "IF NOT EXISTS (SELECT 1 FROM information_schema.columns" in procedure
    call = statements.index("CALL energylake.energylake_add_column('ercot_spp', 'note', 'VARCHAR(256)')")
    assert statements.index(procedure) < call < len(statements) - 1
    assert statements[-1].startswith("INSERT INTO energylake.schema_version")
    assert f"SELECT {WAREHOUSE.version + 1}, 'add note'" in statements[-1]
    # the fresh-install CREATE already has the column; the guarded ALTER is then a no-op
    assert "note VARCHAR(256)" in next(s for s in statements if "energylake.ercot_spp (" in s)


def test_views_are_transpiled_and_qualified() -> None:
    drop, *statements = redshift.view_statements("analytics")
    # Redshift's CREATE OR REPLACE VIEW cannot change a view's columns: every view is dropped first, in one statement
    assert drop == "DROP VIEW IF EXISTS " + ", ".join(f"analytics.{v.name}" for v in WAREHOUSE.views) + " CASCADE"
    assert [s.split(" AS ", 1)[0] for s in statements] == [
        f"CREATE OR REPLACE VIEW analytics.{v.name}" for v in WAREHOUSE.views
    ]
    for statement in statements:
        tree = _parse(statement)
        ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
        for table in tree.find_all(exp.Table):
            if table.name not in ctes:
                assert table.db == "analytics", (table.sql(), statement[:60])
        # leader-node-only / DuckDB-only functions must not survive the transpile
        assert "CURRENT_TIMESTAMP" not in statement and "DATE_DIFF(" not in statement
    freshness = statements[-1]
    assert "DATEDIFF(MINUTE, s.newest_utc, GETDATE())" in freshness


def test_version_2_fills_old_null_types_and_replaces_the_price_tables_primary_keys_before_recording_itself() -> None:
    # GIVEN the migration statements of the current model
    statements = redshift.migration_statements()
    # THEN the price tables are created with the settlement point type required and in the key
    creates = {s.split(" (", 1)[0].rsplit(".", 1)[1]: s for s in statements if s.startswith("CREATE TABLE")}
    for table in ("ercot_spp", "ercot_spp_hourly"):
        assert "settlement_point_type VARCHAR(16) NOT NULL" in creates[table]
        assert f"PRIMARY KEY ({', '.join(WAREHOUSE.table(table).natural_key)})" in creates[table]
    assert WAREHOUSE.table("ercot_spp_hourly").natural_key == (
        "settlement_point",
        "settlement_point_type",
        "interval_start_utc",
    )
    # AND an older warehouse is brought there by guarded procedures that act only while version 2 is unrecorded:
    #     old NULL types (untyped day-ahead resource nodes) become RN, then the informational key is replaced
    fill = next(s for s in statements if "PROCEDURE energylake.energylake_fill_nulls(" in s)
    rekey = next(s for s in statements if "PROCEDURE energylake.energylake_replace_primary_key(" in s)
    for procedure in (fill, rekey):
        assert "IF NOT EXISTS (SELECT 1 FROM energylake.schema_version WHERE version = p_version) THEN" in procedure
    assert "' IS NULL'" in fill and "quote_literal(p_value)" in fill
    assert "FROM pg_constraint c" in rekey and "c.contype = 'p'" in rekey
    assert "' DROP CONSTRAINT ' || quote_ident(v_constraint)" in rekey and "' ADD PRIMARY KEY ('" in rekey
    calls = [s for s in statements if s.startswith("CALL ") and "describe" not in s]  # version 3's comments aside
    assert calls == [
        "CALL energylake.energylake_fill_nulls(2, 'ercot_spp', 'settlement_point_type', 'RN')",
        "CALL energylake.energylake_fill_nulls(2, 'ercot_spp_hourly', 'settlement_point_type', 'RN')",
        "CALL energylake.energylake_replace_primary_key(2, 'ercot_spp', "
        "'market, settlement_point, settlement_point_type, interval_start_utc')",
        "CALL energylake.energylake_replace_primary_key(2, 'ercot_spp_hourly', "
        "'settlement_point, settlement_point_type, interval_start_utc')",
    ]
    version_2 = next(i for i, s in enumerate(statements) if s.startswith("INSERT") and "SELECT 2," in s)
    assert statements.index(calls[0]) < statements.index(calls[-1]) < version_2 < len(statements)
    assert all(s.startswith("INSERT") for s in statements[version_2:])  # later versions are recorded after it
    assert "the settlement point type joins the keys of the price tables" in statements[version_2]
    # AND a model without such versions emits neither procedure
    first = redshift.migration_statements(
        model=WarehouseModel(WAREHOUSE.tables, WAREHOUSE.views, WAREHOUSE.migrations[:1])
    )
    assert not [s for s in first if "energylake_fill_nulls" in s or "energylake_replace_primary_key" in s]


@pytest.mark.parametrize("table", ["ercot_spp", "ercot_spp_hourly"])
def test_a_price_load_dedupes_and_merges_per_settlement_point_type(table: str) -> None:
    # GIVEN the load of a price table WHEN generated
    statements = _load(table)
    latest = next(s for s in statements if s.startswith("CREATE TEMP TABLE stage_") and "_latest AS" in s)
    merge = next(s for s in statements if s.startswith("MERGE"))
    # THEN an LZ and an LZEW row of one point and interval are two keys: neither the dedupe nor the MERGE folds them
    key = WAREHOUSE.table(table).natural_key
    assert "settlement_point_type" in key
    assert f"PARTITION BY {', '.join(key)} ORDER BY" in latest
    assert f"energylake.{table}.settlement_point_type = s.settlement_point_type" in merge
    assert "UPDATE SET settlement_point_type" not in merge
