"""What every Lambda module shares that needs no pydantic: the configured lake, cached AWS clients, the Tracer.

Kept apart from :mod:`energylake.lambdas._shared` (event models, so pydantic) so that a handler without an event model
of its own (ValidateFunction) imports neither pydantic nor the settings until its first record; ``_shared`` re-exports
every name here.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from energylake.lake.storage import Storage, open_storage

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

__all__ = ["TracedLibrary", "aws_client", "lake", "tracer_patching"]


@lru_cache(maxsize=4)
def _lake(uri: str) -> Storage:
    return open_storage(uri)


def lake() -> Storage:
    """The configured lake (``ENERGYLAKE_LAKE_URI``): one storage, and one boto3 client, per warm Lambda."""
    # Imported here, as in every Lambda module: settings load pydantic-settings (~35 ms), which a cold start should
    # pay for in the handler's first call, not in its import (benchmarks/run.py).
    from energylake.settings import get_settings

    return _lake(get_settings().lake_uri)


# What our functions call that X-Ray can trace: AWS APIs through boto3 (botocore) and the HTTP sources (httpx).
TracedLibrary = Literal["botocore", "httpx"]


def tracer_patching(*libraries: TracedLibrary) -> Tracer:
    """Powertools' Tracer that patches only ``libraries``; with none, it traces the handler and the methods it
    decorates, and no library call.

    A bare ``Tracer()`` patches every library the X-Ray SDK supports, importing each one installed to do so (botocore's
    client, httpx, sqlite3, requests...) on every cold start, also in a function that never calls them. ``auto_patch``
    is always passed: Tracer keeps it on the class, so one ``Tracer(auto_patch=False)`` would silently turn off the
    patching of every later Tracer in the process (on Lambda one handler a process, but tests import many).
    """
    from aws_lambda_powertools import Tracer

    if not libraries:
        return Tracer(auto_patch=False)
    return Tracer(auto_patch=True, patch_modules=libraries)


@lru_cache(maxsize=8)
def aws_client(service: str) -> Any:
    """One boto3 client per service and warm Lambda (boto3 loads only in the functions that call AWS)."""
    import boto3

    return boto3.client(service)  # type: ignore[call-overload]
