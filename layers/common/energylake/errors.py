"""Every exception energylake raises on purpose: one family under :class:`EnergylakeError`, one module.

Each message names what went wrong and where. The CLI turns :class:`InvalidRequestError` and
:class:`ConfigurationError` into exit code 2 and the others into exit code 1; the state machines retry and catch
these classes by name (``statemachines/build_asl.py``).
"""

from __future__ import annotations

import datetime as dt
import errno
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from energylake.window import Window


class EnergylakeError(Exception):
    """Base of every error energylake raises on purpose."""


class ConfigurationError(EnergylakeError):
    """Settings or credentials are missing or invalid (the message names the variables to set)."""


class InvalidRequestError(EnergylakeError, ValueError):
    """A caller asked for something impossible: unknown dataset, end before start, bad date."""


class FetchError(EnergylakeError):
    """A source could not deliver a usable reply. `request` names the request (secrets removed)."""

    def __init__(self, message: str, *, request: str, status_code: int | None = None) -> None:
        super().__init__(f"{message} [request: {request}]")
        self.request = request
        self.status_code = status_code


class MalformedReplyError(FetchError):
    """A reply arrived but is not what the source promises (bad JSON, truncated zip, error body)."""


class StorageError(EnergylakeError):
    """The lake could not store or read an object."""


class ParseError(EnergylakeError):
    """A raw object cannot be turned into rows: a missing required column, an unparseable value, a local time
    that cannot exist. The message names the object, the column and the row (1-based, as in the source)."""

    def __init__(self, message: str, *, column: str | None = None, row: int | None = None) -> None:
        parts = [f"column {column!r}" if column else "", f"row {row}" if row else ""]
        where = ", ".join(part for part in parts if part)
        super().__init__(f"{message} ({where})" if where else message)
        self.column = column
        self.row = row


class ErcotAuthenticationError(ConfigurationError):
    """ERCOT's token endpoint refused the configured credentials (the message never includes the password)."""


class LocalTimeError(EnergylakeError, ValueError):
    """An ERCOT local-time label that cannot be turned into one UTC interval. The message names the day and label;
    the vectorised functions add ``row`` (0-based index into the input arrays) and name it in the message too."""

    def __init__(
        self, message: str, *, day: dt.date | None = None, label: str | None = None, row: int | None = None
    ) -> None:
        super().__init__(message)
        self.reason = message
        self.day = day
        self.label = label
        self.row = row

    def at_row(self, row: int, written: str = "") -> LocalTimeError:
        """The same error (same class) for row ``row`` of an array; ``written``: the row's values as given."""
        suffix = f" [row {row} as written: {written}]" if written else ""
        return type(self)(f"row {row}: {self.reason}{suffix}", day=self.day, label=self.label, row=row)


class NonexistentLocalTime(LocalTimeError):  # noqa: N818 - name fixed by the parsers' API
    """The wall-clock time was skipped by the spring-forward change (e.g. HE 3 on the second Sunday of March)."""


class AmbiguousLocalTime(LocalTimeError):  # noqa: N818 - name fixed by the parsers' API
    """The wall-clock time happens twice (fall-back day, 01:00-01:59) and nothing says which occurrence is meant."""


class WarehouseError(EnergylakeError):
    """The warehouse cannot be migrated or read (e.g. the DuckDB file is newer than this code)."""


class WarehouseLoadError(WarehouseError):
    """Loading one table for one window failed and was rolled back; ``table`` and ``window`` say which.

    The same error for both warehouses (DuckDB locally, Redshift on AWS)."""

    def __init__(self, message: str, *, table: str, window: Window) -> None:
        super().__init__(message)
        self.table = table
        self.window = window


class GlueJobBusyError(EnergylakeError):
    """Glue refused a new run (ConcurrentRunsExceededException): another window's run holds the job. Retry later
    (the state machine's Retry on this error name does)."""


class QualityGateTimeoutError(EnergylakeError):
    """Some groups still had no quality report after the poll budget: curation is stuck or failing (see the
    validate queue's dead-letter queue)."""


class WarehouseBusyError(WarehouseError):
    """Another process holds the DuckDB warehouse file (a notebook, another run) past the wait allowed for it.
    ``holder`` names it as DuckDB or the lock reports it (PID and command) when known."""

    def __init__(self, message: str, *, holder: str | None = None) -> None:
        super().__init__(message)
        self.holder = holder


# --- what failed and what to do, by cause -------------------------------------------------------------------------
# A stage names where it failed; the cause says what to do. One table of causes for every stage, so a full disk
# gets the same advice during fetch as during load, and only a Java failure mentions Java.

_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
_NO_PERMISSION = (errno.EACCES, errno.EPERM, errno.EROFS)
_QUOTED = re.compile(r"""["']([^"']+)["']""")
_SPARK_FILE = re.compile(r"(?:file:)?(/\S+) is not a Parquet file")  # Spark names the file unquoted
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")
_NOT_PARQUET = (
    "No magic bytes found",
    "is not a Parquet file",
    "too small to be a Parquet file",
    "Invalid Parquet",
    "Could not read the Parquet",
    "Not a Parquet file",
    "Couldn't deserialize thrift",
)
# What to do when a local pipeline stage fails and the cause says nothing more specific, by stage.
_STAGE_ADVICE: dict[str, str] = {
    "fetch": "check the network, the ENERGYLAKE_* endpoints and credentials (or use --source sample), then rerun",
    "curate": "see the log (<lake>/logs/energylake.log) for the object and row, then rerun (raw objects stay)",
    "gold": "see the log (<lake>/logs/energylake.log), then rerun; silver is intact",
    "load": "see the log (<lake>/logs/energylake.log), then rerun; a failed load leaves the warehouse as it was",
    "dashboard": "the warehouse is loaded; fix the cause and run `energylake dashboard`",
}


def one_line(text: str, *, limit: int = 600) -> str:
    """``text`` as one line: its lines joined, stopping at the first stack frame (Java or Python), at most ``limit``
    characters (Spark's messages carry whole Java traces)."""
    kept: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(("at ", 'File "', "Traceback (most recent call last)")):
            break
        if stripped:
            kept.append(stripped)
    joined = " ".join(kept) or text.strip()
    return joined if len(joined) <= limit else joined[: limit - 3] + "..."


def cause_chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and what it was raised from or while handling, outermost first (no loops)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def lock_holder(text: str) -> str | None:
    """The process DuckDB names as holding a file's lock ("PID 123 (python3 notebook.py)"), or None."""
    found = _LOCK_HOLDER.search(text)
    if found is None:
        return None
    pid = found["pid"]
    try:  # the holder's command line is clearer than its interpreter's path (Linux; unreadable elsewhere)
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            command = cmdline.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        command = ""
    command = command if len(command) <= 120 else command[:117] + "..."  # a notebook's kernel has a long one
    return f"PID {pid} ({command or found['program']})"


def _described(exc: BaseException) -> str:
    return one_line(f"{type(exc).__name__}: {exc}")


def _errno_advice(link: OSError) -> str | None:
    where = f" writing {link.filename}" if link.filename else ""
    if link.errno in _DISK_FULL:
        return f"the disk is full{where}: free space there (or point --lake/--warehouse elsewhere), then rerun"
    if link.errno == errno.EFBIG:
        return f"a file size limit was reached{where}: raise it (ulimit -f) or free space, then rerun"
    if link.errno in _NO_PERMISSION:
        return f"no permission{where}: make it writable (or choose another --lake/--warehouse), then rerun"
    return None


def _message_advice(text: str) -> str | None:
    """Advice from a message alone: DuckDB and Spark report file-system failures as text, not errno."""
    if "No space left on device" in text or "Disk quota exceeded" in text:
        return "the disk is full: free space on the disk holding the lake and warehouse, then rerun"
    if "File too large" in text:
        return "a file size limit was reached: raise it (ulimit -f) or free space, then rerun"
    if "Could not set lock" in text:
        holder = lock_holder(text)
        who = f"{holder}, e.g. a notebook or another run" if holder else "another program, e.g. a notebook"
        return f"the warehouse file is open in {who}: close it or wait for it to finish, then rerun"
    if any(marker in text for marker in _NOT_PARQUET):
        quoted = _QUOTED.search(text) or _SPARK_FILE.search(text)
        named = f" {quoted[1]}" if quoted else ""
        return (
            f"the lake file{named} is not valid Parquet (a stray or truncated file): remove it, or rerun "
            "`energylake reprocess` for its days to rewrite it, then rerun"
        )
    return None


def _kind_advice(link: BaseException) -> str | None:
    if type(link).__module__.split(".")[0] in ("py4j", "pyspark") or "Java gateway" in str(link):
        return "Spark or Java failed: check Java 17 and the Spark settings (see README), then rerun"
    if isinstance(link, FetchError):
        return _STAGE_ADVICE["fetch"]
    if isinstance(link, ConfigurationError):
        return "set the variables the message names (see README's settings), then rerun"
    if isinstance(link, (ParseError, LocalTimeError)):
        return "the raw object named cannot be parsed: fetch its day again, or report the source's change"
    return None


def diagnose(exc: BaseException, stage: str | None = None) -> tuple[str | None, str]:
    """What actually failed (one line; None when ``exc``'s own message says it) and what to do, from the first
    exception in ``exc``'s chain whose kind is known: an OSError's errno, DuckDB's lock, file and disk errors, a
    file that is not Parquet, a Java failure, energylake's own errors; else the stage's general advice."""
    for link in cause_chain(exc):
        advice = _errno_advice(link) if isinstance(link, OSError) and link.errno is not None else None
        advice = advice or _message_advice(str(link)) or _kind_advice(link)
        if advice is not None:
            return (None if link is exc else _described(link)), advice
    return None, _STAGE_ADVICE.get(stage or "", "fix the cause and rerun (reruns are safe)")


class StageError(EnergylakeError):
    """A local pipeline stage failed: ``stage``, ``dataset`` (or table) and ``day`` (or window) say where, and
    ``advice`` what to do (from the cause: :func:`diagnose`)."""

    def __init__(self, stage: str, *, dataset: str, day: str, cause: BaseException) -> None:
        self.stage = stage
        self.dataset = dataset
        self.day = day
        underlying, self.advice = diagnose(cause, stage)
        what = _described(cause)
        if underlying is not None and underlying not in what:
            what = f"{what} (because {underlying})"
        super().__init__(f"{stage} failed for {dataset} on {day}: {what}. What to do: {self.advice}")
