"""Ctrl-C while the dashboard queries the warehouse: the interrupt it is (exit 130), not "dashboard failed" (exit 1).

DuckDB turns a Ctrl-C into its own error: Python's SIGINT handler runs, then the query raises ``RuntimeError('Query
interrupted')``. The stand-in below does exactly that, in process.
"""

from __future__ import annotations

import contextlib
import signal
from pathlib import Path

import pytest

from energylake.errors import StageError
from energylake.lake.storage import LocalStorage
from energylake.local import dashboard
from energylake.local.console import write_dashboard
from energylake.local.options import Plan


def plan_for(tmp_path: Path) -> Plan:
    lake = LocalStorage(tmp_path / "lake")
    return Plan(lake.uri, lake, str(tmp_path / "warehouse.duckdb"), str(tmp_path / "d.html"), None, ())


def test_ctrl_c_during_the_dashboards_query_is_an_interrupt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a dashboard whose warehouse query is interrupted as DuckDB does it (the handler runs, then its error)
    def interrupted_query(*args: object, **kwargs: object) -> str:
        handler = signal.getsignal(signal.SIGINT)
        assert callable(handler)
        with contextlib.suppress(KeyboardInterrupt):  # DuckDB swallows it and raises its own error
            handler(signal.SIGINT, None)
        raise RuntimeError("Query interrupted")

    monkeypatch.setattr(dashboard, "write_dashboard", interrupted_query)
    # WHEN the dashboard stage runs THEN the interrupt comes through as the interrupt
    with pytest.raises(KeyboardInterrupt):
        write_dashboard(plan_for(tmp_path))


def test_a_real_dashboard_failure_is_still_a_stage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a dashboard query that fails with no Ctrl-C
    def failing_query(*args: object, **kwargs: object) -> str:
        raise RuntimeError("Catalog Error: Table with name v_x does not exist")

    monkeypatch.setattr(dashboard, "write_dashboard", failing_query)
    # WHEN the dashboard stage runs THEN it fails as the dashboard stage, naming the cause
    with pytest.raises(StageError, match="v_x does not exist"):
        write_dashboard(plan_for(tmp_path))
