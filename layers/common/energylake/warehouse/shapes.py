"""The shapes a warehouse model is made of (columns, tables, Redshift distribution, migrations, views, the model) and
the contract type -> SQL type mapping per dialect. :mod:`energylake.warehouse.model` fills them in: the tables and
views.

Column types are the contracts' type names (:data:`energylake.contracts.tables.ColumnType`), never pyarrow objects:
the Redshift loader's Lambda ships without pyarrow, and the model must import there.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from energylake.contracts import tables as contracts
from energylake.contracts.tables import ColumnType
from energylake.lake import layout

Zone = Literal["silver", "gold"]
DistStyle = Literal["KEY", "ALL", "EVEN", "AUTO"]

LOADED_AT = "loaded_at_utc"

# Redshift VARCHAR widths (bytes) for string columns; anything not listed gets DEFAULT_VARCHAR.
DEFAULT_VARCHAR = 256
VARCHAR_WIDTHS: dict[str, int] = {
    "market": 8,  # RT15 / DAM
    "settlement_point": 64,  # ERCOT names are <= 40 characters
    "settlement_point_type": 16,
    "weather_zone": 32,
    "model": 16,
    "zone_type": 16,
    "zone": 32,
    "resource": 16,
    "region": 64,
    "fuel": 64,
    "source_dataset": 32,
    "raw_key": 1024,  # lake keys: zone/source/dataset/date/fingerprint/stamp-hash.ext (~200 characters today)
    "run_id": 64,
}


@dataclass(frozen=True)
class WarehouseColumn:
    name: str
    kind: ColumnType  # the contract type name (energylake.contracts.tables)
    nullable: bool
    description: str
    varchar_length: int | None = None  # Redshift width for strings


@dataclass(frozen=True)
class Distribution:
    """Redshift physical design: distribution style/key and (compound) sort key, with the one-line reason."""

    style: DistStyle
    sortkey: tuple[str, ...]
    reason: str
    distkey: str | None = None


@dataclass(frozen=True)
class WarehouseTable:
    name: str
    description: str
    zone: Zone
    sources: tuple[str, ...]  # silver dataset names (silver/dataset=<d>/) or the gold table (gold/<t>/)
    contract: contracts.TableSchema  # the contract (energylake.contracts.tables) the columns come from
    distribution: Distribution
    freshness_column: str | None = None  # what "newest" means in v_data_freshness (default: the time column)
    extra_columns: tuple[WarehouseColumn, ...] = ()  # columns added after version 1 that schema.py does not hold

    @property
    def natural_key(self) -> tuple[str, ...]:
        return self.contract.natural_key

    @property
    def time_column(self) -> str:
        return self.contract.time_column

    @property
    def source_columns(self) -> tuple[WarehouseColumn, ...]:
        """The columns read from the lake's Parquet, in the file's order (Redshift COPY maps by position)."""
        columns = tuple(
            WarehouseColumn(
                c.name,
                c.kind,
                c.nullable,
                c.description + (f" [{c.unit}]" if c.unit else ""),
                _varchar_length(c.name) if c.kind == "string" else None,
            )
            for c in self.contract.columns
        )
        return columns + self.extra_columns

    @property
    def columns(self) -> tuple[WarehouseColumn, ...]:
        loaded = WarehouseColumn(LOADED_AT, "timestamp_utc", False, "when the loader wrote this row version")
        return (*self.source_columns, loaded)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def dedupe_order(self) -> tuple[str, ...]:
        """Which duplicate (same natural key) wins: the first row in this descending order."""
        names = {c.name for c in self.source_columns}
        return tuple(name for name in ("fetched_at_utc", "raw_key") if name in names)

    def lake_prefixes(self) -> tuple[str, ...]:
        """Lake-relative prefixes holding this table's Parquet (each followed by ``date=<UTC date>/``)."""
        if self.zone == "silver":
            return tuple(layout.silver_prefix(dataset) for dataset in self.sources)
        return tuple(layout.gold_prefix(name) for name in self.sources)

    @property
    def freshness(self) -> str:
        return self.freshness_column or self.time_column


def _varchar_length(name: str) -> int:
    return VARCHAR_WIDTHS.get(name, DEFAULT_VARCHAR)


@dataclass(frozen=True)
class Migration:
    """One schema version.

    ``add_columns``: (table, column) pairs whose definitions live in the table model (nullable: old rows get NULL).
    ``fill_nulls``: (table, column, value): a column that became required (it joined a natural key); rows written
    before hold NULL there and get ``value``, then the column is declared NOT NULL where the dialect can.
    ``rekey``: tables whose natural key changed to the one their contract declares now. The loaders read the key
    from the model, so this records the change rather than causing it: DuckDB declares no key (nothing to alter),
    Redshift's informational PRIMARY KEY is replaced (its planner trusts it). Rows loaded under the old key keep
    the values they had: reload their windows to add what the old key could not hold.
    """

    version: int
    description: str
    add_columns: tuple[tuple[str, str], ...] = ()
    fill_nulls: tuple[tuple[str, str, str], ...] = ()
    rekey: tuple[str, ...] = ()


@dataclass(frozen=True)
class View:
    name: str
    description: str
    sql: str  # DuckDB dialect, unqualified table names; transpiled to Redshift by sqlglot


@dataclass(frozen=True)
class WarehouseModel:
    tables: tuple[WarehouseTable, ...]
    views: tuple[View, ...]
    migrations: tuple[Migration, ...] = field(default=(Migration(1, "initial warehouse"),))

    def __post_init__(self) -> None:
        versions = [m.version for m in self.migrations]
        if versions != list(range(1, len(versions) + 1)):
            raise ValueError(f"migrations must be numbered 1..n without gaps, got {versions}")
        for migration in self.migrations:
            for table_name, column_name in migration.add_columns:
                column = self._migrated_column(migration, table_name, column_name, "adds to")
                if not column.nullable:
                    raise ValueError(f"migration {migration.version}: added column {column_name!r} must be nullable")
            for table_name, column_name, _value in migration.fill_nulls:
                column = self._migrated_column(migration, table_name, column_name, "fills")
                if column.nullable:
                    raise ValueError(
                        f"migration {migration.version}: filled column {column_name!r} must be required (not nullable)"
                    )
            for table_name in migration.rekey:
                if table_name not in self.table_names:
                    raise ValueError(f"migration {migration.version} rekeys unknown table {table_name!r}")

    def _migrated_column(self, migration: Migration, table_name: str, column_name: str, verb: str) -> WarehouseColumn:
        if table_name not in self.table_names:
            raise ValueError(f"migration {migration.version} {verb} unknown table {table_name!r}")
        column = next((c for c in self.table(table_name).columns if c.name == column_name), None)
        if column is None:
            raise ValueError(f"migration {migration.version}: {table_name} has no column {column_name!r}")
        return column

    @property
    def version(self) -> int:
        return max(m.version for m in self.migrations)

    def table(self, name: str) -> WarehouseTable:
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(f"the warehouse has no table {name!r}; tables: {', '.join(self.table_names)}")

    @property
    def table_names(self) -> tuple[str, ...]:
        return tuple(table.name for table in self.tables)

    def with_column(self, table_name: str, column: WarehouseColumn, description: str) -> WarehouseModel:
        """A newer model: ``column`` added to ``table_name`` by a new migration (how a later version adds one)."""
        tables = tuple(
            replace(t, extra_columns=(*t.extra_columns, column)) if t.name == table_name else t for t in self.tables
        )
        migration = Migration(self.version + 1, description, ((table_name, column.name),))
        return WarehouseModel(tables, self.views, (*self.migrations, migration))


# --- type mapping ------------------------------------------------------------------------------------------------

# Contract type -> (DuckDB type, Redshift type); strings are special-cased for their Redshift width. Every instant is a
# UTC timestamp (the contracts have no other timestamp type): TIMESTAMPTZ in both.
_TYPES: dict[str, tuple[str, str]] = {
    "timestamp_utc": ("TIMESTAMPTZ", "TIMESTAMPTZ"),
    "float64": ("DOUBLE", "DOUBLE PRECISION"),
    "int8": ("SMALLINT", "SMALLINT"),
    "int16": ("SMALLINT", "SMALLINT"),
    "int32": ("INTEGER", "INTEGER"),
    "int64": ("BIGINT", "BIGINT"),
    "bool": ("BOOLEAN", "BOOLEAN"),
    "date32": ("DATE", "DATE"),
}


def _sql_type(column: WarehouseColumn, dialect: Literal["duckdb", "redshift"]) -> str:
    if column.kind == "string":
        return "VARCHAR" if dialect == "duckdb" else f"VARCHAR({column.varchar_length or DEFAULT_VARCHAR})"
    if column.kind not in _TYPES:
        raise TypeError(f"no {'DuckDB' if dialect == 'duckdb' else 'Redshift'} type for {column.name}: {column.kind}")
    duck, red = _TYPES[column.kind]
    return duck if dialect == "duckdb" else red


def duckdb_type(column: WarehouseColumn) -> str:
    return _sql_type(column, "duckdb")


def redshift_type(column: WarehouseColumn) -> str:
    return _sql_type(column, "redshift")
