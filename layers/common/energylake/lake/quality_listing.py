"""Which silver files a loader may read: exactly those a passed quality report lists.

Curation writes a group's silver files and then its quality report, whose ``outputs.silver`` names them; a group
that failed writes none. Anything else in a silver folder (a file copied in by hand, debris of an interrupted tool, a
file of a group that failed) is not data: both warehouse loaders (:mod:`energylake.warehouse.duckdb` and
:mod:`energylake.warehouse.redshift.load`) read only what :func:`passed_silver_keys` returns and name the rest in a
warning. Standard library only: the Redshift Lambda imports this (no duckdb, no pyarrow).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable

from energylake.errors import StorageError
from energylake.lake import layout
from energylake.lake.storage import Storage

__all__ = ["passed_silver_keys", "silver_group"]

logger = logging.getLogger(__name__)


def silver_group(key: str) -> str:
    """The curation group a silver key (or path) belongs to: its file name without ``.parquet``."""
    return key.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".parquet")


def passed_silver_keys(lake: Storage, dataset: str, groups: Iterable[str]) -> set[str]:
    """The silver keys of ``dataset`` that the quality reports of ``groups`` list (``outputs.silver``) when they say
    the group passed.

    A group's report is rewritten by every curation of the group, so it is the newest by construction. Reports are
    found by listing the dataset's quality folder (keys only) and only the reports of ``groups`` are read: a group's
    raw day can lie well before the UTC dates its rows reach (a forecast posted a week ahead, a yearly file under
    1 January). An unreadable report lists nothing (its files are then reported as not listed).
    """
    wanted = set(groups)
    listed: set[str] = set()
    if not wanted:
        return listed
    for key in lake.list(f"{layout.QUALITY_ZONE}/dataset={dataset}/"):
        if not key.endswith(".json") or layout.quality_report_group(key) not in wanted:
            continue
        try:
            report = json.loads(lake.get(key))
        except (ValueError, StorageError) as exc:
            logger.warning("quality report %s is unreadable, its silver files are not loaded: %s", key, exc)
            continue
        if not isinstance(report, dict) or report.get("status") != "passed":
            continue
        outputs = report.get("outputs")
        silver = outputs.get("silver") if isinstance(outputs, dict) else None
        if isinstance(silver, list):
            listed.update(str(item) for item in silver)
    return listed
