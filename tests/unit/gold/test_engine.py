"""Choosing the gold engine: DuckDB by default, Spark on request, and a missing library or Java named with what to
install before anything runs."""

from __future__ import annotations

import datetime as dt
import importlib.util
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
