# Everything runs in .venv, created on first use from requirements*.txt (a fresh machine needs only python3).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python

.PHONY: test lint format clean plan diagram policies policy-table

$(VENV)/.installed: requirements.txt requirements-dev.txt policies/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

## test: lint, format check and every test, offline (no AWS, no Pulumi CLI)
test: $(VENV)/.installed lint
	$(PY) -m pytest

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## format: apply ruff's fixes and formatting
format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

## plan: the offline plan of every stack (tree, exports, policy verdicts, deploy estimate); PLAN_ARGS=--json for JSON
plan: $(VENV)/.installed
	$(PY) -m tooling.plan $(PLAN_ARGS)

## diagram: regenerate the README's Mermaid diagram from the plan
diagram: $(VENV)/.installed
	$(PY) -m tooling.diagram

## policies: the CrossGuard pack against every stack, offline (POLICY_ARGS="--stack owner --policy-config FILE", --json)
policies: $(VENV)/.installed
	$(PY) -m tooling.policy_check $(POLICY_ARGS)

## policy-table: the README's guardrail table, generated from the pack
policy-table: $(VENV)/.installed
	$(PY) -m tooling.readme
