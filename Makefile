# The two commands of the README: `make run` and `make test`. Everything else supports them.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements/runtime.txt requirements/dev.txt pyproject.toml | sha1sum | cut -c1-12)
# Local runs default to DEBUG (no SECRET_KEY needed); production sets SECRET_KEY and DEBUG=0.
export DEBUG ?= 1
# The seed, bench and demo commands live in devtools, which production leaves out.
export BACKOFFICE_DEVTOOLS ?= 1
HOST ?= 127.0.0.1
PORT ?= 8000
BENCH_ORDERS ?= 100000

.PHONY: install run worker beat migrate demo test test-setup chromium services lint bench seed stop-db clean chartjs

# Every target here is for development (run, test, bench): the development lock, which includes
# the runtime one. Production installs requirements/runtime.txt alone (see the Dockerfile).
$(STAMP): requirements/runtime.txt requirements/dev.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py demo --url http://$(HOST):$(PORT)/

## make run: set up and serve the back office with demo data at http://127.0.0.1:8000/
run: demo
	$(PY) manage.py runserver $(HOST):$(PORT)

## make worker / make beat: the Celery worker and scheduler (need REDIS_URL)
worker: install
	@test -n "$$REDIS_URL" || { echo "Set REDIS_URL (e.g. redis://127.0.0.1:6379/0): without it tasks run in-process."; exit 2; }
	$(VENV)/bin/celery -A backoffice worker --loglevel=info

beat: install
	@test -n "$$REDIS_URL" || { echo "Set REDIS_URL first."; exit 2; }
	$(VENV)/bin/celery -A backoffice beat --loglevel=info --schedule .data/celerybeat-schedule

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## make test: set up and run the whole suite against Postgres and Redis on 127.0.0.1
## (installs Debian's Chromium for the browser tests when it is missing and this user may)
test: test-setup lint
	DJANGO_SETTINGS_MODULE=tests.settings $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/lint-imports
	$(VENV)/bin/pytest -n 2 --dist loadfile $(PYTEST_ARGS)

test-setup: install chromium services

chromium:
	@bin/ensure-chromium

services: install
	@PYTHON=$(PY) bin/ensure-services

## make bench: seed BENCH_ORDERS orders into a separate database and print the budgets' table
bench: migrate
	$(PY) manage.py bench --orders $(BENCH_ORDERS)

seed: migrate
	$(PY) manage.py seed --orders $(or $(ORDERS),10000)

## make stop-db: stop the embedded Postgres that `make run` left running (data is kept)
stop-db:
	@# SIGINT is Postgres's "fast" shutdown; pg_ctl would refuse to run as root.
	@if [ -f .data/pgdata/postmaster.pid ]; then kill -INT $$(head -n1 .data/pgdata/postmaster.pid) \
	  && echo "Stopped the embedded Postgres."; else echo "The embedded Postgres is not running."; fi

clean: stop-db
	rm -rf $(VENV) .data/staticfiles

## make chartjs: refresh static/vendor/chartjs/ from npm at CHARTJS_VERSION (checked against
## CHARTJS_INTEGRITY, npm's sha512 of the package; change both together)
CHARTJS_VERSION := 4.6.2
CHARTJS_INTEGRITY := sha512-xachB+pPHjp0syJi7llUBA1w3kMYl6NF3o7eVrvjnWCT+IB2zMaF2pX5UYDiwbbfsioFEIRnAjreNOMsGj5TIA==
CHARTJS_DIR := static/vendor/chartjs
chartjs:
	@command -v npm >/dev/null || { echo "make chartjs needs npm (apt-get install npm)."; exit 2; }
	@set -euo pipefail; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	  (cd "$$tmp" && npm pack --silent chart.js@$(CHARTJS_VERSION) >/dev/null); \
	  tarball="$$tmp/chart.js-$(CHARTJS_VERSION).tgz"; \
	  got="sha512-$$(openssl dgst -sha512 -binary "$$tarball" | base64 -w0)"; \
	  test "$$got" = "$(CHARTJS_INTEGRITY)" || { echo "chart.js $(CHARTJS_VERSION): integrity $$got is not the pinned one."; exit 1; }; \
	  tar -xzf "$$tarball" -C "$$tmp" package/dist/chart.umd.min.js package/LICENSE.md; \
	  mkdir -p $(CHARTJS_DIR); \
	  sed '/^\/\/# sourceMappingURL=/d' "$$tmp/package/dist/chart.umd.min.js" > $(CHARTJS_DIR)/chart.umd.min.js; \
	  cp "$$tmp/package/LICENSE.md" $(CHARTJS_DIR)/LICENSE.md; \
	  echo "Chart.js $(CHARTJS_VERSION) is in $(CHARTJS_DIR)/ (source map reference dropped: the map is not shipped)."
