"""WarehouseSetupFunction: the CloudFormation custom resource that sets up a warehouse namespace the stack created
(schema, database roles, grants: :mod:`energylake.warehouse.redshift.setup`), so the loader's first run finds
everything it needs.

It runs as the namespace's administrator: the Redshift Data API with the admin secret Redshift manages
(``ManageAdminPassword``; its ARN is not a CloudFormation attribute of the namespace, so the function reads it with
``redshift-serverless:GetNamespace``), one idempotent statement at a time (not one transaction: each statement is
safe to repeat, and a rerun converges). Create and Update run the setup; a deploy that changes the setup's properties
(schema, reader user, the code's setup version) runs it again. Delete does nothing: the stack deletes the namespace
itself, and an existing warehouse must keep its grants.

Resource properties: ``WorkgroupName``, ``NamespaceName``, ``Database``, ``SchemaName``, and optionally
``LoaderUsers``/``ReaderUsers`` (database users granted the loader/reader role; one that does not exist yet is
skipped with a notice). Every outcome, a failure included, is reported to CloudFormation with a one-line reason.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from energylake.errors import EnergylakeError
from energylake.lambdas._aws import aws_client
from energylake.lambdas._custom_resource import parse_request, respond
from energylake.warehouse.redshift.data_api import DataApi, DataApiTarget
from energylake.warehouse.redshift.setup import setup_statements

__all__ = ["SetupProperties", "admin_secret_arn", "handle", "run_setup"]

logger = logging.getLogger(__name__)


class SetupProperties(BaseModel):
    """The custom resource's properties (CloudFormation sends every value as a string or a list of strings)."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    workgroup_name: str = Field(alias="WorkgroupName", min_length=1)
    namespace_name: str = Field(alias="NamespaceName", min_length=1)
    database: str = Field(alias="Database", min_length=1)
    schema_name: str = Field("energylake", alias="SchemaName")
    loader_users: list[str] = Field(default_factory=list, alias="LoaderUsers")
    reader_users: list[str] = Field(default_factory=list, alias="ReaderUsers")

    def statements(self) -> list[str]:
        # An empty list parameter arrives as [""]: no user.
        return setup_statements(
            self.schema_name,
            loader_users=[user for user in self.loader_users if user],
            reader_users=[user for user in self.reader_users if user],
        )


def run_setup(properties: SetupProperties, api: DataApi) -> str:
    """Run the setup statements one by one; returns their digest (the resource's physical id)."""
    statements = properties.statements()
    for statement in statements:
        api.batch([statement], kind="setup")
    return hashlib.sha256("\n".join(statements).encode()).hexdigest()[:16]


def admin_secret_arn(namespace_name: str, serverless: Any) -> str:
    """The ARN of the admin secret Redshift manages for ``namespace_name`` (``serverless``: a redshift-serverless
    client)."""
    namespace = serverless.get_namespace(namespaceName=namespace_name)["namespace"]
    arn = namespace.get("adminPasswordSecretArn")
    if not arn:
        raise EnergylakeError(
            f"namespace {namespace_name} has no managed admin secret (ManageAdminPassword must be true)"
        )
    return str(arn)


def _data_api(properties: SetupProperties) -> DataApi:
    secret = admin_secret_arn(properties.namespace_name, aws_client("redshift-serverless"))
    target = DataApiTarget(properties.database, workgroup_name=properties.workgroup_name, secret_arn=secret)
    return DataApi(aws_client("redshift-data"), target)


def handle(event: object, *, api: DataApi | None = None) -> dict[str, Any]:
    """Answer one custom resource request; returns what was reported (for logs and tests)."""
    request = parse_request(event)  # nowhere to answer a bad one: the invocation fails, its log says why
    physical_id = request.physical_resource_id or f"{request.logical_resource_id}-not-set-up"
    try:
        if request.request_type in ("Create", "Update"):
            properties = SetupProperties.model_validate(request.resource_properties)
            digest = run_setup(properties, api or _data_api(properties))
            physical_id = f"warehouse-setup-{properties.workgroup_name}-{properties.schema_name}"
            status = "SUCCESS"
            reason = (
                f"set up schema {properties.schema_name} (roles energylake_loader, energylake_reader) on workgroup "
                f"{properties.workgroup_name}, setup {digest}"
            )
        elif request.request_type == "Delete":
            status, reason = "SUCCESS", "kept the setup (the stack deletes a namespace it created itself)"
        else:
            status, reason = "FAILED", f"unknown RequestType {request.request_type!r}"
    except ValidationError as exc:
        fields = ", ".join(".".join(str(part) for part in error["loc"]) for error in exc.errors())
        status, reason = "FAILED", f"the warehouse setup's properties are invalid: {fields}"
    except Exception as exc:  # every failure must reach CloudFormation, or the stack waits an hour
        logger.exception("the warehouse setup failed")
        status, reason = "FAILED", f"the warehouse setup failed: {type(exc).__name__}: {exc}".splitlines()[0]
    respond(request, status, reason, physical_id, {})
    return {"Status": status, "Reason": reason, "PhysicalResourceId": physical_id}
