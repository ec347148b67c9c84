"""The gold stage: silver -> the hourly tables ``energy_weather_hourly``, ``system_hourly`` and ``ercot_spp_hourly``.

The rules (what each table holds, DST, alignment, the build range) are in :mod:`.spark`'s docstring, beside the
PySpark code that implements them; the Glue job (``glue/build_gold.py``) and local runs both call
:func:`build_gold`. Nothing here imports pyspark until a build runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from energylake.lake.storage import Storage
    from energylake.window import Window


def build_gold(window: Window, lake: Storage) -> dict[str, int]:
    """Build the gold tables for ``window`` from the silver in ``lake`` with a local Spark session (on AWS the Glue
    job calls :func:`energylake.gold.spark.build_gold` with its own session). Rows written per gold table."""
    from energylake.gold import spark

    return spark.build_gold(window, lake, spark.local_spark_session())
