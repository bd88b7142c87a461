# Two commands: `make run` and `make test`. Everything else is here to serve them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
RUN_STAMP := $(VENV)/.run-$(shell cat requirements/base.txt | sha1sum | cut -c1-12)
TEST_STAMP := $(VENV)/.test-$(shell cat requirements/base.txt requirements/test.txt | sha1sum | cut -c1-12)

.PHONY: run test lint check-migrations messages serve-stack clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(RUN_STAMP): requirements/base.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements/base.txt
	touch $@

$(TEST_STAMP): requirements/base.txt requirements/test.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements/test.txt
	touch $@

## make run: set everything up on SQLite and serve admin + API on http://$(HOST):$(PORT)/ with a Celery worker
## that runs the scheduled jobs (no Redis needed; set DATABASE_URL / REDIS_URL to use PostgreSQL / Redis).
run: $(RUN_STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_reference
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py recompute_impact
	$(BIN)/python manage.py ensure_local_admin --base-url http://$(HOST):$(PORT)
	@echo "Starting the Celery worker (with beat) and the web server; Ctrl-C stops both."
	@trap 'kill 0' INT TERM EXIT; \
	DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-config.settings.local} \
	  $(BIN)/celery -A config worker --beat --pool=solo --loglevel=warning & \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

## make test: lint, migration check and the whole test suite (PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set),
## on every core (TEST_WORKERS=0 runs it in one process); an idle worker takes tests queued for a busy one. The lint
## and the migration check run beside the suite (they take seconds and a fraction of a core); any failure fails it.
TEST_WORKERS ?= auto
test: $(TEST_STAMP)
	@$(MAKE) --no-print-directory -j3 lint check-migrations suite

.PHONY: suite
suite: $(TEST_STAMP)
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

check-migrations: $(TEST_STAMP)
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py makemigrations --check --dry-run

## make messages: refresh the translation catalogues after changing user-facing strings.
messages: $(TEST_STAMP)
	$(BIN)/python manage.py makemessages -l zh_Hans -l en --no-obsolete --ignore=.venv --ignore=var
	$(BIN)/python manage.py compilemessages --ignore=.venv

## make fuzz: the API fuzz test of `make test` at FUZZ_EXAMPLES generated requests per operation (default 1000),
## with schemathesis's coverage phase, and the property tests at their full number of examples; takes a while.
FUZZ_EXAMPLES ?= 1000
.PHONY: fuzz
fuzz: $(TEST_STAMP)
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) PROPERTY_EXAMPLES=1000 $(BIN)/pytest tests/test_api_fuzz.py tests/funds/test_reward_rules.py \
	  tests/stats/test_properties.py --timeout=3600 $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var
