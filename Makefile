# District PPM — the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench bench-peer contract schema services browser install clean-local

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# Starts PostgreSQL/Redis under .local/ only when nothing answers at the configured address.
services: $(STAMP)
	$(BIN)/python scripts/services.py ensure

# Debian's Chromium for the explorer's browser test, installed only when missing (Playwright
# drives it; it never downloads a browser of its own).
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the explorer test" >&2; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

run: services
	$(BIN)/district-ppm migrate
	$(BIN)/python scripts/run_demo.py

test: services browser
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src workers tests scripts
	$(BIN)/ruff format --check src workers tests scripts
	$(BIN)/mypy

bench: services
	$(BIN)/python tests/benchmarks/run_all.py

# Our API beside PostGraphile 4 (installed with npm under .local/bench-peer) on the same
# database, alternating under the same load. ARGS="--small", "--keep", "--reuse NAME", ...
bench-peer: services
	$(BIN)/python tests/benchmarks/bench_peer.py $(ARGS)

schema: $(STAMP)
	$(BIN)/district-ppm export-schema

contract: $(STAMP)
	$(BIN)/district-ppm contract

clean-local:
	$(BIN)/python scripts/services.py stop; rm -rf .local
