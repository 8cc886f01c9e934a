"""The runner against infrastructure trouble: Redis/database blips, lost leases, redelivery."""

from __future__ import annotations

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from executions.choices import ExecutionStatus, NodeRunStatus
from executions.engine import runtime
from executions.engine.nodes import REGISTRY, NodeType, register
from executions.engine.runtime import LEASE_KEY, Claim, Lease, LeaseLost
from executions.models import Execution
from executions.services.executions import execution_start
from executions.services.lifecycle import execution_claim, execution_finish
from executions.services.running import execution_run
from executions.services.workflows import workflow_create
from tests.executions.helpers import wait_for

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


def test_a_full_workspace_parks_in_the_same_step_that_checks_for_a_slot(workspace, settings):
    """No lost wake-up: parking and the finish that frees a slot are each one Redis script,
    so a finish either sees the parked execution (and pops it) or the claim sees the slot."""
    settings.EXECUTIONS_MAX_CONCURRENT_PER_WORKSPACE = 1
    holder = Lease(1001, workspace.id)
    assert holder.claim(limit=1, priority=5, queued_at_ms=1, force=False) is Claim.ACQUIRED
    waiter = Lease(1002, workspace.id)
    assert waiter.claim(limit=1, priority=5, queued_at_ms=2, force=False) is Claim.FULL
    urgent = Lease(1003, workspace.id)
    assert urgent.claim(limit=1, priority=9, queued_at_ms=3, force=False) is Claim.FULL

    popped = holder.finish(
        stats_key="synapscale:test:stats",
        event_buffer_key="synapscale:test:events",
        event_buffer_cap=10,
        event="",
        summary="{}",
    )

    assert popped == (1003, 9)  # higher priority first, its priority recovered for routing
    assert urgent.claim(limit=1, priority=9, queued_at_ms=3, force=False) is Claim.ACQUIRED
    assert waiter.claim(limit=1, priority=5, queued_at_ms=2, force=False) is Claim.FULL
    assert urgent.finish(
        stats_key="synapscale:test:stats",
        event_buffer_key="synapscale:test:events",
        event_buffer_cap=10,
        event="",
        summary="{}",
    ) == (1002, 5)


def _finish(lease):
    return lease.finish(
        stats_key="synapscale:test:stats",
        event_buffer_key="synapscale:test:events",
        event_buffer_cap=10,
        event="",
        summary="{}",
    )


def test_a_parked_execution_that_ends_leaves_the_queue_and_frees_no_turn(workspace):
    holder = Lease(3001, workspace.id)
    assert holder.claim(limit=1, priority=5, queued_at_ms=1, force=False) is Claim.ACQUIRED
    cancelled, waiter = Lease(3002, workspace.id), Lease(3003, workspace.id)
    assert cancelled.claim(limit=1, priority=5, queued_at_ms=2, force=False) is Claim.FULL
    assert waiter.claim(limit=1, priority=5, queued_at_ms=3, force=False) is Claim.FULL

    # The cancel of a parked execution finishes it with a lease of its own (no slot held).
    assert _finish(Lease(3002, workspace.id)) is None

    assert _finish(holder) == (3003, 5)  # not the cancelled one, queued ahead of it


def test_a_finish_that_lost_the_race_gives_its_lease_and_slot_back(workspace, user, settings):
    settings.EXECUTIONS_MAX_CONCURRENT_PER_WORKSPACE = 1
    definition = {"nodes": [{"id": "only", "type": "set", "params": {"fields": {}}}]}
    workflow = workflow_create(workspace=workspace, user=user, name="wf", definition=definition)
    execution = execution_start(workflow=workflow, user=user)
    claimed, lease, _ = execution_claim(execution_id=execution.id)
    # Meanwhile a cancel that found no live lease ended it.
    Execution.objects.filter(pk=execution.pk).update(status=ExecutionStatus.CANCELLED)

    execution_finish(execution=claimed, status=ExecutionStatus.SUCCEEDED, lease=lease)

    assert not Lease.is_held(execution.id)
    other = Lease(execution.id + 1, workspace.id)
    assert other.claim(limit=1, priority=5, queued_at_ms=1, force=False) is Claim.ACQUIRED
    other.release()


def test_a_slot_whose_runner_died_frees_itself_when_its_lease_expires(workspace, settings):
    settings.EXECUTIONS_LEASE_SECONDS = 1
    dead = Lease(2001, workspace.id)
    assert dead.claim(limit=1, priority=5, queued_at_ms=1, force=False) is Claim.ACQUIRED
    other = Lease(2002, workspace.id)
    assert other.claim(limit=1, priority=5, queued_at_ms=2, force=False) is Claim.FULL

    wait_for(lambda: not Lease.is_held(2001), timeout=3)

    assert other.claim(limit=1, priority=5, queued_at_ms=2, force=False) is Claim.ACQUIRED
    other.release()
