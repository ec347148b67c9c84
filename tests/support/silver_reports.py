"""Quality reports for hand-built silver: the loader reads exactly the silver files a passed report lists.

:func:`record_passed` lists a silver key in its group's passed report (``quality/dataset=<d>/date=<day>/<group>.json``,
the group being the file's name and the raw day its UTC date), creating the report if need be, as curation would;
:func:`write_group` writes a whole group (silver files per UTC date and their report) from clean rows.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from energylake.contracts.datasets import DatasetName
from energylake.contracts.schemas import silver_schema
from energylake.lake import layout
from tests.support.quality import rows_for


def record_passed(lake: Path, silver_key: str) -> Path:
    """List ``silver_key`` in the passed quality report of its group; returns the report's path."""
    dataset = layout.partition_values(silver_key)["dataset"]
    day = layout.partition_date(silver_key)
    assert day is not None, silver_key
    group = silver_key.rsplit("/", 1)[-1].removesuffix(".parquet")
    path = lake / layout.quality_report_key(dataset, day, group)
    report: dict[str, Any] = (
        json.loads(path.read_text())
        if path.exists()
        else {
            "dataset": dataset,
            "status": "passed",
            "passed": True,
            "outputs": {"silver": [], "quarantine": []},
        }
    )
    if silver_key not in report["outputs"]["silver"]:
        report["outputs"]["silver"].append(silver_key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1, sort_keys=True))
    return path


def write_group(
    lake: Path, dataset: DatasetName, raw_day: dt.date, group: str, *, offset: float = 0.0, fetched_at: dt.datetime
) -> list[str]:
    """Curate by hand one group of ``dataset``: the clean rows of the Central day ``raw_day`` (tests.support.quality,
    every value column shifted by ``offset``), one silver file per UTC date it reaches, and its passed report listing
    them, as curation writes them; returns the silver keys. Two adjacent days give the real layout: two files in
    every UTC-date folder."""
    contract = silver_schema(dataset)
    rows = rows_for(dataset, [raw_day])
    lineage = {
        "source_dataset": dataset,
        "raw_key": f"raw/source=ercot/dataset={dataset}/date={raw_day}/fp/{group}.json",
        "run_id": "run-test",
        "fetched_at_utc": fetched_at,
    }
    by_date: dict[dt.date, list[dict[str, Any]]] = {}
    for row in rows:
        shifted = {k: v + offset if isinstance(v, float) else v for k, v in row.items()}
        by_date.setdefault(row[contract.time_column].date(), []).append({**shifted, **lineage})
    keys = []
    for utc_day, day_rows in sorted(by_date.items()):
        key = layout.silver_key(dataset, utc_day, group)
        path = lake / key
        path.parent.mkdir(parents=True, exist_ok=True)
        columns = {c.name: [row.get(c.name) for row in day_rows] for c in contract.columns}
        pq.write_table(pa.table(columns, schema=contract.arrow_schema()), path)
        keys.append(key)
    report = {
        "dataset": dataset,
        "status": "passed",
        "passed": True,
        "outputs": {"silver": keys, "quarantine": []},
    }
    report_path = lake / layout.quality_report_key(dataset, raw_day, group)
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(json.dumps(report, indent=1, sort_keys=True))
    return keys
