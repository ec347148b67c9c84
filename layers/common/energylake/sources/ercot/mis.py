"""ERCOT's MIS public files (the no-login door): the ``IceDocListJsonWS`` listing of a report type, which of its
documents an operating day selects per dataset, each document's posting instant, and the check every downloaded zip
passes.

Pure functions over bytes, tested against real MIS listings and zips; the client
(:class:`energylake.sources.ercot.ErcotClient`) does the requests.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from energylake.contracts.datasets import ErcotDatasetName
from energylake.sources.ercot.postings import resolve_posted_instants

MIS_LISTING_PATH = "/misapp/servlets/IceDocListJsonWS"
MIS_DOWNLOAD_PATH = "/misdownload/servlets/mirDownload"
# The last real-time interval of a day (23:45-24:00) posts a few minutes after midnight of the next day.
SPP_RT_NEXT_DAY_GRACE = dt.time(0, 15)


@dataclass(frozen=True)
class MisDocument:
    """One entry of an MIS ``IceDocListJsonWS`` listing."""

    doc_id: str
    friendly_name: str
    constructed_name: str
    publish_date: str  # as ERCOT wrote it, e.g. 2025-03-09T03:55:07-05:00
    posted_local: dt.datetime  # naive Central wall-clock time of posting (the offset in publish_date is unreliable)

    @property
    def is_csv(self) -> bool:
        return self.friendly_name.lower().endswith("csv") or self.constructed_name.lower().endswith("_csv.zip")


def parse_mis_listing(body: bytes) -> list[MisDocument]:
    """The documents of an MIS listing reply. Raises ValueError naming what is wrong with the shape."""
    try:
        document = json.loads(body)
    except ValueError:
        raise ValueError("MIS listing is not JSON") from None
    if not isinstance(document, dict) or "ListDocsByRptTypeRes" not in document:
        raise ValueError("MIS listing has no ListDocsByRptTypeRes")
    root = document["ListDocsByRptTypeRes"]
    entries: Any = root.get("DocumentList", []) if isinstance(root, dict) else []
    # The listing is XML turned into JSON: one document comes as an object, none as "" or null.
    if isinstance(entries, dict):
        entries = [entries]
    if not isinstance(entries, list):
        entries = []
    documents: list[MisDocument] = []
    for entry in entries:
        fields = entry.get("Document") if isinstance(entry, dict) else None
        if not isinstance(fields, dict):
            raise ValueError("MIS listing entry has no Document object")
        try:
            publish_date = str(fields["PublishDate"])
            documents.append(
                MisDocument(
                    doc_id=str(fields["DocID"]),
                    friendly_name=str(fields.get("FriendlyName", "")),
                    constructed_name=str(fields.get("ConstructedName", "")),
                    publish_date=publish_date,
                    # ERCOT writes -05:00 all year: keep the wall clock, which is Central time.
                    posted_local=dt.datetime.fromisoformat(publish_date[:19]),
                )
            )
        except (KeyError, ValueError) as exc:
            raise ValueError(f"MIS listing entry lacks a usable DocID/PublishDate ({exc})") from None
    return documents


def mis_days_served(dataset: ErcotDatasetName, posted_local: dt.datetime) -> set[dt.date]:
    """The operating days a document posted at ``posted_local`` (Central wall clock) is selected for.

    The per-dataset rule (the inverse of :func:`select_mis_documents`):

    * ``spp_rt``: posted during D, plus postings up to 00:15 of D+1 (the last interval of D posts after midnight);
    * ``spp_dam``: posted during D-1 (the day-ahead market for D clears and posts the day before);
    * ``load_weather_zone``: posted during D+1 (a day's actual load is published the next day);
    * ``load_forecast``, ``wind``, ``solar``: posted during D (every hourly vintage of that day).
    """
    posted_day = posted_local.date()
    one_day = dt.timedelta(days=1)
    if dataset == "spp_rt":
        days = {posted_day}
        if posted_local.time() <= SPP_RT_NEXT_DAY_GRACE:
            days.add(posted_day - one_day)
        return days
    if dataset == "spp_dam":
        return {posted_day + one_day}
    if dataset == "load_weather_zone":
        return {posted_day - one_day}
    return {posted_day}


def select_mis_documents(documents: list[MisDocument], dataset: ErcotDatasetName, day: dt.date) -> list[MisDocument]:
    """The ``_csv`` documents to download for operating day ``day``, oldest posting first."""
    selected = [doc for doc in documents if doc.is_csv and day in mis_days_served(dataset, doc.posted_local)]
    return sorted(selected, key=lambda doc: (doc.posted_local, doc.doc_id))


def mis_days_available(documents: list[MisDocument], dataset: ErcotDatasetName) -> list[dt.date]:
    """Every operating day for which the listing holds at least one ``_csv`` document."""
    days: set[dt.date] = set()
    for doc in documents:
        if doc.is_csv:
            days |= mis_days_served(dataset, doc.posted_local)
    return sorted(days)


def mis_posting_instants(documents: list[MisDocument]) -> dict[str, str]:
    """The UTC posting instant (ISO 8601) of each CSV document of an MIS listing, by DocID: the labels of the repeated
    fall-back hour resolved from the docIds as the archive door does (:func:`.postings.resolve_posted_instants`),
    every CSV document of the listing taking part (its neighbours are the clock). Empty when a DocID is not a number
    (the docIds are then no clock: the parser reads a repeated-hour label as its first pass, and says so)."""
    csv_documents = list({doc.doc_id: doc for doc in documents if doc.is_csv}.values())
    if not all(doc.doc_id.isdigit() for doc in csv_documents):
        return {}
    instants = resolve_posted_instants([(int(doc.doc_id), doc.posted_local) for doc in csv_documents])
    return {
        doc.doc_id: instant.astimezone(dt.UTC).isoformat() for doc, instant in zip(csv_documents, instants, strict=True)
    }


# What reading a damaged zip raises: a bad header or CRC, a truncated stream, an encrypted member.
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError)
_CHUNK = 1 << 20


class ZipProblemError(ValueError):
    """What is wrong with a zip reply, in words (the message)."""


@dataclass(frozen=True)
class CheckedZip:
    """A zip reply that opened, with every member through its CRC check, and what its CSV members hold."""

    body: bytes
    csv_rows: int  # data lines (header excluded) across its CSV members


def _is_csv(name: str) -> bool:
    return name.lower().endswith(".csv")


def zip_members(body: bytes, keep: Callable[[str], bool] = _is_csv) -> Iterator[tuple[str, bytes | None]]:
    """Each member's name and, when ``keep`` says so (default: a CSV member), its content; every member read once
    through its CRC check (the others in chunks, never whole: an xlsx's sheets are large). Raises
    :class:`ZipProblemError` naming what is wrong."""
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            names = archive.namelist()
            if not names:
                raise ZipProblemError("zip holds no files")
            for name in names:
                try:
                    with archive.open(name) as member:
                        if keep(name):
                            yield name, member.read()
                            continue
                        while member.read(_CHUNK):
                            pass
                except zipfile.BadZipFile:
                    raise ZipProblemError(f"zip member {name!r} is corrupt") from None
                yield name, None
    except ZipProblemError:
        raise
    except _ZIP_ERRORS as exc:
        raise ZipProblemError(f"not a readable zip ({type(exc).__name__}: {exc})") from None


def check_zip(body: bytes) -> CheckedZip:
    """``body`` checked in one pass (each member decompressed once); :class:`ZipProblemError` when it is not a
    readable zip, holds no files, or a member fails its CRC check."""
    rows = 0
    for _, content in zip_members(body):
        if content is not None:
            rows += max(0, _data_lines(content) - 1)
    return CheckedZip(body, rows)


def _data_lines(content: bytes) -> int:
    """The lines (``\\n``, ``\\r\\n`` or ``\\r`` ended) holding something besides ASCII whitespace: bytes' own
    splitting and stripping, several times faster than a regular expression over a year's documents."""
    return len(list(filter(None, map(bytes.strip, content.splitlines()))))


def zip_problem(body: bytes) -> str | None:
    """What is wrong with a zip reply (None when it opens and every member passes its CRC check)."""
    try:
        check_zip(body)
    except ZipProblemError as problem:
        return str(problem)
    return None
