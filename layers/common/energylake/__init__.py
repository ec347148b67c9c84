"""energylake: ERCOT grid data and Open-Meteo weather, from raw replies to a warehouse.

The public API is small and typed. Names load on first use (PEP 562), so ``import energylake`` costs nothing on a
Lambda cold start, and heavy dependencies (pyarrow, pyspark, duckdb) load only inside the modules that need them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from energylake.datasets import ALL_DATASETS, ERCOT_DATASETS, DatasetName
    from energylake.errors import (
        ConfigurationError,
        EnergylakeError,
        FetchError,
        InvalidRequestError,
        MalformedReplyError,
        StorageError,
    )
    from energylake.settings import Settings, get_settings
    from energylake.stages import FetchResult, fetch, fetch_many, live_connection, sample_connection
    from energylake.storage import Storage, open_storage
    from energylake.window import Window

_EXPORTS = {
    "ALL_DATASETS": "energylake.datasets",
    "ERCOT_DATASETS": "energylake.datasets",
    "DatasetName": "energylake.datasets",
    "ConfigurationError": "energylake.errors",
    "EnergylakeError": "energylake.errors",
    "FetchError": "energylake.errors",
    "InvalidRequestError": "energylake.errors",
    "MalformedReplyError": "energylake.errors",
    "StorageError": "energylake.errors",
    "Settings": "energylake.settings",
    "get_settings": "energylake.settings",
    "FetchResult": "energylake.stages",
    "fetch": "energylake.stages",
    "fetch_many": "energylake.stages",
    "live_connection": "energylake.stages",
    "sample_connection": "energylake.stages",
    "Storage": "energylake.storage",
    "open_storage": "energylake.storage",
    "Window": "energylake.window",
}

__all__ = [
    "ALL_DATASETS",
    "ERCOT_DATASETS",
    "ConfigurationError",
    "DatasetName",
    "EnergylakeError",
    "FetchError",
    "FetchResult",
    "InvalidRequestError",
    "MalformedReplyError",
    "Settings",
    "Storage",
    "StorageError",
    "Window",
    "fetch",
    "fetch_many",
    "get_settings",
    "live_connection",
    "open_storage",
    "sample_connection",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'energylake' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return __all__
