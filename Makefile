# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT
# The queues a worker consumes (docs/operations.md, "Queues and workers"): all four by
# default; `make worker QUEUES=analytics AUTOSCALE=8,2` runs an analytics-only worker whose
# pool grows to 8 processes under load and shrinks back to 2.
QUEUES ?= default,high,analytics,maintenance
AUTOSCALE ?=

.PHONY: run test test-rabbitmq install lint monitoring-check mutation worker beat migrate seed clean-data

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when a requirements file changed.
$(VENV)/.installed: requirements/base.txt requirements/dev.txt requirements/prod.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py sync_schedules

# Web (hot reload), Celery worker and Celery beat together; Ctrl-C stops all three.
run: seed
	@echo "SynapScale on http://127.0.0.1:$(PORT)/  (API docs /api/docs/, admin /admin/)"
	@trap 'kill 0' INT TERM EXIT; \
	$(BIN)/celery -A config worker --loglevel=INFO --queues=$(QUEUES) --concurrency=2 & \
	$(BIN)/celery -A config beat --loglevel=INFO & \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

worker: install
	$(BIN)/celery -A config worker --loglevel=INFO --queues=$(QUEUES) $(if $(AUTOSCALE),--autoscale=$(AUTOSCALE))

beat: install
	$(BIN)/celery -A config beat --loglevel=INFO

# The whole suite with coverage; prints the per-file table and the TOTAL line.
test: install
	$(BIN)/pytest --cov --cov-report=term-missing:skip-covered $(PYTEST_ARGS)

# The tests that run real workers again, with RabbitMQ as the broker (CI runs both).
RABBITMQ_URL ?= amqp://guest:guest@127.0.0.1:5672//
test-rabbitmq: install
	@# The chaos tests that involve the broker (a PostgreSQL restart does not: make test has it).
	CELERY_BROKER_URL=$(RABBITMQ_URL) $(BIN)/pytest tests/chaos/test_worker_death.py \
		tests/chaos/test_outages.py tests/executions/test_engine_worker.py \
		tests/executions/test_worker_redelivery.py tests/synapscale/test_dispatch_policy.py $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	@# Reads the migration files only; the URLs keep the settings from starting embedded servers.
	DATABASE_URL=$${DATABASE_URL:-postgres://unused@127.0.0.1:1/unused} \
		REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:1/0} \
		$(BIN)/python manage.py check_migrations --settings=config.settings.test

# Mutation score per core pure module (mutmut, niced, one module at a time; docs/quality.md).
mutation: install
	$(BIN)/python scripts/mutation_report.py $(MUTATION_ARGS)

# promtool: the Prometheus config, the alert rules and their unit tests (monitoring/).
monitoring-check:
	scripts/check_monitoring.sh

# Stops the embedded servers and deletes their data.
clean-data:
	-$(BIN)/python -c "from synapscale.embedded import stop_embedded, default_data_dir; stop_embedded(default_data_dir())"
	rm -rf .data
