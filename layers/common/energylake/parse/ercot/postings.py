"""Forecast vintages: when ERCOT posted a document or an API row (``posted_at_utc``), the repeated fall-back hour
included.

ERCOT writes posting times as Central wall clock without a usable offset (the archive's ``postDatetime``, the API's
``postedDatetime``, MIS ``PublishDate`` whose ``-05:00`` is stamped all year, the ``cdr....YYYYMMDD.HHMMSS`` stamp of
file names). Forecasts post hourly, so on the fall-back day two postings carry the same label (``01:30`` once in
CDT, once in CST, an hour apart). Read both as the first, they collide on the natural key and the quality gate
rejects a whole vintage. The rule that tells them apart:

Documents (MIS downloads, archive documents: one posting per document)
    1. The label: raw metadata ``x-post-datetime`` (the archive listing's ``postDatetime``), ``x-publish-date`` (MIS
       ``PublishDate``, offset ignored) or ``x-posted``; else the ``cdr`` stamp of the zip member's name or of
       ``x-constructed-name``.
    2. A label that happens once is its instant. A label of the repeated hour is resolved by what the FETCHER knew:
       the listing, which shows every document of the report with that label (a label-based selection takes both
       same-label documents or neither, and a forecast group is one posting day, so they always land together).
       It writes, in the raw metadata of each document:

       * ``x-posted-at-utc``: the instant itself, ISO 8601 with its offset (what
         :func:`energylake.sources.ercot.postings.resolve_posted_instants` computes from docIds and labels); it
         must be one of the label's two instants; or
       * ``x-posting-occurrence``: ``1`` or ``2``, which pass of the repeated hour the document was posted in: 1
         the daylight (CDT) pass, 2 the standard-time (CST) one. The listing shows it: docIds grow with posting
         time, so in docId order one night's repeated-hour labels run through the hour twice; when two documents
         carry the very same label, the later docId is the second. (Counting equal labels alone is not enough:
         ERCOT posts a few seconds after the minute, so the two passes' labels often differ in their seconds.)

       Without either, the document is read as the first (CDT) posting and the result carries a note saying so:
       one document alone cannot tell (nothing in it names its offset), and curation sees the
       collision, if there is one, as duplicate keys in the quality report.
    Why the fetcher and not curation: the parser stays a function of one raw object and its metadata (reprocessing
    a group gives the same rows whatever else the group holds), and the fact is recorded in raw beside the bytes it
    describes. Contradictions are ParseErrors naming the metadata key: an instant that is not one of the label's,
    an occurrence other than 1 or 2, occurrence 2 (or a CST instant) on a label that happens only once.

API pages (``postedDatetime`` on every row; one page may hold both postings of a label)
    Order of appearance: among the rows whose label is ambiguous, the k-th row with the same label and the same rest
    of the natural key (model, where the report has one, and delivery interval) is the k-th posting: k = 1 is the
    CDT posting, k = 2 the CST one; a third is a ParseError naming the row. Unambiguous labels are read directly.
    Limits: a page sees only its own rows. A page set split between the two postings of a label, or a row that only
    the later posting has (the last hour of a rolling horizon the earlier posting did not reach), reads as the first
    posting: it is then dated an hour early, or collides and is reported by the quality gate. At the client's
    default page size (100,000 rows) one day's forecast rows normally fit on one page.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from energylake import timeconv
from energylake.errors import ParseError
from energylake.parse.ercot.columns import first_row_number, require_values, trimmed_text

_CDR_STAMP = re.compile(r"\.(\d{8})\.(\d{6})\d*\.[A-Za-z]")
# Raw metadata the fetchers write: the document's posting label, newest door first.
LABEL_KEYS = ("x-post-datetime", "x-publish-date", "x-posted")
POSTED_AT_KEY = "x-posted-at-utc"
OCCURRENCE_KEY = "x-posting-occurrence"


@dataclass(frozen=True)
class DocumentPosting:
    """When one document was posted (None: no label anywhere), and notes for the quality report."""

    posted_at: dt.datetime | None
    notes: tuple[str, ...] = ()


def _instants(label: dt.datetime, where: str) -> tuple[dt.datetime, dt.datetime]:
    """(first, second) UTC instant of a naive Central label; equal unless the label is in the repeated hour."""
    try:
        return (
            timeconv.local_wallclock_to_utc(label, ambiguous="earlier"),
            timeconv.local_wallclock_to_utc(label, ambiguous="later"),
        )
    except ValueError as exc:  # a label inside the spring-forward gap
        raise ParseError(f"posting time {where}: {exc}", column=where) from None


def _label_from_metadata(metadata: Mapping[str, str]) -> tuple[dt.datetime, str] | None:
    for key in LABEL_KEYS:
        value = metadata.get(key, "").strip()
        if value:
            try:
                # ERCOT's offsets are unreliable (MIS stamps -05:00 all year): the wall clock is what counts.
                return dt.datetime.fromisoformat(value[:19]).replace(tzinfo=None), key
            except ValueError:
                raise ParseError(f"raw metadata {key}={value!r} is not a date and time", column=key) from None
    return None


def _label_from_name(name: str) -> dt.datetime | None:
    """The posting label in an ERCOT file name ``cdr.<rtid>.<duns>.YYYYMMDD.HHMMSS[mmm].<report>...``."""
    match = _CDR_STAMP.search(name)
    if match is None:
        return None
    try:
        return dt.datetime.strptime(match.group(1) + match.group(2), "%Y%m%d%H%M%S")
    except ValueError:
        return None


def posting_from_name(name: str) -> dt.datetime | None:
    """The posting instant in an ERCOT file name (a repeated-hour label reads as its first pass)."""
    label = _label_from_name(name)
    return None if label is None else _instants(label, "file name")[0]


def _fetcher_instant(metadata: Mapping[str, str], label: dt.datetime, where: str) -> dt.datetime | None:
    """The instant the fetcher resolved (``x-posted-at-utc`` or ``x-posting-occurrence``), checked against the label;
    None when it wrote neither."""
    first, second = _instants(label, where)
    stamp = metadata.get(POSTED_AT_KEY, "").strip()
    if stamp:
        try:
            instant = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            raise ParseError(
                f"raw metadata {POSTED_AT_KEY}={stamp!r} is not a date and time", column=POSTED_AT_KEY
            ) from None
        if instant.tzinfo is None:
            raise ParseError(f"raw metadata {POSTED_AT_KEY}={stamp!r} has no UTC offset", column=POSTED_AT_KEY)
        if instant not in (first, second):
            raise ParseError(
                f"raw metadata {POSTED_AT_KEY}={stamp!r} is not the posting label {label.isoformat()} ({where}) in "
                "Central time",
                column=POSTED_AT_KEY,
            )
        return instant.astimezone(dt.UTC)
    occurrence = metadata.get(OCCURRENCE_KEY, "").strip()
    if not occurrence:
        return None
    if occurrence not in ("1", "2"):
        raise ParseError(
            f"raw metadata {OCCURRENCE_KEY}={occurrence!r}: a posting label happens once or twice (1 or 2)",
            column=OCCURRENCE_KEY,
        )
    if occurrence == "2" and first == second:
        raise ParseError(
            f"raw metadata {OCCURRENCE_KEY}=2 but the posting label {label.isoformat()} ({where}) happens only once",
            column=OCCURRENCE_KEY,
        )
    return second if occurrence == "2" else first


def document_posting(metadata: Mapping[str, str], member: str) -> DocumentPosting:
    """When a document (MIS download, archive document) was posted: see the module docstring."""
    found = _label_from_metadata(metadata)
    if found is None:
        for name in (member, metadata.get("x-constructed-name", "")):
            label = _label_from_name(name) if name else None
            if label is not None:
                found = (label, "file name")
                break
    if found is None:
        return DocumentPosting(None)
    label, where = found
    resolved = _fetcher_instant(metadata, label, where)
    if resolved is not None:
        return DocumentPosting(resolved)
    first, second = _instants(label, where)
    if first == second:
        return DocumentPosting(first)
    return DocumentPosting(
        first,
        (
            f"posting label {label.isoformat()} ({where}) is in the repeated fall-back hour and the raw metadata has "
            f"neither {POSTED_AT_KEY} nor {OCCURRENCE_KEY}: read as the first (CDT) posting",
        ),
    )


def _parse_local_datetime(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.replace("/", "-") if text[:4].isdigit() else text)
    return value.replace(tzinfo=None)


def parse_postings(name: str, array: pa.Array, what: str, *, row_keys: Sequence[pa.Array] = ()) -> pa.Array:
    """A per-row posting column (naive Central wall clock, e.g. ``2024-11-03T01:30:00``) -> UTC.

    ``row_keys``: the rest of each row's natural key (model, interval start): among rows with a label of the repeated
    fall-back hour, the k-th row of the same label and key is the k-th posting (module docstring)."""
    text = trimmed_text(array)
    require_values(name, text, what)
    encoded = pc.dictionary_encode(text)
    labels: list[dt.datetime] = []
    for position, value in enumerate(encoded.dictionary.to_pylist()):
        try:
            labels.append(_parse_local_datetime(value))
        except ValueError as exc:
            row = first_row_number(pc.equal(encoded.indices, position))
            raise ParseError(f"{what}: {value!r} is not a date and time ({exc})", column=name, row=row) from None
    local = pa.array(labels, pa.timestamp("us"))
    try:
        first = timeconv.local_wallclock_array_to_utc(local, ambiguous="earlier")
    except ValueError as exc:
        index = getattr(exc, "row", None)
        row = first_row_number(pc.equal(encoded.indices, index)) if isinstance(index, int) else None
        raise ParseError(f"{what}: {exc}", column=name, row=row) from None
    second = timeconv.local_wallclock_array_to_utc(local, ambiguous="later")
    ambiguous_labels = pc.indices_nonzero(pc.not_equal(first, second))
    posted = first.take(encoded.indices)
    if not len(ambiguous_labels):
        return posted
    # Only rows of the repeated hour go through Python (a few per posting and interval).
    rows = pc.indices_nonzero(pc.is_in(encoded.indices, value_set=ambiguous_labels.cast(encoded.indices.type)))
    keys = zip(
        local.take(encoded.indices.take(rows)).to_pylist(),
        *(key.take(rows).to_pylist() for key in row_keys),
        strict=True,
    )
    seen: dict[tuple[object, ...], int] = {}
    later_rows: list[int] = []
    for row, key in zip(rows.to_pylist(), keys, strict=True):
        occurrence = seen.get(key, 0) + 1
        seen[key] = occurrence
        if occurrence > 2:
            raise ParseError(
                f"{what}: posting {key[0].isoformat()} appears a third time for the same model and interval: only "
                "the two passes of the fall-back hour can share a posting label",
                column=name,
                row=row + 1,
            )
        if occurrence == 2:
            later_rows.append(row)
    if not later_rows:
        return posted
    is_later = pc.is_in(pa.array(range(len(posted)), pa.int64()), value_set=pa.array(later_rows, pa.int64()))
    return pc.if_else(is_later, second.take(encoded.indices), posted)
