# werf-prefect: the two commands of the README, and their parts.
.PHONY: demo test lint setup services-down

setup:
	./scripts/setup.sh

# Build the example project with the local stages storage and run the result once.
demo: setup
	./scripts/demo.sh

# The whole test suite against the real Docker engine, registry and Prefect server.
test: setup lint
	.venv/bin/python -m pytest $(PYTEST_ARGS)

# Architecture contracts (import-linter: layers, no Prefect in werf_core), style and static types.
lint: setup
	.venv/bin/lint-imports --no-cache
	.venv/bin/ruff check .
	.venv/bin/mypy

services-down:
	.venv/bin/python scripts/devenv.py down

# Prefect (deployments/README.md): `make prefect-server` in one terminal (UI: http://127.0.0.1:4200), then
# `make prefect-worker` in another: it creates the process work pool, deploys deployments/prefect.yaml and runs a
# worker. `make prefect-webhook` serves the CI webhook receiver (needs WERF_PREFECT_WEBHOOK_SECRET).
PREFECT_PORT ?= 4200
PREFECT_API_URL ?= http://127.0.0.1:$(PREFECT_PORT)/api
WERF_PREFECT_REBUILD_REPOSITORY ?= $(CURDIR)/.werf-dev/demo/hello-app
WERF_PREFECT_REBUILD_REF ?= main
# ci-build-and-publish publishes here unless set (the set-up's registry on 127.0.0.1:5000)
WERF_PREFECT_IMAGES_REPO ?= 127.0.0.1:5000/werf-prefect-demo
PREFECT_ENV = DO_NOT_TRACK=1 PREFECT_SERVER_ANALYTICS_ENABLED=false

.PHONY: prefect-server prefect-worker prefect-webhook
prefect-server: setup
	$(PREFECT_ENV) PREFECT_SERVER_API_HOST=127.0.0.1 PREFECT_SERVER_API_PORT=$(PREFECT_PORT) .venv/bin/prefect server start

prefect-worker: setup
	./scripts/demo-repo.sh >/dev/null
	export $(PREFECT_ENV) PREFECT_API_URL=$(PREFECT_API_URL) WERF_PREFECT_ROOT=$(CURDIR) PATH=$(CURDIR)/.venv/bin:$$PATH \
	  WERF_PREFECT_REBUILD_REPOSITORY=$(WERF_PREFECT_REBUILD_REPOSITORY) WERF_PREFECT_REBUILD_REF=$(WERF_PREFECT_REBUILD_REF) \
	  WERF_PREFECT_IMAGES_REPO=$(WERF_PREFECT_IMAGES_REPO); \
	.venv/bin/prefect work-pool inspect werf-builders >/dev/null 2>&1 || \
	  .venv/bin/prefect work-pool create werf-builders --type process; \
	.venv/bin/prefect --no-prompt deploy --all --prefect-file deployments/prefect.yaml && \
	exec .venv/bin/prefect worker start --pool werf-builders

prefect-webhook: setup
	./scripts/demo-repo.sh >/dev/null
	$(PREFECT_ENV) PREFECT_API_URL=$(PREFECT_API_URL) \
	  WERF_PREFECT_WEBHOOK_LOCAL_ROOTS=$${WERF_PREFECT_WEBHOOK_LOCAL_ROOTS:-$(CURDIR)/.werf-dev/demo} \
	  .venv/bin/python -m deployments.webhook
