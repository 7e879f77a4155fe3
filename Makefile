# The two commands: `make run` (the service on the local backend) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
INSTALLED := $(VENV)/.installed

.PHONY: run test bench lint-imports clean

$(INSTALLED): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(INSTALLED)
	$(BIN)/python -m chalicelib.cli serve --port $(PORT)

test: $(INSTALLED) lint-imports
	$(BIN)/python -m pytest

lint-imports: $(INSTALLED)
	$(BIN)/lint-imports

bench: $(INSTALLED)
	$(BIN)/python bench/bench_intake_quality.py
	$(BIN)/python bench/bench_analysis.py

clean:
	rm -rf $(VENV) data .pytest_cache
