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
