"""Every exception energylake raises on purpose: one family under :class:`EnergylakeError`, one module.

Each message names what went wrong and where. The CLI turns :class:`InvalidRequestError` and
:class:`ConfigurationError` into exit code 2 and the others into exit code 1; the state machines retry and catch
these classes by name (``statemachines/build_asl.py``).
"""

from __future__ import annotations

import datetime as dt
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


class QualityGateFailedError(EnergylakeError):
    """At least one landed group failed its quality checks: its data is quarantined, so the run stops before gold."""


class QualityGateTimeoutError(EnergylakeError):
    """Some groups still had no quality report after the poll budget: curation is stuck or failing (see the
    validate queue's dead-letter queue)."""


# What to do when a local pipeline stage fails (StageError's advice), by stage.
_STAGE_ADVICE: dict[str, str] = {
    "fetch": "check the network, the ENERGYLAKE_* endpoints and credentials (or use --source sample), then rerun",
    "curate": "check the lake is readable and writable, then rerun (raw objects stay; reruns are safe)",
    "gold": "check Java 17 and the Spark settings (see README), then rerun; silver is intact",
    "load": "check the warehouse file is not open in another program and the disk has room, then rerun",
    "dashboard": "the warehouse is loaded; fix the cause and run `energylake dashboard`",
}


class StageError(EnergylakeError):
    """A local pipeline stage failed: ``stage``, ``dataset`` (or table) and ``day`` (or window) say where, and
    ``advice`` what to do."""

    def __init__(self, stage: str, *, dataset: str, day: str, cause: BaseException) -> None:
        self.stage = stage
        self.dataset = dataset
        self.day = day
        self.advice = _STAGE_ADVICE.get(stage, "fix the cause and rerun (reruns are safe)")
        super().__init__(
            f"{stage} failed for {dataset} on {day}: {type(cause).__name__}: {cause}. What to do: {self.advice}"
        )
