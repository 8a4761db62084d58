# vori: `make run` starts the whole local system, `make test` runs the whole test suite.
# Both set up what they need on first use (a virtualenv with the Python packages; the
# Kafka jars through Maven when the stack first starts).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: run test test-unit lint check bench docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m vori up

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

test-unit: $(STAMP)
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy vori gateway stream_ingest transcriber summarizer kanban analytics_spark

check: lint test

bench: $(STAMP)
	@for b in bench/*.py; do [ -f "$$b" ] && $(PY) "$$b" || true; done

docs: $(STAMP)
	$(PY) -m vori.docs

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
