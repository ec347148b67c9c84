"""PublishGlueArtifactsFunction: the CloudFormation custom resource that puts the gold Glue job's script and the
``energylake`` package it imports into the lake, so ``sam build && sam deploy`` alone leaves a runnable job.

``sam deploy`` uploads Lambda code and layers, not Glue artifacts. This function ships with the common layer (the
package, exactly as every Lambda runs it) and with ``glue/build_gold.py`` (``functions/publish_glue_artifacts/`` links
it), and on Create/Update writes both under ``artifacts/glue/<digest>/`` of the lake bucket: content-addressed, so a
deploy never overwrites what a running job reads, and a repeated deploy of the same code writes nothing new. The job
takes the returned locations (``!GetAtt GlueArtifacts.ScriptLocation`` / ``.PackageLocation``).

Delete succeeds without deleting: the artifacts are a few hundred kB, and during an update's rollback the previous
job definition still points at the previous digest.

Every outcome, a failure included, is reported to CloudFormation (an unanswered request holds the stack for an hour);
the reason is one line naming what failed.

Protocol: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html
"""

from __future__ import annotations

import hashlib
import io
import logging
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from energylake.errors import EnergylakeError
from energylake.lake.layout import LakeUri, glue_artifact_key
from energylake.lake.storage import Storage
from energylake.lambdas._custom_resource import parse_request, respond

__all__ = ["GlueArtifacts", "PublishedArtifacts", "glue_artifacts", "handle", "publish"]

logger = logging.getLogger(__name__)

SCRIPT_NAME: Final = "build_gold.py"
PACKAGE_NAME: Final = "energylake.zip"
# Rooms of the package that never ship (the layer leaves them out already; a source checkout has them).
_LOCAL_ONLY_ROOMS: Final = frozenset({"local", "sample"})
_ZIP_EPOCH: Final = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: the same files give the same bytes, hence the same digest


@dataclass(frozen=True)
class GlueArtifacts:
    """The job script and the package archive, as bytes, with the digest that names them in the lake."""

    script: bytes
    package: bytes

    @property
    def digest(self) -> str:
        content = hashlib.sha256()
        for part in (self.script, self.package):
            content.update(hashlib.sha256(part).digest())
        return content.hexdigest()[:16]


@dataclass(frozen=True)
class PublishedArtifacts:
    digest: str
    script_location: str
    package_location: str

    def as_data(self) -> dict[str, str]:
        """The custom resource's attributes (``!GetAtt GlueArtifacts.<name>``)."""
        return {
            "Digest": self.digest,
            "ScriptLocation": self.script_location,
            "PackageLocation": self.package_location,
        }


def _package_zip(package_dir: Path) -> bytes:
    """``package_dir`` zipped with ``energylake/`` at the root (what Glue's ``--extra-py-files`` expects): sources
    only (Glue runs Python 3.11; the layer's bytecode is for the Lambda runtime's 3.12), deterministic bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(package_dir.rglob("*")):
            relative = path.relative_to(package_dir)
            if not path.is_file() or "__pycache__" in relative.parts or path.suffix == ".pyc":
                continue
            if relative.parts[0] in _LOCAL_ONLY_ROOMS:
                continue
            entry = zipfile.ZipInfo(f"{package_dir.name}/{relative.as_posix()}", date_time=_ZIP_EPOCH)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, path.read_bytes())
    return buffer.getvalue()


def glue_artifacts(package_dir: Path, script: Path) -> GlueArtifacts:
    """The artifacts of the package at ``package_dir`` and the job script ``script``; a clear error when either is
    missing (a function built without its layer or without the linked script)."""
    if not (package_dir / "__init__.py").is_file():
        raise EnergylakeError(f"no energylake package at {package_dir}: attach the common layer to this function")
    if not script.is_file():
        raise EnergylakeError(f"no Glue job script at {script}: build the function with sam build (it links glue/)")
    return GlueArtifacts(script=script.read_bytes(), package=_package_zip(package_dir))


def publish(artifacts: GlueArtifacts, storage: Storage, lake: LakeUri) -> PublishedArtifacts:
    """Write ``artifacts`` under ``artifacts/glue/<digest>/`` of ``lake`` (never replacing an existing object: the
    same digest means the same bytes) and return their locations."""
    digest = artifacts.digest
    locations = {}
    for name, data in ((SCRIPT_NAME, artifacts.script), (PACKAGE_NAME, artifacts.package)):
        key = glue_artifact_key(digest, name)
        written = storage.put_new(key, data, {"energylake-artifact": name, "energylake-digest": digest})
        logger.info("glue artifact %s %s", "published" if written else "already present", key)
        locations[name] = lake.object_uri(key)
    return PublishedArtifacts(digest, locations[SCRIPT_NAME], locations[PACKAGE_NAME])


def handle(event: object, *, package_dir: Path, script: Path, storage: Storage, lake: LakeUri) -> dict[str, Any]:
    """Answer one custom resource request; returns what was reported (for logs and tests)."""
    request = parse_request(event)  # nowhere to answer a bad one: the invocation fails, its log says why
    physical_id = request.physical_resource_id or f"{request.logical_resource_id}-unpublished"
    data: dict[str, str] = {}
    try:
        if request.request_type in ("Create", "Update"):
            published = publish(glue_artifacts(package_dir, script), storage, lake)
            physical_id, data = f"glue-artifacts-{published.digest}", published.as_data()
            status, reason = "SUCCESS", f"published {published.script_location} and {published.package_location}"
        elif request.request_type == "Delete":
            status, reason = "SUCCESS", "kept the content-addressed artifacts (an update's rollback may still use them)"
        else:
            status, reason = "FAILED", f"unknown RequestType {request.request_type!r}"
    except Exception as exc:  # every failure must reach CloudFormation, or the stack waits an hour
        logger.exception("publishing the Glue artifacts failed")
        status, reason = "FAILED", f"publishing the Glue artifacts failed: {type(exc).__name__}: {exc}".splitlines()[0]
    respond(request, status, reason, physical_id, data)
    return {"Status": status, "Reason": reason, "PhysicalResourceId": physical_id, "Data": data}
