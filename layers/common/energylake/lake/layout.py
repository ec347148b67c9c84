"""The lake's layout: the one place that builds AND parses its keys, and parses the lake URI.

Zones are prefixes of one lake root (a local folder or ``s3://bucket[/prefix]``, parsed once into :class:`LakeUri`)::

    raw/source=<src>/dataset=<d>/date=<day>/<request fingerprint>/<fetched at>-<sha256[:16]>.<json|zip>
    raw/source=<src>/dataset=<d>/date=<day>/_manifests/<group>/<fetched at>-<members hash>.manifest.json
    silver/dataset=<d>/date=<UTC date>/<group>.parquet                 typed rows, lineage, zstd
    gold/<table>/date=<UTC date>/part-*.parquet                         the hourly tables
    quality/dataset=<d>/date=<raw day>/<group>.json                    the quality report of every curated group
    quarantine/dataset=<d>/date=<raw day>/<group>/...                  failed groups' rows and rejected rows
    _state/backfill-<start>-<end>.json                                 a local backfill's finished chunks
    artifacts/redshift/copy-manifests/<table>/<start>_<end>/<load>.json  a Redshift load's COPY manifest

Raw ``date`` is the operating day a request asked for (the partition it lands in); silver and gold ``date`` is the
UTC date of each row's time column, because a Central operating day straddles two UTC dates.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from energylake.errors import ConfigurationError, InvalidRequestError, StorageError

RAW_ZONE = "raw"
SILVER_ZONE = "silver"
GOLD_ZONE = "gold"
QUALITY_ZONE = "quality"
QUARANTINE_ZONE = "quarantine"
STATE_ZONE = "_state"
ZONES = (RAW_ZONE, SILVER_ZONE, GOLD_ZONE, QUALITY_ZONE, QUARANTINE_ZONE)
MANIFEST_DIR = "_manifests"
MANIFEST_SUFFIX = ".manifest.json"
PARTITION_COLUMN = "date"  # the Hive partition of every zone
LOG_FILE = "logs/energylake.log"  # a local lake's JSON-lines log (relative to the lake folder)
SPARK_LOG_FILE = "logs/spark.log"  # local Spark's own log (its warnings and Java traces), same folder

_PARTITION_DATE = re.compile(rf"(?:^|/){PARTITION_COLUMN}=(\d{{4}}-\d{{2}}-\d{{2}})/")


# --- the lake URI ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LakeUri:
    """Where a lake lives, parsed once: a local folder (``path``) or an S3 bucket and key prefix."""

    text: str  # as given
    scheme: Literal["file", "s3"]
    bucket: str = ""  # S3 only
    prefix: str = ""  # S3 only: the key prefix, without slashes at either end ("" for the bucket's root)
    path: Path | None = None  # local only

    @classmethod
    def parse(cls, uri: str) -> LakeUri:
        """``s3://bucket[/prefix]`` or a folder path; anything else (another scheme, no bucket) is a StorageError."""
        if uri.startswith("s3://"):
            parts = urlsplit(uri)
            if not parts.netloc:
                raise StorageError(f"S3 lake URI needs a bucket: {uri!r}")
            return cls(uri, "s3", bucket=parts.netloc, prefix=parts.path.strip("/"))
        if "://" in uri:
            raise StorageError(f"unsupported lake URI {uri!r}: use a folder path or s3://bucket/prefix")
        return cls(uri, "file", path=Path(uri))

    @property
    def is_s3(self) -> bool:
        return self.scheme == "s3"

    @property
    def key_prefix(self) -> str:
        """What goes before a lake key to make an S3 object key: ``prefix/`` or nothing."""
        return f"{self.prefix}/" if self.prefix else ""

    @property
    def root(self) -> str:
        """The lake root without a trailing slash: ``s3://bucket[/prefix]`` or the folder as given."""
        if self.is_s3:
            return f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        return str(self.path)

    def s3_root(self, what: str) -> str:
        """``s3://bucket[/prefix]/`` (one trailing slash: how the Glue job and ENERGYLAKE_LAKE_URI spell it); a
        ConfigurationError naming ``what`` needs S3 when the lake is a folder."""
        if not self.is_s3:
            raise ConfigurationError(f"{what} needs an S3 lake (s3://bucket[/prefix]), got {self.text!r}")
        return f"{self.root}/"

    def object_uri(self, key: str) -> str:
        """The full location of a lake key: ``s3://bucket/prefix/key`` or ``folder/key``."""
        return f"{self.root}/{key}"

    def spark_path(self) -> str:
        """A Spark/Hadoop path for the lake root: ``s3://`` (Glue) or an absolute ``file:`` URI."""
        if self.is_s3:
            return self.root
        assert self.path is not None
        return self.path.resolve().as_uri()

    def lake_key(self, s3_key: str) -> str | None:
        """The lake key of an object key of this lake's bucket, or None when the object is outside the lake."""
        if not s3_key.startswith(self.key_prefix):
            return None
        return s3_key[len(self.key_prefix) :]


def s3_lake_root(uri: str) -> str:
    """``uri`` as an S3 lake root with one trailing slash; InvalidRequestError when it is not one (event fields)."""
    try:
        lake = LakeUri.parse(uri)
    except StorageError:
        lake = None
    if lake is None or not lake.is_s3:
        raise InvalidRequestError(f"must be an s3://bucket[/prefix] lake URI (the Glue job reads S3), got {uri!r}")
    return f"{lake.root}/"


# --- partitions -----------------------------------------------------------------------------------------------------


def partition(day: dt.date) -> str:
    """``date=YYYY-MM-DD/``: the Hive partition folder of one day."""
    return f"{PARTITION_COLUMN}={day.isoformat()}/"


def partition_values(key: str) -> dict[str, str]:
    """The ``name=value`` parts of a key (``source``, ``dataset``, ``date``), by name."""
    return dict(part.split("=", 1) for part in key.split("/") if "=" in part)


def partition_date(key: str) -> dt.date | None:
    """The day of the ``date=`` partition a key (or file path) lies in, or None (also for an impossible date)."""
    match = _PARTITION_DATE.search(key.replace("\\", "/"))
    if match is None:
        return None
    try:
        return dt.date.fromisoformat(match.group(1))
    except ValueError:  # date=2024-13-03: not a partition this code writes
        return None


# --- raw ------------------------------------------------------------------------------------------------------------


def raw_prefix(source: str | None = None, dataset: str | None = None) -> str:
    """The raw zone, or one source's, or one dataset's part of it."""
    prefix = f"{RAW_ZONE}/"
    if source:
        prefix += f"source={source}/"
        if dataset:
            prefix += f"dataset={dataset}/"
    return prefix


def raw_day_prefix(source: str, dataset: str, day: dt.date) -> str:
    return f"{raw_prefix(source, dataset)}{partition(day)}"


def raw_object_key(source: str, dataset: str, day: dt.date, fingerprint: str, name: str) -> str:
    """``raw/.../date=<day>/<request fingerprint>/<name>``: one folder per request."""
    return f"{raw_day_prefix(source, dataset, day)}{fingerprint}/{name}"


def is_raw_object_key(key: str) -> bool:
    """A raw data object (not a manifest)."""
    return key.startswith(f"{RAW_ZONE}/") and f"/{MANIFEST_DIR}/" not in key


def manifest_prefix(source: str, dataset: str, day: dt.date, group: str) -> str:
    return f"{raw_day_prefix(source, dataset, day)}{MANIFEST_DIR}/{group}/"


def manifests_prefix(source: str, dataset: str, day: dt.date) -> str:
    """Every group's manifests of one raw day partition."""
    return f"{raw_day_prefix(source, dataset, day)}{MANIFEST_DIR}/"


def is_manifest_key(key: str) -> bool:
    return key.startswith(f"{RAW_ZONE}/") and key.endswith(MANIFEST_SUFFIX)


@dataclass(frozen=True)
class ManifestKey:
    """What a manifest's key says: its source, dataset, raw day and group."""

    key: str
    source: str
    dataset: str
    day: dt.date
    group: str

    @property
    def folder(self) -> str:
        """The folder holding every manifest of the group."""
        return manifest_prefix(self.source, self.dataset, self.day, self.group)


def parse_manifest_key(key: str) -> ManifestKey:
    """``raw/source=S/dataset=D/date=YYYY-MM-DD/_manifests/<group>/<stamp>-<hash>.manifest.json`` -> its parts;
    InvalidRequestError naming the key when it is not one."""
    parts = key.split("/")
    if (
        len(parts) != 7
        or parts[0] != RAW_ZONE
        or parts[4] != MANIFEST_DIR
        or not key.endswith(MANIFEST_SUFFIX)
        or not parts[1].startswith("source=")
        or not parts[2].startswith("dataset=")
    ):
        raise InvalidRequestError(f"not a raw manifest key: {key!r}")
    day = partition_date(key)
    if day is None:
        raise InvalidRequestError(f"not a raw manifest key (bad date {parts[3].removeprefix('date=')!r}): {key!r}")
    return ManifestKey(key, parts[1].removeprefix("source="), parts[2].removeprefix("dataset="), day, parts[5])


# --- silver, gold, quality, quarantine, state -------------------------------------------------------------------------


def silver_prefix(dataset: str) -> str:
    """``silver/dataset=<d>/``: followed by ``date=<UTC date>/``."""
    return f"{SILVER_ZONE}/dataset={dataset}/"


def silver_key(dataset: str, utc_day: dt.date, group: str) -> str:
    return f"{silver_prefix(dataset)}{partition(utc_day)}{group}.parquet"


def gold_prefix(table: str) -> str:
    """``gold/<table>/``: followed by ``date=<UTC date>/``."""
    return f"{GOLD_ZONE}/{table}/"


def quality_report_key(dataset: str, raw_day: dt.date, group: str) -> str:
    return f"{QUALITY_ZONE}/dataset={dataset}/{partition(raw_day)}{group}.json"


def quality_report_group(key: str) -> str:
    """The group a quality report key is for."""
    return key.rsplit("/", 1)[-1].removesuffix(".json")


def quarantine_prefix(dataset: str, raw_day: dt.date, group: str) -> str:
    return f"{QUARANTINE_ZONE}/dataset={dataset}/{partition(raw_day)}{group}/"


def quarantine_group(key: str) -> tuple[str, str] | None:
    """(dataset, group) of an object in a quarantined group's folder, or None for anything else."""
    parts = key.split("/")
    if len(parts) < 5 or parts[0] != QUARANTINE_ZONE:
        return None
    return partition_values(key).get("dataset", "?"), parts[3]


def backfill_state_key(start: dt.date, end: dt.date) -> str:
    """Where a local backfill of the operating days ``start``..``end`` records its finished chunks."""
    return f"{STATE_ZONE}/backfill-{start.isoformat()}-{end.isoformat()}.json"


# --- deploy artifacts -----------------------------------------------------------------------------------------------

GLUE_ARTIFACTS_PREFIX = "artifacts/glue/"  # the only prefix outside silver/ and gold/ the Glue job role may read


def glue_artifact_key(digest: str, name: str) -> str:
    """Where the deploy publishes a Glue job artifact: content-addressed (``digest`` of everything published
    together), so a new deploy never overwrites what a running job is reading."""
    if not re.fullmatch(r"[0-9a-f]{8,64}", digest) or not re.fullmatch(r"[A-Za-z0-9._-]+", name):
        raise StorageError(f"invalid Glue artifact digest {digest!r} or name {name!r}")
    return f"{GLUE_ARTIFACTS_PREFIX}{digest}/{name}"


REDSHIFT_MANIFESTS_PREFIX = "artifacts/redshift/copy-manifests/"  # the COPY role reads these and the loadable zones


def redshift_copy_manifest_key(table: str, start: dt.date, end: dt.date, load_id: str) -> str:
    """Where one Redshift load writes the COPY manifest of ``table`` for the operating days ``start``..``end``: one
    key per load (``load_id``), so two loads of the same window never read each other's manifest."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,126}", table) or not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", load_id):
        raise StorageError(f"invalid Redshift manifest table {table!r} or load id {load_id!r}")
    return f"{REDSHIFT_MANIFESTS_PREFIX}{table}/{start.isoformat()}_{end.isoformat()}/{load_id}.json"
