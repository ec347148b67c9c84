"""The ERCOT parser's fast CSV path: typed price reads over files bigger than one read block, runs over sorted rows,
and the errors and fallbacks of that path (the first bad value named by column and row; unsorted input)."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from energylake.errors import ParseError
from energylake.parse.ercot import parse_csv_bytes

UTC = dt.UTC

# --- the fast CSV path: typed price read, runs, chunked columns, and its fallbacks ------------------------------


def _rt_csv(rows: int, *, point: str = "HB_NORTH", special: dict[int, str] | None = None) -> str:
    """An NP6-905 style CSV of ``rows`` rows on 2024-11-04 (sorted by time, as ERCOT writes them)."""
    lines = [
        "DeliveryDate,DeliveryHour,DeliveryInterval,SettlementPointName,SettlementPointType,SettlementPointPrice,DSTFlag"
    ]
    for row in range(rows):
        quarter = row // 100
        hour, interval = quarter // 4 % 24 + 1, quarter % 4 + 1
        lines.append((special or {}).get(row, f"11/04/2024,{hour},{interval},{point}_{row % 100},HU,{row % 97}.5,N"))
    return "\n".join(lines) + "\n"


def test_a_csv_bigger_than_one_read_block_with_messy_values_late_in_the_file() -> None:
    # GIVEN > 1 MB (several pyarrow blocks) where, far down, a name has spaces around it and a price is padded
    rows = 40_000
    special = {
        35_000: "11/04/2024,15,3, HB_WEST ,HU,       27.04,N",
        35_001: "11/04/2024,15,3,HB_EAST,HU,-12.50,N",
    }
    result = parse_csv_bytes("spp_rt", _rt_csv(rows, special=special).encode())
    table = result.table
    assert table.num_rows == rows
    assert table.column("settlement_point")[35_000].as_py() == "HB_WEST"
    assert table.column("price_usd_mwh")[35_000].as_py() == 27.04
    assert table.column("price_usd_mwh")[35_001].as_py() == -12.5
    starts = table.column("interval_start_utc").to_pylist()
    # HE 15 interval 3 on 2024-11-04 (CST) = 14:30 local = 20:30Z
    assert starts[35_000] == dt.datetime(2024, 11, 4, 20, 30, tzinfo=UTC)
    assert starts[0] == dt.datetime(2024, 11, 4, 6, 0, tzinfo=UTC)
    assert table.column("interval_end_utc").to_pylist()[0] == dt.datetime(2024, 11, 4, 6, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        ("11/04/2024,15,3,HB_WEST,HU,    ,N", "SettlementPointPrice", "empty value"),
        ("11/04/2024,15,3,HB_WEST,HU,0x10,N", "SettlementPointPrice", "'0x10' is not a number"),
        ("11/04/2024,15,3,HB_WEST,HU,,N", "SettlementPointPrice", "empty value"),
        ("11/04/2024,15,3,,HU,1.5,N", "SettlementPointName", "empty value"),
        ("11/04/2024,15,3,   ,HU,1.5,N", "SettlementPointName", "empty value"),
        ("11/31/2024,15,3,HB_WEST,HU,1.5,N", "DeliveryDate", "cannot read"),
        ("11/04/2024,15,3,HB_WEST,HU,1.5,maybe", "DSTFlag", "cannot read"),
        ("11/04/2024,+1,3,HB_WEST,HU,1.5,N", "DeliveryHour", "not a label"),
        ("11/04/2024,007,3,HB_WEST,HU,1.5,N", "DeliveryHour", "not a label"),
    ],
)
def test_a_bad_value_deep_in_a_big_csv_names_its_column_and_row(line: str, column: str, message: str) -> None:
    body = _rt_csv(30_000, special={25_000: line, 27_000: line}).encode()
    with pytest.raises(ParseError) as caught:
        parse_csv_bytes("spp_rt", body)
    assert (caught.value.column, caught.value.row) == (column, 25_001)
    assert message in str(caught.value)


def test_unsorted_csv_rows_give_the_same_table_as_sorted_ones() -> None:
    # GIVEN the same rows in ERCOT's order and shuffled (no runs: the per-row paths answer)
    text = _rt_csv(6_000)
    header, *lines = text.splitlines()
    shuffled = lines[:]
    random.Random(7).shuffle(shuffled)
    sorted_table = parse_csv_bytes("spp_rt", text.encode()).table
    shuffled_table = parse_csv_bytes("spp_rt", ("\n".join([header, *shuffled]) + "\n").encode()).table
    key = ["settlement_point", "interval_start_utc"]
    assert sorted_table.sort_by([(k, "ascending") for k in key]).equals(
        shuffled_table.sort_by([(k, "ascending") for k in key])
    )
