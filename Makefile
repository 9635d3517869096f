# Every target that needs Python builds .venv first, and rebuilds it when
# pyproject.toml changes. CI (.ci/run) calls these same targets.
PYTHON ?= python3
VENV ?= .venv
BIND ?=
WORKERS ?=
# make image: the tool, the tag, the base and anything else to pass to the build
# (.ci/podman-setup prepares podman and a stand-in base where no registry answers).
CONTAINER ?= docker
IMAGE ?= $(shell sed -n 's/^name = "\(.*\)"$$/\1/p' pyproject.toml | head -n 1)
PYTHON_IMAGE ?=
IMAGE_BUILD_ARGS ?=
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# What make installs in .venv, as an editable install of this project.
EDITABLE := -e '.[dev,tracing]'
# make lock's common part; the runtime lock adds no dev tools.
COMPILE := $(BIN)/uv pip compile pyproject.toml --universal --generate-hashes --quiet \
	--extra tracing --custom-compile-command "make lock"

.DEFAULT_GOAL := help
.PHONY: help run test lint fmt cov smoke bench migrate revision clean \
	strip-samples rename new-resource stress lock serve image

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'
	@echo "  Variables: PYTHON=$(PYTHON) VENV=$(VENV) BIND=<host:port> WORKERS=<n> (for run, serve)"
	@echo "             CONTAINER=$(CONTAINER) IMAGE=$(IMAGE) PYTHON_IMAGE=<base> IMAGE_BUILD_ARGS=<...> (for image)"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(EDITABLE)
	touch $@

run: migrate ## Apply migrations, then serve with hypercorn.toml (BIND=host:port, WORKERS=n override it)
	$(BIN)/hypercorn --config hypercorn.toml $(if $(BIND),--bind $(BIND) )$(if $(WORKERS),--workers $(WORKERS) )app.asgi:app

test: $(STAMP) ## Run every test
	$(BIN)/python -m pytest -q -n auto

lint: $(STAMP) ## ruff check (with its security rules), ruff format --check, mypy --strict, pip-audit
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m tests.tools.audit

fmt: $(STAMP) ## Format and auto-fix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

cov: $(STAMP) ## Run every test with branch coverage; fails under 90%
	rm -f .coverage .coverage.*
	$(BIN)/python -m coverage run -m pytest -q -n auto
	$(BIN)/python -m coverage combine --quiet
	$(BIN)/python -m coverage report

smoke: $(STAMP) ## Start a real server and run every curl example in the docs
	$(BIN)/python -m tests.support.smoke

bench: $(STAMP) ## Load-test the kit against a bare Quart app (needs wrk)
	$(BIN)/python -m tests.bench.run

stress: $(STAMP) ## Reliability suite: load, signals, WebSockets, hostile input, fuzz (STRESS_SHORT=1: ~3 min)
	$(BIN)/python -m tests.stress.run

serve: $(STAMP) ## Serve with the production profile: 0.0.0.0:8000, a worker per CPU (make migrate first)
	$(BIN)/hypercorn --config hypercorn.toml --bind $(or $(BIND),0.0.0.0:8000) --workers $(or $(WORKERS),$(shell nproc)) app.asgi:app

lock: $(STAMP) ## Write requirements/*.txt, the exact versions and hashes installs use (UPGRADE=1: newest)
	$(COMPILE) $(if $(UPGRADE),--upgrade) -o requirements/runtime.txt
	$(COMPILE) $(if $(UPGRADE),--upgrade) --extra dev \
		--constraint requirements/runtime.txt -o requirements/dev.txt

image: ## Build the container image from requirements/runtime.txt (CONTAINER, IMAGE, PYTHON_IMAGE, IMAGE_BUILD_ARGS)
	$(CONTAINER) build --tag $(IMAGE) $(if $(PYTHON_IMAGE),--build-arg PYTHON_IMAGE=$(PYTHON_IMAGE) )$(IMAGE_BUILD_ARGS) .

migrate: $(STAMP) ## Apply pending database migrations (the database that the settings name)
	$(BIN)/python -m app.core.migrations upgrade

revision: $(STAMP) ## Write a feature's next migration: make revision feature=orders m="add a column"
	@test -n "$(m)" -a -n "$(feature)" || { echo 'usage: make revision feature=<name> m="what changes"'; exit 2; }
	$(BIN)/python -m app.core.migrations revision --feature "$(feature)" -m "$(m)"
	$(BIN)/ruff format app

strip-samples: $(STAMP) ## Remove every sample: code, tests, settings, migrations, docs
	$(BIN)/python -m tests.tools.strip_samples

rename: $(STAMP) ## Rename the service: make rename name=orders-service
	@test -n "$(name)" || { echo 'usage: make rename name=<new-name>'; exit 2; }
	$(BIN)/python -m tests.tools.rename "$(name)"
	$(BIN)/python -m pip install --quiet $(EDITABLE)

new-resource: $(STAMP) ## Write a CRUD resource with its tests: make new-resource name=orders [singular=order]
	@test -n "$(name)" || { echo 'usage: make new-resource name=<plural_name>'; exit 2; }
	$(BIN)/python -m tests.tools.new_resource "$(name)" $(if $(singular),--singular "$(singular)")

# >>> sample: addressbook
.PHONY: seed
seed: migrate ## Load the address book's sample entries (app/samples/addressbook/data)
	$(BIN)/python -m app.samples.addressbook.seed app/samples/addressbook/data/*.json
# <<< sample: addressbook

clean: ## Remove the virtualenv, caches and reports
	rm -rf $(VENV) .venv-* .pytest_cache .mypy_cache .ruff_cache .hypothesis .coverage htmlcov tests/bench/results
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
