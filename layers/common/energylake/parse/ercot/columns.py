"""ERCOT source columns and their converters: find a column by any spelling, then turn text into typed arrays.

Every converter names the source column (as spelled in the source) and the 1-based DATA row of the first bad value.
Sorted low-cardinality columns are parsed once per run of equal values (:func:`energylake.arrow.merged_runs`), other
low-cardinality text once per distinct value.
"""

from __future__ import annotations

import datetime as dt
import gc
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from energylake import arrow, timeconv
from energylake.contracts.schemas import (
    UTC_TIMESTAMP,
)
from energylake.errors import ParseError

_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_INTEGER = r"^[+-]?\d+$"


# ---------------------------------------------------------------------------------------------------------------
# Source columns
# ---------------------------------------------------------------------------------------------------------------


def column_key(name: str) -> str:
    """Spelling-insensitive column key: lower case, letters and digits only."""
    return "".join(char for char in name.lower() if char.isalnum())


class SourceColumns:
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
            self._by_key.setdefault(column_key(name), index)
        self._used: set[int] = set()

    def find(self, *aliases: str, chunked: bool = False) -> tuple[str, pa.Array] | None:
        """(name as written, values) of the first alias present. ``chunked=True``: the values may be a
        ChunkedArray (for converters that take one: no copy into one contiguous array)."""
        for alias in aliases:
            index = self._by_key.get(column_key(alias))
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


def transpose(rows: list[Any], width: int, what: str) -> list[tuple[Any, ...]]:
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


def python_to_array(values: Sequence[Any]) -> pa.Array:
    """Arrow array of JSON values; mixed types fall back to their text (converters then judge them)."""
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return pa.array([None if value is None else str(value) for value in values], pa.string())


@contextmanager
def gc_paused() -> Iterator[None]:
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


def first_row_number(mask: pa.Array) -> int | None:
    """1-based index of the first true value of a boolean mask."""
    indices = pc.indices_nonzero(pc.fill_null(mask, False))
    return int(indices[0].as_py()) + 1 if len(indices) else None


def is_text(array: pa.Array) -> bool:
    return bool(pa.types.is_string(array.type) or pa.types.is_large_string(array.type))


def contiguous(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One contiguous array (a ChunkedArray is combined; a single chunk is used as it is)."""
    if isinstance(array, pa.ChunkedArray):
        return array.chunk(0) if array.num_chunks == 1 else array.combine_chunks()
    return array


def trimmed_text(array: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Trimmed strings; empty -> null. Any scalar type is written as text first. A ChunkedArray whose chunks are
    all clean is returned as it is; otherwise the result is one Array."""
    if pa.types.is_null(array.type):
        return pa.nulls(len(array), pa.string())
    if isinstance(array, pa.ChunkedArray):
        if is_text(array) and array.num_chunks and all(_surely_clean(chunk) for chunk in array.chunks):
            return array
        array = contiguous(array)
    if not is_text(array):
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


def require_values(name: str, array: pa.Array, what: str) -> None:
    if array.null_count:
        raise ParseError(
            f"{what}: empty value in required column {name!r}", column=name, row=first_row_number(array.is_null())
        )


def parse_floats(name: str, array: pa.Array, what: str, *, required: bool = False) -> pa.Array:
    if pa.types.is_null(array.type):
        result = pa.nulls(len(array), pa.float64())
    elif pa.types.is_integer(array.type) or pa.types.is_floating(array.type) or pa.types.is_decimal(array.type):
        result = array.cast(pa.float64())
    elif is_text(array):
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
                row = first_row_number(bad)
                value = text[row - 1].as_py() if row else None
                raise ParseError(f"{what}: {value!r} is not a number", column=name, row=row) from None
    else:
        raise ParseError(f"{what}: column {name!r} holds {array.type} values, not numbers", column=name, row=1)
    if required:
        require_values(name, result, what)
    return result


def parse_ints(name: str, array: pa.Array, what: str) -> pa.Array:
    if pa.types.is_integer(array.type):
        result = array.cast(pa.int64())
    elif pa.types.is_floating(array.type):
        whole = pc.equal(pc.floor(array), array)
        if not pc.all(pc.fill_null(whole, True)).as_py():
            row = first_row_number(pc.invert(whole))
            raise ParseError(f"{what}: {array[row - 1 if row else 0]} is not a whole number", column=name, row=row)
        result = array.cast(pa.int64())
    elif is_text(array):
        text = trimmed_text(array)
        try:
            result = text.cast(pa.int64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            row = first_row_number(pc.invert(pc.match_substring_regex(text, _INTEGER)))
            value = text[row - 1].as_py() if row else None
            raise ParseError(f"{what}: {value!r} is not a whole number", column=name, row=row) from None
    elif pa.types.is_null(array.type):
        result = pa.nulls(len(array), pa.int64())
    else:
        raise ParseError(f"{what}: column {name!r} holds {array.type} values, not numbers", column=name, row=1)
    require_values(name, result, what)
    return result


def _map_runs(
    array: pa.Array | pa.ChunkedArray, parse_one: Callable[[str], Any], out_type: pa.DataType
) -> pa.Array | None:
    """:func:`parse_text_values` for sorted columns (dates, flags in an ERCOT file): parse each run of equal values
    once and spread the results back (:func:`energylake.arrow.merged_runs`). None when there are too many runs or a
    value does not parse (the dictionary path then names the first bad row)."""
    length = len(array)
    if length < 2:
        return None
    found = arrow.merged_runs([array], length)
    if found is None:
        return None
    ends, (raw_values,) = found
    parsed: dict[str | None, Any] = {}
    values: list[Any] = []
    for raw_value in raw_values:
        if raw_value not in parsed:
            value = raw_value.strip() if raw_value is not None else ""
            try:
                parsed[raw_value] = parse_one(value) if value else None
            except (ValueError, TypeError):
                return None
        values.append(parsed[raw_value])
    return arrow.spread_runs(ends, values, out_type)


def parse_text_values(
    name: str, array: pa.Array, parse_one: Callable[[str], Any], out_type: pa.DataType, what: str
) -> pa.Array:
    """Parse each distinct text value once with ``parse_one`` (blank -> null) and spread the results with take."""
    if pa.types.is_null(array.type):
        return pa.nulls(len(array), out_type)
    if not is_text(array):
        array = array.cast(pa.string())
    by_runs = _map_runs(array, parse_one, out_type)
    if by_runs is not None:
        return by_runs
    array = contiguous(array)
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
            row = first_row_number(pc.equal(encoded.indices, position))
            raise ParseError(f"{what}: cannot read {value!r} ({exc})", column=name, row=row) from None
    return pa.array(values, out_type).take(encoded.indices)


def _parse_date(text: str) -> dt.date:
    token = text.split(maxsplit=1)[0].split("T", maxsplit=1)[0]
    if "/" in token:
        return dt.datetime.strptime(token, "%m/%d/%Y").date()
    return dt.date.fromisoformat(token)


def parse_dates(name: str, array: pa.Array, what: str) -> pa.Array:
    is_date = pa.types.is_date32(array.type)
    result = array if is_date else parse_text_values(name, array, _parse_date, pa.date32(), what)
    require_values(name, result, what)
    return result


def _hour_of(text: str) -> tuple[int, bool | None]:
    label = timeconv.parse_hour_ending(int(text) if text.isdigit() else text)
    return int(label.hour), label.repeated


def parse_hours(name: str, array: pa.Array, what: str) -> tuple[pa.Array, pa.Array | None]:
    """Hour-ending numbers, and the repeated-hour marker carried by the labels (None when no label has one)."""
    if pa.types.is_integer(array.type) or pa.types.is_floating(array.type):
        return parse_ints(name, array, what), None
    text = trimmed_text(array)
    require_values(name, text, what)
    encoded = pc.dictionary_encode(text)
    hours: list[int] = []
    markers: list[bool | None] = []
    for position, value in enumerate(encoded.dictionary.to_pylist()):
        try:
            hour, repeated = _hour_of(value)
        except (ValueError, TypeError) as exc:
            row = first_row_number(pc.equal(encoded.indices, position))
            raise ParseError(f"{what}: {value!r} is not an hour ending ({exc})", column=name, row=row) from None
        hours.append(hour)
        markers.append(repeated)
    hour_array = pa.array(hours, pa.int64()).take(encoded.indices)
    if all(marker is None for marker in markers):
        return hour_array, None
    return hour_array, pa.array(markers, pa.bool_()).take(encoded.indices)


def parse_flags(name: str, array: pa.Array, what: str) -> pa.Array:
    """Y/N, true/false flags (DSTFlag, RepeatedHourFlag, InUseFlag) -> bool with nulls for empty values."""
    if pa.types.is_boolean(array.type):
        return array
    if pa.types.is_null(array.type):
        return pa.nulls(len(array), pa.bool_())
    if pa.types.is_integer(array.type):
        array = array.cast(pa.string())
    return parse_text_values(name, array, timeconv.parse_dst_flag, pa.bool_(), what)


def repeated_flags(flag: pa.Array | None, marker: pa.Array | None) -> pa.Array | None:
    """Which rows are the second (standard-time) pass of the repeated fall-back hour, if the source says."""
    if flag is not None:
        return flag if marker is None else pc.coalesce(contiguous(flag), marker)
    if marker is not None:
        # A layout that marks the repeated hour in its label (``02:00 DST``): unmarked labels are first passes.
        return pc.fill_null(marker, False)
    return None


def local_time_error(exc: ValueError, column: str, what: str) -> ParseError:
    index = getattr(exc, "row", None)
    row = int(index) + 1 if isinstance(index, int) else None
    return ParseError(f"{what}: {exc}", column=column, row=row)


def hour_starts_utc(
    hour_column: str, days: pa.Array, hours: pa.Array, repeated: pa.Array | None, what: str
) -> pa.Array:
    # Files that number the fall-back day 1..25 carry no flag: HE h is then the h-th real hour of the day.
    sequential = repeated is None and (pc.max(hours).as_py() or 0) > 24
    try:
        return timeconv.hour_ending_starts_utc(days, hours, repeated, sequential=sequential)
    except ValueError as exc:
        raise local_time_error(exc, hour_column, what) from None


def dashboard_instants(stamps: pa.Array, what: str) -> pa.Array:
    """Dashboard timestamps ``YYYY-MM-DD HH:MM:SS-0600`` -> UTC (naive ones are read as Central wall clock)."""
    with_offset = pc.strptime(stamps, format="%Y-%m-%d %H:%M:%S%z", unit="us", error_is_null=True)
    if with_offset.null_count == 0:
        return with_offset.cast(UTC_TIMESTAMP)
    naive = pc.strptime(stamps, format="%Y-%m-%d %H:%M:%S", unit="us", error_is_null=True)
    bad = pc.and_(with_offset.is_null(), naive.is_null())
    if pc.any(bad).as_py():
        row = first_row_number(bad)
        raise ParseError(f"{what}: timestamp {stamps[(row or 1) - 1]} is unreadable", column="timestamp", row=row)
    if with_offset.null_count == len(stamps):
        try:
            return timeconv.local_wallclock_array_to_utc(naive, ambiguous="raise")
        except ValueError as exc:
            raise local_time_error(exc, "timestamp", what) from None
    raise ParseError(f"{what}: timestamps mix UTC offsets and none", column="timestamp", row=first_row_number(bad))


def fuel_code(name: str) -> str:
    code = re.sub(r"[^0-9A-Za-z]+", "_", name).strip("_").upper()
    if not code:
        raise ValueError("empty fuel name")
    return code
