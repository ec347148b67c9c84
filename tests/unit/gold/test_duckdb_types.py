"""The DuckDB runner's types: every contract column type has a DuckDB type whose Parquet file pyarrow reads back as
the contract's pyarrow type (the files are written by DuckDB alone, read by Spark, Redshift and pyarrow)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from energylake.contracts.tables import COLUMN_TYPES, ColumnType, arrow_type
from energylake.gold.duckdb import connect, duckdb_type

# One value of each contract type, as DuckDB SQL.
VALUES: dict[ColumnType, str] = {
    "string": "'HB_NORTH'",
    "bool": "true",
    "int8": "24",
    "int16": "1000",
    "int32": "100000",
    "int64": "10000000000",
    "float64": "1.5",
    "date32": "DATE '2024-11-03'",
    "timestamp_utc": "TIMESTAMPTZ '2024-11-03 07:00:00+00'",
}


@pytest.mark.parametrize("kind", COLUMN_TYPES)
def test_each_contract_type_is_written_as_the_contracts_pyarrow_type(kind: ColumnType, tmp_path: Path) -> None:
    # GIVEN a value of the type cast to its DuckDB type  WHEN DuckDB writes it to Parquet
    path = tmp_path / "one.parquet"
    con = connect()
    try:
        con.execute(f"COPY (SELECT CAST({VALUES[kind]} AS {duckdb_type(kind)}) AS v) TO '{path}' (FORMAT parquet)")
    finally:
        con.close()
    # THEN pyarrow reads the contract's type (timestamps: microseconds, UTC)
    assert pq.read_schema(path).field("v").type == arrow_type(kind)


def test_an_unknown_type_is_named() -> None:
    with pytest.raises(TypeError, match="no DuckDB type for the contract column type 'decimal'"):
        duckdb_type("decimal")  # type: ignore[arg-type]
