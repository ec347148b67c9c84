"""Cold-start imports: each Lambda handler's import, in a fresh interpreter, against boto3 + Powertools' Logger.

    .venv/bin/python benchmarks/run.py
    .venv/bin/python benchmarks/run.py --only fetch_ercot --runs 15 --no-tracing --site venv

Each case runs its statement in a fresh interpreter (``python -I -S``); only the statement is timed, not the
interpreter's start-up. Every case is run once unmeasured (it writes the ``.pyc`` caches and finds the cases that
cannot import), then ``--runs`` times (default 7), round-robin, and reported in milliseconds against the reference
case ``baseline: boto3 + Logger`` measured the same way in the same run. Handlers should import in under 1.5x the
reference; the validate function's whole cold path has an absolute budget of 1.5 s.

Imports are measured against the layer's own dependencies plus boto3 (``--site layer``, built once into
~/.cache/energylake with uv), i.e. what a Lambda cold start imports; a case that names extra layers
(``layers=("data",)``) also gets that layer's requirements, built into a site of its own, as Lambda extracts every
layer of a function into /opt/python. Add a case by appending an :class:`ImportCase` to :func:`build_cases`.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from harness import Probe, measure, report

REPO_ROOT = Path(__file__).resolve().parents[1]
LAYER = REPO_ROOT / "layers" / "common"
# Layers that hold only requirements.txt (no code), by the name a case lists in ``layers``.
REQUIREMENT_LAYERS = {"data": REPO_ROOT / "layers" / "data"}
FUNCTIONS = REPO_ROOT / "functions"

DEFAULT_RUNS = 7
BASELINE = "baseline: boto3 + Logger"


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
    """A case could not produce a sample; the message is printed instead of its figure."""


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
    requires: Path | None = None  # not measured when this file does not exist
    reference: str | None = None  # the case measured in the same run that this one is reported against
    max_ratio: float | None = None  # PASS when median / the reference's median is at most this
    max_ms: float | None = None  # PASS when the median is at most this many milliseconds
    env: dict[str, str] = field(default_factory=dict)
    layers: tuple[str, ...] = ()  # requirement-only layers the function also has (keys of REQUIREMENT_LAYERS)

    def missing(self) -> str | None:
        if self.requires is not None and not self.requires.is_file():
            return f"{self.requires.relative_to(REPO_ROOT)} does not exist"
        return None

    def sample(self, runtime: Runtime) -> float:
        """One run: the statement's wall time in ms; raises :class:`CaseError`."""
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
    function: str, *, tracing: bool, max_ratio: float = 1.5, layers: tuple[str, ...] = ()
) -> ImportCase:
    """Import of ``functions/<function>/app.py`` with only the layer folder(s) and the function folder added."""
    return ImportCase(
        name=f"handler import: {function}",
        statement="import app",
        paths=(FUNCTIONS / function, LAYER),
        requires=FUNCTIONS / function / "app.py",
        reference=BASELINE,
        max_ratio=max_ratio,
        env=_lambda_env(function, tracing),
        layers=layers,
    )


def build_cases(*, tracing: bool) -> list[ImportCase]:
    """Every case, references first."""
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
                "import app\nimport boto3\nimport energylake.fetch, energylake.sources.ercot, energylake.lake.landing\n"
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
            max_ms=1500.0,
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS, help="measured runs per case (median; default 7)")
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
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    cases = build_cases(tracing=not args.no_tracing)
    if args.only:
        wanted = [c for c in cases if any(word in c.name for word in args.only)]
        # Keep the references of the selected cases, or their ratios could not be computed.
        references = {c.reference for c in wanted}
        cases = [c for c in cases if c in wanted or c.name in references]

    runtime = layer_runtime(args.python) if args.site == "layer" else venv_runtime(args.python)
    tracing = "off" if args.no_tracing else "on"
    print(
        f"Python {_interpreter_version(args.python)} on {platform.machine()}, fresh interpreters, handler tracing "
        f"{tracing}, site: {runtime.name} ({runtime.note})"
    )
    probes: dict[str, Probe] = {}
    for case in cases:
        reason = case.missing()
        probe = functools.partial(case.sample, runtime)
        try:
            if reason is None:
                probe()  # the unmeasured run: writes the .pyc caches, finds the cases that cannot import
        except CaseError as exc:
            reason = f"error: {exc}"
        if reason is not None:
            print(f"{case.name}: not measured ({reason})")
            continue
        probes[case.name] = probe
    timings = measure(probes, runs=args.runs, warmup=0, unit="ms")
    for case in cases:
        if case.name in timings:
            report(
                timings[case.name],
                timings.get(case.reference or ""),
                max_ratio=case.max_ratio,
                max_median=case.max_ms,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
