# werf-prefect: the two commands of the README, and their parts.
.PHONY: demo test setup services-down

setup:
	./scripts/setup.sh

# Build the example project with the local stages storage and run the result once.
demo: setup
	./scripts/demo.sh

# The whole test suite against the real Docker engine, registry and Prefect server.
test: setup
	.venv/bin/python -m pytest $(PYTEST_ARGS)

services-down:
	.venv/bin/python scripts/devenv.py down
