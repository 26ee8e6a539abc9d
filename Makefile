# The two commands a newcomer needs:
#   make run    install, migrate, load demo data, serve the API, the desk and its WebSockets
#               (uvicorn, config.asgi) + two Celery workers + beat
#   make test   run the test suite (against PostgreSQL and Redis, as CI does)

VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

# Tests run in the production shape; override these to point elsewhere.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/helpdesk
TEST_BROKER_URL ?= redis://127.0.0.1:6379/0
TEST_REDIS_URL ?= redis://127.0.0.1:6379/1

.PHONY: run test lint install bench schema

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	PY=$(PY) bin/run

test: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} \
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-$(TEST_BROKER_URL)} \
	REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	# The apps' layers (pyproject.toml [tool.importlinter]; README "Architecture").
	$(VENV)/bin/lint-imports
	# Models and migrations agree; an in-memory database, so no server (or db file) is needed.
	DATABASE_URL=sqlite:///:memory: $(PY) manage.py makemigrations --check --dry-run

schema: install
	$(PY) manage.py spectacular --validate --fail-on-warn --file var/openapi.yml

bench: install
	$(PY) -m bench $(BENCH_ARGS)
