"""SQL on Redshift through AWS's Redshift Data API (boto3 ``redshift-data``): no driver, no connection, no network path
to the warehouse (the Data API is an AWS endpoint, like S3), and IAM for authentication.

:class:`DataApi` runs two things:

* :meth:`DataApi.batch` — a list of statements with ``BatchExecuteStatement``, which runs them in order as ONE
  transaction (all rolled back when one fails), then polls ``DescribeStatement`` until the batch is ``FINISHED``,
  ``FAILED`` or ``ABORTED``; rows affected per statement come from its sub-statements' ``ResultRows``.
* :meth:`DataApi.query` — one ``SELECT`` with ``ExecuteStatement``, polled the same way, then every page of
  ``GetStatementResult`` as plain Python values.

Who signs in (:class:`DataApiTarget`; https://docs.aws.amazon.com/redshift-data/latest/APIReference/API_BatchExecuteStatement.html):
Serverless by ``WorkgroupName`` with the caller's IAM identity (``redshift-serverless:GetCredentials``; the IAM role
``R`` becomes the database user ``IAMR:R``), a provisioned cluster by ``ClusterIdentifier`` + ``DbUser``
(``redshift:GetClusterCredentials``), or either with ``SecretArn`` (an administrator's Secrets Manager secret: the
deploy-time warehouse setup).

Failures. Every one becomes a :class:`~energylake.errors.WarehouseError` whose message names the statement kind and
Redshift's (or the API's) own error; callers add the table and window (the loader raises ``WarehouseLoadError``).
Two kinds are transient and retried a bounded number of times (:class:`RetryPolicy`) with exponential backoff and
full jitter: a batch that FAILED on a serializable-isolation conflict (Redshift error 1023: two transactions touched
the same tables in an order that cannot be serialized; the batch was rolled back, so running it again is safe), and
API throttling (``ThrottlingException``, ``Active*ExceededException``: too many statements or sessions at once;
botocore's own retries came first). A statement still running at the caller's ``deadline`` is cancelled
(``CancelStatement``) and reported, so a Lambda about to time out leaves no transaction behind.
"""

from __future__ import annotations

import logging
import random
import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, Protocol

from energylake.errors import ConfigurationError, WarehouseError

__all__ = [
    "Batch",
    "DataApi",
    "DataApiClient",
    "DataApiTarget",
    "RetryPolicy",
    "StatementKind",
    "is_serialization_conflict",
]

logger = logging.getLogger(__name__)

# What a statement is, for messages: "<kind> failed: ..." (the loader adds table and window).
StatementKind = Literal["schema version read", "migration", "load", "freshness read", "setup"]

_TERMINAL: Final = frozenset({"FINISHED", "FAILED", "ABORTED"})
# API errors that mean "too much at once, try again later" (botocore retries ThrottlingException itself first).
THROTTLING_CODES: Final = frozenset(
    {
        "ThrottlingException",
        "TooManyRequestsException",
        "ActiveStatementsExceededException",
        "ActiveSessionsExceededException",
        "ActiveWaitingRequestsExceededException",
    }
)
# "ERROR: 1023 DETAIL: Serializable isolation violation on table ..." (Redshift's wording, code first).
_SERIALIZATION_CONFLICT = re.compile(r"\b1023\b|serializable isolation violation", re.IGNORECASE)


def is_serialization_conflict(error: str) -> bool:
    """Whether a statement's error is Redshift's serializable-isolation conflict (error 1023)."""
    return bool(_SERIALIZATION_CONFLICT.search(error))


class DataApiClient(Protocol):
    """The ``redshift-data`` client methods used (boto3's client has them; so do the tests' fakes)."""

    def batch_execute_statement(self, **kwargs: Any) -> Any: ...
    def execute_statement(self, **kwargs: Any) -> Any: ...
    def describe_statement(self, **kwargs: Any) -> Any: ...
    def get_statement_result(self, **kwargs: Any) -> Any: ...
    def cancel_statement(self, **kwargs: Any) -> Any: ...


@dataclass(frozen=True)
class DataApiTarget:
    """Where statements run and who signs in: exactly one of ``workgroup_name`` (Serverless) and
    ``cluster_identifier`` (provisioned; with ``db_user`` unless ``secret_arn`` is given)."""

    database: str
    workgroup_name: str | None = None
    cluster_identifier: str | None = None
    db_user: str | None = None
    secret_arn: str | None = None

    def __post_init__(self) -> None:
        if bool(self.workgroup_name) == bool(self.cluster_identifier):
            raise ConfigurationError("the Data API needs a Serverless workgroup name or a cluster identifier (one)")
        if self.cluster_identifier and not (self.db_user or self.secret_arn):
            raise ConfigurationError("a provisioned cluster needs a database user (or a secret) to sign in as")

    def parameters(self) -> dict[str, str]:
        """The request parameters naming the warehouse and the sign-in (every Data API call that runs SQL)."""
        found = {
            "Database": self.database,
            "WorkgroupName": self.workgroup_name,
            "ClusterIdentifier": self.cluster_identifier,
            "DbUser": None if self.secret_arn else self.db_user,
            "SecretArn": self.secret_arn,
        }
        return {name: value for name, value in found.items() if value}

    def __str__(self) -> str:
        where = f"workgroup {self.workgroup_name}" if self.workgroup_name else f"cluster {self.cluster_identifier}"
        return f"{where}, database {self.database}"


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently: ``max_attempts`` per batch or API call (first one included), backoff between
    attempts (``backoff_base_s * 2**n`` capped at ``backoff_max_s``, full jitter), and the polling interval of a
    running statement (from ``poll_initial_s`` growing by half each time up to ``poll_max_s``)."""

    max_attempts: int = 4
    backoff_base_s: float = 2.0
    backoff_max_s: float = 30.0
    poll_initial_s: float = 0.5
    poll_max_s: float = 5.0

    def backoff(self, attempt: int) -> float:
        return random.uniform(0, min(self.backoff_max_s, self.backoff_base_s * 2 ** (attempt - 1)))


@dataclass(frozen=True)
class Batch:
    """A finished batch: its id, how many attempts it took, and the rows each statement affected (``None`` where
    Redshift reports none)."""

    statement_id: str
    attempts: int
    rows: tuple[int | None, ...]
    duration_s: float


@dataclass
class DataApi:
    """Runs SQL on ``target`` through ``client`` (see the module docstring). ``sleep`` and ``clock`` are injectable
    so tests run without waiting; ``clock`` is also what a ``deadline`` is measured on."""

    client: DataApiClient
    target: DataApiTarget
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    # --- running ------------------------------------------------------------------------------------------------

    def batch(self, statements: Sequence[str], *, kind: StatementKind, deadline: float | None = None) -> Batch:
        """Run ``statements`` as one transaction; retried whole on a serialization conflict."""
        if not statements:
            raise WarehouseError(f"{kind} failed: no statements to run")
        started = self.clock()
        for attempt in range(1, self.retry.max_attempts + 1):
            submitted = self._call(
                kind,
                "BatchExecuteStatement",
                self.client.batch_execute_statement,
                Sqls=list(statements),
                # Idempotent submission: botocore's own retry of a lost reply does not run the batch twice.
                ClientToken=str(uuid.uuid4()),
                **self.target.parameters(),
            )
            described = self._wait(kind, str(submitted["Id"]), deadline)
            if described["Status"] == "FINISHED":
                rows = tuple(_rows(sub) for sub in described.get("SubStatements") or [described])
                return Batch(str(submitted["Id"]), attempt, rows, self.clock() - started)
            error = _failure(described, statements)
            if (
                described["Status"] == "FAILED"
                and is_serialization_conflict(error)
                and attempt < self.retry.max_attempts
            ):
                delay = self.retry.backoff(attempt)
                logger.warning("%s hit a serialization conflict (attempt %d), again in %.1f s", kind, attempt, delay)
                self.sleep(delay)
                continue
            tries = f" after {attempt} attempts" if attempt > 1 else ""
            raise WarehouseError(f"{kind} {described['Status']}{tries}: {error}")
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover

    def query(self, sql: str, *, kind: StatementKind, deadline: float | None = None) -> list[list[Any]]:
        """Run one statement and return its rows (each a list of plain values: str, int, float, bool or None)."""
        submitted = self._call(
            kind,
            "ExecuteStatement",
            self.client.execute_statement,
            Sql=sql,
            ClientToken=str(uuid.uuid4()),
            **self.target.parameters(),
        )
        statement_id = str(submitted["Id"])
        described = self._wait(kind, statement_id, deadline)
        if described["Status"] != "FINISHED":
            raise WarehouseError(f"{kind} {described['Status']}: {described.get('Error') or 'no error given'}")
        if not described.get("HasResultSet"):
            return []
        rows: list[list[Any]] = []
        token: str | None = None
        while True:
            page = self._call(
                kind,
                "GetStatementResult",
                self.client.get_statement_result,
                Id=statement_id,
                **({"NextToken": token} if token else {}),
            )
            rows.extend([_value(item) for item in record] for record in page.get("Records", []))
            token = page.get("NextToken")
            if not token:
                return rows

    # --- internals -------------------------------------------------------------------------------------------------

    def _wait(self, kind: StatementKind, statement_id: str, deadline: float | None) -> dict[str, Any]:
        """DescribeStatement until the statement ends; past ``deadline``, cancel it and fail."""
        delay = self.retry.poll_initial_s
        while True:
            described: dict[str, Any] = self._call(
                kind, "DescribeStatement", self.client.describe_statement, Id=statement_id
            )
            if described.get("Status") in _TERMINAL:
                return described
            if deadline is not None and self.clock() + delay > deadline:
                self._cancel(kind, statement_id)
                raise WarehouseError(
                    f"{kind} still {described.get('Status')} when the time left for it ran out: cancelled statement "
                    f"{statement_id} (load fewer days per invocation: ENERGYLAKE_REDSHIFT_LOAD_CHUNK_DAYS)"
                )
            self.sleep(delay)
            delay = min(self.retry.poll_max_s, delay * 1.5)

    def _cancel(self, kind: StatementKind, statement_id: str) -> None:
        try:
            self.client.cancel_statement(Id=statement_id)
        except Exception:  # the timeout is the error worth reporting; a finished statement cannot be cancelled
            logger.warning("cancelling %s statement %s failed", kind, statement_id, exc_info=True)

    def _call(self, kind: StatementKind, operation: str, method: Callable[..., Any], **kwargs: Any) -> Any:
        """One API call; throttling retried with backoff, any other API error a WarehouseError naming it."""
        for attempt in range(1, self.retry.max_attempts + 1):
            try:
                return method(**kwargs)
            except Exception as exc:
                code, message = _api_error(exc)
                if code in THROTTLING_CODES and attempt < self.retry.max_attempts:
                    delay = self.retry.backoff(attempt)
                    logger.warning("%s %s throttled (%s), again in %.1f s", kind, operation, code, delay)
                    self.sleep(delay)
                    continue
                tries = f" after {attempt} attempts" if attempt > 1 else ""
                raise WarehouseError(f"{kind} failed: {operation} {code}{tries}: {message}") from exc
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover


def _api_error(exc: Exception) -> tuple[str, str]:
    """(error code, message) of a botocore ClientError; the exception's type and text for anything else."""
    response: Any = getattr(exc, "response", None) or {}
    error = response.get("Error", {}) if isinstance(response, dict) else {}
    code = str(error.get("Code") or type(exc).__name__)
    message = str(error.get("Message") or exc) or code
    return code, message.splitlines()[0]


def _failure(described: dict[str, Any], statements: Sequence[str]) -> str:
    """Redshift's error for a batch, with which statement failed (its number and first words)."""
    error = str(described.get("Error") or "no error given")
    for number, sub in enumerate(described.get("SubStatements") or [], start=1):
        if sub.get("Status") in {"FAILED", "ABORTED"}:
            text = statements[number - 1] if number <= len(statements) else str(sub.get("QueryString", ""))
            first_line = " ".join(text.split())[:80]
            return f"{sub.get('Error') or error} [statement {number} of {len(statements)}: {first_line}]"
    return error


def _rows(described: dict[str, Any]) -> int | None:
    rows = described.get("ResultRows")
    return int(rows) if isinstance(rows, int) and rows >= 0 else None


def _value(field_value: dict[str, Any]) -> Any:
    """A Data API ``Field`` as a Python value."""
    if field_value.get("isNull"):
        return None
    for name in ("stringValue", "longValue", "doubleValue", "booleanValue", "blobValue"):
        if name in field_value:
            return field_value[name]
    return None
