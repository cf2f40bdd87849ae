# The two commands of the README: `make demo` and `make test`. Both set up .venv first.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python

.PHONY: demo test lint bench

# `make demo` installs the runtime only; the test and lint targets add the dev tools.
$(VENV)/.runtime: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(VENV)/.runtime
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" bash examples/demo.sh

test: $(VENV)/.dev
	$(PY) -m pytest

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .
	rm -rf build/mypy && mkdir -p build/mypy/coopledger
	for package in ledger projections commands reports web; do ln -s ../../../$$package build/mypy/coopledger/$$package; done
	$(VENV)/bin/mypy

bench: $(VENV)/.dev
	$(PY) bench/run.py
