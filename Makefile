# The commands people type. `make run` and `make test` set everything up on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= localhost
PORT ?= 3000
DATA ?= ./data

.PHONY: install run test lint format clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,speed]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/pod serve --host $(HOST) --port $(PORT) --data-dir $(DATA)

test: $(STAMP)
	$(BIN)/ruff check pod tests
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check pod tests
	$(BIN)/ruff format --check pod tests
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format pod tests
	$(BIN)/ruff check --fix pod tests

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# `make bench`: pod against the Community Solid Server and the Node Solid Server on this machine
# (bench/run.py; README "Performance"). QUICK=1: under two minutes. PROFILE=1: py-spy profiles too.
BENCH_STAMP := $(VENV)/.bench-installed
NODE_STAMP := bench/node_modules/.installed

.PHONY: bench

$(BENCH_STAMP): $(STAMP) bench/requirements.txt
	$(BIN)/python -m pip install --quiet -r bench/requirements.txt
	touch $(BENCH_STAMP)

$(NODE_STAMP): bench/package.json bench/package-lock.json
	@if command -v npm >/dev/null; then \
		cd bench && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed; \
	else echo "npm not found: CSS and NSS will be n/a in the table"; fi

bench: $(BENCH_STAMP) $(NODE_STAMP)
	$(BIN)/python bench/run.py $(if $(QUICK),--quick) $(if $(PROFILE),--profile)
