"""The dashboard tests' demo warehouse and browser: what `make demo` builds, and Debian's chromium driven by Playwright.

The warehouse comes from the sample source through the real CLI (``energylake run --source sample``) over a week
holding the 2024 fall-back day, so every view the page draws has rows (forecast vintages, fuel mix, prices of every
hub and load zone). The browser is Debian's chromium (never ``playwright install``); CI installs it with
scripts/install-system-deps.sh.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.support.cli import energylake

CHROMIUM = "/usr/bin/chromium"
DEMO_START, DEMO_END = dt.date(2024, 11, 1), dt.date(2024, 11, 7)  # holds the fall-back day 2024-11-03 (25 hours)
FALL_BACK_DAY = dt.date(2024, 11, 3)


def demo_lake(root: Path) -> Path:
    """Run the whole local pipeline from the sample source into ``root/lake``; the lake folder."""
    lake = root / "lake"
    window = ["--start", DEMO_START.isoformat(), "--end", DEMO_END.isoformat()]
    done = energylake("run", "--source", "sample", *window, "--lake", str(lake))
    assert done.returncode == 0, done.stderr[-2000:]
    return lake


def view_rows(warehouse: Path | str, sql: str) -> list[dict[str, Any]]:
    """The rows of a read-only query against the warehouse, as dicts."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Debian chromium (skips when it or playwright is absent)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is absent: run `bash scripts/install-system-deps.sh` (installs Debian chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev extra")
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        try:
            yield launched
        finally:
            launched.close()
