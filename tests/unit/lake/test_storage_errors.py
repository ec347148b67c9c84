"""S3 storage tells "not there" apart from "could not look": only a missing object is False or absent."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from energylake.errors import StorageError
from energylake.lake.storage import S3Storage


class FailingS3:
    """An S3 client whose every call fails with one error code (what a denied or throttled request gets)."""

    def __init__(self, code: str) -> None:
        self.code = code

    def _fail(self, operation: str) -> Any:
        raise ClientError({"Error": {"Code": self.code, "Message": self.code}}, operation)

    def head_object(self, **_: Any) -> Any:
        return self._fail("HeadObject")

    def get_object(self, **_: Any) -> Any:
        return self._fail("GetObject")


@pytest.mark.parametrize("code", ["404", "NoSuchKey", "NotFound"])
def test_a_missing_object_does_not_exist(code: str) -> None:
    assert S3Storage("lake", client=FailingS3(code)).exists("quality/report.json") is False  # type: ignore[arg-type]


@pytest.mark.parametrize("code", ["403", "AccessDenied", "SlowDown", "InternalError"])
def test_a_failed_look_is_an_error_not_a_missing_object(code: str) -> None:
    # GIVEN S3 refuses or throttles the HEAD
    storage = S3Storage("lake", client=FailingS3(code))  # type: ignore[arg-type]
    # WHEN curation asks whether a group's previous report exists
    # THEN it gets an error naming the key and the code, never "no" (it would skip removing stale silver)
    with pytest.raises(StorageError, match=f"quality/report.json.*{code}"):
        storage.exists("quality/report.json")
    with pytest.raises(StorageError, match=code):
        storage.get("quality/report.json")
