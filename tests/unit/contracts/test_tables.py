"""The contracts are defined once, in plain Python (energylake.contracts.tables), and the pyarrow schemas the parsing
side uses are built from them (energylake.contracts.schemas): code that needs only names, keys and types (the
Redshift loader) imports no pyarrow."""

from __future__ import annotations

import subprocess
import sys

import pyarrow as pa
import pytest

from energylake.contracts import schemas, tables

ALL_TABLES = [*dict.fromkeys(tables.SILVER_TABLES.values()), *tables.GOLD_TABLES.values()]


def test_the_plain_contracts_import_no_pyarrow() -> None:
    probe = "import sys; import energylake.contracts.tables as t; print('pyarrow' in sys.modules, len(t.GOLD_TABLES))"
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert completed.stdout.split() == ["False", "3"]


def test_the_pyarrow_view_is_the_same_objects() -> None:
    # schemas re-exports the one definition: the same table objects, not copies that could drift
    assert schemas.SPP is tables.SPP and schemas.SILVER_TABLES is tables.SILVER_TABLES
    assert pa.timestamp("us", tz="UTC") == schemas.UTC_TIMESTAMP


@pytest.mark.parametrize("table", ALL_TABLES, ids=lambda t: t.name)
def test_each_columns_pyarrow_type_follows_its_type_name(table: tables.TableSchema) -> None:
    expected = {
        "string": pa.string(),
        "bool": pa.bool_(),
        "int8": pa.int8(),
        "float64": pa.float64(),
        "date32": pa.date32(),
        "timestamp_utc": pa.timestamp("us", tz="UTC"),
    }
    schema = table.arrow_schema()
    assert schema.names == list(table.column_names)
    for column, field in zip(table.columns, schema, strict=True):
        assert column.kind in tables.COLUMN_TYPES
        assert field.type == column.type == expected[column.kind], column.name
        assert field.nullable == column.nullable
    assert schemas.empty_table(table).schema.equals(schema)


def test_every_type_name_has_a_pyarrow_type_and_an_unknown_one_is_refused() -> None:
    assert [str(tables.arrow_type(kind)) for kind in tables.COLUMN_TYPES] == [
        "string", "bool", "int8", "int16", "int32", "int64", "double", "date32[day]", "timestamp[us, tz=UTC]",
    ]  # fmt: skip
    with pytest.raises(TypeError, match="unknown contract column type 'decimal'"):
        tables.arrow_type("decimal")  # type: ignore[arg-type]
