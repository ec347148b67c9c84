"""The sample events in events/ name functions of the template (one per function), and `sam validate --lint`
passes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import REPO_ROOT
from tests.support.template import EVENTS, FUNCTIONS, TEMPLATE_PATH

# Sample events not named after their function (events/README.md): the backfill machine's input to PlanRunFunction.
EVENT_FUNCTION_EXCEPTIONS = {"plan_backfill.json": "PlanRunFunction"}


@pytest.mark.parametrize("event", sorted(path.name for path in EVENTS.glob("*.json")))
def test_each_sample_event_names_a_function(event: str) -> None:
    function = EVENT_FUNCTION_EXCEPTIONS.get(event) or (
        "".join(part.capitalize() for part in Path(event).stem.split("_")) + "Function"
    )
    assert function in FUNCTIONS, f"events/{event} is for {function}, which template.yaml does not declare"
    assert isinstance(json.loads((EVENTS / event).read_text()), dict)


def test_every_fetch_function_has_a_sample_event() -> None:
    events = {path.stem for path in EVENTS.glob("*.json")}
    assert {"fetch_ercot", "fetch_weather"} <= events


def test_every_function_has_a_sample_event() -> None:
    events = {path.stem for path in EVENTS.glob("*.json")}
    expected = {
        "".join(f"_{c.lower()}" if c.isupper() else c for c in name.removesuffix("Function")).lstrip("_")
        for name in FUNCTIONS
    }
    assert expected <= events, f"missing events/{sorted(expected - events)}.json"


@pytest.fixture(scope="session")
def sam_validate_lint() -> subprocess.CompletedProcess[str]:
    """One `sam validate --lint` per test session (about 6 s)."""
    sam = shutil.which("sam", path=str(Path(sys.executable).parent)) or shutil.which("sam")
    if sam is None:
        pytest.fail("sam (aws-sam-cli) is not installed: `make venv` installs it")
    environment = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "SAM_CLI_TELEMETRY": "0"}
    return subprocess.run(
        [sam, "validate", "--lint", "--template", str(TEMPLATE_PATH)],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
        cwd=REPO_ROOT,
        timeout=300,
    )


def test_sam_validate_lint_passes(sam_validate_lint: subprocess.CompletedProcess[str]) -> None:
    output = sam_validate_lint.stdout + sam_validate_lint.stderr
    assert sam_validate_lint.returncode == 0, output
    assert "is a valid SAM Template" in output
