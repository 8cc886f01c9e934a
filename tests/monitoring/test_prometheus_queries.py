"""Debian's Prometheus scrapes a live web process and a real worker; every PromQL
expression of a dashboard panel or an alert rule returns data.

Select it with ``-m prometheus``. Without the prometheus binary it fails (it is never
skipped): .ci/run installs Debian's `prometheus` package.
"""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from analytics.services.alerts import alert_rule_create
from tests.analytics.factories import ingest_events
from tests.celery_processes import start_celery
from tests.executions.helpers import wait_for
from tests.monitoring.expressions import (
    alert_expressions,
    alert_signals,
    dashboard_expressions,
    metric_names,
)
from tests.monitoring.prometheus_server import Prometheus, scrape_config

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db(transaction=True)]

TOKEN = "prometheus-test-token"
FAILING = {"nodes": [{"id": "stop", "type": "fail", "params": {"message": "No stock."}}]}
SUCCEEDING = {"nodes": [{"id": "a", "type": "set", "params": {"fields": {"x": 1}}}]}


@pytest.fixture
def prometheus(live_server, start_metrics_worker, tmp_path, settings):
    settings.METRICS_TOKEN = TOKEN
    worker = start_metrics_worker(concurrency=2, max_tasks_per_child=20)
    call_command("sync_schedules", verbosity=0)
    beat = start_celery(
        "beat", ["beat", "--loglevel=INFO", f"--schedule={tmp_path / 'schedule'}"], {}, tmp_path
    )
    token_file = tmp_path / "metrics-token"
    token_file.write_text(TOKEN)
    config = scrape_config(
        web=urlparse(live_server.url).netloc,
        workers=[f"127.0.0.1:{worker.port}"],
        token_file=token_file,
    )
    server = Prometheus(config, tmp_path)
    yield server
    server.stop()
    beat.stop()


def drive_traffic(api_client, client, workspace, user, rate_limits, settings):
    """Requests, failures, refusals, events and tasks: every panel has something to show."""
    from config.celery_app import app

    created = api_client.post(
        "/api/v1/workflows/", {"name": "fails", "definition": FAILING}, format="json"
    ).json()
    api_client.post(f"/api/v1/workflows/{created['id']}/run/", {}, format="json")
    ok = api_client.post(
        "/api/v1/workflows/", {"name": "runs", "definition": SUCCEEDING}, format="json"
    ).json()
    api_client.post(f"/api/v1/workflows/{ok['id']}/run/", {}, format="json")
    api_client.get(f"/api/v1/workflows/{ok['id']}/")
    api_client.get("/api/v1/no-such-thing/")
    api_client.post("/api/v1/workflows/", {"name": ""}, format="json")
    api_client.get("/api/v1/marketplace/")
    api_client.get("/api/v1/marketplace/")
    api_client.get("/api/v1/analytics/events/")
    # Its probes are kept in Django's cache for a few seconds: a miss, then a hit.
    api_client.get("/api/v1/executions/queue/")
    api_client.get("/api/v1/executions/queue/")
    with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0"):
        assert client.get("/health/ready/").status_code == 503
    alert_rule_create(
        workspace=workspace, owner=user, name="q", metric="queue_depth", condition="gt", threshold=5
    )
    late = (timezone.now() - timedelta(seconds=30)).isoformat()
    ingest_events(
        workspace,
        [{"event_type": "click", "distinct_id": "p1", "timestamp": late}, {"event_type": ""}],
    )
    settings.WORKSPACE_QUOTAS = {**settings.WORKSPACE_QUOTAS, "workflows": 1}
    api_client.post("/api/v1/workflows/", {"name": "over", "definition": SUCCEEDING}, format="json")
    rate_limits(reads="1/m")
    api_client.get("/api/v1/workflows/")
    api_client.get("/api/v1/workflows/")
    for task in (
        "tests.monitoring.succeed",
        "tests.monitoring.fail",
        "tests.monitoring.retry_once",
    ):
        app.send_task(task, args=[1] if task.endswith("succeed") else [])


def test_every_dashboard_and_alert_expression_returns_data(
    prometheus, api_client, client, workspace, user, rate_limits, settings
):
    wait_for(lambda: len(prometheus.query("up == 1")) == 2, timeout=30, interval=0.5)
    drive_traffic(api_client, client, workspace, user, rate_limits, settings)

    needed = [
        "synapscale_node_failures_total",
        "synapscale_schedule_last_success_timestamp_seconds",
    ]
    needed += ["synapscale_celery_tasks_retried_total", "synapscale_celery_tasks_failed_total"]
    wait_for(lambda: all(prometheus.query(name) for name in needed), timeout=45, interval=0.5)
    time.sleep(3)  # a few more scrapes: rates over the traffic's increase

    empty = [
        f"{where}: {expr}"
        for where, expr in dashboard_expressions().items()
        if not prometheus.query(expr)
    ]
    for alert, expr in alert_expressions().items():
        prometheus.query(expr)  # evaluates without a PromQL error, firing or not
        empty += [
            f"{alert}: {signal}" for signal in alert_signals(expr) if not prometheus.query(signal)
        ]
    every_name = set()
    for expr in [*dashboard_expressions().values(), *alert_expressions().values()]:
        every_name |= metric_names(expr)
    missing = sorted(name for name in every_name if not prometheus.query(f"group({name})"))

    assert missing == []
    assert empty == []
