"""The layer installs exactly what the package declares, and the package exposes its public API lazily."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import energylake
from tests.support.paths import REPO_ROOT


def _requirement_lines(text: str) -> set[str]:
    return {line.split("#")[0].strip() for line in text.splitlines() if line.split("#")[0].strip()}


def test_layer_requirements_match_the_package_dependencies() -> None:
    declared = set(tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"])
    layer = _requirement_lines((REPO_ROOT / "layers/common/requirements.txt").read_text())
    assert layer == declared


def test_every_public_name_resolves() -> None:
    for name in energylake.__all__:
        assert getattr(energylake, name) is not None


def test_importing_the_package_loads_no_third_party_code() -> None:
    probe = "import sys, energylake; print(sorted(m for m in ('pydantic', 'httpx', 'boto3') if m in sys.modules))"
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "[]"
