"""Input the review found answering 500: odd ids, header values, URLs, NUL and deep nesting."""

from __future__ import annotations

import pytest
from django.test import Client

from executions.models import Execution, Workflow
from tests.executions.factories import ExecutionFactory, WorkflowFactory

pytestmark = pytest.mark.django_db
EXECUTIONS = "/api/v1/executions/"
WORKFLOWS = "/api/v1/workflows/"


def nested(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize("pk", ["²", "١٢", "①", "99999999999999999999"])
def test_status_of_an_id_that_is_not_ascii_digits_is_404(api_client, pk):
    response = api_client.get(f"{EXECUTIONS}{pk}/status/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")


@pytest.mark.parametrize("term", ["²", "١٢", "99999999999999999999"])
def test_admin_search_with_unicode_or_huge_digits_finds_nothing(staff_user, workspace, term):
    ExecutionFactory(workflow=WorkflowFactory(workspace=workspace))
    staff_user.is_superuser = True
    staff_user.save(update_fields=["is_superuser"])
    client = Client()
    client.force_login(staff_user)
    response = client.get("/admin/executions/execution/", {"q": term})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


@pytest.mark.parametrize("key", ["a\x00b", "tab\there", "bell\x07", "é-not-ascii", "k" * 256])
def test_idempotency_key_must_be_printable_ascii(api_client, workspace, key):
    workflow = WorkflowFactory(workspace=workspace)
    response = api_client.post(
        f"{WORKFLOWS}{workflow.id}/run/", {}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert response.status_code == 400
    assert "idempotency_key" in response.json()["errors"]
    assert not Execution.objects.exists()


@pytest.mark.parametrize("url", ["http://[::1", "http://example.com:99999/", "http://[x]:1/"])
def test_unparseable_url_is_a_400_on_the_url_param(api_client, url):
    definition = {"nodes": [{"id": "h", "type": "http_request", "params": {"url": url}}]}
    response = api_client.post(f"{WORKFLOWS}validate/", {"definition": definition}, format="json")
    assert response.status_code == 400
    assert "definition.nodes.0.params.url" in response.json()["errors"]


def test_nul_in_a_definition_is_400_and_saves_nothing(api_client):
    definition = {"nodes": [{"id": "s", "type": "set", "params": {"fields": {"a": "x\x00y"}}}]}
    response = api_client.post(WORKFLOWS, {"name": "n", "definition": definition}, format="json")
    assert response.status_code == 400
    assert not Workflow.objects.exists()


def test_nul_or_deep_nesting_in_run_input_is_400_and_starts_nothing(api_client, workspace):
    workflow = WorkflowFactory(workspace=workspace)
    url = f"{WORKFLOWS}{workflow.id}/run/"
    assert api_client.post(url, {"input": {"a": "\x00"}}, format="json").status_code == 400
    assert api_client.post(url, {"input": nested(300)}, format="json").status_code == 400
    assert not Execution.objects.exists()


def test_deeply_nested_definition_is_400(api_client):
    definition = {"nodes": [{"id": "s", "type": "set", "params": {"fields": nested(300)}}]}
    response = api_client.post(WORKFLOWS, {"name": "n", "definition": definition}, format="json")
    assert response.status_code == 400
    assert not Workflow.objects.exists()


@pytest.mark.parametrize(
    ("node", "error_path"),
    [
        ({"type": "transform", "params": {"expr": "(" * 999 + "a" + ")" * 999}}, "expr"),
        ({"type": "transform", "params": {"expr": "(" * 2000 + "a" + ")" * 2000}}, "expr"),
        ({"type": "condition", "params": {"expr": "!" * 1999 + "a"}}, "expr"),
        ({"type": "transform", "params": {"expr": "[" * 3000}}, "expr"),
        ({"type": "set", "params": {"fields": {"x": {"expr": "[" * 1999}}}}, "fields.x.expr"),
        (
            {"type": "http_request", "params": {"url": "http://e.com/", "json_expr": "a" * 2001}},
            "json_expr",
        ),
    ],
)
def test_expressions_too_deep_or_too_long_are_400(api_client, node, error_path):
    definition = {"nodes": [{"id": "n", **node}]}
    response = api_client.post(f"{WORKFLOWS}validate/", {"definition": definition}, format="json")
    assert response.status_code == 400
    assert f"definition.nodes.0.params.{error_path}" in response.json()["errors"]
