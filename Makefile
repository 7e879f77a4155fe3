# The two commands: `make run` (the service on the local backend) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# the HQ query benchmark's share of docs/ARCHITECTURE.md's sizing case (1 = 5,000 stores; first build ~16 min)
HQ_SCALE ?= 0.1
INSTALLED := $(VENV)/.installed
# The browser tests drive Debian's Chromium (no browser download): installed once, as root.
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint bench infra-check clean

# One venv: the service, the tests and the infrastructure's tools (the CDK app synthesises in the
# tests; node, which the CDK's jsii kernel needs, is on the machine).
$(INSTALLED): requirements.txt requirements-dev.txt infra/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -r infra/requirements.txt
	touch $@

run: $(INSTALLED)
	$(BIN)/python -m chalicelib.devtools.cli serve --port $(PORT)

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

test: $(INSTALLED) $(CHROMIUM) lint
	$(BIN)/python -m pytest

# Lint, format, types and the import rules of docs/ARCHITECTURE.md (settings: pyproject.toml, .importlinter).
lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Synthesise the CDK app offline and cfn-lint it, with a summary (tests/infra runs it too).
infra-check: $(INSTALLED)
	$(BIN)/python infra/check.py

bench: $(INSTALLED)
	$(BIN)/python bench/bench_accuracy.py
	$(BIN)/python bench/bench_intake_quality.py
	$(BIN)/python bench/bench_analysis.py
	$(BIN)/python bench/bench_detector.py
	$(BIN)/python bench/bench_load.py
	$(BIN)/python infra/build_artifacts.py --arch x86_64
	$(BIN)/python bench/bench_cold_start.py
	$(BIN)/python bench/bench_hq_queries.py --scale $(HQ_SCALE)

clean:
	rm -rf $(VENV) data .pytest_cache
