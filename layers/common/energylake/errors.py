"""The exceptions energylake raises: one family, each message names what went wrong and where."""

from __future__ import annotations


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
