"""The local CLI as a user runs it (``python -m energylake.local`` in a child process), and what it leaves behind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def energylake(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """``energylake <args>`` in a fresh process (the test's environment, so no ENERGYLAKE_* from the shell)."""
    return subprocess.run(
        [sys.executable, "-m", "energylake.local", *args], capture_output=True, text=True, check=False, timeout=timeout
    )


def files_under(folder: Path) -> list[Path]:
    """Every file below ``folder``, sorted (empty when the folder does not exist)."""
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []
