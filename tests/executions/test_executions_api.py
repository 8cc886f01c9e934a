"""The executions API: list and filters, detail, status polling, logs, cancel, retry, bulk."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from celery import current_app
from django.utils import timezone

from executions.choices import ExecutionStatus, NodeRunStatus, Trigger
from executions.engine import runtime
from executions.models import Execution, ExecutionLog
from executions.services.lifecycle import execution_finish
from tests.executions.factories import ExecutionFactory, NodeRunFactory, WorkflowFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/executions/"


@pytest.fixture
def workflow(workspace):
    return WorkflowFactory(workspace=workspace)


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


def test_cancel_queued_execution_ends_it_at_once(api_client, workflow):
    execution = ExecutionFactory(
        workflow=workflow, status=ExecutionStatus.QUEUED, started_at=None, finished_at=None
    )
    NodeRunFactory(execution=execution, status=NodeRunStatus.PENDING)

    response = api_client.post(f"{URL}{execution.id}/cancel/")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    execution.refresh_from_db()
    assert execution.finished_at is not None
    assert execution.node_runs.get().status == NodeRunStatus.SKIPPED


def test_cancel_running_execution_requests_a_stop(
    api_client, workflow, django_capture_on_commit_callbacks
):
    execution = ExecutionFactory(
        workflow=workflow, status=ExecutionStatus.RUNNING, finished_at=None
    )
    lease = runtime.Lease(execution.id)  # its runner is alive
    assert lease.acquire()

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(f"{URL}{execution.id}/cancel/")

    assert response.status_code == 202
    assert response.json()["cancel_requested"] is True
    assert runtime.cancel_flag_is_set(execution.id)
    lease.release()


def test_cancel_running_execution_whose_runner_died_ends_it_at_once(
    api_client, workflow, django_capture_on_commit_callbacks
):
    execution = ExecutionFactory(
        workflow=workflow, status=ExecutionStatus.RUNNING, finished_at=None, duration_ms=None
    )
    NodeRunFactory(execution=execution, status=NodeRunStatus.RUNNING)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(f"{URL}{execution.id}/cancel/")

    assert response.status_code == 200
    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.CANCELLED
    assert execution.error["type"] == "cancelled"
    assert execution.node_runs.get().status == NodeRunStatus.SKIPPED


@pytest.fixture
def redis_down(settings):
    """Point the cache (and the engine's Redis) at a port where nothing listens.

    The Celery broker keeps its own (working) connection.
    """
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            **settings.CACHES["default"],
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {
                **settings.CACHES["default"].get("OPTIONS", {}),
                "SOCKET_CONNECT_TIMEOUT": 0.2,
                "SOCKET_TIMEOUT": 0.2,
            },
        },
    }


def test_cancel_with_redis_down_is_recorded_not_a_500(
    api_client, workflow, redis_down, django_capture_on_commit_callbacks
):
    execution = ExecutionFactory(
        workflow=workflow, status=ExecutionStatus.RUNNING, finished_at=None
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(f"{URL}{execution.id}/cancel/")

    assert response.status_code == 202
    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.RUNNING  # the runner may be alive: ask it
    assert execution.cancel_requested_at is not None


def test_finish_with_redis_down_still_commits_and_dispatches_waiting_runs(
    workflow, settings, redis_down, django_capture_on_commit_callbacks
):
    settings.EXECUTIONS_MAX_CONCURRENT_PER_WORKSPACE = 1
    running = ExecutionFactory(
        workflow=workflow, status=ExecutionStatus.RUNNING, finished_at=None, duration_ms=None
    )
    parked = ExecutionFactory(
        workflow=workflow,
        status=ExecutionStatus.QUEUED,
        started_at=None,
        finished_at=None,
        waiting_since=timezone.now(),
    )

    with django_capture_on_commit_callbacks(execute=True):
        execution_finish(execution=running, status=ExecutionStatus.SUCCEEDED)

    current_app.control.purge()  # no worker here: drop the task the dispatch sent

    running.refresh_from_db()
    parked.refresh_from_db()
    assert running.status == ExecutionStatus.SUCCEEDED
    # Clearing the progress and invalidating the stats failed; dispatching did not wait.
    assert parked.waiting_since is None


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


def test_cancel_finished_execution_is_409(api_client, workflow):
    execution = ExecutionFactory(workflow=workflow)
    response = api_client.post(f"{URL}{execution.id}/cancel/")
    assert response.status_code == 409
    assert response.json()["type"].endswith("already-finished")


def test_retry_from_failure_copies_succeeded_runs(api_client, workflow):
    failed = ExecutionFactory(workflow=workflow, status=ExecutionStatus.FAILED, input={"x": 1})
    NodeRunFactory(execution=failed, node_id="greet", output={"name": "A"})
    NodeRunFactory(execution=failed, node_id="shout", status=NodeRunStatus.FAILED)

    response = api_client.post(f"{URL}{failed.id}/retry/", {"mode": "from_failure"}, format="json")

    assert response.status_code == 202
    body = response.json()
    assert body["retry_of"] == failed.id
    assert body["trigger"] == "retry"
    assert body["input"] == {"x": 1}
    runs = {run["node_id"]: run for run in body["node_runs"]}
    assert runs["greet"]["is_reused"] and runs["greet"]["output"] == {"name": "A"}
    assert runs["shout"]["status"] == "pending"
    assert runs["check"]["status"] == "pending"


@pytest.mark.parametrize(
    ("status", "payload", "expected"),
    [
        (ExecutionStatus.RUNNING, {}, 409),
        (ExecutionStatus.SUCCEEDED, {"mode": "from_failure"}, 409),
        (ExecutionStatus.FAILED, {"mode": "sideways"}, 400),
        (ExecutionStatus.SUCCEEDED, {"mode": "from_start"}, 202),
    ],
)
def test_retry_rules(api_client, workflow, status, payload, expected):
    execution = ExecutionFactory(workflow=workflow, status=status)
    response = api_client.post(f"{URL}{execution.id}/retry/", payload, format="json")
    assert response.status_code == expected


def test_delete_only_finished_executions(api_client, workflow):
    finished = ExecutionFactory(workflow=workflow)
    running = ExecutionFactory(workflow=workflow, status=ExecutionStatus.RUNNING)

    assert api_client.delete(f"{URL}{finished.id}/").status_code == 204
    assert api_client.delete(f"{URL}{running.id}/").status_code == 409
    assert list(Execution.objects.values_list("id", flat=True)) == [running.id]


def test_bulk_answers_per_id(api_client, workflow, other_workspace):
    finished = ExecutionFactory(workflow=workflow)
    running = ExecutionFactory(workflow=workflow, status=ExecutionStatus.RUNNING)
    foreign = ExecutionFactory(workflow=WorkflowFactory(workspace=other_workspace))

    response = api_client.post(
        f"{URL}bulk/",
        {"action": "delete", "ids": [finished.id, running.id, foreign.id, 999999]},
        format="json",
    )

    body = response.json()
    assert response.status_code == 200
    assert (body["succeeded"], body["failed"]) == (1, 3)
    by_id = {item["id"]: item for item in body["results"]}
    assert by_id[finished.id]["status"] == 204
    assert by_id[running.id]["status"] == 409
    assert by_id[foreign.id]["status"] == 404
    assert by_id[999999]["status"] == 404
    assert Execution.objects.filter(pk=foreign.pk).exists()


def test_bulk_retry_and_cancel(api_client, workflow):
    failed = ExecutionFactory(workflow=workflow, status=ExecutionStatus.FAILED)
    queued = ExecutionFactory(workflow=workflow, status=ExecutionStatus.QUEUED, finished_at=None)

    retried = api_client.post(f"{URL}bulk/", {"action": "retry", "ids": [failed.id]}, format="json")
    cancelled = api_client.post(
        f"{URL}bulk/", {"action": "cancel", "ids": [queued.id]}, format="json"
    )

    new_id = retried.json()["results"][0]["execution_id"]
    assert Execution.objects.get(pk=new_id).retry_of_id == failed.id
    assert cancelled.json()["results"][0]["detail"] == "cancelled"


@pytest.mark.parametrize(
    "payload",
    [
        {"action": "delete", "ids": list(range(1, 102))},
        {"action": "delete", "ids": []},
        {"action": "explode", "ids": [1]},
        {"action": "delete", "ids": ["one"]},
        {"action": "delete"},
    ],
)
def test_bulk_bad_input_is_400(api_client, payload):
    response = api_client.post(f"{URL}bulk/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]


@pytest.mark.parametrize("path", ["abc/", "abc/logs/", "abc/status/"])
def test_non_numeric_ids_are_404(api_client, path):
    assert api_client.get(f"{URL}{path}").status_code == 404


def test_non_numeric_workflow_id_is_404(api_client):
    assert api_client.get("/api/v1/workflows/abc/executions/").status_code == 404
