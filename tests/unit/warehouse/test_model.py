"""The warehouse model: tables mirror the contracts (energylake.contracts.tables), every table has its keys and
physical design, views are sound, and none of it needs pyarrow."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import sqlglot
from sqlglot import exp
from sqlglot.optimizer.qualify import qualify

from energylake.contracts import tables as schema
from energylake.warehouse import model
from energylake.warehouse.model import (
    LOADED_AT,
    WAREHOUSE,
    Migration,
    WarehouseColumn,
    WarehouseModel,
    duckdb_type,
    redshift_type,
)

EXPECTED_SOURCES = {
    "ercot_spp": ("silver", ("spp_rt", "spp_dam"), schema.SPP),
    "ercot_load_by_weather_zone": ("silver", ("load_weather_zone",), schema.LOAD_WEATHER_ZONE),
    "weather_hourly": ("silver", ("weather",), schema.WEATHER),
    "ercot_load_forecast": ("silver", ("load_forecast",), schema.LOAD_FORECAST),
    "ercot_wind_solar": ("silver", ("wind", "solar"), schema.RENEWABLE_PRODUCTION),
    "ercot_fuel_mix": ("silver", ("fuel_mix",), schema.FUEL_MIX),
    "energy_weather_hourly": ("gold", ("energy_weather_hourly",), schema.ENERGY_WEATHER_HOURLY),
    "system_hourly": ("gold", ("system_hourly",), schema.SYSTEM_HOURLY),
    "ercot_spp_hourly": ("gold", ("ercot_spp_hourly",), schema.ERCOT_SPP_HOURLY),
}
LINEAGE = ("source_dataset", "raw_key", "run_id", "fetched_at_utc")
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def test_the_public_table_names_and_their_sources() -> None:
    assert set(WAREHOUSE.table_names) == set(EXPECTED_SOURCES)
    for table in WAREHOUSE.tables:
        zone, sources, contract = EXPECTED_SOURCES[table.name]
        assert (table.zone, table.sources, table.contract) == (zone, sources, contract)
        for source in sources:
            if zone == "silver":
                assert schema.SILVER_TABLES[source] is contract  # type: ignore[index]
            else:
                assert schema.GOLD_TABLES[source] is contract


@pytest.mark.parametrize("table", WAREHOUSE.tables, ids=lambda t: t.name)
def test_columns_are_the_schema_columns_plus_loaded_at(table: model.WarehouseTable) -> None:
    contract = table.contract
    assert table.column_names == (*contract.column_names, LOADED_AT)
    for column in table.columns[:-1]:
        source = contract.column(column.name)
        assert (column.kind, column.nullable) == (source.kind, source.nullable)
    loaded = table.columns[-1]
    assert loaded.kind == "timestamp_utc" and not loaded.nullable
    if table.zone == "silver":  # lineage travels into the warehouse for traceability
        assert set(LINEAGE) <= set(table.column_names)
        assert table.dedupe_order == ("fetched_at_utc", "raw_key")
    assert all(IDENTIFIER.match(name) for name in table.column_names)


@pytest.mark.parametrize("table", WAREHOUSE.tables, ids=lambda t: t.name)
def test_every_table_has_a_natural_key_and_a_physical_design_with_a_reason(table: model.WarehouseTable) -> None:
    assert table.natural_key == table.contract.natural_key
    # the DuckDB loader's insert fast path and both MERGEs' window predicates rely on it
    assert table.time_column in table.natural_key
    assert table.natural_key and set(table.natural_key) <= set(table.column_names)
    assert all(not table.contract.column(k).nullable for k in table.natural_key)
    d = table.distribution
    assert d.style in ("KEY", "ALL", "EVEN", "AUTO")
    assert (d.distkey is not None) == (d.style == "KEY")
    if d.distkey:
        assert d.distkey in table.column_names
    assert d.sortkey and set(d.sortkey) <= set(table.column_names)
    assert d.sortkey[0] == table.time_column  # every table is read by time range first
    assert d.reason.strip() and "\n" not in d.reason and len(d.reason) <= 120
    assert table.freshness in table.column_names


def test_the_physical_choices_named_in_the_design() -> None:
    spp = WAREHOUSE.table("ercot_spp").distribution
    assert (spp.style, spp.distkey, spp.sortkey) == ("KEY", "settlement_point", ("interval_start_utc",))
    assert WAREHOUSE.table("system_hourly").distribution.style == "ALL"
    assert WAREHOUSE.table("ercot_spp_hourly").distribution.distkey == "settlement_point"


@pytest.mark.parametrize(
    ("kind", "duck", "red"),
    [
        ("timestamp_utc", "TIMESTAMPTZ", "TIMESTAMPTZ"),
        ("string", "VARCHAR", "VARCHAR(256)"),
        ("float64", "DOUBLE", "DOUBLE PRECISION"),
        ("int8", "SMALLINT", "SMALLINT"),
        ("int16", "SMALLINT", "SMALLINT"),
        ("int32", "INTEGER", "INTEGER"),
        ("int64", "BIGINT", "BIGINT"),
        ("bool", "BOOLEAN", "BOOLEAN"),
        ("date32", "DATE", "DATE"),
    ],
)
def test_type_mapping(kind: schema.ColumnType, duck: str, red: str) -> None:
    column = WarehouseColumn("c", kind, True, "")
    assert (duckdb_type(column), redshift_type(column)) == (duck, red)


def test_every_contract_type_has_a_sql_type_in_both_dialects() -> None:
    for kind in schema.COLUMN_TYPES:
        column = WarehouseColumn("c", kind, True, "")
        assert duckdb_type(column) and redshift_type(column)


def test_the_model_and_the_redshift_loader_import_without_pyarrow() -> None:
    # GIVEN an interpreter where importing pyarrow fails (LoadRedshiftFunction ships without it)
    probe = (
        "import sys; sys.modules['pyarrow'] = None\n"
        "import energylake.warehouse.model, energylake.warehouse.redshift.load, energylake.lambdas.load_redshift\n"
        "from energylake.warehouse.redshift import sql\n"
        "sql.migration_statements(reader_role='energylake_reader')\n"
        "print(len(energylake.warehouse.model.WAREHOUSE.tables))"
    )
    # WHEN the model, the loader and the migration SQL (views transpiled) are built THEN nothing needs pyarrow
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == str(len(WAREHOUSE.tables))


def test_string_widths_and_non_utc_timestamps() -> None:
    spp = WAREHOUSE.table("ercot_spp")
    widths = {c.name: redshift_type(c) for c in spp.columns}
    assert widths["market"] == "VARCHAR(8)" and widths["settlement_point"] == "VARCHAR(64)"
    assert widths["raw_key"] == "VARCHAR(1024)"
    with pytest.raises(TypeError, match="no Redshift type for l: list"):
        redshift_type(WarehouseColumn("l", "list", True, ""))  # type: ignore[arg-type]


def test_migrations_are_validated_and_a_newer_version_adds_a_nullable_column() -> None:
    newer = WAREHOUSE.with_column("ercot_spp", WarehouseColumn("note", "string", True, "x"), "add note")
    assert newer.version == WAREHOUSE.version + 1
    assert newer.table("ercot_spp").column_names[-2:] == ("note", LOADED_AT)
    assert newer.migrations[-1].add_columns == (("ercot_spp", "note"),)
    with pytest.raises(ValueError, match="nullable"):
        WAREHOUSE.with_column("ercot_spp", WarehouseColumn("bad", "string", False, "x"), "add bad")
    with pytest.raises(ValueError, match="without gaps"):
        WarehouseModel(WAREHOUSE.tables, WAREHOUSE.views, (Migration(2, "x"),))
    with pytest.raises(ValueError, match="unknown table"):
        WarehouseModel(WAREHOUSE.tables, WAREHOUSE.views, (Migration(1, "x", (("nope", "c"),)),))
    with pytest.raises(KeyError, match="no table"):
        WAREHOUSE.table("nope")


def _sqlglot_type(column: WarehouseColumn) -> str:
    return duckdb_type(column)


def test_views_reference_only_existing_tables_and_columns() -> None:
    """Qualify every view with sqlglot against the model's tables (and the views defined before it)."""
    catalog: dict[str, dict[str, str]] = {
        t.name: {c.name: _sqlglot_type(c) for c in t.columns} for t in WAREHOUSE.tables
    }
    expected = {
        "v_load_temperature_points",
        "v_load_temperature_sensitivity",
        "v_forecast_by_lead",
        "v_forecast_skill",
        "v_system_forecasts_hourly",
        "v_prices_hourly",
        "v_price_spikes",
        "v_fuel_mix_hourly",
        "v_wind_vs_wind_speed",
        "v_wind_vs_wind_speed_binned",
        "v_solar_vs_irradiance",
        "v_solar_vs_irradiance_binned",
        "v_peak_hours_by_month",
        "v_data_freshness",
    }
    assert {v.name for v in WAREHOUSE.views} == expected
    for view in WAREHOUSE.views:
        tree = sqlglot.parse_one(view.sql, read="duckdb")
        ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
        referenced = {t.name for t in tree.find_all(exp.Table)} - ctes
        assert referenced <= set(catalog), f"{view.name} references unknown {referenced - set(catalog)}"
        # raises OptimizeError on any column that no table, view or CTE in scope provides
        qualified = qualify(tree, schema=catalog, dialect="duckdb", validate_qualify_columns=True)
        outputs = qualified.named_selects
        assert len(outputs) == len(set(outputs)) and all(IDENTIFIER.match(name) for name in outputs)
        catalog[view.name] = dict.fromkeys(outputs, "DOUBLE")
        assert view.description.strip()


def test_views_avoid_constructs_redshift_lacks() -> None:
    for view in WAREHOUSE.views:
        text = view.sql.upper()
        for construct in ("REGR_", "FILTER (", "QUALIFY", "::", "CORR("):
            assert construct not in text, f"{view.name} uses {construct}"


def test_data_freshness_lists_every_table_and_dataset() -> None:
    sql = next(v.sql for v in WAREHOUSE.views if v.name == "v_data_freshness")
    for table in WAREHOUSE.tables:
        assert f"FROM {table.name}" in sql
        for source in table.sources:
            assert f"'{source}' AS dataset" in sql


def test_the_settlement_point_type_is_in_the_price_tables_keys_and_version_2_records_the_change() -> None:
    # GIVEN the model's price tables
    spp, hourly = WAREHOUSE.table("ercot_spp"), WAREHOUSE.table("ercot_spp_hourly")
    # THEN their keys are the contracts' keys, with the settlement point type, which is required
    assert spp.natural_key == ("market", "settlement_point", "settlement_point_type", "interval_start_utc")
    assert hourly.natural_key == ("settlement_point", "settlement_point_type", "interval_start_utc")
    for table in (spp, hourly):
        assert not next(c for c in table.columns if c.name == "settlement_point_type").nullable
    # AND version 2 records the key change and the value rows written before it get (an untyped DAM point is RN)
    assert WAREHOUSE.version >= 2
    migration = WAREHOUSE.migrations[1]
    assert migration.description == "the settlement point type joins the keys of the price tables"
    assert migration.rekey == ("ercot_spp", "ercot_spp_hourly")
    assert migration.fill_nulls == (
        ("ercot_spp", "settlement_point_type", "RN"),
        ("ercot_spp_hourly", "settlement_point_type", "RN"),
    )
    assert migration.add_columns == ()


def test_version_3_brings_the_analyst_views_without_touching_a_table() -> None:
    # GIVEN the migrations WHEN version 3 is read THEN it changes views (and comments) only: no column, no key
    migration = WAREHOUSE.migrations[2]
    assert (migration.version, migration.description) == (3, "analyst views and the data dictionary")
    assert (migration.add_columns, migration.fill_nulls, migration.rekey) == ((), (), ())


def test_key_changes_and_fills_are_validated() -> None:
    first = WAREHOUSE.migrations[0]
    with pytest.raises(ValueError, match="rekeys unknown table 'nope'"):
        WarehouseModel(WAREHOUSE.tables, WAREHOUSE.views, (first, Migration(2, "x", rekey=("nope",))))
    with pytest.raises(ValueError, match="fills unknown table 'nope'"):
        WarehouseModel(WAREHOUSE.tables, WAREHOUSE.views, (first, Migration(2, "x", fill_nulls=(("nope", "c", "v"),))))
    with pytest.raises(ValueError, match="ercot_spp has no column 'nope'"):
        WarehouseModel(
            WAREHOUSE.tables, WAREHOUSE.views, (first, Migration(2, "x", fill_nulls=(("ercot_spp", "nope", "v"),)))
        )
    # a filled column must be required: filling a nullable one would be a data change with no schema reason
    with pytest.raises(ValueError, match="filled column 'dam_price_usd_mwh' must be required"):
        WarehouseModel(
            WAREHOUSE.tables,
            WAREHOUSE.views,
            (first, Migration(2, "x", fill_nulls=(("ercot_spp_hourly", "dam_price_usd_mwh", "0"),))),
        )
