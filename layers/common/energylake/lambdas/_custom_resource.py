"""What the CloudFormation custom resources share (PublishGlueArtifactsFunction, WarehouseSetupFunction): the request
fields they read, and the answer every outcome must send.

Protocol: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from energylake.errors import EnergylakeError

__all__ = ["CustomResourceRequest", "parse_request", "respond"]


class CustomResourceRequest(BaseModel):
    """What the custom resources read of a request (Powertools' models require every field; a request we cannot
    answer must at least name where to send the failure)."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    request_type: str = Field(alias="RequestType")
    response_url: str = Field(alias="ResponseURL", pattern=r"^https://")
    stack_id: str = Field(alias="StackId")
    request_id: str = Field(alias="RequestId")
    logical_resource_id: str = Field(alias="LogicalResourceId")
    physical_resource_id: str | None = Field(default=None, alias="PhysicalResourceId")
    resource_properties: dict[str, Any] = Field(default_factory=dict, alias="ResourceProperties")


def parse_request(event: object) -> CustomResourceRequest:
    """The request, or an EnergylakeError naming what is missing (nowhere to answer: the invocation fails, its log
    says why, and CloudFormation times the resource out)."""
    if not isinstance(event, dict):
        raise EnergylakeError(f"invalid custom resource request: expected a JSON object, got {type(event).__name__}")
    try:
        return CustomResourceRequest.model_validate(event)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(part) for part in error["loc"]) for error in exc.errors())
        raise EnergylakeError(f"invalid custom resource request: bad or missing {fields}") from None


def respond(request: CustomResourceRequest, status: str, reason: str, physical_id: str, data: dict[str, str]) -> None:
    """PUT the outcome to the request's presigned ResponseURL (an unanswered request holds the stack for an hour)."""
    import httpx

    body = {
        "Status": status,
        "Reason": reason[:1000],  # one line; CloudFormation shows it in the stack's events
        "PhysicalResourceId": physical_id,
        "StackId": request.stack_id,
        "RequestId": request.request_id,
        "LogicalResourceId": request.logical_resource_id,
        "NoEcho": False,
        "Data": data,
    }
    # The URL is a presigned S3 PUT: an empty Content-Type keeps its signature valid.
    transport = httpx.HTTPTransport(retries=3)
    with httpx.Client(transport=transport, timeout=30.0) as client:
        response = client.put(request.response_url, content=json.dumps(body).encode(), headers={"Content-Type": ""})
        response.raise_for_status()
