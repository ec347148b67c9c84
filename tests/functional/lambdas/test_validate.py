"""The validate service on moto: lake bucket -> S3 notification -> SQS (with a DLQ) -> ValidateFunction -> silver.

The wiring is the template's: the notification filter is template.yaml's (checked below), the queue redrives to a
DLQ. The SQS messages the function sees are real ones, received from the moto queue and shaped as Lambda's SQS
poller shapes them; the poller's reaction to the reply (delete what succeeded, let the failures reappear) is played by
:func:`settle`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, unquote_plus

import boto3
import pytest
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from moto import mock_aws

from energylake.contracts.raw import RawReply
from energylake.errors import ConfigurationError, InvalidRequestError
from energylake.fetch import fetch
from energylake.lake.landing import land_group
from energylake.lake.storage import LocalStorage, S3Storage, open_storage
from energylake.lambdas import _shared
from energylake.sample import connection as sample_connection
from energylake.settings import Settings
from energylake.window import Window
from tests.support.fakes import FakeContext, load_handler, notify_queue_of_manifests, sqs_lambda_event
from tests.support.paths import REPO_ROOT
from tests.support.sample_clock import SAMPLE_NOW
from tests.support.template import RESOURCES

REGION = "us-east-1"
BUCKET = "energylake-lake-test"
MAX_RECEIVES = 2  # the template uses 5; 2 keeps the dead-letter test short
NOV_3 = Window(dt.date(2024, 11, 3), dt.date(2024, 11, 3))
SAMPLE_EVENT = REPO_ROOT / "events" / "validate.json"


def template_notification_filter() -> dict[str, Any]:
    """The lake bucket's queue notification of template.yaml, in the shape of the S3 API."""
    [config] = RESOURCES["LakeBucket"]["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    rules = [{"Name": rule["Name"], "Value": rule["Value"]} for rule in config["Filter"]["S3Key"]["Rules"]]
    return {"Events": [config["Event"]], "Filter": {"Key": {"FilterRules": rules}}}


@dataclass
class Wiring:
    s3: Any
    sqs: Any
    queue_url: str
    queue_arn: str
    dlq_url: str
    lake: S3Storage


@pytest.fixture
def wiring(monkeypatch: pytest.MonkeyPatch) -> Iterator[Wiring]:
    """A moto lake bucket notifying a queue (redriving to a DLQ), and the environment ValidateFunction gets."""
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        dlq_url = sqs.create_queue(QueueName="validate-dlq")["QueueUrl"]
        redrive = {"deadLetterTargetArn": queue_arn(sqs, dlq_url), "maxReceiveCount": str(MAX_RECEIVES)}
        queue_url = sqs.create_queue(QueueName="validate", Attributes={"RedrivePolicy": json.dumps(redrive)})[
            "QueueUrl"
        ]
        notify_queue_of_manifests(s3, BUCKET, queue_arn(sqs, queue_url))
        monkeypatch.setenv("ENERGYLAKE_LAKE_URI", f"s3://{BUCKET}")
        _shared._lake.cache_clear()
        yield Wiring(s3, sqs, queue_url, queue_arn(sqs, queue_url), dlq_url, S3Storage(BUCKET, client=s3))
        _shared._lake.cache_clear()


def test_the_wiring_notifies_as_the_template_does(wiring: Wiring) -> None:
    [config] = wiring.s3.get_bucket_notification_configuration(Bucket=BUCKET)["QueueConfigurations"]
    template = template_notification_filter()
    assert config["QueueArn"] == wiring.queue_arn
    assert config["Events"] == template["Events"]
    rules = {rule["Name"].lower(): rule["Value"] for rule in config["Filter"]["Key"]["FilterRules"]}
    assert rules == {rule["Name"].lower(): rule["Value"] for rule in template["Filter"]["Key"]["FilterRules"]}


def queue_arn(sqs: Any, url: str) -> str:
    arn: str = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return arn


def receive(wiring: Wiring, url: str | None = None) -> list[dict[str, Any]]:
    """Every visible message of the queue, as Lambda's poller would take them (visibility 30 s)."""
    messages: list[dict[str, Any]] = []
    while True:
        batch = wiring.sqs.receive_message(
            QueueUrl=url or wiring.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"], WaitTimeSeconds=0
        ).get("Messages", [])
        if not batch:
            return messages
        messages.extend(batch)


def failed_ids(reply: dict[str, Any]) -> list[str]:
    return [item["itemIdentifier"] for item in reply["batchItemFailures"]]


def settle(wiring: Wiring, messages: list[dict[str, Any]], reply: dict[str, Any]) -> None:
    """What the poller does with a ReportBatchItemFailures reply: delete the successes, the failures reappear
    (at once here, instead of after the visibility timeout)."""
    failed = set(failed_ids(reply))
    for message in messages:
        if message["MessageId"] in failed:
            wiring.sqs.change_message_visibility(
                QueueUrl=wiring.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
        else:
            wiring.sqs.delete_message(QueueUrl=wiring.queue_url, ReceiptHandle=message["ReceiptHandle"])


def is_test_event(message: dict[str, Any]) -> bool:
    return bool(json.loads(message["Body"]).get("Event") == "s3:TestEvent")


def s3_notification(bucket: str, key: str) -> str:
    """An S3 ObjectCreated notification body for ``key`` (URL-encoded, as S3 sends it)."""
    return json.dumps(
        {
            "Records": [
                {
                    "eventVersion": "2.1",
                    "eventSource": "aws:s3",
                    "awsRegion": REGION,
                    "eventTime": "2024-11-08T12:00:03.412Z",
                    "eventName": "ObjectCreated:Put",
                    "userIdentity": {"principalId": "AWS:EXAMPLE"},
                    "requestParameters": {"sourceIPAddress": "10.0.0.1"},
                    "responseElements": {"x-amz-request-id": "EXAMPLE", "x-amz-id-2": "EXAMPLE"},
                    "s3": {
                        "s3SchemaVersion": "1.0",
                        "configurationId": "validate-manifests",
                        "bucket": {
                            "name": bucket,
                            "ownerIdentity": {"principalId": "EXAMPLE"},
                            "arn": f"arn:aws:s3:::{bucket}",
                        },
                        "object": {"key": quote_plus(key, safe="/"), "size": 10, "eTag": "0" * 32},
                    },
                }
            ]
        }
    )


def sqs_record(body: str, message_id: str = "m-1") -> SQSRecord:
    return SQSRecord({"messageId": message_id, "body": body, "eventSource": "aws:sqs", "attributes": {}})


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]  # EMF values are a number or a list of numbers


def land_sample(wiring: Wiring, dataset: str = "spp_dam") -> list[str]:
    """Fetch one sample day into the moto lake: its manifests land last and notify the queue."""
    connection = sample_connection(Settings(), now=SAMPLE_NOW, throttle_every=0)
    return fetch(NOV_3, dataset, wiring.lake, connection).manifests


def lake_objects(wiring: Wiring, prefix: str) -> dict[str, bytes]:
    return {key: wiring.lake.get(key) for key in wiring.lake.list(prefix)}


def manifest_messages(wiring: Wiring) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(manifest notifications, S3 test events) currently on the queue."""
    messages = receive(wiring)
    return [m for m in messages if not is_test_event(m)], [m for m in messages if is_test_event(m)]


# --------------------------------------------------------------------------------------------------------------------
# The happy path, on the real wiring
# --------------------------------------------------------------------------------------------------------------------


def test_a_landed_group_is_curated_from_its_s3_notification(wiring: Wiring, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a day of day-ahead prices landed by the fetch stage: its manifest notified the queue
    [manifest] = land_sample(wiring, "spp_dam")
    notifications, test_events = manifest_messages(wiring)
    assert len(test_events) == 1, "S3 sends one s3:TestEvent when the notification is configured"
    assert len(notifications) == 1, "only the manifest passes the filter, not the group's raw objects"
    [s3_record] = json.loads(notifications[0]["Body"])["Records"]
    encoded_key = s3_record["s3"]["object"]["key"]
    assert "%3D" in encoded_key and unquote_plus(encoded_key) == manifest, "S3 URL-encodes the key"
    # WHEN ValidateFunction gets the batch (the test event included, as the poller would deliver it)
    batch = test_events + notifications
    reply = load_handler("validate").lambda_handler(
        sqs_lambda_event(batch, wiring.queue_arn), FakeContext("energylake-validate")
    )
    # THEN no message failed, the group is in silver and its quality report says passed
    assert reply == {"batchItemFailures": []}
    silver = lake_objects(wiring, "silver/dataset=spp_dam/")
    assert silver and all(key.endswith(".parquet") for key in silver)
    [report_key] = wiring.lake.list("quality/dataset=spp_dam/")
    report = json.loads(wiring.lake.get(report_key))
    assert report["status"] == "passed"
    assert sorted(report["outputs"]["silver"]) == sorted(silver)
    assert report["context"]["run_id"] == notifications[0]["MessageId"]  # run id = the SQS message id
    assert list(wiring.lake.list("quarantine/")) == []
    # AND the curation figures went out as EMF metrics under the dataset dimension
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    [blob] = [blob for blob in emf if "RowsIn" in blob]
    assert blob["dataset"] == "spp_dam"
    figures = {name: sum(_as_list(blob[name])) for name in ("ObjectsCurated", "ObjectsQuarantined", "RowsIn")}
    assert figures["ObjectsCurated"] == 1 and figures["ObjectsQuarantined"] == 0
    assert figures["RowsIn"] == report["rows"]["in"] > 0


def test_the_s3_test_event_alone_succeeds_and_writes_nothing(wiring: Wiring) -> None:
    # GIVEN only the test event S3 sent when the notification was configured
    _, [test_event] = manifest_messages(wiring)
    # WHEN it is handled
    reply = load_handler("validate").lambda_handler(
        sqs_lambda_event([test_event], wiring.queue_arn), FakeContext("energylake-validate")
    )
    # THEN it succeeds and nothing is written
    assert reply == {"batchItemFailures": []}
    assert list(wiring.lake.list("")) == []


def test_redelivering_a_message_rewrites_identical_bytes(wiring: Wiring) -> None:
    # GIVEN a group curated once from its notification
    land_sample(wiring, "spp_dam")
    [notification], _ = manifest_messages(wiring)
    handler = load_handler("validate")
    event = sqs_lambda_event([notification], wiring.queue_arn)
    assert handler.lambda_handler(event, FakeContext("energylake-validate")) == {"batchItemFailures": []}
    first = {**lake_objects(wiring, "silver/"), **lake_objects(wiring, "quality/")}
    # WHEN SQS delivers the same message again (at-least-once delivery, or a redrive)
    assert handler.lambda_handler(event, FakeContext("energylake-validate")) == {"batchItemFailures": []}
    # THEN every silver file and the report are byte for byte the same
    second = {**lake_objects(wiring, "silver/"), **lake_objects(wiring, "quality/")}
    assert first and second == first


# --------------------------------------------------------------------------------------------------------------------
# Failures: retried, then dead-lettered; never failing the neighbours
# --------------------------------------------------------------------------------------------------------------------

MISSING_MANIFEST = "raw/source=ercot/dataset=spp_dam/date=2024-11-03/_manifests/0123456789abcdef0123/x.manifest.json"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("not json at all", id="not-json"),
        pytest.param(json.dumps({"hello": "world"}), id="not-an-s3-event"),
        pytest.param(s3_notification(BUCKET, MISSING_MANIFEST), id="manifest-does-not-exist"),
    ],
)
def test_a_poison_message_is_retried_then_dead_lettered(wiring: Wiring, body: str) -> None:
    # GIVEN a message the function cannot process on the queue (the test event removed first)
    for message in receive(wiring):
        wiring.sqs.delete_message(QueueUrl=wiring.queue_url, ReceiptHandle=message["ReceiptHandle"])
    poison_id = wiring.sqs.send_message(QueueUrl=wiring.queue_url, MessageBody=body)["MessageId"]
    handler = load_handler("validate")
    # WHEN the poller delivers it until the queue gives up on it
    attempts = 0
    while messages := receive(wiring):
        reply = handler.lambda_handler(sqs_lambda_event(messages, wiring.queue_arn), FakeContext("energylake-validate"))
        # THEN each attempt reports it (and only it) as failed, without raising
        assert failed_ids(reply) == [poison_id]
        settle(wiring, messages, reply)
        attempts += 1
        assert attempts <= MAX_RECEIVES, "the message was received more often than maxReceiveCount"
    # AND after maxReceiveCount receives it is in the DLQ, unchanged, and nothing was written
    assert attempts == MAX_RECEIVES
    [dead] = receive(wiring, wiring.dlq_url)
    assert dead["MessageId"] == poison_id and dead["Body"] == body
    assert list(wiring.lake.list("silver/")) == list(wiring.lake.list("quality/")) == []


def test_a_mixed_batch_reports_exactly_the_failed_message(wiring: Wiring) -> None:
    # GIVEN a batch holding a real manifest notification, a poison message and the S3 test event
    land_sample(wiring, "spp_dam")
    poison_id = wiring.sqs.send_message(QueueUrl=wiring.queue_url, MessageBody="{not json")["MessageId"]
    messages = receive(wiring)
    assert len(messages) == 3
    # WHEN the function handles it
    reply = load_handler("validate").lambda_handler(
        sqs_lambda_event(messages, wiring.queue_arn), FakeContext("energylake-validate")
    )
    # THEN only the poison message is reported; the good one was curated despite its neighbour
    assert failed_ids(reply) == [poison_id]
    assert list(wiring.lake.list("silver/dataset=spp_dam/"))
    # AND once settled, only the poison message is left to retry
    settle(wiring, messages, reply)
    assert [m["MessageId"] for m in receive(wiring)] == [poison_id]


# --------------------------------------------------------------------------------------------------------------------
# Data problems are outcomes, not retries
# --------------------------------------------------------------------------------------------------------------------


def broken_reply() -> RawReply:
    """A spp_dam API page whose body is cut short: well-formed enough to land, impossible to parse."""
    return RawReply(
        source="ercot",
        dataset="spp_dam",
        day=dt.date(2024, 11, 3),
        origin="ercot-api",
        origin_reason="ERCOT API credentials configured",
        method="GET",
        url="https://api.ercot.com/api/public-reports/np4-190-cd/dam_stlmnt_pnt_prices",
        params={"deliveryDateFrom": "2024-11-03", "deliveryDateTo": "2024-11-03", "page": "1"},
        status_code=200,
        body=b'{"_meta": {"totalPages": 1}, "data": [["2024-11-03", "01:00", "HB_NO',
        extension="json",
        fetched_at=SAMPLE_NOW,
        extra={"page": "1", "total-pages": "1"},
    )


def test_a_group_that_cannot_be_parsed_is_quarantined_and_the_message_succeeds(wiring: Wiring) -> None:
    # GIVEN a group whose only member is a truncated reply, landed with its manifest
    landed = land_group(wiring.lake, [broken_reply()])
    [notification], _ = manifest_messages(wiring)
    # WHEN its notification is handled
    reply = load_handler("validate").lambda_handler(
        sqs_lambda_event([notification], wiring.queue_arn), FakeContext("energylake-validate")
    )
    # THEN the message succeeds (retrying cannot fix data) ...
    assert reply == {"batchItemFailures": []}
    # ... the quality report says failed and names the member, the quarantine holds the report, silver nothing
    [report_key] = wiring.lake.list("quality/dataset=spp_dam/")
    report = json.loads(wiring.lake.get(report_key))
    assert report["status"] == "failed"
    assert landed.members[0].key in report["error"]
    quarantined = list(wiring.lake.list("quarantine/dataset=spp_dam/"))
    assert any(key.endswith("/report.json") for key in quarantined)
    assert list(wiring.lake.list("silver/")) == []


# --------------------------------------------------------------------------------------------------------------------
# The sample event
# --------------------------------------------------------------------------------------------------------------------


@pytest.fixture
def sample_event(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[dict[str, Any], S3Storage]]:
    """events/validate.json and a moto lake under the bucket it names (no notification wiring needed)."""
    event: dict[str, Any] = json.loads(SAMPLE_EVENT.read_text())
    bucket = json.loads(event["Records"][0]["body"])["Records"][0]["s3"]["bucket"]["name"]
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=bucket)
        monkeypatch.setenv("ENERGYLAKE_LAKE_URI", f"s3://{bucket}/")
        _shared._lake.cache_clear()
        yield event, S3Storage(bucket, client=s3)
        _shared._lake.cache_clear()


def test_the_sample_event_curates_the_manifest_it_names(sample_event: tuple[dict[str, Any], S3Storage]) -> None:
    # GIVEN the sample spp_rt day landed with the clock the sample event was made with
    event, lake = sample_event
    connection = sample_connection(Settings(), now=SAMPLE_NOW, throttle_every=0)
    [manifest] = fetch(NOV_3, "spp_rt", lake, connection).manifests
    from energylake.lambdas.validate import manifest_keys

    [named] = manifest_keys(SQSRecord(event["Records"][0]), lake)
    assert named == manifest, "events/validate.json names another manifest: regenerate it (see events/README.md)"
    # WHEN the sample event is handled
    reply = load_handler("validate").lambda_handler(event, FakeContext("energylake-validate"))
    # THEN it succeeds and the group is in silver
    assert reply == {"batchItemFailures": []}
    assert list(lake.list("silver/dataset=spp_rt/"))
    assert json.loads(lake.get(next(lake.list("quality/dataset=spp_rt/"))))["status"] == "passed"


def test_the_sample_event_fails_gracefully_when_its_manifest_is_absent(
    sample_event: tuple[dict[str, Any], S3Storage],
) -> None:
    # GIVEN an empty lake
    event, lake = sample_event
    # WHEN the sample event is handled
    reply = load_handler("validate").lambda_handler(event, FakeContext("energylake-validate"))
    # THEN its message is reported failed (to be retried, then dead-lettered) and nothing is written
    assert failed_ids(reply) == [event["Records"][0]["messageId"]]
    assert list(lake.list("")) == []


# --------------------------------------------------------------------------------------------------------------------
# Reading one record (no AWS calls)
# --------------------------------------------------------------------------------------------------------------------


def test_keys_are_url_decoded_and_made_relative_to_the_lake_prefix() -> None:
    from energylake.lambdas.validate import manifest_keys

    key = "raw/source=openmeteo/dataset=weather/date=2024-11-01/_manifests/g+h/2024 11.manifest.json"
    body = s3_notification("bucket", f"lake/{key}")
    assert "%3D" in body and "2024+11" in body and "g%2Bh" in body
    assert manifest_keys(sqs_record(body), open_storage("s3://bucket/lake")) == [key]


@pytest.mark.parametrize(
    "key",
    [
        "raw/source=ercot/dataset=spp_dam/date=2024-11-03/abc/20241108T120000Z-0123.json",  # a raw member
        "silver/dataset=spp_dam/date=2024-11-03/g.manifest.json",  # not under raw/
        "elsewhere/raw/x.manifest.json",  # outside the lake's prefix
    ],
)
def test_keys_that_are_not_raw_manifests_are_ignored(key: str) -> None:
    from energylake.lambdas.validate import handle_record

    record = sqs_record(s3_notification("bucket", key))
    assert handle_record(record, storage=open_storage("s3://bucket/")) == []


def test_a_manifest_in_another_bucket_is_an_error_naming_the_message() -> None:
    from energylake.lambdas.validate import manifest_keys

    record = sqs_record(s3_notification("someone-else", MISSING_MANIFEST), message_id="msg-42")
    with pytest.raises(InvalidRequestError, match=r"msg-42.*someone-else"):
        manifest_keys(record, open_storage("s3://bucket"))


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("", "not JSON"),
        ("[1, 2]", "JSON list"),
        (json.dumps({"Records": [{"eventName": "ObjectCreated:Put"}]}), "not an S3 event notification"),
        (json.dumps({"Records": "nope"}), "Records"),
    ],
)
def test_a_body_that_is_not_an_s3_event_is_an_error_naming_the_message(body: str, says: str) -> None:
    from energylake.lambdas.validate import manifest_keys

    with pytest.raises(InvalidRequestError, match=f"msg-7.*{says}"):
        manifest_keys(sqs_record(body, message_id="msg-7"), open_storage("s3://bucket"))


def test_s3_events_need_an_s3_lake(tmp_path: Any) -> None:
    from energylake.lambdas.validate import manifest_keys

    with pytest.raises(ConfigurationError, match="S3 lake"):
        manifest_keys(sqs_record(s3_notification("bucket", MISSING_MANIFEST)), LocalStorage(tmp_path))


def test_the_sample_event_body_is_what_s3_sends() -> None:
    event = json.loads(SAMPLE_EVENT.read_text())
    [record] = event["Records"]
    assert record["eventSource"] == "aws:sqs"
    assert record["md5OfBody"] == hashlib.md5(record["body"].encode()).hexdigest()  # noqa: S324 (SQS's checksum)
    [s3_record] = json.loads(record["body"])["Records"]
    assert s3_record["eventName"].startswith("ObjectCreated:")
    assert "%3D" in s3_record["s3"]["object"]["key"], "S3 sends keys URL-encoded"
