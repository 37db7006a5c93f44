# One command runs the portal, one runs the tests. Both create .venv with the pinned requirements.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements-installed
# The suite runs whole on SQLite, then on PostgreSQL what the database engine can change (tests/conftest.py).
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test
# pytest-xdist workers per pass: each has its own test database and Redis database.
TEST_WORKERS ?= 2
PYTEST_PARALLEL := -n $(TEST_WORKERS) --dist worksteal
PORT ?= 8000

.PHONY: run test test-fast lint audit test-sqlite test-postgres browser bench bench-latency bench-load bench-dashboard clean

$(STAMP): requirements.txt requirements-audit.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-audit.txt
	touch $(STAMP)

# The portal with its django-q2 scheduler, on SQLite and the ORM broker, with the sandboxes on.
run: $(STAMP)
	DEBUG=true SANDBOX_ENABLED=true $(BIN)/python manage.py run_portal --port $(PORT)

# Prints the time it took, also when a step fails.
test:
	@start=$$(date +%s); $(MAKE) --no-print-directory lint audit test-sqlite test-postgres; status=$$?; \
	echo "make test took $$(( $$(date +%s) - start )) s"; exit $$status

# The edit-run loop: SQLite only, without the browser and the multi-process tests (make test runs them).
test-fast: $(STAMP)
	@start=$$(date +%s); $(BIN)/pytest $(PYTEST_PARALLEL) -m "not browser and not postgres and not slow"; \
	status=$$?; echo "make test-fast took $$(( $$(date +%s) - start )) s"; exit $$status

# First: ruff on the whole tree, tests included (its settings are in pyproject.toml).
lint: $(STAMP)
	$(BIN)/ruff check .

# Then: fail on a pin with a known vulnerability (PyPI's advisory data; nothing else leaves the machine).
audit: $(STAMP)
	$(BIN)/pip-audit --no-deps --disable-pip -r requirements.txt -r requirements-audit.txt

# Debian's Chromium for the browser tests (tests/browser): Playwright drives it and never downloads a browser.
browser:
	@test -x /usr/bin/chromium || { \
	  sudo=$$(test "$$(id -u)" = 0 || echo sudo); \
	  $$sudo apt-get update && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y chromium chromium-driver; }

test-sqlite: $(STAMP) browser
	$(BIN)/pytest $(PYTEST_PARALLEL)

test-postgres: $(STAMP) browser
	DATABASE_URL=$(TEST_POSTGRES_URL) $(BIN)/pytest $(PYTEST_PARALLEL) --engine-sensitive-only

# The export benchmark (issue 5) on a throwaway SQLite file, never data/portal.sqlite3; BENCH_ARGS="--clients 2".
bench: $(STAMP)
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	DEBUG=true SANDBOX_ENABLED=true DATABASE_URL="sqlite:///$$tmp/bench.sqlite3" \
	$(BIN)/python manage.py bench_exports $(BENCH_ARGS)

# The latency benchmark: Pleo export job created to completed, with the webhook and with the poll alone, through a
# web server and one qcluster on a throwaway SQLite file (about 3 minutes); BENCH_ARGS="--clients 1 --skip-poll".
bench-latency: $(STAMP)
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	DEBUG=true SANDBOX_ENABLED=true DATABASE_URL="sqlite:///$$tmp/bench.sqlite3" \
	$(BIN)/python manage.py bench_latency $(BENCH_ARGS)

# The load benchmark (issue 7): N qcluster processes on PostgreSQL and Redis db 12, in a database it creates and
# drops (createdb fails, and nothing is dropped, if BENCH_LOAD_DB exists); BENCH_LOAD_ARGS="--clients 20 --minutes 2".
BENCH_LOAD_DB ?= portal_bench_load
BENCH_LOAD_POSTGRES ?= postgres://postgres@127.0.0.1:5432
bench-load: $(STAMP)
	createdb --maintenance-db=$(BENCH_LOAD_POSTGRES)/postgres $(BENCH_LOAD_DB) && \
	trap 'dropdb --maintenance-db=$(BENCH_LOAD_POSTGRES)/postgres $(BENCH_LOAD_DB)' EXIT && \
	DEBUG=true SANDBOX_ENABLED=true DATABASE_URL=$(BENCH_LOAD_POSTGRES)/$(BENCH_LOAD_DB) \
	REDIS_URL=redis://127.0.0.1:6379/12 $(BIN)/python manage.py bench_load $(BENCH_LOAD_ARGS)

# The dashboard benchmark (issue 6): 500 clients and 1,000,000 export records in a PostgreSQL database it creates
# and drops (createdb fails, and nothing is dropped, if BENCH_DASHBOARD_DB exists); BENCH_DASHBOARD_ARGS="--clients 50".
# SANDBOX_ENABLED though no stand-in answers here: the benchmarks are commands of the sandbox app, installed only then.
BENCH_DASHBOARD_DB ?= bench_dashboard
bench-dashboard: $(STAMP)
	createdb --maintenance-db=$(BENCH_LOAD_POSTGRES)/postgres $(BENCH_DASHBOARD_DB) && \
	trap 'dropdb --maintenance-db=$(BENCH_LOAD_POSTGRES)/postgres $(BENCH_DASHBOARD_DB)' EXIT && \
	DEBUG=true SANDBOX_ENABLED=true DATABASE_URL=$(BENCH_LOAD_POSTGRES)/$(BENCH_DASHBOARD_DB) \
	$(BIN)/python manage.py bench_dashboard $(BENCH_DASHBOARD_ARGS)

clean:
	rm -rf $(VENV) data
