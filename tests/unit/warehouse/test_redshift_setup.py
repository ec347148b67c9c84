"""The warehouse's first-run setup SQL (what the WarehouseSetup custom resource runs as the namespace's administrator,
and what `python -m energylake.warehouse.redshift.setup` prints for an existing warehouse): it parses as Redshift,
creates what the loader and the readers need, and is idempotent statement by statement."""

from __future__ import annotations

import re

import pytest
import sqlglot
from sqlglot import exp

from energylake.errors import InvalidRequestError
from energylake.warehouse.redshift.setup import LOADER_ROLE, READER_ROLE, main, setup_script, setup_statements

# The forms sqlglot does not model (it falls back to an opaque Command): each must be exactly one of these shapes.
_COMMAND_SHAPES = (
    r"CALL energylake\.energylake_setup_(create_role|grant_role)\('[a-z_]+'(, '[A-Za-z0-9_:.@+=-]+')?\)"
    r"|GRANT USAGE(, CREATE)? ON SCHEMA energylake TO ROLE energylake_(loader|reader)"
)


def _statements() -> list[str]:
    return setup_statements(loader_users=["IAMR:energylake-LoadRedshiftRole-ABC"], reader_users=["quicksight_reader"])


def test_every_setup_statement_parses_as_redshift() -> None:
    for statement in _statements():
        parsed = sqlglot.parse(statement, read="redshift", error_level=sqlglot.ErrorLevel.RAISE)
        assert len(parsed) == 1 and parsed[0] is not None, statement
        if isinstance(parsed[0], exp.Command):
            assert re.fullmatch(_COMMAND_SHAPES, statement), statement


def test_the_setup_gives_the_loader_a_schema_to_create_in_and_the_reader_usage_through_roles() -> None:
    statements = _statements()
    # GIVEN the setup THEN: the schema (the loader may not create one: its IAMR user holds only PUBLIC) ...
    assert statements[0] == "CREATE SCHEMA IF NOT EXISTS energylake"
    # ... both database roles, created only when missing (CREATE ROLE has no IF NOT EXISTS)
    assert "CALL energylake.energylake_setup_create_role('energylake_loader')" in statements
    assert "CALL energylake.energylake_setup_create_role('energylake_reader')" in statements
    create_role = next(s for s in statements if "PROCEDURE energylake.energylake_setup_create_role" in s)
    assert "IF NOT EXISTS (SELECT 1 FROM svv_roles WHERE role_name = p_role) THEN" in create_role
    assert "EXECUTE 'CREATE ROLE ' || quote_ident(p_role)" in create_role
    # ... the loader role may create in the schema (it owns what it creates); the reader role may use it
    assert "GRANT USAGE, CREATE ON SCHEMA energylake TO ROLE energylake_loader" in statements
    assert "GRANT USAGE ON SCHEMA energylake TO ROLE energylake_reader" in statements
    # ... and users get roles only when they exist and do not hold them yet (a rerun grants nothing twice)
    grant_role = next(s for s in statements if "PROCEDURE energylake.energylake_setup_grant_role" in s)
    assert "IF NOT EXISTS (SELECT 1 FROM pg_user WHERE usename = p_user) THEN" in grant_role
    assert (
        "ELSIF NOT EXISTS (SELECT 1 FROM svv_user_grants WHERE user_name = p_user AND role_name = p_role)" in grant_role
    )
    assert statements[-2:] == [
        "CALL energylake.energylake_setup_grant_role('energylake_loader', 'IAMR:energylake-LoadRedshiftRole-ABC')",
        "CALL energylake.energylake_setup_grant_role('energylake_reader', 'quicksight_reader')",
    ]
    assert (LOADER_ROLE, READER_ROLE) == ("energylake_loader", "energylake_reader")


def test_every_statement_is_safe_to_run_again() -> None:
    # Each statement is idempotent on its own (the custom resource runs them one by one, and a rerun converges):
    # IF NOT EXISTS, CREATE OR REPLACE, a guarded CALL, or a GRANT (granting what is held changes nothing).
    for statement in _statements():
        assert statement.startswith(
            ("CREATE SCHEMA IF NOT EXISTS ", "CREATE OR REPLACE PROCEDURE ", "CALL ", "GRANT ")
        ), statement
    # no user is created, dropped or given a password by the setup
    assert not [s for s in _statements() if re.search(r"\b(CREATE|DROP|ALTER) USER\b|PASSWORD", s)]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"schema_name": "Energy; DROP"}, "schema_name"),
        ({"reader_role": "reader'"}, "reader_role"),
        ({"reader_users": ["quick'sight"]}, "refusing a SQL literal"),
        ({"loader_users": [""]}, "1..128 characters"),
    ],
)
def test_bad_names_are_refused(arguments: dict[str, object], message: str) -> None:
    with pytest.raises((InvalidRequestError, ValueError), match=message):
        setup_statements(**arguments)  # type: ignore[arg-type]


def test_the_command_prints_a_script_an_administrator_can_paste(capsys: pytest.CaptureFixture[str]) -> None:
    # WHEN the setup is printed for another schema and QuickSight's user
    assert main(["--schema", "analytics", "--reader-user", "quicksight_reader"]) == 0
    script = capsys.readouterr().out
    # THEN one statement per line ending in ';', the schema and user as given, ready for query editor v2 or psql
    assert script.startswith("-- energylake warehouse setup: run as a database administrator")
    assert "CREATE SCHEMA IF NOT EXISTS analytics;\n" in script
    assert "CALL analytics.energylake_setup_grant_role('energylake_reader', 'quicksight_reader');\n" in script
    assert script == setup_script(setup_statements("analytics", reader_users=["quicksight_reader"]))
    assert len(sqlglot.parse(script, read="redshift")) == len(setup_statements("analytics", reader_users=["x"]))


def test_the_command_refuses_a_bad_schema_name(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--schema", "Bad-Name"])
    assert caught.value.code == 2
    assert "schema_name must be a lower-case SQL identifier" in capsys.readouterr().err
