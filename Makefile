# CQR Portal — two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test system-deps lint format install stop bench-smoke clean

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
	@$(PY) -m pytest -p no:cacheprovider -m "not e2e" -q
	@DJANGO_ALLOW_ASYNC_UNSAFE=true $(PY) -m pytest -p no:cacheprovider -m e2e -q

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
