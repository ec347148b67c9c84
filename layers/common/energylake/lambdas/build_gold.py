"""BuildGoldFunction: build gold for a short window of operating days with DuckDB, inside the function.

The real-time run (every 15 minutes) and the daily run rebuild one or two operating days: their gold is a few UTC
date partitions, which DuckDB builds in seconds, so they need no Glue job (its start-up, polls and one-minute
minimum). The function reads the window's silver from the lake (downloaded into ``/tmp`` by the lake's storage:
DuckDB holds no AWS credentials and loads no extension), runs the gold rules with
:func:`energylake.gold.duckdb.build_gold` and swaps each UTC date partition into ``gold/`` whole. A window longer
than ``ENERGYLAKE_GOLD_LAMBDA_MAX_DAYS`` operating days is refused: the Glue job (TriggerGlueFunction) builds those,
as it builds every backfill. The package ships DuckDB and the common layer only: no pyarrow.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Final, TypedDict

from energylake.errors import ConfigurationError, InvalidRequestError
from energylake.lambdas._aws import lake
from energylake.lambdas._shared import WindowEvent, parse_event

__all__ = ["BuildGoldEvent", "BuildGoldResult", "duckdb_memory_limit", "handle"]

logger = logging.getLogger(__name__)

# What the function needs outside DuckDB's buffer manager, which memory_limit bounds: the interpreter, boto3 and
# DuckDB's library (a day of the demo peaks at about 200 MB in all: benchmarks/gold_lambda_bench.py), S3 objects in
# flight, and what DuckDB allocates outside its limit. A quarter of the rest is kept free too: Lambda stops a function
# that outgrows its memory size, whereas DuckDB spills to /tmp beyond its limit.
RESERVED_MB: Final = 256
DUCKDB_SHARE: Final = 0.75
MIN_FUNCTION_MB: Final = 512


class BuildGoldEvent(WindowEvent):
    """Input of BuildGoldFunction: ``start``/``end`` operating days (America/Chicago), both inclusive."""


class BuildGoldResult(TypedDict):
    tables: dict[str, int]  # rows written per gold table
    utc_dates: int  # UTC date partitions rebuilt (the window's operating days touch one more than they count)
    seconds: float  # the build's wall time


def duckdb_memory_limit(function_memory_mb: int) -> str:
    """DuckDB's ``memory_limit`` for a function of ``function_memory_mb`` MB: what is left after the reserve,
    less a quarter (DuckDB spills to ``/tmp`` beyond it rather than growing)."""
    if function_memory_mb < MIN_FUNCTION_MB:
        raise ConfigurationError(
            f"BuildGoldFunction needs at least {MIN_FUNCTION_MB} MB of memory, it has {function_memory_mb} MB"
        )
    return f"{int((function_memory_mb - RESERVED_MB) * DUCKDB_SHARE)}MB"


def _memory_limit() -> str:
    """From the function's memory (``AWS_LAMBDA_FUNCTION_MEMORY_SIZE``, set by Lambda); DuckDB's gold default
    elsewhere (a local invocation)."""
    from energylake.gold import duckdb as gold_duckdb

    function_memory = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
    if not function_memory:
        return gold_duckdb.DEFAULT_MEMORY_LIMIT
    return duckdb_memory_limit(int(function_memory))


def handle(event: object, *, work_dir: Path | None = None) -> BuildGoldResult:
    """BuildGoldFunction's body: validate the event, refuse a window longer than the setting, build its gold in the
    configured lake. ``work_dir``: the scratch folder's parent (default the temp folder: ``/tmp`` on Lambda)."""
    from energylake.settings import get_settings  # pydantic-settings loads with the first event, not at import

    window = parse_event(event, BuildGoldEvent).window()
    max_days = get_settings().gold_lambda_max_days
    if window.days_count > max_days:
        raise InvalidRequestError(
            f"BuildGoldFunction builds at most {max_days} operating days (ENERGYLAKE_GOLD_LAMBDA_MAX_DAYS), "
            f"{window} has {window.days_count}: the Glue job builds longer windows"
        )
    from energylake.gold import duckdb as gold_duckdb  # DuckDB loads with the first event, not at import

    started = time.perf_counter()
    tables = gold_duckdb.build_gold(
        window,
        lake(),
        work_dir=work_dir if work_dir is not None else Path(tempfile.gettempdir()),
        memory_limit=_memory_limit(),
    )
    seconds = round(time.perf_counter() - started, 3)
    utc_dates = len(window.utc_dates())  # the partitions rebuilt: the build range's dates (energylake.gold.rules)
    logger.info("built gold for %s: %s rows over %d UTC dates in %.3f s", window, tables, utc_dates, seconds)
    return BuildGoldResult(tables=tables, utc_dates=utc_dates, seconds=seconds)
