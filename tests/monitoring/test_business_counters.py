"""Counters the engine and ingestion keep: executions, node failures, events and their lag."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client import REGISTRY

from executions.services.executions import execution_start
from executions.services.running import execution_run
from executions.services.workflows import workflow_create
from tests.analytics.factories import ingest_events

pytestmark = pytest.mark.django_db

FAILING = {"nodes": [{"id": "stop", "type": "fail", "params": {"message": "No stock."}}]}


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def empty_queues():
    from config.celery_app import app

    app.control.purge()
    yield
    app.control.purge()


def test_a_failing_node_counts_a_start_a_failed_finish_and_a_node_failure(
    workspace, user, django_capture_on_commit_callbacks, empty_queues
):
    before = (
        sample("synapscale_executions_started_total", trigger="api"),
        sample("synapscale_executions_finished_total", trigger="api", status="failed"),
        sample("synapscale_node_failures_total", node_type="fail", error_type="fail"),
    )
    workflow = workflow_create(workspace=workspace, user=user, name="wf", definition=FAILING)
    with django_capture_on_commit_callbacks(execute=True):
        execution = execution_start(workflow=workflow, user=user, trigger="api")

    execution = execution_run(execution_id=execution.id)

    assert execution.status == "failed"
    assert sample("synapscale_executions_started_total", trigger="api") == before[0] + 1
    finished = sample("synapscale_executions_finished_total", trigger="api", status="failed")
    assert finished == before[1] + 1
    failures = sample("synapscale_node_failures_total", node_type="fail", error_type="fail")
    assert failures == before[2] + 1


def test_ingestion_counts_received_stored_duplicate_and_rejected_events_and_the_lag(workspace):
    before = {
        "received": sample("synapscale_events_received_total"),
        "ingested": sample("synapscale_events_ingested_total"),
        "duplicates": sample("synapscale_events_duplicates_total"),
        "invalid": sample("synapscale_events_rejected_total", reason="invalid"),
        "lag_count": sample("synapscale_events_ingestion_lag_seconds_count"),
        "lag_over_a_minute": sample("synapscale_events_ingestion_lag_seconds_bucket", le="60.0"),
    }
    event = {
        "event_type": "click",
        "distinct_id": "p1",
        "event_id": "0b0b8f62-8c4e-4d4a-9e57-1f0d1b7c9a11",
    }
    received_at = timezone.now()
    event["timestamp"] = (received_at - timedelta(minutes=2)).isoformat()

    first = ingest_events(workspace, [event, {"event_type": ""}], received_at=received_at)
    again = ingest_events(workspace, [event], received_at=received_at)

    assert (first.accepted, again.duplicates) == (1, 1)
    assert sample("synapscale_events_received_total") == before["received"] + 3
    assert sample("synapscale_events_ingested_total") == before["ingested"] + 1
    assert sample("synapscale_events_duplicates_total") == before["duplicates"] + 1
    assert sample("synapscale_events_rejected_total", reason="invalid") == before["invalid"] + 1
    assert sample("synapscale_events_ingestion_lag_seconds_count") == before["lag_count"] + 2
    # Received two minutes after it happened: over the 60 s bucket both times.
    over = sample("synapscale_events_ingestion_lag_seconds_bucket", le="60.0")
    assert over == before["lag_over_a_minute"]


def test_events_past_the_daily_quota_count_as_rejected_for_quota(workspace, settings):
    from synapscale.quotas import QuotaExceeded

    settings.WORKSPACE_QUOTAS = {**settings.WORKSPACE_QUOTAS, "events_per_day": 2}
    before = sample("synapscale_events_rejected_total", reason="quota")
    ingest_events(workspace, [{"event_type": "click", "distinct_id": "a"}])

    partial = ingest_events(
        workspace,
        [{"event_type": "click", "distinct_id": "b"}, {"event_type": "click", "distinct_id": "c"}],
    )
    assert partial.accepted == 1
    assert sample("synapscale_events_rejected_total", reason="quota") == before + 1
    with pytest.raises(QuotaExceeded):
        ingest_events(workspace, [{"event_type": "click", "distinct_id": "d"}])
    assert sample("synapscale_events_rejected_total", reason="quota") == before + 2
