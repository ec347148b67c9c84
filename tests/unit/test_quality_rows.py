"""The quality gate's row checks: schema, not_null, unique_key, range and the rejected fraction; rows always
reconcile (in = kept + rejected), also under random defects."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from energylake.contracts.schemas import silver_schema
from energylake.quality import REJECTION_REASON, QualityConfig, run_quality
from tests.support.quality import (
    LENIENT,
    NORMAL_DAY,
    assert_reconciles,
    build,
    check_entry,
    rows_for,
    table_of,
)

# --- schema -------------------------------------------------------------------------------------------------------


def test_a_column_of_the_wrong_type_fails_the_schema_check() -> None:
    # GIVEN spp rows whose price arrived as text
    table = build("spp_rt")
    index = table.schema.get_field_index("price_usd_mwh")
    table = table.set_column(index, "price_usd_mwh", pc.cast(table["price_usd_mwh"], pa.string()))
    # WHEN gated
    outcome = run_quality("spp_rt", table, expected_days=(NORMAL_DAY,))
    # THEN the object fails on the schema, naming the column and both types; the other checks are skipped
    assert not outcome.passed
    schema = check_entry(outcome, "schema")
    assert not schema["passed"]
    assert schema["examples"] == [
        {"column": "price_usd_mwh", "problem": "wrong type", "expected": "double", "found": "string"}
    ]
    assert check_entry(outcome, "completeness")["skipped"] == "schema failed"
    assert outcome.report["failed_because"] == ["schema failed"]
    assert_reconciles(outcome, table.num_rows)


def test_kept_rows_take_the_contract_schema_whatever_the_nullability_flags() -> None:
    # GIVEN valid rows in a table whose fields are all nullable (as a parser or pa.table() makes them)
    table = build("weather", lineage=True)
    loose = pa.Table.from_arrays(table.columns, names=table.column_names)
    assert not loose.schema.equals(table.schema)
    # THEN the schema check passes and the kept rows carry the exact silver schema
    outcome = run_quality("weather", loose)
    assert outcome.passed
    assert outcome.table.schema.equals(silver_schema("weather").arrow_schema())


def test_missing_or_partial_lineage_and_reordered_columns_fail_the_schema_check() -> None:
    table = build("fuel_mix", lineage=True)
    assert not run_quality("fuel_mix", table.drop_columns(["run_id"])).passed
    reordered = table.select(list(reversed(table.column_names)))
    outcome = run_quality("fuel_mix", reordered)
    assert not outcome.passed
    assert check_entry(outcome, "schema")["examples"][0]["problem"] == "column order"


# --- not_null -----------------------------------------------------------------------------------------------------


def test_a_null_key_column_rejects_the_row_naming_the_column() -> None:
    # GIVEN one RT price row without its settlement point (one of 192)
    rows = rows_for("spp_rt", (NORMAL_DAY,))
    rows[7]["settlement_point"] = None
    outcome = run_quality("spp_rt", table_of("spp_rt", rows), config=LENIENT)
    # THEN that row is rejected with the reason and the rest kept
    assert outcome.rejected.num_rows == 1
    assert outcome.rejected[REJECTION_REASON].to_pylist() == ["null in required column 'settlement_point'"]
    entry = check_entry(outcome, "not_null:settlement_point")
    assert (entry["passed"], entry["failures"], entry["examples"][0]["row"]) == (False, 1, 8)
    assert_reconciles(outcome, 192)


def test_a_null_value_in_a_nullable_column_is_kept() -> None:
    # GIVEN wind rows with no actual generation (future hours)
    rows = rows_for("wind", (NORMAL_DAY,))
    for row in rows:
        row["generation_mw"] = None
    outcome = run_quality("wind", table_of("wind", rows), expected_days=(NORMAL_DAY,))
    assert outcome.passed
    assert outcome.rejected.num_rows == 0


# --- unique_key ---------------------------------------------------------------------------------------------------


def test_identical_and_conflicting_duplicates_keep_the_first_and_are_counted_apart() -> None:
    # GIVEN hourly load with one row repeated as is and another re-posted with another value
    rows = rows_for("load_weather_zone", (NORMAL_DAY,))
    identical = dict(rows[3])
    conflicting = {**rows[10], "load_mw": 99.0}
    table = table_of("load_weather_zone", [*rows, identical, conflicting])
    # WHEN gated
    outcome = run_quality("load_weather_zone", table, expected_days=(NORMAL_DAY,), config=LENIENT)
    # THEN the 2nd occurrences are rejected, the first ones kept; the day is still complete
    assert outcome.passed
    assert outcome.table.num_rows == len(rows)
    assert outcome.table.to_pylist() == table_of("load_weather_zone", rows).to_pylist()
    reasons = outcome.rejected[REJECTION_REASON].to_pylist()
    key = "weather_zone=COAST, interval_start_utc=2024-11-05T09:00:00Z"
    assert reasons[0] == f"duplicate natural key ({key}) identical to the first occurrence, row 4"
    assert reasons[1].startswith("duplicate natural key (weather_zone=COAST, interval_start_utc=2024-11-05T16:00:00Z)")
    assert reasons[1].endswith("conflicting with row 11")
    entry = check_entry(outcome, "unique_key")
    assert entry["failures"] == 2
    assert entry["details"] == {"identical_duplicates": 1, "conflicting_duplicates": 1}


def test_rows_differing_only_in_lineage_are_identical_duplicates() -> None:
    # GIVEN the same document landed twice (two raw keys)
    table = build("fuel_mix", lineage=True)
    position = table.schema.get_field_index("raw_key")
    other = table.set_column(position, table.schema.field("raw_key"), pa.array(["raw/other"] * table.num_rows))
    twice = pa.concat_tables([table, other])
    outcome = run_quality("fuel_mix", twice, config=LENIENT)
    assert check_entry(outcome, "unique_key")["details"] == {
        "identical_duplicates": table.num_rows,
        "conflicting_duplicates": 0,
    }
    assert outcome.table.equals(table)


# --- range --------------------------------------------------------------------------------------------------------


def test_an_out_of_range_price_is_rejected_naming_value_and_bounds() -> None:
    rows = rows_for("spp_rt", (NORMAL_DAY,))
    rows[5]["price_usd_mwh"] = -9999.0
    rows[6]["price_usd_mwh"] = 9_500.0  # high but possible (pre-2022 cap + adders): kept
    outcome = run_quality("spp_rt", table_of("spp_rt", rows), expected_days=(NORMAL_DAY,))
    assert outcome.passed  # 1 of 192 rejected (0.52%) is within the 1% allowed
    assert outcome.rejected[REJECTION_REASON].to_pylist() == ["price_usd_mwh=-9999 outside [-1000, 10000]"]
    entry = check_entry(outcome, "range:price_usd_mwh")
    assert entry["examples"] == [
        {"row": 6, "reason": "price_usd_mwh=-9999 outside [-1000, 10000]", "price_usd_mwh": -9999.0}
    ]


def test_an_impossible_temperature_and_a_nan_are_rejected() -> None:
    rows = rows_for("weather", (NORMAL_DAY,))
    rows[0]["temperature_2m_c"] = 75.0  # Fahrenheit slipped in
    rows[1]["wind_speed_10m_ms"] = float("nan")
    outcome = run_quality("weather", table_of("weather", rows), config=LENIENT)
    assert outcome.rejected[REJECTION_REASON].to_pylist() == [
        "temperature_2m_c=75 outside [-40, 60]",
        "wind_speed_10m_ms=nan outside [0, 100]",
    ]
    json.dumps(outcome.report)  # NaN example values are JSON-safe


def test_negative_load_is_rejected_and_the_system_total_has_its_own_bound() -> None:
    rows = rows_for("load_weather_zone", (NORMAL_DAY,))
    by_zone = {zone: [row for row in rows if row["weather_zone"] == zone] for zone in ("COAST", "ERCOT")}
    by_zone["COAST"][0]["load_mw"] = -12.0
    by_zone["COAST"][1]["load_mw"] = 70_000.0  # too much for a zone
    by_zone["ERCOT"][0]["load_mw"] = 70_000.0  # fine for the system
    outcome = run_quality("load_weather_zone", table_of("load_weather_zone", rows), config=LENIENT)
    assert outcome.rejected[REJECTION_REASON].to_pylist() == [
        "load_mw=-12 outside [0, 60000] (rows with weather_zone not in {ERCOT, SYSTEM, TOTAL})",
        "load_mw=70000 outside [0, 60000] (rows with weather_zone not in {ERCOT, SYSTEM, TOTAL})",
    ]


def test_a_row_with_several_defects_lists_every_reason_and_counts_once() -> None:
    rows = rows_for("spp_dam", (NORMAL_DAY,))
    rows[2]["market"] = "RT15"
    rows[2]["price_usd_mwh"] = 1e6
    outcome = run_quality("spp_dam", table_of("spp_dam", rows), config=LENIENT)
    assert outcome.rejected[REJECTION_REASON].to_pylist() == [
        "market=RT15 not one of {DAM}; price_usd_mwh=1000000 outside [-1000, 10000]"
    ]
    assert_reconciles(outcome, 24)


def test_bounds_come_from_the_config() -> None:
    rows = rows_for("fuel_mix", (NORMAL_DAY,))
    strict = QualityConfig(fuel_mix_min_mw=0.0, max_rejected_fraction=1.0)
    outcome = run_quality("fuel_mix", table_of("fuel_mix", rows), config=strict)
    assert outcome.rejected.num_rows == 2 * 288  # every storage row (-150 MW) is below 0
    assert run_quality("fuel_mix", table_of("fuel_mix", rows)).rejected.num_rows == 0


# --- rejected fraction --------------------------------------------------------------------------------------------


def test_the_object_fails_when_more_than_the_allowed_fraction_is_rejected() -> None:
    # GIVEN 192 RT rows, 2 of them out of range (1.04%)
    rows = rows_for("spp_rt", (NORMAL_DAY,))
    rows[0]["price_usd_mwh"] = rows[100]["price_usd_mwh"] = 1e9
    table = table_of("spp_rt", rows)
    # THEN the default 1% threshold fails the object, a 2% threshold lets it pass
    failed = run_quality("spp_rt", table)
    assert not failed.passed
    assert "more than max_rejected_fraction" in failed.report["failed_because"][0]
    assert failed.report["rows"]["rejected_fraction"] == pytest.approx(2 / 192)
    assert run_quality("spp_rt", table, config=QualityConfig(max_rejected_fraction=0.02)).passed


def test_an_impossible_threshold_is_refused() -> None:
    with pytest.raises(ValueError, match="max_rejected_fraction"):
        QualityConfig(max_rejected_fraction=1.5)


# --- reconciliation under random defects --------------------------------------------------------------------------

DEFECTS = st.lists(
    st.tuples(
        st.sampled_from(["null_point", "null_price", "price_out", "duplicate", "conflict", "drop", "nan"]),
        st.integers(min_value=0, max_value=191),
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(defects=DEFECTS)
def test_rows_in_always_equal_rows_kept_plus_rejected(defects: list[tuple[str, int]]) -> None:
    # GIVEN a clean RT price table with random defects injected
    rows = rows_for("spp_rt", (NORMAL_DAY,))
    extra: list[dict[str, Any]] = []
    dropped: set[int] = set()
    for defect, position in defects:
        row = rows[position]
        if defect == "null_point":
            row["settlement_point"] = None
        elif defect == "null_price":
            row["price_usd_mwh"] = None
        elif defect == "price_out":
            row["price_usd_mwh"] = -50_000.0
        elif defect == "nan":
            row["price_usd_mwh"] = float("nan")
        elif defect == "duplicate":
            extra.append(dict(row))
        elif defect == "conflict":
            extra.append({**row, "price_usd_mwh": 12.0})
        else:
            dropped.add(position)
    table = table_of("spp_rt", [row for n, row in enumerate(rows) if n not in dropped] + extra)
    # WHEN gated
    outcome = run_quality("spp_rt", table, expected_days=(NORMAL_DAY,))
    # THEN every row is either kept or rejected (with a reason), never both, never lost
    assert_reconciles(outcome, table.num_rows)
    assert outcome.rejected[REJECTION_REASON].null_count == 0
    kept = outcome.table
    # AND what is kept is clean: no nulls in required columns, unique keys, prices in range
    for column in silver_schema("spp_rt").required_columns:
        if column in kept.column_names:
            assert kept[column].null_count == 0, column
    keys = list(zip(*(kept[c].to_pylist() for c in ("market", "settlement_point", "interval_start_utc")), strict=True))
    assert len(keys) == len(set(keys))
    prices = kept["price_usd_mwh"].to_pylist()
    assert all(-1000 <= price <= 10_000 for price in prices)
    # AND exactly the rows a plain-Python oracle finds bad are rejected
    seen: set[tuple[Any, ...]] = set()
    bad = 0
    for row in table.to_pylist():
        key = (row["market"], row["settlement_point"], row["interval_start_utc"])
        price = row["price_usd_mwh"]
        valid_key = None not in key
        duplicate = valid_key and key in seen
        seen.update([key] if valid_key else [])
        bad += bool(not valid_key or price is None or not -1000 <= price <= 10_000 or duplicate)
    assert outcome.rejected.num_rows == bad
    # AND the object passes exactly when every (point, quarter hour) is there once and <= 1% is rejected
    full_grid = {
        (r["market"], r["settlement_point"], r["interval_start_utc"]) for r in rows_for("spp_rt", (NORMAL_DAY,))
    }
    assert outcome.passed == (seen == full_grid and bad <= 0.01 * table.num_rows)
