# Dateline: `make run` loads the bundled samples into warehouse/dateline.duckdb; `make test` runs the suite.
# Both create .venv and install what they need on a fresh machine (uv, from PyPI, into the venv).
# Bytecode is compiled at install: some environments set PYTHONDONTWRITEBYTECODE, and then every
# run would recompile Prefect's sources (measured: 13 s of a run's start-up).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEV    := $(VENV)/.installed-dev
# Most tests wait on subprocesses (runs, servers, Prefect's API), so two more test processes than
# cores keep the machine busy; xdist gives each its own session fixtures.
TEST_PROCESSES ?= 4

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e .
	touch $@

$(DEV): pyproject.toml $(STAMP)
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[dev]'
	touch $@

run: $(STAMP)
	$(BIN)/dateline run

test: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n $(TEST_PROCESSES)

lint: $(DEV)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: $(DEV)
	$(BIN)/python bench/extract.py
	$(BIN)/python bench/end_to_end.py

clean:
	rm -rf $(VENV) warehouse/*.duckdb warehouse/*.duckdb.wal warehouse/data
