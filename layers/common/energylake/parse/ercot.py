"""ERCOT parsers: API pages, MIS zips (and plain CSVs) and the fuel-mix dashboard -> silver tables minus lineage.

Entry points
    :func:`parse` (a :class:`~energylake.parse.RawObject`, dispatched on ``raw.origin``), :func:`parse_api_page`,
    :func:`parse_mis_zip`, :func:`parse_csv_bytes` (what the zip path uses; tests feed it plain CSVs) and
    :func:`parse_fuel_mix_dashboard`.

Formats
    * ``ercot-api``: one Public Reports API page ``{_meta, report, fields[{name}], data[[...]]}``; columns are named
      by ``fields[].name``.
    * ``ercot-mis``: a zip holding one CSV (ERCOT's MIS download), also ERCOT's historical layouts as plain CSV:
      the DAM hub/load-zone price archive (``Delivery Date,Hour Ending,Repeated Hour Flag,Settlement Point,...``) and
      the native load archive (``Hour Ending,COAST,...,ERCOT`` with labels ``MM/DD/YYYY HH:MM`` / ``... 02:00 DST``);
      for ``load_forecast`` both NP3-565 (by model and weather zone) and NP3-560 (in-use forecast by forecast zone).
    * ``ercot-dashboard``: ``fuel-mix.json``.

Column names are matched ignoring case and every character that is not a letter or digit (``DSTFlag    ``,
``DELIVERY_DATE``, ``deliveryDate`` and ``Delivery Date`` are the same column). Columns this module does not know
are left out and listed in ``ParseResult.unknown_columns``.

Decisions
    * Times: ERCOT labels intervals by their END in Central prevailing time; all arithmetic is done by
      :mod:`energylake.timeconv` (vectorised). The repeated fall-back hour is told apart by ``DSTFlag`` /
      ``Repeated Hour Flag`` (Y/true = the second, standard-time occurrence). In layouts that mark the repeated hour
      in the label itself (native load: ``11/03/2024 02:00 DST``), an unmarked label is the first occurrence. A
      repeated hour with neither flag nor marker cannot be placed and is a :class:`ParseError`.
    * Rows: errors name the source column (as spelled in the source) and the 1-based DATA row (the first row of
      ``data`` / the first line after the CSV header is row 1).
    * Forecast vintages (``posted_at_utc``): a per-row posting column (API ``postedDatetime``) wins; otherwise the
      document's posting time: raw metadata ``x-publish-date`` (or ``x-posted``) as written by the MIS client, else
      the ``cdr....YYYYMMDD.HHMMSS...`` stamp in the zip member name (or ``x-constructed-name``). Every ERCOT posting
      time is a Central wall clock (MIS offsets are unreliable and ignored); an ambiguous fall-back label resolves to
      the first occurrence, as the schema says.
    * Load by weather zone: the total column (``total`` / ``ERCOT`` / ``SystemTotal``) is not a zone and is not
      emitted; when it differs from the sum of the zones by more than 1 MW a note says how often (never an error:
      judging numbers is the quality gate's business).
    * Fuel mix: each dashboard timestamp carries its UTC offset, so it is an exact instant (no DST guessing). It is
      the END of a 5-minute interval stamped a few seconds early: it is rounded to the nearest 5 minutes, and the
      interval is ``[end - 5 min, end)`` (the ``00:04:57`` point describes 00:00-00:05). ``rows_read`` counts the
      timestamps; each becomes one row per fuel. A point more than 30 s off the grid gets a note.
    * DAM settlement point type, when the report has none: ``HB_*`` -> ``HU``, ``LZ_*_EW`` -> ``LZEW``,
      ``LZ_*`` -> ``LZ``, otherwise null.
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
import gc
import io
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from energylake import timeconv
from energylake.datasets import ERCOT_DATASETS, DatasetName
from energylake.errors import InvalidRequestError, ParseError
from energylake.parse import ParseResult, RawObject
from energylake.schema import (
    LINEAGE,
    SILVER_TABLES,
    UTC_TIMESTAMP,
    TableSchema,
)
from energylake.zones import normalize_zone_name

__all__ = [
    "ERCOT_PARSED_DATASETS",
    "output_schema",
    "parse",
    "parse_api_page",
    "parse_csv_bytes",
    "parse_fuel_mix_dashboard",
    "parse_mis_zip",
]

T = TypeVar("T")

ERCOT_PARSED_DATASETS: tuple[DatasetName, ...] = ERCOT_DATASETS
_LINEAGE_NAMES = frozenset(column.name for column in LINEAGE)
TOTAL_TOLERANCE_MW = 1.0
FUEL_MIX_SNAP_NOTE_S = 30
_FIVE_MINUTES = pa.scalar(dt.timedelta(minutes=5), pa.duration("us"))
_FIFTEEN_MINUTES = pa.scalar(dt.timedelta(minutes=15), pa.duration("us"))
_ONE_HOUR = pa.scalar(dt.timedelta(hours=1), pa.duration("us"))
_CDR_STAMP = re.compile(r"\.(\d{8})\.(\d{6})\d*\.[A-Za-z]")
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_INTEGER = r"^[+-]?\d+$"


def output_schema(dataset: DatasetName) -> pa.Schema:
    """The schema a parser returns for ``dataset``: the silver schema without the lineage columns."""
    schema = _schema_of(dataset).arrow_schema()
    return pa.schema([field for field in schema if field.name not in _LINEAGE_NAMES])


def _schema_of(dataset: str) -> TableSchema:
    schema = SILVER_TABLES.get(dataset) if dataset in ERCOT_PARSED_DATASETS else None
    if schema is None:
        raise InvalidRequestError(
            f"no ERCOT parser for dataset {dataset!r}; ERCOT datasets: {', '.join(ERCOT_PARSED_DATASETS)}"
        )
    return schema


# ---------------------------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------------------------


def parse(raw: RawObject) -> ParseResult:
    """Parse one raw ERCOT object (an API page, an MIS zip or the fuel-mix dashboard) by its origin."""
    _schema_of(raw.dataset)
    origin = raw.origin
    if raw.dataset == "fuel_mix":
        if origin != "ercot-dashboard":
            raise ParseError(f"{raw.key}: fuel_mix comes only from the ercot-dashboard origin, not {origin!r}")
        return parse_fuel_mix_dashboard(raw.body, what=raw.key)
    if origin == "ercot-api":
        return parse_api_page(raw.dataset, raw.body, what=raw.key)
    if origin == "ercot-mis":
        return parse_mis_zip(raw.dataset, raw.body, metadata=raw.metadata, what=raw.key)
    raise ParseError(
        f"{raw.key}: unknown origin {origin!r} for {raw.dataset} (metadata 'source-used' must be "
        "ercot-api or ercot-mis; ercot-dashboard is for fuel_mix)"
    )


def parse_api_page(dataset: DatasetName, body: bytes, *, what: str = "ERCOT API page") -> ParseResult:
    """One Public Reports API page ``{_meta, report, fields, data}``."""
    _schema_of(dataset)
    with _gc_paused():
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
        columns = _transpose(rows, len(names), what)
        del rows
    arrays: dict[int, pa.Array] = {}

    def column(index: int) -> pa.Array:
        if index not in arrays:
            arrays[index] = _python_to_array(columns[index])
        return arrays[index]

    source = _Columns(names, column, num_rows, what)
    return _parse_columns(dataset, source, posted_at=None)


def parse_mis_zip(
    dataset: DatasetName, body: bytes, *, metadata: Mapping[str, str] | None = None, what: str = "ERCOT MIS zip"
) -> ParseResult:
    """An MIS download: a zip holding one CSV. The posting time comes from ``metadata`` or the member name."""
    _schema_of(dataset)
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            members = [name for name in archive.namelist() if name.lower().endswith(".csv")]
            if len(members) != 1:
                raise ParseError(f"{what}: expected one CSV in the zip, found {members or archive.namelist()}")
            (member,) = members
            content = archive.read(member)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise ParseError(f"{what}: not a readable zip ({exc})") from None
    metadata = metadata or {}
    posted = _document_posting(metadata, member)
    return parse_csv_bytes(dataset, content, origin_hint="ercot-mis", posted_at=posted, what=f"{what} [{member}]")


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
    _schema_of(dataset)
    label = what or f"{origin_hint or 'ERCOT'} CSV{f' [{member_name}]' if member_name else ''}"
    if posted_at is None and member_name:
        posted_at = _posting_from_name(member_name)
    text_start = csv_bytes[:4096].decode("utf-8-sig", errors="replace")
    header_line = text_start.splitlines()[0] if text_start.strip() else ""
    header = next(csv.reader([header_line]), []) if header_line else []
    if not header:
        raise ParseError(f"{label}: empty CSV (no header line)")
    generated = [f"c{index}" for index in range(len(header))]
    types = [pa.string()] * len(header)
    numeric_keys = _CSV_FLOAT_KEYS.get(dataset, frozenset())
    for index, name in enumerate(header):
        if _key(name) in numeric_keys:
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
            row = _csv_data_row(csv_bytes, bad_rows[0]) if bad_rows else None
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
            combined[index] = _whole(chunked)
            pending[index] = None
        return combined[index]

    def column_chunked(index: int) -> pa.Array | pa.ChunkedArray:
        chunked = pending[index]
        return combined[index] if chunked is None else chunked

    source = _Columns(header, column, num_rows, label, column_chunked)
    return _parse_columns(dataset, source, posted_at=posted_at)


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
    ends_raw = _dashboard_instants(pa.array(stamps, pa.string()), what)
    ends = pc.round_temporal(ends_raw, multiple=5, unit="minute")
    offsets_s = pc.abs(pc.divide(pc.cast(pc.subtract(ends_raw, ends), pa.int64()), 1_000_000))
    far = pc.sum(pc.greater(offsets_s, FUEL_MIX_SNAP_NOTE_S)).as_py() or 0
    if far:
        notes.append(f"{far} fuel-mix timestamps were more than {FUEL_MIX_SNAP_NOTE_S} s off the 5-minute grid")
    if len(pc.unique(ends)) != len(ends):
        notes.append("two or more fuel-mix timestamps round to the same 5-minute interval")
    row_ends = ends.take(pa.array(stamp_of_row, pa.int32()))
    fuel_names = _map_unique("fuel", pa.array(fuels, pa.string()), _fuel_code, pa.string(), what)
    table = _table(
        "fuel_mix",
        {
            "fuel": fuel_names,
            "interval_start_utc": pc.subtract(row_ends, _FIVE_MINUTES),
            "interval_end_utc": row_ends,
            "generation_mw": pa.array(generation, pa.float64()),
        },
    )
    return ParseResult(table, len(stamps), notes=notes)


# ---------------------------------------------------------------------------------------------------------------
# Source columns
# ---------------------------------------------------------------------------------------------------------------


def _key(name: str) -> str:
    """Spelling-insensitive column key: lower case, letters and digits only."""
    return "".join(char for char in name.lower() if char.isalnum())


class _Columns:
    """The columns of one source table, found by any accepted spelling; remembers which ones were used."""

    def __init__(
        self,
        names: Sequence[str],
        get: Callable[[int], pa.Array],
        num_rows: int,
        what: str,
        get_chunked: Callable[[int], pa.Array | pa.ChunkedArray] | None = None,
    ) -> None:
        self.names = [name.strip() for name in names]
        self.num_rows = num_rows
        self.what = what
        self._get = get
        self._get_chunked = get_chunked or get
        self._by_key: dict[str, int] = {}
        for index, name in enumerate(self.names):
            self._by_key.setdefault(_key(name), index)
        self._used: set[int] = set()

    def find(self, *aliases: str, chunked: bool = False) -> tuple[str, pa.Array] | None:
        """(name as written, values) of the first alias present. ``chunked=True``: the values may be a
        ChunkedArray (for converters that take one: no copy into one contiguous array)."""
        for alias in aliases:
            index = self._by_key.get(_key(alias))
            if index is not None:
                self._used.add(index)
                return self.names[index], (self._get_chunked if chunked else self._get)(index)
        return None

    def require(self, logical: str, *aliases: str, chunked: bool = False) -> tuple[str, pa.Array]:
        found = self.find(*aliases, chunked=chunked)
        if found is None:
            raise ParseError(
                f"{self.what}: required column {logical!r} is missing (accepted spellings: {', '.join(aliases)}; "
                f"columns present: {', '.join(self.names) or 'none'})",
                column=logical,
            )
        return found

    def unused(self) -> Iterator[tuple[int, str]]:
        for index, name in enumerate(self.names):
            if index not in self._used:
                yield index, name

    def take(self, index: int) -> tuple[str, pa.Array]:
        self._used.add(index)
        return self.names[index], self._get(index)

    def unknown(self) -> list[str]:
        return [name for _, name in self.unused()]


def _transpose(rows: list[Any], width: int, what: str) -> list[tuple[Any, ...]]:
    if not rows:
        return [() for _ in range(width)]
    try:
        columns = list(zip(*rows, strict=True))
    except (ValueError, TypeError):
        columns = []
    if len(columns) != width:
        for index, row in enumerate(rows):
            if not isinstance(row, list) or len(row) != width:
                raise ParseError(
                    f"{what}: data row has {len(row) if isinstance(row, list) else 'no'} values, fields name {width}",
                    row=index + 1,
                )
        raise ParseError(f"{what}: data rows do not match the {width} fields")
    return columns


def _python_to_array(values: Sequence[Any]) -> pa.Array:
    """Arrow array of JSON values; mixed types fall back to their text (converters then judge them)."""
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return pa.array([None if value is None else str(value) for value in values], pa.string())


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while a page's ~10^6 Python objects exist (they hold no cycles; GC passes cost ~2x)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# ---------------------------------------------------------------------------------------------------------------
# Converters: each names the source column and the 1-based data row of the first bad value
# ---------------------------------------------------------------------------------------------------------------


def _first_row(mask: pa.Array) -> int | None:
    """1-based index of the first true value of a boolean mask."""
    indices = pc.indices_nonzero(pc.fill_null(mask, False))
    return int(indices[0].as_py()) + 1 if len(indices) else None


def _is_text(array: pa.Array) -> bool:
    return bool(pa.types.is_string(array.type) or pa.types.is_large_string(array.type))


def _whole(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One contiguous array (a ChunkedArray is combined; a single chunk is used as it is)."""
    if isinstance(array, pa.ChunkedArray):
        return array.chunk(0) if array.num_chunks == 1 else array.combine_chunks()
    return array


def _text(array: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Trimmed strings; empty -> null. Any scalar type is written as text first. A ChunkedArray whose chunks are
    all clean is returned as it is; otherwise the result is one Array."""
    if pa.types.is_null(array.type):
        return pa.nulls(len(array), pa.string())
    if isinstance(array, pa.ChunkedArray):
        if _is_text(array) and array.num_chunks and all(_surely_clean(chunk) for chunk in array.chunks):
            return array
        array = _whole(array)
    if not _is_text(array):
        array = array.cast(pa.string())
    if _surely_clean(array):
        return array  # no value can need trimming and none is blank: no hashing, no copy
    encoded = pc.dictionary_encode(array)
    values = pc.utf8_trim_whitespace(encoded.dictionary)
    blank = pc.equal(values, "")
    if values.equals(encoded.dictionary) and not pc.any(blank).as_py():
        return array  # already clean (the usual case for API pages): no copy
    values = pc.if_else(blank, pa.scalar(None, pa.string()), values)
    return values.take(encoded.indices)


def _surely_clean(array: pa.Array) -> bool:
    """True when no value of a (string) array is null or empty or starts or ends with a space, control or non-ASCII
    byte: then trimming changes nothing. False means "maybe not clean" (the exact path decides). Cheap: a min/max
    over the text bytes (no byte <= space or >= DEL anywhere), else over each value's first and last byte."""
    if array.null_count or not len(array):
        return False
    if not pc.min_max(pc.binary_length(array))["min"].as_py():
        return False
    offset_type = pa.int64() if pa.types.is_large_string(array.type) else pa.int32()
    _, offset_buffer, data_buffer = array.buffers()
    if offset_buffer is None or data_buffer is None:  # pragma: no cover - a non-empty string array has both
        return False
    offsets = pa.Array.from_buffers(offset_type, len(array) + 1, [None, offset_buffer], offset=array.offset)
    first, last = offsets[0].as_py(), offsets[len(array)].as_py()
    text_bytes = pa.Array.from_buffers(pa.uint8(), last - first, [None, data_buffer], offset=first)
    if _printable_ascii(text_bytes):
        return True
    data = pa.Array.from_buffers(pa.uint8(), data_buffer.size, [None, data_buffer])
    firsts = data.take(offsets.slice(0, len(array)))
    lasts = data.take(pc.subtract(offsets.slice(1), 1))
    return _printable_ascii(firsts) and _printable_ascii(lasts)


def _printable_ascii(octets: pa.Array) -> bool:
    """Every byte is printable ASCII other than space (0x21..0x7E)."""
    low_high = pc.min_max(octets)
    return bool(low_high["min"].as_py() > 0x20 and low_high["max"].as_py() < 0x7F)


def _require_values(name: str, array: pa.Array, what: str) -> None:
    if array.null_count:
        raise ParseError(
            f"{what}: empty value in required column {name!r}", column=name, row=_first_row(array.is_null())
        )


def _floats(name: str, array: pa.Array, what: str, *, required: bool = False) -> pa.Array:
    if pa.types.is_null(array.type):
        result = pa.nulls(len(array), pa.float64())
    elif pa.types.is_integer(array.type) or pa.types.is_floating(array.type) or pa.types.is_decimal(array.type):
        result = array.cast(pa.float64())
    elif _is_text(array):
        # Numbers are high-cardinality: trim and cast directly (ERCOT pads prices to 12 characters); only when that
        # fails are blank values turned into nulls and, failing again, the first bad value located.
        text = pc.utf8_trim_whitespace(array)
        try:
            result = text.cast(pa.float64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
            try:
                result = text.cast(pa.float64())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                bad = pc.invert(pc.match_substring_regex(text, _NUMBER))
                row = _first_row(bad)
                value = text[row - 1].as_py() if row else None
                raise ParseError(f"{what}: {value!r} is not a number", column=name, row=row) from None
    else:
        raise ParseError(f"{what}: column {name!r} holds {array.type} values, not numbers", column=name, row=1)
    if required:
        _require_values(name, result, what)
    return result


def _ints(name: str, array: pa.Array, what: str) -> pa.Array:
    if pa.types.is_integer(array.type):
        result = array.cast(pa.int64())
    elif pa.types.is_floating(array.type):
        whole = pc.equal(pc.floor(array), array)
        if not pc.all(pc.fill_null(whole, True)).as_py():
            row = _first_row(pc.invert(whole))
            raise ParseError(f"{what}: {array[row - 1 if row else 0]} is not a whole number", column=name, row=row)
        result = array.cast(pa.int64())
    elif _is_text(array):
        text = _text(array)
        try:
            result = text.cast(pa.int64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            row = _first_row(pc.invert(pc.match_substring_regex(text, _INTEGER)))
            value = text[row - 1].as_py() if row else None
            raise ParseError(f"{what}: {value!r} is not a whole number", column=name, row=row) from None
    elif pa.types.is_null(array.type):
        result = pa.nulls(len(array), pa.int64())
    else:
        raise ParseError(f"{what}: column {name!r} holds {array.type} values, not numbers", column=name, row=1)
    _require_values(name, result, what)
    return result


def _map_runs(
    array: pa.Array | pa.ChunkedArray, parse_one: Callable[[str], Any], out_type: pa.DataType
) -> pa.Array | None:
    """:func:`_map_unique` for sorted columns (dates, flags in an ERCOT file): find the runs of equal values (one
    comparison of the column with itself shifted by a row: no hashing), parse each distinct value once, spread the
    results with a run-end decode. None when there are too many runs or a value does not parse (the dictionary
    path then names the first bad row)."""
    length = len(array)
    if length < 2:
        return None
    changed = timeconv.changes(array)
    if (pc.sum(changed).as_py() or 0) >= timeconv.runs_limit(length):
        return None
    boundaries = [index + 1 for index in pc.indices_nonzero(changed).to_pylist()]
    parsed: dict[str | None, Any] = {}
    values: list[Any] = []
    for raw_value in timeconv.values_at(array, [0, *boundaries]):
        if raw_value not in parsed:
            value = raw_value.strip() if raw_value is not None else ""
            try:
                parsed[raw_value] = parse_one(value) if value else None
            except (ValueError, TypeError):
                return None
        values.append(parsed[raw_value])
    run_ends = pa.array([*boundaries, length], pa.int32())
    return pc.run_end_decode(pa.RunEndEncodedArray.from_arrays(run_ends, pa.array(values, out_type)))


def _map_unique(
    name: str, array: pa.Array, parse_one: Callable[[str], Any], out_type: pa.DataType, what: str
) -> pa.Array:
    """Parse each distinct text value once with ``parse_one`` (blank -> null) and spread the results with take."""
    if pa.types.is_null(array.type):
        return pa.nulls(len(array), out_type)
    if not _is_text(array):
        array = array.cast(pa.string())
    by_runs = _map_runs(array, parse_one, out_type)
    if by_runs is not None:
        return by_runs
    array = _whole(array)
    encoded = pc.dictionary_encode(array)
    values: list[Any] = []
    for position, raw_value in enumerate(encoded.dictionary.to_pylist()):
        value = raw_value.strip()
        if not value:
            values.append(None)
            continue
        try:
            values.append(parse_one(value))
        except (ValueError, TypeError) as exc:
            row = _first_row(pc.equal(encoded.indices, position))
            raise ParseError(f"{what}: cannot read {value!r} ({exc})", column=name, row=row) from None
    return pa.array(values, out_type).take(encoded.indices)


def _parse_date(text: str) -> dt.date:
    token = text.split(maxsplit=1)[0].split("T", maxsplit=1)[0]
    if "/" in token:
        return dt.datetime.strptime(token, "%m/%d/%Y").date()
    return dt.date.fromisoformat(token)


def _dates(name: str, array: pa.Array, what: str) -> pa.Array:
    is_date = pa.types.is_date32(array.type)
    result = array if is_date else _map_unique(name, array, _parse_date, pa.date32(), what)
    _require_values(name, result, what)
    return result


def _hour_of(text: str) -> tuple[int, bool | None]:
    label = timeconv.parse_hour_ending(int(text) if text.isdigit() else text)
    return int(label.hour), label.repeated


def _hours(name: str, array: pa.Array, what: str) -> tuple[pa.Array, pa.Array | None]:
    """Hour-ending numbers, and the repeated-hour marker carried by the labels (None when no label has one)."""
    if pa.types.is_integer(array.type) or pa.types.is_floating(array.type):
        return _ints(name, array, what), None
    text = _text(array)
    _require_values(name, text, what)
    encoded = pc.dictionary_encode(text)
    hours: list[int] = []
    markers: list[bool | None] = []
    for position, value in enumerate(encoded.dictionary.to_pylist()):
        try:
            hour, repeated = _hour_of(value)
        except (ValueError, TypeError) as exc:
            row = _first_row(pc.equal(encoded.indices, position))
            raise ParseError(f"{what}: {value!r} is not an hour ending ({exc})", column=name, row=row) from None
        hours.append(hour)
        markers.append(repeated)
    hour_array = pa.array(hours, pa.int64()).take(encoded.indices)
    if all(marker is None for marker in markers):
        return hour_array, None
    return hour_array, pa.array(markers, pa.bool_()).take(encoded.indices)


def _flags(name: str, array: pa.Array, what: str) -> pa.Array:
    """Y/N, true/false flags (DSTFlag, RepeatedHourFlag, InUseFlag) -> bool with nulls for empty values."""
    if pa.types.is_boolean(array.type):
        return array
    if pa.types.is_null(array.type):
        return pa.nulls(len(array), pa.bool_())
    if pa.types.is_integer(array.type):
        array = array.cast(pa.string())
    return _map_unique(name, array, timeconv.parse_dst_flag, pa.bool_(), what)


def _repeated(flag: pa.Array | None, marker: pa.Array | None) -> pa.Array | None:
    """Which rows are the second (standard-time) pass of the repeated fall-back hour, if the source says."""
    if flag is not None:
        return flag if marker is None else pc.coalesce(_whole(flag), marker)
    if marker is not None:
        # A layout that marks the repeated hour in its label (``02:00 DST``): unmarked labels are first passes.
        return pc.fill_null(marker, False)
    return None


def _local_time_error(exc: ValueError, column: str, what: str) -> ParseError:
    index = getattr(exc, "row", None)
    row = int(index) + 1 if isinstance(index, int) else None
    return ParseError(f"{what}: {exc}", column=column, row=row)


def _hour_starts(hour_column: str, days: pa.Array, hours: pa.Array, repeated: pa.Array | None, what: str) -> pa.Array:
    # Files that number the fall-back day 1..25 carry no flag: HE h is then the h-th real hour of the day.
    sequential = repeated is None and (pc.max(hours).as_py() or 0) > 24
    try:
        return timeconv.hour_ending_starts_utc(days, hours, repeated, sequential=sequential)
    except ValueError as exc:
        raise _local_time_error(exc, hour_column, what) from None


def _wallclock_to_utc(column: str, local: pa.Array, what: str) -> pa.Array:
    try:
        return timeconv.local_wallclock_array_to_utc(local, ambiguous="earlier")
    except ValueError as exc:
        raise _local_time_error(exc, column, what) from None


def _parse_local_datetime(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.replace("/", "-") if text[:4].isdigit() else text)
    return value.replace(tzinfo=None)


def _posted_rows(name: str, array: pa.Array, what: str) -> pa.Array:
    """A per-row posting column (naive Central wall clock, e.g. ``2024-11-03T01:30:00``) -> UTC."""
    text = _text(array)
    _require_values(name, text, what)
    encoded = pc.dictionary_encode(text)
    values: list[dt.datetime] = []
    for position, value in enumerate(encoded.dictionary.to_pylist()):
        try:
            values.append(_parse_local_datetime(value))
        except ValueError as exc:
            row = _first_row(pc.equal(encoded.indices, position))
            raise ParseError(f"{what}: {value!r} is not a date and time ({exc})", column=name, row=row) from None
    local = pa.array(values, pa.timestamp("us"))
    try:
        utc = timeconv.local_wallclock_array_to_utc(local, ambiguous="earlier")
    except ValueError as exc:
        index = getattr(exc, "row", None)
        row = _first_row(pc.equal(encoded.indices, index)) if isinstance(index, int) else None
        raise ParseError(f"{what}: {exc}", column=name, row=row) from None
    return utc.take(encoded.indices)


def _document_posting(metadata: Mapping[str, str], member: str) -> dt.datetime | None:
    """When an MIS document was posted: metadata x-publish-date / x-posted, else the cdr stamp of its names."""
    for key in ("x-publish-date", "x-posted"):
        value = metadata.get(key, "").strip()
        if value:
            try:
                local = dt.datetime.fromisoformat(value[:19])  # the offset ERCOT writes is unreliable: wall clock
            except ValueError:
                raise ParseError(f"raw metadata {key}={value!r} is not a date and time", column=key) from None
            return _central_to_utc(local, key)
    for name in (member, metadata.get("x-constructed-name", "")):
        posted = _posting_from_name(name) if name else None
        if posted is not None:
            return posted
    return None


def _posting_from_name(name: str) -> dt.datetime | None:
    """The posting time in an ERCOT file name ``cdr.<rtid>.<duns>.YYYYMMDD.HHMMSS[mmm].<report>...``."""
    match = _CDR_STAMP.search(name)
    if match is None:
        return None
    try:
        local = dt.datetime.strptime(match.group(1) + match.group(2), "%Y%m%d%H%M%S")
    except ValueError:
        return None
    return _central_to_utc(local, "file name")


def _central_to_utc(local: dt.datetime, column: str) -> dt.datetime:
    utc = _wallclock_to_utc(column, pa.array([local], pa.timestamp("us")), "posting time")
    value: dt.datetime = utc[0].as_py()
    return value


def _dashboard_instants(stamps: pa.Array, what: str) -> pa.Array:
    """Dashboard timestamps ``YYYY-MM-DD HH:MM:SS-0600`` -> UTC (naive ones are read as Central wall clock)."""
    with_offset = pc.strptime(stamps, format="%Y-%m-%d %H:%M:%S%z", unit="us", error_is_null=True)
    if with_offset.null_count == 0:
        return with_offset.cast(UTC_TIMESTAMP)
    naive = pc.strptime(stamps, format="%Y-%m-%d %H:%M:%S", unit="us", error_is_null=True)
    bad = pc.and_(with_offset.is_null(), naive.is_null())
    if pc.any(bad).as_py():
        row = _first_row(bad)
        raise ParseError(f"{what}: timestamp {stamps[(row or 1) - 1]} is unreadable", column="timestamp", row=row)
    if with_offset.null_count == len(stamps):
        try:
            return timeconv.local_wallclock_array_to_utc(naive, ambiguous="raise")
        except ValueError as exc:
            raise _local_time_error(exc, "timestamp", what) from None
    raise ParseError(f"{what}: timestamps mix UTC offsets and none", column="timestamp", row=_first_row(bad))


def _fuel_code(name: str) -> str:
    code = re.sub(r"[^0-9A-Za-z]+", "_", name).strip("_").upper()
    if not code:
        raise ValueError("empty fuel name")
    return code


# ---------------------------------------------------------------------------------------------------------------
# Datasets
# ---------------------------------------------------------------------------------------------------------------

_DATE = ("deliveryDate", "DeliveryDate", "Delivery Date", "DELIVERY_DATE")
_OPERATING_DAY = ("operatingDay", "OperDay", "Operating Day", *_DATE)
_HOUR_ENDING = ("hourEnding", "HourEnding", "Hour Ending", "HOUR_ENDING")
_DST_FLAG = ("DSTFlag", "RepeatedHourFlag", "Repeated Hour Flag", "repeatHourFlag", "DST")
_POSTED = ("postedDatetime", "PostedDatetime", "Posted Datetime", "PostDatetime", "PublishDate")
_TOTALS = ("total", "systemTotal", "ERCOT", "SystemTotal", "Total")
_SPP_PRICE = ("settlementPointPrice", "SettlementPointPrice", "Settlement Point Price")
# CSV columns read as float64 by pyarrow itself (only columns that _floats converts whatever the layout)
_CSV_FLOAT_KEYS: dict[str, frozenset[str]] = {
    "spp_rt": frozenset(_key(alias) for alias in _SPP_PRICE),
    "spp_dam": frozenset(_key(alias) for alias in _SPP_PRICE),
}


def _parse_columns(dataset: DatasetName, source: _Columns, *, posted_at: dt.datetime | None) -> ParseResult:
    if source.num_rows == 0:
        return ParseResult(output_schema(dataset).empty_table(), 0, notes=[f"{source.what}: empty report"])
    notes: list[str] = []
    if dataset in ("spp_rt", "spp_dam"):
        table = _spp(dataset, source)
    elif dataset == "load_weather_zone":
        table = _load_weather_zone(source, notes)
    elif dataset == "load_forecast":
        table = _load_forecast(source, posted_at, notes)
    elif dataset in ("wind", "solar"):
        table = _renewables(dataset, source, posted_at)
    else:
        raise ParseError(f"{source.what}: {dataset} is not published as an ERCOT report table")
    return ParseResult(table, source.num_rows, unknown_columns=source.unknown(), notes=notes)


def _table(dataset: DatasetName, columns: Mapping[str, pa.Array]) -> pa.Table:
    schema = output_schema(dataset)
    arrays = [columns[field.name].cast(field.type) for field in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def _point_type_from_name(points: pa.Array) -> pa.Array:
    null = pa.scalar(None, pa.string())
    load_zone = pc.starts_with(points, "LZ_")
    return pc.if_else(
        pc.starts_with(points, "HB_"),
        "HU",
        pc.if_else(load_zone, pc.if_else(pc.ends_with(points, "_EW"), "LZEW", "LZ"), null),
    )


def _spp(dataset: DatasetName, source: _Columns) -> pa.Table:
    what = source.what
    # chunked=True: these converters (and timeconv) take a CSV's ChunkedArrays as they are, no contiguous copy
    date_name, date_values = source.require("delivery date", *_DATE, chunked=True)
    days = _dates(date_name, date_values, what)
    point_name, point_values = source.require(
        "settlement point",
        "settlementPoint",
        "SettlementPointName",
        "SettlementPoint",
        "Settlement Point",
        chunked=True,
    )
    points = _text(point_values)
    _require_values(point_name, points, what)
    price_name, price_values = source.require("settlement point price", *_SPP_PRICE, chunked=True)
    prices = _floats(price_name, price_values, what, required=True)
    flag_column = source.find(*_DST_FLAG, chunked=True)
    flags = _flags(*flag_column, what) if flag_column else None
    type_column = source.find("settlementPointType", "SettlementPointType", "Settlement Point Type", chunked=True)
    point_types = _text(type_column[1]) if type_column else pa.nulls(len(points), pa.string())
    if point_types.null_count:
        point_types = pc.coalesce(_whole(point_types), _whole(_point_type_from_name(points)))
    if dataset == "spp_rt":
        hour_name, hours = source.require(
            "delivery hour", "deliveryHour", "DeliveryHour", "Delivery Hour", chunked=True
        )
        interval_name, intervals = source.require(
            "delivery interval", "deliveryInterval", "DeliveryInterval", "Delivery Interval", chunked=True
        )
        # Integers or digit strings ("01"): timeconv reads both, once per distinct value, and names a bad row.
        hours = hours if _is_text(hours) else _ints(hour_name, _whole(hours), what)
        intervals = intervals if _is_text(intervals) else _ints(interval_name, _whole(intervals), what)
        try:
            starts = timeconv.quarter_hour_starts_utc(days, hours, intervals, flags)
        except ValueError as exc:
            raise _local_time_error(exc, hour_name, what) from None
        ends = pc.add(starts, _FIFTEEN_MINUTES)
        market = "RT15"
    else:
        hour_name, hour_values = source.require("hour ending", *_HOUR_ENDING)
        hours, marker = _hours(hour_name, hour_values, what)
        starts = _hour_starts(hour_name, days, hours, _repeated(flags, marker), what)
        ends = pc.add(starts, _ONE_HOUR)
        market = "DAM"
    return _table(
        dataset,
        {
            "market": pa.repeat(pa.scalar(market), len(points)),
            "settlement_point": points,
            "settlement_point_type": point_types,
            "interval_start_utc": starts,
            "interval_end_utc": ends,
            "price_usd_mwh": prices,
        },
    )


def _hourly_index(source: _Columns, *, date_aliases: Sequence[str]) -> tuple[pa.Array, pa.Array]:
    """(interval starts in UTC, and the day/hour columns consumed) of an hourly report.

    Without a date column the hour-ending label must carry the date (native load: ``MM/DD/YYYY HH:MM[ DST]``).
    """
    what = source.what
    hour_name, hour_values = source.require("hour ending", *_HOUR_ENDING)
    date_column = source.find(*date_aliases)
    if date_column is not None:
        days = _dates(date_column[0], date_column[1], what)
        hours, marker = _hours(hour_name, hour_values, what)
    else:
        labels = _text(hour_values)
        _require_values(hour_name, labels, what)
        parts = pc.extract_regex(labels, r"^(?P<day>\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2})[ T]+(?P<hour>\S.*)$")
        if parts.null_count:
            row = _first_row(parts.is_null())
            raise ParseError(
                f"{what}: no date column ({', '.join(date_aliases)}) and hour-ending label "
                f"{labels[(row or 1) - 1].as_py()!r} carries no date; columns present: {', '.join(source.names)}",
                column=hour_name,
                row=row,
            )
        days = _dates(hour_name, parts.field("day"), what)
        hours, marker = _hours(hour_name, parts.field("hour"), what)
    flag_column = source.find(*_DST_FLAG)
    flags = _flags(*flag_column, what) if flag_column else None
    starts = _hour_starts(hour_name, days, hours, _repeated(flags, marker), what)
    return starts, pc.add(starts, _ONE_HOUR)


def _zone_columns(source: _Columns, what: str) -> list[tuple[str, str, pa.Array]]:
    """(canonical weather zone, source column, values) for every remaining column that names a weather zone."""
    zones: list[tuple[str, str, pa.Array]] = []
    seen: dict[str, str] = {}
    for index, name in list(source.unused()):
        try:
            zone = normalize_zone_name(name)
        except InvalidRequestError:
            continue
        if zone in seen:
            raise ParseError(f"{what}: columns {seen[zone]!r} and {name!r} both hold weather zone {zone}", column=name)
        seen[zone] = name
        _, values = source.take(index)
        zones.append((zone, name, values))
    if not zones:
        raise ParseError(
            f"{what}: no weather-zone columns (COAST, EAST, FAR_WEST, ...); columns present: {', '.join(source.names)}",
            column="weather zones",
        )
    return zones


def _check_total(total: tuple[str, pa.Array] | None, zone_values: list[pa.Array], notes: list[str], what: str) -> None:
    if total is None:
        return
    name, values = total
    totals = _floats(name, values, what)
    zone_sum = zone_values[0]
    for values_of_zone in zone_values[1:]:
        zone_sum = pc.add(zone_sum, values_of_zone)
    off = pc.greater(pc.abs(pc.subtract(zone_sum, totals)), TOTAL_TOLERANCE_MW)
    count = pc.sum(off).as_py() or 0
    if count:
        row = _first_row(off)
        notes.append(
            f"{what}: {count} rows where the zones do not add up to {name!r} within {TOTAL_TOLERANCE_MW} MW "
            f"(first: data row {row})"
        )


def _load_weather_zone(source: _Columns, notes: list[str]) -> pa.Table:
    what = source.what
    starts, ends = _hourly_index(source, date_aliases=_OPERATING_DAY)
    total = source.find(*_TOTALS)
    zones = _zone_columns(source, what)
    loads = [_floats(name, values, what, required=True) for _, name, values in zones]
    _check_total(total, loads, notes, what)
    count = len(starts)
    return _table(
        "load_weather_zone",
        {
            "weather_zone": pa.concat_arrays([pa.repeat(pa.scalar(zone), count) for zone, _, _ in zones]),
            "interval_start_utc": pa.concat_arrays([starts] * len(zones)),
            "interval_end_utc": pa.concat_arrays([ends] * len(zones)),
            "load_mw": pa.concat_arrays(loads),
        },
    )


def _posting(source: _Columns, posted_at: dt.datetime | None) -> pa.Array:
    """``posted_at_utc`` per row: the source's posting column, else the document's posting time."""
    what = source.what
    column = source.find(*_POSTED)
    if column is not None:
        return _posted_rows(column[0], column[1], what)
    if posted_at is None:
        raise ParseError(
            f"{what}: no posting time: no posting column ({', '.join(_POSTED)}), no x-publish-date metadata and "
            f"no cdr.<rtid>.<duns>.YYYYMMDD.HHMMSS file name; columns present: {', '.join(source.names)}",
            column="postedDatetime",
        )
    return pa.repeat(pa.scalar(posted_at.astimezone(dt.UTC), UTC_TIMESTAMP), source.num_rows)


_FORECAST_ZONES = {"north": "NORTH", "south": "SOUTH", "west": "WEST", "houston": "HOUSTON"}


def _load_forecast(source: _Columns, posted_at: dt.datetime | None, notes: list[str]) -> pa.Table:
    what = source.what
    starts, ends = _hourly_index(source, date_aliases=_DATE)
    posted = _posting(source, posted_at)
    count = source.num_rows
    forecast_zone_layout = source.find("Houston") is not None  # NP3-560: forecast zones, ERCOT's in-use forecast
    blocks: list[tuple[str, str, pa.Array]] = []  # (zone type, zone, MW)
    if forecast_zone_layout:
        for key, zone in _FORECAST_ZONES.items():
            name, values = source.require(f"forecast zone {zone}", key)
            blocks.append(("FORECAST", zone, _floats(name, values, what, required=True)))
        models = pa.repeat(pa.scalar("IN_USE"), count)
        in_use = pa.repeat(pa.scalar(True), count)
    else:
        model_name, model_values = source.require("model", "model", "Model")
        models = _text(model_values)
        _require_values(model_name, models, what)
        flag = source.find("inUseFlag", "InUseFlag", "In Use Flag", "inUse")
        in_use = _flags(*flag, what) if flag else pa.nulls(count, pa.bool_())
    total = source.find(*_TOTALS)
    if not forecast_zone_layout:
        for zone, name, values in _zone_columns(source, what):
            blocks.append(("WEATHER", zone, _floats(name, values, what, required=True)))
    if total is not None:
        total_mw = _floats(total[0], total[1], what, required=True)
        _check_total(total, [mw for _, _, mw in blocks], notes, what)
        blocks.append(("SYSTEM", "ERCOT", total_mw))
    return _table(
        "load_forecast",
        {
            "model": pa.concat_arrays([models] * len(blocks)),
            "in_use": pa.concat_arrays([in_use] * len(blocks)),
            "posted_at_utc": pa.concat_arrays([posted] * len(blocks)),
            "zone_type": pa.concat_arrays([pa.repeat(pa.scalar(kind), count) for kind, _, _ in blocks]),
            "zone": pa.concat_arrays([pa.repeat(pa.scalar(zone), count) for _, zone, _ in blocks]),
            "interval_start_utc": pa.concat_arrays([starts] * len(blocks)),
            "interval_end_utc": pa.concat_arrays([ends] * len(blocks)),
            "load_forecast_mw": pa.concat_arrays([mw for _, _, mw in blocks]),
        },
    )


_RENEWABLE_MEASURES = {
    "gen": "generation_mw",
    "cophsl": "cop_hsl_mw",
    "stwpf": "forecast_mw",
    "stppf": "forecast_mw",
    "wgrpp": "probabilistic_forecast_mw",
    "pvgrpp": "probabilistic_forecast_mw",
    "hsl": "hsl_mw",
}
_RENEWABLE_REGIONS = (  # key fragment -> region (MIS: GEN_LZ_SOUTH_HOUSTON; API: genLoadZoneSouthHouston)
    ("systemwide", "SYSTEM"),
    ("lzsouthhouston", "LZ_SOUTH_HOUSTON"),
    ("loadzonesouthhouston", "LZ_SOUTH_HOUSTON"),
    ("lzwest", "LZ_WEST"),
    ("loadzonewest", "LZ_WEST"),
    ("lznorth", "LZ_NORTH"),
    ("loadzonenorth", "LZ_NORTH"),
)
_MEASURE_COLUMNS = ("generation_mw", "forecast_mw", "probabilistic_forecast_mw", "cop_hsl_mw", "hsl_mw")


def _renewable_column(name: str) -> tuple[str, str] | None:
    """(region, measure) of a wind/solar column name, e.g. STWPF_LZ_WEST -> (LZ_WEST, forecast_mw)."""
    key = _key(name)
    for fragment, region in _RENEWABLE_REGIONS:
        if key.startswith(fragment):
            rest = key[len(fragment) :]
        elif key.endswith(fragment):
            rest = key[: -len(fragment)]
        else:
            continue
        measure = _RENEWABLE_MEASURES.get(rest)
        if measure is not None:
            return region, measure
    return None


def _renewables(dataset: DatasetName, source: _Columns, posted_at: dt.datetime | None) -> pa.Table:
    what = source.what
    starts, ends = _hourly_index(source, date_aliases=_DATE)
    posted = _posting(source, posted_at)
    count = source.num_rows
    regions: dict[str, dict[str, pa.Array]] = {}
    for index, name in list(source.unused()):
        found = _renewable_column(name)
        if found is None:
            continue
        region, measure = found
        measures = regions.setdefault(region, {})
        if measure in measures:
            raise ParseError(f"{what}: two columns hold {measure} of {region}", column=name)
        _, values = source.take(index)
        measures[measure] = _floats(name, values, what)
    if not regions:
        raise ParseError(
            f"{what}: no {dataset} generation/forecast columns (e.g. SYSTEM_WIDE_GEN, genSystemWide); "
            f"columns present: {', '.join(source.names)}",
            column="SYSTEM_WIDE_GEN",
        )
    order = sorted(regions, key=lambda region: region != "SYSTEM")
    null_block = pa.nulls(count, pa.float64())
    return _table(
        dataset,
        {
            "resource": pa.repeat(pa.scalar("WIND" if dataset == "wind" else "SOLAR"), count * len(order)),
            "region": pa.concat_arrays([pa.repeat(pa.scalar(region), count) for region in order]),
            "posted_at_utc": pa.concat_arrays([posted] * len(order)),
            "interval_start_utc": pa.concat_arrays([starts] * len(order)),
            "interval_end_utc": pa.concat_arrays([ends] * len(order)),
            **{
                measure: pa.concat_arrays([regions[region].get(measure, null_block) for region in order])
                for measure in _MEASURE_COLUMNS
            },
        },
    )


def _csv_data_row(csv_bytes: bytes, text: str) -> int | None:
    """The 1-based data row of the first CSV line equal to ``text`` (error path only)."""
    for number, line in enumerate(csv_bytes.decode("utf-8-sig", errors="replace").splitlines()):
        if number and line.strip("\r") == text:
            return number
    return None
