"""Each handler's Tracer patches only the libraries its function calls, as on Lambda with tracing active.

A bare ``Tracer()`` patches every library the X-Ray SDK supports and imports each one installed to do so: botocore's
client machinery, httpx, sqlite3, requests... on every cold start, also in functions that never call them. The tests
import each handler in a fresh interpreter with Lambda's environment (tracing on: the unit tests' own environment turns
it off), then make an S3 call and an HTTP request through the package's own clients inside a method the handler's tracer
captures, and read which of them X-Ray recorded.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from typing import TypedDict

import pytest

from tests.support.paths import REPO_ROOT

HANDLERS = sorted(path.parent.name for path in (REPO_ROOT / "functions").glob("*/app.py"))

# What each function calls that X-Ray can trace (read from energylake.lambdas.<function>): the oracle the handlers'
# Tracers are checked against. A new function must say what it calls here.
CALLS: dict[str, set[str]] = {
    "build_gold": {"botocore"},  # S3: silver downloads, gold puts and deletes
    "fetch_ercot": {"botocore", "httpx"},  # S3, Secrets Manager, the rate-limit table; ERCOT's API
    "fetch_weather": {"botocore", "httpx"},  # S3; Open-Meteo's API
    "load_redshift": {"botocore"},  # S3 listings, Redshift's AWS APIs
    "plan_run": set(),  # plans from its event and the clock alone
    "publish_glue_artifacts": set(),  # no Tracer: a custom resource run once a deploy
    "quality_gate": {"botocore"},  # S3
    "start_run": {"botocore"},  # Step Functions
    "trigger_glue": {"botocore"},  # Glue
    "validate": {"botocore"},  # S3
    "warehouse_setup": set(),  # no Tracer: a custom resource run once a deploy
}
# Custom resources, run by CloudFormation once a deploy: no Tracer at all.
CUSTOM_RESOURCES = ("publish_glue_artifacts", "warehouse_setup")
# The subsegment X-Ray records for each library's call in the probe: botocore names it by the endpoint prefix, httpx by
# the host.
SUBSEGMENT = {"botocore": "s3", "httpx": "api.example.test"}

# Runs in a fresh interpreter: the layer folder (/opt/python) and the function folder (the task root) in front of the
# venv's packages, the repository and the editable install out, as in test_handler_imports.
PROBE = """
import json, sys
repo, layer, function_dir = sys.argv[1:4]
sys.path[:] = [function_dir, layer] + [p for p in sys.path if p and p != repo and "__editable__" not in p]
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in type(f).__module__.lower()]
import app

loaded = set(sys.modules)
patcher = sys.modules.get("aws_xray_sdk.core.patcher")
report = {
    "patched": sorted(patcher._PATCHED_MODULES) if patcher else [],
    "botocore_sdk": sorted(name for name in loaded if name.startswith("botocore.")),
    "unused_patchable": sorted(name for name in ("sqlite3", "requests") if name in loaded),
    "traced": None,
}
tracer = getattr(app, "tracer", None)
if tracer is not None:
    import httpx
    from aws_xray_sdk.core import xray_recorder
    from botocore.stub import Stubber

    from energylake.lambdas._shared import aws_client
    from energylake.settings import get_settings
    from energylake.sources.http import make_client

    class Recorded:  # the X-Ray emitter: keeps what would go to the daemon
        def __init__(self):
            self.entities = []

        def send_entity(self, entity):
            self.entities.append(entity)

        def set_daemon_address(self, address):
            pass

    recorded = Recorded()
    xray_recorder.configure(emitter=recorded)

    def calls():
        s3 = aws_client("s3")
        with Stubber(s3) as stub:
            stub.add_response("list_objects_v2", {"KeyCount": 0}, {"Bucket": "lake"})
            s3.list_objects_v2(Bucket="lake")
        with make_client(get_settings(), httpx.MockTransport(lambda request: httpx.Response(200))) as client:
            client.get("https://api.example.test/data")

    tracer.capture_method(calls)()

    def names(entity):
        yield entity.name
        for child in entity.subsegments:
            yield from names(child)

    report["traced"] = sorted({name for entity in recorded.entities for name in names(entity)})
print(json.dumps(report))
"""


class ProbeReport(TypedDict):
    patched: list[str]  # the X-Ray SDK's record of the libraries it patched
    botocore_sdk: list[str]  # botocore.* modules loaded by the import
    unused_patchable: list[str]
    traced: list[str] | None  # names of the recorded (sub)segments; None without a tracer


@functools.cache
def probe(name: str) -> ProbeReport:
    """The probe's report for one handler (run once, read by every test of that handler)."""
    function_dir = REPO_ROOT / "functions" / name
    layer = REPO_ROOT / "layers" / "common"
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, str(REPO_ROOT), str(layer), str(function_dir)],
        capture_output=True,
        text=True,
        check=False,
        env={
            "PATH": "/usr/bin:/bin",
            "AWS_DEFAULT_REGION": "us-east-1",
            # What Lambda sets: a task root turns Powertools' Tracer on; the trace header gives X-Ray its segment.
            "LAMBDA_TASK_ROOT": str(function_dir),
            "AWS_LAMBDA_FUNCTION_NAME": f"test-{name}",
            "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
            # Never a credential lookup (instance metadata): the S3 call is stubbed.
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "ENERGYLAKE_LAKE_URI": "s3://lake/",
        },
    )
    assert completed.returncode == 0, completed.stderr
    report: ProbeReport = json.loads(completed.stdout.strip().splitlines()[-1])
    return report


def test_every_function_says_what_it_calls() -> None:
    # GIVEN the functions in functions/  THEN each has an entry in CALLS (a new function must choose its patches)
    assert sorted(CALLS) == HANDLERS


@pytest.mark.parametrize("name", HANDLERS)
def test_import_patches_only_the_libraries_the_function_calls(name: str) -> None:
    # GIVEN Lambda's environment with tracing active
    # WHEN the handler is imported in a fresh interpreter
    report = probe(name)
    # THEN X-Ray patched exactly what the function calls
    assert set(report["patched"]) == CALLS[name]
    # AND botocore's SDK is imported at cold start only where it is patched (Powertools itself imports the bare
    # botocore package, its __init__ alone, for its user-agent hook: so the test looks for botocore.* modules)
    if "botocore" in CALLS[name]:
        assert "botocore.client" in report["botocore_sdk"]
    else:
        assert report["botocore_sdk"] == [], f"{name} imports botocore's SDK at cold start without calling AWS"
    # AND no library the X-Ray SDK could patch but no function uses is imported (a bare Tracer() imports them all)
    assert report["unused_patchable"] == []


def test_plan_run_imports_no_botocore_module() -> None:
    # GIVEN PlanRunFunction, which calls no AWS API  WHEN its handler is imported with tracing active
    report = probe("plan_run")
    # THEN nothing is patched and no botocore.* module is loaded
    assert report["patched"] == []
    assert report["botocore_sdk"] == []


@pytest.mark.parametrize("name", [name for name in HANDLERS if name not in CUSTOM_RESOURCES])
def test_calls_of_patched_libraries_are_traced(name: str) -> None:
    # GIVEN the handler's tracer, as imported on Lambda with tracing active
    # WHEN an S3 call and an HTTP request run inside a method it captures
    traced = probe(name)["traced"]
    assert traced is not None
    # THEN the method itself is traced in every function
    assert "## __main__.calls" in traced
    # AND a call is recorded exactly when its library is patched: tracing still works where patched, and a function
    # that patches nothing records only its own segments
    recorded = {library for library, subsegment in SUBSEGMENT.items() if subsegment in traced}
    assert recorded == CALLS[name]


@pytest.mark.parametrize("name", CUSTOM_RESOURCES)
def test_the_custom_resource_functions_have_no_tracer(name: str) -> None:
    # GIVEN a custom resource's function (run once a deploy)  WHEN its handler is imported
    report = probe(name)
    # THEN it builds no Tracer: nothing is patched and no X-Ray trace is recorded
    assert report["traced"] is None
    assert report["patched"] == []


def test_a_tracer_without_patches_does_not_stop_a_later_one_from_patching() -> None:
    # GIVEN a process where tracer_patching() (no library) ran first: Powertools keeps auto_patch on its class
    script = (
        "from energylake.lambdas._shared import tracer_patching\n"
        "tracer_patching()\n"
        "tracer_patching('httpx')\n"
        "from aws_xray_sdk.core.patcher import _PATCHED_MODULES\n"
        "print(sorted(_PATCHED_MODULES))\n"
    )
    # WHEN a second tracer asks for httpx, with tracing active
    completed = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1", "LAMBDA_TASK_ROOT": str(REPO_ROOT)},
    )
    assert completed.returncode == 0, completed.stderr
    # THEN httpx is patched all the same
    assert completed.stdout.split() == ["['httpx']"]
