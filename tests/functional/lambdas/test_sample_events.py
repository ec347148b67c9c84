"""Every sample event in events/ is valid for its function, and runs through that function's real handler.

The handlers run in-process (functions/<name>/app.py, as Lambda loads them) with AWS on moto, the sources on the
sample server, and the Redshift Data API faked (tests/support/redshift.py; moto's never finishes a statement). The
tests are parametrized over the folder's listing: a new event without an entry in VALIDATORS and RUNNERS fails here
until it gets one.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

import boto3
import httpx
import pytest
import respx
from aws_lambda_powertools.utilities.parser import envelopes, parse
from aws_lambda_powertools.utilities.parser.models import CloudFormationCustomResourceCreateModel, S3Model
from moto import mock_aws

from energylake.curate import curate
from energylake.fetch import fetch
from energylake.lake.layout import is_manifest_key
from energylake.lake.storage import S3Storage
from energylake.lambdas import _shared, load_redshift, warehouse_setup
from energylake.lambdas._shared import parse_event
from energylake.lambdas.build_gold import BuildGoldEvent
from energylake.lambdas.fetch_ercot import FetchErcotEvent
from energylake.lambdas.fetch_weather import FetchWeatherEvent
from energylake.lambdas.load_redshift import LoadRedshiftEvent
from energylake.lambdas.plan_run import BackfillInput, PipelineInput, PlanEvent
from energylake.lambdas.quality_gate import QualityGateEvent
from energylake.lambdas.start_run import ScheduledRunEvent, execution_name
from energylake.lambdas.trigger_glue import TriggerGlueEvent
from energylake.sample import SAMPLE_PASSWORD, SAMPLE_SUBSCRIPTION_KEY, SAMPLE_USERNAME, SampleServer
from energylake.sample import connection as sample_connection
from energylake.settings import Settings, get_settings
from energylake.warehouse.model import WAREHOUSE
from energylake.window import Window
from tests.support.fakes import FakeContext, load_handler
from tests.support.gold import land_sample_silver
from tests.support.paths import REPO_ROOT
from tests.support.redshift import FakeDataApiClient, put_lake_object
from tests.support.redshift import data_api as fake_data_api
from tests.support.sample_clock import SAMPLE_NOW

EVENTS = REPO_ROOT / "events"
EVENT_FILES = sorted(path.name for path in EVENTS.glob("*.json"))
REGION = "us-east-1"
BUCKET = "energylake-lake-test"
# The sample clock the events' manifest keys were made with (see scripts/regenerate_validate_event.py).
# The function each event feeds (events/<stem>.json -> functions/<folder>/app.py).
HANDLER_FOLDER = {"plan_backfill": "plan_run"}
CLOUDFORMATION_RESPONSES = "https://cloudformation-custom-resource-response-"


def read_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return event


def invoke(stem: str, event: dict[str, Any]) -> Any:
    return load_handler(HANDLER_FOLDER.get(stem, stem)).lambda_handler(event, FakeContext("energylake-sample-event"))


def _clear_caches() -> None:
    for cached in (_shared._lake, _shared.aws_client, get_settings):
        cached.cache_clear()


@dataclass
class Aws:
    """moto, the environment the functions get, and the sample source behind every HTTP request."""

    monkeypatch: pytest.MonkeyPatch
    router: respx.MockRouter

    def lake(self, bucket: str = BUCKET) -> S3Storage:
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=bucket)
        self.monkeypatch.setenv("ENERGYLAKE_LAKE_URI", f"s3://{bucket}")
        return S3Storage(bucket, client=s3)

    def setenv(self, name: str, value: str) -> None:
        self.monkeypatch.setenv(name, value)
        _clear_caches()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    monkeypatch.setenv("ENERGYLAKE_ERCOT_USERNAME", SAMPLE_USERNAME)
    monkeypatch.setenv("ENERGYLAKE_ERCOT_PASSWORD", SAMPLE_PASSWORD)
    monkeypatch.setenv("ENERGYLAKE_ERCOT_SUBSCRIPTION_KEY", SAMPLE_SUBSCRIPTION_KEY)
    monkeypatch.setenv("ENERGYLAKE_HTTP_BACKOFF_BASE_S", "0")
    _clear_caches()
    server = SampleServer(Settings(), now=SAMPLE_NOW, throttle_every=0)
    with mock_aws(), respx.mock(assert_all_called=False) as router:
        # CloudFormation's custom resource responses (presigned S3 PUTs); every other request: the sample source
        router.put(url__startswith=CLOUDFORMATION_RESPONSES, name="cloudformation").mock(
            return_value=httpx.Response(200)
        )
        router.route().mock(side_effect=server.handle)
        yield Aws(monkeypatch, router)
    _clear_caches()


def land_sample(lake: S3Storage, dataset: str, day: dt.date) -> list[str]:
    """Land one day of ``dataset`` from the sample source with the clock the sample events were made with."""
    connection = sample_connection(Settings(), now=SAMPLE_NOW, throttle_every=0)
    return fetch(Window(day, day), dataset, lake, connection).manifests


def days(start: str, end: str) -> list[str]:
    first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    return [(first + dt.timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


# ----------------------------------------------------------------------------------------------------------------
# (a) each event is valid for its function's model
# ----------------------------------------------------------------------------------------------------------------


def _plan_input(event: dict[str, Any]) -> PipelineInput | BackfillInput:
    plan_event = parse_event(event, PlanEvent)
    if plan_event.mode == "pipeline":
        return parse_event(plan_event.input, PipelineInput)
    return parse_event(plan_event.input, BackfillInput)


def _validate_plan_run(event: dict[str, Any]) -> None:
    assert event["mode"] == "pipeline"
    assert isinstance(_plan_input(event), PipelineInput)


def _validate_plan_backfill(event: dict[str, Any]) -> None:
    assert event["mode"] == "backfill"
    assert isinstance(_plan_input(event), BackfillInput)


def _validate_quality_gate(event: dict[str, Any]) -> None:
    manifests = parse_event(event, QualityGateEvent).manifests()
    assert manifests and all(is_manifest_key(key) for key in manifests)


def notified_objects(event: dict[str, Any]) -> list[tuple[str, str]]:
    """(bucket, key) of every object the S3 notifications in an SQS event name (the event is checked by the models)."""
    notifications: Any = parse(event=event, model=S3Model, envelope=envelopes.SqsEnvelope)
    return [
        (record.s3.bucket.name, unquote_plus(record.s3.object.key))
        for notification in notifications
        for record in notification.Records
    ]


def _validate_sqs_s3_notification(event: dict[str, Any]) -> None:
    # Lambda's SQS event whose every message body is an S3 notification of a raw manifest
    keys = [key for _, key in notified_objects(event)]
    assert keys and all(is_manifest_key(key) for key in keys), keys


VALIDATORS: dict[str, Callable[[dict[str, Any]], object]] = {
    "fetch_ercot": lambda event: parse_event(event, FetchErcotEvent),
    "fetch_weather": lambda event: parse_event(event, FetchWeatherEvent),
    "trigger_glue": lambda event: parse_event(event, TriggerGlueEvent),
    "build_gold": lambda event: parse_event(event, BuildGoldEvent),
    "load_redshift": lambda event: parse_event(event, LoadRedshiftEvent),
    "plan_run": _validate_plan_run,
    "plan_backfill": _validate_plan_backfill,
    "quality_gate": _validate_quality_gate,
    "start_run": lambda event: parse_event(event, ScheduledRunEvent),
    "validate": _validate_sqs_s3_notification,
    "publish_glue_artifacts": CloudFormationCustomResourceCreateModel.model_validate,
    "warehouse_setup": lambda event: warehouse_setup.SetupProperties.model_validate(
        CloudFormationCustomResourceCreateModel.model_validate(event).resource_properties
    ),
}


@pytest.mark.parametrize("event_file", EVENT_FILES)
def test_each_sample_event_is_valid_for_its_functions_model(event_file: str) -> None:
    stem = event_file.removesuffix(".json")
    assert stem in VALIDATORS, f"events/{event_file} has no model check: add it to VALIDATORS (and RUNNERS)"
    VALIDATORS[stem](read_event(event_file))


def test_the_events_folder_has_an_event_for_every_handler() -> None:
    handlers = {path.parent.name for path in (REPO_ROOT / "functions").glob("*/app.py")}
    fed = {HANDLER_FOLDER.get(name.removesuffix(".json"), name.removesuffix(".json")) for name in EVENT_FILES}
    assert sorted(handlers - fed) == []


# ----------------------------------------------------------------------------------------------------------------
# (b) each event runs through its handler
# ----------------------------------------------------------------------------------------------------------------


def run_fetch_ercot(aws: Aws, event: dict[str, Any]) -> None:
    # GIVEN an empty lake; WHEN the event is handled; THEN the event's dataset and days are in the raw zone
    lake = aws.lake()
    reply = invoke("fetch_ercot", event)
    assert reply["dataset"] == event["dataset"]
    assert reply["keys"] and reply["manifests"]
    landed_days = sorted({key.split("/")[3].removeprefix("date=") for key in reply["keys"]})
    assert landed_days == days(event["start"], event["end"])
    assert all(key.startswith(f"raw/source=ercot/dataset={event['dataset']}/") for key in reply["keys"])
    assert all(lake.exists(key) for key in reply["keys"] + reply["manifests"])


def run_fetch_weather(aws: Aws, event: dict[str, Any]) -> None:
    lake = aws.lake()
    reply = invoke("fetch_weather", event)
    assert reply["dataset"] == "weather"
    assert (reply["start"], reply["end"]) == (event["start"], event["end"])
    assert reply["keys"] and all(key.startswith("raw/source=openmeteo/dataset=weather/") for key in reply["keys"])
    assert all(lake.exists(key) for key in reply["keys"] + reply["manifests"])


def run_validate(aws: Aws, event: dict[str, Any]) -> None:
    # GIVEN the lake the event's notification names, holding the sample spp_rt day it was made from
    [(bucket, key)] = notified_objects(event)
    lake = aws.lake(bucket)
    [manifest] = land_sample(lake, "spp_rt", dt.date(2024, 11, 3))
    assert key == manifest, "events/validate.json is stale: see events/README.md"
    # WHEN the event is handled
    reply = invoke("validate", event)
    # THEN the message succeeded and the group is curated: passed, in silver
    assert reply == {"batchItemFailures": []}
    [report_key] = lake.list("quality/dataset=spp_rt/")
    report = json.loads(lake.get(report_key))
    assert (report["status"], report["context"]["manifest"]) == ("passed", manifest)
    assert list(lake.list("silver/dataset=spp_rt/"))


def run_quality_gate(aws: Aws, event: dict[str, Any]) -> None:
    # GIVEN the groups the event names landed (from the sample source, with the clock the keys were made with)
    lake = aws.lake()
    request = parse_event(event, QualityGateEvent)
    landed: list[str] = []
    for dataset, day in sorted(
        {(key.split("/")[2].removeprefix("dataset="), key.split("/")[3][5:]) for key in request.manifests()}
    ):
        landed += land_sample(lake, dataset, dt.date.fromisoformat(day))
    assert sorted(landed) == request.manifests(), "events/quality_gate.json names manifests the sample does not land"
    # WHEN the gate is asked before curation, THEN it is pending on every group
    pending = invoke("quality_gate", event)
    assert pending["status"] == "pending"
    assert pending["attempt"] == event["attempt"] + 1
    assert (pending["groups"], pending["passed"], pending["pending"]) == (len(landed), 0, sorted(landed))
    # WHEN every group has been curated, THEN it passes
    for key in landed:
        assert curate(key, lake).status == "passed"
    passed = invoke("quality_gate", event)
    assert (passed["status"], passed["groups"], passed["passed"]) == ("passed", len(landed), len(landed))


def run_trigger_glue(aws: Aws, event: dict[str, Any]) -> None:
    # GIVEN the gold job on moto Glue
    job = "energylake-test-build-gold"
    aws.lake()
    aws.setenv("ENERGYLAKE_GLUE_JOB_NAME", job)
    glue = boto3.client("glue", region_name=REGION)
    glue.create_job(
        Name=job,
        Role="arn:aws:iam::123456789012:role/energylake-glue",
        Command={"Name": "glueetl", "ScriptLocation": f"s3://{BUCKET}/artifacts/glue/build_gold.py"},
        ExecutionProperty={"MaxConcurrentRuns": 1},
    )
    # WHEN the event is handled, THEN one run builds the event's window of the function's lake
    reply = invoke("trigger_glue", event)
    [run] = glue.get_job_runs(JobName=job)["JobRuns"]
    assert (reply["job_name"], reply["job_run_id"], reply["reused"]) == (job, run["Id"], False)
    assert run["Arguments"] == {"--start": event["start"], "--end": event["end"], "--lake": f"s3://{BUCKET}/"}


def run_build_gold(aws: Aws, event: dict[str, Any]) -> None:
    # GIVEN the sample's silver for the event's operating days in the lake (fetched and curated)
    lake = aws.lake()
    window = Window.parse(event["start"], event["end"])
    land_sample_silver(lake, [window])
    # WHEN the event is handled
    reply = invoke("build_gold", event)
    # THEN every UTC date the window touches has one object per gold table, holding the rows the reply counts
    dates = [day.isoformat() for day in window.utc_dates()]
    assert reply["utc_dates"] == len(dates)
    for table, rows in reply["tables"].items():
        keys = sorted(lake.list(f"gold/{table}/"))
        assert keys == [f"gold/{table}/date={day}/part-00000.parquet" for day in dates], table
        assert rows > 0, table


def run_load_redshift(aws: Aws, event: dict[str, Any]) -> None:
    # GIVEN silver (listed in passed quality reports, as curation writes it) for the event's window in the lake, a
    # serverless warehouse configured, the Data API faked
    import boto3

    aws.lake()
    s3 = boto3.client("s3")
    for table in WAREHOUSE.tables:
        for prefix in table.lake_prefixes():
            for day in days(event["start"], event["end"]):
                put_lake_object(s3, BUCKET, f"{prefix}date={day}/part-0.parquet", b"PAR1")
    for name, value in {
        "ENERGYLAKE_REDSHIFT_MODE": "serverless",
        "ENERGYLAKE_REDSHIFT_WORKGROUP": "energylake-test",
        "ENERGYLAKE_REDSHIFT_COPY_ROLE_ARN": "arn:aws:iam::123456789012:role/energylake-copy",
    }.items():
        aws.setenv(name, value)
    fake = FakeDataApiClient()
    aws.monkeypatch.setattr(load_redshift, "data_api", lambda settings: fake_data_api(fake))
    # WHEN the event is handled
    reply = invoke("load_redshift", event)
    # THEN the event's tables were loaded, each with one COPY of a manifest the loader wrote to the lake
    assert [entry["table"] for entry in reply["tables"]] == event.get("tables", list(WAREHOUSE.table_names))
    copies = [sql for sql in fake.sql if sql.startswith("COPY")]
    assert len(copies) == len(fake.batches) >= 1
    assert all(f"s3://{BUCKET}/artifacts/redshift/copy-manifests/" in sql and "MANIFEST" in sql for sql in copies)
    assert reply["done"] is True
    json.dumps(reply)


def run_plan_run(aws: Aws, event: dict[str, Any]) -> None:
    plan = invoke("plan_run", event)
    planned = event["input"]
    assert (plan["start"], plan["end"]) == (planned["start"], planned["end"])
    assert sorted(plan["datasets"]) == sorted(planned.get("datasets", plan["datasets"]))
    assert plan["fetch_weather"] == ("weather" in plan["datasets"])
    assert "weather" not in plan["ercot_datasets"]
    assert "chunks" not in plan


def run_plan_backfill(aws: Aws, event: dict[str, Any]) -> None:
    plan = invoke("plan_backfill", event)
    planned = event["input"]
    covered = [day for chunk in plan["chunks"] for day in days(chunk["start"], chunk["end"])]
    assert covered == days(planned["start"], planned["end"])
    size = planned.get("chunk_days", get_settings().backfill_chunk_days)
    assert max(len(days(chunk["start"], chunk["end"])) for chunk in plan["chunks"]) == size
    if "max_concurrency" in planned:
        assert plan["max_concurrency"] == planned["max_concurrency"]
    if "tolerated_failure_percent" in planned:
        assert plan["tolerated_failure_percent"] == planned["tolerated_failure_percent"]


def run_start_run(aws: Aws, event: dict[str, Any]) -> None:
    # GIVEN the pipeline state machine (on moto) the function is configured with
    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn = sfn.create_state_machine(
        name="energylake-test-pipeline",
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
        roleArn="arn:aws:iam::123456789012:role/energylake-pipeline",
    )["stateMachineArn"]
    aws.setenv("ENERGYLAKE_PIPELINE_STATE_MACHINE_ARN", arn)
    # WHEN the event is handled twice (a duplicated delivery)
    first = invoke("start_run", event)
    second = invoke("start_run", event)
    # THEN one execution, named after the schedule and scheduled time, with the schedule's input
    scheduled = dt.datetime.fromisoformat(event["scheduled_time"])
    assert first["started"] is True
    assert first["execution_name"] == second["execution_name"] == execution_name(event["schedule"], scheduled)
    [execution] = sfn.list_executions(stateMachineArn=arn)["executions"]
    assert execution["executionArn"] == first["execution_arn"]
    described = json.loads(sfn.describe_execution(executionArn=first["execution_arn"])["input"])
    assert described["schedule"] == event["schedule"]
    assert dt.datetime.fromisoformat(described["scheduled_time"]) == scheduled


def run_publish_glue_artifacts(aws: Aws, event: dict[str, Any]) -> None:
    # GIVEN an empty lake and CloudFormation's response URL
    lake = aws.lake()
    # WHEN the create request is handled
    reply = invoke("publish_glue_artifacts", event)
    # THEN CloudFormation heard SUCCESS with the two locations, and both objects are in the lake
    response = aws.router.routes["cloudformation"].calls.last.request
    assert str(response.url) == event["ResponseURL"]
    reported = json.loads(response.content)
    assert (reported["Status"], reported["Data"]) == ("SUCCESS", reply["Data"])
    for location in (reply["Data"]["ScriptLocation"], reply["Data"]["PackageLocation"]):
        assert lake.exists(location.removeprefix(f"s3://{BUCKET}/"))


def run_warehouse_setup(aws: Aws, event: dict[str, Any]) -> None:
    # GIVEN the created namespace's managed admin secret and the Data API (faked)
    from botocore.stub import Stubber

    serverless = boto3.client("redshift-serverless", region_name=REGION)
    stub = Stubber(serverless)
    secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:redshift!ns-energylake_admin-AbC"
    namespace = event["ResourceProperties"]["NamespaceName"]
    stub.add_response("get_namespace", {"namespace": {"namespaceName": namespace, "adminPasswordSecretArn": secret}})
    stub.activate()
    fake = FakeDataApiClient()
    clients = {"redshift-serverless": serverless, "redshift-data": fake}
    aws.monkeypatch.setattr(warehouse_setup, "aws_client", lambda service: clients[service])
    aws.monkeypatch.setattr(warehouse_setup, "DataApi", lambda client, target: fake_data_api(client, target=target))
    # WHEN the create request is handled
    invoke("warehouse_setup", event)
    # THEN CloudFormation heard SUCCESS, after the setup ran as the admin
    reported = json.loads(aws.router.routes["cloudformation"].calls.last.request.content)
    assert reported["Status"] == "SUCCESS", reported["Reason"]
    assert fake.sql[0] == "CREATE SCHEMA IF NOT EXISTS energylake"


RUNNERS: dict[str, Callable[[Aws, dict[str, Any]], None]] = {
    "fetch_ercot": run_fetch_ercot,
    "fetch_weather": run_fetch_weather,
    "validate": run_validate,
    "quality_gate": run_quality_gate,
    "trigger_glue": run_trigger_glue,
    "build_gold": run_build_gold,
    "load_redshift": run_load_redshift,
    "plan_run": run_plan_run,
    "plan_backfill": run_plan_backfill,
    "start_run": run_start_run,
    "publish_glue_artifacts": run_publish_glue_artifacts,
    "warehouse_setup": run_warehouse_setup,
}


@pytest.mark.parametrize("event_file", EVENT_FILES)
def test_each_sample_event_runs_through_its_handler(aws: Aws, event_file: str) -> None:
    stem = event_file.removesuffix(".json")
    assert stem in RUNNERS, f"events/{event_file} is not run by any test: add it to RUNNERS"
    RUNNERS[stem](aws, read_event(event_file))
