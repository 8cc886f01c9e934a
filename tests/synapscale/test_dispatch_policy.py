"""The dispatch policy: a broker that is down never fails the request; the sweeper sends later."""

from __future__ import annotations

import socket
import time

import pytest

from analytics.choices import ExportStatus, RunStatus
from analytics.models import Export, ReportRun
from executions.choices import ExecutionStatus
from executions.models import Execution
from synapscale.task_policy import sweep_unsent_jobs
from tests.celery_broker import point_celery_at
from tests.executions.factories import WorkflowFactory
from tests.executions.helpers import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

REPORT_QUERY = {
    "source": "events",
    "metric": "count",
    "group_by": "event_type",
    "date_range": "last_7_days",
}


def _broker_url_at(port: int) -> str:
    """The configured broker's kind (Redis or RabbitMQ), at a port of the test's choosing."""
    from config.celery_app import app

    if app.conf.broker_url.startswith("amqp"):
        return f"amqp://guest:guest@127.0.0.1:{port}//"
    return f"redis://127.0.0.1:{port}/0"


@pytest.fixture
def broker_down():
    """The broker refuses connections (the process is gone) for the test's requests."""
    original = point_celery_at(_broker_url_at(1))
    yield
    point_celery_at(original)


@pytest.fixture
def broker_hung():
    """A broker host that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    original = point_celery_at(_broker_url_at(listener.getsockname()[1]))
    yield
    point_celery_at(original)
    listener.close()


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_with_the_broker_down_requests_answer_at_once_and_the_jobs_stay_queued(
    api_client, workspace, user, broker_down
):
    workflow = WorkflowFactory(workspace=workspace, created_by=user)
    run, run_seconds = timed(lambda: api_client.post(f"/api/v1/workflows/{workflow.id}/run/", {}))
    export, export_seconds = timed(
        lambda: api_client.post("/api/v1/analytics/exports/", {"source": "events"})
    )
    report = api_client.post(
        "/api/v1/analytics/reports/", {"name": "r", "query": REPORT_QUERY}, format="json"
    )
    report_run, report_seconds = timed(
        lambda: api_client.post(f"/api/v1/analytics/reports/{report.json()['id']}/run/")
    )
    assert (run.status_code, export.status_code, report_run.status_code) == (202, 202, 202)
    assert max(run_seconds, export_seconds, report_seconds) < 1.0
    # Nothing lost: each job's row is there, waiting for the sweeper.
    assert Execution.objects.get(pk=run.json()["id"]).status == ExecutionStatus.PENDING
    assert Export.objects.get().status == ExportStatus.QUEUED
    assert ReportRun.objects.get().status == RunStatus.QUEUED


def test_a_hung_broker_holds_the_request_only_for_the_socket_timeout(
    api_client, settings, broker_hung
):
    response, seconds = timed(
        lambda: api_client.post("/api/v1/analytics/exports/", {"source": "events"})
    )
    assert response.status_code == 202
    budget = settings.CELERY_BROKER_TRANSPORT_OPTIONS["socket_timeout"]
    assert seconds < 2 * budget + 1  # one retry at most, then the row waits for the sweeper


def test_the_sweeper_sends_what_the_broker_missed_and_the_jobs_run(
    api_client, settings, celery_worker
):
    from config.celery_app import app

    original = point_celery_at("redis://127.0.0.1:1/0")
    try:
        export = api_client.post("/api/v1/analytics/exports/", {"source": "events"}).json()
        report = api_client.post(
            "/api/v1/analytics/reports/", {"name": "r", "query": REPORT_QUERY}, format="json"
        ).json()
        api_client.post(f"/api/v1/analytics/reports/{report['id']}/run/")
        assert sweep_unsent_jobs()["export"] == 0  # still down, and too recent anyway
    finally:
        point_celery_at(original)
    assert app.conf.broker_url == original
    settings.JOBS_RESEND_AFTER_SECONDS = 0
    resent = sweep_unsent_jobs()
    assert (resent["export"], resent["report_run"]) == (1, 1)
    wait_for(
        lambda: Export.objects.get(pk=export["id"]).status == ExportStatus.SUCCEEDED, timeout=20
    )
    wait_for(lambda: ReportRun.objects.get().status == RunStatus.SUCCEEDED, timeout=20)


def test_a_job_sent_twice_runs_once(api_client, settings, celery_worker):
    # At least once: the sweeper may re-send a message that was delivered after all.
    export = api_client.post("/api/v1/analytics/exports/", {"source": "events"}).json()
    wait_for(
        lambda: Export.objects.get(pk=export["id"]).status == ExportStatus.SUCCEEDED, timeout=20
    )
    finished_at = Export.objects.get(pk=export["id"]).finished_at
    from analytics.tasks import export_build_task

    export_build_task.delay(export["id"]).get(timeout=20)
    assert Export.objects.get(pk=export["id"]).finished_at == finished_at
