# Valliance — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-sqlite test-postgres lint bench fuzz install install-dev clean messages catalogs

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[dev]'
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
	$(VENV)/bin/pybabel compile -d $(TRANSLATIONS)

## make run: migrate the embedded SQLite database and serve on http://127.0.0.1:5000
run: install
	$(FLASK) db upgrade
	$(FLASK) demo seed --if-empty
	@echo ""
	@echo "  Valliance is starting on http://$(HOST):$(PORT)"
	@echo "  Health: http://$(HOST):$(PORT)/healthz   API docs: http://$(HOST):$(PORT)/api/v1/docs"
	@echo ""
	$(FLASK) run --host $(HOST) --port $(PORT)

## make test: lint, the whole suite on SQLite, and on PostgreSQL when one is reachable
test: install-dev lint test-sqlite test-postgres

lint: install-dev
	$(PY) -m ruff check valliance tests bench migrations/env.py

test-sqlite: install-dev
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

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .hypothesis
