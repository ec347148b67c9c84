"""The quality gate: each check catches its defect, rows always reconcile, the report is JSON."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from energylake.contracts.datasets import ALL_DATASETS, DatasetName
from energylake.quality import (
    REJECTION_REASON,
    QualityConfig,
    QualityOutcome,
    checks_for,
    interval_minutes,
    run_quality,
)
from energylake.contracts.schemas import LINEAGE, UTC_TIMESTAMP, silver_schema
from energylake.timeconv import local_day_bounds_utc
from energylake.contracts.zones import WEATHER_ZONES

NORMAL_DAY = dt.date(2024, 11, 5)
FALL_BACK = dt.date(2024, 11, 3)  # 25 Central hours
SPRING_FORWARD = dt.date(2024, 3, 10)  # 23 Central hours
POSTED = dt.datetime(2024, 11, 1, 12, tzinfo=dt.UTC)

# Entities per dataset: the natural key's non-time columns.
ENTITIES: dict[DatasetName, list[dict[str, Any]]] = {
    "spp_rt": [
        {"market": "RT15", "settlement_point": point, "settlement_point_type": kind}
        for point, kind in (("HB_NORTH", "HU"), ("LZ_HOUSTON", "LZ"))
    ],
    "spp_dam": [{"market": "DAM", "settlement_point": "HB_WEST", "settlement_point_type": "HU"}],
    "load_weather_zone": [{"weather_zone": zone} for zone in ("COAST", "NORTH_CENTRAL", "ERCOT")],
    "load_forecast": [
        {"model": "E", "in_use": True, "posted_at_utc": POSTED, "zone_type": zone_type, "zone": zone}
        for zone_type, zone in (("WEATHER", "COAST"), ("SYSTEM", "ERCOT"))
    ],
    "wind": [{"resource": "WIND", "region": "SYSTEM", "posted_at_utc": POSTED}],
    "solar": [{"resource": "SOLAR", "region": "SYSTEM", "posted_at_utc": POSTED}],
    "fuel_mix": [{"fuel": fuel} for fuel in ("NATURAL_GAS", "POWER_STORAGE")],
    "weather": [{"weather_zone": zone} for zone in WEATHER_ZONES],
}
VALUES: dict[DatasetName, dict[str, Any]] = {
    "spp_rt": {"price_usd_mwh": 31.5},
    "spp_dam": {"price_usd_mwh": 28.0},
    "load_weather_zone": {"load_mw": 12_000.0},
    "load_forecast": {"load_forecast_mw": 12_000.0},
    "wind": {
        "generation_mw": 9_000.0,
        "forecast_mw": 9_100.0,
        "probabilistic_forecast_mw": 8_500.0,
        "cop_hsl_mw": 9_500.0,
        "hsl_mw": None,
    },
    "solar": {
        "generation_mw": None,
        "forecast_mw": 5_000.0,
        "probabilistic_forecast_mw": 4_500.0,
        "cop_hsl_mw": 6_000.0,
        "hsl_mw": 6_100.0,
    },
    "fuel_mix": {"generation_mw": -150.0},
    "weather": {
        "temperature_2m_c": 18.5,
        "relative_humidity_2m_pct": 60.0,
        "dew_point_2m_c": 10.2,
        "apparent_temperature_c": 17.0,
        "cloud_cover_pct": 40.0,
        "precipitation_mm": 0.0,
        "shortwave_radiation_wm2": 250.0,
        "direct_normal_irradiance_wm2": 300.0,
        "wind_speed_10m_ms": 4.0,
        "wind_speed_100m_ms": 8.0,
        "wind_direction_100m_deg": 180.0,
    },
}


def grid(day: dt.date, minutes: int) -> list[dt.datetime]:
    """Every interval start of the Central day ``day`` (UTC instants)."""
    start, end = local_day_bounds_utc(day)
    count = int((end - start) / dt.timedelta(minutes=minutes))
    return [start + dt.timedelta(minutes=minutes * n) for n in range(count)]


def rows_for(dataset: DatasetName, days: Iterable[dt.date]) -> list[dict[str, Any]]:
    schema = silver_schema(dataset)
    minutes = interval_minutes(dataset)
    rows: list[dict[str, Any]] = []
    for entity in ENTITIES[dataset]:
        for day in days:
            for start in grid(day, minutes):
                row = {**entity, **VALUES[dataset]}
                if schema.time_column == "time_utc":
                    row["time_utc"] = start
                else:
                    row["interval_start_utc"] = start
                    row["interval_end_utc"] = start + dt.timedelta(minutes=minutes)
                rows.append(row)
    return rows


def arrow_schema(dataset: DatasetName, *, lineage: bool = False) -> pa.Schema:
    schema = silver_schema(dataset).arrow_schema()
    if lineage:
        return schema
    lineage_names = {column.name for column in LINEAGE}
    return pa.schema([field for field in schema if field.name not in lineage_names])


def table_of(dataset: DatasetName, rows: Sequence[dict[str, Any]], *, lineage: bool = False) -> pa.Table:
    if lineage:
        lineage_values = {"source_dataset": dataset, "run_id": "run-1", "fetched_at_utc": POSTED}
        rows = [{**row, **lineage_values, "raw_key": f"raw/{n}"} for n, row in enumerate(rows)]
    return pa.Table.from_pylist(list(rows), schema=arrow_schema(dataset, lineage=lineage))


def build(dataset: DatasetName, days: Iterable[dt.date] = (NORMAL_DAY,), *, lineage: bool = False) -> pa.Table:
    return table_of(dataset, rows_for(dataset, days), lineage=lineage)


def check_entry(outcome: QualityOutcome, name: str) -> dict[str, Any]:
    entry: dict[str, Any] = next(check for check in outcome.report["checks"] if check["name"] == name)
    return entry


def assert_reconciles(outcome: QualityOutcome, rows_in: int) -> None:
    rows = outcome.report["rows"]
    assert rows["in"] == rows_in == rows["kept"] + rows["rejected"]
    assert (outcome.table.num_rows, outcome.rejected.num_rows) == (rows["kept"], rows["rejected"])


LENIENT = QualityConfig(max_rejected_fraction=1.0)  # to look at row rejection without the threshold


# --- the declarative table ----------------------------------------------------------------------------------------


def test_checks_for_covers_every_dataset_with_every_kind() -> None:
    for dataset in ALL_DATASETS:
        checks = checks_for(dataset, QualityConfig())
        kinds = {check.kind for check in checks}
        assert kinds == {"schema", "not_null", "unique_key", "range", "completeness", "monotonic"}, dataset
        assert checks[0].kind == "schema"
        names = [check.name for check in checks]
        assert len(names) == len(set(names)), dataset
        required = set(silver_schema(dataset).required_columns)
        assert {check.columns[0] for check in checks if check.kind == "not_null"} == required, dataset
        (unique,) = [check for check in checks if check.kind == "unique_key"]
        assert unique.columns == silver_schema(dataset).natural_key
        (monotonic,) = [check for check in checks if check.kind == "monotonic"]
        # the interval the data really has: 15 min real-time prices, 5 min fuel mix, hourly otherwise
        expected = {"spp_rt": 15, "fuel_mix": 5}.get(dataset, 60)
        assert monotonic.interval_minutes == expected, dataset


@pytest.mark.parametrize("dataset", ALL_DATASETS)
def test_a_clean_table_of_every_dataset_passes(dataset: DatasetName) -> None:
    for days in [(SPRING_FORWARD,), (FALL_BACK, FALL_BACK + dt.timedelta(days=1), FALL_BACK + dt.timedelta(days=2))]:
        # GIVEN complete, valid rows for consecutive days (DST days included), with lineage
        table = build(dataset, days, lineage=True)
        # WHEN gated with those days expected
        outcome = run_quality(dataset, table, expected_days=days)
        # THEN it passes with every row kept
        assert outcome.passed, outcome.report["failed_because"]
        assert outcome.table.equals(table)
        assert outcome.rejected.num_rows == 0
        assert outcome.rejected.schema.names == [*table.schema.names, REJECTION_REASON]


def test_the_day_counts_follow_dst_for_each_interval_length() -> None:
    counts = {}
    for dataset in ("spp_rt", "load_weather_zone", "fuel_mix"):
        outcome = run_quality(dataset, build(dataset, (SPRING_FORWARD, NORMAL_DAY, FALL_BACK)))
        counts[dataset] = [day["expected_per_entity"] for day in outcome.report["days"]]
    assert counts == {"spp_rt": [92, 100, 96], "load_weather_zone": [23, 25, 24], "fuel_mix": [276, 300, 288]}


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


# --- completeness -------------------------------------------------------------------------------------------------


def test_a_short_expected_day_fails_naming_entity_day_and_counts() -> None:
    # GIVEN RT prices where LZ_HOUSTON lacks its last quarter hour
    rows = rows_for("spp_rt", (NORMAL_DAY,))
    rows.pop()
    outcome = run_quality("spp_rt", table_of("spp_rt", rows), expected_days=(NORMAL_DAY,))
    assert not outcome.passed
    entry = check_entry(outcome, "completeness")
    assert entry["examples"] == [
        {
            "day": "2024-11-05",
            "entity": {"market": "RT15", "settlement_point": "LZ_HOUSTON"},
            "count": 95,
            "expected": 96,
            "problem": "short",
        }
    ]
    # AND the same table with the day not expected is only reported
    assert run_quality("spp_rt", table_of("spp_rt", rows)).passed


def test_an_entity_missing_from_an_expected_day_fails() -> None:
    # GIVEN two days of hourly load where NORTH_CENTRAL has only the first
    second_day_start, _ = local_day_bounds_utc(NORMAL_DAY + dt.timedelta(days=1))
    rows = [
        row
        for row in rows_for("load_weather_zone", (NORMAL_DAY, NORMAL_DAY + dt.timedelta(days=1)))
        if not (row["weather_zone"] == "NORTH_CENTRAL" and row["interval_start_utc"] >= second_day_start)
    ]
    expected = (NORMAL_DAY, NORMAL_DAY + dt.timedelta(days=1))
    outcome = run_quality("load_weather_zone", table_of("load_weather_zone", rows), expected_days=expected)
    assert not outcome.passed
    (failure,) = check_entry(outcome, "completeness")["examples"]
    assert (failure["entity"], failure["count"], failure["day"]) == ({"weather_zone": "NORTH_CENTRAL"}, 0, "2024-11-06")


def test_a_weather_zone_absent_altogether_fails_and_an_empty_expected_day_fails() -> None:
    rows = [row for row in rows_for("weather", (NORMAL_DAY,)) if row["weather_zone"] != "WEST"]
    outcome = run_quality("weather", table_of("weather", rows), expected_days=(NORMAL_DAY,))
    assert [e["entity"] for e in check_entry(outcome, "completeness")["examples"]] == [{"weather_zone": "WEST"}]
    empty = run_quality("fuel_mix", build("fuel_mix").slice(0, 0), expected_days=(NORMAL_DAY,))
    assert not empty.passed
    assert check_entry(empty, "completeness")["examples"][0]["count"] == 0


def test_extra_rows_in_a_day_fail_completeness() -> None:
    # GIVEN hourly DAM prices with an extra half-hour row (off the hourly grid)
    rows = rows_for("spp_dam", (NORMAL_DAY,))
    extra = {
        **rows[0],
        "interval_start_utc": rows[0]["interval_start_utc"] + dt.timedelta(minutes=30),
        "interval_end_utc": rows[0]["interval_end_utc"] + dt.timedelta(minutes=30),
    }
    outcome = run_quality("spp_dam", table_of("spp_dam", [*rows, extra]), expected_days=(NORMAL_DAY,))
    assert not outcome.passed
    entry = check_entry(outcome, "completeness")
    assert (entry["examples"][0]["count"], entry["examples"][0]["problem"]) == (25, "extra")


@pytest.mark.parametrize(("day", "hours"), [(FALL_BACK, 25), (SPRING_FORWARD, 23)])
def test_dst_days_with_their_own_hour_count_are_complete(day: dt.date, hours: int) -> None:
    # GIVEN hourly load of a DST day with 25 (fall back) or 23 (spring forward) hours
    table = build("load_weather_zone", (day,))
    assert table.num_rows == 3 * hours
    # THEN it passes with that day expected
    outcome = run_quality("load_weather_zone", table, expected_days=(day,))
    assert outcome.passed, outcome.report["failed_because"]
    # AND one hour less fails: the gate counts the day's Central hours
    wrong = table.filter(pc.not_equal(table["interval_start_utc"], table["interval_start_utc"][0]))
    assert not run_quality("load_weather_zone", wrong, expected_days=(day,)).passed


def test_a_partial_current_day_is_allowed_and_reported() -> None:
    # GIVEN fuel mix for a full day and the current day up to 10:00 Central
    today = NORMAL_DAY + dt.timedelta(days=1)
    start, _ = local_day_bounds_utc(today)
    rows = [
        row
        for row in rows_for("fuel_mix", (NORMAL_DAY, today))
        if row["interval_start_utc"] < start + dt.timedelta(hours=10)
    ]
    table = table_of("fuel_mix", rows)
    # WHEN gated with the current day partial
    outcome = run_quality("fuel_mix", table, expected_days=(NORMAL_DAY,), partial_days=(today,))
    # THEN it passes and the partial day is reported with its counts
    assert outcome.passed
    assert outcome.report["partial_days"] == ["2024-11-06"]
    partial = outcome.report["days"][-1]
    assert partial == {
        "day": "2024-11-06",
        "status": "partial",
        "expected_per_entity": 288,
        "entities": 2,
        "min_count": 120,
        "max_count": 120,
        "short_entities": 2,
        "failing_entities": 0,
    }
    # AND the same day expected in full fails
    assert not run_quality("fuel_mix", table, expected_days=(NORMAL_DAY, today)).passed


def test_forecast_vintages_together_cover_a_day() -> None:
    # GIVEN two load forecast vintages, one with the morning, one with the rest of the day
    rows = rows_for("load_forecast", (NORMAL_DAY,))
    start, _ = local_day_bounds_utc(NORMAL_DAY)
    later = POSTED + dt.timedelta(hours=1)
    for row in rows:
        if row["interval_start_utc"] >= start + dt.timedelta(hours=12):
            row["posted_at_utc"] = later
    outcome = run_quality("load_forecast", table_of("load_forecast", rows), expected_days=(NORMAL_DAY,))
    assert outcome.passed, outcome.report["failed_because"]


# --- monotonic ----------------------------------------------------------------------------------------------------


def test_a_gap_between_intervals_fails_monotonic() -> None:
    # GIVEN 5-minute fuel mix with one interval missing in the middle (day not expected: only monotonic speaks)
    rows = rows_for("fuel_mix", (NORMAL_DAY,))
    del rows[100]
    outcome = run_quality("fuel_mix", table_of("fuel_mix", rows))
    assert not outcome.passed
    assert outcome.report["failed_because"] == ["monotonic failed"]
    entry = check_entry(outcome, "monotonic")
    assert entry["failures"] == 1
    assert entry["examples"][0]["step_minutes"] == 10
    assert entry["examples"][0]["entity"] == {"fuel": "NATURAL_GAS"}


def test_a_wrong_interval_length_fails_monotonic() -> None:
    rows = rows_for("spp_rt", (NORMAL_DAY,))
    rows[3]["interval_end_utc"] = rows[3]["interval_start_utc"] + dt.timedelta(hours=1)
    outcome = run_quality("spp_rt", table_of("spp_rt", rows))
    entry = check_entry(outcome, "monotonic")
    assert not entry["passed"]
    assert entry["examples"][0]["length_minutes"] == 60


def test_unsorted_rows_are_fine_but_an_off_grid_start_is_not() -> None:
    table = build("weather")
    shuffled = table.take(pa.array(list(range(table.num_rows))[::-1]))
    assert run_quality("weather", shuffled, expected_days=(NORMAL_DAY,)).passed
    rows = rows_for("weather", (NORMAL_DAY,))
    rows[5]["time_utc"] += dt.timedelta(minutes=20)
    assert not run_quality("weather", table_of("weather", rows)).passed


# --- report -------------------------------------------------------------------------------------------------------


def test_the_report_round_trips_through_json() -> None:
    rows = rows_for("load_forecast", (NORMAL_DAY,))
    rows[0]["load_forecast_mw"] = float("inf")
    rows.append(dict(rows[1]))
    outcome = run_quality(
        "load_forecast",
        table_of("load_forecast", rows, lineage=True),
        expected_days=(NORMAL_DAY,),
        partial_days=(NORMAL_DAY + dt.timedelta(days=1),),
        context={"raw_key": "raw/source=ercot/x.json", "run_id": "r1"},
    )
    text = json.dumps(outcome.report)
    back = json.loads(text)
    assert back == outcome.report
    assert set(back) >= {"dataset", "passed", "rows", "checks", "partial_days", "context"}
    assert back["context"] == {"raw_key": "raw/source=ercot/x.json", "run_id": "r1"}
    for check in back["checks"]:
        assert set(check) >= {"name", "kind", "severity", "passed", "failures", "examples"}
        assert len(check["examples"]) <= 5
    unique = next(check for check in back["checks"] if check["kind"] == "unique_key")
    assert unique["failures"] == 1


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


def test_a_large_table_is_gated_quickly() -> None:
    # GIVEN ~1,000 settlement points x 2 days of RT prices (~190k rows)
    days = (NORMAL_DAY, NORMAL_DAY + dt.timedelta(days=1))
    starts = [start for day in days for start in grid(day, 15)]
    points = [f"RN_{n:04d}" for n in range(1_000)]
    count = len(starts) * len(points)
    start_array = pa.array(starts * len(points), UTC_TIMESTAMP)
    table = pa.Table.from_arrays(
        [
            pa.array(["RT15"] * count),
            pa.array([point for point in points for _ in starts]),
            pa.array(["RN"] * count),
            start_array,
            pc.add(start_array, pa.scalar(dt.timedelta(minutes=15))),
            pa.array([25.0] * count),
        ],
        schema=arrow_schema("spp_rt"),
    )
    import time

    began = time.perf_counter()
    outcome = run_quality("spp_rt", table, expected_days=days)
    assert outcome.passed
    assert time.perf_counter() - began < 10
