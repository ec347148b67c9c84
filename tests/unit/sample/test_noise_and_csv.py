"""The sample world's vectorised noise (energylake.sample.noise) and the column-at-a-time CSV text of its largest
documents (energylake.sample.csvtext). The world's generator changed to this noise (issue 16)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from energylake.sample import csvtext, ercot, noise
from energylake.sample.ercot_reports import REPORTS, posting_records, postings, vintage_tables

SEED = 20241103


def test_the_noise_is_the_same_bits_on_any_machine_and_run() -> None:
    # GIVEN a stream key and coordinates (WHEN drawn) THEN the bits pinned when the noise was written (issue 16):
    # a stream's key hashes its name parts, SplitMix64 folds in each coordinate, uint64 arithmetic wraps alike
    stream = noise.key(1, "a")
    assert stream == 4923302134452111476
    words = noise.words(stream, np.array([0, 1, -5], np.int64)).tolist()
    assert words == [7608641753787156217, 10125196945060260659, 9598354101642174530]


def test_drawing_a_block_at_once_equals_drawing_each_element_alone() -> None:
    # GIVEN a (postings x hours x zones) block of coordinates
    stream = noise.key(7, "lf", "E")
    postings, hours, zones = np.array([[10], [20]]), np.array([[0, 1, 2]]).T[None, :, :], np.arange(4)
    # WHEN it is drawn with broadcasting, and element by element
    block = noise.uniform(stream, postings[:, :, None], hours, zones)
    # THEN both agree everywhere
    assert block.shape == (2, 3, 4)
    for p, posted in enumerate((10, 20)):
        for h in range(3):
            for z in range(4):
                assert block[p, h, z] == noise.uniform(stream, posted, h, z)[0]


def test_uniform_draws_cover_zero_to_one_evenly_and_streams_differ() -> None:
    # GIVEN 100,000 draws of two streams
    coordinates = np.arange(100_000, dtype=np.int64)
    first = noise.uniform(noise.key(1, "x"), coordinates)
    second = noise.uniform(noise.key(1, "y"), coordinates)
    # THEN they lie in [0, 1), with the mean and spread of a uniform, in every tenth
    assert first.min() >= 0.0 and first.max() < 1.0
    assert abs(first.mean() - 0.5) < 0.005 and abs(first.std() - math.sqrt(1 / 12)) < 0.005
    assert np.histogram(first, bins=10, range=(0, 1))[0].min() > 9_500
    # AND another stream is not the same sequence (nor correlated with it)
    assert abs(np.corrcoef(first, second)[0, 1]) < 0.02
    # AND signed draws lie in [-1, 1)
    signed = noise.signed(noise.key(1, "x"), coordinates)
    assert signed.min() >= -1.0 and signed.max() < 1.0


def _csv_writer_text(rows: list[list[object]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode()


@given(st.lists(st.tuples(st.integers(-(10**9), 10**9), st.integers(0, 10**8), st.booleans()), min_size=1, max_size=60))
def test_cents_print_as_csv_writer_prints_them(cells: list[tuple[int, int, bool]]) -> None:
    # GIVEN cent values (negative, zero, whole, one decimal, two), some of them empty (NaN)
    first = np.array([cents / 100 for cents, _, _ in cells])
    second = np.array([math.nan if empty else cents / 100 for _, cents, empty in cells])
    # WHEN they are written a column block at a time
    text = csvtext.document(["a", "b"], csvtext.rows([csvtext.cents(np.column_stack([first, second]))]))
    # THEN the bytes are csv.writer's of the same floats (repr), an empty cell for NaN
    rows = [[a, "" if math.isnan(b) else b] for a, b in zip(first.tolist(), second.tolist(), strict=True)]
    assert text == b"a,b\n" + _csv_writer_text(rows)


def test_text_and_numbers_side_by_side_are_csv_writers_rows() -> None:
    # GIVEN text columns of repeated values and a number column
    dates = ["11/03/2024"] * 3 + ["11/04/2024"]
    hours = [1, 2, 2, 10]
    loads = np.array([[13492.48], [1035.3], [12722.0], [0.5]])
    # WHEN the document is laid out by columns
    fields = [csvtext.text(dates, str), csvtext.text(hours, lambda hour: f"{hour}:00"), csvtext.cents(loads)]
    assert all(field is not None for field in fields)
    text = csvtext.document(["Date", "Hour", "Load"], csvtext.rows([field for field in fields if field is not None]))
    # THEN it is what csv.writer writes for the same cells
    expected = [[date, f"{hour}:00", load] for date, hour, (load,) in zip(dates, hours, loads.tolist(), strict=True)]
    assert text == b"Date,Hour,Load\n" + _csv_writer_text(expected)


@pytest.mark.parametrize("cell", ["a,b", 'say "hi"', "two\nlines", "caf\u00e9"])
def test_text_that_csv_writer_would_quote_or_encode_is_refused(cell: str) -> None:
    # GIVEN a cell csv.writer would quote (or that is not ASCII) WHEN laid out by columns THEN None (the caller
    # falls back to csv.writer), never a broken row
    assert csvtext.text(["plain", cell], str) is None


@pytest.mark.parametrize("dataset", ["load_forecast", "wind", "solar", "spp_dam", "spp_rt"])
def test_a_documents_csv_by_columns_is_csv_writers_text_of_its_records(dataset: str) -> None:
    # GIVEN a real posting of each report on the fall-back day (repeated hour, empty actuals of hours not over)
    spec = REPORTS[dataset]
    posted = postings(spec, dt.datetime(2024, 11, 3, 5, tzinfo=dt.UTC), dt.datetime(2024, 11, 4, 5, tzinfo=dt.UTC))[-1]
    table = posting_records(SEED, spec, posted)
    # WHEN the document's CSV is written (by columns where it is large)
    written = ercot._csv_bytes(spec, table)
    # THEN it is what csv.writer writes for the same records, cell by cell
    columns = [column for column in spec.columns if column.csv_name is not None]
    expected = [
        [ercot._csv_value(spec, column, record[column.api_name]) for column in columns] for record in table.records()
    ]
    assert written == _csv_writer_text([[column.csv_name for column in columns], *expected])


@pytest.mark.parametrize("dataset", ["load_forecast", "wind", "solar"])
def test_postings_laid_out_together_are_each_postings_own_csv(dataset: str) -> None:
    # GIVEN 30 hourly postings of a forecast report across the fall-back day (the repeated hour, actuals present in
    # some rows only)
    spec = REPORTS[dataset]
    posteds = postings(spec, dt.datetime(2024, 11, 2, 20, tzinfo=dt.UTC), dt.datetime(2024, 11, 4, 2, tzinfo=dt.UTC))
    table, bounds = vintage_tables(SEED, dataset, posteds)
    assert len(bounds) == 30
    # WHEN their CSVs are cut out of one layout of all their rows
    together = ercot._csv_documents(spec, table, bounds)
    # THEN each is byte for byte the CSV of that posting's rows written alone
    assert together == [ercot._csv_bytes(spec, table.slice(start, stop)) for start, stop in bounds]
