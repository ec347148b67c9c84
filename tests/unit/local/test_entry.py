"""The command's entry point: a Ctrl-C that escapes the CLI's own handler is still one line and exit 130."""

from __future__ import annotations

import pytest

from energylake.local import cli, entry


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
