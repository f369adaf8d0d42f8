SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
# Links in mail point to where `make run` serves, unless PUBLIC_URL says otherwise.
PUBLIC_URL ?= http://127.0.0.1:$(PORT)
WEB_WORKERS ?= 2
PYTEST_ARGS ?=

.PHONY: run reset-demo test install translations chromium lint

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml setup.py | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

translations: install
	$(BIN)/pybabel compile --use-fuzzy -d translations >/dev/null

# Debian's Chromium for the browser tests, and rsync for the backup test's file copy.
chromium:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/rsync ]; then \
		echo "Installing Debian's Chromium and rsync for the tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium rsync >/dev/null; \
	fi

run: translations
	$(BIN)/flask --app dialog db upgrade
	$(BIN)/flask --app dialog seed-demo --if-empty
	@echo
	@echo "Medborgardialog: http://127.0.0.1:$(PORT)"
	@echo "Demo accounts (password demo-password): resident@example.org, planner@example.org, admin@example.org"
	@echo "Ctrl-C stops the web server, the worker and the scheduler."
	@echo
	@trap 'kill 0' INT TERM EXIT; \
	export PUBLIC_URL='$(PUBLIC_URL)' GUNICORN_BIND='127.0.0.1:$(PORT)' GUNICORN_WORKERS='$(WEB_WORKERS)'; \
	$(BIN)/celery -A worker.app worker --beat --loglevel=INFO --concurrency=2 & \
	$(BIN)/gunicorn --config gunicorn.conf.py & \
	wait

# Everything in the database deleted, the schema made anew and the demo loaded (refused
# in production). `make run` then serves it.
reset-demo: translations
	$(BIN)/flask --app dialog reset-demo --yes

test: translations chromium
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
