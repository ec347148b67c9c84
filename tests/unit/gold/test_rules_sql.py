"""The gold rules' SQL as text: parameters rendered as checked literals (and refused when they could change the
statement), every statement's output the contract's columns, every silver dedupe keyed by the contract's natural key,
and every silver dataset read."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from energylake.contracts.schemas import DEGREE_BASE_C, SILVER_TABLES
from energylake.gold import rules

UTC = dt.UTC
START = dt.datetime(2024, 11, 3, tzinfo=UTC)
END = START + dt.timedelta(days=1)


def parsed(name: str) -> exp.Expression:
    return sqlglot.parse_one(rules.statement(name, START, END), read="duckdb")


# --- render -----------------------------------------------------------------------------------------------------


def test_render_writes_each_parameter_as_a_literal_of_its_type() -> None:
    # GIVEN a statement using a timestamp, a float, an int, a text and a list parameter
    sql = "SELECT $t, $x, $n, $zone_name, $kinds, $t"
    values: dict[str, Any] = {
        "t": dt.datetime(2024, 11, 3, 1, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        "x": DEGREE_BASE_C,
        "n": 8,
        "zone_name": "America/Chicago",
        "kinds": ("LZEW", "LZ_DCEW"),
    }
    # WHEN rendered THEN each becomes a DuckDB literal (the instant in UTC), every use replaced
    assert rules.render(sql, values) == (
        "SELECT TIMESTAMPTZ '2024-11-03 06:00:00+00:00', CAST(18.333333 AS DOUBLE), 8, 'America/Chicago', "
        "['LZEW', 'LZ_DCEW'], TIMESTAMPTZ '2024-11-03 06:00:00+00:00'"
    )


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        ("x' OR 1=1 --", ValueError, "holds characters"),
        (("HU", "A'H"), ValueError, "holds characters"),
        (dt.datetime(2024, 11, 3), ValueError, "timezone-aware"),
        (float("nan"), ValueError, "finite"),
        (True, TypeError, "booleans"),
        ((), TypeError, "unsupported"),
        ({"a": 1}, TypeError, "unsupported"),
    ],
)
def test_render_refuses_a_value_that_is_not_a_plain_literal(value: Any, error: type[Exception], message: str) -> None:
    # GIVEN a value that could change the statement (a quote) or has no literal WHEN rendered THEN refused, named
    with pytest.raises(error, match=rf"\$p: .*{message}|\$p: {message}"):
        rules.render("SELECT $p", {"p": value})


def test_render_names_every_parameter_without_a_value() -> None:
    with pytest.raises(KeyError, match=r"\$end_utc, \$start_utc"):
        rules.render("SELECT 1 WHERE t >= $start_utc AND t < $end_utc AND z IN $zones", {"zones": ("A",)})


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (START, START, "not after start"),
        (START + dt.timedelta(minutes=30), END, "whole hours"),
        (START.replace(tzinfo=None), END, "timezone-aware"),
    ],
)
def test_the_bounds_must_be_whole_increasing_utc_hours(start: dt.datetime, end: dt.datetime, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rules.parameters(start, end)


# --- the statements ---------------------------------------------------------------------------------------------


def test_every_statement_renders_with_the_build_parameters() -> None:
    # GIVEN every statement's text WHEN rendered for a day THEN no placeholder is left and the SQL parses
    for name in rules.STATEMENTS:
        text = rules.sql_text(name)
        assert rules.placeholders(text), f"{name} takes no parameter: its bounds would be fixed"
        sql = rules.statement(name, START, END)
        assert "$" not in sql
        assert sqlglot.parse_one(sql, read="duckdb") is not None


def test_each_gold_statement_selects_the_contract_columns_in_order() -> None:
    # GIVEN each gold table's statement THEN its output columns are the contract's, in order (the hub columns of
    #       system_hourly included: they are written out in the SQL, one per hub of the contract)
    for name, table in rules.GOLD_STATEMENTS.items():
        assert parsed(name).named_selects == list(table.column_names), name
    assert parsed("hours").named_selects == [
        "interval_start_utc",
        "interval_end_utc",
        "operating_day",
        "hour_ending",
        "repeated_hour",
    ]


def _dedupes(tree: exp.Expression) -> dict[frozenset[str], list[str]]:
    """{silver views read: PARTITION BY columns} of every latest-fetch-wins ROW_NUMBER in ``tree``."""
    found = {}
    for window in tree.find_all(exp.Window):
        order = [item.sql() for item in window.args["order"].expressions]
        if not isinstance(window.this, exp.RowNumber) or order != ["fetched_at_utc DESC", "raw_key DESC"]:
            continue
        select = window.find_ancestor(exp.Select)
        assert select is not None
        source = select.find(exp.From)
        assert source is not None
        views = frozenset(table.name for table in source.find_all(exp.Table))
        found[views] = [column.sql() for column in window.args["partition_by"]]
    return found


def test_every_silver_input_is_read_once_deduplicated_on_its_natural_key() -> None:
    # GIVEN the latest-fetch-wins dedupes of every statement
    dedupes: dict[frozenset[str], list[str]] = {}
    for name in rules.STATEMENTS:
        dedupes.update(_dedupes(parsed(name)))
    # THEN each partitions by the natural key of the silver table it reads, and together they read every input once
    for views, key in dedupes.items():
        tables = {SILVER_TABLES[view].name for view in views}  # type: ignore[index]
        assert len(tables) == 1, views
        assert key == list(SILVER_TABLES[next(iter(views))].natural_key), views  # type: ignore[index]
    read = [view for views in dedupes for view in views]
    assert sorted(read) == sorted(rules.SILVER_INPUTS)
