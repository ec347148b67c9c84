"""Every function's runtime, architecture, tracing, logging, code folder, layers, timeout and memory; the layers
SAM builds."""

from __future__ import annotations

import ast
import json

import pytest

from tests.support.paths import REPO_ROOT
from tests.support.template import FETCH_SOURCES, FUNCTIONS, GLOBAL_FUNCTION, RESOURCES, TEMPLATE, as_list, effective


def test_the_template_declares_the_fetch_functions() -> None:
    assert set(FETCH_SOURCES) <= set(FUNCTIONS)
    undeclared = {name for name in FUNCTIONS if name.startswith("Fetch")} - set(FETCH_SOURCES)
    assert not undeclared, f"add {undeclared} to FETCH_SOURCES with the source prefix it may write"


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_function_runs_python312_on_arm64_with_active_tracing(function: str) -> None:
    assert effective(function, "Runtime") == "python3.12"
    assert effective(function, "Architectures") == ["arm64"]
    assert effective(function, "Tracing") == "Active"


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_function_uses_the_common_layer(function: str) -> None:
    assert {"Ref": "CommonLayer"} in as_list(effective(function, "Layers") or [])


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_function_declares_each_layer_once(function: str) -> None:
    # A layer in Globals and again in the function would be attached twice (Lambda refuses the update).
    layers = [json.dumps(layer, sort_keys=True) for layer in as_list(effective(function, "Layers") or [])]
    assert len(layers) == len(set(layers)), f"{function}: {layers}"


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_function_logs_json_to_its_own_log_group_with_retention(function: str) -> None:
    # LoggingConfig merges: LogFormat from Globals, LogGroup from the function.
    logging = {**(GLOBAL_FUNCTION.get("LoggingConfig") or {}), **FUNCTIONS[function]["Properties"]["LoggingConfig"]}
    assert logging.get("LogFormat") == "JSON"
    group = logging.get("LogGroup")
    assert isinstance(group, dict), f"{function}: LoggingConfig.LogGroup must !Ref a log group of this template"
    assert "Ref" in group, f"{function}: LoggingConfig.LogGroup must be a !Ref, got {group}"
    log_group = RESOURCES[group["Ref"]]
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert log_group["Properties"].get("RetentionInDays") == {"Ref": "LogRetentionDays"}
    assert TEMPLATE["Parameters"]["LogRetentionDays"]["Default"] == 30


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_function_code_folder_holds_the_handler(function: str) -> None:
    properties = FUNCTIONS[function]["Properties"]
    folder = REPO_ROOT / properties["CodeUri"]
    module_name, _, handler_name = effective(function, "Handler").rpartition(".")
    module = folder / f"{module_name.replace('.', '/')}.py"
    assert module.is_file(), f"{function}: {module.relative_to(REPO_ROOT)} does not exist"
    defined = {
        node.name
        for node in ast.parse(module.read_text()).body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    assert handler_name in defined, f"{function}: {module.relative_to(REPO_ROOT)} defines no {handler_name}()"


def test_globals_point_functions_at_the_lake_root() -> None:
    variables = GLOBAL_FUNCTION["Environment"]["Variables"]
    assert variables["ENERGYLAKE_LAKE_URI"] == {"Fn::Sub": "s3://${LakeBucket}/"}
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "energylake"
    assert variables["POWERTOOLS_LOG_LEVEL"] == {"Ref": "LogLevel"}
    assert "POWERTOOLS_SERVICE_NAME" in variables


def test_common_layer_is_built_by_sam_for_python312_arm64() -> None:
    layer = RESOURCES["CommonLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    properties = layer["Properties"]
    assert properties["CompatibleRuntimes"] == ["python3.12"]
    assert properties["CompatibleArchitectures"] == ["arm64"]
    # sam build runs layers/common/Makefile's build-CommonLayer target: the package without its local-only rooms
    # (it was BuildMethod python3.12 until the layer got its own Makefile)
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    assert layer["Metadata"].get("BuildArchitecture") == "arm64", "without it sam build installs x86_64 wheels"
    content = REPO_ROOT / properties["ContentUri"]
    assert (content / "requirements.txt").is_file()
    assert (content / "energylake" / "__init__.py").is_file()
    assert "build-CommonLayer:" in (content / "Makefile").read_text()
    assert not (content / "python").exists(), "the build writes python/ in sam's build folder: do not add one"


def test_validate_function_uses_the_common_and_data_layers() -> None:
    assert effective("ValidateFunction", "Layers") == [{"Ref": "CommonLayer"}, {"Ref": "DataLayer"}]
    layer = RESOURCES["DataLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    # layers/data/Makefile's build-DataLayer target installs and prunes pyarrow with the common layer's build script
    metadata = layer["Metadata"]
    assert metadata["BuildMethod"] == "makefile"
    assert metadata.get("BuildArchitecture") == "arm64", "without it sam build installs x86_64 wheels"
    content = REPO_ROOT / metadata.get("ContextPath", layer["Properties"]["ContentUri"])
    assert "build-DataLayer:" in (content / "Makefile").read_text()
    requirements = (content / "requirements.txt").read_text()
    assert "pyarrow" in requirements and "orjson" in requirements
    assert not (content / "python").exists(), "the build writes python/ in sam's build folder: do not add one"


# The one function that imports pyarrow: ValidateFunction parses and writes Parquet.
DATA_LAYER_FUNCTIONS = {"ValidateFunction"}


@pytest.mark.parametrize("function", sorted(set(FUNCTIONS) - DATA_LAYER_FUNCTIONS))
def test_only_the_functions_that_need_pyarrow_carry_the_data_layer(function: str) -> None:
    assert {"Ref": "DataLayer"} not in as_list(effective(function, "Layers") or [])


def test_only_validate_takes_the_data_layer_the_loader_needs_no_pyarrow() -> None:
    # The warehouse model reads the contracts' type names (no pyarrow) and the Data API is boto3 (no driver): the
    # loader runs on the common layer alone, which keeps it far below its size budget (scripts/check_build.py).
    assert effective("LoadRedshiftFunction", "Layers") == [{"Ref": "CommonLayer"}]
    takers = {name for name in FUNCTIONS if {"Ref": "DataLayer"} in (effective(name, "Layers") or [])}
    assert takers == {"ValidateFunction"}


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_every_function_sets_its_own_timeout_and_memory(function: str) -> None:
    properties = FUNCTIONS[function]["Properties"]
    assert isinstance(properties.get("Timeout"), int) and 1 <= properties["Timeout"] <= 900
    assert isinstance(properties.get("MemorySize"), int) and 128 <= properties["MemorySize"] <= 10240


@pytest.mark.parametrize(
    ("function", "folder", "timeout", "memory"),
    [
        ("PlanRunFunction", "plan_run", 10, 256),
        ("QualityGateFunction", "quality_gate", 60, 256),
        ("StartRunFunction", "start_run", 15, 256),
    ],
)
def test_orchestration_function_shape(function: str, folder: str, timeout: int, memory: int) -> None:
    properties = FUNCTIONS[function]["Properties"]
    assert properties["CodeUri"] == f"functions/{folder}/"
    assert properties["Handler"] == "app.lambda_handler"
    assert (properties["Timeout"], properties["MemorySize"]) == (timeout, memory)


# Lambda caps MemorySize at 3008 MB on new accounts until the quota is raised: above it the create fails and the stack
# rolls back (the same class of defect as a reservation under a small concurrency quota).
NEW_ACCOUNT_MAX_MEMORY_MB = 3008


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_every_function_deploys_within_a_new_accounts_memory_quota(function: str) -> None:
    assert FUNCTIONS[function]["Properties"]["MemorySize"] <= NEW_ACCOUNT_MAX_MEMORY_MB


def test_the_gold_function_runs_duckdb_on_the_common_layer_alone() -> None:
    # GIVEN the gold function for short windows
    properties = FUNCTIONS["BuildGoldFunction"]["Properties"]
    # THEN it is the build_gold handler with duckdb beside it, on the common layer only (no pyarrow: the data layer
    # would take it past its 150 MB budget), as much CPU as a new account allows, and Lambda's whole 15 minutes
    assert (properties["CodeUri"], properties["Handler"]) == ("functions/build_gold/", "app.lambda_handler")
    assert effective("BuildGoldFunction", "Layers") == [{"Ref": "CommonLayer"}]
    from packaging.requirements import Requirement

    lines = (REPO_ROOT / "functions" / "build_gold" / "requirements.txt").read_text().splitlines()
    assert [Requirement(line).name for line in lines if line.strip() and not line.startswith("#")] == ["duckdb"]
    assert properties["MemorySize"] == NEW_ACCOUNT_MAX_MEMORY_MB
    assert properties["Timeout"] == 900


def test_no_function_reserves_concurrency() -> None:
    # A reservation fails the deploy on accounts whose concurrency quota is small (Lambda keeps an unreserved
    # minimum): ERCOT's per-key limit holds through the shared request budget instead.
    assert [name for name, f in FUNCTIONS.items() if "ReservedConcurrentExecutions" in f["Properties"]] == []


def test_the_ercot_fetcher_takes_its_requests_from_the_shared_budget() -> None:
    # GIVEN the ERCOT fetcher's environment and role
    variables = FUNCTIONS["FetchErcotFunction"]["Properties"]["Environment"]["Variables"]
    statements = RESOURCES["FetchErcotRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    # THEN it names the rate-limit table, may update exactly that table, and nothing else may
    assert variables["ENERGYLAKE_ERCOT_RATE_LIMIT_TABLE"] == {"Ref": "RateLimitTable"}
    [budget] = [s for s in statements if "dynamodb:UpdateItem" in str(s["Action"])]
    assert budget["Resource"] == {"Fn::GetAtt": ["RateLimitTable", "Arn"]}
    table = RESOURCES["RateLimitTable"]["Properties"]
    assert table["KeySchema"] == [{"AttributeName": "limiter", "KeyType": "HASH"}]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
