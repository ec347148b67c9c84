"""The command's entry point: a Ctrl-C that escapes the CLI's own handler is still one line and exit 130."""

from __future__ import annotations

import subprocess
import sys

import pytest

from energylake.local import cli, entry


@pytest.fixture(autouse=True)
def untuned(monkeypatch: pytest.MonkeyPatch) -> None:
    """The collector is the command process's own: in-process tests leave pytest's alone."""
    monkeypatch.setattr(entry, "tune_collector", lambda: None)


def test_an_interrupt_outside_the_clis_handler_is_one_line_and_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a CLI interrupted where its own handler does not reach (argument parsing, its clean-up)
    def interrupted(argv: object = None) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "main", interrupted)
    # WHEN the command runs
    code = entry.main(["status"])
    # THEN exit 130 and one line saying to rerun (not "nothing was done": work may have started)
    lines = capsys.readouterr().err.splitlines()
    assert code == 130
    assert lines == [
        "energylake: interrupted; rerun the same command to resume (completed work is kept, reruns are safe)"
    ]


def test_the_clis_exit_code_passes_through(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a CLI that ends with its own code WHEN the command runs THEN that code is the command's
    monkeypatch.setattr(cli, "main", lambda argv=None: 3)
    assert entry.main(["run"]) == 3


def test_the_commands_process_collects_young_garbage_less_often_with_its_imports_frozen() -> None:
    # GIVEN the command's own process WHEN it runs a command THEN its collector has the command's thresholds and
    # what it imported is frozen out of collections
    probe = (
        "import gc; from energylake.local import entry; code = entry.main(['--version']); "
        "print(gc.get_threshold(), gc.get_freeze_count() > 1000, code)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    assert done.stdout.splitlines()[-1] == f"{entry.COLLECTOR_THRESHOLDS} True 0"
