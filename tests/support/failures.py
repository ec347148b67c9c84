"""What an operator's machine does to a run: another process holding the warehouse, a disk that fills up.

:func:`warehouse_holder` is a notebook in a child process (a DuckDB connection on the file, read-only or not) that
lets go when told; :func:`energylake_with_file_limit` runs the CLI with ``RLIMIT_FSIZE`` set and SIGXFSZ ignored, so
every write past the limit fails with EFBIG ("File too large"), the closest to a full disk a test gets without root.
"""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_HOLDER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "read_only")
print("holding", flush=True)
sys.stdin.read()  # until the test closes our stdin
con.close()
"""


@contextmanager
def warehouse_holder(warehouse: Path, *, read_only: bool = True) -> Iterator[subprocess.Popen[str]]:
    """A child process holding ``warehouse`` open until the block ends (or :func:`release` is called)."""
    mode = "read_only" if read_only else "read_write"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(warehouse), mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        line = holder.stdout.readline()
        assert line.strip() == "holding", (line, holder.stderr.read() if holder.stderr else "")
        yield holder
    finally:
        release(holder)


def release(holder: subprocess.Popen[str]) -> None:
    """Tell the holder to close its connection and wait for it to exit."""
    if holder.stdin is not None and not holder.stdin.closed:
        holder.stdin.close()
    holder.wait(timeout=30)


def wait_for_text(path: Path, text: str, *, timeout: float = 60) -> None:
    """Block until ``path`` holds ``text`` (a log line saying a stage is under way), polling; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.is_file() and text in path.read_text(errors="replace"):
            return
        time.sleep(0.05)
    raise AssertionError(f"{text!r} never appeared in {path}")


def energylake_with_file_limit(*args: str, limit_bytes: int, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """``energylake <args>`` in a child process that cannot write any file past ``limit_bytes`` (EFBIG)."""

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of the signal's default: killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return subprocess.run(
        [sys.executable, "-m", "energylake.local", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        preexec_fn=limited,  # only sets a limit and a signal disposition: safe before exec
    )


def stderr_lines(stderr: str) -> list[str]:
    """The lines a person sees on stderr (the progress bar leaves an empty one behind on a pipe)."""
    return [line for line in stderr.splitlines() if line.strip()]
