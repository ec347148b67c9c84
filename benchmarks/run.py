"""Cold-start imports: each Lambda handler's import, in a fresh interpreter, against boto3 + Powertools' Logger.

    .venv/bin/python benchmarks/run.py
    .venv/bin/python benchmarks/run.py --only fetch_ercot --runs 15 --no-tracing --site venv
    .venv/bin/python benchmarks/run.py --no-source               # skip the imports without bytecode (quicker)

Each case runs its statement in a fresh interpreter (``python -I -S``); only the statement is timed, not the
interpreter's start-up. Every case is run once unmeasured (it writes the ``.pyc`` caches and finds the cases that
cannot import), then ``--runs`` times (default 7), round-robin, and reported in milliseconds against the reference
case ``baseline: boto3 + Logger`` measured the same way in the same run. Handlers should import in under 1.5x the
reference; the validate function's whole cold path has an absolute budget of 1.5 s.

Every function's handler is imported twice: with bytecode (what the layer ships since build_layer.py compiles it),
and without (``no bytecode: <function>``, reported against the first): every module on the case's own paths
(function, layer, the layer's dependencies) is compiled from source and nothing is written, as on a read-only /opt
without ``.pyc``, while the standard library keeps the bytecode the Lambda runtime ships with. Each line also
reports how many modules the statement loads (``modules``; ``compiled``: of them, compiled from source) and whether
botocore's SDK comes with them (``botocore``: any ``botocore.*`` module; Powertools imports the bare ``botocore``
package, its ``__init__`` alone, for its user-agent hook in every function, so ``botocore_modules`` is at least 1).

Imports are measured against the layer's own dependencies plus boto3 (``--site layer``, built once into
~/.cache/energylake with uv), i.e. what a Lambda cold start imports; a case that names extra layers
(``layers=("data",)``) also gets that layer's requirements, built into a site of its own, as Lambda extracts every
layer of a function into /opt/python; a function with a requirements.txt of its own (load_redshift) gets that too,
ahead of the layers, as sam build installs it beside app.py in the task root. The data layer's site is then pruned
and stripped as its build does (layers/common/build_layer.py with layers/data/prune.txt), so the validate cases
import pyarrow as it ships. Add a case by appending an :class:`ImportCase` to :func:`build_cases`.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Literal

from harness import Probe, measure, report

REPO_ROOT = Path(__file__).resolve().parents[1]
LAYER = REPO_ROOT / "layers" / "common"
FUNCTIONS = REPO_ROOT / "functions"


def _function_site(function: str) -> str:
    return f"{function} function"


# Folders whose requirements.txt is installed into a site of its own, by the name a case lists in ``layers``: the
# requirement-only layers, and each function that has requirements of its own (sam build installs them beside app.py).
REQUIREMENT_LAYERS = {"data": REPO_ROOT / "layers" / "data"} | {
    _function_site(path.parent.name): path.parent for path in sorted(FUNCTIONS.glob("*/requirements.txt"))
}
# template.yaml: the functions that also have the data layer (``Layers: [!Ref DataLayer]``).
DATA_LAYER_FUNCTIONS = frozenset({"validate"})
BUILD_LAYER = LAYER / "build_layer.py"
DATA_PRUNE_LIST = REQUIREMENT_LAYERS["data"] / "prune.txt"

DEFAULT_RUNS = 7
BASELINE = "baseline: boto3 + Logger"
HANDLER = "handler import: "
NO_BYTECODE = "no bytecode: "
# cached: .pyc beside the sources (written by the unmeasured run), as the layer ships them. source: nothing cached is
# read or written on the case's own paths, as a layer without bytecode on read-only /opt.
Bytecode = Literal["cached", "source"]


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
# With bytecode "source", the case's own paths get a finder whose loader never reads a .pyc (and -B semantics: none
# is written), so each of their modules compiles from source; other paths (the standard library, or the venv with
# --site venv) keep theirs. A fresh PYTHONPYCACHEPREFIX would also recompile the standard library, which Lambda's
# runtime ships compiled.
_PROBE = """
import json, sys, time
repo, bytecode, statement, *paths = sys.argv[1:]
inside_repo = lambda p: p == repo or (p.startswith(repo + "/") and "site-packages" not in p)
sys.path[:] = paths + [p for p in sys.path if p and not inside_repo(p) and "__editable__" not in p]
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in type(f).__module__.lower()]
if bytecode == "source":
    from importlib import machinery

    class SourceOnly(machinery.SourceFileLoader):
        def get_data(self, path):
            if path.endswith(".pyc"):
                raise OSError(path)  # SourceLoader.get_code then compiles the source
            return super().get_data(path)

    source_finder = machinery.FileFinder.path_hook(
        (machinery.ExtensionFileLoader, machinery.EXTENSION_SUFFIXES), (SourceOnly, machinery.SOURCE_SUFFIXES)
    )
    default_finder = sys.path_hooks[-1]
    ours = lambda p: any(p == root or p.startswith(root + "/") for root in paths)
    sys.path_hooks[-1] = lambda p: source_finder(p) if ours(p) else default_finder(p)
    sys.path_importer_cache.clear()
    sys.dont_write_bytecode = True
before = set(sys.modules)
start, start_cpu = time.perf_counter(), time.process_time()
exec(compile(statement, "<benchmark>", "exec"), {})
elapsed, cpu = time.perf_counter() - start, time.process_time() - start_cpu
loaded = [name for name in list(sys.modules) if name not in before]
print(json.dumps({
    "seconds": elapsed,
    "cpu_seconds": cpu,
    "modules": len(loaded),
    "compiled": sum(type(getattr(sys.modules[name], "__loader__", None)).__name__ == "SourceOnly" for name in loaded),
    "botocore_modules": sum(name == "botocore" or name.startswith("botocore.") for name in loaded),
    "botocore": any(name.startswith("botocore.") for name in loaded),
}))
"""


@dataclass(frozen=True)
class ImportSample:
    """One run of a case: its wall time and what the statement loaded (the same in every run of a case)."""

    milliseconds: float
    cpu_milliseconds: float  # the child's CPU time: steadier than wall time on a busy machine
    modules: int  # modules the statement added to sys.modules
    compiled: int  # of them, compiled from source (bytecode "source" only; 0 otherwise)
    botocore_modules: int
    botocore: bool  # botocore's SDK (a botocore.* module), not only the bare package Powertools imports

    def fields(self, bytecode: Bytecode) -> dict[str, object]:
        """The extra fields of the case's report line."""
        counts: dict[str, object] = {"modules": self.modules}
        if bytecode == "source":
            counts["compiled"] = self.compiled
        return counts | {"botocore": self.botocore, "botocore_modules": self.botocore_modules}


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
    # Requirement sites the function also has (keys of REQUIREMENT_LAYERS), in Lambda's path order: the function's own
    # requirements (task root) before the requirement-only layers (/opt/python).
    layers: tuple[str, ...] = ()
    bytecode: Bytecode = "cached"

    def missing(self) -> str | None:
        if self.requires is not None and not self.requires.is_file():
            return f"{self.requires.relative_to(REPO_ROOT)} does not exist"
        return None

    def sample(self, runtime: Runtime) -> ImportSample:
        """One run: the statement's wall time in ms and what it loaded; raises :class:`CaseError`."""
        layer_sites = []
        for layer in self.layers:
            site = runtime.layer_sites.get(layer)
            if isinstance(site, str):
                raise CaseError(site)
            if site is not None:
                layer_sites.append(str(site))
        paths = [*map(str, self.paths), *layer_sites, *map(str, runtime.site)]
        command = [runtime.python, *runtime.flags, "-c", _PROBE, str(REPO_ROOT), self.bytecode, self.statement, *paths]
        completed = subprocess.run(
            command, capture_output=True, text=True, check=False, env={**_base_env(), **self.env}
        )
        if completed.returncode != 0:
            lines = completed.stderr.strip().splitlines() or [f"exit code {completed.returncode}"]
            raise CaseError(lines[-1])
        reply = json.loads(completed.stdout.strip().splitlines()[-1])
        return ImportSample(
            milliseconds=reply["seconds"] * 1000,
            cpu_milliseconds=reply["cpu_seconds"] * 1000,
            modules=reply["modules"],
            compiled=reply["compiled"],
            botocore_modules=reply["botocore_modules"],
            botocore=reply["botocore"],
        )


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


def function_layers(function: str) -> tuple[str, ...]:
    """The requirement sites ``function`` has on Lambda besides the common layer (keys of REQUIREMENT_LAYERS)."""
    own = (_function_site(function),) if _function_site(function) in REQUIREMENT_LAYERS else ()
    return own + (("data",) if function in DATA_LAYER_FUNCTIONS else ())


def handler_import_case(
    function: str, *, tracing: bool, max_ratio: float = 1.5, bytecode: Bytecode = "cached"
) -> ImportCase:
    """Import of ``functions/<function>/app.py`` with only the function folder, the layer folder and the function's
    requirement sites added; without bytecode it is reported against the same import with bytecode."""
    with_bytecode = f"{HANDLER}{function}"
    return ImportCase(
        name=with_bytecode if bytecode == "cached" else f"{NO_BYTECODE}{function}",
        statement="import app",
        paths=(FUNCTIONS / function, LAYER),
        requires=FUNCTIONS / function / "app.py",
        reference=BASELINE if bytecode == "cached" else with_bytecode,
        max_ratio=max_ratio if bytecode == "cached" else None,
        env=_lambda_env(function, tracing),
        layers=function_layers(function),
        bytecode=bytecode,
    )


def build_cases(*, tracing: bool, source: bool = True) -> list[ImportCase]:
    """Every case, references first: for each function its import with bytecode, then (``source``) without."""
    functions = sorted(path.parent.name for path in FUNCTIONS.glob("*/app.py"))
    handlers = [
        case
        for function in functions
        for case in (
            handler_import_case(function, tracing=tracing),
            *([handler_import_case(function, tracing=tracing, bytecode="source")] if source else []),
        )
    ]
    return [
        ImportCase(name="baseline: boto3", statement="import boto3"),
        ImportCase(name=BASELINE, statement="import boto3\nfrom aws_lambda_powertools import Logger"),
        # What an AWS-calling handler's Powertools trio costs before any energylake code: Tracer builds the X-Ray
        # recorder and patches botocore, which imports botocore's client. Shown so the handler ratio can be read
        # against the part of it that no code of ours can remove.
        ImportCase(
            name="floor: boto3 + Logger, Metrics, Tracer(botocore)",
            statement=(
                "import boto3\nfrom aws_lambda_powertools import Logger, Metrics, Tracer\n"
                "Tracer(auto_patch=True, patch_modules=['botocore'])"
            ),
            reference=BASELINE,
            env=_lambda_env("fetch_ercot", tracing),
        ),
        *handlers,
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
            layers=function_layers("validate"),
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
        name: _build_site(
            python,
            version,
            f"bench-site-{name.replace(' ', '-')}",
            folder / "requirements.txt",
            finish=_as_the_data_layer_ships if name == "data" else None,
        )
        for name, folder in REQUIREMENT_LAYERS.items()
    }
    failed = {
        name: f"{name} requirements site could not be built ({site})"
        for name, site in layer_sites.items()
        if isinstance(site, str)
    }
    return Runtime(
        "layer",
        python,
        ("-I", "-S"),
        (site,),
        note=f"layer site {site}"
        + "".join(f" + {name} requirements {path}" for name, path in layer_sites.items() if name not in failed),
        layer_sites={**layer_sites, **failed},
    )


def _load_build_layer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_layer", BUILD_LAYER)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def _as_the_data_layer_ships(site: Path) -> str | None:
    """Prune and strip an installed data-layer site as the layer's build does; why it could not, or None."""
    build_layer = _load_build_layer()
    try:
        build_layer.build_requirements_layer(
            REQUIREMENT_LAYERS["data"] / "requirements.txt", site, prune_list=DATA_PRUNE_LIST, strip=True, install=False
        )
    except build_layer.BuildError as exc:
        return str(exc)
    return None


def _build_site(
    python: str,
    version: str,
    prefix: str,
    requirements: Path,
    *,
    extra: Sequence[str] = (),
    finish: Callable[[Path], str | None] | None = None,
) -> Path | str:
    """A folder holding exactly ``requirements`` (+ ``extra``), installed once for this interpreter and machine into
    the cache (rebuilt when the requirements change), then ``finish``ed (the data layer's prune); the installer's last
    error line, or why ``finish`` failed, when it cannot be built."""
    # ``prefix`` names the site (and so its ``extra``); the digest tracks what changes its content.
    text = requirements.read_text()
    if finish is not None:  # the prune list and the build script shape a finished site too
        text += DATA_PRUNE_LIST.read_text() + BUILD_LAYER.read_text()
    digest = hashlib.sha256(f"{text}\n{version}\n{platform.machine()}".encode()).hexdigest()[:12]
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "energylake" / f"{prefix}-{digest}"
    if not (cache / ".complete").exists():
        shutil.rmtree(cache, ignore_errors=True)  # a half-built (or half-pruned) site is never reused
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
        problem = finish(cache) if finish is not None else None
        if problem is not None:
            return problem
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
    parser.add_argument(
        "--no-source", action="store_true", help="skip the handler imports without bytecode (the slowest cases)"
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    cases = build_cases(tracing=not args.no_tracing, source=not args.no_source)
    if args.only:
        # Keep the references of the selected cases (and theirs: no bytecode -> handler import -> baseline), or their
        # ratios could not be computed.
        by_name = {c.name: c for c in cases}
        kept = {c.name for c in cases if any(word in c.name for word in args.only)}
        pending = list(kept)
        while pending:
            reference = by_name[pending.pop()].reference
            if reference is not None and reference not in kept:
                kept.add(reference)
                pending.append(reference)
        cases = [c for c in cases if c.name in kept]

    runtime = layer_runtime(args.python) if args.site == "layer" else venv_runtime(args.python)
    tracing = "off" if args.no_tracing else "on"
    print(
        f"Python {_interpreter_version(args.python)} on {platform.machine()}, fresh interpreters, handler tracing "
        f"{tracing}, site: {runtime.name} ({runtime.note})"
    )
    probes: dict[str, Probe] = {}
    loaded: dict[str, ImportSample] = {}  # what each case's statement loads (from its unmeasured run)
    cpu: dict[str, list[float]] = {}  # each measured run's CPU milliseconds, beside the wall time measure() keeps
    for case in cases:
        reason = case.missing()
        try:
            if reason is None:
                # The unmeasured run: writes the .pyc caches, finds the cases that cannot import.
                loaded[case.name] = case.sample(runtime)
        except CaseError as exc:
            reason = f"error: {exc}"
        if reason is not None:
            print(f"{case.name}: not measured ({reason})")
            continue
        cpu[case.name] = []
        probes[case.name] = functools.partial(_milliseconds, case, runtime, cpu[case.name])
    timings = measure(probes, runs=args.runs, warmup=0, unit="ms")
    cpu_medians = {name: statistics.median(samples) for name, samples in cpu.items() if samples}
    for case in cases:
        if case.name in timings:
            cpu_median = cpu_medians[case.name]
            reference_cpu = cpu_medians.get(case.reference or "")
            cpu_ratio = {"cpu_ratio": round(cpu_median / reference_cpu, 2)} if reference_cpu else {}
            report(
                timings[case.name],
                timings.get(case.reference or ""),
                max_ratio=case.max_ratio,
                max_median=case.max_ms,
                cpu_median=round(cpu_median, 1),
                **cpu_ratio,
                **loaded[case.name].fields(case.bytecode),
            )
    return 0


def _milliseconds(case: ImportCase, runtime: Runtime, cpu: list[float]) -> float:
    """One run's wall time (the figure); its CPU time goes to ``cpu``."""
    sample = case.sample(runtime)
    cpu.append(sample.cpu_milliseconds)
    return sample.milliseconds


if __name__ == "__main__":
    sys.exit(main())
