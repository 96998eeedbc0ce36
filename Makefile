# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
PG_BENCH_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test lint openapi bench fuzz clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

## run: install, migrate, start the CaseWare Cloud simulator and the gateway with demo data
run: $(VENV)/.runtime
	scripts/run.sh

## test: the whole suite, on SQLite and, when it answers, on PostgreSQL
test: $(VENV)/.dev
	PG_TEST_URL="$(PG_TEST_URL)" scripts/test.sh $(ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## openapi: regenerate the committed openapi/v1.json from the code
openapi: $(VENV)/.runtime
	$(BIN)/flask --app app openapi write --format=json openapi/v1.json

## bench: the benchmark suite on SQLite and PostgreSQL (bench/suite.py), then the larger soak;
## `make bench ARGS=--quick` for a smoke run, ARGS=--strict to fail when a target fails
bench: $(VENV)/.dev
	PG_BENCH_URL="$(PG_BENCH_URL)" $(BIN)/python -m bench.suite --db both $(ARGS)
	$(BIN)/python -m bench.soak --steps 1000 --seeds 1,2,3

## fuzz: Schemathesis' command line against gunicorn and the simulator (scripts/schemathesis_run.py)
fuzz: $(VENV)/.dev
	$(BIN)/python -m scripts.schemathesis_run $(ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
