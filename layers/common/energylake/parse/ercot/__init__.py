"""ERCOT parsers: API pages, MIS zips (and plain CSVs) and the fuel-mix dashboard -> silver tables minus lineage.

Entry points
    :func:`parse` (a :class:`~energylake.parse.RawObject`, dispatched on ``raw.origin``), :func:`parse_api_page`,
    :func:`parse_mis_zip`, :func:`parse_csv_bytes` (what the zip path uses; tests feed it plain CSVs) and
    :func:`parse_fuel_mix_dashboard`.

Formats
    * ``ercot-api``: one Public Reports API page ``{_meta, report, fields[{name}], data[[...]]}``; columns are named
      by ``fields[].name``.
    * ``ercot-mis`` and ``ercot-archive``: one posted document, a zip holding the report's CSV (ERCOT's MIS
      download, an archive document). The CSV is the zip's one CSV (an xml twin, a readme or a pdf beside it is
      ignored), else the one CSV named for the report (``...NP4732...``); a document zipped once more is opened; a
      workbook goes to the yearly reader (:mod:`energylake.parse.ercot.yearly`); anything else is a ParseError
      naming the members. Also ERCOT's historical layouts as plain CSV: the DAM hub/load-zone price archive
      (``Delivery Date,Hour Ending,Repeated Hour Flag,Settlement Point,...``) and the native load archive
      (``Hour Ending,COAST,...,ERCOT`` with labels ``MM/DD/YYYY HH:MM`` / ``... 02:00 DST``); for ``load_forecast``
      both NP3-565 (by model and weather zone) and NP3-560 (in-use forecast by forecast zone); for wind and solar
      every NP4-732 / NP4-737 layout since 2014 (listed in :mod:`energylake.parse.ercot.tables`).
    * ``ercot-dashboard``: ``fuel-mix.json``.

Column names are matched ignoring case and every character that is not a letter or digit (``DSTFlag    ``,
``DELIVERY_DATE``, ``deliveryDate`` and ``Delivery Date`` are the same column). Columns this module does not know
are left out and listed in ``ParseResult.unknown_columns``.

Decisions
    * Times: ERCOT labels intervals by their END in Central prevailing time; all arithmetic is done by
      :mod:`energylake.timeconv` (vectorised). The repeated fall-back hour is told apart by ``DSTFlag`` /
      ``Repeated Hour Flag`` (Y/true = the second, standard-time occurrence). In layouts that mark the repeated hour
      in the label itself (native load: ``11/03/2024 02:00 DST``), an unmarked label is the first occurrence. A
      repeated hour with neither flag nor marker cannot be placed and is a :class:`ParseError`. An hour-ending
      TIMESTAMP (``02/08/2016 00:00``, older NP4-732/737 files) names the instant its hour ends: ``00:00`` is hour
      ending 24 of the day before.
    * Rows: errors name the source column (as spelled in the source) and the 1-based DATA row (the first row of
      ``data`` / the first line after the CSV header is row 1).
    * Forecast vintages (``posted_at_utc``): a per-row posting column (API ``postedDatetime``) wins; otherwise the
      document's posting label (raw metadata ``x-post-datetime`` / ``x-publish-date`` / ``x-posted``, else the
      ``cdr....YYYYMMDD.HHMMSS...`` stamp of the member name or ``x-constructed-name``), all Central wall clock. The
      two postings of the repeated fall-back hour share labels: a document's pass is what its fetcher resolved from
      the listing (``x-posted-at-utc`` or ``x-posting-occurrence``), API rows go by order of appearance; the full
      rule is in :mod:`energylake.parse.ercot.postings`.
    * Load by weather zone: the total column (``total`` / ``ERCOT`` / ``SystemTotal``) is not a zone and is not
      emitted; when it differs from the sum of the zones by more than 1 MW a note says how often (never an error:
      judging numbers is the quality gate's business).
    * Fuel mix: each dashboard timestamp carries its UTC offset, so it is an exact instant (no DST guessing). It is
      the END of a 5-minute interval stamped a few seconds early: it is rounded to the nearest 5 minutes, and the
      interval is ``[end - 5 min, end)`` (the ``00:04:57`` point describes 00:00-00:05). ``rows_read`` counts the
      timestamps; each becomes one row per fuel. A point more than 30 s off the grid gets a note.
    * Settlement point type, part of a price's natural key and never null: real-time reports state it (NP6-905 lists
      each load zone twice per interval under one name, LZ and LZEW, at different prices: both rows are kept), and
      a real-time row without it is a ParseError naming the row (the name cannot tell LZ from LZEW). Reports without
      a type column (NP4-190 DAM prices) get it from the name: ``HB_*`` -> ``HU``, ``LZ_*_EW`` -> ``LZEW``,
      ``LZ_*`` -> ``LZ``, otherwise ``RN``.
    * Wind and solar: a table whose generation and forecast values are all empty is a ParseError, never empty rows;
      a layout that cannot be placed in time with confidence (NP4-732's 2016 HOUR_BEGINNING files) is a ParseError
      naming the layout.
    * Empty reports give an empty table with the right schema.

Performance: columnar throughout. API pages are decoded with orjson (garbage collection paused while the page's
Python objects exist), transposed once with ``zip(*data)`` and turned into one Arrow array per column; CSVs are read
by ``pyarrow.csv`` with every column as string except settlement point prices (float64, parsed by the reader; any
value it rejects sends the whole file through the all-string read, whose converters name the column and row), and
converted with ``pyarrow.compute``. Columns stay chunked as read where the converter allows it (no contiguous copy).
Text that needs no trimming (checked by a min/max over its bytes) is used as it is. Sorted low-cardinality columns
(dates, flags; in timeconv the whole time label) are parsed once per run of equal values, found by comparing the
column with itself shifted by a row, and spread back with a run-end decode; other low-cardinality text (hour labels,
posting times, unsorted files) is parsed once per distinct value and spread back with ``take``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable, Mapping
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from energylake.contracts.datasets import DatasetName
from energylake.errors import ParseError
from energylake.parse import ParseResult, RawObject
from energylake.parse.ercot.columns import (
    SourceColumns,
    column_key,
    contiguous,
    dashboard_instants,
    fuel_code,
    gc_paused,
    parse_text_values,
    python_to_array,
    transpose,
)
from energylake.parse.ercot.postings import document_posting
from energylake.parse.ercot.tables import (
    CSV_FLOAT_KEYS,
    ERCOT_PARSED_DATASETS,
    csv_data_row,
    output_schema,
    parse_columns,
    schema_of,
    silver_table,
)

__all__ = [
    "ERCOT_PARSED_DATASETS",
    "output_schema",
    "parse",
    "parse_api_page",
    "parse_csv_bytes",
    "parse_fuel_mix_dashboard",
    "parse_mis_zip",
]

FUEL_MIX_SNAP_NOTE_S = 30
_FIVE_MINUTES = pa.scalar(dt.timedelta(minutes=5), pa.duration("us"))


# ---------------------------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------------------------


def parse(raw: RawObject) -> ParseResult:
    """Parse one raw ERCOT object (an API page, an MIS zip or the fuel-mix dashboard) by its origin."""
    schema_of(raw.dataset)
    origin = raw.origin
    if raw.dataset == "fuel_mix" and origin != "ercot-yearly":
        if origin != "ercot-dashboard":
            raise ParseError(
                f"{raw.key}: fuel_mix comes only from the ercot-dashboard or ercot-yearly origin, not {origin!r}"
            )
        return parse_fuel_mix_dashboard(raw.body, what=raw.key)
    if origin == "ercot-api":
        return parse_api_page(raw.dataset, raw.body, what=raw.key)
    if origin in ("ercot-mis", "ercot-archive"):  # an archive document is the same zip an MIS download is
        return parse_mis_zip(raw.dataset, raw.body, metadata=raw.metadata, what=raw.key)
    if origin == "ercot-yearly":
        from energylake.parse.ercot.yearly import parse_yearly

        return parse_yearly(raw)
    raise ParseError(
        f"{raw.key}: unknown origin {origin!r} for {raw.dataset} (metadata 'source-used' must be "
        "ercot-api, ercot-archive, ercot-yearly or ercot-mis; ercot-dashboard is for fuel_mix)"
    )


def parse_api_page(dataset: DatasetName, body: bytes, *, what: str = "ERCOT API page") -> ParseResult:
    """One Public Reports API page ``{_meta, report, fields, data}``."""
    schema_of(dataset)
    with gc_paused():
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"{what}: not JSON ({exc})") from None
        if not isinstance(document, dict) or not isinstance(document.get("fields"), list):
            raise ParseError(f"{what}: not an ERCOT API page (no 'fields' list)")
        rows = document.get("data")
        if not isinstance(rows, list):
            raise ParseError(f"{what}: not an ERCOT API page (no 'data' list of rows)")
        names = [str(field.get("name", "")) if isinstance(field, dict) else "" for field in document["fields"]]
        del document
        num_rows = len(rows)
        columns = transpose(rows, len(names), what)
        del rows
    arrays: dict[int, pa.Array] = {}

    def column(index: int) -> pa.Array:
        if index not in arrays:
            arrays[index] = python_to_array(columns[index])
        return arrays[index]

    source = SourceColumns(names, column, num_rows, what)
    return parse_columns(dataset, source, posted_at=None)


def parse_mis_zip(
    dataset: DatasetName, body: bytes, *, metadata: Mapping[str, str] | None = None, what: str = "ERCOT MIS zip"
) -> ParseResult:
    """One posted document (an MIS download or an archive document): a zip holding the report's CSV, read with the
    posting time its metadata or member name gives. A document holding an Excel workbook goes to the yearly
    reader."""
    schema_of(dataset)
    metadata = metadata or {}
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            names = [name for name in archive.namelist() if not name.endswith("/")]
            if _is_workbook(names):
                return _workbook(dataset, body, metadata, what)
            member = _report_member(dataset, names, what)
            content = archive.read(member)
            if member.lower().endswith(".zip"):  # one document zipped once more (an archive download's inner zip)
                return parse_mis_zip(dataset, content, metadata=metadata, what=f"{what} [{member}]")
            if member.lower().endswith((".xlsx", ".xlsm")):
                return _workbook(dataset, content, metadata, f"{what} [{member}]")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise ParseError(f"{what}: not a readable zip ({exc})") from None
    posting = document_posting(metadata, member)
    result = parse_csv_bytes(
        dataset, content, origin_hint="ercot-mis", posted_at=posting.posted_at, what=f"{what} [{member}]"
    )
    result.notes.extend(f"{what}: {note}" for note in posting.notes)
    return result


# What identifies a report's file among a document's members: its EMIL number as ERCOT writes it in file names
# (cdr.00013028.0000000000000000.20250313.135509.WPPHRLYAVGACTNP4732.csv).
_REPORT_STEMS: dict[str, tuple[str, ...]] = {
    "spp_rt": ("NP6905",),
    "spp_dam": ("NP4190",),
    "load_weather_zone": ("NP6345",),
    "load_forecast": ("NP3565", "NP3560"),
    "wind": ("NP4732",),
    "solar": ("NP4737",),
}


def _report_member(dataset: DatasetName, names: list[str], what: str) -> str:
    """The member holding the report: the one CSV (an xml twin, a readme or a pdf beside it is ignored), else the one
    CSV whose name carries the report's number, else a single inner zip or workbook; otherwise a ParseError naming
    the members."""
    csvs = [name for name in names if name.lower().endswith(".csv")]
    if len(csvs) == 1:
        return csvs[0]
    if len(csvs) > 1:
        stems = _REPORT_STEMS.get(dataset, ())
        named = [name for name in csvs if any(stem in name.upper() for stem in stems)]
        if len(named) == 1:
            return named[0]
        raise ParseError(
            f"{what}: {len(csvs)} CSV files and none or several of them named for the {dataset} report "
            f"({', '.join(stems) or 'no known file name'}): {', '.join(names)}"
        )
    inner = [name for name in names if name.lower().endswith((".zip", ".xlsx", ".xlsm"))]
    if len(inner) == 1:
        return inner[0]
    raise ParseError(
        f"{what}: no CSV file in the zip"
        + (f" ({len(inner)} inner zips or workbooks: one document per raw object)" if inner else "")
        + f"; members: {', '.join(names) or 'none'}"
    )


def _is_workbook(names: list[str]) -> bool:
    """An xlsx file is itself a zip: its members say so."""
    return "[Content_Types].xml" in names and any(name.startswith("xl/") for name in names)


def _workbook(dataset: DatasetName, body: bytes, metadata: Mapping[str, str], what: str) -> ParseResult:
    # The report documents this parser reads are CSVs; ERCOT's workbooks are its yearly historical files, which
    # the yearly reader knows.
    from energylake.parse.ercot.yearly import parse_yearly

    return parse_yearly(RawObject(what, dataset, body, dict(metadata)))


def parse_csv_bytes(
    dataset: DatasetName,
    csv_bytes: bytes,
    *,
    origin_hint: str | None = None,
    posted_at: dt.datetime | None = None,
    member_name: str | None = None,
    what: str | None = None,
) -> ParseResult:
    """One ERCOT CSV (MIS or historical archive layout).

    ``posted_at`` (aware) is the document's posting time for forecast reports without a posting column; when it is
    None, ``member_name`` (an ERCOT ``cdr....YYYYMMDD.HHMMSS....csv`` name) supplies it.
    """
    schema_of(dataset)
    label = what or f"{origin_hint or 'ERCOT'} CSV{f' [{member_name}]' if member_name else ''}"
    posting_notes: tuple[str, ...] = ()
    if posted_at is None and member_name:
        posting = document_posting({}, member_name)
        posted_at, posting_notes = posting.posted_at, posting.notes
    text_start = csv_bytes[:4096].decode("utf-8-sig", errors="replace")
    header_line = text_start.splitlines()[0] if text_start.strip() else ""
    header = next(csv.reader([header_line]), []) if header_line else []
    if not header:
        raise ParseError(f"{label}: empty CSV (no header line)")
    generated = [f"c{index}" for index in range(len(header))]
    types = [pa.string()] * len(header)
    numeric_keys = CSV_FLOAT_KEYS.get(dataset, frozenset())
    for index, name in enumerate(header):
        if column_key(name) in numeric_keys:
            types[index] = pa.float64()
    table = None
    if any(kind != pa.string() for kind in types):
        # Typed read: pyarrow parses these numbers while reading (trimming spaces exactly as the string path's
        # trim + cast). Anything it rejects (a blank or bad value, a broken row) is re-read as text below, where
        # the converters name the column and row of the first bad value.
        try:
            table = _read_csv(csv_bytes, generated, types, None)
        except (pa.ArrowInvalid, ValueError):
            table = None
    if table is None:
        bad_rows: list[str] = []

        def invalid_row(row: Any) -> str:
            bad_rows.append(str(row.text))
            return "error"

        try:
            table = _read_csv(csv_bytes, generated, [pa.string()] * len(header), invalid_row)
        except (pa.ArrowInvalid, ValueError) as exc:
            row = csv_data_row(csv_bytes, bad_rows[0]) if bad_rows else None
            raise ParseError(f"{label}: unreadable CSV ({exc})", row=row) from None
    num_rows = table.num_rows
    pending: list[pa.ChunkedArray | None] = list(table.columns)
    del table
    combined: dict[int, pa.Array] = {}

    def column(index: int) -> pa.Array:
        # Combined on first use only; the chunked original is dropped then (one copy of a column alive, not two).
        if index not in combined:
            chunked = pending[index]
            assert chunked is not None
            combined[index] = contiguous(chunked)
            pending[index] = None
        return combined[index]

    def column_chunked(index: int) -> pa.Array | pa.ChunkedArray:
        chunked = pending[index]
        return combined[index] if chunked is None else chunked

    source = SourceColumns(header, column, num_rows, label, column_chunked)
    result = parse_columns(dataset, source, posted_at=posted_at)
    result.notes.extend(f"{label}: {note}" for note in posting_notes)
    return result


def _read_csv(
    csv_bytes: bytes, names: list[str], types: list[pa.DataType], invalid_row: Callable[[Any], str] | None
) -> pa.Table:
    return pacsv.read_csv(
        io.BytesIO(csv_bytes),
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
        parse_options=pacsv.ParseOptions(invalid_row_handler=invalid_row),
        convert_options=pacsv.ConvertOptions(
            column_types=dict(zip(names, types, strict=True)),
            null_values=[""],
            strings_can_be_null=True,  # an empty cell is a null (the converters then judge it)
        ),
    )


def parse_fuel_mix_dashboard(body: bytes, *, what: str = "ERCOT fuel-mix dashboard") -> ParseResult:
    """``fuel-mix.json``: ``data{day{"YYYY-MM-DD HH:MM:SS-0600"{fuel{gen, ...}}}}`` -> FUEL_MIX rows."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ParseError(f"{what}: not JSON ({exc})") from None
    data = document.get("data") if isinstance(document, dict) else None
    if not isinstance(data, dict):
        raise ParseError(f"{what}: no 'data' object keyed by day", column="data")
    stamps: list[str] = []
    fuels: list[str] = []
    generation: list[Any] = []
    stamp_of_row: list[int] = []
    notes: list[str] = []
    for day, points in data.items():
        if not isinstance(points, dict):
            raise ParseError(f"{what}: data[{day!r}] is not an object of timestamps", column=f"data.{day}")
        for stamp, by_fuel in points.items():
            if not isinstance(by_fuel, dict):
                raise ParseError(f"{what}: data[{day!r}][{stamp!r}] is not an object of fuels", row=len(stamps) + 1)
            stamps.append(str(stamp))
            for fuel, values in by_fuel.items():
                gen = values.get("gen") if isinstance(values, dict) else None
                if isinstance(gen, bool) or not isinstance(gen, int | float):
                    raise ParseError(
                        f"{what}: {stamp} {fuel!r} has no numeric 'gen' (got {gen!r})", column="gen", row=len(stamps)
                    )
                fuels.append(fuel)
                generation.append(gen)
                stamp_of_row.append(len(stamps) - 1)
    if not stamps:
        return ParseResult(output_schema("fuel_mix").empty_table(), 0, notes=["empty dashboard: no timestamps"])
    ends_raw = dashboard_instants(pa.array(stamps, pa.string()), what)
    ends = pc.round_temporal(ends_raw, multiple=5, unit="minute")
    offsets_s = pc.abs(pc.divide(pc.cast(pc.subtract(ends_raw, ends), pa.int64()), 1_000_000))
    far = pc.sum(pc.greater(offsets_s, FUEL_MIX_SNAP_NOTE_S)).as_py() or 0
    if far:
        notes.append(f"{far} fuel-mix timestamps were more than {FUEL_MIX_SNAP_NOTE_S} s off the 5-minute grid")
    if len(pc.unique(ends)) != len(ends):
        notes.append("two or more fuel-mix timestamps round to the same 5-minute interval")
    row_ends = ends.take(pa.array(stamp_of_row, pa.int32()))
    fuel_names = parse_text_values("fuel", pa.array(fuels, pa.string()), fuel_code, pa.string(), what)
    table = silver_table(
        "fuel_mix",
        {
            "fuel": fuel_names,
            "interval_start_utc": pc.subtract(row_ends, _FIVE_MINUTES),
            "interval_end_utc": row_ends,
            "generation_mw": pa.array(generation, pa.float64()),
        },
    )
    return ParseResult(table, len(stamps), notes=notes)
