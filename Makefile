# CQR Portal — two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test test-pg15 system-deps lint format install stop bench-smoke clean

$(VENV)/.installed: requirements-dev.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -r requirements-dev.lock
	@touch $@

install: $(VENV)/.installed

## Start everything: embedded PostgreSQL + Redis (unless DATABASE_URL/REDIS_URL are set),
## migrations, demo data, web + Celery worker + beat. Ctrl-C stops what it started.
run: install
	@$(PY) scripts/run.py --port $(PORT)

## The Debian packages the tests need (Chromium, poppler, pango, DejaVu fonts): installed
## when missing if we are root, otherwise make stops with the one command to run.
system-deps:
	@scripts/ensure_system_deps.sh

## Lint, format check and the whole test suite (real PostgreSQL, Redis and Chromium).
test: system-deps install
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(PY) -m pytest -p no:cacheprovider -n 2 -m "not e2e" -q
	@DJANGO_ALLOW_ASYNC_UNSAFE=true $(PY) -m pytest -p no:cacheprovider -m e2e -q
	@$(MAKE) --no-print-directory test-pg15

## The migrations and the database-heavy tests on a second PostgreSQL major version (15):
## the server on PG15_HOST:PG15_PORT (trust auth, user postgres), in its own test database.
## Skipped, with a message, when no server answers there.
PG15_HOST ?= 127.0.0.1
PG15_PORT ?= 5432
PG15_URL ?= postgres://postgres@$(PG15_HOST):$(PG15_PORT)/postgres
PG15_DB_SUFFIX ?= pg15
test-pg15: install
	@if $(PY) -c "import socket; socket.create_connection(('$(PG15_HOST)', $(PG15_PORT)), 2)" 2>/dev/null; then \
		DATABASE_URL=$(PG15_URL) CQR_TEST_DB_SUFFIX=$(PG15_DB_SUFFIX) $(PY) -m pytest -p no:cacheprovider -n 2 \
			-m "not e2e and not slow" -q --create-db tests/achievements tests/pqs_claims tests/core; \
	else \
		echo "test-pg15: skipped, no PostgreSQL server answers on $(PG15_HOST):$(PG15_PORT)"; \
	fi

lint: install
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .

format: install
	@$(VENV)/bin/ruff check --fix .
	@$(VENV)/bin/ruff format .

## The benchmarks at smoke size (make test runs them too); full size: README, Performance.
bench-smoke: install
	@$(PY) -m pytest -p no:cacheprovider -q tests/test_bench_smoke.py

## Stop the embedded PostgreSQL and Redis.
stop:
	@$(PY) -m cqr_portal.embedded stop

clean: stop
	rm -rf .data
