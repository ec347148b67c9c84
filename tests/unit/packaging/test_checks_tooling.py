"""The template checks are wired into `make test`, and their helper scripts behave (python3.12 lookup, size check)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.support.paths import REPO_ROOT
from tests.support.scripts import load_script

MAKEFILE = (REPO_ROOT / "Makefile").read_text()
WITH_PYTHON312 = REPO_ROOT / "scripts" / "with-python312.sh"
CHECK_BUILD = REPO_ROOT / "scripts" / "check_build.py"


def _prerequisites(target: str) -> list[str]:
    match = re.search(rf"^{re.escape(target)}:([^\n=]*)$", MAKEFILE, flags=re.MULTILINE)
    assert match, f"the Makefile has no {target} target"
    return match.group(1).split()


def _recipe(target: str) -> str:
    match = re.search(rf"^{re.escape(target)}:[^\n]*\n((?:\t[^\n]*\n|[^\n\S]*\n)*)", MAKEFILE, flags=re.MULTILINE)
    assert match, f"the Makefile has no {target} target"
    return match.group(1)


# --------------------------------------------------------------------------------------------------------------------
# Makefile wiring
# --------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stamp", ["$(LOCAL_STAMP)", "$(STAMP)"])
def test_both_environments_are_installed_with_bytecode(stamp: str) -> None:
    # GIVEN the recipe that builds `make demo`'s and `make test`'s environment
    recipe = _recipe(stamp)
    # THEN the dependencies are compiled at install and the editable package right after (PYTHONDONTWRITEBYTECODE
    # environments never keep what an import compiles)
    assert "uv pip install" in recipe and "--compile-bytecode" in recipe
    assert "-m compileall" in recipe and "layers/common/energylake" in recipe


def test_make_test_runs_the_template_checks() -> None:
    assert _prerequisites("test") == ["lint", "typecheck", "checks", "unit"]
    assert _prerequisites("checks") == ["validate", "cfn-lint", "checkov", "asl-validate", "build"]


def test_lint_runs_the_import_rules() -> None:
    assert "lint-imports" in _prerequisites("lint")
    assert "$(BIN)/lint-imports --no-cache" in _recipe("lint-imports")


def test_validate_runs_sam_validate_lint() -> None:
    assert "sam validate --lint --template template.yaml" in _recipe("validate")


def test_cfn_lint_runs_the_serverless_rules() -> None:
    assert "cfn-lint template.yaml --append-rules cfn_lint_serverless.rules" in _recipe("cfn-lint")


def test_checkov_is_pinned_in_its_own_venv_and_runs_offline() -> None:
    version = re.search(r"^CHECKOV_VERSION := (\S+)$", MAKEFILE, flags=re.MULTILINE)
    assert version and re.fullmatch(r"\d+\.\d+\.\d+", version.group(1)), "pin an exact checkov version"
    assert "CHECKOV_VENV := .tools/checkov" in MAKEFILE
    # The stamp names the version: changing the pin rebuilds the venv.
    assert "CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION)" in MAKEFILE
    install = _recipe("$(CHECKOV_STAMP)")
    assert "uv venv" in install and "'checkov==$(CHECKOV_VERSION)'" in install
    run = _recipe("checkov")
    assert "BC_SKIP_MAPPING=TRUE" in run
    assert "checkov -f template.yaml --framework cloudformation --compact --quiet" in run
    assert "--soft-fail" not in run and "--skip-check" not in run, "skips belong in the template, with reasons"


def test_build_uses_python312_and_checks_the_build() -> None:
    recipe = _recipe("build")
    assert "scripts/with-python312.sh $(BIN)/sam build --template template.yaml" in recipe
    assert "scripts/check_build.py .aws-sam/build" in recipe


def test_build_output_is_not_committed() -> None:
    ignored = (REPO_ROOT / ".gitignore").read_text().split()
    assert {".aws-sam/", ".tools/", ".venv/"} <= set(ignored)


# --------------------------------------------------------------------------------------------------------------------
# scripts/with-python312.sh
# --------------------------------------------------------------------------------------------------------------------


def _run_with_python312(tmp_path: Path, path: str, *command: str) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": path,
        "HOME": str(tmp_path / "home"),
        "PYTHON312_PYENV_ROOTS": str(tmp_path / "no-pyenv"),
    }
    return subprocess.run(
        ["/bin/bash", str(WITH_PYTHON312), *command],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
        timeout=60,
    )


def _fake_python(folder: Path, name: str = "python3.12", *, answers_312: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    fake = folder / name
    fake.write_text(f"#!/bin/sh\nexit {0 if answers_312 else 1}\n")
    fake.chmod(0o755)
    return fake


def test_with_python312_puts_the_interpreter_found_on_path_first(tmp_path: Path) -> None:
    fake = _fake_python(tmp_path / "bin")
    # What the command sees (the script removes its private folder when the command ends).
    probe = 'p="$(command -v python3.12)"; readlink "$p"; ls "$(dirname "$p")"'
    result = _run_with_python312(tmp_path, f"{tmp_path / 'bin'}:/usr/bin:/bin", "sh", "-c", probe)
    assert result.returncode == 0, result.stderr
    target, *neighbours = result.stdout.split()
    assert Path(target) == fake
    # Only python3.12 is added: the interpreter's neighbours never shadow the caller's tools.
    assert neighbours == ["python3.12"]


def test_with_python312_finds_a_pyenv_version(tmp_path: Path) -> None:
    _fake_python(tmp_path / "pyenv" / "versions" / "3.12.4" / "bin")
    result = subprocess.run(
        ["/bin/bash", str(WITH_PYTHON312), "sh", "-c", "command -v python3.12"],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHON312_PYENV_ROOTS": str(tmp_path / "pyenv")},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "pyenv/versions/3.12.4/bin/python3.12" in result.stderr


def test_with_python312_refuses_an_interpreter_of_another_version(tmp_path: Path) -> None:
    _fake_python(tmp_path / "bin", answers_312=False)
    result = _run_with_python312(tmp_path, f"{tmp_path / 'bin'}:/usr/bin:/bin", "true")
    if "using" in result.stderr:  # a real python3.12 elsewhere on this machine's /usr/bin
        pytest.skip("this machine has a python3.12 in /usr/bin")
    assert result.returncode == 1


def test_with_python312_says_what_to_do_when_there_is_none(tmp_path: Path) -> None:
    if any(Path(folder, "python3.12").exists() for folder in ("/usr/bin", "/bin")):
        pytest.skip("this machine has a python3.12 in /usr/bin")
    result = _run_with_python312(tmp_path, "/usr/bin:/bin", "true")
    assert result.returncode == 1
    assert "no python3.12 interpreter found" in result.stderr
    assert "uv python install 3.12" in result.stderr


def test_with_python312_passes_the_command_exit_status(tmp_path: Path) -> None:
    _fake_python(tmp_path / "bin")
    result = _run_with_python312(tmp_path, f"{tmp_path / 'bin'}:/usr/bin:/bin", "sh", "-c", "exit 7")
    assert result.returncode == 7


# --------------------------------------------------------------------------------------------------------------------
# scripts/check_build.py
# --------------------------------------------------------------------------------------------------------------------


def _build_dir(tmp_path: Path, sizes: dict[str, int]) -> Path:
    build = tmp_path / "build"
    for name, size in sizes.items():
        (build / name).mkdir(parents=True)
        with (build / name / "blob").open("wb") as blob:
            blob.truncate(size)  # sparse: no disk used
    template = {
        "Globals": {"Function": {"Layers": [{"Ref": "CommonLayer"}]}},
        "Resources": {
            "SmallFunction": {"Type": "AWS::Serverless::Function", "Properties": {}},
            "BigFunction": {"Type": "AWS::Serverless::Function", "Properties": {"Layers": [{"Ref": "DataLayer"}]}},
            "CommonLayer": {"Type": "AWS::Serverless::LayerVersion", "Properties": {}},
            "DataLayer": {"Type": "AWS::Serverless::LayerVersion", "Properties": {}},
        },
    }
    (build / "template.yaml").write_text(json.dumps(template))
    return build


def _check_sizes(build: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run the script's main() in-process (cfn-lint, which it parses with, is already imported by the other tests)."""
    status = load_script(CHECK_BUILD, "check_build").main(build)
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def test_size_check_passes_functions_within_their_budget(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN functions of 50 MB and 130 MB with their layers (the budget is 150 MB, the margin 15 MB)
    build = _build_dir(
        tmp_path, {"SmallFunction": 1_000, "BigFunction": 1_000, "CommonLayer": 50_000_000, "DataLayer": 80_000_000}
    )
    # WHEN the build is checked THEN it passes and says how much room each has left
    status, output = _check_sizes(build, capsys)
    assert status == 0, output
    assert "BigFunction: 130.0 MB of the 150 MB budget" in output and "ok, 20.0 MB left" in output


@pytest.mark.parametrize(
    ("data_layer", "verdict"),
    [
        (90_000_000, "WITHIN THE 15 MB MARGIN of the budget: only 10.0 MB left"),  # 140 MB: fits, but barely
        (120_000_000, "OVER THE BUDGET"),  # 170 MB: Lambda would take it, the budget does not
        (220_000_000, "OVER LAMBDA'S LIMIT of 262.1 MB"),  # 270 MB: the deploy itself would fail
    ],
)
def test_size_check_fails_a_function_near_or_over_its_budget(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data_layer: int, verdict: str
) -> None:
    # GIVEN a function whose layers take it within the margin of its budget, over it, or over Lambda's limit
    build = _build_dir(
        tmp_path, {"SmallFunction": 1_000, "BigFunction": 1_000, "CommonLayer": 50_000_000, "DataLayer": data_layer}
    )
    # WHEN the build is checked THEN it fails (make build, hence make test) and names the function and why
    status, output = _check_sizes(build, capsys)
    assert status == 1
    assert f"BigFunction: {(50_000_000 + data_layer + 1_000) / 1e6:.1f} MB of the 150 MB budget" in output
    assert verdict in output
    assert "SmallFunction: 50.0 MB of the 150 MB budget" in output and "ok, 100.0 MB left" in output


@pytest.mark.parametrize(
    ("data_layer", "passes"),
    [
        (159_000_000, False),  # the unpruned data layer (pyarrow with Flight, S3, headers, tests): 209 MB in all
        (76_000_000, True),  # pruned and stripped (layers/data/prune.txt): 126 MB in all
    ],
)
def test_the_validate_function_has_no_larger_budget(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data_layer: int, passes: bool
) -> None:
    # GIVEN ValidateFunction with the common and data layers, the data layer as built before and after pruning
    build = _build_dir(tmp_path, {"CommonLayer": 50_000_000, "DataLayer": data_layer, "ValidateFunction": 1_000})
    template = json.loads((build / "template.yaml").read_text())
    template["Resources"] = {
        "ValidateFunction": {"Type": "AWS::Serverless::Function", "Properties": {"Layers": [{"Ref": "DataLayer"}]}},
        "CommonLayer": {"Type": "AWS::Serverless::LayerVersion", "Properties": {}},
        "DataLayer": {"Type": "AWS::Serverless::LayerVersion", "Properties": {}},
    }
    (build / "template.yaml").write_text(json.dumps(template))
    # WHEN the build is checked THEN it is held to the same 150 MB as every function (no exception any more)
    status, output = _check_sizes(build, capsys)
    total = (50_000_000 + data_layer + 1_000) / 1e6
    assert f"ValidateFunction: {total:.1f} MB of the 150 MB budget" in output
    assert (status == 0) is passes, output
    assert ("OVER THE BUDGET" in output) is not passes


def test_size_check_needs_a_build(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, output = _check_sizes(tmp_path / "missing", capsys)
    assert status == 2 and "run sam build first" in output


def test_build_check_fails_a_layer_holding_local_only_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a build whose common layer holds the CLI's room and rich
    build = _build_dir(tmp_path, {"SmallFunction": 1_000, "BigFunction": 1_000, "CommonLayer": 1_000, "DataLayer": 1})
    (build / "CommonLayer" / "python" / "energylake" / "local").mkdir(parents=True)
    (build / "CommonLayer" / "python" / "rich").mkdir(parents=True)
    # WHEN the build is checked
    status, output = _check_sizes(build, capsys)
    # THEN it fails and names both
    assert status == 1
    assert "CommonLayer: holds local-only code: python/energylake/local, python/rich" in output


def test_only_the_gold_builder_may_ship_duckdb(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a build whose gold builder ships duckdb (its own requirements) and whose other function ships it too
    build = _build_dir(tmp_path, {"SmallFunction": 1_000, "BigFunction": 1_000, "CommonLayer": 1_000, "DataLayer": 1})
    template = json.loads((build / "template.yaml").read_text())
    template["Resources"]["BuildGoldFunction"] = {"Type": "AWS::Serverless::Function", "Properties": {}}
    (build / "template.yaml").write_text(json.dumps(template))
    (build / "BuildGoldFunction" / "duckdb").mkdir(parents=True)
    (build / "SmallFunction" / "duckdb").mkdir()
    # WHEN the build is checked THEN only the other function is named
    status, output = _check_sizes(build, capsys)
    assert status == 1
    assert "SmallFunction: holds local-only code: duckdb" in output
    assert "BuildGoldFunction: holds" not in output


def test_build_check_fails_a_function_holding_the_sample_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build = _build_dir(tmp_path, {"SmallFunction": 1_000, "BigFunction": 1_000, "CommonLayer": 1_000, "DataLayer": 1})
    (build / "SmallFunction" / "energylake" / "sample").mkdir(parents=True)
    status, output = _check_sizes(build, capsys)
    assert status == 1
    assert "SmallFunction: holds local-only code: energylake/sample" in output


def test_build_check_fails_a_function_whose_linked_job_script_did_not_come_along(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a build whose Glue publisher holds a dangling link instead of a copy of glue/build_gold.py
    build = _build_dir(tmp_path, {"SmallFunction": 1_000, "BigFunction": 1_000, "CommonLayer": 1_000, "DataLayer": 1})
    template = json.loads((build / "template.yaml").read_text())
    template["Resources"]["PublishGlueArtifactsFunction"] = {"Type": "AWS::Serverless::Function", "Properties": {}}
    (build / "template.yaml").write_text(json.dumps(template))
    publisher = build / "PublishGlueArtifactsFunction"
    publisher.mkdir()
    (publisher / "build_gold.py").symlink_to("../../glue/build_gold.py")
    # WHEN the build is checked
    status, output = _check_sizes(build, capsys)
    # THEN it fails and says what is wrong with the script
    assert status == 1
    assert "PublishGlueArtifactsFunction: build_gold.py is a symbolic link" in output
    assert "build_gold.py is missing or differs from glue/build_gold.py" in output


def test_build_check_accepts_the_job_script_copied_into_the_publisher(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build = _build_dir(tmp_path, {"SmallFunction": 1_000, "BigFunction": 1_000, "CommonLayer": 1_000, "DataLayer": 1})
    template = json.loads((build / "template.yaml").read_text())
    template["Resources"]["PublishGlueArtifactsFunction"] = {"Type": "AWS::Serverless::Function", "Properties": {}}
    (build / "template.yaml").write_text(json.dumps(template))
    (build / "PublishGlueArtifactsFunction").mkdir()
    (build / "PublishGlueArtifactsFunction" / "build_gold.py").write_bytes(
        (REPO_ROOT / "glue" / "build_gold.py").read_bytes()
    )
    status, output = _check_sizes(build, capsys)
    assert status == 0, output
