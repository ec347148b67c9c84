"""Debris: what a run killed mid-write leaves in a local lake, found by ``status`` and removed by the next writer.

Every stage writes whole objects or nothing, through temp names that no reader lists; a run killed (SIGKILL, power
loss) between creating such a temp and renaming it leaves the temp behind:

- ``.tmp-*`` files: :class:`~energylake.lake.storage.LocalStorage`'s atomic writes (raw landing, silver, quality
  reports, gold files swapped in by the DuckDB engine), anywhere in the lake, ``.meta/`` included;
- ``.spark-staging-*`` and ``_temporary`` folders under ``gold/<table>/``: Spark's dynamic partition overwrite
  stages a job's files there before moving them into place.

(The DuckDB gold engine's scratch folder is outside the lake, in the temp folder: :mod:`energylake.gold.duckdb`
removes the ones of dead processes itself.)

They are only debris when no writer is running: :func:`remove_debris` is called with the lake's lock held
(:mod:`energylake.local.lock`), and ``status`` reports them only when the lock is free.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Final

from energylake.lake import layout

__all__ = ["find_debris", "remove_debris"]

_TEMP_FILE_PREFIX: Final = ".tmp-"  # LocalStorage._write_atomic's mkstemp prefix
_SPARK_STAGING_PREFIX: Final = ".spark-staging-"
_SPARK_TEMPORARY: Final = "_temporary"

logger = logging.getLogger(__name__)


def find_debris(lake_root: Path) -> list[Path]:
    """Temp files and Spark staging folders in the lake at ``lake_root``, sorted (a staging folder is listed once,
    not its contents). Reads only."""
    if not lake_root.is_dir():
        return []
    gold = lake_root / layout.GOLD_ZONE
    found: list[Path] = []
    for folder, subfolders, files in os.walk(lake_root):
        here = Path(folder)
        staging = [
            name
            for name in subfolders
            if here.is_relative_to(gold) and (name.startswith(_SPARK_STAGING_PREFIX) or name == _SPARK_TEMPORARY)
        ]
        found += [here / name for name in staging]
        subfolders[:] = [name for name in subfolders if name not in staging]  # listed whole: not walked
        found += [here / name for name in files if name.startswith(_TEMP_FILE_PREFIX)]
    return sorted(found)


def remove_debris(lake_root: Path) -> list[Path]:
    """Remove the lake's debris (call it holding the lake's lock); what was removed."""
    removed: list[Path] = []
    for path in find_debris(lake_root):
        try:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:  # reported, not fatal: the stages never read debris
            logger.warning("cannot remove %s, left by an interrupted run: %s", path, exc.strerror or exc)
            continue
        removed.append(path)
    if removed:
        logger.warning(
            "removed %d temp file(s) or folder(s) left by an interrupted run in %s (e.g. %s)",
            len(removed),
            lake_root,
            removed[0].relative_to(lake_root),
        )
    return removed
