# Netzwerk – the two commands of the README are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
CATALOGUES := $(shell find netzwerk -path '*/translations/*/LC_MESSAGES/messages.po')

.PHONY: run test test-dates test-machine-clock lint typecheck pytest bench translations install install-test clean

# The packages go in with uv (from PyPI, into the venv): it installs the
# project in seconds where pip takes over a minute on a fresh machine.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv

UV_INSTALL := VIRTUAL_ENV=$(VENV) $(BIN)/uv pip install --quiet

$(STAMP): pyproject.toml | $(BIN)/python
	$(UV_INSTALL) -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(UV_INSTALL) -e '.[test]'
	touch $(STAMP) $@

install: $(STAMP) translations
install-test: $(TEST_STAMP) translations

# Compile every catalogue (netzwerk/translations and netzwerk/*/translations)
# whose .po is newer than its .mo: a second make leaves compiled catalogues
# alone (CI runs the suite on PostgreSQL beside `make test`).
translations: $(CATALOGUES:.po=.mo)

%.mo: %.po | $(BIN)/python
	@$(BIN)/pybabel compile -i "$<" -o "$@" >/dev/null

run: install
	@mkdir -p instance
	NETZWERK_DEMO=1 $(FLASK) db upgrade
	NETZWERK_DEMO=1 $(FLASK) netzwerk demo
	NETZWERK_DEMO=1 $(FLASK) netzwerk search reindex --if-empty
	@echo
	@echo "Netzwerk runs on http://127.0.0.1:5000"
	@NETZWERK_DEMO=1 $(FLASK) netzwerk demo-logins
	@echo
	@NETZWERK_DEMO=1 $(FLASK) netzwerk scheduler & scheduler=$$!; \
	  trap 'kill $$scheduler 2>/dev/null' EXIT INT TERM; \
	  NETZWERK_DEMO=1 $(FLASK) run --host 127.0.0.1 --port 5000

lint: install-test
	$(BIN)/ruff check netzwerk tests bench migrations wsgi.py
	$(BIN)/ruff format --check netzwerk tests bench wsgi.py

typecheck: install-test
	$(BIN)/mypy netzwerk

pytest: install-test
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

# The date leg: only the tests marked `calendar`, each at every instant of
# tests/conftest.py's CALENDAR_INSTANTS (they run so in `make test` as well).
test-dates: install-test
	$(BIN)/pytest -m calendar $(PYTEST_ARGS)

# The whole suite with the machine's clock set (libfaketime, Debian package
# `faketime`, -m for the live server's threads) to each of the calendar
# instants, given in UTC: New Year's Eve 23:30 and 00:30 in Berlin,
# 29 February, the nights daylight saving time starts and ends in Berlin. The tests freeze their own clock; this proves that nothing (a
# browser, a subprocess) still reads the machine's.
MACHINE_INSTANTS := 2026-12-31T22:30:00 2026-12-31T23:30:00 2028-02-29T11:00:00 2027-03-28T00:30:00 2026-10-25T01:30:00
test-machine-clock: install-test
	@for instant in $(MACHINE_INSTANTS); do \
	  echo "== machine clock at $$instant UTC"; \
	  TZ=UTC faketime -m -f "@$${instant/T/ }" $(BIN)/pytest -p no:cacheprovider -q $(PYTEST_ARGS) || exit 1; \
	done

bench: install-test
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
