# The two commands a newcomer needs: `make run` and `make test` (see README.md).
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 5000
HOST ?= 127.0.0.1
export FLASK_APP := wsgi.py
CHROMIUM := /usr/bin/chromium
NGINX := /usr/sbin/nginx
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup run serve test lint bench worker clean pwa pwa-test

PWA_SOURCES := $(shell find pwa/src pwa/public -type f 2>/dev/null) pwa/index.html pwa/vite.config.js

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-lock.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt -c requirements-lock.txt
	touch $@

# `npm ci` installs exactly the lock file, or fails: the lock lists every platform's optional
# packages (e.g. @rollup/rollup-darwin-*), so it installs as is on any machine and stays unchanged.
pwa/node_modules/.installed: pwa/package.json pwa/package-lock.json
	cd pwa && npm ci --no-audit --no-fund
	touch $@

pwa/dist/index.html: pwa/node_modules/.installed $(PWA_SOURCES)
	cd pwa && npm run build

## Build the PWA (only when its sources changed)
pwa: pwa/dist/index.html

## Set up, migrate, seed the demo data (first time only) and serve on http://$(HOST):$(PORT).
## HOST=0.0.0.0 serves the network; HTTPS=1 serves HTTPS with a CA of this machine's own, which a
## phone needs for the service worker, camera and GPS (README, "On a phone").
run: setup pwa
	$(VENV)/bin/flask db upgrade
	$(VENV)/bin/flask seed-demo --if-empty
	@if [ "$(HTTPS)" = 1 ]; then \
	  tls="$${INSTANCE_DIR:-instance}/tls"; \
	  $(VENV)/bin/flask lan-cert --dir "$$tls" --port $(PORT) && \
	  exec $(VENV)/bin/flask run --host $(HOST) --port $(PORT) --cert "$$tls/server.pem" --key "$$tls/server-key.pem"; \
	else \
	  exec $(VENV)/bin/flask run --host $(HOST) --port $(PORT); \
	fi

## Production-shaped: set up, migrate, then gunicorn (2 x CPUs + 1 sync workers, backend/gunicorn_conf.py)
## on http://$(HOST):$(PORT), plus an rq worker and rq cron (housekeeping) when REDIS_URL is set;
## SEED_DEMO=1 seeds the demo data.
## Behind docs/nginx.conf (docs/production.md): gunicorn alone is starved by slow clients.
serve: setup pwa
	$(VENV)/bin/flask db upgrade
	@if [ "$(SEED_DEMO)" = 1 ]; then $(VENV)/bin/flask seed-demo --if-empty; fi
	@pids=""; \
	trap 'kill $$pids 2>/dev/null; wait' EXIT; trap 'exit 130' INT; trap 'exit 143' TERM; \
	if [ -n "$${REDIS_URL:-}" ]; then \
	  $(VENV)/bin/rq worker -w backend.jobs.worker.AppWorker --url "$$REDIS_URL" "$${RQ_QUEUE:-fieldsales}" & \
	  pids=$$!; echo "serve: rq worker (pid $$!) on queue $${RQ_QUEUE:-fieldsales}"; \
	  $(VENV)/bin/rq cron --url "$$REDIS_URL" backend.schedule & \
	  pids="$$pids $$!"; echo "serve: rq cron (pid $$!): housekeeping every $${HOUSEKEEPING_SECONDS:-3600} s"; \
	fi; \
	$(VENV)/bin/gunicorn -c backend/gunicorn_conf.py --bind "$(HOST):$(PORT)" wsgi:app & \
	pids="$$pids $$!"; echo "serve: http://$(HOST):$(PORT)/ (gunicorn pid $$!; Ctrl-C stops it all)"; \
	wait $$!

## Set up and run the whole test suite (lint included; the end-to-end tests drive Debian's chromium)
test: setup lint pwa pwa-test $(CHROMIUM) $(NGINX)
	$(PY) -m pytest

# The e2e tests (tests/e2e, Playwright) use the distribution's browser: never `playwright install`.
$(CHROMIUM):
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium

# tests/live/test_slow_clients.py runs docs/nginx.conf with the distribution's nginx, as its own
# process on a free port. The package's system service (port 80) is not used: stopped and disabled.
$(NGINX):
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx
	-$(SUDO) sh -c 'systemctl disable --now nginx 2>/dev/null || service nginx stop 2>/dev/null' >/dev/null

pwa-test: pwa/node_modules/.installed
	cd pwa && npm test

## Lint: ruff (Python), import-linter (the backend's layers, .importlinter), Biome (the PWA, pwa/biome.jsonc)
lint: setup pwa/node_modules/.installed
	$(VENV)/bin/ruff check backend sync_protocol tests bench
	$(VENV)/bin/ruff format --check backend sync_protocol tests bench
	$(VENV)/bin/lint-imports --no-cache
	cd pwa && npx biome ci .

bench: setup
	$(PY) -m bench.run

## An RQ worker for background jobs (needs REDIS_URL)
worker: setup
	$(VENV)/bin/rq worker -w backend.jobs.worker.AppWorker --url "$$REDIS_URL" $${RQ_QUEUE:-fieldsales}

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache pwa/node_modules pwa/dist
