"""The runner against infrastructure trouble: Redis/database blips, lost leases, redelivery."""

from __future__ import annotations

import threading

import pytest
from celery import current_app
from django.db import connection, transaction
from django.utils import timezone
from redis.exceptions import ConnectionError as RedisConnectionError

from executions.choices import ExecutionStatus, NodeRunStatus
from executions.engine import runtime
from executions.engine.nodes import REGISTRY, NodeType, register
from executions.engine.runtime import LEASE_KEY, Lease, LeaseLost
from executions.models import Execution
from executions.services.executions import execution_start
from executions.services.lifecycle import executions_dispatch_waiting
from executions.services.running import execution_run
from executions.services.workflows import workflow_create
from synapscale.models import Workspace
from tests.executions.factories import ExecutionFactory, WorkflowFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def scripted_node():
    """Register a node type whose run() calls the test's function; unregister it after."""
    behaviours = {}

    @register
    class ScriptedNode(NodeType):
        type_name = "scripted_for_test"
        description = "Runs the test's function."
        params_schema = {"type": "object"}

        def run(self, params, context):
            return behaviours["run"](context)

    try:
        yield behaviours
    finally:
        REGISTRY.pop("scripted_for_test")


def two_step_definition() -> dict:
    return {
        "nodes": [
            {"id": "first", "type": "scripted_for_test", "params": {}},
            {"id": "second", "type": "set", "params": {"fields": {"ok": True}}},
        ],
        "edges": [{"from": "first", "to": "second"}],
    }


def test_a_redis_blip_inside_a_node_retries_the_task_and_the_run_resumes(
    workspace, user, scripted_node
):
    attempts = []

    def flaky(context):
        attempts.append(1)
        if len(attempts) == 1:
            raise RedisConnectionError("blip")
        return {"attempt": len(attempts)}

    scripted_node["run"] = flaky
    workflow = workflow_create(
        workspace=workspace, user=user, name="wf", definition=two_step_definition()
    )
    execution = execution_start(workflow=workflow, user=user)

    with pytest.raises(RedisConnectionError):  # the Celery task autoretries on it
        execution_run(execution_id=execution.id)
    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.RUNNING
    assert execution.node_runs.get(node_id="first").status == NodeRunStatus.RUNNING

    execution = execution_run(execution_id=execution.id)  # the retried task resumes
    assert execution.status == ExecutionStatus.SUCCEEDED
    assert execution.output == {"second": {"ok": True}}
    assert execution.node_runs.get(node_id="first").output == {"attempt": 2}


def test_a_runner_that_lost_its_lease_stops_before_the_next_node(workspace, user, scripted_node):
    def lease_taken_over(context):
        # Meanwhile the lease expired and another runner took the execution over.
        runtime.redis().set(LEASE_KEY.format(id=execution.id), "another-runner", ex=60)
        return {"done": True}

    scripted_node["run"] = lease_taken_over
    workflow = workflow_create(
        workspace=workspace, user=user, name="wf", definition=two_step_definition()
    )
    execution = execution_start(workflow=workflow, user=user)

    assert execution_run(execution_id=execution.id) is None

    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.RUNNING
    assert execution.node_runs.get(node_id="second").status == NodeRunStatus.PENDING
    # The other runner's lease is left alone: not extended, not released.
    assert runtime.redis().get(LEASE_KEY.format(id=execution.id)) == b"another-runner"
    assert runtime.redis().ttl(LEASE_KEY.format(id=execution.id)) <= 60


def test_refreshing_a_lease_that_another_runner_holds_raises_and_leaves_it(settings):
    settings.EXECUTIONS_LEASE_SECONDS = 300
    mine = Lease(424242)
    assert mine.acquire()
    runtime.redis().delete(mine.key)  # expired
    theirs = Lease(424242)
    assert theirs.acquire()
    runtime.redis().expire(theirs.key, 5)

    with pytest.raises(LeaseLost):
        mine.refresh()
    mine.release()

    assert runtime.redis().get(theirs.key) == theirs.token.encode()
    assert runtime.redis().ttl(theirs.key) <= 5
    theirs.release()


@pytest.mark.django_db(transaction=True)
def test_dispatch_waits_for_a_claim_that_is_parking_an_execution(workspace, settings):
    settings.EXECUTIONS_MAX_CONCURRENT_PER_WORKSPACE = 1
    queued = ExecutionFactory(
        workflow=WorkflowFactory(workspace=workspace),
        status=ExecutionStatus.QUEUED,
        started_at=None,
        finished_at=None,
        duration_ms=None,
    )
    locked, release = threading.Event(), threading.Event()

    def claim_that_parks():
        # What execution_claim does while the workspace is full: lock, count, park. The
        # run holding the slot finishes (and dispatches) between the count and the park.
        try:
            with transaction.atomic():
                list(Workspace.objects.select_for_update().filter(id=workspace.id))
                Execution.objects.select_for_update().get(pk=queued.pk)
                locked.set()
                release.wait(5)
                Execution.objects.filter(pk=queued.pk).update(waiting_since=timezone.now())
        finally:
            connection.close()

    claim = threading.Thread(target=claim_that_parks)
    claim.start()
    try:
        assert locked.wait(5)
        threading.Timer(0.3, release.set).start()
        dispatched = executions_dispatch_waiting(workspace_id=workspace.id)
    finally:
        release.set()
        claim.join()
        current_app.control.purge()  # no worker here: drop the task dispatch sent

    assert dispatched == 1
    queued.refresh_from_db()
    assert queued.waiting_since is None
