"""Each handler imports with only the layer's package on the path, and without heavy data libraries."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support.paths import REPO_ROOT

HANDLERS = sorted(path.parent.name for path in (REPO_ROOT / "functions").glob("*/app.py"))
FETCH_HANDLERS = [name for name in HANDLERS if name.startswith("fetch_")]

# Runs in a fresh interpreter: drop the repo and the editable install from sys.path, put the layer folder
# (what Lambda mounts at /opt/python) and the function folder (the task root) in front, import, report.
PROBE = """
import json, sys
repo, layer, function_dir = sys.argv[1:4]
sys.path[:] = [function_dir, layer] + [p for p in sys.path if p and p != repo and "__editable__" not in p]
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in type(f).__module__.lower()]
import app
import energylake
print(json.dumps({
    "energylake_from": energylake.__file__,
    "has_handler": callable(getattr(app, "lambda_handler", None)),
    "heavy": sorted(m for m in ("pyarrow", "pandas", "pyspark", "duckdb", "numpy") if m in sys.modules),
    "dev_only": sorted(m for m in ("moto", "pytest", "respx") if m in sys.modules),
}))
"""


def test_there_is_a_handler_for_each_fetch_function() -> None:
    assert FETCH_HANDLERS == ["fetch_ercot", "fetch_weather"]


@pytest.mark.parametrize("name", HANDLERS)
def test_handler_imports_from_the_layer_alone(name: str) -> None:
    layer = REPO_ROOT / "layers" / "common"
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, str(REPO_ROOT), str(layer), str(REPO_ROOT / "functions" / name)],
        capture_output=True,
        text=True,
        check=False,
        env={"AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_TRACE_DISABLED": "1", "PATH": "/usr/bin:/bin"},
    )
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["energylake_from"].startswith(str(layer))
    assert report["has_handler"]
    assert report["dev_only"] == []
    # No handler loads a data library when it is imported: the ones that parse or load (validate, load_redshift)
    # load pyarrow with their first record or event, so a cold start without work does not pay for it.
    assert report["heavy"] == [], f"{name} must not import {report['heavy']} at import time (cold start)"
