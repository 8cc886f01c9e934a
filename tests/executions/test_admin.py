"""The staff console: workflows through the services, executions read-only with actions."""

from __future__ import annotations

import json

import pytest

from executions.choices import ExecutionStatus
from executions.models import Execution, ExecutionLog, Workflow
from tests.executions.factories import (
    ExecutionFactory,
    NodeRunFactory,
    WorkflowFactory,
    three_node_definition,
)

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/executions/execution/"


def test_execution_changelist_has_no_n_plus_one(
    admin_client_, workspace, django_assert_max_num_queries
):
    ExecutionFactory.create_batch(3, workflow=WorkflowFactory(workspace=workspace))
    with django_assert_max_num_queries(12) as few:
        admin_client_.get(CHANGELIST)
    ExecutionFactory.create_batch(20, workflow=WorkflowFactory(workspace=workspace))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = admin_client_.get(CHANGELIST)
    assert response.status_code == 200


def changelist_ids(client, **query) -> set[int]:
    response = client.get(CHANGELIST, query)
    assert response.status_code == 200
    return {row.pk for row in response.context["cl"].result_list}


def test_execution_changelist_filters_and_search_return_the_matching_rows(admin_client_, workspace):
    workflow, other_workflow = WorkflowFactory.create_batch(2, workspace=workspace)
    failed = ExecutionFactory(workflow=workflow, status=ExecutionStatus.FAILED)
    scheduled = ExecutionFactory(workflow=other_workflow, trigger="schedule")
    keyed = ExecutionFactory(workflow=workflow, idempotency_key="order-42")

    assert changelist_ids(admin_client_, status="failed") == {failed.id}
    assert changelist_ids(admin_client_, trigger="schedule") == {scheduled.id}
    assert changelist_ids(admin_client_, workflow__id__exact=other_workflow.id) == {scheduled.id}
    assert changelist_ids(admin_client_, q=str(failed.id)) == {failed.id}
    assert changelist_ids(admin_client_, q="order-42") == {keyed.id}
    assert changelist_ids(admin_client_, q="abc") == set()


def test_search_by_id_finds_the_execution(admin_client_, workspace):
    execution = ExecutionFactory(workflow=WorkflowFactory(workspace=workspace))
    other = ExecutionFactory(workflow=execution.workflow)
    response = admin_client_.get(f"{CHANGELIST}?q={execution.id}")
    ids = [row.pk for row in response.context["cl"].result_list]
    assert ids == [execution.id]
    assert other.id not in ids


def test_execution_detail_shows_node_runs_and_logs(admin_client_, workspace):
    execution = ExecutionFactory(workflow=WorkflowFactory(workspace=workspace), duration_ms=1500)
    NodeRunFactory(execution=execution, node_id="greet")
    ExecutionLog.objects.create(execution=execution, message="Node greet succeeded.")

    response = admin_client_.get(f"{CHANGELIST}{execution.id}/change/")

    content = response.content.decode()
    assert response.status_code == 200
    assert "greet" in content
    assert "Node greet succeeded." in content
    assert "1.5 s" in content


def test_cancel_and_retry_actions_use_the_services(admin_client_, workspace):
    workflow = WorkflowFactory(workspace=workspace)
    queued = ExecutionFactory(workflow=workflow, status=ExecutionStatus.QUEUED, finished_at=None)
    failed = ExecutionFactory(workflow=workflow, status=ExecutionStatus.FAILED)

    admin_client_.post(
        CHANGELIST, {"action": "cancel_executions", "_selected_action": [queued.id, failed.id]}
    )
    admin_client_.post(
        CHANGELIST, {"action": "retry_from_failure", "_selected_action": [failed.id]}
    )

    queued.refresh_from_db()
    assert queued.status == ExecutionStatus.CANCELLED
    assert Execution.objects.get(retry_of=failed).retry_mode == "from_failure"


def test_delete_action_only_deletes_finished(admin_client_, workspace):
    workflow = WorkflowFactory(workspace=workspace)
    done = ExecutionFactory(workflow=workflow)
    running = ExecutionFactory(workflow=workflow, status=ExecutionStatus.RUNNING)
    admin_client_.post(
        CHANGELIST, {"action": "delete_finished", "_selected_action": [done.id, running.id]}
    )
    assert list(Execution.objects.values_list("id", flat=True)) == [running.id]


def test_workflow_admin_validates_and_versions_through_the_service(admin_client_, workspace):
    add = admin_client_.post(
        "/admin/executions/workflow/add/",
        {
            "workspace": workspace.id,
            "name": "From admin",
            "description": "",
            "definition": '{"nodes": [{"id": "a", "type": "teleport"}]}',
            "is_active": "on",
        },
    )
    assert add.status_code == 200  # the form is shown again with the error
    assert "nodes.0.type" in add.content.decode()
    assert not Workflow.objects.exists()

    admin_client_.post(
        "/admin/executions/workflow/add/",
        {
            "workspace": workspace.id,
            "name": "From admin",
            "description": "",
            "definition": json.dumps(three_node_definition()),
            "is_active": "on",
        },
    )
    workflow = Workflow.objects.get()
    changed = three_node_definition()
    changed["nodes"][1]["params"]["expr"] = "input"
    admin_client_.post(
        f"/admin/executions/workflow/{workflow.id}/change/",
        {
            "workspace": workspace.id,
            "name": "From admin",
            "description": "",
            "definition": json.dumps(changed),
            "is_active": "on",
        },
    )
    workflow.refresh_from_db()
    assert workflow.version == 2
    assert admin_client_.get("/admin/executions/workflow/").status_code == 200
