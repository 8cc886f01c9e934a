"""The queue and business gauges /metrics reads at scrape time, and their cache."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from analytics.services.alerts import alert_rule_create
from analytics.services.exports import export_request
from executions.choices import ExecutionStatus
from executions.models import Execution
from synapscale.monitoring.gauges import COLLECTOR
from tests.analytics.factories import ingest_events, make_execution, make_workflow
from tests.monitoring.scraping import parse_samples, value

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_gauges():
    COLLECTOR.forget()
    yield
    COLLECTOR.forget()


@pytest.fixture
def empty_queues():
    from config.celery_app import app

    app.control.purge()
    yield app
    app.control.purge()


def scrape(client) -> dict:
    response = client.get("/metrics")
    assert response.status_code == 200
    return parse_samples(response.content.decode())


def test_executions_not_finished_are_counted_by_status_with_the_oldest_queued_age(
    client, workspace
):
    workflow = make_workflow(workspace)
    for status in (ExecutionStatus.QUEUED, ExecutionStatus.QUEUED, ExecutionStatus.RUNNING):
        make_execution(workflow, status=status)
    make_execution(workflow, status=ExecutionStatus.SUCCEEDED, finished_at=timezone.now())
    Execution.objects.filter(status=ExecutionStatus.QUEUED).update(
        queued_at=timezone.now() - timedelta(minutes=5)
    )

    samples = scrape(client)

    assert value(samples, "synapscale_executions", status="queued") == 2
    assert value(samples, "synapscale_executions", status="running") == 1
    assert value(samples, "synapscale_executions", status="pending") == 0
    assert value(samples, "synapscale_executions", status="succeeded") is None
    assert 299 < value(samples, "synapscale_executions_oldest_queued_age_seconds") < 330
    assert value(samples, "synapscale_gauge_reader_up", reader="executions") == 1


def test_analytics_gauges_count_alert_rules_exports_and_the_newest_rollup_minute(
    client, workspace, user
):
    alert_rule_create(
        workspace=workspace, owner=user, name="q", metric="queue_depth", condition="gt", threshold=5
    )
    membership = user.memberships.get(workspace=workspace)
    export_request(workspace=workspace, user=user, membership=membership, source="events")
    now = timezone.now()
    assert ingest_events(workspace, [{"event_type": "click", "distinct_id": "p1"}]).accepted == 1

    samples = scrape(client)

    assert value(samples, "synapscale_analytics_alert_rules", state="ok") == 1
    assert value(samples, "synapscale_analytics_alert_rules", state="firing") == 0
    assert value(samples, "synapscale_analytics_exports_waiting", status="queued") == 1
    assert value(samples, "synapscale_analytics_report_runs_waiting", status="queued") == 0
    newest = value(samples, "synapscale_analytics_rollup_newest_minute_timestamp_seconds")
    assert now.timestamp() - 61 < newest <= now.timestamp() + 1


def test_broker_queues_report_depth_and_the_oldest_message_age(client, empty_queues):
    empty_queues.send_task("tests.monitoring.succeed", args=[1], queue="high")
    empty_queues.send_task("tests.monitoring.succeed", args=[2], queue="high")

    samples = scrape(client)

    assert value(samples, "synapscale_broker_queue_messages", queue="high") == 2
    assert value(samples, "synapscale_broker_queue_messages", queue="default") == 0
    assert (
        0 <= value(samples, "synapscale_broker_queue_oldest_message_age_seconds", queue="high") < 30
    )
    assert (
        value(samples, "synapscale_broker_queue_oldest_message_age_seconds", queue="default") == 0
    )


def test_a_broker_that_does_not_answer_marks_its_reader_down_and_the_rest_still_serve(
    client, settings
):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.HEALTH_CHECK_TIMEOUT_SECONDS = 0.2

    samples = scrape(client)

    assert value(samples, "synapscale_gauge_reader_up", reader="broker") == 0
    assert value(samples, "synapscale_gauge_reader_up", reader="executions") == 1
    assert value(samples, "synapscale_broker_queue_messages", queue="high") is None


def test_gauges_are_read_once_per_cache_period(client, workspace, settings):
    settings.METRICS_GAUGES_CACHE_SECONDS = 60
    workflow = make_workflow(workspace)
    make_execution(workflow, status=ExecutionStatus.QUEUED)
    first = scrape(client)
    make_execution(workflow, status=ExecutionStatus.QUEUED)

    second = scrape(client)
    COLLECTOR.forget()
    third = scrape(client)

    assert value(first, "synapscale_executions", status="queued") == 1
    assert value(second, "synapscale_executions", status="queued") == 1
    assert value(third, "synapscale_executions", status="queued") == 2


def test_database_connections_are_reported_with_the_server_limit(client):
    samples = scrape(client)

    assert value(samples, "synapscale_database_connections") >= 1
    assert value(samples, "synapscale_database_max_connections") >= 10


def test_gauges_cost_a_bounded_number_of_queries(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        scrape(client)


@pytest.mark.shared_servers
def test_rabbitmq_queues_report_their_depth_but_no_oldest_age(client, settings):
    from kombu import Connection

    from config.celery_app import app

    settings.CELERY_BROKER_URL = "amqp://guest:guest@127.0.0.1:5672//"
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
        for queue in app.conf.task_queues:
            queue.bind(conn.default_channel).declare()

    samples = scrape(client)

    assert value(samples, "synapscale_gauge_reader_up", reader="broker") == 1
    for queue in ("default", "high"):
        depth = value(samples, "synapscale_broker_queue_messages", queue=queue)
        age = value(samples, "synapscale_broker_queue_oldest_message_age_seconds", queue=queue)
        # RabbitMQ does not tell a message's age: only an empty queue has one (0).
        assert (depth, age) == (0, 0) if depth == 0 else age is None


def test_under_gunicorn_the_metrics_are_the_sum_of_the_worker_processes_files(
    client, tmp_path, monkeypatch
):
    from prometheus_client import values

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    for pid in (4001, 4002):  # two gunicorn workers' files
        counter = values.MultiProcessValue(lambda pid=pid: pid)(
            "counter", "synapscale_demo_total", "synapscale_demo_total", (), (), "demo"
        )
        counter.inc(2)

    samples = scrape(client)

    assert value(samples, "synapscale_demo_total") == 4
    assert value(samples, "synapscale_gauge_reader_up", reader="executions") == 1
