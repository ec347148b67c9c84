"""Gold fixtures: ONE sample-source silver lake for the session (the demo's week with the fall-back day, and the
spring-forward day with a day either side), which tests copy before building into it, and the gold each engine builds
from it over both windows (built once; the Spark one on the session's shared ``spark``)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.gold import DEMO_WEEK, SPRING_DAYS, make_sample_silver

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@pytest.fixture(scope="session")
def sample_silver(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pristine silver lake (never build into it: copy it with ``lake_copy``)."""
    return make_sample_silver(tmp_path_factory.mktemp("gold-sample") / "lake", (DEMO_WEEK, SPRING_DAYS))


@pytest.fixture
def lake_copy(sample_silver: Path, tmp_path: Path) -> Path:
    """A fresh copy of the sample silver lake for one test."""
    return Path(shutil.copytree(sample_silver, tmp_path / "lake"))


@pytest.fixture(scope="session")
def duckdb_gold(sample_silver: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample silver with gold built by DuckDB over both windows (read only: copy it to change it)."""
    from energylake.gold import duckdb as gold_duckdb
    from energylake.lake.storage import LocalStorage

    lake = Path(shutil.copytree(sample_silver, tmp_path_factory.mktemp("gold-duckdb") / "lake"))
    for window in (DEMO_WEEK, SPRING_DAYS):
        gold_duckdb.build_gold(window, LocalStorage(lake))
    return lake


@pytest.fixture(scope="session")
def spark_gold(sample_silver: Path, tmp_path_factory: pytest.TempPathFactory, spark: SparkSession) -> Path:
    """The sample silver with gold built by Spark over both windows (read only: copy it to change it)."""
    from energylake.gold import spark as gold_spark
    from energylake.lake.storage import LocalStorage

    lake = Path(shutil.copytree(sample_silver, tmp_path_factory.mktemp("gold-spark") / "lake"))
    for window in (DEMO_WEEK, SPRING_DAYS):
        gold_spark.build_gold(window, LocalStorage(lake), spark)
    return lake
