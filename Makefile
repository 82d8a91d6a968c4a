# District PPM — the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench contract schema services install clean-local

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# Starts PostgreSQL/Redis under .local/ only when nothing answers at the configured address.
services: $(STAMP)
	$(BIN)/python scripts/services.py ensure

run: services
	$(BIN)/district-ppm migrate
	$(BIN)/python scripts/run_demo.py

test: services
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src workers tests scripts
	$(BIN)/ruff format --check src workers tests scripts
	$(BIN)/mypy

bench: services
	$(BIN)/python tests/benchmarks/run_all.py

schema: $(STAMP)
	$(BIN)/district-ppm export-schema

contract: $(STAMP)
	$(BIN)/district-ppm contract

clean-local:
	$(BIN)/python scripts/services.py stop; rm -rf .local
