"""The related lists under a parent's URL, each served by a viewset of the listed model.

`/workflows/{id}/executions/` is `/executions/?workflow={id}` under the workflow's URL, and
`/executions/{id}/logs/` an execution's log lines: neither parent viewset switches its
queryset or serializer to serve them.
"""

from __future__ import annotations

import pytest
from django.urls import resolve

from executions.api.executions import ExecutionLogViewSet, WorkflowExecutionViewSet
from executions.choices import ExecutionStatus
from executions.models import ExecutionLog
from tests.executions.factories import ExecutionFactory, WorkflowFactory

pytestmark = pytest.mark.django_db


def ids(response) -> list[int]:
    return [item["id"] for item in response.json()["results"]]


def test_workflow_executions_url_is_served_by_an_executions_list(workspace):
    workflow = WorkflowFactory(workspace=workspace)
    match = resolve(f"/api/v1/workflows/{workflow.id}/executions/")
    assert match.func.cls is WorkflowExecutionViewSet
    assert WorkflowExecutionViewSet.queryset is None  # no workflow queryset behind it
    assert match.func.actions["get"] == "list"


def test_workflow_executions_equal_the_executions_list_filtered_by_workflow(
    api_client, workspace, django_assert_max_num_queries
):
    workflow, other = WorkflowFactory.create_batch(2, workspace=workspace)
    ExecutionFactory.create_batch(2, workflow=workflow)
    ExecutionFactory(workflow=workflow, status=ExecutionStatus.FAILED)
    ExecutionFactory(workflow=other)

    with django_assert_max_num_queries(8):
        nested = api_client.get(f"/api/v1/workflows/{workflow.id}/executions/")
    filtered = api_client.get("/api/v1/executions/", {"workflow": workflow.id})
    failed = api_client.get(
        f"/api/v1/workflows/{workflow.id}/executions/", {"status": "failed,timed_out"}
    )

    assert nested.status_code == 200
    assert len(ids(nested)) == 3 and ids(nested) == ids(filtered)
    assert len(ids(failed)) == 1
    ordered = api_client.get(
        f"/api/v1/workflows/{workflow.id}/executions/", {"ordering": "-duration_ms"}
    )
    assert ordered.status_code == 200 and len(ids(ordered)) == 3
    # The workflow is the URL's: a second one in the query string is not a parameter here.
    refused = api_client.get(f"/api/v1/workflows/{workflow.id}/executions/", {"workflow": 1})
    assert refused.status_code == 400


def test_another_workspace_workflow_executions_are_not_found(api_client, other_workspace):
    foreign = WorkflowFactory(workspace=other_workspace)
    ExecutionFactory(workflow=foreign)
    assert api_client.get(f"/api/v1/workflows/{foreign.id}/executions/").status_code == 404
    assert api_client.get("/api/v1/workflows/999999999/executions/").status_code == 404


def test_execution_logs_url_is_served_by_a_logs_list(api_client, workspace, other_workspace):
    execution = ExecutionFactory(workflow=WorkflowFactory(workspace=workspace))
    assert resolve(f"/api/v1/executions/{execution.id}/logs/").func.cls is ExecutionLogViewSet
    ExecutionLog.objects.create(execution=execution, message="one", level="info")
    ExecutionLog.objects.create(execution=execution, message="two", level="warning")
    sibling = ExecutionFactory(workflow=execution.workflow)
    ExecutionLog.objects.create(execution=sibling, message="not mine", level="info")

    listed = api_client.get(f"/api/v1/executions/{execution.id}/logs/")
    warned = api_client.get(
        f"/api/v1/executions/{execution.id}/logs/", {"level": ["warning", "error"]}
    )

    assert [log["message"] for log in listed.json()["results"]] == ["one", "two"]
    assert [log["message"] for log in warned.json()["results"]] == ["two"]
    foreign = ExecutionFactory(workflow=WorkflowFactory(workspace=other_workspace))
    ExecutionLog.objects.create(execution=foreign, message="secret", level="info")
    assert api_client.get(f"/api/v1/executions/{foreign.id}/logs/").status_code == 404
