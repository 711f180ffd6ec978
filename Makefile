# One command per verb, the same locally and in CI. `make help` lists them.
.DEFAULT_GOAL := help
VENV := .venv/bin
SMF := $(VENV)/smf

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup:  ## install system packages, build TimescaleDB, create .venv (idempotent)
	@bash scripts/setup.sh

run: setup  ## set up, start the local database, migrate and run the demo job
	@$(SMF) demo

test: setup  ## run the test suite against a project-managed PostgreSQL+TimescaleDB cluster
	@$(VENV)/pytest -q

lint:  ## ruff check + format check + mypy + licence files of every installed distribution
	@$(VENV)/ruff check . && $(VENV)/ruff format --check . && $(VENV)/mypy api poller jobs smf db ccee
	@$(VENV)/lint-imports
	@$(VENV)/python scripts/check_licences.py

bench: setup  ## run the benchmarks, several minutes (they print figures; see bench/RESULTS.md)
	@$(VENV)/python bench/ingest.py
	@$(VENV)/python bench/poll.py
	@$(VENV)/python bench/rules.py
	@$(VENV)/python bench/api.py
	@$(VENV)/python bench/alarms.py
	@$(VENV)/python bench/ccee.py

coverage: setup  ## line + branch coverage of the whole suite, CLI subprocesses included
	@mkdir -p .cache/coverage && $(VENV)/coverage erase
	@$(VENV)/coverage run -m pytest -q -p no:cacheprovider || true
	@$(VENV)/coverage combine -q
	@$(VENV)/coverage report --include='db/*,poller/*,jobs/*,api/*,smf/*,ccee/*'
	@echo "per package (target >= 90 %):"
	@for p in db poller jobs api; do \
	    printf '  %-7s %s %%\n' $$p "$$($(VENV)/coverage report --include="$$p/*" --format=total 2>/dev/null || echo n/a)"; \
	done

mutate: setup  ## mutation testing, slow (SQL rule files, then mutmut on poller/protocol and db/ingest.py)
	@$(VENV)/python scripts/mutate_sql.py $(MUTATE_SQL_ARGS)
	@$(VENV)/python scripts/mutate_py.py $(MUTATE_PY_ARGS)

db-start: setup  ## start the local cluster
	@$(SMF) db start

db-stop:  ## stop the local cluster
	@$(SMF) db stop

.PHONY: help setup run test lint bench coverage mutate db-start db-stop
