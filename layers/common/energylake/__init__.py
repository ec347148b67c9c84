"""energylake: ERCOT grid data and Open-Meteo weather, from raw replies to a warehouse.

The public API is small and typed; heavy dependencies (pyarrow, pyspark, duckdb) load only inside the modules that
need them, so importing this package stays cheap on a Lambda cold start.
"""

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
from energylake.window import Window

__all__ = [
    "ALL_DATASETS",
    "ERCOT_DATASETS",
    "ConfigurationError",
    "DatasetName",
    "EnergylakeError",
    "FetchError",
    "InvalidRequestError",
    "MalformedReplyError",
    "Settings",
    "StorageError",
    "Window",
    "get_settings",
]
__version__ = "0.1.0"
