# pricekit developer commands. `make test` and `make demo` work from a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test lint typecheck pytest docs core-check docs-serve bench demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the package metadata changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[all,dev]"
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests examples benchmarks docs
	$(BIN)/ruff format --check src tests examples benchmarks docs

typecheck: $(STAMP)
	$(BIN)/mypy --strict src examples

pytest: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	$(BIN)/python -m pytest benchmarks --benchmark-disable -q

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

# `pip install .` with no extras, in a throwaway venv: the core must stand alone.
core-check: | $(BIN)/python
	rm -rf build/core-venv
	$(PYTHON) -m venv build/core-venv
	build/core-venv/bin/python -m pip install --quiet .
	cd build && core-venv/bin/python ../tests/check_core_install.py
	rm -rf build/core-venv

test: lint typecheck pytest docs core-check

# Every suite at its full scale (PRICEKIT_BENCH_FULL=1; PostgreSQL and Redis required), each
# in its own pytest process; writes benchmarks/RESULTS.md, benchmarks/results.json and
# docs/img/scaling.svg. BENCH_ARGS go to run_all.py, e.g. BENCH_ARGS='--note "quiet machine"'.
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run_all $(BENCH_ARGS)

# The README's first command: creates .venv, installs, then `pricekit demo` (an embedded
# SQLite store in a temporary folder, sample data, one sync cycle, a priced receipt).
demo: $(STAMP)
	$(BIN)/pricekit demo

docs-serve: $(STAMP)
	$(BIN)/mkdocs serve

clean:
	rm -rf $(VENV) site build dist .mypy_cache .ruff_cache .pytest_cache .benchmarks .hypothesis
