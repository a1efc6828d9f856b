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

test: $(STAMP) interop-deps peer-deps
	$(BIN)/ruff check pod tests
	$(BIN)/mypy
	$(BIN)/python -m pytest -rs -m "not faults"

lint: $(STAMP)
	$(BIN)/ruff check pod tests
	$(BIN)/ruff format --check pod tests
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format pod tests
	$(BIN)/ruff check --fix pod tests

# `make test-faults`: tests/faults, the real server killed, starved and flooded (README "Reliability").
# Not part of `make test` (each test starts servers; the disk-full one mounts a tmpfs, as root); CI runs both.
test-faults: $(STAMP)
	$(BIN)/python -m pytest -rs -m faults tests/faults

# `make soak`: the benchmark's workloads mixed against one server for MINUTES (default 10); fails on a
# 5xx or on RSS or open files growing more than 10% after the first minute.
MINUTES ?= 10

soak: $(STAMP)
	$(BIN)/python -m tests.faults.soak --minutes $(MINUTES)

.PHONY: test-faults soak

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

# --ignore-scripts: no package here needs an install script, and one (@fastify/pre-commit, via
# solid-server) would otherwise install a git hook into this repository.
$(NODE_STAMP): bench/package.json bench/package-lock.json
	@if command -v npm >/dev/null; then \
		cd bench && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error && touch node_modules/.installed; \
	else echo "npm not found: CSS and NSS will be n/a in the table"; fi

bench: $(BENCH_STAMP) $(NODE_STAMP)
	$(BIN)/python bench/run.py $(if $(QUICK),--quick) $(if $(PROFILE),--profile)

# The same CSS and NSS write the data folders `pod import --from-css/--from-nss` is tested on
# (tests/operations/test_migrate.py): `make test` installs them too, and says so when it cannot.
.PHONY: peer-deps

peer-deps:
	@if command -v node >/dev/null && command -v npm >/dev/null; then \
		$(MAKE) --no-print-directory -s $(NODE_STAMP); \
	else echo "*** node/npm not found: the migration tests on real CSS/NSS folders (tests/operations) will be SKIPPED ***"; fi

# `make bench-features`: pod alone, on the workloads of single features (bench/README.md "Feature workloads"):
# WAC's cost on reads (issue 5), notifications under load (issue 9), SPARQL speed (issue 10). QUICK=1: each
# under a minute.
.PHONY: bench-features

bench-features: $(BENCH_STAMP)
	$(BIN)/python bench/wac_overhead.py $(if $(QUICK),--quick)
	$(BIN)/python bench/notifications_load.py $(if $(QUICK),--quick)
	$(BIN)/python bench/sparql_speed.py $(if $(QUICK),--quick)

# `make interop`: real Solid clients against the server — Inrupt's libraries, a browser login in Debian's
# Chromium, the SolidOS data browser (tests/interop; README "Works with"). Needs node and npm; `make test`
# runs these tests too when node is there, and says it skipped them when not.
INTEROP_STAMP := tests/interop/node_modules/.installed

.PHONY: interop interop-deps

$(INTEROP_STAMP): tests/interop/package.json tests/interop/package-lock.json
	cd tests/interop && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $(INTEROP_STAMP)

interop-deps:
	@if command -v node >/dev/null && command -v npm >/dev/null; then \
		$(MAKE) --no-print-directory -s $(INTEROP_STAMP); \
	else echo "*** node/npm not found: the interop tests (tests/interop) will be SKIPPED ***"; fi
	@command -v chromium >/dev/null || echo "*** no chromium: the browser interop tests will be SKIPPED (apt-get install chromium) ***"

interop: $(STAMP) $(INTEROP_STAMP)
	$(BIN)/python -m pytest tests/interop -v -rs

# `make demo-federation`: two servers on loopback ports, Alice on one and Bob on the other; Alice grants
# Bob read access, Bob reads with a token from his own server and notifies Alice's inbox (README "Federation").
.PHONY: demo-federation

demo-federation: $(STAMP)
	$(BIN)/python -m pod.federation.demo
