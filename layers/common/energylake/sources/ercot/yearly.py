"""The yearly-files door: ERCOT's yearly historical files, for the years before the archive reaches."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from energylake.contracts.datasets import Dataset, ErcotDatasetName
from energylake.contracts.raw import RawReply
from energylake.errors import FetchError
from energylake.window import Window

if TYPE_CHECKING:
    from energylake.sources.ercot import ErcotClient


class YearlyDoor:
    """Fetches ERCOT's yearly files, through the client's HTTP policy and rate limiter."""

    def __init__(self, client: ErcotClient) -> None:
        self._client = client

    def iter_fetch(self, dataset: ErcotDatasetName, entry: Dataset, window: Window) -> Iterator[list[RawReply]]:
        """One group per yearly file the window needs (its manifest covers the year's days)."""
        raise FetchError(f"ERCOT's yearly files are not read yet ({dataset} {window})", request=f"{dataset}")
