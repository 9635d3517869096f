# Every target that needs Python builds .venv first, and rebuilds it when
# pyproject.toml changes. CI (.ci/run) calls these same targets.
PYTHON ?= python3
VENV ?= .venv
BIND ?=
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help run test lint fmt cov smoke bench migrate revision seed clean

help: ## List the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'
	@echo "  Variables: PYTHON=$(PYTHON) VENV=$(VENV) BIND=<host:port> (for run)"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# With BIND, /a/call_b calls /b/ there too (unless APP_SERVICE_B_URL says otherwise).
run: migrate ## Apply migrations, then serve with hypercorn.toml (BIND=host:port overrides the bind)
	$(if $(BIND),APP_SERVICE_B_URL=$${APP_SERVICE_B_URL:-http://$(BIND)/b/} )$(BIN)/hypercorn --config hypercorn.toml $(if $(BIND),--bind $(BIND) )app.asgi:app

test: $(STAMP) ## Run every test
	$(BIN)/python -m pytest -q -n auto

lint: $(STAMP) ## ruff check, ruff format --check, mypy --strict
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fmt: $(STAMP) ## Format and auto-fix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

cov: $(STAMP) ## Run every test with branch coverage; fails under 90%
	$(BIN)/python -m coverage run -m pytest -q
	$(BIN)/python -m coverage report

smoke: $(STAMP) ## Start a real server and check every curl example in README.md
	$(BIN)/python scripts/smoke.py

bench: $(STAMP) ## Load-test the kit against a bare Quart app (needs wrk)
	$(BIN)/python -m bench.run

migrate: $(STAMP) ## Apply pending database migrations (the database that the config names)
	$(BIN)/alembic upgrade head

revision: $(STAMP) ## Write a migration from the models' changes: make revision m="add a column"
	@test -n "$(m)" || { echo 'usage: make revision m="what changes"'; exit 2; }
	$(BIN)/alembic revision --autogenerate -m "$(m)"
	$(BIN)/ruff format migrations/versions

seed: migrate ## Load the sample entries in data/addresses/*.json into the address book
	$(BIN)/python -m app.addressbook.seed data/addresses/*.json

clean: ## Remove the virtualenv, caches and reports
	rm -rf $(VENV) .venv-* .pytest_cache .mypy_cache .ruff_cache .hypothesis .coverage htmlcov
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
