# Valliance — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
#: every package installed, transitive ones too, pinned (make constraints writes it)
CONSTRAINTS := constraints.txt
#: test lanes run at once (SQLite and PostgreSQL) when there are this many CPUs
CPUS ?= $(shell nproc 2>/dev/null || echo 1)

.PHONY: run test test-lanes test-sqlite test-postgres test-replica lint bench fuzz install install-dev \
	constraints clean messages catalogs

$(VENV)/.installed: pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c $(CONSTRAINTS) -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PY) -m pip install -q -c $(CONSTRAINTS) -e '.[dev]'
	touch $@

install: $(VENV)/.installed catalogs
install-dev: $(VENV)/.installed-dev catalogs

## make messages: extract every message (Python and templates) and update each language's .po
## (message ids are the Chinese text: valliance/translations/en is the English translation)
TRANSLATIONS := valliance/translations
BABEL_KEYWORDS := -k bilingual -k pbilingual:1c,2 -k N_ctx:1c,2 -k _l -k lazy_gettext
messages: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --no-location --sort-output \
		-w 0 -o $(TRANSLATIONS)/messages.pot .
	$(VENV)/bin/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) \
		--no-fuzzy-matching --ignore-obsolete -w 0

## make catalogs: compile the .po files into the .mo files the app reads (not committed)
catalogs: $(VENV)/.installed
	$(PY) -c "from valliance.i18n import compile_catalogs; compile_catalogs(force=True)"

## make run: migrate the embedded SQLite database and serve on http://127.0.0.1:5000; with
## REDIS_URL set, an RQ worker (flask jobs worker) runs beside the server and Ctrl-C stops both;
## without it the web process runs the background jobs itself (docs/jobs.md)
run: install
	$(FLASK) db upgrade
	$(FLASK) demo seed --if-empty
	@echo ""
	@echo "  Valliance is starting on http://$(HOST):$(PORT)"
	@echo "  Health: http://$(HOST):$(PORT)/healthz   API docs: http://$(HOST):$(PORT)/api/v1/docs"
	@if [ -n "$$REDIS_URL" ]; then echo "  Jobs: an RQ worker on REDIS_URL (flask jobs worker)"; \
	else echo "  Jobs: run by the web process (no REDIS_URL)"; fi
	@echo ""
	@if [ -n "$$REDIS_URL" ]; then \
		$(FLASK) jobs worker & worker=$$!; \
		trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
		trap 'exit 130' INT TERM; \
		$(FLASK) run --host $(HOST) --port $(PORT); \
	else \
		$(FLASK) run --host $(HOST) --port $(PORT); \
	fi

## make test: lint, the whole suite on SQLite, and on PostgreSQL when one is reachable; with
## 2+ CPUs the two lanes run at once, each lane's output printed whole when it ends
test: install-dev lint
	@if [ "$(CPUS)" -ge 2 ]; then \
		$(MAKE) --no-print-directory -j2 --output-sync=target test-lanes; \
	else \
		$(MAKE) --no-print-directory test-lanes; \
	fi

test-lanes: test-sqlite test-postgres

lint: install-dev
	$(PY) -m ruff check valliance tests bench migrations/env.py

test-sqlite: install-dev
	@echo "== SQLite"
	$(PY) -m pytest

test-postgres: install-dev
	@url=$$($(PY) -m tests.databases 2>/dev/null); \
	if [ -n "$$url" ]; then \
		echo "== PostgreSQL: $$url"; \
		VALLIANCE_TEST_DATABASE_URL=$$url $(PY) -m pytest; \
	elif [ "$(REQUIRE_POSTGRES)" = "1" ]; then \
		echo "PostgreSQL is required (REQUIRE_POSTGRES=1) but none answers at 127.0.0.1:5432"; exit 1; \
	else \
		echo "== PostgreSQL not reachable: skipped (set REQUIRE_POSTGRES=1 to fail instead)"; \
	fi
	@$(MAKE) --no-print-directory test-replica

## make test-replica: the searches, dashboards and reports read from a streaming replica — a
## throwaway primary and its synchronous replica (tests/clusters.py: Debian's pg_createcluster
## and pg_basebackup, as root), dropped afterwards; skipped where they cannot be built, unless
## REQUIRE_POSTGRES=1 (the pair is dropped however the run ends)
REPLICA_TESTS := tests/api/test_read_replica.py tests/api/test_directory_offers_api.py \
	tests/integration/test_directory_search.py tests/api/test_backoffice_dashboard.py \
	tests/api/test_merchant_portal.py tests/api/test_desk_report_pages.py \
	tests/integration/test_winback_report.py tests/api/test_settlement_pages.py
test-replica: install-dev
	@trap '$(PY) -m tests.clusters drop >/dev/null 2>&1 || true' EXIT; \
	trap 'exit 130' INT TERM; \
	pair=$$($(PY) -m tests.clusters replica); \
	if [ -n "$$pair" ]; then \
		set -- $$pair; echo "== PostgreSQL with a read replica: $$1 → $$2"; \
		VALLIANCE_TEST_DATABASE_URL=$$1 VALLIANCE_TEST_REPLICA_URL=$$2 \
			$(PY) -m pytest -q $(REPLICA_TESTS); \
	elif [ "$(REQUIRE_POSTGRES)" = "1" ]; then \
		echo "a replica pair is required (REQUIRE_POSTGRES=1) but could not be built"; exit 1; \
	else \
		echo "== no replica pair (needs root and Debian's pg_createcluster): skipped"; \
	fi

## make fuzz: schemathesis against every API operation, FUZZ_EXAMPLES (default 500) valid and
## as many invalid requests per operation, on SQLite and on PostgreSQL when one answers
FUZZ_EXAMPLES ?= 500
fuzz: install-dev
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -q tests/api/test_fuzz.py
	@url=$$($(PY) -m tests.databases 2>/dev/null); \
	if [ -n "$$url" ]; then \
		FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) VALLIANCE_TEST_DATABASE_URL=$$url $(PY) -m pytest -q tests/api/test_fuzz.py; \
	fi

## make bench: benchmarks that print figures (PostgreSQL required)
bench: install-dev
	$(PY) -m bench.ledger_bench

## make constraints: resolve pyproject.toml's pins afresh in a throwaway venv and write every
## package it installed (run and dev, transitive ones too) to constraints.txt
constraints:
	rm -rf .venv-constraints
	$(PYTHON) -m venv .venv-constraints
	.venv-constraints/bin/python -m pip install -q --upgrade pip
	.venv-constraints/bin/python -m pip install -q -e '.[dev]'
	{ echo "# Every package make installs, transitive ones too, pinned (pip install -c $(CONSTRAINTS))."; \
	  echo "# Generated by \`make constraints\` from a fresh venv: edit pyproject.toml, then run it."; \
	  .venv-constraints/bin/python -m pip freeze --exclude-editable; } > $(CONSTRAINTS)
	rm -rf .venv-constraints

clean:
	rm -rf $(VENV) .venv-constraints instance .pytest_cache .ruff_cache .hypothesis
