"""Execution statistics (cached, invalidated on finish) and job monitoring."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from executions.choices import ExecutionStatus, NodeRunStatus
from executions.services.lifecycle import execution_finish
from tests.executions.factories import ExecutionFactory, NodeRunFactory, WorkflowFactory

pytestmark = pytest.mark.django_db
STATS = "/api/v1/executions/stats/"
QUEUE = "/api/v1/executions/queue/"


def test_stats_counts_rates_percentiles_top_workflows_and_hourly(api_client, workspace):
    busy, quiet = (
        WorkflowFactory(workspace=workspace, name="busy"),
        WorkflowFactory(workspace=workspace, name="quiet"),
    )
    for duration in (100, 200, 300):
        ExecutionFactory(workflow=busy, duration_ms=duration)
    ExecutionFactory(workflow=busy, status=ExecutionStatus.FAILED, duration_ms=400)
    ExecutionFactory(workflow=quiet, status=ExecutionStatus.CANCELLED, duration_ms=None)
    ExecutionFactory(workflow=quiet, status=ExecutionStatus.RUNNING, duration_ms=None)
    ExecutionFactory(workflow=quiet, created_at=timezone.now() - timedelta(days=3))

    body = api_client.get(STATS).json()

    assert body["total"] == 6
    assert body["by_status"]["succeeded"] == 3
    assert body["by_status"]["running"] == 1
    assert body["success_rate"] == 0.75
    assert body["duration_ms"] == {"p50": 250.0, "p95": 385.0}
    assert body["top_workflows"][0] == {
        "workflow_id": busy.id,
        "name": "busy",
        "runs": 4,
        "succeeded": 3,
        "failed": 1,
    }
    assert len(body["hourly"]) in (25, 26)
    assert sum(hour["total"] for hour in body["hourly"]) == 6
    assert body["is_cached"] is False


def test_stats_are_cached_until_an_execution_finishes(
    api_client, workspace, django_capture_on_commit_callbacks
):
    workflow = WorkflowFactory(workspace=workspace)
    running = ExecutionFactory(workflow=workflow, status=ExecutionStatus.RUNNING, finished_at=None)

    first = api_client.get(STATS).json()
    second = api_client.get(STATS).json()
    with django_capture_on_commit_callbacks(execute=True):
        execution_finish(execution=running, status=ExecutionStatus.SUCCEEDED, output={})
    third = api_client.get(STATS).json()

    assert (first["is_cached"], second["is_cached"], third["is_cached"]) == (False, True, False)
    assert second["by_status"]["running"] == 1
    assert third["by_status"]["succeeded"] == 1
    assert api_client.get(STATS, {"refresh": "true"}).json()["is_cached"] is False


def test_stats_do_not_mix_workspaces(api_client, other_workspace):
    ExecutionFactory(workflow=WorkflowFactory(workspace=other_workspace))
    body = api_client.get(STATS).json()
    assert body["total"] == 0
    assert body["success_rate"] is None
    assert body["duration_ms"] == {"p50": None, "p95": None}


@pytest.mark.parametrize("hours", ["0", "169", "soon"])
def test_stats_window_is_validated(api_client, hours):
    assert api_client.get(STATS, {"hours": hours}).status_code == 400


def test_queue_reports_the_workspace_for_members(api_client, workspace, other_workspace):
    workflow = WorkflowFactory(workspace=workspace)
    queued_at = timezone.now() - timedelta(minutes=2)
    ExecutionFactory(
        workflow=workflow, status=ExecutionStatus.QUEUED, queued_at=queued_at, finished_at=None
    )
    ExecutionFactory(
        workflow=workflow,
        status=ExecutionStatus.QUEUED,
        queued_at=timezone.now(),
        waiting_since=timezone.now(),
    )
    running = ExecutionFactory(workflow=workflow, status=ExecutionStatus.RUNNING)
    NodeRunFactory(execution=running, status=NodeRunStatus.RETRYING)
    ExecutionFactory(
        workflow=WorkflowFactory(workspace=other_workspace), status=ExecutionStatus.RUNNING
    )

    body = api_client.get(QUEUE).json()

    assert body["scope"] == "workspace"
    assert body["executions"] == {
        "pending": 0,
        "queued": 2,
        "running": 1,
        "retrying": 1,
        "waiting_for_slot": 1,
    }
    assert 110 <= body["oldest_queued_age_seconds"] <= 200
    assert isinstance(body["workers_online"], int)
    # Platform-wide broker depths and worker hostnames are for staff only.
    assert "broker_queues" not in body
    assert "workers" not in body


def test_queue_covers_every_workspace_for_staff(staff_api_client, workspace, other_workspace):
    ExecutionFactory(workflow=WorkflowFactory(workspace=workspace), status="running")
    ExecutionFactory(workflow=WorkflowFactory(workspace=other_workspace), status="running")

    body = staff_api_client.get(QUEUE).json()

    assert body["scope"] == "all"
    assert body["executions"]["running"] == 2
    assert set(body["broker_queues"]) == {"default", "high"}
    assert all(isinstance(depth, int) for depth in body["broker_queues"].values())
    assert body["workers_online"] == len(body["workers"])


def test_queue_probes_the_broker_once_for_repeated_polls(api_client, monkeypatch):
    from executions.selectors import queue

    probes = []
    real = queue.broker_queue_depths
    monkeypatch.setattr(queue, "broker_queue_depths", lambda app: probes.append(1) or real(app))

    for _ in range(3):
        assert api_client.get(QUEUE).status_code == 200

    assert len(probes) == 1


def test_stats_warmer_fills_the_cache_for_active_workspaces(api_client, workspace, other_workspace):
    from synapscale.cache import run_warmers

    ExecutionFactory(workflow=WorkflowFactory(workspace=workspace))

    outcomes = [o for o in run_warmers(policy_name="realtime") if o.warmer == "executions.stats"]

    assert [outcome.ok for outcome in outcomes] == [True]
    assert api_client.get(STATS).json()["is_cached"] is True


def test_queue_answers_when_the_cache_is_unreachable(staff_api_client, redis_down):
    response = staff_api_client.get(QUEUE)

    assert response.status_code == 200
    assert set(response.json()["broker_queues"]) == {"default", "high"}
