# Everything runs in .venv, created on first use from requirements*.txt (a fresh machine needs only python3).
# The tooling has one command line, `python -m tooling <command>`; these targets call it.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
TOOL   := $(PY) -m tooling

# Compiled modules are cached (in __pycache__/, ignored by git) even where the environment turns that off with
# PYTHONDONTWRITEBYTECODE: without the cache every process compiles the tooling and rewrites every test module's
# asserts again, about 1.5 s for each test worker, the plan and each lint step.
export PYTHONDONTWRITEBYTECODE :=

LINT_STEPS := lint-ruff lint-format lint-imports lint-types

.PHONY: test pytest lint $(LINT_STEPS) format clean plan diagram policies policy-table schema cost deploy preview refresh destroy workflow

$(VENV)/.installed: requirements.txt requirements-dev.txt policies/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

## test: lint (ruff, import contracts, type check) and every test, offline (no AWS, no Pulumi CLI); the lint steps
## run beside the tests (pytest itself runs a worker per core), each one's output printed whole when it ends
test: $(VENV)/.installed
	@$(MAKE) --no-print-directory -j --output-sync=target $(LINT_STEPS) pytest

pytest: $(VENV)/.installed
	$(PY) -m pytest

## lint: ruff (lint and format check), the import contracts, the type checker
lint: $(LINT_STEPS)

lint-ruff: $(VENV)/.installed
	$(VENV)/bin/ruff check .

lint-format: $(VENV)/.installed
	$(VENV)/bin/ruff format --check .

lint-imports: $(VENV)/.installed
	$(VENV)/bin/lint-imports

lint-types: $(VENV)/.installed
	$(VENV)/bin/mypy

## format: apply ruff's fixes and formatting
format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .import_linter_cache

## plan: the offline plan of every stack (tree, exports, policy verdicts, deploy estimate); PLAN_ARGS=--json for JSON
plan: $(VENV)/.installed
	$(TOOL) plan $(PLAN_ARGS)

## diagram: regenerate the README's Mermaid diagram from the plan
diagram: $(VENV)/.installed
	$(TOOL) diagram

## policies: the CrossGuard pack against every stack, offline (POLICY_ARGS="--stack owner --policy-config FILE", --json)
policies: $(VENV)/.installed
	$(TOOL) policies $(POLICY_ARGS)

## policy-table: the README's guardrail table, generated from the pack
policy-table: $(VENV)/.installed
	$(TOOL) policy-table

## schema: the stack files' JSON Schema (schemas/stack-file.schema.json), generated from the config models
schema: $(VENV)/.installed
	$(TOOL) schema

## cost: per tenant, what it is the reason for; the shared resources' fixed monthly cost (COST_ARGS="--json")
cost: $(VENV)/.installed
	$(TOOL) cost $(COST_ARGS)

## deploy: `up` every stack in dependency order, DEPLOY_ARGS="--parallel 16 --only tenant-a --from X --dry-run --restart"
deploy: $(VENV)/.installed
	$(TOOL) deploy up $(DEPLOY_ARGS)

## preview: `preview` every stack in dependency order (DEPLOY_ARGS as for deploy)
preview: $(VENV)/.installed
	$(TOOL) deploy preview $(DEPLOY_ARGS)

## refresh: `refresh` every stack in dependency order (DEPLOY_ARGS as for deploy)
refresh: $(VENV)/.installed
	$(TOOL) deploy refresh $(DEPLOY_ARGS)

## destroy: `destroy` every stack, tenants first, owners last (DEPLOY_ARGS as for deploy)
destroy: $(VENV)/.installed
	$(TOOL) deploy destroy $(DEPLOY_ARGS)

## workflow: regenerate .github/workflows/deploy.yml (CI across runners) from the same graph
workflow: $(VENV)/.installed
	$(TOOL) workflow $(WORKFLOW_ARGS)
