"""Generic pyarrow helpers the vectorised time conversion and the parsers share.

Nothing here knows about ERCOT or time zones. pyarrow is imported inside each function, so importing this module
costs nothing (the fetch Lambdas import :mod:`energylake.timeconv`, which imports this, without the data layer).

Two ways to apply a Python function to a column once per distinct value instead of once per row:

* :func:`map_unique`: dictionary-encode, call the function per distinct value, spread back with ``take``;
* :func:`merged_runs` + :func:`spread_runs`: for sorted columns (ERCOT files are sorted by time, so a day or an hour
  label stays constant over long stretches), find the runs of equal values by comparing the column with itself
  shifted by one row (no hashing), call the function once per run and spread back with a run-end decode.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

_RUNS_MIN_LIMIT = 256
_RUNS_ROWS_PER_RUN = 16  # per-run Python beats ~10 kernels per row when there are at most len / 16 runs
_KIND_TESTS = ("date", "string", "integer", "boolean")


def as_array(values: Any, name: str) -> Any:
    """``values`` as one contiguous ``pa.Array`` (a ChunkedArray is combined); anything else is a TypeError."""
    import pyarrow as pa

    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.Array):
        raise TypeError(f"{name} must be a pyarrow Array or ChunkedArray, not {type(values).__name__}")
    return values


def as_column(values: Any, name: str) -> Any:
    """Like :func:`as_array` but a ChunkedArray stays chunked (run detection reads it chunk by chunk)."""
    import pyarrow as pa

    if not isinstance(values, pa.Array | pa.ChunkedArray):
        raise TypeError(f"{name} must be a pyarrow Array or ChunkedArray, not {type(values).__name__}")
    return values


def is_kind(array: Any | None, kinds: Sequence[str]) -> bool:
    """Whether ``array`` (None counts as yes) holds one of the ``kinds``: date, string, integer, boolean."""
    import pyarrow as pa

    if array is None:
        return True
    kind = array.type
    checks = {
        "date": pa.types.is_date32(kind) or pa.types.is_date64(kind),
        "string": pa.types.is_string(kind) or pa.types.is_large_string(kind),
        "integer": pa.types.is_integer(kind),
        "boolean": pa.types.is_boolean(kind),
    }
    return any(checks[name] for name in kinds)


def map_unique(values: Any, func: Callable[[Any], Any], out_type: Any) -> Any:
    """Apply ``func`` to each distinct non-null value once; nulls (and values ``func`` maps to None) give null."""
    import pyarrow as pa
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(values)
    mapped = [func(value) for value in encoded.dictionary.to_pylist()]
    return pc.take(pa.array(mapped, out_type), encoded.indices)


def first_true_row(mask: Any) -> int | None:
    """The index of the first true value of a boolean array, or None."""
    import pyarrow.compute as pc

    if not pc.any(mask).as_py():
        return None
    return int(pc.index(mask, True).as_py())


def check_lengths(**arrays: Any) -> int:
    """The common length of the (non-None) arrays; a ValueError naming them when they differ."""
    lengths = {name: len(array) for name, array in arrays.items() if array is not None}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"arrays differ in length: {lengths}")
    return next(iter(lengths.values()))


def value_at(array: Any | None, row: int) -> Any:
    """The Python value of ``array`` at ``row`` (None for a missing array)."""
    return None if array is None else array[row].as_py()


def between(values: Any, low: Any, high: Any) -> Any:
    """``low <= values <= high``, element-wise."""
    import pyarrow.compute as pc

    return pc.and_(pc.greater_equal(values, low), pc.less_equal(values, high))


def utc_timestamps(micros: Any) -> Any:
    """int64 microseconds since the epoch -> ``timestamp[us, tz=UTC]``."""
    import pyarrow as pa

    return micros.cast(pa.timestamp("us", tz="UTC"))


def runs_limit(length: int) -> int:
    """How many runs of equal values a column of ``length`` rows may have for per-run work to beat per-row work."""
    return max(_RUNS_MIN_LIMIT, length // _RUNS_ROWS_PER_RUN)


def changes(column: Any) -> Any:
    """Per row 1..n-1: does the value differ from the previous row's (null-aware: null = null, null != value)."""
    import pyarrow.compute as pc

    length = len(column)
    current, previous = column.slice(1), column.slice(0, length - 1)
    changed = pc.not_equal(current, previous)
    if column.null_count:
        changed = pc.coalesce(changed, pc.xor(pc.is_null(current), pc.is_null(previous)))
    return changed


def values_at(column: Any, rows: list[int]) -> list[Any]:
    """The Python values of ``column`` at the (ascending) ``rows``; a ChunkedArray is read chunk by chunk (a take
    on a ChunkedArray would concatenate it)."""
    import pyarrow as pa

    if not isinstance(column, pa.ChunkedArray):
        return list(column.take(pa.array(rows, pa.int64())).to_pylist())
    picked = []
    position, count, chunk_start = 0, len(rows), 0
    for chunk in column.chunks:
        chunk_end = chunk_start + len(chunk)
        local: list[int] = []
        while position < count and rows[position] < chunk_end:
            local.append(rows[position] - chunk_start)
            position += 1
        if local:
            picked.append(chunk.take(pa.array(local, pa.int64())))
        chunk_start = chunk_end
    return list(pa.concat_arrays(picked).to_pylist()) if picked else []


def merged_runs(columns: Sequence[Any | None], length: int) -> tuple[list[int], list[list[Any]]] | None:
    """(run ends, and per column its value in each run) over the runs where every column is constant, or None
    when there are too many runs to be worth it (:func:`runs_limit`) or a value has no Python equivalent. ``None``
    columns give ``None`` values."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if length < 1:
        return None
    limit = runs_limit(length)
    changed: Any = None
    for column in (column for column in columns if column is not None):
        try:
            column_changes = changes(column)
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid, pa.ArrowTypeError):  # pragma: no cover - defensive
            return None
        changed = column_changes if changed is None else pc.or_(changed, column_changes)
        if (pc.sum(changed).as_py() or 0) >= limit:
            return None
    if changed is None:  # no column to find runs in
        return None
    # changed[i] compares rows i + 1 and i: a run starts at i + 1
    boundaries = [index + 1 for index in pc.indices_nonzero(changed).to_pylist()]
    ends = [*boundaries, length]
    first_rows = [0, *boundaries]
    per_column: list[list[Any]] = []
    for column in columns:
        if column is None:
            per_column.append([None] * len(ends))
            continue
        try:
            per_column.append(values_at(column, first_rows))
        except (ValueError, OverflowError):  # e.g. a date32 outside Python's date range: the caller's other path
            return None
    return ends, per_column


def spread_runs(ends: Sequence[int], values: Sequence[Any], out_type: Any) -> Any:
    """One value per run -> one value per row (run-end decode)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    encoded = pa.RunEndEncodedArray.from_arrays(pa.array(ends, pa.int32()), pa.array(values, out_type))
    return pc.run_end_decode(encoded)
