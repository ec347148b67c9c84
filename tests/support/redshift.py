"""A fake Redshift Data API client (boto3 ``redshift-data``) that records what the loader sends and answers as the
service would, without AWS.

moto's redshift-data is a stub (DescribeStatement never finishes), so the tests use this: every request is checked
against botocore's own service model (a parameter the real API would refuse fails here too), statements run through
the states the service reports (SUBMITTED/STARTED for ``polls`` describes, then FINISHED/FAILED/ABORTED), and the
results come back as the API's ``Field`` records. The SQL itself is checked elsewhere (sqlglot in the Redshift
dialect, golden statements); here the loader's behaviour is: which batches, in which order, what happens on a
failure, a retry, a deadline.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import botocore.session
from botocore.exceptions import ClientError, ParamValidationError
from botocore.validate import ParamValidator

from energylake.lake import layout
from energylake.lake.quality_listing import silver_group
from energylake.warehouse.model import WAREHOUSE
from energylake.warehouse.redshift.data_api import DataApi, DataApiTarget, RetryPolicy
from tests.support.fakes import FakeClock

_MODEL = botocore.session.get_session().get_service_model("redshift-data")
WORKGROUP = DataApiTarget("dev", workgroup_name="energylake-test")


def client_error(code: str, message: str = "slow down", operation: str = "BatchExecuteStatement") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


@dataclass
class Statement:
    id: str
    sqls: list[str]
    batch: bool
    error: str | None = None  # FAILED with this error (None: FINISHED)
    aborted: bool = False
    polls_left: int = 0
    hangs: bool = False  # never finishes (a deadline test)
    cancelled: bool = False


@dataclass
class FakeDataApiClient:
    """Behaviour knobs:

    * ``version``: what ``SELECT MAX(version)`` returns; None: the version table does not exist (the query fails).
    * ``freshness``: (dataset, minutes) rows of the freshness query; ``freshness_error`` fails it instead.
    * ``fail(sqls)``: the error a batch or statement FAILS with (None: it finishes). Called once per submission, so a
      stateful callable can fail the first attempts only. ``fails_at(sql)``: which statement of a failing batch
      reports the error (the first it is true for); by default the first whose kind (COPY, MERGE...) the error
      names, else the first statement.
    * ``throttle``: per operation name, how many calls raise ThrottlingException before one succeeds.
    * ``polls``: describes that report a batch STARTED before its final state (``query_polls`` for single
      statements). ``hang(sqls)``: never finishes.
    * ``rows``: ResultRows reported for COPY and MERGE statements; ``page_size``: records per GetStatementResult page.
    """

    version: int | None = WAREHOUSE.version  # the warehouse is current unless a test says otherwise
    freshness: list[tuple[str, int | None]] = field(default_factory=lambda: [("spp_rt", 21), ("weather", None)])
    freshness_error: str | None = None
    fail: Callable[[list[str]], str | None] = lambda sqls: None
    fails_at: Callable[[str], bool] | None = None
    throttle: dict[str, int] = field(default_factory=dict)
    polls: int = 1
    query_polls: int = 1
    hang: Callable[[list[str]], bool] = lambda sqls: False
    rows: dict[str, int] = field(default_factory=lambda: {"COPY": 100, "MERGE": 7})
    page_size: int = 1
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    statements: dict[str, Statement] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    # --- what was sent --------------------------------------------------------------------------------------------

    @property
    def submitted(self) -> list[list[str]]:
        """The SQL of every submission, in order (a batch's statements; a single statement as a list of one)."""
        return [statement.sqls for statement in self.statements.values()]

    @property
    def batches(self) -> list[list[str]]:
        return [statement.sqls for statement in self.statements.values() if statement.batch]

    @property
    def sql(self) -> list[str]:
        return [sql for sqls in self.submitted for sql in sqls]

    def operations(self) -> list[str]:
        return [name for name, _ in self.calls]

    # --- the API --------------------------------------------------------------------------------------------------

    def batch_execute_statement(self, **kwargs: Any) -> dict[str, Any]:
        self._record("BatchExecuteStatement", kwargs)
        return {"Id": self._submit(list(kwargs["Sqls"]), batch=True)}

    def execute_statement(self, **kwargs: Any) -> dict[str, Any]:
        self._record("ExecuteStatement", kwargs)
        return {"Id": self._submit([kwargs["Sql"]], batch=False)}

    def describe_statement(self, **kwargs: Any) -> dict[str, Any]:
        self._record("DescribeStatement", kwargs)
        statement = self.statements[kwargs["Id"]]
        if statement.cancelled:
            return {"Id": statement.id, "Status": "ABORTED", "Error": "cancelled by the caller"}
        if statement.hangs or statement.polls_left > 0:
            statement.polls_left -= 1
            return {"Id": statement.id, "Status": "STARTED"}
        if statement.error is not None:
            reply = {"Id": statement.id, "Status": "FAILED", "Error": statement.error}
            if statement.batch:  # the failing sub-statement is the last one attempted
                failing = self._failing_index(statement)
                reply["SubStatements"] = [
                    {"Id": f"{statement.id}:{n + 1}", "Status": "FINISHED" if n < failing else "FAILED",
                     **({"Error": statement.error} if n == failing else {})}
                    for n in range(failing + 1)
                ]  # fmt: skip
            return reply
        reply = {"Id": statement.id, "Status": "FINISHED", "HasResultSet": self._has_result(statement)}
        if statement.batch:
            reply["SubStatements"] = [
                {"Id": f"{statement.id}:{n + 1}", "Status": "FINISHED", "ResultRows": self._rows(sql)}
                for n, sql in enumerate(statement.sqls)
            ]
        return reply

    def get_statement_result(self, **kwargs: Any) -> dict[str, Any]:
        self._record("GetStatementResult", kwargs)
        statement = self.statements[kwargs["Id"]]
        records = self._records(statement.sqls[0])
        start = int(kwargs.get("NextToken", "0"))
        page = records[start : start + self.page_size]
        reply: dict[str, Any] = {"Records": page, "TotalNumRows": len(records)}
        if start + self.page_size < len(records):
            reply["NextToken"] = str(start + self.page_size)
        return reply

    def cancel_statement(self, **kwargs: Any) -> dict[str, Any]:
        self._record("CancelStatement", kwargs)
        self.statements[kwargs["Id"]].cancelled = True
        return {"Status": True}

    # --- internals ------------------------------------------------------------------------------------------------

    def _record(self, operation: str, kwargs: dict[str, Any]) -> None:
        shape = _MODEL.operation_model(operation).input_shape
        report = ParamValidator().validate(kwargs, shape)
        if report.has_errors():
            raise ParamValidationError(report=report.generate_report())
        self.calls.append((operation, kwargs))
        if self.throttle.get(operation, 0) > 0:
            self.throttle[operation] -= 1
            raise client_error("ThrottlingException", "Rate exceeded", operation)

    def _submit(self, sqls: list[str], *, batch: bool) -> str:
        statement_id = f"stmt-{next(self._ids)}"
        error = self.fail(sqls)
        if error is None and not batch and sqls[0].startswith("SELECT MAX(version)") and self.version is None:
            error = 'ERROR: relation "energylake.schema_version" does not exist'
        if error is None and not batch and "v_data_freshness" in sqls[0]:
            error = self.freshness_error
        self.statements[statement_id] = Statement(
            statement_id,
            sqls,
            batch,
            error=error,
            polls_left=self.polls if batch else self.query_polls,
            hangs=self.hang(sqls),
        )
        return statement_id

    def _failing_index(self, statement: Statement) -> int:
        if self.fails_at is not None:
            return next((number for number, sql in enumerate(statement.sqls) if self.fails_at(sql)), 0)
        # A COPY/MERGE error is reported by that statement; anything else by the first statement.
        for number, sql in enumerate(statement.sqls):
            if statement.error and sql.split(None, 1)[0].upper() in statement.error.upper():
                return number
        return 0

    def _rows(self, sql: str) -> int:
        return self.rows.get(sql.split(None, 1)[0].upper(), 0)

    def _has_result(self, statement: Statement) -> bool:
        return not statement.batch and statement.sqls[0].lstrip().upper().startswith("SELECT")

    def _records(self, sql: str) -> list[list[dict[str, Any]]]:
        if sql.startswith("SELECT MAX(version)"):
            return [[{"isNull": True} if self.version is None else {"longValue": self.version}]]
        if "v_data_freshness" in sql:
            return [
                [{"stringValue": name}, {"isNull": True} if minutes is None else {"longValue": minutes}]
                for name, minutes in self.freshness
            ]
        return []


def data_api(
    client: FakeDataApiClient, clock: FakeClock | None = None, target: DataApiTarget = WORKGROUP, attempts: int = 4
) -> DataApi:
    """A DataApi over the fake, on a fake clock (sleeps advance it: no test waits)."""
    clock = clock or FakeClock()
    return DataApi(client, target, retry=RetryPolicy(max_attempts=attempts), sleep=clock.sleep, clock=clock.clock)


def put_quality_report(
    s3: Any, bucket: str, raw_day: dt.date, group: str, silver_keys: list[str], *, status: str = "passed"
) -> str:
    """Write a group's quality report as curation does: under its raw day, listing its silver keys (at least one:
    they name the dataset); returns the report's key."""
    dataset = layout.partition_values(silver_keys[0])["dataset"]
    report_key = layout.quality_report_key(dataset, raw_day, group)
    report = {
        "dataset": dataset,
        "status": status,
        "passed": status == "passed",
        "outputs": {"silver": silver_keys, "quarantine": []},
    }
    s3.put_object(Bucket=bucket, Key=report_key, Body=json.dumps(report).encode())
    return report_key


def put_lake_object(s3: Any, bucket: str, key: str, body: bytes, *, listed: bool = True) -> None:
    """Put ``key`` into the lake on (moto) S3 as the pipeline writes it: a silver object is also listed in a passed
    quality report of its group (``quality/dataset=<d>/date=<its UTC date>/<group>.json``, created if need be), as
    curation does, unless ``listed`` is False (a file curation did not write). Gold has no reports."""
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    if not key.startswith(f"{layout.SILVER_ZONE}/") or not listed:
        return
    day = layout.partition_date(key)
    assert day is not None, key
    dataset, group = layout.partition_values(key)["dataset"], silver_group(key)
    report_key = layout.quality_report_key(dataset, day, group)
    try:
        listed_keys = json.loads(s3.get_object(Bucket=bucket, Key=report_key)["Body"].read())["outputs"]["silver"]
    except s3.exceptions.NoSuchKey:
        listed_keys = []
    put_quality_report(s3, bucket, day, group, sorted({*listed_keys, key}))
