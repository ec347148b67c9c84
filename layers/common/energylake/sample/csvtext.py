"""CSV text of whole columns at once, for the sample's largest documents (a load-forecast posting is 576 rows).

Each field becomes a byte matrix, one row per CSV row, left-aligned and padded with NUL bytes; the matrices are laid
side by side with the commas and newlines, and the NULs are dropped: the bytes a ``csv.writer`` gives for the same
cells, without a Python step per cell. Numbers are cents (the reports round every figure to the cent) and print as
Python's ``repr`` prints them (``13492.48``, ``1035.3``, ``12722.0``); NaN is an empty cell.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

_NUL, _COMMA, _NEWLINE, _MINUS, _ZERO = 0, ord(","), ord("\n"), ord("-"), ord("0")
_UNSAFE = (",", '"', "\n", "\r")  # text csv.writer would quote

ByteMatrix = npt.NDArray[np.uint8]


_TABLE_LIMIT = 100_000  # whole parts below this come from a table (MW and USD figures of the sample all do)


@functools.cache
def _whole_table() -> ByteMatrix:
    """The digits of 0 .. 99,999 in 5 bytes, NUL-padded (no leading zeros, "0" for zero)."""
    table: ByteMatrix = np.arange(_TABLE_LIMIT).astype("S5").view(np.uint8).reshape(_TABLE_LIMIT, 5)
    return table


@functools.cache
def _fraction_table() -> ByteMatrix:
    """ ".d" or ".dd" for 0 .. 99 cents in 3 bytes: the tenths always, the hundredths when not zero (repr's way)."""
    texts = [f".{cents:02d}".removesuffix("0") if cents % 10 == 0 else f".{cents:02d}" for cents in range(100)]
    table: ByteMatrix = np.array(texts, dtype="S3").view(np.uint8).reshape(100, 3)
    return table


def cents(values: npt.NDArray[np.float64]) -> ByteMatrix:
    """``repr`` of every value of a (rows, columns) array (each already rounded to the cent, below 10^15 in size),
    the columns' cells separated by commas; NaN gives an empty cell."""
    rows, count = values.shape
    absent = np.isnan(values)
    scaled = np.rint(np.abs(np.where(absent, 0.0, values)) * 100.0).astype(np.int64)
    whole, fraction = np.divmod(scaled, 100)
    if whole.size and int(whole.max()) < _TABLE_LIMIT:
        width, digits = 5, _whole_table()[whole]
    else:
        width = len(str(int(whole.max()))) if whole.size else 1
        digits = np.zeros((rows, count, width), dtype=np.uint8)
        for position in range(width):
            power = 10 ** (width - 1 - position)
            shown = (whole >= power) | (position == width - 1)  # no leading zeros, but "0.5"
            digits[:, :, position] = np.where(shown, _ZERO + (whole // power) % 10, _NUL)
    cells = np.empty((rows, count, width + 5), dtype=np.uint8)
    cells[:, :, 0] = np.where((values < 0) & (scaled > 0), _MINUS, _NUL)
    cells[:, :, 1 : width + 1] = digits
    cells[:, :, width + 1 : width + 4] = _fraction_table()[fraction]  # "1035.3", not "1035.30"
    cells[absent] = _NUL
    cells[:, :, width + 4] = _COMMA
    return cells.reshape(rows, count * (width + 5))[:, :-1]


def text(values: Sequence[Hashable], cell: Callable[[Any], str]) -> ByteMatrix | None:
    """The ASCII text ``cell`` gives every value (worked out once per distinct value); None when a cell would need
    quoting (or is not ASCII)."""
    distinct = list(dict.fromkeys(values))
    codes = {value: code for code, value in enumerate(distinct)}
    positions = np.array(list(map(codes.__getitem__, values)), dtype=np.int64)
    cells = [cell(value) for value in distinct] or [""]
    if any(character in text for text in cells for character in _UNSAFE):
        return None
    try:
        encoded = np.array(cells, dtype=np.bytes_)
    except UnicodeEncodeError:
        return None
    width = max(encoded.dtype.itemsize, 1)
    matrix = encoded.astype(f"S{width}").view(np.uint8).reshape(len(encoded), width)
    return matrix[positions]


def rows(fields: Sequence[ByteMatrix]) -> ByteMatrix:
    """The CSV rows the ``fields`` hold side by side, one matrix row per CSV row (commas and ``\\n`` in place,
    still NUL-padded): several documents' rows can be laid out at once and each document cut out of them."""
    count = len(fields[0])
    separator = np.full((count, 1), _COMMA, dtype=np.uint8)
    end = np.full((count, 1), _NEWLINE, dtype=np.uint8)
    pieces: list[ByteMatrix] = []
    for field in fields:
        pieces += [field, separator]
    pieces[-1] = end
    return np.concatenate(pieces, axis=1)


def document(header: Sequence[str], body: ByteMatrix) -> bytes:
    """The CSV (``\\n`` line ends) of ``header`` and the rows of ``body`` (a slice of :func:`rows`)."""
    flat = body.ravel()
    text: bytes = flat[flat != _NUL].tobytes()
    return (",".join(header) + "\n").encode() + text
