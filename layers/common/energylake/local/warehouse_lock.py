"""The DuckDB warehouse file's lock, taken before a command's work rather than when its load finally opens the file.

DuckDB locks its file with ``fcntl`` (a write lock for a read-write connection, a read lock for a read-only one) and
reports the holder's PID to whoever is refused. :func:`warehouse_held` takes the same write lock up front, waiting a
bounded time for a notebook or another run to let go, so a command that will load fails in its first second, not
after a minute of fetching. fcntl locks belong to the process: the load's own DuckDB connection, in this process,
opens the file under it, and DuckDB's close releases it (POSIX drops a process's locks on a file when any of its
descriptors on it closes), which is when the load is done.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from energylake.errors import WarehouseBusyError, lock_holder, one_line

DEFAULT_WAIT_SECONDS = 30.0
_POLL_SECONDS = 0.25


def _holder_named_by_duckdb(warehouse: str) -> str | None:
    """Ask DuckDB who holds the file: its refusal names the holder's PID (None when it opens after all)."""
    import duckdb

    try:
        duckdb.connect(warehouse).close()
    except duckdb.Error as exc:
        return lock_holder(str(exc)) or one_line(str(exc))
    return None


def busy_error(warehouse: str, holder: str | None, waited: float) -> WarehouseBusyError:
    held_by = f"held by {holder}" if holder else "held by another process"
    return WarehouseBusyError(
        f"the warehouse {warehouse} is {held_by} (a notebook or another run) and was not released in {waited:.0f} s; "
        "nothing was done. What to do: close that connection or wait for it to finish, then rerun "
        "(--warehouse-wait SECONDS waits longer)",
        holder=holder,
    )


@contextmanager
def warehouse_held(warehouse: str, *, wait_seconds: float = DEFAULT_WAIT_SECONDS) -> Iterator[None]:
    """Hold the warehouse file's write lock for the block, waiting at most ``wait_seconds`` for it.

    A missing file needs no lock (nobody holds what does not exist, and creating it here would leave an empty
    warehouse behind a failed run). Raises :class:`WarehouseBusyError` naming the holder when the wait runs out."""
    path = Path(warehouse)
    if not path.is_file():
        yield
        return
    descriptor = os.open(path, os.O_RDWR)
    try:
        deadline = time.monotonic() + max(wait_seconds, 0.0)
        while not _locked(descriptor):
            if time.monotonic() >= deadline:
                raise busy_error(warehouse, _holder_named_by_duckdb(warehouse), wait_seconds)
            time.sleep(_POLL_SECONDS)
        yield
    finally:
        os.close(descriptor)  # releases the lock, if DuckDB's close has not already


def _locked(descriptor: int) -> bool:
    try:
        fcntl.lockf(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True
