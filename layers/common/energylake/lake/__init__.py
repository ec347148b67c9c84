"""The lake: where bytes live (:mod:`.storage`, a local folder or S3), where each zone keeps what (:mod:`.layout`,
the only module that builds or parses keys and lake URIs) and how fetched replies land (:mod:`.landing`)."""

from __future__ import annotations

from energylake.lake.layout import LakeUri
from energylake.lake.storage import LocalStorage, S3Storage, Storage, open_storage

__all__ = ["LakeUri", "LocalStorage", "S3Storage", "Storage", "open_storage"]
