# energylake: every target creates .venv by itself on a fresh machine (only package registries needed).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0

DEMO_START ?= 2024-11-01
DEMO_END ?= 2024-11-07

.PHONY: venv test lint typecheck validate unit demo bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml layers/common/requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "energylake needs Python 3.11 or newer (set PYTHON=python3.11)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

validate: $(STAMP)
	$(BIN)/sam validate --lint --template template.yaml

unit: $(STAMP)
	$(BIN)/pytest

test: lint typecheck validate unit

demo: $(STAMP)
	$(BIN)/energylake run --source sample --start $(DEMO_START) --end $(DEMO_END) --lake ./lake
	@echo "dashboard: $(CURDIR)/lake/dashboard.html"
	@echo "warehouse: $(CURDIR)/lake/warehouse.duckdb"

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/parse_bench.py
	$(BIN)/python benchmarks/warehouse_bench.py
	$(BIN)/python benchmarks/spark_bench.py
	$(BIN)/python benchmarks/pipeline_bench.py

clean:
	rm -rf $(VENV) .aws-sam lake .mypy_cache .ruff_cache
