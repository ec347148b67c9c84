"""Where the repository and the shared real data are (tests read real ERCOT files by path, never copies)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
REALDATA = REPO_ROOT.parent / "shared" / "realdata"


def realdata_path(*parts: str) -> Path:
    """A path under ../shared/realdata, or skip the test with the reason when that folder is absent."""
    path = REALDATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not available: {path} is absent (../shared/realdata is only on project machines)")
    return path
