"""Test doubles shared across test modules: a fake clock, handler loading as Lambda does it, SQS/S3 events."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType
from typing import Any

from tests.support.paths import REPO_ROOT

FUNCTIONS_DIR = REPO_ROOT / "functions"
FAKE_REGION = "us-east-1"
FAKE_ACCOUNT = "123456789012"
# The S3 key filter of the lake bucket's queue notification (template.yaml LakeBucket): manifests landed in raw/.
MANIFEST_KEY_FILTER = [{"Name": "prefix", "Value": "raw/"}, {"Name": "suffix", "Value": ".manifest.json"}]


class FakeClock:
    """A monotonic clock that only moves when the code under test sleeps (so no test waits for real)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def load_handler(folder: str, *, fresh: bool = False) -> ModuleType:
    """``functions/<folder>/app.py``, imported as Lambda loads it, under the module name ``handler_<folder>``.

    Every handler file is called ``app.py``, so each gets its own name. The module is imported once and cached in
    ``sys.modules`` (as in a warm Lambda); ``fresh=True`` imports it again (a cold start: new module-level state).
    """
    name = f"handler_{folder}"
    if not fresh and name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, FUNCTIONS_DIR / folder / "app.py")
    assert spec and spec.loader, f"no handler at functions/{folder}/app.py"
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


class FakeContext:
    """A stand-in for the LambdaContext the runtime passes a handler (what Powertools reads from it)."""

    function_version = "$LATEST"
    memory_limit_in_mb = 512
    aws_request_id = "00000000-0000-0000-0000-000000000001"
    log_stream_name = "stream"

    def __init__(self, function_name: str = "energylake-test") -> None:
        self.function_name = function_name
        self.invoked_function_arn = f"arn:aws:lambda:{FAKE_REGION}:{FAKE_ACCOUNT}:function:{function_name}"
        self.log_group_name = f"/aws/lambda/{function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


def notify_queue_of_manifests(s3: Any, bucket: str, queue_arn: str) -> None:
    """Have ``bucket`` notify the queue of every manifest created under raw/, as template.yaml's LakeBucket does."""
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "Id": "validate-manifests",
                    "QueueArn": queue_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": MANIFEST_KEY_FILTER}},
                }
            ]
        },
    )


def sqs_lambda_event(messages: list[dict[str, Any]], source_arn: str) -> dict[str, Any]:
    """The event Lambda's SQS poller builds from messages received with ``AttributeNames=["All"]``."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": source_arn,
                "awsRegion": FAKE_REGION,
            }
            for message in messages
        ]
    }


def land_unparseable_version(lake: Any, manifest_key: str, *, fetched_at: Any) -> str:
    """Land a newer version of an spp_dam group whose single member does not parse (as a changed source would);
    returns its manifest key."""
    import dataclasses
    import datetime as dt
    import json

    from energylake.contracts.raw import RawReply
    from energylake.lake.landing import land_group

    manifest = json.loads(lake.get(manifest_key))
    meta = lake.metadata(manifest["members"][0]["key"])
    reply = RawReply(
        source="ercot",
        dataset="spp_dam",
        day=dt.date.fromisoformat(manifest["date"]),
        origin="ercot-api",
        origin_reason=meta["source-reason"],
        method="GET",
        url=meta["request-url"],
        params=json.loads(meta["request-params"]),
        status_code=200,
        body=b'{"_meta": {"totalPages": 1}, "data": [["2024-11-03", "01:00", "HB_NORTH", "not-a-price", false]]',
        extension="json",
        fetched_at=fetched_at,
    )
    return land_group(lake, [dataclasses.replace(reply)]).manifest_key
