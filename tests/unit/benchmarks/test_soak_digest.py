"""benchmarks/soak_bench.py's judge: the warehouse digest and the verdict after each soak run, on hand cases, so the
soak cannot call a partial load "unchanged" or miss a changed row. The soak itself (minutes of runs) is `make bench`."""

from __future__ import annotations

import signal
from pathlib import Path

from benchmarks.soak_bench import Tally, digest_tables, judge, table_digest, verdict, warehouse_digest

PRICES = [("HB_NORTH", "2024-11-02 05:00:00+00", 31.25), ("HB_WEST", "2024-11-02 05:00:00+00", 28.5)]
LOADS = [("COAST", 11_000.0), ("EAST", 1_500.0)]
REFERENCE = digest_tables({"ercot_spp": PRICES, "ercot_load_by_weather_zone": LOADS})


def test_the_digest_ignores_row_order_and_float_noise_past_12_significant_digits() -> None:
    # GIVEN the same rows in another order, one price summed differently (off in the 15th digit)
    reordered = [("HB_WEST", "2024-11-02 05:00:00+00", 28.5 + 1e-13), PRICES[0]]
    # WHEN both are digested
    # THEN the digests are equal
    assert table_digest(reordered) == table_digest(PRICES)


def test_the_digest_sees_a_changed_value_a_missing_row_and_a_duplicate() -> None:
    # GIVEN a price changed in its 10th significant digit, a row missing, a row loaded twice
    changed = [PRICES[0], ("HB_WEST", "2024-11-02 05:00:00+00", 28.50000001)]
    # WHEN each is digested
    # THEN none is the original; the counts say which lost or gained a row
    assert table_digest(changed) != table_digest(PRICES)
    assert table_digest(PRICES[:1]).rows == 1
    assert table_digest([*PRICES, PRICES[0]]).rows == 3
    assert table_digest([*PRICES, PRICES[0]]) != table_digest(PRICES)


def test_an_empty_table_counts_as_no_table() -> None:
    # GIVEN a warehouse whose schema was created but nothing loaded, and no warehouse at all
    # WHEN both are digested
    # THEN both are the empty digest (schema alone is not a partial load)
    assert digest_tables({"ercot_spp": [], "weather_hourly": []}) == {}


def test_a_run_that_loaded_everything_is_the_reference() -> None:
    # GIVEN a warehouse equal to the reference after the run (whatever it was before)
    # WHEN it is judged, the run having succeeded or not
    # THEN it is the reference
    assert verdict(REFERENCE, {}, REFERENCE, succeeded=True) == "reference"
    assert verdict(REFERENCE, REFERENCE, REFERENCE, succeeded=False) == "reference"


def test_a_killed_run_that_left_the_warehouse_as_it_found_it_is_unchanged() -> None:
    # GIVEN a killed run on a lake with no warehouse, and one on a warehouse holding only prices
    only_prices = digest_tables({"ercot_spp": PRICES})
    # WHEN each is judged with the warehouse after equal to the one before
    # THEN both are unchanged
    assert verdict({}, {}, REFERENCE, succeeded=False) == "unchanged"
    assert verdict(only_prices, only_prices, REFERENCE, succeeded=False) == "unchanged"


def test_a_partial_load_is_a_violation() -> None:
    # GIVEN a killed first load that left one table of the two, and one that left half a table
    half = digest_tables({"ercot_spp": PRICES[:1], "ercot_load_by_weather_zone": LOADS})
    one_table = digest_tables({"ercot_spp": PRICES})
    # WHEN each is judged against an empty warehouse before
    # THEN both are violations
    assert verdict(one_table, {}, REFERENCE, succeeded=False) == "VIOLATION"
    assert verdict(half, {}, REFERENCE, succeeded=False) == "VIOLATION"


def test_a_run_that_says_it_succeeded_but_did_not_load_is_a_violation() -> None:
    # GIVEN a run that exited 0 and left the warehouse empty, as it found it
    # WHEN it is judged
    # THEN it is a violation: exit 0 promises the reference
    assert verdict({}, {}, REFERENCE, succeeded=True) == "VIOLATION"


def test_a_duckdb_warehouse_digests_without_load_times_or_run_ids(tmp_path: Path) -> None:
    import duckdb

    # GIVEN two DuckDB warehouses with the same prices, loaded at other times by other runs, plus bookkeeping
    digests = []
    for number, loaded_at in enumerate(("2026-01-01 00:00:00", "2026-06-01 12:00:00")):
        path = tmp_path / f"warehouse-{number}.duckdb"
        con = duckdb.connect(str(path))
        con.execute(
            "CREATE TABLE ercot_spp (settlement_point VARCHAR, price DOUBLE, run_id VARCHAR, loaded_at_utc TIMESTAMP)"
        )
        con.execute("CREATE TABLE schema_version (version INTEGER, applied_at_utc TIMESTAMP)")
        con.execute("INSERT INTO schema_version VALUES (1, ?)", [loaded_at])
        for point, price in (("HB_NORTH", 31.25), ("HB_WEST", 28.5)):
            con.execute("INSERT INTO ercot_spp VALUES (?, ?, ?, ?)", [point, price, f"run-{number}", loaded_at])
        con.execute("CREATE VIEW v_prices AS SELECT * FROM ercot_spp")
        con.close()
        # WHEN each is digested
        digests.append(warehouse_digest(path))
    # THEN the digests are equal: one table (views and schema_version left out) of two rows
    assert digests[0] == digests[1]
    assert list(digests[0]) == ["ercot_spp"]
    assert digests[0]["ercot_spp"].rows == 2
    # AND a warehouse file that does not exist digests as empty
    assert warehouse_digest(tmp_path / "missing.duckdb") == {}


STARTUP_FATAL = (
    "Fatal Python error: init_import_site: Failed to import the site module\nPython runtime state: initialized\n"
    'Traceback (most recent call last):\n  File "<frozen site>", line 73, in <module>\nKeyboardInterrupt\n'
)


def test_the_contract_allows_the_documented_exits_and_ctrl_c_before_our_code() -> None:
    # GIVEN runs ending 130 in one line, by SIGINT silently (before Python's handler), and with CPython's own
    # fatal start-up error (Ctrl-C while it imports `site`, before any of our code)
    tally = Tally()
    judge(
        "kill",
        130,
        "energylake: run interrupted after 1 s; rerun the same command to resume\n",
        tally,
        max_stderr_lines=3,
    )
    judge("kill", -signal.SIGINT, "", tally, max_stderr_lines=3)
    judge("kill", 1, STARTUP_FATAL, tally, max_stderr_lines=3)
    # THEN none is a breach; the start-up one is counted apart
    assert tally.breaches == []
    assert tally.interrupts_before_entry == 1
    assert tally.exits == {130: 1, -signal.SIGINT: 1, 1: 1}


def test_an_interrupt_while_runpy_imports_the_package_init_is_before_our_entry_point() -> None:
    # GIVEN Ctrl-C while `python -m energylake.local` imports energylake/__init__.py (typing, enum ...)
    stderr = (
        'Traceback (most recent call last):\n  File "<frozen runpy>", line 189, in _run_module_as_main\n'
        '  File "/repo/layers/common/energylake/__init__.py", line 16, in <module>\n'
        '  File "/usr/lib/python3.11/enum.py", line 399, in __setitem__\nKeyboardInterrupt\n'
    )
    tally = Tally()
    judge("kill", -signal.SIGINT, stderr, tally, max_stderr_lines=3)
    # THEN counted apart, not a breach; one raised inside our modules would be
    assert (tally.breaches, tally.interrupts_before_entry) == ([], 1)
    judge("kill", 1, stderr.replace("energylake/__init__.py", "energylake/local/cli.py"), tally, max_stderr_lines=3)
    assert len(tally.breaches) == 1


def test_a_traceback_or_an_undocumented_exit_is_a_breach() -> None:
    # GIVEN a run that printed our traceback, and one that died by SIGINT after printing a line
    tally = Tally()
    traceback = (
        'Traceback (most recent call last):\n  File "/repo/energylake/local/cli.py", line 1\n  File "y.py", line 2\n'
        "KeyboardInterrupt\n"
    )
    judge("kill", 1, traceback, tally, max_stderr_lines=3)
    judge("kill", -signal.SIGINT, "energylake: interrupted while starting\n", tally, max_stderr_lines=3)
    # THEN both are breaches, each naming what broke
    assert len(tally.breaches) == 2
    assert "4 lines on stderr" in tally.breaches[0] and "is not documented" in tally.breaches[1]
