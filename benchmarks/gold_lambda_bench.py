"""BuildGoldFunction benchmark: the AWS short-run gold (DuckDB in a Lambda) on the demo's data against moto S3, next to
the Glue path's configured start-up and polling.

    .venv/bin/python benchmarks/gold_lambda_bench.py            # 1 and 2 operating days, 3 runs each
    .venv/bin/python benchmarks/gold_lambda_bench.py --runs 5

The demo's silver (the sample source's 2024-11-01..07, as `make demo` fetches it; the fall-back day 11-03) is landed
once, not timed, in a moto S3 server (ThreadedMotoServer on 127.0.0.1). Each run is a fresh child interpreter that
imports ``functions/build_gold/app.py`` and calls its ``lambda_handler`` twice with the same event, as Lambda would:
the first call is a cold invocation (DuckDB's import included, the handler's own import reported apart), the second
a warm one (the next 15-minute run on the same instance). The child talks to S3 over HTTP (``AWS_ENDPOINT_URL_S3``)
and holds only what the function holds (no moto), so its peak resident memory (``VmHWM``) is the function's.
DuckDB's ``memory_limit`` is derived from template.yaml's ``MemorySize`` of BuildGoldFunction, as on Lambda.
The child runs this repository's virtualenv, not Lambda's arm64 runtime: read the figures as orders of magnitude.

Windows: one operating day (the real-time run's: its two UTC dates) and two operating days (the daily run's: three
UTC dates). A build always rewrites whole UTC dates, so these are the smallest windows the function sees.

Baseline: the Glue path as configured. The pipeline starts the Glue job, then waits ``glue.poll_seconds`` (PlanRun's
plan: ``ENERGYLAKE_GLUE_POLL_SECONDS``, template parameter ``GluePollSeconds``) before its first ``glue:getJobRun``,
so gold is seen at the earliest one poll after the start, and only if the job's start-up and run fit in it; Glue bills
one minute at least. The job's real start-up cannot be measured offline: the ratio is against the poll alone, a
lower bound of the Glue path.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "layers" / "common"))
sys.path.insert(0, str(REPO_ROOT))

from harness import Measurement, figure, report  # noqa: E402

BUCKET = "energylake-gold-lambda-bench"
REGION = "us-east-1"
WINDOWS = {"1 operating day": ("2024-11-03", "2024-11-03"), "2 operating days": ("2024-11-03", "2024-11-04")}
FUNCTION = "BuildGoldFunction"

# Run in the child, as Lambda runs the function: import the handler, invoke it twice (cold, then warm).
_CHILD = """
import json, sys, time
function_dir, start, end = sys.argv[1:4]
sys.path.insert(0, function_dir)

class Context:  # what Powertools' Logger reads from Lambda's context object
    function_name = "energylake-bench-build-gold"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:energylake-bench-build-gold"
    aws_request_id = "00000000-0000-0000-0000-000000000001"
    log_group_name = "/aws/lambda/energylake-bench-build-gold"
    log_stream_name = "bench"
    memory_limit_in_mb = 0
    def get_remaining_time_in_millis(self):
        return 900_000

def peak_rss_mb():
    # VmHWM: this process's peak resident memory (ru_maxrss would keep the forking parent's peak across exec)
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024

started = time.perf_counter()
import app
imported = time.perf_counter() - started
event = {"start": start, "end": end}
started = time.perf_counter()
cold = app.lambda_handler(event, Context())
cold_seconds = time.perf_counter() - started
started = time.perf_counter()
warm = app.lambda_handler(event, Context())
warm_seconds = time.perf_counter() - started
print(json.dumps({
    "import_seconds": imported,
    "cold_seconds": cold_seconds,
    "warm_seconds": warm_seconds,
    "build_seconds": [cold["seconds"], warm["seconds"]],
    "reply": warm,
    "peak_rss_mb": peak_rss_mb(),
    "heavy_modules": sorted(m for m in ("pyarrow", "numpy", "pandas") if sys.modules.get(m) is not None),
}))
"""


def configured() -> dict[str, Any]:
    """What template.yaml and PlanRunFunction configure: the function's memory, the Glue job and its polling."""
    from energylake.lambdas import plan_run
    from energylake.lambdas.build_gold import duckdb_memory_limit
    from tests.support.template import RESOURCES, TEMPLATE

    function = RESOURCES[FUNCTION]["Properties"]
    job = RESOURCES["BuildGoldJob"]["Properties"]
    start, end = WINDOWS["1 operating day"]
    plan = plan_run.handle({"mode": "pipeline", "input": {"start": start, "end": end}})
    memory = int(function["MemorySize"])
    return {
        "memory_mb": memory,
        "duckdb_memory_limit": duckdb_memory_limit(memory),
        "timeout_s": int(function["Timeout"]),
        "poll_seconds": int(plan["glue"]["poll_seconds"]),
        "template_poll_seconds": int(TEMPLATE["Parameters"]["GluePollSeconds"]["Default"]),
        "gold_engine_1_day": plan.get("gold_engine"),
        "glue": f"Glue {job['GlueVersion']}, {job['NumberOfWorkers']} x {job['WorkerType']}, 1-minute minimum billing",
    }


def land_demo_silver(root: Path, s3: Any) -> int:
    """The demo's silver (sample source, 2024-11-01..07) in the bucket; the number of objects."""
    from tests.support.gold import DEMO_WEEK, make_sample_silver

    lake = make_sample_silver(root / "demo", [DEMO_WEEK])
    s3.create_bucket(Bucket=BUCKET)
    files = sorted((lake / "silver").rglob("*.parquet"))
    for path in files:
        s3.put_object(Bucket=BUCKET, Key=path.relative_to(lake).as_posix(), Body=path.read_bytes())
    return len(files)


def invoke_in_child(endpoint: str, memory_mb: int, window: tuple[str, str], scratch: Path) -> dict[str, Any]:
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL_S3": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
        "ENERGYLAKE_LAKE_URI": f"s3://{BUCKET}",
        "POWERTOOLS_TRACE_DISABLED": "1",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "TMPDIR": str(scratch),
    }
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(REPO_ROOT / "functions" / "build_gold"), *window],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if done.returncode != 0:
        raise SystemExit(f"gold_lambda_bench: the {window} invocation failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh child processes per window (median)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("need --runs >= 1")

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request

    config = configured()
    print(
        f"{FUNCTION} (MemorySize {config['memory_mb']} MB -> DuckDB memory_limit {config['duckdb_memory_limit']}) on "
        f"the demo's silver, moto S3 over HTTP, {os.cpu_count()} CPUs; Glue path: {config['glue']}, first poll after "
        f"{config['poll_seconds']} s (template GluePollSeconds {config['template_poll_seconds']}); "
        f"PlanRun sends 1 operating day to: {config['gold_engine_1_day']}"
    )
    glue = figure("glue path: first getJobRun after start (poll_seconds)", config["poll_seconds"], "s")
    memory = figure(f"{FUNCTION} MemorySize", config["memory_mb"], "MB")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 - moto's
        )
        with tempfile.TemporaryDirectory(prefix="energylake-gold-lambda-bench-") as folder:
            root = Path(folder)
            objects = land_demo_silver(root, s3)
            scratch = root / "lambda-tmp"
            scratch.mkdir()
            results: dict[str, list[dict[str, Any]]] = {name: [] for name in WINDOWS}
            for _ in range(args.runs):  # round-robin: load elsewhere on the machine hits both windows alike
                for name, window in WINDOWS.items():
                    results[name].append(invoke_in_child(endpoint, config["memory_mb"], window, scratch))
            for name, runs in results.items():
                reply = runs[-1]["reply"]
                extra = {"utc_dates": reply["utc_dates"], "rows": reply["tables"], "silver_objects": objects}
                for kind in ("cold", "warm"):
                    seconds = Measurement(
                        f"gold lambda, {name}, {kind}", "s", tuple(r[f"{kind}_seconds"] for r in runs)
                    )
                    report(seconds, glue, **extra)
                handler_import = Measurement(
                    f"gold lambda, {name}, handler import", "s", tuple(r["import_seconds"] for r in runs)
                )
                report(handler_import)
                peak = Measurement(f"gold lambda, {name}, peak memory", "MB", tuple(r["peak_rss_mb"] for r in runs))
                # pyarrow among them: the package still loads it (see the report); the function would not have it
                report(
                    peak, memory, duckdb_memory_limit=config["duckdb_memory_limit"], loaded=runs[-1]["heavy_modules"]
                )
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
