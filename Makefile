# stellars-jupyterhub-ds: the front door. `make help` lists every target.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST := $(VENV)/bin/pytest
IMAGES := $(shell scripts/project-images.sh)

# step NAME CMD...: prints what runs and, when it fails, which step failed.
define step
	@echo "==> $(1)"; $(2) || { echo "make: step '$(1)' failed" >&2; exit 1; }
endef

.PHONY: help
help: ## List every target
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-20s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV)/.installed: pyproject.toml
	@echo "==> venv: installing the project with [hub,operator,test] into $(VENV)"
	@python3 -m venv $(VENV) && $(VENV)/bin/pip install -q -e ".[hub,operator,test]" \
	  || { echo "make: step 'venv' failed" >&2; exit 1; }
	@touch $@

.PHONY: venv
venv: $(VENV)/.installed ## Create the Python environment for development and tests

.PHONY: lint
lint: venv ## ruff (lint + format check) and mypy --strict on our packages
	$(call step,lint: ruff check,$(VENV)/bin/ruff check .)
	$(call step,lint: ruff format --check,$(VENV)/bin/ruff format --check .)
	$(call step,lint: mypy,$(VENV)/bin/mypy)

.PHONY: docker
docker: ## Make sure a Docker engine answers (starts Debian's dockerd when none does)
	$(call step,docker: ensure engine,scripts/ensure-docker.sh)

.PHONY: images
images: ## Build the hub, operator, slim-lab and data-science-lab images (offline-capable)
	$(call step,images: build,scripts/build-images.sh)

.PHONY: up
up: ## Run the single-host platform (Compose): builds what is missing, waits for health
	$(call step,up: images,scripts/build-images.sh --missing hub)
	$(call step,up: compose,compose/up.sh)

.PHONY: down
down: ## Stop the Compose platform; keeps every volume
	$(call step,down: compose,compose/down.sh)

.PHONY: remove-user-data
remove-user-data: ## Delete the Compose platform's user volumes (lists them, asks; ARGS="--yes [--accounts]")
	$(call step,remove-user-data,compose/remove-user-data.sh $(ARGS))

.PHONY: cluster-up
cluster-up: ## Start the sealed one-node Kubernetes cluster (builds binaries once)
	$(call step,cluster-up,tests/cluster/cluster-up.sh)

.PHONY: cluster-down
cluster-down: ## Stop the sealed cluster and remove its state
	$(call step,cluster-down,tests/cluster/cluster-down.sh)

.PHONY: cluster-load
cluster-load: ## Import local Docker images into the sealed cluster (IMAGES="a b", default: ours)
	$(call step,cluster-load,tests/cluster/cluster-load.sh $(or $(IMAGE),$(IMAGES)))

.PHONY: chart-sync
chart-sync: ## Copy crds/stellarshub.yaml into the chart
	$(call step,chart-sync,charts/sync-crd.sh)

.PHONY: deploy
deploy: ## Build, load and helm-install the operator with a hub; print URL and admin password command
	$(call step,deploy,charts/deploy.sh)

# The tiers, each runnable alone; `make test` runs them all: integration, e2e, browser, faults and
# the bench smoke in two workers side by side (tests/run-system-tests.sh), sharing one cluster.
E2E_COMPOSE := tests/e2e/compose tests/e2e/images tests/e2e/network
E2E_KUBERNETES := tests/e2e/cluster tests/e2e/kubernetes tests/e2e/chart
GUARD := tests/network/egress-guard.sh

.PHONY: test-unit
test-unit: venv ## Unit tests: pure logic, needs nothing but the Python environment
	$(call step,test-unit,$(PYTEST) tests/unit -q)

.PHONY: test-chart
test-chart: venv ## Chart tests: helm lint/template (v3, v4) + kubeconform; builds those tools once
	$(call step,test-chart,$(PYTEST) tests/chart -q)

.PHONY: test-integration
test-integration: venv ## Operator and CRD on a real API server (starts the sealed control plane)
	$(call step,test-integration,STELLARS_CLUSTER_MODE=$${STELLARS_CLUSTER_MODE:-control-plane} $(PYTEST) tests/integration -q)

.PHONY: test-e2e-compose
test-e2e-compose: venv e2e-prerequisites ## Compose platform and images on the real Docker engine
	$(call step,test-e2e-compose,$(PYTEST) $(E2E_COMPOSE) -q)

.PHONY: test-e2e-kubernetes
test-e2e-kubernetes: venv e2e-prerequisites ## Cluster smoke, hub on Kubernetes, chart install (sealed cluster)
	$(call step,test-e2e-kubernetes,$(PYTEST) $(E2E_KUBERNETES) -q)

.PHONY: test-browser
test-browser: venv e2e-prerequisites ## Sign-up and approval in headless Chromium against the Compose stack
	$(call step,test-browser,$(PYTEST) tests/browser -q)

.PHONY: test-faults
test-faults: venv e2e-prerequisites ## Fault suite: labs, sessions and files through faults of the platform's own parts
	$(call step,test-faults,$(PYTEST) tests/faults -q)

.PHONY: e2e-prerequisites
e2e-prerequisites:
	$(call step,test: docker engine,scripts/ensure-docker.sh)
	$(call step,test: images,scripts/build-images.sh)
	$(call step,test: compose stand-ins,compose/standins/ensure-images.sh)

.PHONY: test
test: venv ## Every tier, under the egress guard: fails if any packet left for a disallowed address
	$(call step,test: unit,$(PYTEST) tests/unit -q)
	$(call step,test: egress guard on,$(GUARD) start)
	@rc=0; $(MAKE) --no-print-directory test-guarded || rc=$$?; \
	  echo "==> test: egress guard check"; $(GUARD) check || rc=1; $(GUARD) stop; exit $$rc

.PHONY: test-guarded
test-guarded: e2e-prerequisites
	$(call step,test: chart,$(PYTEST) tests/chart -q)
	$(call step,test: integration + e2e + browser + faults + bench smoke,PYTEST=$(PYTEST) tests/run-system-tests.sh)

.PHONY: bench
bench: venv e2e-prerequisites ## Benchmarks (starts what they need): JSON in bench-results/, table + plot in docs/benchmarks.md
	$(call step,bench,$(PY) -m tests.bench.run --out bench-results --docs docs)

.PHONY: clean
clean: ## Remove build outputs and caches inside the repo (keeps volumes and ~/.cache)
	rm -rf .build .mypy_cache .ruff_cache .pytest_cache bench-results
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
