"""The runner, called in-process (as the Celery task does) for paths a worker test can't time."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from executions.choices import ErrorType, ExecutionStatus, NodeRunStatus
from executions.engine.nodes import REGISTRY, NodeType, register
from executions.models import Execution, NodeRun, WorkflowVersion
from executions.services.executions import execution_start
from executions.services.running import execution_run
from executions.services.workflows import workflow_create
from tests.executions.helpers import local_http_server, running_execution, server_url

pytestmark = pytest.mark.django_db


def run(workspace, user, definition, **kwargs) -> Execution:
    workflow = workflow_create(workspace=workspace, user=user, name="wf", definition=definition)
    execution = execution_start(workflow=workflow, user=user, **kwargs)
    return execution_run(execution_id=execution.id)


def test_fail_node_fails_without_retrying(workspace, user):
    definition = {
        "nodes": [
            {
                "id": "stop",
                "type": "fail",
                "params": {"message": "No stock."},
                "retry": {"max_attempts": 5, "backoff_seconds": 0},
            }
        ]
    }
    execution = run(workspace, user, definition)

    assert execution.status == ExecutionStatus.FAILED
    assert execution.error == {"node": "stop", "type": "fail", "message": "No stock."}
    assert execution.node_runs.get().attempts == 1


def test_expression_failing_at_run_time_fails_the_node(workspace, user):
    definition = {
        "nodes": [{"id": "size", "type": "transform", "params": {"expr": "length(input.n)"}}]
    }
    execution = run(workspace, user, definition, input={"n": 5})

    assert execution.status == ExecutionStatus.FAILED
    assert execution.error["type"] == ErrorType.EXPRESSION_ERROR
    assert "length()" in execution.error["message"]


def test_http_request_sends_the_json_expr_body_and_headers(workspace, user):
    with local_http_server(lambda method, path, body: (201, json.loads(body))) as server:
        definition = {
            "nodes": [
                {
                    "id": "post",
                    "type": "http_request",
                    "params": {
                        "method": "PUT",
                        "url": server_url(server, "/items"),
                        "headers": {"X-Trace": "t1"},
                        "json_expr": "input.item",
                    },
                }
            ]
        }
        execution = run(workspace, user, definition, input={"item": {"sku": "A1"}})

    assert execution.status == ExecutionStatus.SUCCEEDED
    assert execution.output["post"]["json"] == {"sku": "A1"}
    assert server.requests[0]["method"] == "PUT"


def test_a_crashing_node_type_fails_the_node_not_the_worker(workspace, user):
    @register
    class CrashNode(NodeType):
        type_name = "crash_for_test"
        description = "Raises an unexpected error."
        params_schema = {"type": "object"}

        def run(self, params, context):
            raise KeyError("surprise")

    try:
        execution = run(workspace, user, {"nodes": [{"id": "boom", "type": "crash_for_test"}]})
    finally:
        REGISTRY.pop("crash_for_test")

    assert execution.status == ExecutionStatus.FAILED
    assert execution.error["type"] == ErrorType.INTERNAL
    assert "KeyError" in execution.error["message"]


def test_resumed_execution_past_its_deadline_times_out_before_the_next_node(workspace, user):
    definition = {"nodes": [{"id": "a", "type": "set", "params": {"fields": {}}}]}
    execution = running_execution(
        workspace, user, definition, started_at=timezone.now() - timedelta(minutes=2)
    )
    NodeRun.objects.create(execution=execution, node_id="a", node_type="set")

    execution = execution_run(execution_id=execution.id)

    assert execution.status == ExecutionStatus.TIMED_OUT
    assert execution.error["type"] == ErrorType.TIMEOUT
    assert execution.node_runs.get().status == NodeRunStatus.SKIPPED


def test_cancel_requested_before_the_claim_ends_it_cancelled(workspace, user):
    definition = {"nodes": [{"id": "a", "type": "set", "params": {"fields": {}}}]}
    workflow = workflow_create(workspace=workspace, user=user, name="wf", definition=definition)
    execution = execution_start(workflow=workflow, user=user)
    Execution.objects.filter(pk=execution.pk).update(cancel_requested_at=timezone.now())

    assert execution_run(execution_id=execution.id) is None
    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.CANCELLED


def test_running_execution_with_a_cancel_request_stops_before_its_next_node(workspace, user):
    definition = {
        "nodes": [
            {"id": "a", "type": "set", "params": {"fields": {}}},
            {"id": "b", "type": "set", "params": {"fields": {}}},
        ],
        "edges": [{"from": "a", "to": "b"}],
    }
    execution = running_execution(workspace, user, definition, cancel_requested_at=timezone.now())
    NodeRun.objects.create(execution=execution, node_id="a", node_type="set", status="succeeded")
    NodeRun.objects.create(execution=execution, node_id="b", node_type="set", position=1)

    execution = execution_run(execution_id=execution.id)

    assert execution.status == ExecutionStatus.CANCELLED
    assert execution.node_runs.get(node_id="b").status == NodeRunStatus.SKIPPED


def test_finished_or_missing_executions_are_not_run_again(workspace, user):
    execution = run(
        workspace, user, {"nodes": [{"id": "a", "type": "set", "params": {"fields": {}}}]}
    )
    assert execution.status == ExecutionStatus.SUCCEEDED
    assert execution_run(execution_id=execution.id) is None
    assert execution_run(execution_id=10**9) is None


def test_execution_held_by_a_live_runner_is_not_run_twice(workspace, user):
    from executions.engine.runtime import Lease

    definition = {"nodes": [{"id": "a", "type": "set", "params": {"fields": {}}}]}
    execution = running_execution(workspace, user, definition)
    lease = Lease(execution.id)
    assert lease.acquire()
    try:
        assert execution_run(execution_id=execution.id) is None
    finally:
        lease.release()
    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.RUNNING


def test_http_request_to_a_private_address_is_refused_when_blocking(workspace, user, settings):
    settings.EXECUTIONS_HTTP_BLOCK_PRIVATE_NETWORKS = True
    with local_http_server(lambda *args: (200, {})) as server:
        definition = {
            "nodes": [
                {
                    "id": "call",
                    "type": "http_request",
                    "params": {"url": server_url(server)},
                    "retry": {"max_attempts": 3, "backoff_seconds": 0},
                }
            ]
        }
        execution = run(workspace, user, definition)

    assert execution.status == ExecutionStatus.FAILED
    assert "non-public address" in execution.error["message"]
    assert execution.node_runs.get().attempts == 1
    assert server.requests == []


def test_an_engine_failure_outside_nodes_fails_the_execution(workspace, user):
    definition = {"nodes": [{"id": "a", "type": "set", "params": {"fields": {}}}]}
    workflow = workflow_create(workspace=workspace, user=user, name="wf", definition=definition)
    cyclic = {
        "nodes": [{"id": "a", "type": "set", "params": {"fields": {}}}],
        "edges": [{"from": "a", "to": "a"}],
    }
    # A version the engine cannot run (written around validation, e.g. by a bad migration).
    broken = WorkflowVersion.objects.create(workflow=workflow, version=2, definition=cyclic)
    execution = Execution.objects.create(
        workspace=workspace,
        workflow=workflow,
        workflow_version=2,
        definition_version=broken,
        timeout_seconds=60,
    )

    with pytest.raises(ValueError):
        execution_run(execution_id=execution.id)

    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.FAILED
    assert execution.error["type"] == ErrorType.INTERNAL


@pytest.mark.parametrize(
    ("expr", "reason"),
    [
        ("to_number('NaN')", "NaN or Infinity"),
        ("to_number('-Infinity')", "NaN or Infinity"),
        ('`"a\\u0000b"`', "NUL character"),
        ('`{"a\\u0000": 1}`', "NUL character"),
        ("`" + "[" * 130 + "]" * 130 + "`", "nested more than 128 levels"),
    ],
)
def test_an_output_jsonb_cannot_store_fails_that_node_without_retrying(
    workspace, user, expr, reason
):
    definition = {
        "nodes": [
            {
                "id": "t",
                "type": "transform",
                "params": {"expr": expr},
                "retry": {"max_attempts": 3, "backoff_seconds": 0},
            },
            {"id": "after", "type": "set", "params": {"fields": {}}},
        ],
        "edges": [{"from": "t", "to": "after"}],
    }
    execution = run(workspace, user, definition)

    assert execution.status == ExecutionStatus.FAILED
    assert execution.error["node"] == "t"
    assert execution.error["type"] == ErrorType.NODE_FAILED
    assert reason in execution.error["message"]
    runs = {run.node_id: run for run in execution.node_runs.all()}
    assert runs["t"].attempts == 1
    assert runs["t"].status == NodeRunStatus.FAILED
    assert runs["after"].status == NodeRunStatus.SKIPPED


def test_an_http_answer_with_a_nul_character_fails_the_node(workspace, user):
    with local_http_server(lambda *args: (200, {"text": "a\x00b"})) as server:
        definition = {
            "nodes": [{"id": "h", "type": "http_request", "params": {"url": server_url(server)}}]
        }
        execution = run(workspace, user, definition)

    assert execution.status == ExecutionStatus.FAILED
    assert execution.error["node"] == "h"
    assert "NUL character" in execution.error["message"]
