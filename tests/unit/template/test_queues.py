"""Queues: the validate stage (manifest notifications -> queue + DLQ -> ValidateFunction), every queue encrypted, work
queues redriving and outlasting their consumers, dead-letter queues fed and kept fourteen days."""

from __future__ import annotations

import pytest

from tests.support.template import (
    DEAD_LETTER_QUEUES,
    FETCH_SOURCES,
    FUNCTIONS,
    LAKE,
    LAKE_BUCKET_NAME,
    QUEUES,
    RESOURCES,
    TEMPLATE_PATH,
    actions_of,
    dead_letter_targets,
    effective,
    queue_consumers,
    text_of,
)

VALIDATE = FUNCTIONS["ValidateFunction"]["Properties"]
[VALIDATE_EVENT] = [event["Properties"] for event in VALIDATE["Events"].values() if event["Type"] == "SQS"]
VALIDATE_QUEUE = RESOURCES["ValidateQueue"]["Properties"]


@pytest.mark.parametrize("function", sorted(FETCH_SOURCES))
def test_failed_async_fetches_land_in_an_encrypted_queue(function: str) -> None:
    config = FUNCTIONS[function]["Properties"]["EventInvokeConfig"]
    assert config["MaximumRetryAttempts"] == 2
    failure = config["DestinationConfig"]["OnFailure"]
    assert failure["Type"] == "SQS"
    queue = RESOURCES[text_of(failure["Destination"]).removeprefix("${").removesuffix(".Arn}")]
    assert queue["Type"] == "AWS::SQS::Queue"
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_validate_function_is_fed_by_the_validate_queue_with_partial_batch_failures() -> None:
    assert VALIDATE["CodeUri"] == "functions/validate/"
    assert text_of(VALIDATE_EVENT["Queue"]) == "${ValidateQueue.Arn}"
    assert VALIDATE_EVENT["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 1 <= VALIDATE_EVENT["BatchSize"] <= 10
    assert VALIDATE_EVENT["MaximumBatchingWindowInSeconds"] <= 10


def test_validate_queue_stays_invisible_for_six_function_timeouts() -> None:
    # AWS: visibility timeout >= 6 x the function timeout (+ the batching window), or a message reappears while
    # a throttled or slow batch still holds it.
    timeout = effective("ValidateFunction", "Timeout")
    assert isinstance(timeout, int) and timeout >= 60
    assert VALIDATE_QUEUE["VisibilityTimeout"] >= 6 * timeout + VALIDATE_EVENT["MaximumBatchingWindowInSeconds"]


def test_validate_queue_redrives_to_its_dead_letter_queue() -> None:
    redrive = VALIDATE_QUEUE["RedrivePolicy"]
    assert text_of(redrive["deadLetterTargetArn"]) == "${ValidateDeadLetterQueue.Arn}"
    assert 3 <= int(redrive["maxReceiveCount"]) <= 10
    dead = RESOURCES["ValidateDeadLetterQueue"]["Properties"]
    assert dead["MessageRetentionPeriod"] == 14 * 24 * 3600
    # A dead-lettered message keeps its first enqueue time: the DLQ must keep messages longer than the source.
    assert VALIDATE_QUEUE.get("MessageRetentionPeriod", 4 * 24 * 3600) < dead["MessageRetentionPeriod"]


@pytest.mark.parametrize("queue", sorted(QUEUES))
def test_every_queue_is_encrypted_at_rest(queue: str) -> None:
    properties = QUEUES[queue]["Properties"]
    assert properties.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in properties


def test_only_new_manifests_under_raw_notify_the_validate_queue() -> None:
    [config] = LAKE["NotificationConfiguration"]["QueueConfigurations"]
    assert config["Event"] == "s3:ObjectCreated:*"
    assert text_of(config["Queue"]) == "${ValidateQueue.Arn}"
    rules = {rule["Name"]: rule["Value"] for rule in config["Filter"]["S3Key"]["Rules"]}
    assert rules == {"prefix": "raw/", "suffix": ".manifest.json"}
    assert set(LAKE["NotificationConfiguration"]) == {"QueueConfigurations"}


def test_only_the_lake_bucket_of_this_account_may_send_to_the_validate_queue() -> None:
    policy = RESOURCES["ValidateQueuePolicy"]["Properties"]
    assert policy["Queues"] == [{"Ref": "ValidateQueue"}]
    [statement] = policy["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert actions_of(statement) == {"sqs:sendmessage"}
    assert text_of(statement["Resource"]) == "${ValidateQueue.Arn}"
    source_arn = statement["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"]
    assert source_arn == [f"arn:${{AWS::Partition}}:s3:::{LAKE_BUCKET_NAME[0]}", LAKE_BUCKET_NAME[1]]
    assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    # S3 tests the destination when the notification is set: the policy must exist before the bucket is configured.
    assert RESOURCES["LakeBucket"]["DependsOn"] in ("ValidateQueuePolicy", ["ValidateQueuePolicy"])


def test_the_dead_letter_queues_are_the_ones_failures_go_to() -> None:
    assert set(dead_letter_targets()) == {f"${{{name}.Arn}}" for name in DEAD_LETTER_QUEUES}


WORK_QUEUES = sorted(set(QUEUES) - set(DEAD_LETTER_QUEUES))


def test_every_queue_is_either_a_work_queue_with_a_consumer_or_a_dead_letter_queue() -> None:
    assert WORK_QUEUES == ["ValidateQueue"]
    assert set(DEAD_LETTER_QUEUES) == {
        "FetchDeadLetterQueue",
        "ValidateDeadLetterQueue",
        "ScheduleDeadLetterQueue",
        "AlertEventsDeadLetterQueue",
    }
    for queue in WORK_QUEUES:
        assert queue_consumers(queue), f"{queue} has no consumer"
    for queue in DEAD_LETTER_QUEUES:
        assert not queue_consumers(queue), f"{queue} is a dead-letter queue: nothing consumes it automatically"
        assert "RedrivePolicy" not in QUEUES[queue]["Properties"]


@pytest.mark.parametrize("queue", WORK_QUEUES)
def test_work_queue_redrives_and_outlasts_six_consumer_timeouts(queue: str) -> None:
    properties = QUEUES[queue]["Properties"]
    redrive = properties["RedrivePolicy"]
    assert text_of(redrive["deadLetterTargetArn"]).removeprefix("${").removesuffix(".Arn}") in DEAD_LETTER_QUEUES
    assert 3 <= int(redrive["maxReceiveCount"]) <= 10
    for function, event in queue_consumers(queue):
        timeout = effective(function, "Timeout")
        window = event.get("MaximumBatchingWindowInSeconds", 0)
        assert properties["VisibilityTimeout"] >= 6 * timeout + window, (queue, function)


def test_max_receive_count_is_explained_in_the_template() -> None:
    text = TEMPLATE_PATH.read_text()
    block = text[text.index("  ValidateQueue:\n") : text.index("  ValidateQueuePolicy:\n")]
    comment_before_count = block[: block.index("maxReceiveCount:")].rsplit("RedrivePolicy:", 1)[1]
    assert "#" in comment_before_count and "receive" in comment_before_count.lower()


@pytest.mark.parametrize("queue", DEAD_LETTER_QUEUES)
def test_dead_letter_queue_keeps_messages_fourteen_days(queue: str) -> None:
    assert QUEUES[queue]["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert QUEUES[queue]["Properties"]["SqsManagedSseEnabled"] is True


def test_every_dead_letter_queue_is_fed_by_something() -> None:
    targets = dead_letter_targets()
    for queue in DEAD_LETTER_QUEUES:
        assert targets.get(f"${{{queue}.Arn}}"), f"nothing sends failures to {queue}"
