"""ERCOT's yearly historical files (xlsx, or a zip holding one) -> silver tables minus lineage."""

from __future__ import annotations

from energylake.errors import ParseError
from energylake.parse import ParseResult, RawObject


def parse_yearly(raw: RawObject) -> ParseResult:
    """One yearly file landed whole (``source-used: ercot-yearly``)."""
    raise ParseError(f"{raw.key}: yearly files are not read yet")
