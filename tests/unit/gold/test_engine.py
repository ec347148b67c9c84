"""Choosing the gold engine: DuckDB by default, Spark on request, and a missing library or Java named with what to
install before anything runs."""

from __future__ import annotations

import datetime as dt
import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from energylake import gold
from energylake.errors import ConfigurationError, InvalidRequestError
from energylake.lake.storage import LocalStorage
from energylake.window import Window


def without(monkeypatch: pytest.MonkeyPatch, module: str) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any, **kwargs: Any) -> Any:
        return None if name == module else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def without_java(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no java on PATH


def test_the_engines_are_duckdb_then_spark_and_duckdb_needs_nothing_more() -> None:
    assert gold.ENGINES == ("duckdb", "spark")
    assert gold.check_engine("duckdb") == "duckdb"


def test_an_unknown_engine_is_refused_listing_the_engines() -> None:
    with pytest.raises(InvalidRequestError, match=r"unknown gold engine 'polars'; engines: duckdb, spark"):
        gold.check_engine("polars")


def test_spark_without_pyspark_names_the_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    without(monkeypatch, "pyspark")
    with pytest.raises(ConfigurationError, match=r"needs pyspark and Java 17: pip install -e '\.\[spark\]'"):
        gold.check_engine("spark")


def test_duckdb_without_duckdb_names_the_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    without(monkeypatch, "duckdb")
    with pytest.raises(ConfigurationError, match=r"needs the duckdb package: pip install -e '\.\[local\]'"):
        gold.check_engine("duckdb")


def test_spark_without_java_names_java_17(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install -e '.[spark]')")
    without_java(monkeypatch, tmp_path)
    with pytest.raises(ConfigurationError, match="needs Java 17"):
        gold.check_engine("spark")
    # a JAVA_HOME without a java in it is no Java either
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    with pytest.raises(ConfigurationError, match="needs Java 17"):
        gold.check_engine("spark")


def test_a_spark_build_without_java_fails_before_starting_anything(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install -e '.[spark]')")
    # GIVEN no Java WHEN gold is built with Spark THEN the configuration error comes first and nothing is written
    without_java(monkeypatch, tmp_path / "bin")
    window = Window(dt.date(2024, 11, 3), dt.date(2024, 11, 3))
    with pytest.raises(ConfigurationError, match="Java 17"):
        gold.build_gold(window, LocalStorage(tmp_path / "lake"), engine="spark")
    assert not (tmp_path / "lake").exists()


# atexit runs handlers last-registered first: the check registered before the build runs after whatever the build
# registered, i.e. at the very end of the process.
_SPARK_CHILD = """
import atexit, sys
from pathlib import Path
from pyspark import SparkContext
from energylake import gold
from energylake.lake.storage import LocalStorage
from energylake.window import Window
atexit.register(lambda: print("context left running:", SparkContext._active_spark_context is not None, flush=True))
gold.build_gold(Window.parse("2024-11-03", "2024-11-03"), LocalStorage(Path(sys.argv[1])), engine="spark")
print("built", flush=True)
"""


def test_a_command_that_built_gold_with_spark_stops_its_session_before_it_exits(tmp_path: Path) -> None:
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install -e '.[spark]')")
    try:
        gold.check_engine("spark")
    except ConfigurationError as missing:
        pytest.skip(str(missing))
    # GIVEN a process that built gold with local Spark (an empty lake: nothing to build, the session still starts)
    done = subprocess.run(
        [sys.executable, "-c", _SPARK_CHILD, str(tmp_path / "lake")], capture_output=True, text=True, check=False
    )
    # WHEN it exits THEN its Spark session was stopped on the way out, not left to the JVM's own teardown
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-2:] == ["built", "context left running: False"], done.stdout
