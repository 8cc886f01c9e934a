"""Services: starting rules, retention, recovery of stalled executions, the circuit breaker."""

from __future__ import annotations

import io
import time
from datetime import timedelta

import pytest
from celery import current_app
from django.core.exceptions import ValidationError
from django.utils import timezone

from executions.choices import ErrorType, ExecutionStatus
from executions.engine import runtime
from executions.engine.errors import NodeFailure
from executions.engine.nodes import NodeContext, get_node_type
from executions.models import Execution, NodeRun, Workflow
from executions.selectors.executions import execution_node_runs
from executions.selectors.queue import broker_queue_depths
from executions.services.executions import execution_start
from executions.services.lifecycle import queue_for_priority
from executions.services.maintenance import executions_prune, executions_requeue_stalled
from executions.services.workflows import workflow_create, workflow_update
from synapscale.api.exceptions import ApplicationError
from tests.executions.factories import ExecutionFactory, NodeRunFactory, WorkflowFactory
from tests.executions.helpers import local_http_server, server_url

pytestmark = pytest.mark.django_db


def test_workflow_create_reports_definition_errors_under_definition(workspace, user):
    with pytest.raises(ValidationError) as info:
        workflow_create(workspace=workspace, user=user, name="x", definition={"nodes": []})
    assert "definition.nodes" in info.value.message_dict
    assert not Workflow.objects.exists()


def test_workflow_update_rejects_unknown_fields(workspace):
    workflow = WorkflowFactory(workspace=workspace)
    with pytest.raises(ValidationError):
        workflow_update(workflow=workflow, user=None, version=7)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"priority": 0}, "priority"),
        ({"priority": True}, "priority"),
        ({"trigger": "telepathy"}, "trigger"),
        ({"input": "text"}, "input"),
        ({"timeout_seconds": 10**6}, "timeout_seconds"),
        ({"idempotency_key": "k" * 300}, "idempotency_key"),
    ],
)
def test_execution_start_validates_its_arguments(workspace, user, kwargs, field):
    workflow = WorkflowFactory(workspace=workspace)
    with pytest.raises(ValidationError) as info:
        execution_start(workflow=workflow, user=user, **kwargs)
    assert field in info.value.message_dict
    assert not Execution.objects.exists()


def test_execution_start_references_the_version_it_runs(workspace, user):
    workflow = WorkflowFactory(workspace=workspace)
    execution = execution_start(workflow=workflow, user=user, trigger="template", priority=9)
    original = workflow.definition

    definition = {"nodes": [{"id": "only", "type": "set", "params": {"fields": {}}}]}
    workflow_update(workflow=workflow, user=user, definition=definition)

    execution.refresh_from_db()
    assert execution.definition == original
    assert execution.workflow_version == 1
    assert execution.definition_version.version == 1
    assert workflow.versions.count() == 2  # the edit wrote version 2; version 1 stays
    # Written queued with its request (the task is sent on commit; no second statement).
    assert execution.status == ExecutionStatus.QUEUED
    # The runner writes node runs at its checkpoints; the detail shows the rest as pending.
    assert NodeRun.objects.filter(execution=execution).count() == 0
    assert [run.status for run in execution_node_runs(execution)] == ["pending"] * 3


def test_priority_routes_to_queues(settings):
    assert queue_for_priority(7) == "default"
    assert queue_for_priority(8) == "high"
    settings.EXECUTIONS_HIGH_PRIORITY_MIN = 10
    assert queue_for_priority(9) == "default"


def test_prune_deletes_old_finished_executions_in_batches(workspace):
    workflow = WorkflowFactory(workspace=workspace)
    old = timezone.now() - timedelta(days=40)
    old_finished = ExecutionFactory.create_batch(5, workflow=workflow, finished_at=old)
    NodeRunFactory(execution=old_finished[0])
    old_running = ExecutionFactory(
        workflow=workflow, status=ExecutionStatus.RUNNING, created_at=old, finished_at=None
    )
    recent = ExecutionFactory(workflow=workflow)

    deleted = executions_prune(batch_size=2)

    assert deleted == 5
    assert set(Execution.objects.values_list("id", flat=True)) == {old_running.id, recent.id}
    assert not NodeRun.objects.exists()


def test_prune_honours_the_retention_setting(workspace, settings):
    settings.EXECUTIONS_RETENTION_DAYS = 1
    ExecutionFactory(
        workflow=WorkflowFactory(workspace=workspace),
        finished_at=timezone.now() - timedelta(days=2),
    )
    assert executions_prune() == 1


def test_requeue_recovers_pending_parked_and_orphaned_executions(workspace, settings):
    settings.EXECUTIONS_LEASE_SECONDS = 60
    current_app.control.purge()
    workflow = WorkflowFactory(workspace=workspace)
    long_ago = timezone.now() - timedelta(minutes=10)
    pending = ExecutionFactory(
        workflow=workflow, status="pending", created_at=long_ago, started_at=None, finished_at=None
    )
    parked = ExecutionFactory(
        workflow=workflow, status="queued", waiting_since=long_ago, queued_at=long_ago
    )
    orphan = ExecutionFactory(workflow=workflow, status="running", started_at=long_ago)
    alive = ExecutionFactory(workflow=workflow, status="running", started_at=long_ago)
    lease = runtime.Lease(alive.id)
    assert lease.acquire()

    result = executions_requeue_stalled()

    lease.release()
    assert result.as_dict() == {
        "dispatched_waiting": 1,
        "enqueued_pending": 1,
        "resumed_orphans": 1,
        "resent_lost": 0,  # the broker holds the messages just sent: nothing counts as lost
    }
    pending.refresh_from_db()
    parked.refresh_from_db()
    assert pending.status == ExecutionStatus.QUEUED
    assert parked.waiting_since is None
    # The orphan already started (a slot held, its timeout running): it skips the backlog.
    assert broker_queue_depths(current_app) == {"default": 2, "high": 1}
    current_app.control.purge()
    orphan.refresh_from_db()
    assert orphan.status == ExecutionStatus.RUNNING  # resumed by the task, not reset


def test_requeue_resends_a_queued_execution_whose_message_was_lost(workspace, settings):
    """Written queued, then the process died before the send: once the broker's queues are
    empty the periodic task sends it; while they hold messages it waits."""
    current_app.control.purge()
    workflow = WorkflowFactory(workspace=workspace)
    long_ago = timezone.now() - timedelta(minutes=10)
    lost = ExecutionFactory(
        workflow=workflow, status="queued", queued_at=long_ago, started_at=None, finished_at=None
    )
    recent = ExecutionFactory(
        workflow=workflow,
        status="queued",
        queued_at=timezone.now(),
        started_at=None,
        finished_at=None,
    )
    with current_app.connection_for_write() as connection:  # a backlog in the broker
        current_app.send_task(
            "executions.tasks.run_execution", args=[recent.id], connection=connection
        )

    assert executions_requeue_stalled().resent_lost == 0
    current_app.control.purge()
    assert executions_requeue_stalled().resent_lost == 1

    assert broker_queue_depths(current_app)["default"] == 1
    current_app.control.purge()
    lost.refresh_from_db()
    assert lost.queued_at > long_ago  # re-sent once per grace period, not on every run


def http_node_context() -> NodeContext:
    return NodeContext(node_id="call", run_context={"input": {}, "nodes": {}})


def test_circuit_breaker_opens_after_repeated_failures_and_recovers(settings):
    settings.EXECUTIONS_HTTP_CIRCUIT_THRESHOLD = 2
    settings.EXECUTIONS_HTTP_CIRCUIT_COOLDOWN_SECONDS = 0.3
    node = get_node_type("http_request")
    answers = {"status": 503}
    with local_http_server(lambda method, path, body: (answers["status"], {})) as server:
        params = {"url": server_url(server)}
        for _ in range(2):
            with pytest.raises(NodeFailure) as failure:
                node.run(params, http_node_context())
            assert failure.value.type == ErrorType.HTTP_ERROR
        with pytest.raises(NodeFailure) as rejected:
            node.run(params, http_node_context())
        assert rejected.value.type == ErrorType.CIRCUIT_OPEN
        assert len(server.requests) == 2

        time.sleep(0.35)
        answers["status"] = 200
        assert node.run(params, http_node_context())["status"] == 200
        assert node.run(params, http_node_context())["status"] == 200
        assert len(server.requests) == 4


def test_client_errors_are_not_retryable_and_do_not_trip_the_breaker(settings):
    settings.EXECUTIONS_HTTP_CIRCUIT_THRESHOLD = 1
    node = get_node_type("http_request")
    with local_http_server(lambda method, path, body: (404, {"detail": "nope"})) as server:
        for _ in range(2):
            with pytest.raises(NodeFailure) as failure:
                node.run({"url": server_url(server)}, http_node_context())
            assert failure.value.retryable is False
        assert len(server.requests) == 2


def test_unreachable_host_fails_the_node():
    node = get_node_type("http_request")
    with local_http_server(lambda *args: (200, {})) as server:
        url = server_url(server)
    with pytest.raises(NodeFailure) as failure:
        node.run({"url": url, "timeout_seconds": 1}, http_node_context())
    assert failure.value.type == ErrorType.HTTP_ERROR


def test_schedule_builds_and_syncs():
    from django_celery_beat.models import PeriodicTask

    from executions.schedules import SCHEDULE
    from synapscale.schedules import schedules_sync

    schedules_sync(SCHEDULE)
    tasks = set(PeriodicTask.objects.values_list("task", flat=True))
    assert {
        "executions.tasks.prune_executions",
        "executions.tasks.requeue_stalled_executions",
    } <= tasks
    assert all(entry.task in current_app.tasks for entry in SCHEDULE)


@pytest.mark.django_db(transaction=True)  # runs end (and give their slots back) on commit
def test_seed_demo_is_idempotent(workspace, user, staff_user):
    from executions.demo import DEMO_WORKFLOWS, seed_demo

    out = io.StringIO()
    seed_demo(workspace=workspace, user=user, staff_user=staff_user, stdout=out)
    seed_demo(workspace=workspace, user=user, staff_user=staff_user, stdout=out)

    assert Workflow.objects.filter(workspace=workspace).count() == len(DEMO_WORKFLOWS)
    runs = sum(len(spec["runs"]) for spec in DEMO_WORKFLOWS)
    assert Execution.objects.filter(workspace=workspace).count() == runs
    triage = Execution.objects.filter(workflow__name="Order triage").order_by("id")
    assert [e.output for e in triage] == [{"route": "vip"}, {"route": "regular"}, {"route": "vip"}]
    refused = Execution.objects.filter(workflow__name="Refuse empty carts").order_by("id")
    assert [e.status for e in refused] == ["succeeded", "failed"]


def test_inactive_workflow_cannot_start(workspace, user):
    workflow = WorkflowFactory(workspace=workspace, is_active=False)
    with pytest.raises(ApplicationError):
        execution_start(workflow=workflow, user=user)


def test_started_execution_is_sent_to_the_queue_of_its_priority(
    workspace, user, django_capture_on_commit_callbacks
):
    current_app.control.purge()
    workflow = WorkflowFactory(workspace=workspace)

    with django_capture_on_commit_callbacks(execute=True):
        urgent = execution_start(workflow=workflow, user=user, priority=9)
        execution_start(workflow=workflow, user=user, priority=3)

    assert broker_queue_depths(current_app) == {"default": 1, "high": 1}
    current_app.control.purge()
    urgent.refresh_from_db()
    assert urgent.status == ExecutionStatus.QUEUED
    assert urgent.queued_at is not None
