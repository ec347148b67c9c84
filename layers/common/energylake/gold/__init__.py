"""The gold stage: silver -> the hourly tables ``energy_weather_hourly``, ``system_hourly`` and ``ercot_spp_hourly``.

The rules are defined once, as SQL (``gold/sql/*.sql``), specified by :mod:`.rules`' docstring, and run by two
engines over the same silver with the same output files: :mod:`.duckdb` (one machine, the default locally; short AWS
runs) and :mod:`.spark` (the Glue job; ``engine="spark"`` locally). Nothing here imports duckdb or pyspark until a
build runs.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

from energylake.errors import ConfigurationError, InvalidRequestError

if TYPE_CHECKING:
    from energylake.lake.storage import Storage
    from energylake.window import Window

__all__ = ["ENGINES", "GoldEngine", "build_gold", "check_engine"]

GoldEngine = Literal["duckdb", "spark"]
ENGINES: tuple[GoldEngine, ...] = get_args(GoldEngine)


def _java_found() -> bool:
    """pyspark starts ``$JAVA_HOME/bin/java`` when JAVA_HOME is set, else ``java`` from PATH."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        return (Path(java_home) / "bin" / "java").is_file()
    return shutil.which("java") is not None


def check_engine(engine: str) -> GoldEngine:
    """``engine`` if it can run here; an InvalidRequestError for an unknown engine, a ConfigurationError naming what
    to install when its library (or Spark's Java) is missing."""
    if engine == "duckdb":
        if importlib.util.find_spec("duckdb") is None:
            raise ConfigurationError("the duckdb gold engine needs the duckdb package: pip install -e '.[local]'")
        return "duckdb"
    if engine == "spark":
        if importlib.util.find_spec("pyspark") is None:
            raise ConfigurationError("the spark gold engine needs pyspark and Java 17: pip install -e '.[spark]'")
        if not _java_found():
            raise ConfigurationError(
                "the spark gold engine needs Java 17: install a JDK 17 (e.g. apt-get install openjdk-17-jdk-headless) "
                "and put java on PATH or set JAVA_HOME"
            )
        return "spark"
    raise InvalidRequestError(f"unknown gold engine {engine!r}; engines: {', '.join(ENGINES)}")


def build_gold(
    window: Window, lake: Storage, *, engine: GoldEngine = "duckdb", work_dir: Path | None = None
) -> dict[str, int]:
    """Build the gold tables for ``window`` from the silver in ``lake``; the rows written per gold table.

    ``engine="duckdb"`` (default) runs in this process (``work_dir``: its scratch folder for downloads and spills);
    ``engine="spark"`` uses a local Spark session (the Glue job calls :func:`energylake.gold.spark.build_gold` with
    its own session).
    """
    check_engine(engine)
    if engine == "spark":
        from energylake.gold import spark

        session = spark.local_spark_session()
        # The session outlives this call (a backfill builds gold per chunk), but not the process: stopped at exit,
        # a command does not leave its JVM running after it returns.
        atexit.register(session.stop)
        return spark.build_gold(window, lake, session)
    from energylake.gold import duckdb

    return duckdb.build_gold(window, lake, work_dir=work_dir)
