"""One storage interface over a local folder and S3, chosen by URI (``s3://bucket/prefix`` or a path).

Objects are written whole or not at all (local: temp file + atomic rename; S3: one PUT), and
:meth:`Storage.put_new` never replaces an existing object, so concurrent writers cannot clobber each other.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from energylake.errors import StorageError
from energylake.lake.layout import LakeUri

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_LOCAL_META_DIR = ".meta"  # local sidecars live in a parallel tree so listings see only data objects


class Storage(Protocol):
    uri: str
    location: LakeUri

    def put_new(self, key: str, data: bytes, metadata: dict[str, str]) -> bool:
        """Write ``key`` if it does not exist yet. True when written, False when it already existed."""
        ...

    def put(self, key: str, data: bytes, metadata: dict[str, str] | None = None) -> None:
        """Write or replace ``key``."""
        ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None:
        """Remove ``key`` (no error when it is already gone)."""
        ...

    def metadata(self, key: str) -> dict[str, str]: ...

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str) -> Iterator[str]:
        """Keys under ``prefix``, sorted."""
        ...

    def list_sizes(self, prefix: str) -> Sequence[tuple[str, int]]:
        """``(key, size in bytes)`` of every object under ``prefix``, sorted by key (a Redshift COPY manifest of
        Parquet files must state each file's length)."""
        ...

    def synced_together(self) -> AbstractContextManager[None]:
        """Writes inside are made durable together when the block ends (also by an error: what was written before
        it is whole), not one by one (a group's members before its manifest, the commit point); S3 objects are
        durable when their PUT returns."""
        ...


def open_storage(uri: str, *, s3_client: S3Client | None = None) -> Storage:
    """A :class:`Storage` for ``uri``: ``s3://bucket[/prefix]`` or a local folder (created on first write)."""
    location = LakeUri.parse(uri)
    if location.is_s3:
        return S3Storage(location.bucket, location.prefix, client=s3_client)
    assert location.path is not None
    return LocalStorage(location.path)


def _check_key(key: str) -> str:
    if not key or key.startswith("/") or ".." in key.split("/") or "\\" in key:
        raise StorageError(f"invalid object key {key!r}")
    return key


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.uri = str(root)
        self._root = os.fspath(root)  # the hot paths join strings: a year's fetch lands ~50,000 objects
        self.location = LakeUri(self.uri, "file", path=root)
        self._sync_later = False  # inside synced_together(): no fsync per file, one sync at the end
        self._unsynced = False  # something was written inside synced_together()

    def _file(self, key: str) -> str:
        return f"{self._root}/{_check_key(key)}"

    def _meta_file(self, key: str) -> str:
        return f"{self._root}/{_LOCAL_META_DIR}/{_check_key(key)}.json"

    @contextmanager
    def synced_together(self) -> Iterator[None]:
        """One ``sync`` for every file written inside instead of an ``fsync`` each (a year of archive documents is
        tens of thousands of files, and each fsync is a journal commit). Until the block ends nothing it wrote is
        known to be durable, so callers write their commit point after it (a group's manifest, a curated group's
        quality report); a crash inside leaves files no commit point lists: raw objects curation checks against
        their recorded SHA-256 and a refetch repairs, silver files the loader never reads and a rerun rewrites."""
        if self._sync_later:
            yield
            return
        self._sync_later, self._unsynced = True, False
        try:
            yield
        finally:
            # Also when the block failed: what it wrote before the failure is whole, and its caller may commit it.
            self._sync_later = False
            if self._unsynced:
                os.sync()

    def _write_atomic(self, path: str, data: bytes, *, replace: bool) -> bool:
        try:
            folder = os.path.dirname(path)
            os.makedirs(folder, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    if self._sync_later:
                        self._unsynced = True
                    else:
                        os.fsync(handle.fileno())
                if replace:
                    os.replace(tmp_name, path)
                    return True
                try:
                    os.link(tmp_name, path)  # fails if the key exists: never overwrite
                except FileExistsError:
                    return False
                return True
            finally:
                if os.path.exists(tmp_name):
                    os.unlink(tmp_name)
        except OSError as exc:
            raise StorageError(f"cannot write {path}: {exc.strerror or exc}") from exc

    def put_new(self, key: str, data: bytes, metadata: dict[str, str]) -> bool:
        if self.exists(key):
            return False
        # Metadata first: a data object is never visible without its metadata. Written in place, not through a
        # temp file: until the data object appears nothing reads it (a crash's half-written sidecar is rewritten by
        # the next put_new of its key), and a year of archive documents is tens of thousands of sidecars.
        self._write_in_place(self._meta_file(key), json.dumps(metadata, sort_keys=True).encode())
        return self._write_atomic(self._file(key), data, replace=False)

    def _write_in_place(self, path: str, data: bytes) -> None:
        try:
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            except FileNotFoundError:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                if self._sync_later:
                    self._unsynced = True
                else:
                    handle.flush()
                    os.fsync(handle.fileno())
        except OSError as exc:
            raise StorageError(f"cannot write {path}: {exc.strerror or exc}") from exc

    def put(self, key: str, data: bytes, metadata: dict[str, str] | None = None) -> None:
        if metadata is not None:
            self._write_atomic(self._meta_file(key), json.dumps(metadata, sort_keys=True).encode(), replace=True)
        self._write_atomic(self._file(key), data, replace=True)

    def delete(self, key: str) -> None:
        try:
            for path in (self._file(key), self._meta_file(key)):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
        except OSError as exc:
            raise StorageError(f"cannot delete {key!r} in {self.uri}: {exc.strerror or exc}") from exc

    def get(self, key: str) -> bytes:
        try:
            with open(self._file(key), "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            raise StorageError(f"no object {key!r} in {self.uri}") from None

    def metadata(self, key: str) -> dict[str, str]:
        if not self.exists(key):
            raise StorageError(f"no object {key!r} in {self.uri}")
        try:
            with open(self._meta_file(key), "rb") as handle:
                loaded: dict[str, str] = json.loads(handle.read())
        except FileNotFoundError:
            return {}
        return loaded

    def exists(self, key: str) -> bool:
        return os.path.isfile(self._file(key))

    def list(self, prefix: str) -> Iterator[str]:
        return iter(sorted(self._keys_under(prefix)))

    def _keys_under(self, prefix: str) -> Sequence[str]:
        """Every key starting with ``prefix``: a folder prefix ("raw/x/") walks that folder only (a missing folder
        holds nothing), a prefix ending mid-name ("raw/x/abc") walks only the entries of its folder whose names
        start so. Never the sidecar tree, never temp files."""
        if prefix:
            _check_key(prefix)
        if not prefix or prefix.endswith("/"):
            folder, starts = self.root / prefix, ""
        else:
            folder, starts = (self.root / prefix).parent, prefix.rsplit("/", 1)[-1]
        try:
            entries = [entry for entry in os.scandir(folder) if entry.name.startswith(starts)]
        except (FileNotFoundError, NotADirectoryError):
            return []
        keys: builtins.list[str] = []  # `list` is also a method of this class
        pending = entries
        while pending:
            entry = pending.pop()
            if entry.is_dir(follow_symlinks=False):
                if entry.path != str(self.root / _LOCAL_META_DIR):
                    pending.extend(os.scandir(entry.path))
            elif entry.is_file() and not entry.name.startswith(".tmp-"):
                keys.append(entry.path[len(self._root) + 1 :])
        return [key for key in keys if not key.startswith(f"{_LOCAL_META_DIR}/")]

    def list_sizes(self, prefix: str) -> Sequence[tuple[str, int]]:
        return [(key, os.stat(self._file(key)).st_size) for key in self.list(prefix)]


class S3Storage:
    def __init__(self, bucket: str, prefix: str = "", *, client: S3Client | None = None) -> None:
        self.location = LakeUri(f"s3://{bucket}/{prefix}".rstrip("/"), "s3", bucket=bucket, prefix=prefix.strip("/"))
        self.bucket = bucket
        self.prefix = self.location.key_prefix
        self.uri = self.location.root
        self._client = client

    @property
    def client(self) -> S3Client:
        if self._client is None:
            import boto3  # only S3 lakes pay for boto3

            self._client = boto3.client("s3")
        return self._client

    def _key(self, key: str) -> str:
        return self.prefix + _check_key(key)

    def put_new(self, key: str, data: bytes, metadata: dict[str, str]) -> bool:
        from botocore.exceptions import ClientError

        try:
            # Conditional write: S3 refuses when the key exists, so two writers cannot both win.
            self.client.put_object(
                Bucket=self.bucket,
                Key=self._key(key),
                Body=data,
                Metadata=_s3_metadata(metadata),
                IfNoneMatch="*",
            )
        except ClientError as exc:
            code = _error_code(exc)
            if code in {"PreconditionFailed", "ConditionalRequestConflict"}:
                return False
            raise StorageError(f"cannot write s3://{self.bucket}/{self._key(key)}: {code}") from exc
        return True

    def put(self, key: str, data: bytes, metadata: dict[str, str] | None = None) -> None:
        from botocore.exceptions import ClientError

        try:
            self.client.put_object(
                Bucket=self.bucket, Key=self._key(key), Body=data, Metadata=_s3_metadata(metadata or {})
            )
        except ClientError as exc:
            code = _error_code(exc)
            raise StorageError(f"cannot write s3://{self.bucket}/{self._key(key)}: {code}") from exc

    def get(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except ClientError as exc:
            raise StorageError(f"cannot read {key!r} in {self.uri}: {_error_code(exc)}") from exc

    def delete(self, key: str) -> None:
        from botocore.exceptions import ClientError

        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            code = _error_code(exc)
            raise StorageError(f"cannot delete s3://{self.bucket}/{self._key(key)}: {code}") from exc

    def metadata(self, key: str) -> dict[str, str]:
        from botocore.exceptions import ClientError

        try:
            head: Any = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            raise StorageError(f"cannot read {key!r} in {self.uri}: {_error_code(exc)}") from exc
        return {name: value for name, value in head.get("Metadata", {}).items()}

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            # Only "not there" means False: a denied or throttled HEAD must not pass for a missing object (curation
            # would then skip removing a group's stale silver).
            if _error_code(exc) in _MISSING:
                return False
            raise StorageError(f"cannot check {key!r} in {self.uri}: {_error_code(exc)}") from exc
        return True

    def list(self, prefix: str) -> Iterator[str]:
        return iter([key for key, _ in self.list_sizes(prefix)])

    def synced_together(self) -> AbstractContextManager[None]:
        return nullcontext()  # an S3 object is durable once its PUT returns

    def list_sizes(self, prefix: str) -> Sequence[tuple[str, int]]:
        # One listing gives both: ListObjectsV2 returns each object's Size with its Key.
        paginator = self.client.get_paginator("list_objects_v2")
        found: list[tuple[str, int]] = []
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
            found.extend((item["Key"][len(self.prefix) :], int(item["Size"])) for item in page.get("Contents", []))
        return sorted(found)


def _s3_metadata(metadata: dict[str, str]) -> dict[str, str]:
    # S3 user metadata is ASCII and lower-cased; keep names as given (they already are) and escape values.
    return {name.lower(): value.encode("ascii", "backslashreplace").decode() for name, value in metadata.items()}


_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})


def _error_code(exc: Exception) -> str:
    response: Any = getattr(exc, "response", {}) or {}
    return str(response.get("Error", {}).get("Code", "") or type(exc).__name__)
