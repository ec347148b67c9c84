"""The warehouse's first-run setup, run ONCE by a database administrator (idempotent: safe to run again): the schema,
two database roles and their grants, so the loader and the readers need nothing more.

Why: with IAM authentication the loader signs in as a database user created at its first sign-in (Serverless:
``IAMR:<IAM role name>``) that holds only what PUBLIC holds: it cannot create a schema, and nobody has granted
QuickSight's read-only user anything. The setup gives privileges to database ROLES, which do exist at deploy time,
and users get the roles:

* ``energylake_loader``: ``USAGE`` and ``CREATE`` on the schema, nothing else: the loader creates and therefore owns
  its tables, views and procedures (a migration ALTERs only what it owns), and needs no database-wide privilege. On
  Serverless the loader's IAM role carries the principal tag ``RedshiftDbRoles=energylake_loader``: Redshift
  Serverless grants the database roles that tag names when the role signs in
  (https://docs.aws.amazon.com/redshift/latest/mgmt/redshift-iam-access-federated-db-roles.html, "Signing in using
  IAM credentials"; the role also needs ``tag:GetResources`` and ``tag:GetTagKeys``). A provisioned cluster's
  loader user (``ENERGYLAKE_REDSHIFT_DB_USER``) is granted the role here instead (``loader_users``).
* ``energylake_reader``: ``USAGE`` on the schema here; ``SELECT`` on every table and view comes from the loader's
  migration, which ends with ``GRANT SELECT ON ALL TABLES IN SCHEMA ... TO ROLE energylake_reader`` (the owner grants
  on what it created; every table and view is created by a migration, so none is ever left out). QuickSight's
  read-only user (``reader_users``) gets this role.

Only long-established statement forms are used (``GRANT ... ON SCHEMA ... TO ROLE``, ``GRANT ROLE``, PL/pgSQL): a setup
statement Redshift refused would fail the deploy. If the loader's IAM role is ever replaced (a new ``IAMR:`` user),
the new user must be given the old one's objects: ``ALTER TABLE <schema>.<table> OWNER TO "IAMR:<new role>"`` for each
table and view, as an administrator.

Idempotence: ``CREATE SCHEMA IF NOT EXISTS``; roles are created and granted through two small procedures that act
only when the role is missing or not yet granted (``CREATE ROLE`` and ``GRANT ROLE`` have no ``IF NOT EXISTS``); a
GRANT of a privilege already held changes nothing. A user named in ``reader_users``/``loader_users`` who does not
exist yet is skipped with a notice (create it, then run the setup again).

Who runs it: for a namespace the stack creates, the deploy does (the ``WarehouseSetup`` custom resource,
:mod:`energylake.lambdas.warehouse_setup`, as the namespace's administrator through the Data API and the admin
secret Redshift manages). For an existing warehouse, print the SQL and run it as an administrator (query editor v2,
psql)::

    python -m energylake.warehouse.redshift.setup --schema energylake --reader-user quicksight_reader
    python -m energylake.warehouse.redshift.setup --loader-user loader   # provisioned: the loader's database user
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Final

from energylake.warehouse.redshift.sql import _identifier, sql_literal

__all__ = ["LOADER_ROLE", "READER_ROLE", "setup_script", "setup_statements"]

LOADER_ROLE: Final = "energylake_loader"
READER_ROLE: Final = "energylake_reader"
_CREATE_ROLE_PROCEDURE: Final = "energylake_setup_create_role"
_GRANT_ROLE_PROCEDURE: Final = "energylake_setup_grant_role"


def _user_literal(name: str) -> str:
    # Database user names may hold ':' (IAMR:role) and other characters identifiers may not; they reach SQL only as
    # checked literals (sql_literal refuses quotes, backslashes, semicolons and control characters) and quote_ident().
    if not name or len(name) > 128:
        raise ValueError(f"a database user name has 1..128 characters, got {name!r}")
    return sql_literal(name)


def _create_role_procedure(schema: str) -> str:
    return (
        f"CREATE OR REPLACE PROCEDURE {schema}.{_CREATE_ROLE_PROCEDURE}(p_role VARCHAR(128)) AS $$\n"
        "BEGIN\n"
        "    IF NOT EXISTS (SELECT 1 FROM svv_roles WHERE role_name = p_role) THEN\n"
        "        EXECUTE 'CREATE ROLE ' || quote_ident(p_role);\n"
        "    END IF;\n"
        "END;\n"
        "$$ LANGUAGE plpgsql"
    )


def _grant_role_procedure(schema: str) -> str:
    return (
        f"CREATE OR REPLACE PROCEDURE {schema}.{_GRANT_ROLE_PROCEDURE}(p_role VARCHAR(128), p_user VARCHAR(128))"
        " AS $$\n"
        "BEGIN\n"
        "    IF NOT EXISTS (SELECT 1 FROM pg_user WHERE usename = p_user) THEN\n"
        "        RAISE INFO 'no database user %: create it, then run the setup again', p_user;\n"
        "    ELSIF NOT EXISTS (SELECT 1 FROM svv_user_grants WHERE user_name = p_user AND role_name = p_role) THEN\n"
        "        EXECUTE 'GRANT ROLE ' || quote_ident(p_role) || ' TO ' || quote_ident(p_user);\n"
        "    END IF;\n"
        "END;\n"
        "$$ LANGUAGE plpgsql"
    )


def setup_statements(
    schema_name: str = "energylake",
    *,
    loader_role: str = LOADER_ROLE,
    reader_role: str = READER_ROLE,
    loader_users: Sequence[str] = (),
    reader_users: Sequence[str] = (),
) -> list[str]:
    """The setup, in order, one statement each (each idempotent; run them one by one, not as one transaction)."""
    schema = _identifier(schema_name, "schema_name")
    loader = _identifier(loader_role, "loader_role")
    reader = _identifier(reader_role, "reader_role")
    statements = [
        f"CREATE SCHEMA IF NOT EXISTS {schema}",
        _create_role_procedure(schema),
        _grant_role_procedure(schema),
        f"CALL {schema}.{_CREATE_ROLE_PROCEDURE}({sql_literal(loader)})",
        f"CALL {schema}.{_CREATE_ROLE_PROCEDURE}({sql_literal(reader)})",
        f"GRANT USAGE, CREATE ON SCHEMA {schema} TO ROLE {loader}",
        f"GRANT USAGE ON SCHEMA {schema} TO ROLE {reader}",
    ]
    statements += [
        f"CALL {schema}.{_GRANT_ROLE_PROCEDURE}({sql_literal(loader)}, {_user_literal(user)})" for user in loader_users
    ]
    statements += [
        f"CALL {schema}.{_GRANT_ROLE_PROCEDURE}({sql_literal(reader)}, {_user_literal(user)})" for user in reader_users
    ]
    return statements


def setup_script(statements: Sequence[str]) -> str:
    """The statements as one SQL script (what an administrator pastes into query editor v2 or psql)."""
    header = (
        "-- energylake warehouse setup: run as a database administrator; idempotent (safe to run again).\n"
        "-- Generated by: python -m energylake.warehouse.redshift.setup\n"
    )
    return header + "".join(f"{statement};\n" for statement in statements)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m energylake.warehouse.redshift.setup",
        description="Print the warehouse setup SQL (schema, database roles, grants) for an administrator to run.",
    )
    parser.add_argument("--schema", default="energylake", help="warehouse schema (ENERGYLAKE_REDSHIFT_SCHEMA_NAME)")
    parser.add_argument("--loader-user", action="append", default=[], help="database user granted the loader role")
    parser.add_argument("--reader-user", action="append", default=[], help="database user granted the reader role")
    arguments = parser.parse_args(argv)
    try:
        statements = setup_statements(
            arguments.schema, loader_users=arguments.loader_user, reader_users=arguments.reader_user
        )
    except ValueError as exc:
        parser.error(str(exc))
    sys.stdout.write(setup_script(statements))
    return 0


if __name__ == "__main__":
    sys.exit(main())
