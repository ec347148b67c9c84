# energylake: every target creates .venv by itself on a fresh machine (only package registries needed).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# make demo installs the `local` extra (what a local run needs); make test the `dev` extra (everything). A dev
# install satisfies the demo too.
LOCAL_STAMP := $(VENV)/.installed-local
STAMP := $(VENV)/.installed-dev
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0

# checkov pins boto3/packaging differently from aws-sam-cli: it lives in its own venv, pinned, created with uv.
CHECKOV_VERSION := 3.3.30
CHECKOV_VENV := .tools/checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION)

DEMO_START ?= 2024-11-01
DEMO_END ?= 2024-11-07

.PHONY: venv test lint lint-imports typecheck validate cfn-lint checkov build checks unit demo bench clean

venv: $(STAMP)

$(BIN)/uv:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "energylake needs Python 3.11 or newer (set PYTHON=python3.11)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv

# Installed with bytecode (the dependencies by uv, the editable package by compileall): every process would otherwise
# compile what it imports, and with PYTHONDONTWRITEBYTECODE set nothing compiled is ever kept.
$(LOCAL_STAMP): pyproject.toml | $(BIN)/uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[local]'
	$(BIN)/python -m compileall -q layers/common/energylake
	touch $(LOCAL_STAMP)

$(STAMP): pyproject.toml layers/common/requirements.txt | $(BIN)/uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[dev]'
	$(BIN)/python -m compileall -q layers/common/energylake
	touch $(STAMP) $(LOCAL_STAMP)

lint: $(STAMP) lint-imports
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The house's import rules (pyproject.toml [tool.importlinter]): layers, nothing shipped imports local/sample/rich,
# no cycles.
lint-imports: $(STAMP)
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy

validate: $(STAMP)
	$(BIN)/sam validate --lint --template template.yaml

# The serverless rules (cfn-lint-serverless, in the dev extra) on top of cfn-lint's own.
cfn-lint: $(STAMP)
	$(BIN)/cfn-lint template.yaml --append-rules cfn_lint_serverless.rules

$(CHECKOV_STAMP): $(STAMP)
	rm -rf $(CHECKOV_VENV)
	$(BIN)/uv venv --quiet --python $(BIN)/python $(CHECKOV_VENV)
	$(BIN)/uv pip install --quiet --python $(CHECKOV_VENV)/bin/python 'checkov==$(CHECKOV_VERSION)'
	touch $@

# Zero failed checks; every skip is annotated in template.yaml (resource Metadata: checkov: skip, with its reason).
# BC_SKIP_MAPPING: no call to the Bridgecrew platform (runs offline).
checkov: $(CHECKOV_STAMP)
	BC_SKIP_MAPPING=TRUE $(CHECKOV_VENV)/bin/checkov -f template.yaml --framework cloudformation --compact --quiet

# python3.12 (the Lambda runtime) must be on PATH for sam build: scripts/with-python312.sh finds or installs one.
# arm64 wheels come from PyPI. Then: does every function fit Lambda's 250 MB (unzipped, with layers), and does
# nothing built hold the local-only rooms or libraries?
build: $(STAMP)
	UV=$(CURDIR)/$(BIN)/uv scripts/with-python312.sh $(BIN)/sam build --template template.yaml
	$(BIN)/python scripts/check_build.py .aws-sam/build

# asl-validator (npm; tools/asl/package-lock.json pins it and everything it needs) in tools/asl/node_modules, then run
# offline over every statemachines/*.asl.json as Step Functions receives it (the template's DefinitionSubstitutions
# applied with plausible ARNs). Needs Node.js and npm (.ci/run installs Debian's where node is missing).
.PHONY: asl-tools asl-validate
ASL_TOOLS := tools/asl
ASL_STAMP := $(ASL_TOOLS)/node_modules/.installed

$(ASL_STAMP): $(ASL_TOOLS)/package.json $(ASL_TOOLS)/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "asl-validate needs Node.js and npm (Debian: apt-get install nodejs npm)" >&2; exit 1; }
	cd $(ASL_TOOLS) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

asl-tools: $(ASL_STAMP)

asl-validate: $(STAMP) $(ASL_STAMP)
	$(BIN)/python scripts/validate_asl.py

# The SAM-transformed template deployed into moto's CloudFormation on loopback (tests/e2e/deploy; make test runs it
# with the other tests), runnable alone.
.PHONY: deploy-test
deploy-test: $(STAMP)
	$(BIN)/pytest tests/e2e/deploy -q

# The template's checks, runnable alone: sam validate --lint, cfn-lint (+ serverless rules), checkov, asl-validator,
# sam build.
checks: validate cfn-lint checkov asl-validate build

unit: $(STAMP)
	$(BIN)/pytest

test: lint typecheck checks unit

demo: $(LOCAL_STAMP)
	$(BIN)/energylake run --source sample --start $(DEMO_START) --end $(DEMO_END) --lake ./lake
	@echo "dashboard: $(CURDIR)/lake/dashboard.html"
	@echo "warehouse: $(CURDIR)/lake/warehouse.duckdb"

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/cli_startup_bench.py
	$(BIN)/python benchmarks/parse_bench.py
	$(BIN)/python benchmarks/warehouse_bench.py
	$(BIN)/python benchmarks/spark_bench.py
	$(BIN)/python benchmarks/pipeline_bench.py
	$(BIN)/python benchmarks/sfn_bench.py
	$(BIN)/python benchmarks/archive_bench.py
	$(BIN)/python benchmarks/cost_bench.py
	$(BIN)/python benchmarks/soak_bench.py
	$(BIN)/python benchmarks/year_bench.py --days 7,31,92

clean:
	rm -rf $(VENV) .tools .aws-sam lake .mypy_cache .ruff_cache
