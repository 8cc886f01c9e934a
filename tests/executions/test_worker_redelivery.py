"""A redelivered task resumes a run its dead runner left, without repeating finished nodes.

These write the rows a dead runner leaves to pin the claim's decisions; tests/chaos/ kills
real worker processes.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from executions.choices import ExecutionStatus, NodeRunStatus
from executions.models import NodeRun
from tests.executions.helpers import (
    first_http_node_finished,
    local_http_server,
    running_execution,
    two_http_nodes,
    wait_for,
    wait_for_finish,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker")]


def runs_of(execution) -> dict[str, NodeRun]:
    return {run.node_id: run for run in execution.node_runs.all()}


def test_redelivered_task_resumes_after_the_last_finished_node(workspace, user):
    """A worker died after `first` finished: the redelivered task must not run it again."""

    from executions.tasks import run_execution

    with local_http_server(lambda method, path, body: (200, {"path": path})) as server:
        # What the database holds after the dead worker persisted `first` and then died.
        execution = running_execution(workspace, user, two_http_nodes(server))
        first_http_node_finished(execution)
        NodeRun.objects.create(
            execution=execution,
            node_id="second",
            node_type="http_request",
            position=1,
            status=NodeRunStatus.RUNNING,
            attempts=1,
        )

        run_execution.delay(execution.id)  # the broker's redelivery
        execution = wait_for_finish(execution.id)

    assert execution.status == ExecutionStatus.SUCCEEDED
    assert [request["path"] for request in server.requests] == ["/2"]
    # The interrupted attempt is the same attempt again: same number, same key, so the
    # receiver can tell it from a new call.
    assert server.requests[0]["headers"]["Idempotency-Key"] == f"{execution.id}-second-1"
    runs = runs_of(execution)
    assert runs["first"].attempts == 1
    assert runs["second"].attempts == 1
    assert execution.logs.filter(message__startswith="Resuming").exists()


def test_redelivery_while_the_dead_runners_lease_lingers_resumes_once_it_expires(
    workspace, user, settings
):
    """The redelivered task finds the dead runner's lease: it leaves the run alone, and the
    requeue task resumes it after the lease expired, without repeating finished nodes."""
    from django.utils import timezone

    from executions.engine import runtime
    from executions.services.maintenance import executions_requeue_stalled
    from executions.tasks import run_execution

    settings.EXECUTIONS_LEASE_SECONDS = 1
    with local_http_server(lambda method, path, body: (200, {"path": path})) as server:
        execution = running_execution(
            workspace,
            user,
            two_http_nodes(server),
            started_at=timezone.now() - timedelta(seconds=5),
        )
        first_http_node_finished(execution)
        NodeRun.objects.create(
            execution=execution, node_id="second", node_type="http_request", position=1
        )
        lease_key = runtime.LEASE_KEY.format(id=execution.id)
        runtime.redis().set(lease_key, "dead-runner", px=1500)

        assert run_execution.delay(execution.id).get(timeout=10) is None  # left alone
        assert server.requests == []
        wait_for(lambda: not runtime.redis().exists(lease_key), timeout=5)

        assert executions_requeue_stalled().resumed_orphans == 1
        execution = wait_for_finish(execution.id)

    assert execution.status == ExecutionStatus.SUCCEEDED
    assert [request["path"] for request in server.requests] == ["/2"]
    assert runs_of(execution)["first"].attempts == 1


def test_a_node_call_longer_than_the_lease_keeps_it(workspace, user, settings):
    """The heartbeat refreshes the lease while a slow call runs: the sweeper sees a live
    runner and sends nothing, and the call is made once."""
    import time

    from executions.engine import runtime
    from executions.services.executions import execution_start
    from executions.services.maintenance import executions_requeue_stalled
    from executions.services.workflows import workflow_create
    from tests.executions.helpers import server_url

    settings.EXECUTIONS_LEASE_SECONDS = 1

    def slow(method, path, body):
        time.sleep(3)
        return 200, {"slow": True}

    with local_http_server(slow) as server:
        definition = {
            "nodes": [
                {
                    "id": "slow",
                    "type": "http_request",
                    "params": {"url": server_url(server), "timeout_seconds": 10},
                }
            ]
        }
        workflow = workflow_create(workspace=workspace, user=user, name="wf", definition=definition)
        execution = execution_start(workflow=workflow, user=user)
        wait_for(lambda: server.requests, timeout=10)
        time.sleep(2)  # two lease lifetimes into the call

        assert runtime.Lease.is_held(execution.id)
        assert executions_requeue_stalled().resumed_orphans == 0
        execution = wait_for_finish(execution.id)

    assert execution.status == ExecutionStatus.SUCCEEDED
    assert len(server.requests) == 1


def test_a_repeated_run_request_sends_a_queued_execution_whose_message_was_lost(
    api_client, workspace, user
):
    """The first request died between its commit and its send: the client's retry with
    the same Idempotency-Key sends it, instead of leaving it to the sweeper's minute."""
    from tests.executions.helpers import server_url

    with local_http_server(lambda method, path, body: (200, {"path": path})) as server:
        definition = {
            "nodes": [{"id": "call", "type": "http_request", "params": {"url": server_url(server)}}]
        }
        lost = running_execution(
            workspace,
            user,
            definition,
            status=ExecutionStatus.QUEUED,
            started_at=None,
            idempotency_key="k-1",
        )
        response = api_client.post(
            f"/api/v1/workflows/{lost.workflow_id}/run/",
            {},
            format="json",
            HTTP_IDEMPOTENCY_KEY="k-1",
        )
        assert response.json()["id"] == lost.id
        execution = wait_for_finish(lost.id, timeout=15)

    assert execution.status == ExecutionStatus.SUCCEEDED, execution.error
    assert len(server.requests) == 1
