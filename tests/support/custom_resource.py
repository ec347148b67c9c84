"""CloudFormation's side of a custom resource: the presigned response URL a function reports to, recorded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import respx


@contextmanager
def response_url(url: str) -> Iterator[respx.Route]:
    """Record what the function PUTs to CloudFormation's response URL ``url`` (answered 200)."""
    with respx.mock(assert_all_called=False) as router:
        yield router.put(url).mock(return_value=httpx.Response(200))


def reported(route: respx.Route) -> dict[str, Any]:
    """The last response the function reported; fails if it carried a Content-Type (it breaks the URL's signature)."""
    request = route.calls.last.request
    assert request.headers.get("content-type", "") == "", "a Content-Type would break the presigned URL's signature"
    body: dict[str, Any] = json.loads(request.content)
    return body
