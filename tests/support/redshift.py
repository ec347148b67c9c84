"""A DB-API connection that records Redshift statements instead of executing them (redshift_connector cannot talk to
a stock PostgreSQL, so the loader's SQL is checked as recorded statements)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class StatementFailedError(Exception):
    """What the fake raises where Redshift would (e.g. a COPY whose Parquet does not match the stage table)."""


@dataclass
class RecordingConnection:
    """Records every ``execute`` (its SQL), ``commit``, ``rollback`` and ``close`` in one ordered log.

    ``fail_when(sql)`` True makes that ``execute`` raise (after recording it), as a failing statement would.
    ``rowcount`` is what the cursor reports after each statement (a COPY/MERGE count on Redshift).
    """

    fail_when: Callable[[str], bool] = lambda sql: False
    rowcount: int = 7
    # What a SELECT returns (the freshness query after the loads): (dataset, minutes behind) rows.
    select_rows: list[tuple[str, int | None]] = field(default_factory=lambda: [("spp_rt", 21), ("weather", None)])
    log: list[str] = field(default_factory=list)
    autocommit: bool = True  # the driver's default is False; the loader must set it off itself

    def cursor(self) -> RecordingCursor:
        return RecordingCursor(self)

    def commit(self) -> None:
        self.log.append("<commit>")

    def rollback(self) -> None:
        self.log.append("<rollback>")

    def close(self) -> None:
        self.log.append("<close>")

    @property
    def statements(self) -> list[str]:
        return [entry for entry in self.log if not entry.startswith("<")]


@dataclass
class RecordingCursor:
    connection: RecordingConnection
    rowcount: int = -1

    def execute(self, operation: str, args: Any = None) -> RecordingCursor:
        assert args is None, "the loader inlines checked literals; it binds no parameters"
        assert self.connection.autocommit is False, "statements must run with autocommit off"
        self.connection.log.append(operation)
        if self.connection.fail_when(operation):
            raise StatementFailedError(f"ERROR: statement failed: {operation.split(chr(10), maxsplit=1)[0][:60]}")
        self.rowcount = self.connection.rowcount
        return self

    def fetchall(self) -> list[tuple[str, int | None]]:
        last = self.connection.statements[-1]
        assert last.lstrip().upper().startswith("SELECT"), f"fetchall after a non-SELECT: {last[:60]}"
        return list(self.connection.select_rows)
