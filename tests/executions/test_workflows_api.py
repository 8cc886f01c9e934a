"""The workflows API: CRUD, validation, node types, run, a workflow's executions."""

from __future__ import annotations

import pytest

from executions.choices import ExecutionStatus, Trigger
from executions.models import Execution, Workflow
from synapscale.choices import Role
from tests.executions.factories import ExecutionFactory, WorkflowFactory, three_node_definition

pytestmark = pytest.mark.django_db
URL = "/api/v1/workflows/"


def create_payload(**overrides):
    return {"name": "Greeter", "definition": three_node_definition(), **overrides}


def test_create_workflow_validates_and_starts_at_version_1(api_client, user, workspace):
    response = api_client.post(URL, create_payload(description="hello"), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["version"] == 1
    assert body["node_count"] == 3
    assert body["created_by"] == user.id
    assert Workflow.objects.get(pk=body["id"]).workspace == workspace


@pytest.mark.parametrize(
    ("definition", "error_path"),
    [
        ({"nodes": [{"id": "a", "type": "teleport"}]}, "definition.nodes.0.type"),
        (
            {
                "nodes": [
                    {"id": "a", "type": "set", "params": {"fields": {}}},
                    {"id": "b", "type": "set", "params": {"fields": {}}},
                ],
                "edges": [{"from": "a", "to": "b"}, {"from": "b", "to": "a"}],
            },
            "definition.edges.1",
        ),
        (
            {"nodes": [{"id": "t", "type": "transform", "params": {"expr": "a.["}}]},
            "definition.nodes.0.params.expr",
        ),
        (
            {"nodes": [{"id": "d", "type": "delay", "params": {"seconds": "later"}}]},
            "definition.nodes.0.params.seconds",
        ),
        ("not a definition", "definition.definition"),
    ],
)
def test_invalid_definition_is_a_400_problem_naming_the_field(api_client, definition, error_path):
    response = api_client.post(URL, create_payload(definition=definition), format="json")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert error_path in response.json()["errors"]
    assert not Workflow.objects.exists()


def test_missing_name_is_a_400(api_client):
    response = api_client.post(URL, {"definition": three_node_definition()}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()["errors"]


def test_list_shows_only_the_workspace_workflows_with_bounded_queries(
    api_client, workspace, other_workspace, django_assert_max_num_queries
):
    WorkflowFactory.create_batch(3, workspace=workspace)
    WorkflowFactory(workspace=other_workspace)

    with django_assert_max_num_queries(8):
        response = api_client.get(URL)

    assert response.status_code == 200
    assert response.json()["count"] == 3
    assert "definition" not in response.json()["results"][0]


def test_list_filters_and_rejects_unknown_params(api_client, workspace):
    WorkflowFactory(workspace=workspace, name="Alpha", is_active=False)
    WorkflowFactory(workspace=workspace, name="Beta")

    assert api_client.get(URL, {"is_active": "false"}).json()["count"] == 1
    assert api_client.get(URL, {"search": "bet"}).json()["results"][0]["name"] == "Beta"
    assert api_client.get(URL, {"colour": "red"}).status_code == 400


def test_changing_the_definition_increments_the_version(api_client, workspace):
    workflow = WorkflowFactory(workspace=workspace)
    definition = three_node_definition()
    definition["nodes"][2]["params"]["expr"] = "nodes.greet"

    renamed = api_client.patch(f"{URL}{workflow.id}/", {"name": "Renamed"}, format="json")
    changed = api_client.patch(f"{URL}{workflow.id}/", {"definition": definition}, format="json")

    assert renamed.json()["version"] == 1
    assert changed.status_code == 200
    assert changed.json()["version"] == 2
    assert changed.json()["name"] == "Renamed"


def test_invalid_update_changes_nothing(api_client, workspace):
    workflow = WorkflowFactory(workspace=workspace)
    response = api_client.put(
        f"{URL}{workflow.id}/", create_payload(definition={"nodes": []}), format="json"
    )
    assert response.status_code == 400
    workflow.refresh_from_db()
    assert workflow.version == 1
    assert workflow.definition == three_node_definition()


def test_other_workspace_workflow_is_404(api_client, other_workspace):
    workflow = WorkflowFactory(workspace=other_workspace)
    assert api_client.get(f"{URL}{workflow.id}/").status_code == 404
    assert api_client.post(f"{URL}{workflow.id}/run/", {}, format="json").status_code == 404


def test_anonymous_is_401(anon_client):
    assert anon_client.get(URL).status_code == 401


def test_viewer_may_read_and_validate_but_not_write(api_client, other_user, workspace, make_member):
    from tests.conftest import client_for

    make_member(workspace, other_user, Role.VIEWER)
    viewer = client_for(other_user)
    headers = {"HTTP_X_WORKSPACE": workspace.slug}
    workflow = WorkflowFactory(workspace=workspace)

    assert viewer.get(URL, **headers).json()["count"] == 1
    check = viewer.post(
        f"{URL}validate/", {"definition": three_node_definition()}, format="json", **headers
    )
    assert check.status_code == 200
    assert viewer.post(URL, create_payload(), format="json", **headers).status_code == 403
    assert viewer.post(f"{URL}{workflow.id}/run/", {}, format="json", **headers).status_code == 403


def test_validate_reports_order_and_terminal_nodes(api_client):
    response = api_client.post(
        f"{URL}validate/", {"definition": three_node_definition()}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {
        "valid": True,
        "node_count": 3,
        "edge_count": 2,
        "order": ["greet", "shout", "check"],
        "entry_nodes": ["greet"],
        "terminal_nodes": ["check"],
    }


def test_validate_invalid_definition_is_400(api_client):
    definition = three_node_definition()
    definition["edges"].append({"from": "greet", "to": "check", "when": "true"})
    response = api_client.post(f"{URL}validate/", {"definition": definition}, format="json")
    assert response.status_code == 400
    assert "definition.edges.2.when" in response.json()["errors"]


def test_node_types_lists_every_type_with_its_schema(api_client):
    response = api_client.get(f"{URL}node-types/")
    types = {item["type"]: item for item in response.json()}
    assert set(types) == {
        "set",
        "transform",
        "condition",
        "delay",
        "http_request",
        "fail",
        "respond",
    }
    assert types["http_request"]["params_schema"]["required"] == ["url"]


def test_run_answers_202_and_same_idempotency_key_returns_same_execution(api_client, workspace):
    workflow = WorkflowFactory(workspace=workspace)
    url = f"{URL}{workflow.id}/run/"

    first = api_client.post(
        url, {"input": {"name": "Ada"}}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    again = api_client.post(
        url, {"input": {"name": "Bob"}}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    other = api_client.post(
        url, {"input": {"name": "Cy"}}, format="json", HTTP_IDEMPOTENCY_KEY="k2"
    )

    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"] != other.json()["id"]
    execution = Execution.objects.get(pk=first.json()["id"])
    assert execution.input == {"name": "Ada"}
    assert execution.trigger == Trigger.API
    assert execution.definition == workflow.definition
    # The 202 is the small representation; the detail lists every node, pending until run.
    assert set(first.json()) == {
        "id",
        "workflow",
        "workflow_version",
        "status",
        "priority",
        "trigger",
        "idempotency_key",
        "created_at",
    }
    detail = api_client.get(f"/api/v1/executions/{execution.id}/").json()
    assert [run["node_id"] for run in detail["node_runs"]] == ["greet", "shout", "check"]
    assert {run["status"] for run in detail["node_runs"]} == {"pending"}


def test_idempotency_key_of_another_workflow_is_409(api_client, workspace):
    one, two = WorkflowFactory.create_batch(2, workspace=workspace)
    api_client.post(f"{URL}{one.id}/run/", {}, format="json", HTTP_IDEMPOTENCY_KEY="same")
    response = api_client.post(
        f"{URL}{two.id}/run/", {}, format="json", HTTP_IDEMPOTENCY_KEY="same"
    )
    assert response.status_code == 409


@pytest.mark.parametrize(
    "payload",
    [{"input": [1, 2]}, {"priority": 11}, {"priority": "high"}, {"timeout_seconds": 0}],
)
def test_run_with_bad_input_is_400_and_creates_nothing(api_client, workspace, payload):
    workflow = WorkflowFactory(workspace=workspace)
    response = api_client.post(f"{URL}{workflow.id}/run/", payload, format="json")
    assert response.status_code == 400
    assert not Execution.objects.exists()


def test_run_inactive_workflow_is_409(api_client, workspace):
    workflow = WorkflowFactory(workspace=workspace, is_active=False)
    assert api_client.post(f"{URL}{workflow.id}/run/", {}, format="json").status_code == 409


def test_delete_refused_while_an_execution_is_active(api_client, workspace):
    workflow = WorkflowFactory(workspace=workspace)
    running = ExecutionFactory(workflow=workflow, status=ExecutionStatus.RUNNING, finished_at=None)

    assert api_client.delete(f"{URL}{workflow.id}/").status_code == 409
    running.status = ExecutionStatus.SUCCEEDED
    running.save()
    assert api_client.delete(f"{URL}{workflow.id}/").status_code == 204
    assert not Workflow.objects.filter(pk=workflow.pk).exists()


def test_workflow_executions_lists_only_that_workflow(
    api_client, workspace, django_assert_max_num_queries
):
    workflow, other = WorkflowFactory.create_batch(2, workspace=workspace)
    ExecutionFactory.create_batch(3, workflow=workflow)
    ExecutionFactory(workflow=workflow, status=ExecutionStatus.FAILED)
    ExecutionFactory(workflow=other)

    with django_assert_max_num_queries(8):
        response = api_client.get(f"{URL}{workflow.id}/executions/")
    failed = api_client.get(f"{URL}{workflow.id}/executions/", {"status": "failed"})

    assert len(response.json()["results"]) == 4
    assert len(failed.json()["results"]) == 1
    assert api_client.get(f"{URL}{workflow.id}/executions/", {"bogus": 1}).status_code == 400
