"""End to end: a real Celery worker runs workflows against real Redis and PostgreSQL."""

from __future__ import annotations

from itertools import pairwise

import pytest
from celery.signals import task_prerun

from executions.choices import ExecutionStatus, NodeRunStatus, RetryMode
from executions.models import Execution, NodeRun
from executions.services.executions import execution_cancel, execution_retry, execution_start
from executions.services.workflows import workflow_create
from synapscale import product_events
from tests.executions.helpers import (
    local_http_server,
    server_url,
    wait_for,
    wait_for_finish,
    wait_for_status,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker")]


def start(workspace, user, definition, **kwargs) -> Execution:
    workflow = workflow_create(workspace=workspace, user=user, name="wf", definition=definition)
    return execution_start(workflow=workflow, user=user, **kwargs)


def runs_of(execution) -> dict[str, NodeRun]:
    return {run.node_id: run for run in execution.node_runs.all()}


@pytest.fixture
def recorded_events():
    """Product events as the periodic flush hands them over (finishes buffer them)."""
    events = []
    product_events.set_batch_recorder(lambda batch: events.extend(batch) or len(batch))
    yield events
    from analytics.services.events import product_events_record_batch

    product_events.set_batch_recorder(product_events_record_batch)


BRANCHING = {
    "nodes": [
        {"id": "order", "type": "set", "params": {"fields": {"total": {"expr": "input.total"}}}},
        {"id": "big", "type": "condition", "params": {"expr": "nodes.order.total > `100`"}},
        {"id": "vip", "type": "set", "params": {"fields": {"tier": "vip"}}},
        {"id": "regular", "type": "set", "params": {"fields": {"tier": "regular"}}},
        {
            "id": "notify",
            "type": "transform",
            "params": {"expr": "nodes.vip.tier || nodes.regular.tier"},
        },
    ],
    "edges": [
        {"from": "order", "to": "big"},
        {"from": "big", "to": "vip", "when": "true"},
        {"from": "big", "to": "regular", "when": "false"},
        {"from": "vip", "to": "notify"},
        {"from": "regular", "to": "notify"},
    ],
}


def test_branch_runs_taken_side_skips_the_other_and_joins(workspace, user, recorded_events):
    execution = start(workspace, user, BRANCHING, input={"total": 250})

    execution = wait_for_finish(execution.id)

    assert execution.status == ExecutionStatus.SUCCEEDED
    runs = runs_of(execution)
    assert runs["big"].output is True
    assert runs["vip"].status == NodeRunStatus.SUCCEEDED
    assert runs["regular"].status == NodeRunStatus.SKIPPED
    assert runs["notify"].status == NodeRunStatus.SUCCEEDED
    assert execution.output == {"notify": "vip"}
    assert execution.duration_ms is not None
    assert execution.started_at <= execution.finished_at
    event = wait_for(lambda: product_events.flush_buffer() and recorded_events)[0]
    assert event["event_type"] == "workflow_executed"
    assert event["properties"] == {
        "execution_id": execution.id,
        "workflow_id": execution.workflow_id,
        "status": "succeeded",
        "duration_ms": execution.duration_ms,
    }
    assert event["distinct_id"] == str(user.id)


def test_false_branch_taken_for_small_order(workspace, user):
    execution = wait_for_finish(start(workspace, user, BRANCHING, input={"total": 5}).id)

    runs = runs_of(execution)
    assert runs["vip"].status == NodeRunStatus.SKIPPED
    assert execution.output == {"notify": "regular"}


def test_http_500_is_retried_with_backoff_then_fails_the_execution(workspace, user):
    with local_http_server(lambda method, path, body: (500, {"error": "boom"})) as server:
        definition = {
            "nodes": [
                {
                    "id": "call",
                    "type": "http_request",
                    "params": {"method": "POST", "url": server_url(server, "/hook"), "json": {}},
                    "retry": {"max_attempts": 3, "backoff_seconds": 0.05},
                },
                {"id": "after", "type": "set", "params": {"fields": {"done": True}}},
            ],
            "edges": [{"from": "call", "to": "after"}],
        }
        execution = wait_for_finish(start(workspace, user, definition).id)

    assert execution.status == ExecutionStatus.FAILED
    assert execution.error["node"] == "call"
    assert execution.error["type"] == "http_error"
    assert "500" in execution.error["message"]
    # Each attempt is a new operation for the receiver: its own key.
    keys = [request["headers"]["Idempotency-Key"] for request in server.requests]
    assert keys == [f"{execution.id}-call-{attempt}" for attempt in (1, 2, 3)]
    runs = runs_of(execution)
    assert runs["call"].status == NodeRunStatus.FAILED
    assert runs["call"].attempts == 3
    assert runs["after"].status == NodeRunStatus.SKIPPED
    retry_logs = execution.logs.filter(node_id="call", level="warning")
    assert retry_logs.count() == 2
    assert all(log.data["backoff_seconds"] > 0 for log in retry_logs)


def test_http_request_output_feeds_the_next_node(workspace, user):
    with local_http_server(lambda method, path, body: (200, {"greeting": "hi"})) as server:
        definition = {
            "nodes": [
                {"id": "call", "type": "http_request", "params": {"url": server_url(server)}},
                {"id": "pick", "type": "transform", "params": {"expr": "nodes.call.json.greeting"}},
            ],
            "edges": [{"from": "call", "to": "pick"}],
        }
        execution = wait_for_finish(start(workspace, user, definition).id)

    assert execution.status == ExecutionStatus.SUCCEEDED
    assert execution.output == {"pick": "hi"}
    assert runs_of(execution)["call"].output["status"] == 200


def test_node_timeout_ends_the_execution_timed_out(workspace, user):
    definition = {
        "nodes": [
            {"id": "wait", "type": "delay", "params": {"seconds": 20}, "timeout_seconds": 0.3}
        ]
    }
    execution = wait_for_finish(start(workspace, user, definition).id, timeout=10)

    assert execution.status == ExecutionStatus.TIMED_OUT
    assert execution.error["type"] == "timeout"
    assert execution.error["node"] == "wait"
    assert execution.duration_ms < 5000


def test_execution_timeout_ends_the_execution_timed_out(workspace, user):
    definition = {
        "nodes": [
            {"id": "first", "type": "delay", "params": {"seconds": 0.2}},
            {"id": "second", "type": "delay", "params": {"seconds": 20}},
        ],
        "edges": [{"from": "first", "to": "second"}],
    }
    execution = wait_for_finish(start(workspace, user, definition, timeout_seconds=1).id)

    assert execution.status == ExecutionStatus.TIMED_OUT
    assert runs_of(execution)["first"].status == NodeRunStatus.SUCCEEDED
    assert execution.duration_ms < 5000


def test_cancel_during_delay_interrupts_it_and_stops_before_the_next_node(workspace, user):
    definition = {
        "nodes": [
            {"id": "wait", "type": "delay", "params": {"seconds": 30}},
            {"id": "next", "type": "set", "params": {"fields": {"ran": True}}},
        ],
        "edges": [{"from": "wait", "to": "next"}],
    }
    execution = start(workspace, user, definition)
    wait_for(lambda: NodeRun.objects.filter(execution=execution, node_id="wait", status="running"))

    execution_cancel(execution=execution, user=user)
    execution = wait_for_finish(execution.id, timeout=5)

    assert execution.status == ExecutionStatus.CANCELLED
    assert execution.duration_ms < 5000
    runs = runs_of(execution)
    assert runs["wait"].error["type"] == "cancelled"
    assert runs["next"].status == NodeRunStatus.SKIPPED


def test_retry_from_failure_reuses_succeeded_nodes(workspace, user):
    answers = {"status": 500}
    with local_http_server(lambda method, path, body: (answers["status"], {"ok": True})) as server:
        definition = {
            "nodes": [
                {"id": "prepare", "type": "set", "params": {"fields": {"n": {"expr": "input.n"}}}},
                {"id": "call", "type": "http_request", "params": {"url": server_url(server)}},
            ],
            "edges": [{"from": "prepare", "to": "call"}],
        }
        failed = wait_for_finish(start(workspace, user, definition, input={"n": 1}).id)
        assert failed.status == ExecutionStatus.FAILED
        answers["status"] = 200

        retry = execution_retry(execution=failed, user=user, mode=RetryMode.FROM_FAILURE)
        retry = wait_for_finish(retry.id)

    assert retry.status == ExecutionStatus.SUCCEEDED
    assert retry.retry_of_id == failed.id
    assert retry.trigger == "retry"
    original, reused = runs_of(failed)["prepare"], runs_of(retry)["prepare"]
    assert reused.is_reused
    assert reused.output == original.output == {"n": 1}
    assert reused.started_at == original.started_at
    assert runs_of(retry)["call"].attempts == 1
    assert len(server.requests) == 2


def test_concurrency_limit_parks_executions_until_a_slot_frees(workspace, user, settings):
    settings.EXECUTIONS_MAX_CONCURRENT_PER_WORKSPACE = 1
    definition = {"nodes": [{"id": "wait", "type": "delay", "params": {"seconds": 0.6}}]}
    workflow = workflow_create(workspace=workspace, user=user, name="wf", definition=definition)
    first = execution_start(workflow=workflow, user=user)
    wait_for_status(first.id, ExecutionStatus.RUNNING)
    second = execution_start(workflow=workflow, user=user)

    parked = wait_for(lambda: Execution.objects.filter(pk=second.pk, waiting_since__isnull=False))
    assert parked[0].status == ExecutionStatus.QUEUED

    first, second = wait_for_finish(first.id), wait_for_finish(second.id)
    assert first.status == second.status == ExecutionStatus.SUCCEEDED
    assert second.started_at >= first.finished_at


@pytest.fixture
def delivered_from():
    """Map each run_execution task's execution id to the queue it was delivered from."""
    queues = {}

    def record(sender=None, task=None, args=None, **kwargs):
        if task is not None and task.name == "executions.tasks.run_execution":
            queues[args[0]] = (task.request.delivery_info or {}).get("routing_key")

    task_prerun.connect(record, weak=False)
    yield queues
    task_prerun.disconnect(record)


def test_high_priority_execution_runs_from_the_high_queue(workspace, user, delivered_from):
    definition = {"nodes": [{"id": "only", "type": "set", "params": {"fields": {"a": 1}}}]}
    urgent = start(workspace, user, definition, priority=9)
    routine = start(workspace, user, definition, priority=5)
    urgent, routine = wait_for_finish(urgent.id), wait_for_finish(routine.id)

    assert urgent.status == routine.status == ExecutionStatus.SUCCEEDED
    assert delivered_from[urgent.id] == "high"
    assert delivered_from[routine.id] == "default"


def test_cancel_during_retry_backoff_stops_at_once(workspace, user):
    with local_http_server(lambda method, path, body: (503, {})) as server:
        definition = {
            "nodes": [
                {
                    "id": "call",
                    "type": "http_request",
                    "params": {"url": server_url(server)},
                    "retry": {"max_attempts": 3, "backoff_seconds": 60},
                }
            ]
        }
        execution = start(workspace, user, definition)
        wait_for(lambda: NodeRun.objects.filter(execution=execution, status="retrying"))

        execution_cancel(execution=execution, user=user)
        execution = wait_for_finish(execution.id, timeout=5)

    assert execution.status == ExecutionStatus.CANCELLED
    assert len(server.requests) == 1


def test_frontend_flow_run_poll_from_redis_then_read_the_result(api_client, workspace):
    definition = {
        "nodes": [
            {"id": "wait", "type": "delay", "params": {"seconds": 1}},
            {"id": "done", "type": "set", "params": {"fields": {"who": {"expr": "input.who"}}}},
        ],
        "edges": [{"from": "wait", "to": "done"}],
    }
    created = api_client.post(
        "/api/v1/workflows/", {"name": "poll me", "definition": definition}, format="json"
    )
    run = api_client.post(
        f"/api/v1/workflows/{created.json()['id']}/run/", {"input": {"who": "ada"}}, format="json"
    )
    assert run.status_code == 202
    status_url = f"/api/v1/executions/{run.json()['id']}/status/"

    live = wait_for(
        lambda: (body := api_client.get(status_url).json())["source"] == "redis" and body
    )
    assert live["status"] == "running"
    assert live["total"] == 2
    final = wait_for(
        lambda: (body := api_client.get(status_url).json())["status"] == "succeeded" and body
    )
    assert final["source"] == "database"
    assert final["completed"] == 2
    detail = api_client.get(f"/api/v1/executions/{run.json()['id']}/").json()
    assert detail["output"] == {"done": {"who": "ada"}}


def test_a_limit_of_one_runs_a_burst_one_at_a_time_without_the_periodic_requeue(
    workspace, user, settings
):
    """Each finish wakes the next parked execution: none waits for the minute-long requeue,
    and no two ever run at once."""
    settings.EXECUTIONS_MAX_CONCURRENT_PER_WORKSPACE = 1
    definition = {"nodes": [{"id": "wait", "type": "delay", "params": {"seconds": 0.05}}]}
    workflow = workflow_create(workspace=workspace, user=user, name="wf", definition=definition)
    burst = [execution_start(workflow=workflow, user=user) for _ in range(6)]

    finished = sorted(
        (wait_for_finish(execution.id, timeout=20) for execution in burst),
        key=lambda execution: execution.started_at,
    )

    assert {execution.status for execution in finished} == {ExecutionStatus.SUCCEEDED}
    for earlier, later in pairwise(finished):
        assert later.started_at >= earlier.finished_at
