# Rapport: `make dev` runs the CRM locally, `make test` runs every check. Both install what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.installed
STAGE ?= dev
LOCAL_ARGS ?=  # e.g. LOCAL_ARGS="--port 3100 --aws-port 4600" to run beside another `make dev`
# What the synthesized template is made from: `make synth` skips `cdk synth` while their hash (and the stage)
# matches the one recorded in cdk.out by the last synthesis.
SYNTH_INPUTS := app.py cdk.json pyproject.toml package-lock.json infra functions layers/core layers/deps/build/.stamp \
	layers/analytics/build/.stamp
SYNTH_STAMP := cdk.out/.inputs-hash
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_KNOWN_BROKEN_NODE_VERSION := 1
export PYTHONPATH := layers/core/python:functions:.

.PHONY: help install layer synth dev dev-reset openapi event-schemas lint test test-fast bench deploy clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --upgrade "pip>=25.1"
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -e . --group dev
	touch $(STAMP)

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

install: $(STAMP) node_modules/.package-lock.json  ## Python venv (runtime + dev deps) and the pinned CDK CLI

layer: $(STAMP)  ## build the deps layer and the analytics exporter's layer for Lambda (arm64) without Docker
	bash layers/deps/build.sh
	LAYER_PLATFORMS="manylinux2014_aarch64 manylinux_2_28_aarch64" bash layers/deps/build.sh layers/analytics

synth: install layer  ## synthesize the CloudFormation template into cdk.out (offline), unless nothing changed
	@hash="$$(find $(SYNTH_INPUTS) -type f -not -path '*/__pycache__/*' -print0 | LC_ALL=C sort -z \
	    | xargs -0 sha256sum | sha256sum | cut -d' ' -f1) stage=$(STAGE)"; \
	if [[ -f cdk.out/manifest.json && -f $(SYNTH_STAMP) && "$$(cat $(SYNTH_STAMP))" == "$$hash" ]]; then \
	    echo "cdk.out is up to date (stage $(STAGE)): nothing it is made from changed"; \
	else \
	    rm -f $(SYNTH_STAMP) && npx cdk synth --quiet -c stage=$(STAGE) && echo "$$hash" > $(SYNTH_STAMP); \
	fi

dev: synth  ## run the CRM locally: API on :3000, AWS endpoint on :4566, until Ctrl-C
	$(VENV)/bin/rapport local --stack Rapport-$(STAGE) $(LOCAL_ARGS)

dev-reset:  ## wipe the local data (.rapport/); the next `make dev` seeds the demo tenant again
	rm -rf .rapport

openapi: $(STAMP)  ## regenerate functions/openapi.json from the handlers
	$(PYTHON) -m tools.openapi

event-schemas: $(STAMP)  ## regenerate events/schemas/domain-event.json from the event model
	$(PYTHON) -m tools.event_schemas

lint: $(STAMP)  ## ruff, formatting, mypy, and the OpenAPI document is current
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(PYTHON) -m tools.openapi --check
	$(PYTHON) -m tools.event_schemas --check

# The fast tests run in parallel, one process per core (pytest-xdist). The slow ones run on two workers a file
# at a time (a local runtime is shared by a whole module), the longest first: the 50,000-contact soak takes one
# worker for most of the run, and every other file runs on the other. `make test-fast` collects only the folders
# that hold fast tests, without the plugins only the slow ones use (importing them costs seconds).
TEST_WORKERS ?= auto
SLOW_TESTS_BESIDE_THE_SOAK := -n 2 --dist loadfile --no-loadscope-reorder --durations=25
FAST_TESTS := tests/unit tests/integration tests/local
SLOW_ONLY_PLUGINS := -p no:schemathesis -p no:hypothesispytest -p no:typeguard -p no:anyio

test: install layer lint  ## every test suite, slow ones included
	$(PYTHON) -m pytest -m "not slow" -n $(TEST_WORKERS)
	$(PYTHON) -m pytest -m slow $(SLOW_TESTS_BESIDE_THE_SOAK)

test-fast: $(STAMP)  ## unit, integration and local runtime tests in parallel: what to run after each edit
	$(PYTHON) -m pytest -m "not slow" -n $(TEST_WORKERS) $(SLOW_ONLY_PLUGINS) $(FAST_TESTS)

bench: synth  ## DynamoDB requests per operation, the local runtime at 1k and 50k contacts, the analytics jobs at 1k and 10k customers, imports of 10k and 100k contacts beside a bare batch_writer, cold starts as deployed (fails over 2x)
	$(PYTHON) -W ignore -m tools.bench
	$(PYTHON) -W ignore -m tools.analytics_bench
	$(PYTHON) -W ignore -m tools.import_bench
	$(PYTHON) -m tools.coldstart

deploy: synth  ## cdk deploy the stage (STAGE=dev|prod) with your AWS credentials
	npx cdk deploy -c stage=$(STAGE) Rapport-$(STAGE)

clean:  ## remove the venv, node_modules, cdk.out, the built layer and the bench's packages
	rm -rf $(VENV) node_modules cdk.out layers/deps/build layers/analytics/build .bench
