"""A handler's import loads only what building its Logger, Tracer and Metrics needs; what its body uses loads with the
first event (issue 16: imports at most 1.5x boto3 + Logger, measured by benchmarks/run.py).

Each handler is imported in a fresh interpreter with Lambda's environment (tracing on, so Tracer patches its libraries
at import as on a cold start); the test reads which of the modules a body needs were loaded. Then one event is handled
to show that the deferred modules do load when the body runs.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support.paths import REPO_ROOT

HANDLERS = sorted(path.parent.name for path in (REPO_ROOT / "functions").glob("*/app.py"))

# Modules no handler's import needs (each costs a cold start 5-100 ms; energylake.settings pulls pydantic-settings):
# they are loaded by the code that uses them, on the first event.
DEFERRED = (
    "pydantic_settings",
    "energylake.settings",
    "energylake.plan",
    "energylake.lake.landing",
    "energylake.warehouse.redshift.load",
    "aws_lambda_powertools.utilities.parser",
    "aws_lambda_powertools.utilities.batch",
)
# publish_glue_artifacts (a custom resource run once a deploy) reads its settings at import.
READS_SETTINGS_AT_IMPORT = {"publish_glue_artifacts"}

PROBE = """
import json, sys
repo, layer, function_dir, event = sys.argv[1:5]
sys.path[:] = [function_dir, layer] + [p for p in sys.path if p and p != repo and "__editable__" not in p]
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in type(f).__module__.lower()]
import app
at_import = sorted(sys.modules)
after_event = None
if event:
    from energylake.lambdas import validate
    validate.notification_model().model_validate(json.loads(event))
    after_event = sorted(sys.modules)
print(json.dumps({"at_import": at_import, "after_event": after_event}))
"""


def loaded_modules(function: str, event: str = "") -> dict[str, list[str] | None]:
    function_dir = REPO_ROOT / "functions" / function
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, str(REPO_ROOT), str(REPO_ROOT / "layers" / "common"), str(function_dir), event],
        capture_output=True,
        text=True,
        check=False,
        env={
            "PATH": "/usr/bin:/bin",
            "AWS_DEFAULT_REGION": "us-east-1",
            "POWERTOOLS_SERVICE_NAME": "test",
            "POWERTOOLS_METRICS_NAMESPACE": "energylake",
            "ENERGYLAKE_LAKE_URI": "s3://energylake-test/",
            "LAMBDA_TASK_ROOT": str(function_dir),
            "AWS_LAMBDA_FUNCTION_NAME": f"test-{function}",
        },
    )
    assert completed.returncode == 0, completed.stderr
    report: dict[str, list[str] | None] = json.loads(completed.stdout.strip().splitlines()[-1])
    return report


def deferred_in(modules: list[str] | None) -> list[str]:
    return [name for name in DEFERRED if name in (modules or [])]


@pytest.mark.parametrize("function", HANDLERS)
def test_a_handler_import_leaves_what_its_body_uses_for_the_first_event(function: str) -> None:
    # GIVEN a function's handler, imported as a cold start imports it (tracing on)
    # WHEN its import is done
    loaded = deferred_in(loaded_modules(function)["at_import"])
    # THEN none of the modules only its body needs is loaded yet
    allowed = {"pydantic_settings", "energylake.settings"} if function in READS_SETTINGS_AT_IMPORT else set()
    assert [name for name in loaded if name not in allowed] == [], f"{function} imports at import time: {loaded}"


def test_the_validate_handler_loads_the_s3_notification_models_with_its_first_message() -> None:
    # GIVEN the validate handler, imported without Powertools' parser models
    event = json.dumps({"Records": []})
    # WHEN the S3 notification model validates its first message body
    report = loaded_modules("validate", event)
    # THEN the parser models (and pydantic: validate has no event model of its own) were not there at import and are
    # there after the message
    for module in ("aws_lambda_powertools.utilities.parser", "pydantic"):
        assert module not in (report["at_import"] or []), f"validate imports {module} at import time"
        assert module in (report["after_event"] or [])
