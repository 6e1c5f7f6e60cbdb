# Netzwerk – the two commands of the README are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
CATALOGUES := $(shell find netzwerk -path '*/translations/*/LC_MESSAGES/messages.po')

.PHONY: run test lint typecheck pytest bench translations install install-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
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

bench: install-test
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
