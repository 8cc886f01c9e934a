"""The executions API, reads: list and filters, detail, status polling, logs.

Cancel, retry, delete and bulk are in test_execution_actions_api.py.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from executions.choices import ExecutionStatus, Trigger
from executions.engine import runtime
from executions.models import Execution, ExecutionLog
from tests.executions.factories import ExecutionFactory, NodeRunFactory, WorkflowFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/executions/"


def ids(response) -> set[int]:
    return {item["id"] for item in response.json()["results"]}


def test_list_is_scoped_cursor_paginated_and_query_bounded(
    api_client, workflow, other_workspace, django_assert_max_num_queries
):
    mine = ExecutionFactory.create_batch(5, workflow=workflow)
    ExecutionFactory(workflow=WorkflowFactory(workspace=other_workspace))

    with django_assert_max_num_queries(8):
        response = api_client.get(URL, {"page_size": 3})

    body = response.json()
    assert response.status_code == 200
    assert len(body["results"]) == 3
    assert body["next"] and "cursor=" in body["next"]
    assert body["results"][0]["id"] == mine[-1].id
    assert body["results"][0]["workflow_name"] == workflow.name
    assert len(api_client.get(body["next"]).json()["results"]) == 2


def test_list_filters(api_client, workflow, workspace):
    now = timezone.now()
    failed = ExecutionFactory(workflow=workflow, status=ExecutionStatus.FAILED)
    cancelled = ExecutionFactory(workflow=workflow, status=ExecutionStatus.CANCELLED)
    scheduled = ExecutionFactory(workflow=workflow, trigger=Trigger.SCHEDULE)
    old = ExecutionFactory(workflow=workflow, created_at=now - timedelta(days=3))
    retry = ExecutionFactory(workflow=workflow, retry_of=failed, trigger=Trigger.RETRY)
    other_workflow = ExecutionFactory(workflow=WorkflowFactory(workspace=workspace))

    assert ids(api_client.get(URL, {"status": "failed,cancelled"})) == {failed.id, cancelled.id}
    assert ids(api_client.get(f"{URL}?status=failed&status=cancelled")) == {
        failed.id,
        cancelled.id,
    }
    assert ids(api_client.get(URL, {"trigger": "schedule"})) == {scheduled.id}
    assert other_workflow.id not in ids(api_client.get(URL, {"workflow": workflow.id}))
    assert ids(api_client.get(URL, {"retry_of": failed.id})) == {retry.id}
    before = (now - timedelta(days=1)).isoformat()
    assert ids(api_client.get(URL, {"created_before": before})) == {old.id}
    assert old.id not in ids(api_client.get(URL, {"created_after": before}))


def test_list_ordering_by_duration(api_client, workflow):
    slow = ExecutionFactory(workflow=workflow, duration_ms=9000)
    fast = ExecutionFactory(workflow=workflow, duration_ms=5)
    results = api_client.get(URL, {"ordering": "duration_ms"}).json()["results"]
    assert [item["id"] for item in results] == [fast.id, slow.id]


@pytest.mark.parametrize(
    "ordering",
    ["duration_ms", "-duration_ms", "started_at", "-started_at", "-finished_at", "priority"],
)
def test_cursor_pages_over_nullable_orderings_return_every_row_once(api_client, workflow, ordering):
    now = timezone.now()
    made = [
        ExecutionFactory(
            workflow=workflow,
            status=ExecutionStatus.SUCCEEDED if index % 2 else ExecutionStatus.QUEUED,
            started_at=now - timedelta(minutes=index) if index % 2 else None,
            finished_at=now if index % 2 else None,
            duration_ms=100 * index if index % 2 else None,
            priority=5,
        )
        for index in range(7)
    ]
    seen, url, params = [], URL, {"ordering": ordering, "page_size": 2}
    for _ in range(10):  # bounded: a cursor that loops must fail the test, not hang it
        if not url:
            break
        response = api_client.get(url, params)
        assert response.status_code == 200, response.content
        seen += [item["id"] for item in response.json()["results"]]
        url, params = response.json()["next"], None
    assert sorted(seen) == sorted(execution.id for execution in made)


@pytest.mark.parametrize(
    "params",
    [{"status": "exploded"}, {"created_after": "yesterday"}, {"workflow": "x"}, {"nope": 1}],
)
def test_bad_filters_are_400(api_client, params):
    response = api_client.get(URL, params)
    assert response.status_code == 400
    assert response.json()["errors"]


def test_detail_includes_node_runs_in_order(api_client, workflow):
    execution = ExecutionFactory(workflow=workflow, input={"a": 1}, output={"b": 2})
    NodeRunFactory(execution=execution, node_id="second", position=1)
    NodeRunFactory(execution=execution, node_id="first", position=0)

    body = api_client.get(f"{URL}{execution.id}/").json()

    assert [run["node_id"] for run in body["node_runs"]] == ["first", "second"]
    assert body["input"] == {"a": 1}
    assert body["output"] == {"b": 2}


def test_someone_elses_execution_is_404_everywhere(api_client, other_workspace):
    execution = ExecutionFactory(workflow=WorkflowFactory(workspace=other_workspace))
    for method, path in [
        ("get", ""),
        ("get", "logs/"),
        ("get", "status/"),
        ("post", "cancel/"),
        ("post", "retry/"),
        ("delete", ""),
    ]:
        response = getattr(api_client, method)(f"{URL}{execution.id}/{path}", format="json")
        assert response.status_code == 404, (method, path)
    assert Execution.objects.filter(pk=execution.pk).exists()


def test_logs_are_listed_oldest_first_and_filterable(api_client, workflow):
    execution = ExecutionFactory(workflow=workflow)
    ExecutionLog.objects.create(execution=execution, message="start", level="info")
    ExecutionLog.objects.create(execution=execution, node_id="a", message="oops", level="error")

    all_logs = api_client.get(f"{URL}{execution.id}/logs/").json()["results"]
    errors = api_client.get(f"{URL}{execution.id}/logs/", {"level": "error"}).json()["results"]

    assert [log["message"] for log in all_logs] == ["start", "oops"]
    assert [log["node_id"] for log in errors] == ["a"]
    assert api_client.get(f"{URL}{execution.id}/logs/", {"x": 1}).status_code == 400


def test_status_is_served_from_redis_while_running(
    api_client, workflow, workspace, django_assert_max_num_queries
):
    execution = ExecutionFactory(workflow=workflow, status=ExecutionStatus.RUNNING)
    runtime.progress_write(
        execution.id,
        {
            "id": execution.id,
            "workspace_id": workspace.id,
            "workflow_id": workflow.id,
            "status": "running",
            "current_node": "b",
            "nodes": {"a": "succeeded", "b": "running"},
            "completed": 1,
            "total": 2,
            "started_at": execution.started_at.isoformat(),
        },
    )

    with django_assert_max_num_queries(4):  # authentication and workspace only
        response = api_client.get(f"{URL}{execution.id}/status/")

    body = response.json()
    assert body["source"] == "redis"
    assert body["current_node"] == "b"
    assert body["completed"] == 1


def test_status_of_a_finished_execution_comes_from_the_database(api_client, workflow):
    execution = ExecutionFactory(workflow=workflow)
    NodeRunFactory(execution=execution, node_id="a")
    body = api_client.get(f"{URL}{execution.id}/status/").json()
    assert body["source"] == "database"
    assert body["status"] == "succeeded"
    assert body["nodes"] == {"a": "succeeded"}


def test_status_never_serves_another_workspaces_progress(api_client, other_workspace):
    execution = ExecutionFactory(workflow=WorkflowFactory(workspace=other_workspace))
    runtime.progress_write(execution.id, {"id": execution.id, "workspace_id": other_workspace.id})
    assert api_client.get(f"{URL}{execution.id}/status/").status_code == 404


def test_stale_progress_left_in_redis_is_not_served(api_client, workflow):
    execution = ExecutionFactory(workflow=workflow, status=ExecutionStatus.SUCCEEDED)
    runtime.redis().set(
        runtime.PROGRESS_KEY.format(id=execution.id),
        json.dumps(
            {
                "id": execution.id,
                "workspace_id": workflow.workspace_id,
                "status": "running",
                "updated_at": time.time() - 10 * 60,
            }
        ),
    )
    body = api_client.get(f"{URL}{execution.id}/status/").json()
    assert body["status"] == "succeeded"
    assert body["source"] == "database"


@pytest.mark.parametrize("path", ["abc/", "abc/logs/", "abc/status/"])
def test_non_numeric_ids_are_404(api_client, path):
    assert api_client.get(f"{URL}{path}").status_code == 404


def test_non_numeric_workflow_id_is_404(api_client):
    assert api_client.get("/api/v1/workflows/abc/executions/").status_code == 404
