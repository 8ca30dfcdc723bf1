# Slotwise: `make run` serves the demo on the embedded stores; `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
WORKERS ?= 2
THREADS ?= 8
PG_URL ?= postgres://postgres@127.0.0.1:5432
# What production runs (the image installs only this), and that plus the dev tools, pinned alike.
RUNTIME_LOCK := requirements.lock
DEV_LOCK := tests/requirements-dev.lock
PIP_COMPILE := $(VENV)/bin/pip-compile -q --strip-extras --no-emit-find-links --no-emit-index-url
export DJANGO_SETTINGS_MODULE := booking.settings

.PHONY: install lock run test test-unit test-sqlite test-postgres test-load-smoke lint code-scan secret-scan audit bench load load-compare load-idle chromium clean

install: $(VENV)/.installed

# niquests' urllib3-future is built from source with URLLIB3_NO_OVERRIDE: its wheel replaces
# urllib3 itself at every interpreter start, so requests would run on the fork, not on urllib3.
PIP_INSTALL := URLLIB3_NO_OVERRIDE=1 $(PY) -m pip install --quiet --disable-pip-version-check --no-binary urllib3-future

$(VENV)/.installed: $(RUNTIME_LOCK) $(DEV_LOCK) pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -r $(RUNTIME_LOCK) -r $(DEV_LOCK)
	touch $@

# Re-pins both locks after a change to pyproject.toml's dependencies: the dev lock is
# constrained to the runtime pins, so tests run the versions production runs.
lock: install
	$(PY) -m pip install --quiet --disable-pip-version-check pip-tools==7.6.2
	$(PIP_COMPILE) -o $(RUNTIME_LOCK) pyproject.toml
	$(PIP_COMPILE) --extra dev -c $(RUNTIME_LOCK) -o $(DEV_LOCK) pyproject.toml

run: install
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py seed_demo --port $(PORT)
	SLOTWISE_GRAPHQL_INTROSPECTION=$${SLOTWISE_GRAPHQL_INTROSPECTION:-1} \
		exec $(PY) manage.py serve --port $(PORT) --workers $(WORKERS) --threads $(THREADS)

test: install test-unit test-sqlite test-postgres test-load-smoke

test-unit: install
	SLOTWISE_VAR_DIR=var/test-unit $(PY) -m pytest tests/unit -q

# The integration suite runs twice: on the embedded SQLite stores and on the local PostgreSQL.
test-sqlite: install
	rm -rf var/test-sqlite
	SLOTWISE_VAR_DIR=var/test-sqlite DATABASE_URL= $(PY) -m pytest tests/integration -q

test-postgres: install
	DATABASE_URL=$(PG_URL)/slotwise_ci $(PY) -m pytest tests/integration -q --create-db

# The load suite's tripwire: the whole production-like stack under a small spike for a minute,
# loose thresholds, every correctness check (tests/load/run.py). Not a benchmark: `make load` is.
test-load-smoke: install
	$(PY) tests/load/run.py --smoke --pg-url $(PG_URL)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy booking projections providers
	$(VENV)/bin/lint-imports
	$(MAKE) --no-print-directory code-scan secret-scan audit

# No security finding in what the image ships (bandit at every severity and confidence): each
# exception is justified on its line, `# nosec B<id>  # - <reason>` (docs/security.md).
CODE_SCAN_PATHS := booking projections providers manage.py
code-scan: install
	$(VENV)/bin/bandit -q -r $(CODE_SCAN_PATHS)
	@echo "code-scan: no security findings in $(CODE_SCAN_PATHS)"

# No secret in the tracked tree beyond the audited false positives of .secrets.baseline.
secret-scan: install
	$(PY) .ci/secrets.py

# Known vulnerabilities in what production runs. Where the vulnerability service cannot be
# reached it says so ("dependencies NOT audited") and passes; AUDIT_STRICT=1 makes that fail
# (docs/security.md).
AUDIT_STRICT ?=
audit: install
	AUDIT_STRICT=$(AUDIT_STRICT) $(PY) .ci/audit.py $(RUNTIME_LOCK)

bench: install
	$(PY) tests/bench/create_booking.py --pg-url $(PG_URL)
	$(PY) tests/bench/read_side.py --pg-url $(PG_URL)
	$(PY) tests/bench/graphql_vs_rest.py --pg-url $(PG_URL)
	$(PY) tests/bench/provider_sync.py --pg-url $(PG_URL)

# The load suite (docs/benchmarks.md): the production-like stack (PostgreSQL, Redis broker and
# state, gunicorn, projectors, dispatcher, Celery worker and beat) under the spike shape of
# tests/load/spike.js; writes var/load/<stamp>/summary.json and report.html. load-compare then
# runs the same shape against the plain CRUD yardstick and prints the ratios; load-idle measures
# the idle stacks (embedded and production-like): CPU share and memory per process.
RATE ?= 10
HOLD ?= 45s
load: install chromium
	$(PY) tests/load/run.py --rate $(RATE) --hold $(HOLD) --pg-url $(PG_URL)

load-compare: install chromium
	$(PY) tests/load/run.py --rate $(RATE) --hold $(HOLD) --pg-url $(PG_URL) --compare

# Debian's Chromium renders the load reports' charts to PNG (and drives the browser tests).
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends
chromium:
	@command -v chromium >/dev/null || { test "$$(id -u)" = 0 && \
		{ $(APT_INSTALL) chromium || { apt-get update -qq && $(APT_INSTALL) chromium; }; }; } || \
		echo "chromium: not installed and not root; the load reports stay HTML only"

load-idle: install
	$(PY) tests/load/run.py --idle-only --embedded --idle 60
	$(PY) tests/load/run.py --idle-only --idle 60 --pg-url $(PG_URL)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
