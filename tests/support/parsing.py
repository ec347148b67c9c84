"""What the parser tests compare a parsed table against: the dataset's silver schema without the lineage columns
(the curate stage adds those)."""

from __future__ import annotations

import pyarrow as pa

from energylake.contracts.datasets import DatasetName
from energylake.contracts.schemas import LINEAGE, SILVER_TABLES


def silver_minus_lineage(dataset: DatasetName) -> pa.Schema:
    lineage = {column.name for column in LINEAGE}
    return pa.schema([field for field in SILVER_TABLES[dataset].arrow_schema() if field.name not in lineage])
