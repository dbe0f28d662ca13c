# NEXUS-PRIME — `make run` and `make test` are all a fresh clone needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
INSTALLED := $(VENV)/.installed
VENDORED := static/vendor/.installed

.PHONY: setup run test test-engines test-e2e lint bench bench-server clean help
.DEFAULT_GOAL := help

help:
	@echo "make run      serve UI and API on http://127.0.0.1:8000 (embedded engines unless configured)"
	@echo "make test     run the whole test suite"
	@echo "make lint     ruff and mypy over app/, components/ and realtime/"
	@echo "make bench    run every benchmark (bench/results/<name>.json)"

# The virtual environment, from the pinned lock; redone only when the lock changes.
$(INSTALLED): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is required"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

# Front-end assets come from the npm registry at set-up, never from a CDN at run time.
$(VENDORED): package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	bash deploy/vendor-assets.sh
	touch $@

setup: $(INSTALLED) $(VENDORED)

run: setup
	$(BIN)/nexus run

test: setup
	$(BIN)/pytest

# The engine-dependent tests alone (CI runs them again against external PostgreSQL and Redis).
test-engines: setup
	$(BIN)/pytest -m engines

lint: setup
	$(BIN)/ruff check app components realtime tests bench
	$(BIN)/ruff format --check app components realtime tests bench
	$(BIN)/mypy app components realtime

bench: bench-server bench-ingest bench-single bench-live bench-queries bench-anomaly bench-insights_tick bench-discovery

bench-%: setup
	$(BIN)/python -m bench.$* 

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache .mypy_cache .ruff_cache
