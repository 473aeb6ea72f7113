# The two commands a newcomer needs: `make run` and `make test` (see README.md).
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 5000
export FLASK_APP := wsgi.py

.PHONY: setup run test lint bench worker clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-lock.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt -c requirements-lock.txt
	touch $@

## Set up, migrate, seed the demo data (first time only) and serve on http://127.0.0.1:$(PORT)
run: setup
	$(VENV)/bin/flask db upgrade
	$(VENV)/bin/flask seed-demo --if-empty
	$(VENV)/bin/flask run --host 127.0.0.1 --port $(PORT)

## Set up and run the whole test suite (lint included)
test: setup lint
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check backend tests bench
	$(VENV)/bin/ruff format --check backend tests bench

bench: setup
	$(PY) -m bench.run

## An RQ worker for background jobs (needs REDIS_URL)
worker: setup
	$(VENV)/bin/rq worker -w backend.jobs.worker.AppWorker --url "$$REDIS_URL" $${RQ_QUEUE:-fieldsales}

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
