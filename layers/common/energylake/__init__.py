"""energylake: ERCOT grid data and Open-Meteo weather, from raw replies to a warehouse.

The stages, in data order, each one function of (window, lake) that every runtime calls:
:func:`fetch` (sources -> raw), :func:`curate` / :func:`reprocess` (raw -> silver, quality reports, quarantine),
:func:`build_gold` (silver -> gold) and the warehouse loads (:mod:`energylake.warehouse`). The doors are the Lambda
modules (:mod:`energylake.lambdas`), the Glue job (``glue/build_gold.py``) and, on one machine only, the CLI
(:mod:`energylake.local`, with the offline sample source in :mod:`energylake.sample`).

Names load on first use (PEP 562), so ``import energylake`` costs nothing on a Lambda cold start, and heavy
dependencies (pyarrow, pyspark, duckdb) load only inside the modules that need them.
"""

from __future__ import annotations

import importlib

# Not `typing.TYPE_CHECKING`: importing typing (re, enum) is the first thing every `energylake` process would do, a
# window in which a Ctrl-C cannot yet be caught by the entry point (energylake.local.entry). Type checkers treat a
# name TYPE_CHECKING as true wherever it comes from.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from energylake.contracts.datasets import ALL_DATASETS, ERCOT_DATASETS, DatasetName
    from energylake.curate import CurateResult, curate, reprocess
    from energylake.errors import (
        ConfigurationError,
        EnergylakeError,
        FetchError,
        InvalidRequestError,
        MalformedReplyError,
        StorageError,
    )
    from energylake.fetch import Connection, FetchResult, fetch, fetch_many, live_connection
    from energylake.gold import build_gold
    from energylake.lake.storage import Storage, open_storage
    from energylake.settings import Settings, get_settings
    from energylake.window import Window

_EXPORTS = {
    "ALL_DATASETS": "energylake.contracts.datasets",
    "ERCOT_DATASETS": "energylake.contracts.datasets",
    "DatasetName": "energylake.contracts.datasets",
    "CurateResult": "energylake.curate",
    "curate": "energylake.curate",
    "reprocess": "energylake.curate",
    "ConfigurationError": "energylake.errors",
    "EnergylakeError": "energylake.errors",
    "FetchError": "energylake.errors",
    "InvalidRequestError": "energylake.errors",
    "MalformedReplyError": "energylake.errors",
    "StorageError": "energylake.errors",
    "Connection": "energylake.fetch",
    "FetchResult": "energylake.fetch",
    "fetch": "energylake.fetch",
    "fetch_many": "energylake.fetch",
    "live_connection": "energylake.fetch",
    "build_gold": "energylake.gold",
    "Storage": "energylake.lake.storage",
    "open_storage": "energylake.lake.storage",
    "Settings": "energylake.settings",
    "get_settings": "energylake.settings",
    "Window": "energylake.window",
}

__all__ = [
    "ALL_DATASETS",
    "ERCOT_DATASETS",
    "ConfigurationError",
    "Connection",
    "CurateResult",
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
    "build_gold",
    "curate",
    "fetch",
    "fetch_many",
    "get_settings",
    "live_connection",
    "open_storage",
    "reprocess",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'energylake' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return __all__
