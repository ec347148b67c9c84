"""AWS Glue job entry: build the gold tables for a window of ERCOT operating days (thin: see energylake.gold).

On Glue (``awsglue`` importable): arguments via ``getResolvedOptions`` (``--JOB_NAME --start --end --lake``), the
Spark session from a ``GlueContext``, and ``Job.init``/``Job.commit`` around the build. Anywhere else::

    .venv/bin/python glue/build_gold.py --start 2024-11-02 --end 2024-11-04 --lake ./lake

builds a local SparkSession (master from ``ENERGYLAKE_SPARK_MASTER``, default ``local[*]``).

stdout: one JSON object with the window and the rows written per gold table. Exit codes: 0 built; 2 bad usage or a
bad window (nothing is written); 1 the build failed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

try:
    import energylake  # noqa: F401 - installed (pip install -e .) or shipped to Glue with --extra-py-files
except ImportError:  # a bare checkout: use the package beside this file
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "layers" / "common"))

from energylake.errors import EnergylakeError, InvalidRequestError
from energylake.lake.storage import open_storage
from energylake.window import Window

_OPTIONS = ("start", "end", "lake")


def _glue_options(argv: list[str]) -> dict[str, str] | None:
    """The job's arguments when running on Glue, else None."""
    try:
        from awsglue.utils import getResolvedOptions
    except ImportError:
        return None
    resolved: dict[str, str] = getResolvedOptions(argv, ["JOB_NAME", *_OPTIONS])
    return resolved


def _local_options(argv: list[str]) -> dict[str, str]:
    parser = argparse.ArgumentParser(prog="build_gold.py", description="Build the gold tables (local Spark).")
    parser.add_argument("--start", required=True, help="first operating day YYYY-MM-DD (America/Chicago)")
    parser.add_argument("--end", required=True, help="last operating day YYYY-MM-DD, inclusive")
    parser.add_argument("--lake", default=os.environ.get("ENERGYLAKE_LAKE_URI", "./lake"), help="folder or s3://")
    return {name: str(value) for name, value in vars(parser.parse_args(argv[1:])).items()}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    glue_options = _glue_options(argv)
    options = glue_options if glue_options is not None else _local_options(argv)
    try:
        window = Window.parse(options["start"], options["end"])
    except InvalidRequestError as exc:
        print(f"build_gold: bad window: {exc}", file=sys.stderr)
        return 2
    try:
        lake = open_storage(options["lake"])
    except EnergylakeError as exc:
        print(f"build_gold: bad lake: {exc}", file=sys.stderr)
        return 2

    from energylake.gold.spark import build_gold, local_spark_session

    job = None
    if glue_options is not None:
        from awsglue.context import GlueContext
        from awsglue.job import Job
        from pyspark.context import SparkContext

        glue_context = GlueContext(SparkContext.getOrCreate())
        spark = glue_context.spark_session
        job = Job(glue_context)
        job.init(glue_options["JOB_NAME"], glue_options)
    else:
        spark = local_spark_session(app_name="energylake-build-gold")
    try:
        rows = build_gold(window, lake, spark)
    except InvalidRequestError as exc:
        print(f"build_gold: {exc}", file=sys.stderr)
        return 2
    if job is not None:
        job.commit()
    print(json.dumps({"start": str(window.start), "end": str(window.end), "lake": options["lake"], "rows": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
