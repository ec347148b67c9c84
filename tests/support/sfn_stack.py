"""The AWS design on moto, executing: both state machines from statemachines/*.asl.json, driving the real handlers.

What is real and what stands in:

* Step Functions executes the committed ASL (moto's ``execute_state_machine``), with the template's
  DefinitionSubstitutions filled from the moto resources below. Retry intervals are shortened to 1 s (moto waits
  real seconds; the real intervals are checked structurally in tests/unit/statemachines/).
* Every ``lambda:invoke`` runs the function's real ``functions/<name>/app.py`` handler in-process.
* S3 (the lake, with its raw/ -> SQS manifest notification), SQS, SNS (the alert topic, subscribed by a queue the
  tests read), Secrets Manager (the ERCOT credentials) and Glue (the job and its runs) are moto.
* The validate queue's event source mapping is a worker thread: it receives batches from the validate queue and
  calls ValidateFunction's handler with them, deleting what succeeded, as Lambda's SQS poller does.
* ERCOT and Open-Meteo are the sample source answering the real clients (respx), in their recorded formats.
* The functions' clock is the sample's (:data:`SAMPLE_NOW`, ticking from when the stack starts): PlanRunFunction plans
  and the fetch functions choose each operating day's door (data endpoints, archive, yearly files, dashboard) as
  they would on that day, so the doors the sample serves are the doors the clients ask.
* Gold for short windows: BuildGoldFunction's real handler (DuckDB) reads silver from and writes gold to moto S3.
* The Glue job's work: moto marks runs SUCCEEDED at once without running anything, so when TriggerGlueFunction
  starts a run the stack builds gold with the same rules (energylake.gold.build_gold) over a copy of the lake's
  silver and uploads the gold partitions, before the machine's first poll.
* The warehouse step: LoadRedshiftFunction's COPY/MERGE needs Redshift; here the load goes to DuckDB (the local
  warehouse, same model and MERGE semantics) over a copy of the lake, and reports freshness the same way. Like the
  real loader it may stop early (``Stack.load_days_per_pass``) and answer ``done: false`` with ``next_start``.

moto 5.2 facts this stack works around (found while building it):

* ``states:startExecution.sync:2`` fails (States.Runtime 'StateMachineArn'): the backfill runs chunks inline.
* A literal ``ToleratedFailurePercentage`` does not parse; ``ToleratedFailurePercentagePath`` parses but is ignored.
* A Distributed Map's ResultWriter writes only a manifest with empty result lists.
* ``start_execution`` without a name names it "None": always pass a name.
* A Lambda error is reported only with the ``x-amz-function-error`` response header (set below).
* Two ``mock_aws`` contexts alive at once share state: one stack at a time (class-scoped at most).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
import httpx
import respx
from moto import mock_aws
from moto.awslambda_simple.models import LambdaSimpleBackend

from energylake.lake.storage import Storage, open_storage
from energylake.sample import SAMPLE_PASSWORD, SAMPLE_SUBSCRIPTION_KEY, SAMPLE_USERNAME, SampleServer
from energylake.settings import Settings
from energylake.window import Window
from tests.support.fakes import FakeContext, load_handler, notify_queue_of_manifests, sqs_lambda_event
from tests.support.paths import REPO_ROOT

REGION = "us-east-1"
ACCOUNT = "123456789012"
BUCKET = "energylake-sfn-test-lake"
GLUE_JOB = "energylake-test-gold"
# The sample sources' clock: the day after the tests' windows (ERCOT's fuel-mix dashboard only covers yesterday and
# today, as the real one does).
SAMPLE_NOW = dt.datetime(2024, 11, 5, 12, tzinfo=dt.UTC)
# Function logical id (template.yaml) -> functions/<folder>
FUNCTIONS = {
    "PlanRunFunction": "plan_run",
    "FetchErcotFunction": "fetch_ercot",
    "FetchWeatherFunction": "fetch_weather",
    "QualityGateFunction": "quality_gate",
    "TriggerGlueFunction": "trigger_glue",
    "BuildGoldFunction": "build_gold",
    "LoadRedshiftFunction": "load_redshift",
    "ValidateFunction": "validate",
}
ReplyHook = Callable[[httpx.Request, httpx.Response], httpx.Response]
LoadHook = Callable[[dict[str, Any]], dict[str, Any]]


def shorten_retries(node: Any) -> Any:
    """Every Retry waits at most ~1 s (moto sleeps for real); attempts and errors stay as written."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Retry":
                for rule in value:
                    rule["IntervalSeconds"] = 1
                    rule["MaxDelaySeconds"] = 1
            else:
                shorten_retries(value)
    elif isinstance(node, list):
        for item in node:
            shorten_retries(item)
    return node


@dataclass
class Stack:
    s3: Any
    sqs: Any
    sfn: Any
    glue: Any
    lake: Storage
    validate_queue_url: str
    alert_queue_url: str
    machines: dict[str, str]  # "pipeline" / "backfill" -> state machine ARN
    workdir: Path
    warehouse_path: Path
    invocations: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    reply_hook: ReplyHook | None = None
    gold_builds: list[Window] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    # The stand-in loader loads at most this many days per invocation, then answers done false (as the real one does
    # when its invocation runs short of time); None: the whole window at once.
    load_days_per_pass: int | None = None
    # Rewrites the loader's reply (a loader that misbehaves).
    load_reply_hook: LoadHook | None = None

    def apply_environment(self, monkeypatch: Any) -> None:
        """Set what the template gives the functions (again: tests/conftest.py resets ENERGYLAKE_* per test)."""
        for variable, value in self.environment.items():
            monkeypatch.setenv(variable, value)
        _clear_caches()

    # --- running ---------------------------------------------------------------------------------------------------

    def execute(self, machine: str, execution_input: Any, *, name: str, timeout_s: float = 300) -> dict[str, Any]:
        body = execution_input if isinstance(execution_input, str) else json.dumps(execution_input)
        arn = self.sfn.start_execution(stateMachineArn=self.machines[machine], name=name, input=body)["executionArn"]
        deadline = time.monotonic() + timeout_s
        while True:
            description: dict[str, Any] = self.sfn.describe_execution(executionArn=arn)
            if description["status"] != "RUNNING":
                return description
            if time.monotonic() > deadline:
                recent = [(event["type"], _details(event)) for event in self.history(arn)[-8:]]
                raise AssertionError(f"execution {name} still RUNNING after {timeout_s} s; last events: {recent}")
            time.sleep(0.2)

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        return list(self.sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"])

    def entered_states(self, execution_arn: str) -> list[str]:
        return [
            event["stateEnteredEventDetails"]["name"]
            for event in self.history(execution_arn)
            if "stateEnteredEventDetails" in event
        ]

    def alerts(self) -> list[dict[str, Any]]:
        """Messages the alert topic delivered (to the test's subscribed queue)."""
        found = []
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.alert_queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return found
            for message in batch:
                found.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.alert_queue_url, ReceiptHandle=message["ReceiptHandle"])

    def calls(self, function: str) -> list[dict[str, Any]]:
        return [event for name, event in self.invocations if name == function]

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows of ``sql`` on the warehouse (read-only; nothing when no load ever created it)."""
        import duckdb

        if not self.warehouse_path.exists():
            return []
        con = duckdb.connect(str(self.warehouse_path), read_only=True)
        try:
            return list(con.sql(sql).fetchall())
        finally:
            con.close()

    def columns(self, table: str) -> list[str]:
        """The table's columns but its load timestamp (which differs between identical loads)."""
        return [str(row[0]) for row in self.query(f"DESCRIBE {table}") if row[0] != "loaded_at_utc"]

    def warehouse_rows(self, table: str) -> list[tuple[Any, ...]]:
        """Every row of a warehouse table, sorted, load timestamps left out: what an analyst would query."""
        if not self.warehouse_path.exists():
            return []
        return sorted(self.query(f"SELECT {', '.join(self.columns(table))} FROM {table}"), key=repr)  # noqa: S608

    # --- the stand-ins -------------------------------------------------------------------------------------------

    def _mirror_down(self, prefixes: tuple[str, ...]) -> Storage:
        local = open_storage(str(self.workdir / "lake-copy"))
        for prefix in prefixes:
            for key in self.lake.list(prefix):
                local.put(key, self.lake.get(key))
        return local

    def run_gold_job(self, event: dict[str, Any]) -> None:
        """What the Glue job does (glue/build_gold.py -> energylake.gold.spark) for the run just started."""
        from energylake.gold import build_gold

        window = Window.parse(event["start"], event["end"])
        local = self._mirror_down(("silver/",))
        build_gold(window, local)
        for key in local.list("gold/"):
            self.lake.put(key, local.get(key))
        self.gold_builds.append(window)

    def load_duckdb(self, event: dict[str, Any]) -> dict[str, Any]:
        """LoadRedshiftFunction's job, on DuckDB: load the window, then read freshness like the Redshift loader."""
        import duckdb

        from energylake.warehouse.duckdb import load
        from energylake.warehouse.redshift.load import freshness_from_rows, freshness_sql

        window = Window.parse(event["start"], event["end"])
        if self.load_days_per_pass is not None:
            window = next(window.chunks(self.load_days_per_pass))
        done = window.end.isoformat() == event["end"]
        local = self._mirror_down(("silver/", "gold/", "quality/"))  # the loader reads what reports list
        rows = load(window, local, str(self.warehouse_path), event.get("tables"))
        con = duckdb.connect(str(self.warehouse_path), read_only=True)
        try:
            freshness = freshness_from_rows(con.sql(freshness_sql(None)).fetchall())
        finally:
            con.close()
        reply = {
            "start": event["start"],
            "end": event["end"],
            "done": done,
            "next_start": None if done else (window.end + dt.timedelta(days=1)).isoformat(),
            "tables": [{"table": table, "status": "loaded", "rows": {"MERGE": count}} for table, count in rows.items()],
            "freshness_minutes": freshness,
        }
        return self.load_reply_hook(reply) if self.load_reply_hook else reply

    def invoke(self, function_name: str, event: dict[str, Any]) -> Any:
        logical = function_name.rsplit(":", maxsplit=1)[-1]
        self.invocations.append((logical, event))
        if logical == "LoadRedshiftFunction":
            return self.load_duckdb(event)
        reply = load_handler(FUNCTIONS[logical]).lambda_handler(event, FakeContext(logical))
        if logical == "TriggerGlueFunction" and not reply["reused"]:
            self.run_gold_job(event)
        return reply

    # --- the validate queue's event source mapping ----------------------------------------------------------------

    def drain_validate_queue_once(self) -> int:
        batch = self.sqs.receive_message(
            QueueUrl=self.validate_queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
        ).get("Messages", [])
        if not batch:
            return 0
        event = sqs_lambda_event(batch, f"arn:aws:sqs:{REGION}:{ACCOUNT}:validate")
        self.invocations.append(("ValidateFunction", event))
        reply = load_handler("validate").lambda_handler(event, FakeContext("ValidateFunction"))
        failed = {item["itemIdentifier"] for item in reply["batchItemFailures"]}
        for message in batch:
            if message["MessageId"] not in failed:
                self.sqs.delete_message(QueueUrl=self.validate_queue_url, ReceiptHandle=message["ReceiptHandle"])
        return len(batch)


def _details(event: dict[str, Any]) -> str:
    return json.dumps({key: value for key, value in event.items() if key.endswith("Details")}, default=str)[:400]


def _substitutions(lambda_arns: dict[str, str], topic_arn: str) -> dict[str, str]:
    values = {f"{logical}Arn": arn for logical, arn in lambda_arns.items()}
    values["AlertTopicArn"] = topic_arn
    values["LakeBucketName"] = BUCKET
    return values


def _definition(name: str, substitutions: dict[str, str]) -> str:
    text = (REPO_ROOT / "statemachines" / f"{name}.asl.json").read_text()

    def fill(match: re.Match[str]) -> str:
        return substitutions[match.group(1)]  # a KeyError here is a placeholder the stack does not provide

    return json.dumps(shorten_retries(json.loads(re.sub(r"\$\{(\w+)\}", fill, text))))


def _clear_caches() -> None:
    from energylake import settings
    from energylake.lambdas import _shared

    for cached in (settings.get_settings, _shared._lake, _shared.aws_client):
        cached.cache_clear()


def sample_clock() -> Callable[[], dt.datetime]:
    """:data:`SAMPLE_NOW`, ticking in real time from the call (the ERCOT request budget spaces its slots by it)."""
    started = time.monotonic()
    return lambda: SAMPLE_NOW + dt.timedelta(seconds=time.monotonic() - started)


def _on_the_sample_clock(clock: Callable[[], dt.datetime]) -> Callable[[Settings], Any]:
    """``energylake.fetch.live_connection`` with the sample's clock: what the fetch functions connect with."""
    from energylake import fetch

    live_connection = fetch.live_connection

    def connect(settings: Settings) -> Any:
        return replace(live_connection(settings), now=clock)

    return connect


@contextlib.contextmanager
def moto_stack(monkeypatch: Any, *, gate_max_polls: int = 120) -> Iterator[Stack]:
    """The whole AWS side on moto, with the validate worker running; see the module docstring."""
    config = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
    with (
        tempfile.TemporaryDirectory(prefix="energylake-sfn-") as workdir,
        mock_aws(config=config),  # type: ignore[arg-type]
    ):
        session = boto3.session.Session(region_name=REGION)
        s3, sqs, sns, sfn, glue = (session.client(name) for name in ("s3", "sqs", "sns", "stepfunctions", "glue"))
        iam, lam, secrets = session.client("iam"), session.client("lambda"), session.client("secretsmanager")

        s3.create_bucket(Bucket=BUCKET)
        validate_queue_url = sqs.create_queue(QueueName="validate")["QueueUrl"]
        validate_queue_arn = sqs.get_queue_attributes(QueueUrl=validate_queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        notify_queue_of_manifests(s3, BUCKET, validate_queue_arn)
        topic_arn = sns.create_topic(Name="alerts")["TopicArn"]
        alert_queue_url = sqs.create_queue(QueueName="alerts-inbox")["QueueUrl"]
        alert_queue_arn = sqs.get_queue_attributes(QueueUrl=alert_queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(
            TopicArn=topic_arn, Protocol="sqs", Endpoint=alert_queue_arn, Attributes={"RawMessageDelivery": "false"}
        )
        secret_arn = secrets.create_secret(
            Name="energylake/ercot",
            SecretString=json.dumps(
                {"username": SAMPLE_USERNAME, "password": SAMPLE_PASSWORD, "subscription_key": SAMPLE_SUBSCRIPTION_KEY}
            ),
        )["ARN"]
        role_arn = iam.create_role(RoleName="energylake-test", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        glue.create_job(
            Name=GLUE_JOB, Role=role_arn, Command={"Name": "glueetl", "ScriptLocation": f"s3://{BUCKET}/x.py"}
        )
        lambda_arns = {
            logical: lam.create_function(
                FunctionName=logical,
                Runtime="python3.12",
                Role=role_arn,
                Handler="app.lambda_handler",
                Code={"ZipFile": b"handlers run in-process"},
            )["FunctionArn"]
            for logical in FUNCTIONS
        }
        substitutions = _substitutions(lambda_arns, topic_arn)
        machines = {
            name: sfn.create_state_machine(
                name=f"energylake-test-{name}", definition=_definition(name, substitutions), roleArn=role_arn
            )["stateMachineArn"]
            for name in ("pipeline", "backfill")
        }

        # What the template gives the functions (template.yaml Globals and each function's Environment).
        environment = {
            "ENERGYLAKE_LAKE_URI": f"s3://{BUCKET}/",
            "ENERGYLAKE_ERCOT_SECRET_ARN": secret_arn,
            "ENERGYLAKE_GLUE_JOB_NAME": GLUE_JOB,
            "ENERGYLAKE_GATE_POLL_SECONDS": "1",
            "ENERGYLAKE_GATE_MAX_POLLS": str(gate_max_polls),
            "ENERGYLAKE_GLUE_POLL_SECONDS": "1",
            "ENERGYLAKE_GLUE_MAX_POLLS": "30",
            "ENERGYLAKE_GOLD_LAMBDA_MAX_DAYS": "2",
            "ENERGYLAKE_ERCOT_PAGE_SIZE": "2000",
            # the sample has no rate limit (the sample connection lifts the client's the same way); the simulated
            # functions share one process, hence one request schedule, which would otherwise wait for real
            "ENERGYLAKE_ERCOT_REQUESTS_PER_MINUTE": "1000000",
            "ENERGYLAKE_HTTP_BACKOFF_BASE_S": "0",
            "ENERGYLAKE_HTTP_BACKOFF_MAX_S": "0",
            "POWERTOOLS_METRICS_NAMESPACE": "energylake",
            "POWERTOOLS_SERVICE_NAME": "energylake",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "AWS_DEFAULT_REGION": REGION,
        }

        stack = Stack(
            s3=s3,
            sqs=sqs,
            sfn=sfn,
            glue=glue,
            lake=open_storage(f"s3://{BUCKET}/"),
            validate_queue_url=validate_queue_url,
            alert_queue_url=alert_queue_url,
            machines=machines,
            workdir=Path(workdir),
            warehouse_path=Path(workdir) / "warehouse.duckdb",
            environment=environment,
        )
        stack.apply_environment(monkeypatch)
        server = SampleServer(Settings(), now=SAMPLE_NOW, throttle_every=0)

        def answer(request: httpx.Request) -> httpx.Response:
            response = server.handle(request)
            return stack.reply_hook(request, response) if stack.reply_hook else response

        def route_invoke(  # noqa: PLR0917 - moto's LambdaBackend.invoke signature
            backend: Any, function_name: str, qualifier: Any, body: Any, headers: Any, response_headers: Any
        ) -> bytes:
            event = json.loads(body or "{}")
            try:
                return json.dumps(stack.invoke(function_name, event), default=str).encode()
            except Exception as exc:  # what the Lambda runtime reports for an unhandled error
                response_headers["x-amz-function-error"] = "Unhandled"
                return json.dumps(
                    {
                        "errorType": type(exc).__name__,
                        "errorMessage": str(exc),
                        "stackTrace": traceback.format_exception(exc)[-3:],
                    }
                ).encode()

        stop = threading.Event()

        def validate_worker() -> None:
            while not stop.is_set():
                try:
                    if not stack.drain_validate_queue_once():
                        stop.wait(0.2)
                except Exception:  # keep polling, as Lambda's poller would; the message is retried
                    traceback.print_exc()
                    stop.wait(0.5)

        worker = threading.Thread(target=validate_worker, name="validate-esm", daemon=True)
        clock = sample_clock()
        with (
            respx.mock(assert_all_called=False) as router,
            mock.patch.object(LambdaSimpleBackend, "invoke", route_invoke),
            mock.patch("energylake.fetch.live_connection", _on_the_sample_clock(clock)),
            mock.patch("energylake.lambdas.plan_run.utc_now", clock),
        ):
            router.route().mock(side_effect=answer)
            worker.start()
            try:
                yield stack
            finally:
                stop.set()
                worker.join(timeout=30)
                _clear_caches()
