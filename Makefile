# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test lint openapi bench clean

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

## bench: latency through gunicorn, then the randomized soak at a larger size (see bench/)
bench: $(VENV)/.dev
	$(BIN)/python -m bench.latency --requests 300 --concurrency 4
	$(BIN)/python -m bench.soak --steps 1000 --seeds 1,2,3

clean:
	rm -rf $(VENV) var .pytest_cache
