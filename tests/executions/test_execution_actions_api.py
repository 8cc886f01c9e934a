"""The executions API, actions: cancel, retry, delete and bulk."""

from __future__ import annotations

import pytest
from celery import current_app
from django.utils import timezone

from executions.choices import ExecutionStatus, NodeRunStatus
from executions.engine import runtime
from executions.models import Execution
from executions.services.lifecycle import execution_finish
from tests.executions.factories import ExecutionFactory, NodeRunFactory, WorkflowFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/executions/"


def ids(response) -> set[int]:
    return {item["id"] for item in response.json()["results"]}


def test_cancel_queued_execution_ends_it_at_once(api_client, workflow):
    execution = ExecutionFactory(
        workflow=workflow, status=ExecutionStatus.QUEUED, started_at=None, finished_at=None
    )
    NodeRunFactory(execution=execution, node_id="greet", status=NodeRunStatus.PENDING)

    response = api_client.post(f"{URL}{execution.id}/cancel/")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    execution.refresh_from_db()
    assert execution.finished_at is not None
    # The stored run and those the runner never wrote: every node ends skipped.
    statuses = dict(execution.node_runs.values_list("node_id", "status"))
    assert statuses == dict.fromkeys(("greet", "shout", "check"), NodeRunStatus.SKIPPED)


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
    NodeRunFactory(execution=execution, node_id="greet", status=NodeRunStatus.RUNNING)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(f"{URL}{execution.id}/cancel/")

    assert response.status_code == 200
    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.CANCELLED
    assert execution.error["type"] == "cancelled"
    statuses = set(execution.node_runs.values_list("status", flat=True))
    assert statuses == {NodeRunStatus.SKIPPED}
    assert execution.node_runs.count() == 3


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


def test_finish_with_redis_down_still_commits_and_leaves_parked_runs_to_the_requeue(
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

    running.refresh_from_db()
    parked.refresh_from_db()
    assert running.status == ExecutionStatus.SUCCEEDED
    # The finish script failed: the parked run keeps waiting (no claim could take a slot
    # while Redis is down anyway) and the periodic requeue sends it.
    assert parked.status == ExecutionStatus.QUEUED
    assert parked.waiting_since is not None


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


def test_run_and_wait_with_redis_down_answers_202_at_once_not_a_500(
    api_client, workflow, redis_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            f"/api/v1/workflows/{workflow.id}/run/?wait=20", {}, format="json"
        )
    current_app.control.purge()  # no worker here: drop the task the run sent

    # The wait could not start: one look at the database, then the usual 202 to poll.
    assert response.status_code == 202
    assert response.json()["status"] == ExecutionStatus.QUEUED
