"""The data dictionary: every table, view and column described once; its Redshift COMMENT statements; its page."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace

import pytest
import sqlglot
from sqlglot import exp

from energylake.warehouse import dictionary
from energylake.warehouse.model import WAREHOUSE, View, WarehouseColumn, WarehouseModel
from energylake.warehouse.redshift import sql as redshift
from tests.support.paths import REPO_ROOT

PAGE = REPO_ROOT / "docs" / "data-dictionary.md"


def _newer() -> WarehouseModel:
    """The model one version on: the first version the Redshift migration carries the dictionary in, whatever
    version the released model is at."""
    model = WAREHOUSE
    while model.version < redshift.DICTIONARY_SINCE_VERSION:
        column = WarehouseColumn(f"note_{model.version}", "string", True, "a note")
        model = model.with_column("ercot_spp", column, "add a note")
    return model


def test_every_table_view_and_column_has_a_description() -> None:
    # GIVEN the warehouse model WHEN it is described
    objects = dictionary.describe()
    # THEN every table and view of the model is there once, schema_version too
    names = [o.name for o in objects]
    assert names == ["schema_version", *WAREHOUSE.table_names, *(v.name for v in WAREHOUSE.views)]
    # AND no object or column has an empty description
    empty = [o.name for o in objects if not o.description.strip()]
    empty += [f"{o.name}.{c.name}" for o in objects for c in o.columns if not c.description.strip()]
    assert not empty, f"undescribed: {empty}"
    # AND every table column is described with the model's columns, loaded_at_utc included
    for table in WAREHOUSE.tables:
        described = next(o for o in objects if o.name == table.name)
        assert [c.name for c in described.columns] == list(table.column_names)


def test_the_view_descriptions_cover_exactly_the_models_views() -> None:
    # GIVEN the views of the model and the column descriptions kept for views
    views = {view.name for view in WAREHOUSE.views}
    # THEN every view has its columns described, and no description is left over from a view that is gone
    assert sorted(views - dictionary.VIEW_COLUMNS.keys()) == [], "views with no column descriptions"
    assert sorted(dictionary.VIEW_COLUMNS.keys() - views) == [], "descriptions of views the model does not have"
    assert all(dictionary.VIEW_COLUMNS[name] for name in views)


def test_a_view_missing_from_the_dictionary_is_listed_without_columns_rather_than_failing() -> None:
    # GIVEN a model with a view nobody described yet
    model = replace(WAREHOUSE, views=(*WAREHOUSE.views, View("v_new", "a new view", "SELECT 1 AS one")))
    # WHEN it is described THEN the view is there with its description and no columns (the tests refuse this state;
    # a load does not)
    described = dictionary.describe(model)[-1]
    assert (described.name, described.description, described.columns) == ("v_new", "a new view", ())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("C:\\path", "backslash"),
        ("two\nlines", "control character"),
        ("ends the body $$ here", "'\\$\\$'"),
    ],
)
def test_a_comment_that_cannot_be_a_safe_literal_is_refused(text: str, message: str) -> None:
    # GIVEN a description Redshift would misread or that would end a procedure body WHEN it becomes a literal
    # THEN it is refused in one line naming the problem
    with pytest.raises(ValueError, match=message):
        dictionary.comment_literal(text)


def test_quotes_in_a_comment_are_doubled() -> None:
    # GIVEN a description quoting values WHEN it becomes a literal THEN the quotes survive, doubled
    assert dictionary.comment_literal("'cooling' or 'heating' °C") == "'''cooling'' or ''heating'' °C'"


def test_comment_statements_parse_and_name_every_object_qualified() -> None:
    # GIVEN the dictionary as COMMENT statements for the schema "analytics"
    statements = dictionary.comment_statements(schema_name="analytics")
    objects = dictionary.describe()
    # THEN there is one per table, view and column
    assert len(statements) == len(objects) + sum(len(o.columns) for o in objects)
    # AND each parses in Redshift's dialect as a COMMENT on a schema-qualified object with the description as text
    texts = {(o.name, None): o.description for o in objects} | {
        (o.name, c.name): c.description for o in objects for c in o.columns
    }
    for statement in statements:
        tree = sqlglot.parse_one(statement, read="redshift")
        assert isinstance(tree, exp.Comment), statement
        target = tree.this
        key: tuple[str, str | None]
        if isinstance(target, exp.Column):
            assert target.args["db"].name == "analytics"
            key = (target.table, target.name)
        else:
            assert target.db == "analytics"
            key = (target.name, None)
        assert tree.expression.this == texts[key]


def test_only_the_views_columns_that_exist_get_comments_when_the_database_says_which() -> None:
    # GIVEN a view whose description lists a column the database's view no longer has
    view = WAREHOUSE.views[0].name
    present: dict[str, set[str]] = {v.name: set() for v in WAREHOUSE.views}
    present[view] = {next(iter(dictionary.VIEW_COLUMNS[view]))}
    # WHEN the statements are built for what the database reports
    statements = dictionary.comment_statements(view_columns=present)
    # THEN the view keeps its own comment and the one existing column's, and no statement names a missing column
    on_view = [s for s in statements if re.match(rf"COMMENT ON (VIEW|COLUMN) {view}\b", s)]
    assert len(on_view) == 2


def test_redshift_migration_from_the_dictionarys_version_comments_inside_procedures_after_the_views() -> None:
    # GIVEN a model at the version that brought the dictionary
    model = _newer()
    # WHEN its migration batch is generated
    statements = redshift.migration_statements(model=model, reader_role="energylake_reader")
    # THEN it fits the Data API batch
    assert len(statements) <= redshift.MAX_BATCH_STATEMENTS
    # AND the comments run in procedures created and called after the last view and before the grant
    kinds = [s.split(" (")[0].split(" AS ")[0] for s in statements]
    creates = [
        i
        for i, s in enumerate(statements)
        if s.startswith("CREATE OR REPLACE PROCEDURE energylake.energylake_describe_")
    ]
    calls = [i for i, s in enumerate(statements) if s.startswith("CALL energylake.energylake_describe_")]
    last_view = max(i for i, s in enumerate(statements) if s.startswith("CREATE OR REPLACE VIEW"))
    grant = next(i for i, s in enumerate(statements) if s.startswith("GRANT"))
    assert creates and len(creates) == len(calls), kinds
    assert last_view < min(creates) and max(calls) < grant
    # AND every dictionary statement is in a body, each body under the Data API's 100 kB statement size
    bodies = "".join(statements[i] for i in creates)
    for comment in dictionary.comment_statements(model, schema_name="energylake"):
        assert f"    {comment};\n" in bodies
    assert max(len(statements[i].encode()) for i in creates) < 100_000


def test_a_dictionary_over_one_procedures_budget_is_split_into_several(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a body budget smaller than the dictionary
    monkeypatch.setattr(redshift, "_DESCRIBE_BODY_BYTES", 4_000)
    # WHEN the comment statements are generated
    statements = redshift.comment_statements(model=_newer())
    # THEN they are spread over several procedures, each called once, in order, none over the budget (plus its frame)
    names = [s.split("(")[0].removeprefix("CREATE OR REPLACE PROCEDURE ") for s in statements[::2]]
    assert len(names) > 3
    assert statements[1::2] == [f"CALL {name}()" for name in names]
    assert all(len(s.encode()) < 4_000 + 200 for s in statements[::2])


def test_a_model_older_than_the_dictionary_migrates_without_comments() -> None:
    # GIVEN a model at version 2 (before the dictionary)
    old = replace(WAREHOUSE, migrations=WAREHOUSE.migrations[:2])
    # WHEN its migration and fingerprint are generated THEN neither holds a comment: released versions stay as pinned
    assert redshift.comment_statements(model=old) == []
    assert not [s for s in redshift.migration_statements(model=old) if "describe" in s]


def test_the_fingerprint_changes_with_a_description_from_the_dictionarys_version_on() -> None:
    # GIVEN a model at the dictionary's version and the same model with one table description edited
    model = _newer()
    edited = replace(model, tables=(replace(model.tables[0], description="edited"), *model.tables[1:]))
    # THEN their fingerprints differ: an edited description needs a new version to reach deployed warehouses
    assert redshift.ddl_fingerprint(edited) != redshift.ddl_fingerprint(model)


def test_the_data_dictionary_page_is_generated_from_the_model() -> None:
    # GIVEN the committed page WHEN it is regenerated the documented way
    generated = subprocess.run(
        [sys.executable, "-m", "energylake.warehouse.dictionary"], capture_output=True, encoding="utf-8", check=True
    ).stdout
    # THEN it is unchanged (regenerate: python -m energylake.warehouse.dictionary > docs/data-dictionary.md)
    assert PAGE.read_text(encoding="utf-8") == generated, "docs/data-dictionary.md is stale: regenerate it"
    # AND it names every table, view and column
    for obj in dictionary.describe():
        assert f"\n## {obj.name}\n" in generated
        for column in obj.columns:
            assert f"| `{column.name}` |" in generated
