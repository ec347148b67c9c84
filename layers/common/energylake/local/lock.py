"""One lake, one writer: the lock every writing command of the local CLI holds while it runs.

Two commands writing one lake at once would interleave their stages (one curating a group while the other loads
it, both swapping gold partitions). A writing command takes ``<lake>/.energylake.lock`` before it does anything
and refuses at once, in one line naming the holder (pid, command, since when), when another process holds it.

Why refuse rather than queue: a backfill holds a lake for hours, so any wait short enough not to look like a hang
would end in the same refusal, only later; a command that refuses at once tells the operator (or the scheduler,
which retries) what holds the lake while it still matters. :func:`lake_lock` takes ``wait_seconds`` for callers
that do want to queue.

The lock is an ``flock`` on the file, not the file's existence: the kernel releases it when its holder dies, so a
killed command never leaves the lake locked. The file holds the holder's pid and command for the message; a file
left by a holder whose pid is gone is a stale lock (reported by ``status``, taken over by the next writer).
Holding the lock also makes the lake's debris (:mod:`energylake.local.debris`) certain: no other writer can be
mid-write, so every temp file found is left by a dead run, and the command removes it before its stages run.

S3 lakes: the lock is a file in the machine's temp folder named after the lake (one writer per machine; the cloud
pipeline's state machine serialises its own runs).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import errno
import fcntl
import hashlib
import json
import logging
import os
import shlex
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from energylake.errors import InvalidRequestError, StorageError
from energylake.lake.layout import LakeUri

__all__ = [
    "LOCK_FILE_NAME",
    "WRITING_COMMANDS",
    "LakeBusyError",
    "LockHolder",
    "command_lock",
    "holder",
    "lake_lock",
    "lock_path",
]

LOCK_FILE_NAME: Final = ".energylake.lock"
# The commands that write the lake (or its warehouse); status, ls and dashboard only read them.
WRITING_COMMANDS: Final = frozenset({"run", "backfill", "fetch", "reprocess", "gold", "load"})
_POLL_SECONDS: Final = 0.2
_GUARD_WAIT_SECONDS: Final = 2.0

logger = logging.getLogger(__name__)


class LakeBusyError(InvalidRequestError):
    """Another process holds the lake's lock. Nothing was written (exit code 2, one line)."""


@dataclass(frozen=True)
class LockHolder:
    """What a lock file says about the process that took it."""

    pid: int
    command: str
    started_utc: str

    @property
    def alive(self) -> bool:
        return _pid_alive(self.pid)

    def describe(self) -> str:
        return f"pid {self.pid} ({self.command!r}, since {self.started_utc})"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def lock_path(lake_uri: str) -> Path:
    """Where the lock of ``lake_uri`` lives: in a local lake's folder, or the temp folder for an S3 lake."""
    location = LakeUri.parse(lake_uri)
    if location.path is not None:
        return location.path / LOCK_FILE_NAME
    digest = hashlib.sha256(location.root.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"energylake-{digest}{LOCK_FILE_NAME}"


def _read_holder(path: Path) -> LockHolder | None:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
        return LockHolder(int(found["pid"]), str(found["command"]), str(found["started_utc"]))
    except (OSError, ValueError, KeyError, TypeError):  # gone, or written half by a holder killed mid-write
        return None


def holder(lake_uri: str) -> tuple[LockHolder | None, bool]:
    """The lock file's holder of ``lake_uri`` (None: no readable lock file) and whether it holds the lock now
    (False for a stale file: its process is gone). Takes nothing."""
    path = lock_path(lake_uri)
    found = _read_holder(path)
    if found is None:
        return None, False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return found, False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return found, True
    finally:
        os.close(fd)
    return found, False


def _make_folders(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; the ones created, innermost first."""
    missing = [parent for parent in (folder, *folder.parents) if not parent.exists()]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create the lake folder {str(folder)!r}: {exc.strerror or exc}") from exc
    return missing


@contextlib.contextmanager
def _folder_guard(folder: Path, operation: int) -> Iterator[None]:
    """An ``flock`` on the lake folder itself: shared while a taker creates and tries the lock file, exclusive while
    a releaser removes the lock file and the folder it created. Without it a taker could create its lock file in
    the gap between the releaser's unlink and rmdir, and the emptied lake folder would outlive both. Held for
    microseconds, never while a command runs. A folder that is gone, or a file system without ``flock`` on
    folders, goes unguarded (the taker's open then finds no folder, and makes it)."""
    try:
        folder_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        folder_fd = None
    try:
        # Never waited on for long: a folder some other program keeps locked (the temp folder an S3 lake's lock
        # lives in) must not hang a command, so after a bounded wait it goes unguarded.
        deadline = time.monotonic() + _GUARD_WAIT_SECONDS
        while folder_fd is not None:
            try:
                fcntl.flock(folder_fd, operation | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    break
                time.sleep(0.001)
            except OSError:
                break
        yield
    finally:
        if folder_fd is not None:
            os.close(folder_fd)  # also releases the flock


def _open_and_try(path: Path) -> int | None:
    """Open (creating) the lock file and take its lock without waiting: the descriptor, or None when held."""
    with _folder_guard(path.parent, fcntl.LOCK_SH):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return None
            raise
        return fd


def _try_lock(path: Path, created: list[Path]) -> int | None:
    """An open descriptor holding ``path``'s lock, or None when another process holds it.

    The file can be removed by its releasing holder between our open and our flock: then we would hold a lock on a
    file nobody else sees. Retry until the locked file is the one at ``path``. A releasing holder that created the
    lake folder removes it when empty: made again here, and added to ``created``."""
    while True:
        try:
            fd = _open_and_try(path)
        except FileNotFoundError:
            created += _make_folders(path.parent)
            continue
        if fd is None:
            return None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)


@contextlib.contextmanager
def lake_lock(lake_uri: str, command: str, *, wait_seconds: float = 0.0) -> Iterator[LockHolder]:
    """Hold the lock of ``lake_uri`` while the block runs; :class:`LakeBusyError` when another process holds it
    for longer than ``wait_seconds`` (0: refuse at once). A local lake's folder is created when missing, and removed
    again on release when the command left nothing in it."""
    path = lock_path(lake_uri)
    created = _make_folders(path.parent)
    deadline = time.monotonic() + wait_seconds
    fd = _try_lock(path, created)
    while fd is None and time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)
        fd = _try_lock(path, created)
    if fd is None:
        found = _read_holder(path)
        who = found.describe() if found is not None else "another process"
        waited = f" after waiting {wait_seconds:g} s" if wait_seconds else ""
        raise LakeBusyError(
            f"the lake {lake_uri} is busy{waited}: {who} is writing it; wait for it to finish, or stop it, then rerun"
        )
    previous = _read_holder(path)
    if previous is not None and previous.pid != os.getpid():
        logger.info("the lake's previous writer %s ended without releasing its lock file: taken over", previous)
    me = LockHolder(os.getpid(), command, dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"))
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me.__dict__).encode(), 0)
        yield me
    finally:
        # Removed while still locked: a waiter that opened the old file sees it gone and retries (_try_lock). The
        # folder guard keeps a taker from creating a new lock file before the emptied folders are gone.
        with _folder_guard(path.parent, fcntl.LOCK_EX) if created else contextlib.nullcontext():
            with contextlib.suppress(OSError):
                path.unlink()
            for folder in sorted(set(created), key=lambda p: len(p.parts), reverse=True):  # innermost first;
                # stops at the first one the command wrote into
                try:
                    folder.rmdir()
                except OSError:
                    break
        os.close(fd)


def _creatable(folder: Path) -> bool:
    """Whether ``folder`` is, or can be made, a folder (else the command's own checks say why, in one line). Tried,
    not guessed from permissions (root, read-only mounts, /proc), and undone."""
    if folder.exists():
        return folder.is_dir()
    try:
        created = _make_folders(folder)
    except StorageError:
        return False
    for made in created:
        with contextlib.suppress(OSError):
            made.rmdir()
    return True


@contextlib.contextmanager
def _locked_command(lake_uri: str, command: str, lake_root: Path | None) -> Iterator[None]:
    with lake_lock(lake_uri, command):
        if lake_root is not None:
            from energylake.local.debris import remove_debris

            remove_debris(lake_root)  # certain debris: no writer but us
        yield


def command_lock(args: argparse.Namespace) -> contextlib.AbstractContextManager[object]:
    """The lake lock for a parsed ``energylake`` command, with the debris of interrupted runs removed once it is
    held: taken by the writing commands, nothing for the others (nor for ``backfill --plan``, which writes nothing).
    A ``--lake`` that cannot be a folder is left to the command's own checks (one line, exit 2)."""
    if args.command not in WRITING_COMMANDS or getattr(args, "plan", False):
        return contextlib.nullcontext()
    lake_uri = str(args.lake)
    try:
        location = LakeUri.parse(lake_uri)
    except StorageError:
        return contextlib.nullcontext()
    if location.path is not None and not _creatable(location.path):
        return contextlib.nullcontext()
    argv = " ".join(shlex.quote(arg) for arg in sys.argv[1:]) or args.command
    return _locked_command(lake_uri, f"energylake {argv}", location.path)
