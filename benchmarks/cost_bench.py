"""What a year on AWS costs with the default schedules: template.yaml's figures x per-run figures measured here.

    .venv/bin/python benchmarks/cost_bench.py [--demo-lake ./lake] [--glue-run-seconds 90] [--measurements FILE]

The stack as samconfig.toml's prod runs it (SchedulesState ENABLED) with a Redshift Serverless workgroup created by
the stack (RedshiftMode serverless); with the template's default RedshiftMode none the Redshift lines drop out.

* From template.yaml (cfn-lint's decoder, as scripts/check_build.py reads it): the two schedules (their expressions
  and time zone give the runs a year), every function's MemorySize and architecture, the Glue job's worker type,
  count and timeout, the state machines' types, the poll intervals, the log retention, the lake's lifecycle rules,
  the workgroup's base capacity, and the count of alarms, dashboards, KMS keys and secrets.
* Measured here, one real-time run and one daily run, each in a fresh interpreter (cold, like a Lambda that the
  15-minute gap let go), through the pipeline state machine on moto (tests/support/sfn_stack.py: the committed ASL,
  the real handlers, the sample source answering the real clients in the recorded formats, ERCOT's shared request
  budget in a DynamoDB table at the template's 30 requests a minute): per function its invocations, wall and CPU
  seconds; every AWS call the functions make (a hook on botocore's client: S3 PUT/GET/LIST, DynamoDB, Secrets
  Manager, ...), the bytes they write per lake zone; the states the execution entered (its history); what the
  functions print (Powertools' JSON logs and EMF metrics: CloudWatch Logs ingestion, and the custom metrics);
  LoadRedshiftFunction's real loader against a recording Data API (tests/support/redshift.py: its statements);
  TriggerGlueFunction's real handler on the same window (the baseline's gold step); each handler's import time.
* Modelled (each assumption is a field of :class:`Assumptions`, printed with the table): Lambda seconds on AWS
  (CPU seconds stretched by the memory's vCPU share, 1 vCPU at 1,769 MB; waits as measured; one INIT per function and
  run, billed since 2025-08-01), network latency the sample does not have, the quality gate's and the Glue job's poll
  counts on AWS's intervals, Redshift seconds per statement, the Glue job's run time, Lambda's idle SQS polling, the
  lake's storage over the year with its lifecycle rules (bytes written per run per zone, plus what one operating day
  leaves in each curated zone: the demo lake, ``make demo`` or a sample run into a temporary lake).

Figure and baseline: the year with gold in BuildGoldFunction for the scheduled windows (the design) against the same
year with gold always in the Glue job (TriggerGlueFunction, the polls, 2 x G.1X for at least a minute: the design
before the gold Lambda), in one run; the ratio is what the Lambda branch saves. Prices: :data:`PRICES`, us-east-1,
on-demand, arm64 Lambda, no free tier, as listed on AWS's pricing pages in :data:`PRICE_LIST_DATE` (not fetched live).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.harness import figure, report  # noqa: E402

TEMPLATE_PATH = REPO / "template.yaml"
PIPELINE_ASL = REPO / "statemachines" / "pipeline.asl.json"

GB = 1024**3  # AWS bills storage, logs and Lambda memory in GiB ("GB")
SECONDS_PER_DAY = 86_400
MONTHS_PER_YEAR = 12
REFERENCE_YEAR = 2025  # 365 days; a cron's local time is checked against this year's DST changes
LAMBDA_MB_PER_VCPU = 1769  # "at 1,769 MB, a function has the equivalent of one vCPU" (Lambda developer guide)
S3_MIN_TRANSITION_BYTES = 128 * 1024  # S3 does not transition smaller objects by default (since 2024-09)
LAMBDA_MINIMUM_SECONDS = 0.001  # billed per millisecond
REDSHIFT_MINIMUM_SECONDS = 60  # Redshift Serverless: per second, 60-second minimum
GLUE_MINIMUM_SECONDS = 60  # Glue 2.0 and later: per second, 1-minute minimum
DPU_PER_WORKER = {"G.025X": 0.25, "G.1X": 1.0, "G.2X": 2.0, "G.4X": 4.0, "G.8X": 8.0, "Standard": 1.0}

# ---------------------------------------------------------------------------------------------------------------------
# The price list: us-east-1, on-demand, no free tier, as published on aws.amazon.com/<service>/pricing. NOT fetched
# live: check the pages before quoting a figure.
# ---------------------------------------------------------------------------------------------------------------------
PRICE_LIST_DATE = "2025-06"


@dataclass(frozen=True)
class Price:
    """``usd`` for every ``per`` units of ``unit``."""

    usd: float
    per: float
    unit: str

    def cost(self, quantity: float) -> float:
        return quantity / self.per * self.usd

    def __str__(self) -> str:
        per = "" if self.per == 1 else f"{self.per:,.0f} "
        usd = f"{self.usd:.10f}".rstrip("0").rstrip(".") if self.usd < 0.01 else f"{self.usd:g}"
        return f"${usd} / {per}{self.unit}"


PRICES: dict[str, Price] = {
    "lambda_gb_second": Price(0.0000133334, 1, "GB-s"),  # arm64, first 7.5 billion GB-s a month
    "lambda_request": Price(0.20, 1_000_000, "requests"),
    "sfn_transition": Price(0.025, 1_000, "transitions"),  # Standard workflows
    "glue_dpu_hour": Price(0.44, 1, "DPU-hour"),  # Spark jobs, Glue 2.0+
    "redshift_rpu_hour": Price(0.375, 1, "RPU-hour"),  # Serverless, on demand
    "redshift_storage": Price(0.024, 1, "GB-month"),  # Redshift managed storage
    "s3_standard": Price(0.023, 1, "GB-month"),  # first 50 TB
    "s3_standard_ia": Price(0.0125, 1, "GB-month"),
    "s3_glacier_ir": Price(0.004, 1, "GB-month"),
    "s3_put_class": Price(0.005, 1_000, "requests"),  # PUT, COPY, POST, LIST
    "s3_get_class": Price(0.0004, 1_000, "requests"),  # GET, SELECT, HEAD and all other requests (DELETE is free)
    "s3_transition_ia": Price(0.01, 1_000, "transitions"),  # lifecycle transition requests into Standard-IA
    "s3_transition_glacier_ir": Price(0.02, 1_000, "transitions"),
    "dynamodb_write": Price(0.625, 1_000_000, "WRU"),  # write request units, on demand (since 2024-11-01)
    "sqs_request": Price(0.40, 1_000_000, "requests"),  # standard queues
    "logs_ingestion": Price(0.50, 1, "GB"),  # CloudWatch Logs, Standard class (Lambda logs: first tier)
    "logs_storage": Price(0.03, 1, "GB-month"),
    "custom_metric": Price(0.30, 1, "metric-month"),  # first 10,000 metrics
    "alarm": Price(0.10, 1, "alarm-month"),  # standard resolution
    "dashboard": Price(3.00, 1, "dashboard-month"),
    "xray_trace": Price(5.00, 1_000_000, "traces"),  # recorded
    "kms_key": Price(1.00, 1, "key-month"),
    "secret": Price(0.40, 1, "secret-month"),
    "secrets_api": Price(0.05, 10_000, "API calls"),
    "scheduler_invocation": Price(1.00, 1_000_000, "invocations"),  # EventBridge Scheduler
}


# ---------------------------------------------------------------------------------------------------------------------
# Assumptions: what cannot be measured here, with the figure used and why.
# ---------------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Assumptions:
    glue_run_seconds: float = 90.0  # a Glue 5.1 run over 1-3 UTC dates: Spark's start-up dominates (not measurable)
    ercot_latency_s: float = 0.5  # per ERCOT API request; the request budget's 2 s spacing hides all but the last
    open_meteo_latency_s: float = 0.3  # per Open-Meteo request
    redshift_statement_s: Mapping[str, float] = field(
        default_factory=lambda: {"COPY": 2.0, "MERGE": 1.0, "CREATE": 0.3, "SELECT": 0.3, "DROP": 0.1}
    )
    redshift_other_statement_s: float = 0.2
    data_api_overhead_s: float = 0.5  # per submission: submit, then DescribeStatement polls
    lambda_platform_log_bytes: int = 700  # platform.start + platform.report records (JSON log format) per invocation
    glue_log_bytes_per_run: int = 200_000  # continuous logging (Spark driver and executors, standard filter)
    sqs_idle_pollers: int = 5  # Lambda's SQS event source: long polls (20 s) that run whether or not messages come
    sqs_long_poll_s: int = 20
    access_log_record_bytes: int = 400  # one S3 server access log record per request

    def describe(self) -> list[str]:
        return [
            f"Glue run: {self.glue_run_seconds:g} s billed and waited for (start-up included; cannot run Glue here)",
            f"network latency: {self.ercot_latency_s:g} s per ERCOT request (only the last of a fetch: the 2 s request "
            f"slots hide the rest), {self.open_meteo_latency_s:g} s per Open-Meteo request",
            "Redshift seconds per statement: "
            + ", ".join(f"{kind} {seconds:g}" for kind, seconds in self.redshift_statement_s.items())
            + f", other {self.redshift_other_statement_s:g}; {self.data_api_overhead_s:g} s per Data API submission",
            f"Lambda platform log records: {self.lambda_platform_log_bytes} bytes per invocation; Glue continuous "
            f"logs {self.glue_log_bytes_per_run:,} bytes per run",
            f"SQS: {self.sqs_idle_pollers} idle long polls of {self.sqs_long_poll_s} s on ValidateQueue all year",
            f"S3 access logs: {self.access_log_record_bytes} bytes per request",
        ]


# ---------------------------------------------------------------------------------------------------------------------
# template.yaml
# ---------------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FunctionSpec:
    name: str  # logical id
    folder: str  # functions/<folder>/
    memory_mb: int
    architecture: str


@dataclass(frozen=True)
class ScheduleSpec:
    name: str  # "realtime" / "daily": the schedule named in the event's Input
    expression: str
    timezone: str
    state: str


@dataclass(frozen=True)
class LifecycleRule:
    prefix: str
    transitions: tuple[tuple[int, str], ...] = ()  # (days, storage class)
    noncurrent_days: int | None = None
    expiration_days: int | None = None


@dataclass(frozen=True)
class TemplateFacts:
    functions: dict[str, FunctionSpec]
    schedules: dict[str, ScheduleSpec]
    glue_worker_type: str
    glue_workers: int
    glue_timeout_minutes: int
    state_machine_types: dict[str, str]
    log_retention_days: int
    lake_rules: tuple[LifecycleRule, ...]
    access_log_expiration_days: int
    redshift_base_rpu: int
    gate_poll_seconds: int
    glue_poll_seconds: int
    validate_batching_window_s: int
    ercot_requests_per_minute: int
    alarms: int
    dashboards: int
    kms_keys: int
    secrets: int

    @property
    def glue_dpus(self) -> float:
        return self.glue_workers * DPU_PER_WORKER[self.glue_worker_type]

    def rule_for(self, key: str) -> LifecycleRule | None:
        """The lake's lifecycle rule whose prefix matches ``key`` (the longest)."""
        matching = [rule for rule in self.lake_rules if rule.prefix and key.startswith(rule.prefix)]
        return max(matching, key=lambda rule: len(rule.prefix), default=None)


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """template.yaml as plain data, with cfn-lint's decoder (it understands !Ref, !Sub, !GetAtt ...)."""
    from cfnlint.decode import decode_str  # type: ignore[import-untyped]

    template, matches = decode_str(path.read_text())
    if matches:
        raise ValueError(f"{path} does not parse: {matches[0]}")
    plain: dict[str, Any] = json.loads(json.dumps(template))
    return plain


def resolve(value: Any, parameters: Mapping[str, Any], what: str) -> Any:
    """A literal, or a ``!Ref`` to a parameter (its default): the figures a default deploy runs with."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        name = value["Ref"]
        if name not in parameters or "Default" not in parameters[name]:
            raise ValueError(f"{what}: !Ref {name} is not a parameter with a default")
        return parameters[name]["Default"]
    if isinstance(value, dict):
        raise ValueError(f"{what}: cannot resolve {json.dumps(value)} (only literals and !Ref to a parameter)")
    return value


def template_facts(template: Mapping[str, Any]) -> TemplateFacts:
    parameters = template.get("Parameters", {})
    resources: dict[str, dict[str, Any]] = template["Resources"]

    def of_type(kind: str) -> dict[str, dict[str, Any]]:
        return {name: resource for name, resource in resources.items() if resource["Type"] == kind}

    def prop(resource: str, name: str) -> Any:
        return resolve(resources[resource]["Properties"][name], parameters, f"{resource}.{name}")

    glue_job = _only(of_type("AWS::Glue::Job"), "AWS::Glue::Job")
    workgroup = _only(of_type("AWS::RedshiftServerless::Workgroup"), "AWS::RedshiftServerless::Workgroup")
    retentions = {
        int(resolve(group["Properties"]["RetentionInDays"], parameters, f"{name}.RetentionInDays"))
        for name, group in of_type("AWS::Logs::LogGroup").items()
    }
    if len(retentions) != 1:
        raise ValueError(f"log groups keep logs for different numbers of days ({sorted(retentions)}): model each")
    validate_events = resources["ValidateFunction"]["Properties"]["Events"]
    sqs_event = next(event["Properties"] for event in validate_events.values() if event["Type"] == "SQS")
    return TemplateFacts(
        functions=_functions(template, parameters),
        schedules=_schedules(resources, parameters),
        glue_worker_type=str(prop(glue_job, "WorkerType")),
        glue_workers=int(prop(glue_job, "NumberOfWorkers")),
        glue_timeout_minutes=int(prop(glue_job, "Timeout")),
        state_machine_types={
            name: str(resolve(machine["Properties"].get("Type", "STANDARD"), parameters, f"{name}.Type"))
            for name, machine in of_type("AWS::Serverless::StateMachine").items()
        },
        log_retention_days=retentions.pop(),
        lake_rules=_lifecycle(resources["LakeBucket"]),
        access_log_expiration_days=_expiration(resources["AccessLogsBucket"]),
        redshift_base_rpu=int(prop(workgroup, "BaseCapacity")),
        gate_poll_seconds=int(resolve({"Ref": "GatePollSeconds"}, parameters, "GatePollSeconds")),
        glue_poll_seconds=int(resolve({"Ref": "GluePollSeconds"}, parameters, "GluePollSeconds")),
        validate_batching_window_s=int(sqs_event.get("MaximumBatchingWindowInSeconds", 0)),
        ercot_requests_per_minute=int(resolve({"Ref": "ErcotRequestsPerMinute"}, parameters, "ErcotRequestsPerMinute")),
        alarms=len(of_type("AWS::CloudWatch::Alarm")),
        dashboards=len(of_type("AWS::CloudWatch::Dashboard")),
        kms_keys=len(of_type("AWS::KMS::Key")),
        secrets=len(of_type("AWS::SecretsManager::Secret")),
    )


def _only(resources: Mapping[str, Any], kind: str) -> str:
    if len(resources) != 1:
        raise ValueError(f"expected one {kind} in the template, found {len(resources)}")
    return next(iter(resources))


def _functions(template: Mapping[str, Any], parameters: Mapping[str, Any]) -> dict[str, FunctionSpec]:
    globals_ = template.get("Globals", {}).get("Function", {})
    functions = {}
    for name, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        properties = resource["Properties"]
        memory = resolve(properties.get("MemorySize", globals_.get("MemorySize", 128)), parameters, f"{name}.Memory")
        architectures = properties.get("Architectures", globals_.get("Architectures", ["x86_64"]))
        folder = Path(str(properties["CodeUri"])).name
        functions[name] = FunctionSpec(name, folder, int(memory), str(architectures[0]))
    return functions


def _schedules(resources: Mapping[str, Any], parameters: Mapping[str, Any]) -> dict[str, ScheduleSpec]:
    schedules = {}
    for resource in resources.values():
        for event in resource.get("Properties", {}).get("Events", {}).values():
            if event["Type"] not in {"ScheduleV2", "Schedule"}:
                continue
            properties = event["Properties"]
            name = json.loads(properties["Input"])["schedule"]
            schedules[name] = ScheduleSpec(
                name=name,
                expression=str(properties["ScheduleExpression"]),
                timezone=str(properties.get("ScheduleExpressionTimezone", "UTC")),
                state=str(resolve(properties.get("State", "ENABLED"), parameters, f"{name} schedule State")),
            )
    return schedules


def _lifecycle(bucket: Mapping[str, Any]) -> tuple[LifecycleRule, ...]:
    rules = []
    for rule in bucket["Properties"].get("LifecycleConfiguration", {}).get("Rules", []):
        if rule.get("Status") != "Enabled":
            continue
        rules.append(
            LifecycleRule(
                prefix=str(rule.get("Prefix", "")),
                transitions=tuple(
                    (int(step["TransitionInDays"]), str(step["StorageClass"])) for step in rule.get("Transitions", [])
                ),
                noncurrent_days=rule.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays"),
                expiration_days=rule.get("ExpirationInDays"),
            )
        )
    return tuple(rules)


def _expiration(bucket: Mapping[str, Any]) -> int:
    days = [rule.expiration_days for rule in _lifecycle(bucket) if rule.expiration_days is not None]
    if not days:
        raise ValueError("the access-log bucket has no expiration rule")
    return min(days)


# ---------------------------------------------------------------------------------------------------------------------
# Schedules: runs a year
# ---------------------------------------------------------------------------------------------------------------------
_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_CRON = re.compile(r"cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": SECONDS_PER_DAY}


def days_in_year(year: int = REFERENCE_YEAR) -> int:
    return (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days


def runs_per_year(expression: str, timezone: str = "UTC", *, year: int = REFERENCE_YEAR) -> int:
    """How often an EventBridge Scheduler expression fires in ``year``: ``rate(N unit)`` counts in absolute time
    (time zones do not apply); ``cron(M H * * ? *)`` fires once a local day, on every day where that local time
    exists (a time inside a spring-forward gap is skipped). Other cron forms are refused, naming the expression."""
    text = expression.strip()
    if rate := _RATE.fullmatch(text):
        value, unit = int(rate[1]), rate[2].rstrip("s")
        if value < 1:
            raise ValueError(f"schedule {expression!r}: a rate needs at least 1 {unit}")
        return days_in_year(year) * SECONDS_PER_DAY // (value * _UNIT_SECONDS[unit])
    if cron := _CRON.fullmatch(text):
        minute, hour, day_of_month, month, day_of_week, cron_year = cron.groups()
        daily = day_of_month in {"*", "?"} and month == "*" and day_of_week in {"*", "?"} and cron_year == "*"
        if not (minute.isdigit() and hour.isdigit() and daily):
            raise ValueError(
                f"schedule {expression!r}: only a fixed time every day (cron(M H * * ? *)) is modelled; "
                "count this one by hand"
            )
        zone = ZoneInfo(timezone)
        days = (dt.date(year, 1, 1) + dt.timedelta(days=offset) for offset in range(days_in_year(year)))
        return sum(1 for day in days if _local_time_exists(day, int(hour), int(minute), zone))
    raise ValueError(f"not a schedule expression: {expression!r} (expected rate(...) or cron(...))")


def _local_time_exists(day: dt.date, hour: int, minute: int, zone: ZoneInfo) -> bool:
    local = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
    return local.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None)


# ---------------------------------------------------------------------------------------------------------------------
# The model: per-run figures -> a year of line items
# ---------------------------------------------------------------------------------------------------------------------
def lambda_seconds(wall_s: float, cpu_s: float, memory_mb: int) -> float:
    """Seconds an invocation measured here (``wall_s``, ``cpu_s``) lasts on Lambda with ``memory_mb``: its waits as
    measured, its CPU work stretched to the vCPU share the memory buys (1 vCPU at 1,769 MB), never faster than the
    parallelism it showed here. The machine's core is taken as fast as a Graviton core."""
    vcpus = memory_mb / LAMBDA_MB_PER_VCPU
    computing = min(wall_s, cpu_s)
    waiting = wall_s - computing
    parallelism = cpu_s / computing if computing > 0 else 1.0
    return max(LAMBDA_MINIMUM_SECONDS, waiting + cpu_s / min(vcpus, max(1.0, parallelism)))


def gb_seconds(memory_mb: int, seconds: float) -> float:
    return memory_mb / 1024 * seconds


def billed_hours(units: float, seconds: float, minimum_s: float) -> float:
    """Unit-hours of one run of ``seconds`` on ``units`` RPUs or DPUs, with the service's minimum."""
    return units * max(seconds, minimum_s) / 3600


def byte_days(bytes_per_day: float, age_from: float, age_to: float, days: int) -> float:
    """Byte-days stored over ``days`` by data written at ``bytes_per_day`` from day 0, counting only while it is
    between ``age_from`` and ``age_to`` days old (a storage class's span, or how long a noncurrent version lives)."""
    last = days if math.isinf(age_to) else min(days, math.ceil(age_to))
    ages = range(max(0, math.ceil(age_from)), last)
    return bytes_per_day * sum(days - age for age in ages)


def gb_months(byte_day_total: float, days: int) -> float:
    """Byte-days over a year as GB-months (the average GB stored, times 12)."""
    return byte_day_total / GB / days * MONTHS_PER_YEAR


@dataclass(frozen=True)
class FunctionRun:
    """One function's share of one run, on AWS."""

    invocations: float
    seconds: float  # all invocations together, INIT included


@dataclass(frozen=True)
class RunProfile:
    """What one run of a schedule uses on AWS (measured figures with the modelled corrections applied)."""

    functions: dict[str, FunctionRun]
    transitions: float
    s3_put_class: float = 0
    s3_get_class: float = 0
    written_bytes: dict[str, float] = field(default_factory=dict)  # lake key prefix (zone) -> bytes PUT
    raw_large_bytes: float = 0  # of written_bytes["raw/"], in objects of at least 128 KB (they transition)
    raw_large_objects: float = 0
    dynamodb_writes: float = 0
    sqs_requests: float = 0
    log_bytes: float = 0
    traces: float = 0
    secrets_calls: float = 0
    redshift_seconds: float = 0  # the load's active seconds (before the 60 s minimum); 0: no warehouse
    glue_run_seconds: float = 0  # 0: no Glue run


@dataclass(frozen=True)
class StorageInputs:
    """What one operating day leaves in each curated zone (current versions), from the demo lake."""

    current_bytes_per_day: dict[str, float]  # zone prefix -> bytes
    warehouse_bytes_per_day: float
    source: str = ""  # the lake they were read from
    spp_rt_rows_per_day: float = 0.0  # what the sample publishes (ERCOT publishes far more)


@dataclass(frozen=True)
class Line:
    service: str
    item: str
    quantity: float
    unit: str
    price: Price
    lever: str = ""

    @property
    def cost(self) -> float:
        return self.price.cost(self.quantity)


@dataclass(frozen=True)
class Year:
    """Everything a year of line items is computed from."""

    facts: TemplateFacts
    runs: Mapping[str, int]  # schedule -> runs a year
    profiles: Mapping[str, RunProfile]  # schedule -> one run on AWS
    storage: StorageInputs
    custom_metrics: int
    assumptions: Assumptions = field(default_factory=Assumptions)
    prices: Mapping[str, Price] = field(default_factory=lambda: PRICES)
    days: int = field(default_factory=days_in_year)

    def total(self, metric: str) -> float:
        """A per-run figure (a :class:`RunProfile` field) over the year."""
        return float(sum(getattr(self.profiles[name], metric) * count for name, count in self.runs.items()))

    def function_total(self, function: str, metric: str) -> float:
        return float(
            sum(
                getattr(self.profiles[name].functions[function], metric) * count
                for name, count in self.runs.items()
                if function in self.profiles[name].functions
            )
        )


def yearly_lines(year: Year) -> list[Line]:
    """A year's line items: each per-run figure times the runs of its schedule, plus what is billed by the month."""
    facts, prices, assumptions = year.facts, year.prices, year.assumptions
    glue_hours = sum(
        billed_hours(facts.glue_dpus, year.profiles[name].glue_run_seconds, GLUE_MINIMUM_SECONDS) * count
        for name, count in year.runs.items()
        if year.profiles[name].glue_run_seconds > 0
    )
    lines = _lambda_lines(year)
    lines += [
        Line("Step Functions", "state transitions", year.total("transitions"), "transitions", prices["sfn_transition"],
             "states per run x runs: the gate and Glue poll loops add a cycle per poll"),
        Line("EventBridge Scheduler", "schedule invocations", sum(year.runs.values()), "invocations",
             prices["scheduler_invocation"]),
    ]  # fmt: skip
    if glue_hours:
        lines.append(
            Line("Glue", f"gold job ({facts.glue_workers} x {facts.glue_worker_type})", glue_hours, "DPU-hours",
                 prices["glue_dpu_hour"],
                 f"{facts.glue_dpus:g} DPU for at least {GLUE_MINIMUM_SECONDS} s every run: gold in the Lambda")
        )  # fmt: skip
    lines += _redshift_lines(year) + _s3_lines(year) + _observability_lines(year)
    lines += [
        Line("DynamoDB", "ERCOT request budget writes", year.total("dynamodb_writes"), "WRU", prices["dynamodb_write"]),
        Line("SQS", "ValidateQueue: S3 events, receives, deletes", year.total("sqs_requests"), "requests",
             prices["sqs_request"]),
        Line("SQS", "ValidateQueue: idle long polls (event source)",
             assumptions.sqs_idle_pollers * year.days * SECONDS_PER_DAY / assumptions.sqs_long_poll_s, "requests",
             prices["sqs_request"]),
        Line("KMS", f"customer managed keys: {facts.kms_keys}", facts.kms_keys * MONTHS_PER_YEAR, "key-months",
             prices["kms_key"]),
        Line("Secrets Manager", f"secrets: {facts.secrets}", facts.secrets * MONTHS_PER_YEAR, "secret-months",
             prices["secret"]),
        Line("Secrets Manager", "GetSecretValue (one per cold fetch)", year.total("secrets_calls"), "API calls",
             prices["secrets_api"]),
    ]  # fmt: skip
    return lines


def _lambda_lines(year: Year) -> list[Line]:
    names = sorted({name for profile in year.profiles.values() for name in profile.functions})
    lines = []
    for name in names:
        spec, seconds = year.facts.functions[name], year.function_total(name, "seconds")
        lines.append(
            Line("Lambda", f"{name} ({spec.memory_mb} MB {spec.architecture})", gb_seconds(spec.memory_mb, seconds),
                 "GB-s", year.prices["lambda_gb_second"], f"{spec.memory_mb} MB x {seconds:,.0f} s a year")
        )  # fmt: skip
    requests = sum(year.function_total(name, "invocations") for name in names)
    lines.append(Line("Lambda", "requests", requests, "requests", year.prices["lambda_request"]))
    return lines


def _redshift_lines(year: Year) -> list[Line]:
    loads = {name: count for name, count in year.runs.items() if year.profiles[name].redshift_seconds > 0}
    if not loads:
        return []
    rpu = year.facts.redshift_base_rpu
    rpu_hours = sum(
        billed_hours(rpu, year.profiles[name].redshift_seconds, REDSHIFT_MINIMUM_SECONDS) * count
        for name, count in loads.items()
    )
    stored = gb_months(byte_days(year.storage.warehouse_bytes_per_day, 0, math.inf, year.days), year.days)
    return [
        Line("Redshift Serverless", f"loads: {sum(loads.values()):,} x {rpu} RPU", rpu_hours, "RPU-hours",
             year.prices["redshift_rpu_hour"],
             f"every load wakes {rpu} RPUs for at least {REDSHIFT_MINIMUM_SECONDS} s: load the warehouse less often "
             "than the lake (hourly: a quarter), or RedshiftMode none"),
        Line("Redshift Serverless", "managed storage", stored, "GB-months", year.prices["redshift_storage"]),
    ]  # fmt: skip


def _s3_lines(year: Year) -> list[Line]:
    facts, prices, days = year.facts, year.prices, year.days
    by_class = lake_storage_gb_months(year)
    large_objects_per_day = year.total("raw_large_objects") / days
    requests = year.total("s3_put_class") + year.total("s3_get_class")
    record = year.assumptions.access_log_record_bytes
    access_logs = gb_months(byte_days(requests / days * record, 0, facts.access_log_expiration_days, days), days)
    lines = [
        Line("S3", "PUT/COPY/POST/LIST requests", year.total("s3_put_class"), "requests", prices["s3_put_class"]),
        Line("S3", "GET/HEAD requests (COPY reads included)", year.total("s3_get_class"), "requests",
             prices["s3_get_class"]),
        Line("S3", "lake, Standard (noncurrent versions included)", by_class.get("STANDARD", 0.0), "GB-months",
             prices["s3_standard"],
             "zones rewritten every 15 minutes keep each old version for their rule's NoncurrentDays"),
        Line("S3", "lake, Standard-IA", by_class.get("STANDARD_IA", 0.0), "GB-months", prices["s3_standard_ia"]),
        Line("S3", "lake, Glacier Instant Retrieval", by_class.get("GLACIER_IR", 0.0), "GB-months",
             prices["s3_glacier_ir"]),
        Line("S3", "access logs, Standard", access_logs, "GB-months", prices["s3_standard"]),
    ]  # fmt: skip
    for rule in facts.lake_rules:
        for age, storage_class in rule.transitions:
            key = "s3_transition_ia" if storage_class == "STANDARD_IA" else "s3_transition_glacier_ir"
            count = large_objects_per_day * max(0, days - age)
            lines.append(Line("S3", f"lifecycle transitions to {storage_class}", count, "transitions", prices[key]))
    return lines


def lake_storage_gb_months(year: Year) -> dict[str, float]:
    """GB-months per storage class over the first year, from an empty lake.

    A zone whose rule has transitions (raw/: immutable, every reply a new object) keeps everything written: objects
    of at least 128 KB move down the rule's classes with age, smaller ones stay in Standard. Any other zone is
    rewritten in place: what one operating day leaves there (the demo lake) accumulates, and what the runs write
    becomes a noncurrent version kept for the rule's NoncurrentDays (forever without a rule)."""
    days = year.days
    written_per_day: defaultdict[str, float] = defaultdict(float)
    for name, count in year.runs.items():
        for zone, size in year.profiles[name].written_bytes.items():
            written_per_day[zone] += size * count / days
    by_class: defaultdict[str, float] = defaultdict(float)
    for zone in sorted(set(written_per_day) | set(year.storage.current_bytes_per_day)):
        rule = year.facts.rule_for(zone)
        if rule is not None and rule.transitions:
            large = year.total("raw_large_bytes") / days if zone == "raw/" else 0.0
            by_class["STANDARD"] += byte_days(written_per_day[zone] - large, 0, math.inf, days)
            ages = [0, *(age for age, _ in rule.transitions), math.inf]
            classes = ["STANDARD", *(storage_class for _, storage_class in rule.transitions)]
            for storage_class, start, end in zip(classes, ages, ages[1:], strict=False):
                by_class[storage_class] += byte_days(large, start, end, days)
            continue
        noncurrent_days = rule.noncurrent_days if rule is not None and rule.noncurrent_days else math.inf
        by_class["STANDARD"] += byte_days(year.storage.current_bytes_per_day.get(zone, 0.0), 0, math.inf, days)
        by_class["STANDARD"] += byte_days(written_per_day[zone], 0, noncurrent_days, days)
    return {storage_class: gb_months(total, days) for storage_class, total in by_class.items()}


def _observability_lines(year: Year) -> list[Line]:
    facts, prices, metrics = year.facts, year.prices, year.custom_metrics
    ingested = year.total("log_bytes")
    stored = gb_months(byte_days(ingested / year.days, 0, facts.log_retention_days, year.days), year.days)
    return [
        Line("CloudWatch", "Logs ingestion (JSON logs and EMF)", ingested / GB, "GB", prices["logs_ingestion"],
             "every invocation logs its event (log_event=True) and INFO lines"),
        Line("CloudWatch", f"Logs storage ({facts.log_retention_days} days)", stored, "GB-months",
             prices["logs_storage"]),
        Line("CloudWatch", f"custom metrics (EMF): {metrics}", metrics * MONTHS_PER_YEAR, "metric-months",
             prices["custom_metric"],
             f"{metrics} metric and dimension combinations (per dataset, per function): fewer dimensions"),
        Line("CloudWatch", f"alarms: {facts.alarms}", facts.alarms * MONTHS_PER_YEAR, "alarm-months", prices["alarm"]),
        Line("CloudWatch", f"dashboards: {facts.dashboards}", facts.dashboards * MONTHS_PER_YEAR, "dashboard-months",
             prices["dashboard"]),
        Line("X-Ray", "traces (a run, and each SQS-started validation)", year.total("traces"), "traces",
             prices["xray_trace"]),
    ]  # fmt: skip


def biggest_levers(lines: Iterable[Line], count: int = 2) -> list[Line]:
    return sorted(lines, key=lambda line: -line.cost)[:count]


# ---------------------------------------------------------------------------------------------------------------------
# The state machine: loops and the two gold branches, from the committed ASL
# ---------------------------------------------------------------------------------------------------------------------
def asl_states(definition: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every state of a definition by name, nested Parallel branches and Map processors included."""
    found: dict[str, dict[str, Any]] = {}
    for name, state in definition["States"].items():
        found[name] = state
        for branch in state.get("Branches", []):
            found.update(asl_states(branch))
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            found.update(asl_states(processor))
    return found


def _targets(state: Mapping[str, Any]) -> list[str]:
    targets = [choice["Next"] for choice in state.get("Choices", [])]
    targets += [state[key] for key in ("Next", "Default") if key in state]
    return targets


def _invokes(state: Mapping[str, Any]) -> str:
    """What a Task calls: the function's placeholder (``${BuildGoldFunctionArn}``) or the resource ARN."""
    parameters = state.get("Parameters", {})
    function = parameters.get("FunctionName") if isinstance(parameters, dict) else None
    return str(function or state.get("Resource", ""))


def poll_cycle(states: Mapping[str, Mapping[str, Any]], wait: str) -> list[str]:
    """The states of the loop through the Wait state ``wait`` (the wait first), the shortest way back to it."""
    paths = [[wait, target] for target in _targets(states[wait])]
    seen = {wait}
    while paths:
        path = paths.pop(0)
        if path[-1] == wait:
            return path[:-1]
        if path[-1] in seen:
            continue
        seen.add(path[-1])
        paths += [[*path, target] for target in _targets(states[path[-1]])]
    raise ValueError(f"the Wait state {wait} is in no loop")


def _chain(states: Mapping[str, Mapping[str, Any]], start: str, *, until: set[str]) -> list[str]:
    """The states from ``start`` along their ``Next`` up to (not including) the first one in ``until``."""
    chain, name = [], start
    while name not in until:
        if "Next" not in states[name] or name in chain:
            raise ValueError(f"from {start}, {name} does not lead on to {' or '.join(sorted(until))}")
        chain.append(name)
        name = states[name]["Next"]
    return chain


@dataclass(frozen=True)
class GoldBranches:
    lambda_states: int  # states a run enters building gold in BuildGoldFunction
    glue_fixed_states: int  # the Glue branch before its poll loop
    glue_cycle: int  # states per Glue poll

    def glue_states(self, polls: int) -> int:
        return self.glue_fixed_states + polls * self.glue_cycle


@dataclass(frozen=True)
class Loops:
    gate_wait: str
    gate_cycle: int
    glue_wait: str
    gold: GoldBranches


def pipeline_loops(definition: Mapping[str, Any]) -> Loops:
    """The quality gate's and the Glue job's poll loops, and the two gold branches, of the pipeline machine."""
    states = asl_states(definition)
    waits = {name: poll_cycle(states, name) for name, state in states.items() if state["Type"] == "Wait"}

    def loop_calling(target: str) -> str:
        found = [wait for wait, cycle in waits.items() if any(target in _invokes(states[name]) for name in cycle)]
        if len(found) != 1:
            raise ValueError(f"expected one poll loop calling {target}, found {found}")
        return found[0]

    def task_calling(target: str) -> str:
        found = [name for name, state in states.items() if state["Type"] == "Task" and target in _invokes(state)]
        if len(found) != 1:
            raise ValueError(f"expected one Task calling {target} in the pipeline machine, found {found}")
        return found[0]

    gate_wait, glue_wait = loop_calling("${QualityGateFunctionArn}"), loop_calling("glue:getJobRun")
    glue_exits = {target for name in waits[glue_wait] for target in _targets(states[name])} - set(waits[glue_wait])
    lambda_chain = _chain(states, task_calling("${BuildGoldFunctionArn}"), until=glue_exits)
    glue_prefix = _chain(states, task_calling("${TriggerGlueFunctionArn}"), until={glue_wait})
    return Loops(
        gate_wait=gate_wait,
        gate_cycle=len(waits[gate_wait]),
        glue_wait=glue_wait,
        gold=GoldBranches(len(lambda_chain), len(glue_prefix), len(waits[glue_wait])),
    )


# ---------------------------------------------------------------------------------------------------------------------
# From a measured run to the profiles of both designs
# ---------------------------------------------------------------------------------------------------------------------
S3_PUT_CLASS = frozenset(
    {"PutObject", "CopyObject", "PostObject", "ListObjects", "ListObjectsV2", "ListObjectVersions",
     "CreateMultipartUpload", "UploadPart", "UploadPartCopy", "CompleteMultipartUpload", "ListMultipartUploads",
     "ListParts", "PutObjectTagging", "RestoreObject"}
)  # fmt: skip
S3_FREE = frozenset({"DeleteObject", "DeleteObjects", "AbortMultipartUpload"})
BASELINE_ONLY = "TriggerGlueFunction"  # measured after the run, on the same window: the Glue design's gold step
GOLD_LAMBDA = "BuildGoldFunction"


@dataclass
class Measured:
    """One schedule's run as measured by :func:`measure_run` (JSON between the child and the parent)."""

    schedule: str
    window: tuple[str, str]
    invocations: list[dict[str, Any]]  # {"function", "wall_s", "cpu_s"}
    api_calls: list[dict[str, Any]]  # {"function", "service", "operation", "count"}
    put_objects: list[dict[str, Any]]  # {"function", "key_prefix", "bytes"}
    http_requests: list[dict[str, Any]]  # {"function", "host", "count"}
    log_bytes: dict[str, int]
    emf_metrics: list[list[Any]]
    states_entered: list[str]
    manifests: int
    redshift_statements: list[str]  # the first word of each statement
    redshift_submissions: int
    redshift_files: int
    redshift_tables: int
    init_seconds: dict[str, float] = field(default_factory=dict)

    def invocations_of(self, function: str) -> list[dict[str, Any]]:
        return [call for call in self.invocations if call["function"] == function]

    def calls(self, function: str | None = None, service: str | None = None) -> Counter[str]:
        counted: Counter[str] = Counter()
        for call in self.api_calls:
            if (function is None or call["function"] == function) and (service is None or call["service"] == service):
                counted[call["operation"]] += call["count"]
        return counted


def aws_run_profiles(
    measured: Measured, facts: TemplateFacts, loops: Loops, assumptions: Assumptions
) -> dict[str, RunProfile]:
    """The run on AWS in both designs: ``lambda`` (gold in BuildGoldFunction, as measured) and ``glue`` (gold in the
    Glue job: BuildGoldFunction's invocation, states and S3 requests replaced by TriggerGlueFunction's, the poll
    loop on the template's interval, the job's run)."""
    if GOLD_LAMBDA not in {call["function"] for call in measured.invocations}:
        raise SystemExit(f"the {measured.schedule} run built no gold in {GOLD_LAMBDA}: the plan chose Glue")
    functions = {
        name: _function_on_aws(measured, facts.functions[name], assumptions)
        for name in sorted({call["function"] for call in measured.invocations} - {BASELINE_ONLY})
    }
    validate = functions["ValidateFunction"]
    # The gate checks right after the fetches, then every GatePollSeconds until the last group is curated: the
    # validate event source's batching window plus that group's curation (a mean invocation, its share of the INIT).
    curation_s = facts.validate_batching_window_s + validate.seconds / max(validate.invocations, 1)
    gate_waits = math.ceil(curation_s / facts.gate_poll_seconds)
    gate = _function_on_aws(measured, facts.functions["QualityGateFunction"], assumptions, invocations=gate_waits + 1)
    functions["QualityGateFunction"] = gate
    moto_gate_waits = measured.states_entered.count(loops.gate_wait)
    transitions = len(measured.states_entered) + (gate_waits - moto_gate_waits) * loops.gate_cycle
    gate_scale = gate.invocations / len(measured.invocations_of("QualityGateFunction"))
    s3_put, s3_get = _s3_requests(measured, gate_scale=gate_scale)
    written, raw_large_bytes, raw_large_objects = written_bytes(measured)
    lambda_design = RunProfile(
        functions=functions,
        transitions=transitions,
        s3_put_class=s3_put,
        s3_get_class=s3_get + measured.redshift_files + measured.redshift_tables,  # COPY reads each file + manifest
        written_bytes=written,
        raw_large_bytes=raw_large_bytes,
        raw_large_objects=raw_large_objects,
        dynamodb_writes=sum(measured.calls(service="dynamodb").values()),
        # S3 -> SQS: one message per manifest; the event source: one receive and one batch delete per invocation
        sqs_requests=measured.manifests + 2 * validate.invocations,
        log_bytes=_log_bytes(measured, functions, assumptions),
        traces=1 + validate.invocations,
        secrets_calls=measured.calls(service="secretsmanager")["GetSecretValue"],
        redshift_seconds=_redshift_seconds(measured, assumptions),
    )
    glue_polls = math.ceil(assumptions.glue_run_seconds / facts.glue_poll_seconds)
    glue_functions = {name: run for name, run in functions.items() if name != GOLD_LAMBDA}
    glue_functions[BASELINE_ONLY] = _function_on_aws(measured, facts.functions[BASELINE_ONLY], assumptions)
    trigger_put, trigger_get = _s3_requests(measured, only=BASELINE_ONLY)
    glue_design = replace(
        lambda_design,
        functions=glue_functions,
        transitions=transitions - loops.gold.lambda_states + loops.gold.glue_states(glue_polls),
        # Spark reads the window's silver and writes its gold like BuildGoldFunction does (same S3 requests)
        s3_put_class=lambda_design.s3_put_class + trigger_put,
        s3_get_class=lambda_design.s3_get_class + trigger_get,
        log_bytes=_log_bytes(measured, glue_functions, assumptions) + assumptions.glue_log_bytes_per_run,
        glue_run_seconds=assumptions.glue_run_seconds,
    )
    return {"lambda": lambda_design, "glue": glue_design}


def _function_on_aws(
    measured: Measured, spec: FunctionSpec, assumptions: Assumptions, *, invocations: float | None = None
) -> FunctionRun:
    """The function's invocations in the run (or ``invocations``, at the measured mean) on AWS, one INIT included.
    ValidateFunction is invoked once per landed group (the event source's 5-second batching window rarely catches
    two: the fetches land their groups seconds apart)."""
    calls = measured.invocations_of(spec.name)
    seconds = sum(lambda_seconds(call["wall_s"], call["cpu_s"], spec.memory_mb) for call in calls)
    seconds += _network_seconds(measured, spec.name, assumptions)
    count = float(len(calls))
    if spec.name == "ValidateFunction":
        count = float(max(measured.manifests, len(calls)))
    if invocations is not None:
        seconds, count = seconds / max(len(calls), 1) * invocations, invocations
    return FunctionRun(invocations=count, seconds=seconds + measured.init_seconds.get(spec.name, 0.0))


def _network_seconds(measured: Measured, function: str, assumptions: Assumptions) -> float:
    seconds = 0.0
    for request in measured.http_requests:
        if request["function"] != function:
            continue
        if "ercot" in request["host"]:
            seconds += assumptions.ercot_latency_s * min(request["count"], len(measured.invocations_of(function)))
        else:
            seconds += assumptions.open_meteo_latency_s * request["count"]
    return seconds


def _s3_requests(measured: Measured, *, gate_scale: float = 1.0, only: str | None = None) -> tuple[float, float]:
    put_class = get_class = 0.0
    for call in measured.api_calls:
        if call["service"] != "s3" or call["operation"] in S3_FREE:
            continue
        if (only is None and call["function"] == BASELINE_ONLY) or (only is not None and call["function"] != only):
            continue
        count = call["count"] * (gate_scale if call["function"] == "QualityGateFunction" else 1.0)
        if call["operation"] in S3_PUT_CLASS:
            put_class += count
        else:
            get_class += count
    return put_class, get_class


def written_bytes(
    measured: Measured, scale: Mapping[str, float] | None = None
) -> tuple[dict[str, float], float, float]:
    """Bytes PUT per zone, and of raw/ the bytes and count of objects big enough to transition; ``scale`` multiplies
    each object of a dataset (what the sample publishes against what ERCOT does)."""
    written: defaultdict[str, float] = defaultdict(float)
    large_bytes = large_objects = 0.0
    for put in measured.put_objects:
        if put["function"] == BASELINE_ONLY:
            continue
        size = put["bytes"] * (scale or {}).get(put.get("dataset") or "", 1.0)
        written[put["key_prefix"]] += size
        if put["key_prefix"] == "raw/" and size >= S3_MIN_TRANSITION_BYTES:
            large_bytes += size
            large_objects += 1
    return dict(written), large_bytes, large_objects


def _log_bytes(measured: Measured, functions: Mapping[str, FunctionRun], assumptions: Assumptions) -> float:
    total = 0.0
    for name, run in functions.items():
        calls = len(measured.invocations_of(name)) or 1
        total += measured.log_bytes.get(name, 0) / calls * run.invocations
        total += assumptions.lambda_platform_log_bytes * run.invocations
    return total


def _redshift_seconds(measured: Measured, assumptions: Assumptions) -> float:
    seconds = sum(
        assumptions.redshift_statement_s.get(kind, assumptions.redshift_other_statement_s)
        for kind in measured.redshift_statements
    )
    return seconds + assumptions.data_api_overhead_s * measured.redshift_submissions


# ---------------------------------------------------------------------------------------------------------------------
# Measuring one run (in a child interpreter: cold imports, a fresh moto)
# ---------------------------------------------------------------------------------------------------------------------
# Scheduled times and the sample's clock for each run: the real-time run at 12:00 Central (half the day posted, the
# average reply over a day), the daily run at its 06:30 Central.
RUN_TIMES = {
    "realtime": (dt.datetime(2024, 11, 5, 17, 45, tzinfo=dt.UTC), dt.datetime(2024, 11, 5, 18, 0, tzinfo=dt.UTC)),
    "daily": (dt.datetime(2024, 11, 5, 12, 30, tzinfo=dt.UTC), dt.datetime(2024, 11, 5, 12, 35, tzinfo=dt.UTC)),
}


class _Attribution(threading.local):
    """The function whose code the current thread runs (None: the stand-ins, moto, this script)."""

    function: str | None = None


_ATTRIBUTION = _Attribution()


@contextmanager
def attributed_to(function: str | None) -> Iterator[None]:
    previous, _ATTRIBUTION.function = _ATTRIBUTION.function, function
    try:
        yield
    finally:
        _ATTRIBUTION.function = previous


@dataclass
class Recorder:
    """What the instrumented functions did, by function."""

    invocations: list[dict[str, Any]] = field(default_factory=list)
    results: dict[str, list[Any]] = field(default_factory=dict)
    api_calls: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    put_objects: list[dict[str, Any]] = field(default_factory=list)
    http_requests: Counter[tuple[str, str]] = field(default_factory=Counter)
    log_bytes: Counter[str] = field(default_factory=Counter)
    emf_metrics: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def call(self, function: str, handler: Any, event: Any, context: Any) -> Any:
        """``handler(event, context)`` as ``function``: its wall and CPU seconds (the thread's, or the process's for
        BuildGoldFunction: DuckDB computes on threads of its own, and nothing else runs while gold is built)."""
        cpu_clock = time.process_time if function == GOLD_LAMBDA else time.thread_time
        with attributed_to(function):
            wall, cpu = time.perf_counter(), cpu_clock()
            try:
                result = handler(event, context)
            finally:
                wall, cpu = time.perf_counter() - wall, cpu_clock() - cpu
                with self.lock:
                    self.invocations.append({"function": function, "wall_s": wall, "cpu_s": cpu})
        with self.lock:
            self.results.setdefault(function, []).append(result)
        return result

    def api_call(self, service: str, operation: str, params: Mapping[str, Any]) -> None:
        function = _ATTRIBUTION.function
        if function is None:
            return
        with self.lock:
            self.api_calls[(function, service, operation)] += 1
            if service == "s3" and operation == "PutObject":
                body = params.get("Body", b"")
                size = len(body) if isinstance(body, bytes | str) else 0
                key = str(params["Key"])
                dataset = re.search(r"(?:^|/)dataset=([a-z_]+)/", key)
                self.put_objects.append(
                    {
                        "function": function,
                        "key_prefix": key.split("/", 1)[0] + "/",
                        "dataset": dataset[1] if dataset else None,
                        "bytes": size,
                    }
                )

    def printed(self, line: str) -> None:
        """A line a function printed: a log record or, with ``_aws``, an EMF metric set."""
        function = _ATTRIBUTION.function
        if function is None:
            return
        with self.lock:
            self.log_bytes[function] += len(line.encode()) + 1
        if '"_aws"' not in line:
            return
        blob = json.loads(line)
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            for dimensions in directive["Dimensions"] or [[]]:
                for metric in directive["Metrics"]:
                    key = [directive["Namespace"], metric["Name"], [[name, str(blob[name])] for name in dimensions]]
                    with self.lock:
                        self.emf_metrics.add(json.dumps(key))


class _PrintedLines(io.TextIOBase):
    """sys.stdout while measuring: a function's lines go to the recorder, everything else to the real stdout."""

    def __init__(self, recorder: Recorder, real: Any) -> None:
        super().__init__()
        self._recorder, self._real = recorder, real
        self._partial = threading.local()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if _ATTRIBUTION.function is None:
            return int(self._real.write(text))
        buffered = getattr(self._partial, "text", "") + text
        *lines, self._partial.text = buffered.split("\n")
        for line in lines:
            self._recorder.printed(line)
        return len(text)

    def flush(self) -> None:
        self._real.flush()


@contextmanager
def instrumented(recorder: Recorder) -> Iterator[None]:
    """Count every AWS call (botocore's client) and every printed line by the function that made it; a thread pool
    started inside a function works for that function."""
    from concurrent.futures import ThreadPoolExecutor
    from unittest import mock

    from botocore.client import BaseClient

    make_api_call, submit = BaseClient._make_api_call, ThreadPoolExecutor.submit  # type: ignore[attr-defined]

    def counted(client: Any, operation: str, params: Any) -> Any:
        recorder.api_call(client.meta.service_model.service_name, operation, params)
        return make_api_call(client, operation, params)

    def submit_attributed(pool: Any, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        function = _ATTRIBUTION.function

        def run(*inner_args: Any, **inner_kwargs: Any) -> Any:
            with attributed_to(function):
                return fn(*inner_args, **inner_kwargs)

        return submit(pool, run, *args, **kwargs)

    real_stdout = sys.stdout
    sys.stdout = _PrintedLines(recorder, real_stdout)
    try:
        with (
            mock.patch.object(BaseClient, "_make_api_call", counted),
            mock.patch.object(ThreadPoolExecutor, "submit", submit_attributed),
        ):
            yield
    finally:
        sys.stdout = real_stdout


def measure_run(schedule: str, out: Path) -> None:
    """Run one scheduled execution on the moto stack with every function instrumented; write a :class:`Measured`."""
    scheduled_time, sample_now = RUN_TIMES[schedule]
    facts = template_facts(load_template())
    recorder = Recorder()
    with instrumented(recorder):
        measured = _run_schedule(recorder, facts, schedule, scheduled_time, sample_now)
    out.write_text(json.dumps(vars(measured)))


def _run_schedule(
    recorder: Recorder, facts: TemplateFacts, schedule: str, scheduled_time: dt.datetime, sample_now: dt.datetime
) -> Measured:
    import logging
    import warnings

    import pytest

    from energylake.contracts.datasets import ALL_DATASETS
    from energylake.lambdas import load_redshift
    from energylake.warehouse.model import WAREHOUSE
    from tests.support import sfn_stack
    from tests.support.fakes import FakeContext, load_handler
    from tests.support.redshift import FakeDataApiClient, data_api

    warnings.filterwarnings("ignore", module=r"aws_lambda_powertools\.")  # repeated metric dimensions, per call
    logging.getLogger("botocore").setLevel(logging.WARNING)
    logging.getLogger("moto").setLevel(logging.ERROR)  # "ToleratedFailurePercentagePath ... has no effect" per parse
    logical = {spec.folder: name for name, spec in facts.functions.items()}

    def instrumented_handler(folder: str, *, fresh: bool = False) -> Any:
        module = load_handler(folder, fresh=fresh)
        return _Handler(recorder, logical[folder], module.lambda_handler)

    # migrated at deploy (the loader only reads the version); the freshness view answers for every dataset
    warehouse = FakeDataApiClient(version=WAREHOUSE.version, freshness=[(name, 10) for name in ALL_DATASETS])
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(sfn_stack, "SAMPLE_NOW", sample_now)
        monkeypatch.setattr(sfn_stack, "load_handler", instrumented_handler)
        monkeypatch.setattr(load_redshift, "data_api", lambda settings: data_api(warehouse))
        with sfn_stack.moto_stack(monkeypatch) as stack:
            _as_the_template_deploys(monkeypatch, stack, facts)
            # LoadRedshiftFunction's real handler (the stack's stand-in loads DuckDB), on the recording Data API
            monkeypatch.setattr(
                stack,
                "load_duckdb",
                lambda event: instrumented_handler("load_redshift")(event, FakeContext("LoadRedshiftFunction")),
            )
            stack.reply_hook = lambda request, response: _count_request(recorder, request, response)
            start = instrumented_handler("start_run")(
                {"schedule": schedule, "scheduled_time": scheduled_time.isoformat()}, FakeContext("StartRunFunction")
            )
            history = _wait_for(stack, start["execution_arn"])
            window = recorder.results["PlanRunFunction"][0]
            # The baseline's gold step, measured on the same window: TriggerGlueFunction starts the job's run.
            instrumented_handler("trigger_glue")(
                {"start": window["start"], "end": window["end"]}, FakeContext("TriggerGlueFunction")
            )
            manifests = sum(1 for key in stack.lake.list("raw/") if key.endswith(".manifest.json"))
    return _measured(
        recorder,
        schedule=schedule,
        window=(window["start"], window["end"]),
        history=history,
        manifests=manifests,
        warehouse=warehouse,
    )


@dataclass
class _Handler:
    recorder: Recorder
    function: str
    handler: Any

    def lambda_handler(self, event: Any, context: Any) -> Any:
        return self.recorder.call(self.function, self.handler, event, context)

    def __call__(self, event: Any, context: Any) -> Any:
        return self.lambda_handler(event, context)


def _as_the_template_deploys(monkeypatch: Any, stack: Any, facts: TemplateFacts) -> None:
    """Where the test stack's environment differs from what template.yaml gives the functions in prod: the shared
    ERCOT request budget at the template's rate (the test stack lifts it), the default page size, INFO logs, a
    Serverless warehouse, BuildGoldFunction's memory."""
    import boto3

    from tests.support import sfn_stack

    table = "energylake-cost-rate-limit"
    boto3.client("dynamodb", region_name=sfn_stack.REGION).create_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "limiter", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "limiter", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    environment = {
        "ENERGYLAKE_ERCOT_RATE_LIMIT_TABLE": table,
        "ENERGYLAKE_ERCOT_REQUESTS_PER_MINUTE": str(facts.ercot_requests_per_minute),
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "ENERGYLAKE_REDSHIFT_MODE": "serverless",
        "ENERGYLAKE_REDSHIFT_WORKGROUP": "energylake-cost",
        "ENERGYLAKE_REDSHIFT_COPY_ROLE_ARN": f"arn:aws:iam::{sfn_stack.ACCOUNT}:role/energylake-cost-copy",
        "ENERGYLAKE_PIPELINE_STATE_MACHINE_ARN": stack.machines["pipeline"],
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(facts.functions[GOLD_LAMBDA].memory_mb),
    }
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    monkeypatch.delenv("ENERGYLAKE_ERCOT_PAGE_SIZE", raising=False)
    sfn_stack._clear_caches()


def _count_request(recorder: Recorder, request: Any, response: Any) -> Any:
    function = _ATTRIBUTION.function
    if function is not None:
        with recorder.lock:
            recorder.http_requests[(function, request.url.host)] += 1
    return response


def _wait_for(stack: Any, execution_arn: str, timeout_s: float = 1800) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout_s
    while (described := stack.sfn.describe_execution(executionArn=execution_arn))["status"] == "RUNNING":
        if time.monotonic() > deadline:
            raise SystemExit(f"the execution still runs after {timeout_s:.0f} s")
        time.sleep(0.2)
    if described["status"] != "SUCCEEDED":
        raise SystemExit(f"the run ended {described['status']}: {described.get('cause', '')[:800]}")
    history: list[dict[str, Any]] = stack.history(execution_arn)
    return history


def _measured(
    recorder: Recorder,
    *,
    schedule: str,
    window: tuple[str, str],
    history: list[dict[str, Any]],
    manifests: int,
    warehouse: Any,
) -> Measured:
    loads = [table for result in recorder.results.get("LoadRedshiftFunction", []) for table in result["tables"]]
    return Measured(
        schedule=schedule,
        window=window,
        invocations=recorder.invocations,
        api_calls=[
            {"function": function, "service": service, "operation": operation, "count": count}
            for (function, service, operation), count in sorted(recorder.api_calls.items())
        ],
        put_objects=recorder.put_objects,
        http_requests=[
            {"function": function, "host": host, "count": count}
            for (function, host), count in sorted(recorder.http_requests.items())
        ],
        log_bytes=dict(recorder.log_bytes),
        emf_metrics=[json.loads(metric) for metric in sorted(recorder.emf_metrics)],
        states_entered=[
            event["stateEnteredEventDetails"]["name"] for event in history if "stateEnteredEventDetails" in event
        ],
        manifests=manifests,
        redshift_statements=[sql.split(None, 1)[0].upper() for sql in warehouse.sql],
        redshift_submissions=len(warehouse.statements),
        redshift_files=sum(int(table.get("files", 0)) for table in loads),
        redshift_tables=sum(1 for table in loads if table.get("status") == "loaded"),
    )


def import_seconds(facts: TemplateFacts, python: str = sys.executable) -> dict[str, float]:
    """Each function's ``import app`` in a fresh interpreter (what an INIT runs), best of two."""
    code = "import sys,time;sys.path[:0]=sys.argv[1:3];t=time.perf_counter();import app;print(time.perf_counter()-t)"
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_SERVICE_NAME": "energylake"}
    seconds = {}
    for name, spec in sorted(facts.functions.items()):
        folder = REPO / "functions" / spec.folder
        samples = []
        for _ in range(2):
            done = subprocess.run(
                [python, "-c", code, str(folder), str(REPO / "layers" / "common")],
                capture_output=True,
                text=True,
                env=env,
                cwd=folder,
                check=False,
            )
            if done.returncode == 0:
                samples.append(float(done.stdout.strip().splitlines()[-1]))
        seconds[name] = min(samples) if samples else 0.0
    return seconds


# ---------------------------------------------------------------------------------------------------------------------
# Storage inputs: the demo lake
# ---------------------------------------------------------------------------------------------------------------------
DEMO_START, DEMO_END = dt.date(2024, 11, 1), dt.date(2024, 11, 7)


def demo_storage(lake: Path | None) -> StorageInputs:
    """Bytes per operating day in each zone of the demo lake (``make demo``: 7 days), or of a sample run of the same
    window into a temporary lake (removed after) when there is none."""
    if lake is not None and (lake / "silver").is_dir():
        return _lake_storage(lake)
    with tempfile.TemporaryDirectory(prefix="energylake-cost-") as scratch:
        sample_lake = Path(scratch) / "lake"
        command = [
            str(Path(sys.executable).with_name("energylake")),
            "run", "--source", "sample", "--start", DEMO_START.isoformat(), "--end", DEMO_END.isoformat(),
            "--lake", str(sample_lake),
        ]  # fmt: skip
        subprocess.run(command, check=True, capture_output=True)
        return replace(_lake_storage(sample_lake), source="a sample run of make demo's window")


def _lake_storage(lake: Path) -> StorageInputs:
    days = (DEMO_END - DEMO_START).days + 1
    # raw/ is modelled from what the runs write (every real-time reply is kept); .meta/ and logs/ are local only
    zones = {
        f"{path.name}/": _tree_bytes(path) / days
        for path in lake.iterdir()
        if path.is_dir() and path.name not in {"raw", "logs"} and not path.name.startswith(".")
    }
    warehouse = lake / "warehouse.duckdb"
    return StorageInputs(
        current_bytes_per_day=zones,
        warehouse_bytes_per_day=(warehouse.stat().st_size if warehouse.exists() else 0) / days,
        source=str(lake),
        spp_rt_rows_per_day=_rows_per_day(lake, "spp_rt"),
    )


def _tree_bytes(path: Path) -> int:
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())


# ---------------------------------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------------------------------
def print_table(title: str, lines: list[Line]) -> float:
    total = sum(line.cost for line in lines)
    print(f"\n{title}")
    print(f"{'item':<58} {'yearly quantity':>24} {'unit price':>30} {'yearly cost':>11}")
    for line in lines:
        amount = f"{line.quantity:,.0f}" if line.quantity >= 100 else f"{line.quantity:,.3g}"
        label = f"{line.service}: {line.item}"
        print(f"{label:<58} {amount + ' ' + line.unit:>24} {line.price!s:>30} {f'${line.cost:,.2f}':>11}")
    print(f"{'total':<58} {'':>24} {'':>30} {f'${total:,.2f}':>11}")
    return total


def _measurements(args: argparse.Namespace, facts: TemplateFacts) -> dict[str, Measured]:
    if args.measurements and args.measurements.exists():
        stored = json.loads(args.measurements.read_text())
        return {name: Measured(**{**value, "window": tuple(value["window"])}) for name, value in stored.items()}
    init = import_seconds(facts)
    measured = {}
    with tempfile.TemporaryDirectory(prefix="energylake-cost-") as scratch:
        for schedule in facts.schedules:
            out = Path(scratch) / f"{schedule}.json"
            subprocess.run([sys.executable, __file__, "--measure-run", schedule, "--out", str(out)], check=True)
            value = json.loads(out.read_text())
            measured[schedule] = Measured(**{**value, "window": tuple(value["window"]), "init_seconds": init})
    if args.measurements:
        args.measurements.write_text(json.dumps({name: vars(value) for name, value in measured.items()}, indent=1))
    return measured


def _union_metrics(measured: Iterable[Measured]) -> set[str]:
    return {json.dumps(metric) for run in measured for metric in run.emf_metrics}


def _print_runs(measured: Mapping[str, Measured], profiles: Mapping[str, Mapping[str, RunProfile]]) -> None:
    print("\nper run (measured on moto, as on AWS: CPU stretched to the memory's vCPU share, one INIT each, latency):")
    for schedule, run in measured.items():
        design, baseline = profiles[schedule]["lambda"], profiles[schedule]["glue"]
        print(f"  {schedule} run, operating days {run.window[0]}..{run.window[1]}:")
        rows = [(name, function) for name, function in sorted(design.functions.items())]
        rows.append((f"{BASELINE_ONLY} (baseline)", baseline.functions[BASELINE_ONLY]))
        for name, function in rows:
            print(f"    {name:<34} {function.invocations:>3.0f} invocations {function.seconds:>7.2f} s")
        s3 = run.calls(service="s3")
        s3 -= run.calls(function=BASELINE_ONLY, service="s3")
        print(
            f"    Step Functions: {design.transitions:.0f} transitions (baseline {baseline.transitions:.0f}); the "
            f"execution's history on moto entered {len(run.states_entered)} states, its poll loops set to AWS's counts"
        )
        print(
            "    S3 requests: "
            + ", ".join(f"{operation} {count}" for operation, count in sorted(s3.items()))
            + f"; COPY reads {run.redshift_files + run.redshift_tables}"
        )
        written = ", ".join(f"{zone} {size / 1e3:,.0f} kB" for zone, size in sorted(design.written_bytes.items()))
        print(f"    written: {written}")
        print(
            f"    DynamoDB writes {design.dynamodb_writes:.0f}, groups curated {run.manifests}, SQS requests "
            f"{design.sqs_requests:.0f}, logs {design.log_bytes / 1e3:,.1f} kB, Redshift: "
            f"{len(run.redshift_statements)} statements in {run.redshift_submissions} submissions "
            f"(~{design.redshift_seconds:.0f} s, billed {max(design.redshift_seconds, REDSHIFT_MINIMUM_SECONDS):.0f} s)"
        )


def _notes(year: Year, measured: Mapping[str, Measured]) -> list[str]:
    """What the table leaves out or could not measure, with what it would change."""
    submissions = sum(run.redshift_submissions * year.runs[name] for name, run in measured.items())
    per_statement = billed_hours(year.facts.redshift_base_rpu, REDSHIFT_MINIMUM_SECONDS, 0) * submissions
    rows_per_day = year.storage.spp_rt_rows_per_day
    scale = {"spp_rt": ERCOT_SPP_RT_ROWS_PER_DAY / rows_per_day} if rows_per_day else {}
    scaled_profiles = {}
    for name, run in measured.items():
        written, large_bytes, large_objects = written_bytes(run, scale)
        scaled_profiles[name] = replace(
            year.profiles[name], written_bytes=written, raw_large_bytes=large_bytes, raw_large_objects=large_objects
        )
    storage_now = sum(line.cost for line in _s3_lines(year) if "GB-months" in line.unit or "transitions" in line.unit)
    storage_scaled = sum(
        line.cost
        for line in _s3_lines(replace(year, profiles=scaled_profiles))
        if "GB-months" in line.unit or "transitions" in line.unit
    )
    return [
        f"Redshift: the 60 s minimum is applied once per load (the workgroup idles between loads, not between a "
        f"load's statements); applied to each of its Data API submissions instead it would be "
        f"{per_statement:,.0f} RPU-hours (${year.prices['redshift_rpu_hour'].cost(per_statement):,.0f})",
        f"sample scale: the sample publishes {rows_per_day:,.0f} real-time price rows a day, ERCOT about "
        f"{ERCOT_SPP_RT_ROWS_PER_DAY:,} (template.yaml, ValidateFunction): at that volume the lake's storage lines "
        f"would be ${storage_scaled:,.2f} instead of ${storage_now:,.2f} (ValidateFunction's seconds grow too)",
        "the real-time runs in the first hour after midnight (4 of 96) also re-fetch the previous day: not modelled",
        "Lambda seconds: this machine's core taken as fast as a Graviton core; moto's in-process S3 work counts as "
        "the function's CPU; validation's pyarrow threads are not in its thread's CPU time",
        "left out: backfills (the Glue job: at least a minute of "
        f"{year.facts.glue_dpus:g} DPU per run), QuickSight, queries against the warehouse, SNS alerts, KMS requests "
        "(S3 Bucket Keys), the Glue Data Catalog (projection, no crawler), data transfer (inbound only), every free "
        "tier (Lambda's 400,000 GB-s and 1M requests a month would cover all the Lambda lines)",
    ]


ERCOT_SPP_RT_ROWS_PER_DAY = 100_000  # "a day of real-time prices is ~100k rows" (template.yaml, ValidateFunction)


def _rows_per_day(lake: Path, dataset: str) -> float:
    """Rows per operating day the lake's quality reports kept for ``dataset`` (0 when it has none)."""
    rows = days = 0
    for path in (lake / "quality").glob(f"dataset={dataset}/**/*.json"):
        report_ = json.loads(path.read_text())
        rows += int(report_.get("rows", {}).get("kept", 0))
        days += len(report_.get("expected_days", []))
    return rows / days if days else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo-lake", type=Path, default=REPO / "lake", help="a demo lake (default ./lake, if any)")
    parser.add_argument("--glue-run-seconds", type=float, default=Assumptions.glue_run_seconds)
    parser.add_argument("--measurements", type=Path, help="reuse this file's measurements (written when missing)")
    parser.add_argument("--measure-run", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure_run:
        measure_run(args.measure_run, args.out)
        return 0

    facts = template_facts(load_template())
    assumptions = Assumptions(glue_run_seconds=args.glue_run_seconds)
    runs = {name: runs_per_year(spec.expression, spec.timezone) for name, spec in facts.schedules.items()}
    loops = pipeline_loops(json.loads(PIPELINE_ASL.read_text()))
    measured = _measurements(args, facts)
    storage = demo_storage(args.demo_lake)
    profiles = {name: aws_run_profiles(run, facts, loops, assumptions) for name, run in measured.items()}
    metrics = len(_union_metrics(measured.values()))
    years = {
        design: Year(
            facts, runs, {name: both[design] for name, both in profiles.items()}, storage, metrics, assumptions
        )
        for design in ("lambda", "glue")
    }

    print(f"a year ({days_in_year()} days) of the default schedules on AWS; prices of {PRICE_LIST_DATE} (us-east-1, "
          "on demand, no free tier; not fetched live)")  # fmt: skip
    for name, spec in facts.schedules.items():
        state = f"the template's State {spec.state}: samconfig.toml's prod enables both"
        print(f"    {name}: {spec.expression} {spec.timezone} -> {runs[name]:,} runs ({state})")
    per_day = ", ".join(f"{zone} {size / 1e3:,.0f} kB" for zone, size in sorted(storage.current_bytes_per_day.items()))
    print(f"    what an operating day leaves in the curated zones ({storage.source}): {per_day}")
    _print_runs(measured, profiles)
    design_lines, baseline_lines = yearly_lines(years["lambda"]), yearly_lines(years["glue"])
    total = print_table("gold in BuildGoldFunction for the scheduled windows (the design):", design_lines)
    baseline_total = print_table("baseline, gold always in the Glue job:", baseline_lines)
    print("\nthe two biggest levers:")
    for line in biggest_levers(design_lines):
        print(f"    {line.service}: {line.item}: ${line.cost:,.2f} ({line.cost / total:.0%}): {line.lever}")
    print("\nassumptions (not measurable here):")
    for text in assumptions.describe():
        print(f"    {text}")
    print("notes:")
    for text in _notes(years["lambda"], measured):
        print(f"    {text}")
    print()
    report(
        figure("yearly cost, gold in the Lambda", total, "USD"),
        figure("gold always in Glue", baseline_total, "USD"),
        saved_usd=round(baseline_total - total, 2),
        schedule_runs=runs,
        levers=[f"{line.service}: {line.item}" for line in biggest_levers(design_lines)],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
