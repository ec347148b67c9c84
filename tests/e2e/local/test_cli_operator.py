"""`energylake` for an operator (issue 15, "Also for the operator"): --version, help that shows every default in
plain text, `status --lake <a file>` refused, and an exit code that tells a run with quarantined groups (3) from one
without (0), with one line per quarantined group."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from energylake import __version__
from energylake.local import cli
from energylake.local.options import build_parser
from tests.support.cli import energylake

DAY = ["--start", "2024-11-05", "--end", "2024-11-05"]


def subcommands() -> dict[str, argparse.ArgumentParser]:
    [choices] = [action for action in build_parser()._actions if isinstance(action, argparse._SubParsersAction)]
    return dict(choices.choices)


def test_version_prints_the_package_version() -> None:
    # WHEN an operator asks for the version THEN it is printed, exit 0
    done = energylake("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"energylake {__version__}"


@pytest.mark.parametrize("command", sorted(subcommands()))
def test_help_shows_every_default(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    parser = subcommands()[command]
    # WHEN `energylake <command> --help` runs
    assert cli.main([command, "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())  # unwrapped: a default may sit on the next line
    # THEN every option that has a default says it, next to its own help
    for action in parser._actions:
        if not action.option_strings or action.default in (None, False, argparse.SUPPRESS):
            continue
        option = action.option_strings[-1]
        described = text[text.rindex(option) :]
        following = re.search(r" --?[a-z]", described[len(option) + 1 :])
        own = described[: len(option) + 1 + following.start()] if following else described
        assert "default" in own, f"{command} {option}: {own}"


def test_run_help_says_the_source_is_live_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["run", "--help"]) == 0
    assert "(default live)" in " ".join(capsys.readouterr().out.split())


def test_top_level_help_is_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    # WHEN `energylake --help` runs THEN it lists the commands and exit codes, with no reStructuredText markup
    assert cli.main(["--help"]) == 0
    text = capsys.readouterr().out
    assert "Exit codes" in text and "3 finished, with quarantined groups" in text
    for markup in ("``", ":class:", ":func:", ":mod:", "~energylake"):
        assert markup not in text, markup


def test_status_of_a_lake_that_is_a_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN --lake naming a file WHEN status runs
    lake = tmp_path / "lake"
    lake.write_text("not a lake")
    code = cli.main(["status", "--lake", str(lake)])
    # THEN it exits 2 in one line saying the lake is a file (not "no lake here yet")
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and f"{str(lake)!r} is a file" in err, err


def tamper_spp_dam_after_fetch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every spp_dam reply changed on disk right after landing: its group fails curation's hash check."""
    from energylake.local import runner

    real_fetch = runner.fetch

    def fetch_then_tamper(window: object, dataset: str, lake: object, connection: object) -> object:
        result = real_fetch(window, dataset, lake, connection)  # type: ignore[arg-type]
        root = getattr(getattr(lake, "location", None), "path", None)
        if dataset == "spp_dam" and root is not None:
            for member in Path(root).glob("raw/source=ercot/dataset=spp_dam/**/*.json"):
                if "_manifests" not in member.parts:
                    member.write_bytes(member.read_bytes().replace(b"{", b"{ ", 1))
        return result

    monkeypatch.setattr(runner, "fetch", fetch_then_tamper)


def test_a_run_with_a_quarantined_group_exits_3_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a run whose spp_dam group is quarantined (its reply changed after landing) and whose weather passes
    tamper_spp_dam_after_fetch(monkeypatch)
    lake = str(tmp_path / "lake")
    args = ["run", "--source", "sample", *DAY, "--dataset", "spp_dam", "--dataset", "weather", "--lake", lake]
    # WHEN it runs
    code = cli.main(args)
    out = capsys.readouterr().out
    # THEN it finished (the summary, the dashboard) with exit 3, and one line names the quarantined group
    assert code == 3
    assert "dashboard:" in out
    [line] = [line for line in out.splitlines() if line.startswith("quarantined ")]
    assert line.startswith("quarantined spp_dam "), line
    # WHEN the day is reprocessed as JSON THEN still 3, stdout stays JSON and stderr names the group
    code = cli.main(["reprocess", *DAY, "--dataset", "spp_dam", "--dataset", "weather", "--lake", lake, "--json"])
    captured = capsys.readouterr()
    assert code == 3
    assert captured.out.lstrip().startswith("[")
    assert [line for line in captured.err.splitlines() if line.startswith("quarantined spp_dam ")]


def test_a_run_without_quarantine_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN nothing tampered WHEN the same run runs THEN exit 0, no quarantine line
    args = ["run", "--source", "sample", *DAY, "--dataset", "spp_dam", "--lake", str(tmp_path / "lake")]
    assert cli.main(args) == 0
    assert "quarantined spp_dam" not in capsys.readouterr().out
