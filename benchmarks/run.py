"""energylake benchmarks: one command, a table of figures, never a failing exit code.

    .venv/bin/python benchmarks/run.py            # table
    .venv/bin/python benchmarks/run.py --json     # machine-readable
    .venv/bin/python benchmarks/run.py --only fetch_ercot --repeats 15

Each case is measured ``--repeats`` times (default 7) and reported as the median; a case may name a reference case
measured in the same run and a target ratio to it, and/or an absolute target (in its unit), which give PASS/FAIL.
Benchmarks report, they do not gate: the exit code is 0 whatever the verdicts (2 only for bad arguments).

Add a case by appending to :func:`build_cases` (an :class:`ImportCase`, or any object with the :class:`Case` shape,
e.g. a parser throughput case reporting MB/s). Imports are measured against the layer's own dependencies plus boto3
(``--site layer``, built once into ~/.cache/energylake with uv), i.e. what a Lambda cold start imports; a case that
names extra layers (``layers=("data",)``) also gets that layer's requirements, built into a site of its own, as
Lambda extracts every layer of a function into /opt/python.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal, Protocol

REPO_ROOT = Path(__file__).resolve().parents[1]
LAYER = REPO_ROOT / "layers" / "common"
# Layers that hold only requirements.txt (no code), by the name a case lists in ``layers``.
REQUIREMENT_LAYERS = {"data": REPO_ROOT / "layers" / "data"}
FUNCTIONS = REPO_ROOT / "functions"

DEFAULT_REPEATS = 7
BASELINE = "baseline: boto3 + Logger"

Status = Literal["ok", "missing", "error"]
Verdict = Literal["PASS", "FAIL", "-"]


@dataclass
class Result:
    """One case's figures. ``samples`` are in ``unit``; ``ratio`` is median / the reference case's median."""

    name: str
    status: Status
    unit: str
    median: float | None = None
    samples: list[float] = field(default_factory=list)
    reference: str | None = None
    ratio: float | None = None
    target_ratio: float | None = None
    target: float | None = None  # absolute, in ``unit``
    verdict: Verdict = "-"
    detail: str = ""


@dataclass(frozen=True)
class Runtime:
    """Where the cases run: an interpreter, its flags, and the folders that stand for the Lambda runtime's packages."""

    name: Literal["layer", "venv"]
    python: str
    flags: tuple[str, ...]
    site: tuple[Path, ...] = ()  # appended after a case's own paths (the layer's dependencies + boto3)
    note: str = ""
    # Sites of the requirement-only layers (REQUIREMENT_LAYERS), or why one could not be built. Empty for the venv,
    # which already holds every layer's requirements.
    layer_sites: dict[str, Path | str] = field(default_factory=dict)


class CaseError(Exception):
    """A case could not produce a sample; the message is shown in the table."""


class Case(Protocol):
    name: str
    unit: str
    reference: str | None  # name of another case in the same run to compare with
    target_ratio: float | None  # PASS when median / reference median < target_ratio
    target: float | None  # PASS when median < target (in ``unit``); with target_ratio too, both must hold

    def missing(self) -> str | None:
        """Why the case cannot run at all (e.g. the handler file does not exist yet), or None."""
        ...

    def sample(self, runtime: Runtime) -> float:
        """One measurement in ``unit``; raises :class:`CaseError`."""
        ...


# Runs in a fresh, isolated interpreter (-I: no PYTHONPATH, no user site, no cwd on sys.path). The repository and its
# editable install are removed from sys.path (site-packages stays: it stands for the Lambda runtime's boto3 and the
# layer's dependencies) so energylake comes from the layer folder, as on Lambda, where the task
# root (the function folder) comes first and the layer (/opt/python) second. Only the statement is timed: interpreter
# start-up is the same for every case and is not the code's doing.
_PROBE = """
import json, sys, time
repo, statement, *paths = sys.argv[1:]
inside_repo = lambda p: p == repo or (p.startswith(repo + "/") and "site-packages" not in p)
sys.path[:] = paths + [p for p in sys.path if p and not inside_repo(p) and "__editable__" not in p]
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in type(f).__module__.lower()]
start = time.perf_counter()
exec(compile(statement, "<benchmark>", "exec"), {})
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed}))
"""


@dataclass
class ImportCase:
    """Wall time of running ``statement`` (imports, usually) in a fresh interpreter with ``paths`` in front."""

    name: str
    statement: str
    paths: Sequence[Path] = ()
    requires: Path | None = None  # reported as "missing" when this file does not exist
    reference: str | None = None
    target_ratio: float | None = None
    target: float | None = None
    env: dict[str, str] = field(default_factory=dict)
    unit: str = "ms"
    layers: tuple[str, ...] = ()  # requirement-only layers the function also has (keys of REQUIREMENT_LAYERS)

    def missing(self) -> str | None:
        if self.requires is not None and not self.requires.is_file():
            return f"{self.requires.relative_to(REPO_ROOT)} does not exist"
        return None

    def sample(self, runtime: Runtime) -> float:
        layer_sites = []
        for layer in self.layers:
            site = runtime.layer_sites.get(layer)
            if isinstance(site, str):
                raise CaseError(site)
            if site is not None:
                layer_sites.append(str(site))
        paths = [*map(str, self.paths), *layer_sites, *map(str, runtime.site)]
        command = [runtime.python, *runtime.flags, "-c", _PROBE, str(REPO_ROOT), self.statement, *paths]
        completed = subprocess.run(
            command, capture_output=True, text=True, check=False, env={**_base_env(), **self.env}
        )
        if completed.returncode != 0:
            lines = completed.stderr.strip().splitlines() or [f"exit code {completed.returncode}"]
            raise CaseError(lines[-1])
        seconds: float = json.loads(completed.stdout.strip().splitlines()[-1])["seconds"]
        return seconds * 1000


def _base_env() -> dict[str, str]:
    # A controlled environment: nothing from the caller's shell (ENERGYLAKE_*, AWS profiles) changes the figures.
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "benchmark",
        "POWERTOOLS_METRICS_NAMESPACE": "energylake",
        "ENERGYLAKE_LAKE_URI": "s3://energylake-benchmark/",
    }


def _lambda_env(function: str, tracing: bool) -> dict[str, str]:
    """What Lambda sets that changes import-time behaviour: with a task root and tracing on (Tracing: Active in
    template.yaml), Powertools' Tracer patches boto3/botocore/httpx at import, as it does on a cold start."""
    if not tracing:
        return {"POWERTOOLS_TRACE_DISABLED": "1"}
    return {"LAMBDA_TASK_ROOT": str(FUNCTIONS / function), "AWS_LAMBDA_FUNCTION_NAME": f"benchmark-{function}"}


def handler_import_case(
    function: str, *, tracing: bool, target_ratio: float = 1.5, layers: tuple[str, ...] = ()
) -> ImportCase:
    """Import of ``functions/<function>/app.py`` with only the layer folder(s) and the function folder added."""
    return ImportCase(
        name=f"handler import: {function}",
        statement="import app",
        paths=(FUNCTIONS / function, LAYER),
        requires=FUNCTIONS / function / "app.py",
        reference=BASELINE,
        target_ratio=target_ratio,
        env=_lambda_env(function, tracing),
        layers=layers,
    )


def build_cases(*, tracing: bool) -> list[Case]:
    """Every benchmark, references first. Later issues append (validate handler import, parser throughput...)."""
    return [
        ImportCase(name="baseline: boto3", statement="import boto3"),
        ImportCase(name=BASELINE, statement="import boto3\nfrom aws_lambda_powertools import Logger"),
        # What the handlers' mandatory Powertools trio costs before any energylake code: Tracer() builds the X-Ray
        # recorder, whose sampler creates a botocore client at import. Shown so the handler ratio can be read
        # against the part of it that no code of ours can remove.
        ImportCase(
            name="floor: boto3 + Logger, Metrics, Tracer()",
            statement="import boto3\nfrom aws_lambda_powertools import Logger, Metrics, Tracer\nTracer()",
            reference=BASELINE,
            env=_lambda_env("fetch_ercot", tracing),
        ),
        handler_import_case("fetch_ercot", tracing=tracing),
        handler_import_case("fetch_weather", tracing=tracing),
        # Lazy imports only move cost into the first invocation; this shows the whole cold path honestly.
        ImportCase(
            name="handler import + first-call modules: fetch_ercot",
            statement=(
                "import app\nimport boto3\nimport energylake.sources.ercot, energylake.lake\n"
                "from aws_lambda_powertools.utilities.parser import parse"
            ),
            paths=(FUNCTIONS / "fetch_ercot", LAYER),
            requires=FUNCTIONS / "fetch_ercot" / "app.py",
            reference=BASELINE,
            env=_lambda_env("fetch_ercot", tracing),
        ),
        # ValidateFunction has the data layer too (pyarrow, orjson). Its handler import stays light (pyarrow loads on
        # the first record); the whole cold path, parsers and Parquet writer included, has an absolute budget: a
        # validate cold start must stay well inside the queue's batching rhythm.
        handler_import_case("validate", tracing=tracing, layers=("data",)),
        ImportCase(
            name="handler import + first-call modules: validate",
            statement=(
                "import app\nimport boto3\nimport energylake.curate, energylake.parse.ercot\nimport pyarrow.parquet"
            ),
            paths=(FUNCTIONS / "validate", LAYER),
            requires=FUNCTIONS / "validate" / "app.py",
            reference=BASELINE,
            target=1500.0,
            env=_lambda_env("validate", tracing),
            layers=("data",),
        ),
    ]


def _interpreter_version(python: str) -> str:
    completed = subprocess.run(
        [python, "-c", "import platform; print(platform.python_version())"], capture_output=True, text=True, check=False
    )
    return completed.stdout.strip() or "unknown"


def layer_runtime(python: str) -> Runtime:
    """Lambda's view of Python: stdlib + task root + /opt/python (the layer: requirements.txt) + the runtime's boto3.

    The layer's dependencies and boto3 are installed once into a cache folder (``uv pip install --target``, needs
    the package registry) and the interpreter runs with -S, so nothing from the development venv (rich, awscrt,
    click...) can make an import look slower, or faster, than on Lambda.
    """
    version = _interpreter_version(python)
    site = _build_site(python, version, "bench-site", LAYER / "requirements.txt", extra=("boto3",))
    if isinstance(site, str):
        return Runtime("venv", python, ("-I",), note=f"layer site could not be built ({site}); using the venv")
    # Requirement-only layers are built here too (no sample may include an install); one that cannot be built only
    # turns the cases that need it into errors.
    layer_sites = {
        name: _build_site(python, version, f"bench-site-{name}", folder / "requirements.txt")
        for name, folder in REQUIREMENT_LAYERS.items()
    }
    failed = {
        name: f"{name} layer site could not be built ({site})"
        for name, site in layer_sites.items()
        if isinstance(site, str)
    }
    return Runtime(
        "layer",
        python,
        ("-I", "-S"),
        (site,),
        note=f"layer site {site}"
        + "".join(f" + {name} layer {path}" for name, path in layer_sites.items() if name not in failed),
        layer_sites={**layer_sites, **failed},
    )


def _build_site(python: str, version: str, prefix: str, requirements: Path, extra: Sequence[str] = ()) -> Path | str:
    """A folder holding exactly ``requirements`` (+ ``extra``), installed once for this interpreter and machine into
    the cache (rebuilt when the requirements change); the installer's last error line when it cannot be built."""
    # ``prefix`` names the site (and so its ``extra``); the digest tracks what changes its content.
    text = requirements.read_text()
    digest = hashlib.sha256(f"{text}\n{version}\n{platform.machine()}".encode()).hexdigest()[:12]
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "energylake" / f"{prefix}-{digest}"
    if not (cache / ".complete").exists():
        uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
        installer = [uv, "pip", "install", "--python", python] if uv else [python, "-m", "pip", "install", "-q"]
        completed = subprocess.run(
            [*installer, "--target", str(cache), "-r", str(requirements), *extra],
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            return (completed.stderr.strip().splitlines() or ["installer failed"])[-1]
        (cache / ".complete").touch()
    return cache


def venv_runtime(python: str) -> Runtime:
    return Runtime("venv", python, ("-I",), note="the development venv's site-packages (includes dev-only packages)")


def run_cases(cases: Sequence[Case], repeats: int, runtime: Runtime) -> list[Result]:
    """Round-robin: round r samples every case once, so a burst of load elsewhere on the machine hits all cases alike
    and the ratios stay meaningful. Round 0 is a warm-up (it writes the .pyc caches) and is not recorded."""
    results = {
        case.name: Result(
            case.name, "ok", case.unit, reference=case.reference, target_ratio=case.target_ratio, target=case.target
        )
        for case in cases
    }
    for case in cases:
        reason = case.missing()
        if reason is not None:
            results[case.name].status, results[case.name].detail = "missing", reason
    for round_index in range(repeats + 1):
        for case in cases:
            result = results[case.name]
            if result.status != "ok":
                continue
            try:
                value = case.sample(runtime)
            except CaseError as exc:
                result.status, result.detail, result.samples = "error", str(exc), []
                continue
            if round_index:
                result.samples.append(value)
    for result in results.values():
        if result.status == "ok" and result.samples:
            result.median = statistics.median(result.samples)
    return _compare(list(results.values()))


def _compare(results: list[Result]) -> list[Result]:
    by_name = {result.name: result for result in results}
    for result in results:
        if result.median is None:
            continue
        reference = by_name.get(result.reference or "")
        if reference is not None and reference.median:
            result.ratio = result.median / reference.median
        checks = []
        if result.target_ratio is not None and result.ratio is not None:
            checks.append(result.ratio < result.target_ratio)
        if result.target is not None:
            checks.append(result.median < result.target)
        if checks:
            result.verdict = "PASS" if all(checks) else "FAIL"
    return results


def format_table(results: Sequence[Result]) -> str:
    width = max([34, *(len(r.name) for r in results)])
    header = f"{'case':<{width}} {'median':>10} {'min':>9} {'max':>9} {'ratio':>7} {'target':>7}  verdict"
    lines = [header, "-" * len(header)]
    for r in results:
        if r.status != "ok" or r.median is None:
            lines.append(f"{r.name:<{width}} {r.status:>10}  {r.detail}")
            continue
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None else "-"
        targets = [f"<{r.target_ratio:g}x"] if r.target_ratio is not None else []
        targets += [f"<{r.target:g}{r.unit}"] if r.target is not None else []
        target = ",".join(targets) or "-"
        lines.append(
            f"{r.name:<{width}} {r.median:>7.1f} {r.unit:<2} {min(r.samples):>6.1f} {r.unit:<2}"
            f" {max(r.samples):>6.1f} {r.unit:<2} {ratio:>7} {target:>7}  {r.verdict}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS, help="measured runs per case (median)")
    parser.add_argument("--only", action="append", default=[], help="run cases whose name contains this (repeatable)")
    parser.add_argument(
        "--python", default=sys.executable, help="interpreter to measure with (needs the layer's dependencies)"
    )
    parser.add_argument(
        "--site",
        choices=["layer", "venv"],
        default="layer",
        help="packages to import from: the layer's requirements + boto3 only, as on Lambda (default), or the venv",
    )
    parser.add_argument(
        "--no-tracing", action="store_true", help="import handlers with POWERTOOLS_TRACE_DISABLED (no X-Ray patching)"
    )
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")

    cases = build_cases(tracing=not args.no_tracing)
    if args.only:
        wanted = [c for c in cases if any(word in c.name for word in args.only)]
        # Keep the references of the selected cases, or their ratios could not be computed.
        references = {c.reference for c in wanted}
        cases = [c for c in cases if c in wanted or c.name in references]

    runtime = layer_runtime(args.python) if args.site == "layer" else venv_runtime(args.python)
    results = run_cases(cases, args.repeats, runtime)
    python_version = _interpreter_version(args.python)
    if args.json:
        document = {
            "python": python_version,
            "machine": platform.machine(),
            "repeats": args.repeats,
            "site": runtime.name,
            "site_note": runtime.note,
            "tracing": not args.no_tracing,
            "results": [asdict(result) for result in results],
        }
        print(json.dumps(document, indent=2, default=str))
    else:
        tracing = "off" if args.no_tracing else "on"
        print(
            f"Python {python_version} on {platform.machine()}, median of {args.repeats} fresh interpreters, "
            f"handler tracing {tracing}, site: {runtime.name} ({runtime.note})"
        )
        print(format_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
