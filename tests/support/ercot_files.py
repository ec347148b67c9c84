"""ERCOT reply formats for parser tests: a Public Reports API page, a document zip, and the posting instants of an
hourly report over one Central day (what a fetcher would see listed)."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from typing import Any

from energylake.timeconv import CENTRAL, local_day_bounds_utc


def api_page(fields: list[str], rows: list[list[Any]], report: str = "NP6-905-CD") -> bytes:
    """One API page ``{_meta, report, fields, data}`` as ERCOT writes it."""
    document = {
        "_meta": {"totalRecords": len(rows), "pageSize": 100000, "totalPages": 1, "currentPage": 1},
        "report": {"reportEMIL": report},
        "fields": [{"name": name, "label": name, "dataType": "VARCHAR"} for name in fields],
        "data": rows,
    }
    return json.dumps(document).encode()


def zipped(*members: tuple[str, str | bytes]) -> bytes:
    """A zip holding ``(name, content)`` members in order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members:
            archive.writestr(name, content)
    return buffer.getvalue()


def hourly_postings(day: dt.date, minute: int, second: int) -> list[dt.datetime]:
    """The UTC instants of a report posting every hour at ``minute:second`` during Central day ``day`` (23, 24 or 25
    of them): on the fall-back day two of them share a wall-clock label."""
    start, end = local_day_bounds_utc(day)
    instant = start + dt.timedelta(minutes=minute, seconds=second)
    found = []
    while instant < end:
        found.append(instant)
        instant += dt.timedelta(hours=1)
    return found


def wall_label(instant: dt.datetime) -> dt.datetime:
    """The naive Central wall clock ERCOT writes for ``instant``."""
    return instant.astimezone(CENTRAL).replace(tzinfo=None)
