"""The archive door: a report's posted documents behind the Public Reports API's archive endpoints.

``GET /archive/{emil id}?postDatetimeFrom=&postDatetimeTo=&size=&page=`` lists documents by POSTING time (Central wall
clock without an offset, newest first, pages of at most 1,000); ``POST /archive/{emil id}/download`` with
``{"docIds": [...]}`` (at most 1,000) returns a zip of per-document zips, each holding one CSV; ``GET /archive/{emil
id}?download=<docId>`` returns one document's zip.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from energylake.contracts.datasets import Dataset, ErcotDatasetName
from energylake.contracts.raw import RawReply
from energylake.errors import FetchError
from energylake.window import Window

if TYPE_CHECKING:
    from energylake.sources.ercot import ErcotClient


class ArchiveDoor:
    """Fetches operating days of a report from its archive, through the client's HTTP policy and token."""

    def __init__(self, client: ErcotClient) -> None:
        self._client = client

    def iter_fetch(self, dataset: ErcotDatasetName, entry: Dataset, window: Window) -> Iterator[list[RawReply]]:
        """One complete group of documents per operating day (a posting day for ``vintage`` reports)."""
        raise FetchError(f"the ERCOT archive door is not built yet ({dataset} {window})", request=f"{dataset}")
