"""`POST /workflows/{id}/run/?wait=`: a synchronous run answered with the result."""

from __future__ import annotations

import pytest

from executions.services.workflows import workflow_create
from tests.api_checks import assert_problem

pytestmark = [pytest.mark.django_db(transaction=True)]

SET_ONLY = {
    "nodes": [{"id": "hello", "type": "set", "params": {"fields": {"n": {"expr": "input.n"}}}}]
}
SLOW = {"nodes": [{"id": "nap", "type": "delay", "params": {"seconds": 1.5}}]}


def run_url(workflow, wait) -> str:
    return f"/api/v1/workflows/{workflow.id}/run/?wait={wait}"


@pytest.mark.usefixtures("celery_worker")
def test_a_run_that_finishes_within_the_wait_answers_200_with_its_output(
    api_client, workspace, user
):
    workflow = workflow_create(workspace=workspace, user=user, name="wf", definition=SET_ONLY)

    response = api_client.post(run_url(workflow, 10), {"input": {"n": 7}}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "succeeded"
    assert body["output"] == {"hello": {"n": 7}}
    assert body["workflow"] == workflow.id
    assert body["error"] is None and body["duration_ms"] is not None


@pytest.mark.usefixtures("celery_worker")
def test_a_run_still_going_when_the_wait_ends_answers_202_to_poll(api_client, workspace, user):
    workflow = workflow_create(workspace=workspace, user=user, name="wf", definition=SLOW)

    response = api_client.post(run_url(workflow, 0.2), {}, format="json")

    assert response.status_code == 202
    assert response.json()["status"] in ("queued", "running")


def test_an_idempotent_repeat_of_a_finished_run_answers_its_result(api_client, workspace, user):
    from executions.services.running import execution_run

    workflow = workflow_create(workspace=workspace, user=user, name="wf", definition=SET_ONLY)
    first = api_client.post(
        run_url(workflow, 0), {"input": {"n": 1}}, format="json", HTTP_IDEMPOTENCY_KEY="once"
    )
    execution_run(execution_id=first.json()["id"])

    again = api_client.post(
        run_url(workflow, 5), {"input": {"n": 1}}, format="json", HTTP_IDEMPOTENCY_KEY="once"
    )

    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["output"] == {"hello": {"n": 1}}


@pytest.mark.parametrize("wait", ["31", "-1", "soon", "nan"])
def test_a_wait_out_of_range_is_a_400_and_starts_nothing(api_client, workspace, user, wait):
    from executions.models import Execution

    workflow = workflow_create(workspace=workspace, user=user, name="wf", definition=SET_ONLY)

    response = api_client.post(run_url(workflow, wait), {}, format="json")

    assert_problem(response, 400)
    assert "wait" in response.json()["errors"]
    assert not Execution.objects.exists()
