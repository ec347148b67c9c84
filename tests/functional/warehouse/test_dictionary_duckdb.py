"""The data dictionary inside the DuckDB warehouse: COMMENT ON every table, view and column, read back from DuckDB's
catalog after a load. The columns of a table or view do not depend on the rows it holds, so a load of an empty lake
exercises exactly what a demo load does (migrate, load, replace the views, comment)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from energylake.lake.storage import LocalStorage
from energylake.warehouse import dictionary
from energylake.warehouse import duckdb as warehouse
from energylake.warehouse.model import WAREHOUSE
from energylake.window import Window

WINDOW = Window(dt.date(2024, 7, 1), dt.date(2024, 7, 2))


def _loaded(tmp_path: Path) -> str:
    lake = tmp_path / "lake"
    lake.mkdir()
    db = str(tmp_path / "warehouse.duckdb")
    warehouse.load(WINDOW, LocalStorage(lake), db)
    return db


def _catalog(db: str) -> tuple[dict[str, str | None], dict[tuple[str, str], str | None], dict[str, list[str]]]:
    """(object -> comment, (object, column) -> comment, view -> its columns in order) as DuckDB reports them."""
    con = duckdb.connect(db, read_only=True)
    try:
        objects = dict(con.sql("SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = 'main'").fetchall())
        objects |= dict(con.sql("SELECT view_name, comment FROM duckdb_views() WHERE NOT internal").fetchall())
        rows = con.sql(
            "SELECT table_name, column_name, comment FROM duckdb_columns() WHERE schema_name = 'main' AND NOT internal "
            "ORDER BY table_name, column_index"
        ).fetchall()
    finally:
        con.close()
    columns = {(str(t), str(c)): comment for t, c, comment in rows}
    views = {view.name for view in WAREHOUSE.views}
    view_columns: dict[str, list[str]] = {}
    for table_name, column_name, _comment in rows:
        if table_name in views:
            view_columns.setdefault(str(table_name), []).append(str(column_name))
    return objects, columns, view_columns


def test_after_a_load_every_table_view_and_column_carries_its_dictionary_comment(tmp_path: Path) -> None:
    # GIVEN a loaded warehouse
    objects, columns, _views = _catalog(_loaded(tmp_path))
    described = dictionary.describe()
    # THEN every table and view DuckDB holds has the dictionary's description as its comment
    assert objects == {o.name: o.description for o in described}
    # AND every column of every table and view has a non-empty comment, the dictionary's
    undescribed = sorted(f"{t}.{c}" for (t, c), comment in columns.items() if not comment)
    assert not undescribed, f"columns with no description: {undescribed}"
    assert columns == {(o.name, c.name): c.description for o in described for c in o.columns}


def test_every_view_column_duckdb_reports_is_described_in_the_view_order(tmp_path: Path) -> None:
    # GIVEN the views as DuckDB builds them from their SQL
    _objects, _columns, views = _catalog(_loaded(tmp_path))
    # THEN the dictionary describes exactly their columns, in order (a view that gains, renames or drops a column
    # fails here until energylake/warehouse/dictionary.py VIEW_COLUMNS says what it is)
    assert views == {name: list(dictionary.VIEW_COLUMNS.get(name, {})) for name in views}
    assert set(views) == {view.name for view in WAREHOUSE.views}


def test_comments_survive_the_views_being_replaced_by_a_second_load(tmp_path: Path) -> None:
    # GIVEN a loaded warehouse WHEN it is loaded again (every view is re-created, which drops its comments)
    db = _loaded(tmp_path)
    before = _catalog(db)
    warehouse.load(WINDOW, LocalStorage(tmp_path / "lake"), db)
    # THEN the comments are all back, unchanged
    assert _catalog(db) == before


def test_a_description_out_of_step_with_a_view_does_not_fail_the_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN descriptions that list a column the view does not have and miss one it has
    view = "v_data_freshness"
    stale = dict(dictionary.VIEW_COLUMNS[view])
    missing = stale.pop("row_count")
    stale["rows_gone"] = "a column the view no longer has"
    monkeypatch.setitem(dictionary.VIEW_COLUMNS, view, stale)
    # WHEN the warehouse is loaded THEN the load succeeds
    _objects, columns, _views = _catalog(_loaded(tmp_path))
    # AND the view's described columns have their comments, the undescribed one none, the stale one is not invented
    assert columns[(view, "dataset")] == stale["dataset"]
    assert columns[(view, "row_count")] is None and missing
    assert (view, "rows_gone") not in columns


def test_a_description_that_cannot_be_a_comment_fails_the_migration_and_changes_no_table_comment(
    tmp_path: Path,
) -> None:
    # GIVEN a loaded warehouse and a model whose first table description holds a backslash
    db = _loaded(tmp_path)
    before, _columns, _views = _catalog(db)
    bad = replace(WAREHOUSE, tables=(replace(WAREHOUSE.tables[0], description="C:\\prices"), *WAREHOUSE.tables[1:]))
    # WHEN the warehouse migrates to it THEN the migration fails naming the table, the problem and the text
    with pytest.raises(ValueError, match=rf"description of {bad.tables[0].name}: .*backslash.*C:\\\\prices"):
        warehouse.migrate(db, model=bad)
    # AND no table comment changed (the comments are one transaction)
    after, _columns, _views = _catalog(db)
    tables = {name for name in before if not name.startswith("v_")}
    assert {n: after[n] for n in tables} == {n: before[n] for n in tables}
