"""Parsers: pure functions from a raw object (bytes + lake metadata) to a typed pyarrow table.

One module per source (``parse/ercot/``, ``parse/openmeteo.py``). A parser returns every row it read, typed and in
UTC, with the columns of the dataset's silver schema (:mod:`energylake.contracts.schemas`) EXCEPT the lineage
columns, which the curate stage adds. It never drops a row: row-level problems (out of range values, duplicates)
are the quality gate's business. What a parser cannot read (a missing required column, an unparseable value, a local
time that does not exist) raises :class:`~energylake.errors.ParseError` naming the column and row, and nothing of the
object is kept. Extra columns the parser does not know are left out and listed in ``unknown_columns``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from energylake.contracts.datasets import DatasetName

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class RawObject:
    """One raw object as a parser sees it."""

    key: str
    dataset: DatasetName
    body: bytes
    metadata: dict[str, str]  # the lake metadata written at landing (energylake.lake.raw_metadata)

    @property
    def origin(self) -> str:
        """Which door the bytes came through: ercot-api, ercot-mis, ercot-dashboard, open-meteo-*."""
        return self.metadata.get("source-used", "")


@dataclass
class ParseResult:
    table: pa.Table  # silver columns minus lineage, one row per source row/value
    rows_read: int  # source rows: a wide row may become several long rows; rows outside the request may be dropped
    unknown_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # things worth a line in the quality report


def parse_raw(raw: RawObject) -> ParseResult:
    """Parse ``raw`` with the parser for its dataset and origin."""
    if raw.dataset == "weather":
        from energylake.parse import openmeteo

        return openmeteo.parse(raw)
    from energylake.parse import ercot

    return ercot.parse(raw)
