"""/api/v1/triggers/: webhook triggers of a workflow, their secrets, rotation, filters."""

from __future__ import annotations

import pytest

from executions.models import WorkflowTrigger
from executions.services.triggers import token_digest, trigger_create
from tests.api_checks import WorkspaceCreateChecks, WorkspaceEndpointChecks, assert_problem
from tests.executions.factories import WorkflowFactory

URL = "/api/v1/triggers/"


def make_trigger(workspace, user, **fields):
    return trigger_create(workflow=WorkflowFactory(workspace=workspace), user=user, **fields)


class TestTriggerEndpoint(WorkspaceEndpointChecks, WorkspaceCreateChecks):
    list_url = URL
    update_payload = {"is_enabled": False}
    created_model = WorkflowTrigger

    def make_object(self, workspace, user):
        return make_trigger(workspace, user).trigger

    def create_payload(self, workspace):
        return {"workflow": WorkflowFactory(workspace=workspace).id}


@pytest.mark.django_db
def test_create_shows_the_token_once_and_stores_only_its_digest(api_client, workspace):
    workflow = WorkflowFactory(workspace=workspace)

    response = api_client.post(URL, {"workflow": workflow.id, "name": "stripe"}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    trigger = WorkflowTrigger.objects.get(pk=body["id"])
    assert body["url"] == f"http://testserver/hooks/{trigger.public_id}/"
    assert body["secret_url"] == body["url"] + body["secret"]
    assert trigger.token_sha256 == token_digest(body["secret"])
    assert body["secret"] not in str(WorkflowTrigger.objects.filter(pk=trigger.pk).values().get())
    detail = api_client.get(f"{URL}{trigger.id}/").json()
    assert "secret" not in detail and "secret_url" not in detail
    assert detail["methods"] == ["POST"] and detail["response_mode"] == "accepted"


@pytest.mark.django_db
def test_a_signed_trigger_gets_a_signing_secret_and_no_secret_url(api_client, workspace):
    workflow = WorkflowFactory(workspace=workspace)

    body = api_client.post(
        URL, {"workflow": workflow.id, "auth": "hmac_sha256"}, format="json"
    ).json()

    trigger = WorkflowTrigger.objects.get(pk=body["id"])
    assert body["secret_url"] is None
    assert trigger.signing_secret == body["secret"] and trigger.token_sha256 == ""


@pytest.mark.django_db
def test_rotate_replaces_the_secret(api_client, workspace, user):
    created = make_trigger(workspace, user)

    response = api_client.post(f"{URL}{created.trigger.id}/rotate/")

    assert response.status_code == 200
    new_secret = response.json()["secret"]
    assert new_secret != created.secret
    created.trigger.refresh_from_db()
    assert created.trigger.token_sha256 == token_digest(new_secret)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"methods": []}, "methods"),
        ({"methods": ["TRACE"]}, "methods"),
        ({"wait_seconds": 0}, "wait_seconds"),
        ({"wait_seconds": 31}, "wait_seconds"),
        ({"rate_limit": "fast"}, "rate_limit"),
        ({"rate_limit": "0/m"}, "rate_limit"),
        ({"max_body_bytes": 0}, "max_body_bytes"),
        ({"max_body_bytes": 10 * 1024 * 1024 + 1}, "max_body_bytes"),
        ({"auth": "basic"}, "auth"),
        ({"response_mode": "later"}, "response_mode"),
    ],
)
def test_a_bad_field_is_a_400_naming_it(api_client, workspace, payload, field):
    workflow = WorkflowFactory(workspace=workspace)

    response = api_client.post(URL, {"workflow": workflow.id, **payload}, format="json")

    assert field in assert_problem(response, 400)["errors"]
    assert not WorkflowTrigger.objects.exists()


@pytest.mark.django_db
def test_a_workflow_of_another_workspace_is_refused(api_client, other_workspace):
    theirs = WorkflowFactory(workspace=other_workspace)

    response = api_client.post(URL, {"workflow": theirs.id}, format="json")

    assert "workflow" in assert_problem(response, 400)["errors"]


@pytest.mark.django_db
def test_workflow_and_auth_are_fixed_after_creation(api_client, workspace, user):
    trigger = make_trigger(workspace, user).trigger

    response = api_client.patch(f"{URL}{trigger.id}/", {"auth": "stripe"}, format="json")

    assert "auth" in assert_problem(response, 400)["errors"]
    changed = api_client.patch(
        f"{URL}{trigger.id}/", {"methods": ["get", "POST"], "rate_limit": "5/s"}, format="json"
    )
    assert changed.status_code == 200
    assert changed.json()["methods"] == ["GET", "POST"] and changed.json()["rate_limit"] == "5/s"


@pytest.mark.django_db
def test_the_list_filters_by_workflow_and_auth(api_client, workspace, user):
    token = make_trigger(workspace, user)
    signed = make_trigger(workspace, user, auth="stripe")

    by_workflow = api_client.get(URL, {"workflow": token.trigger.workflow_id}).json()
    by_auth = api_client.get(URL, {"auth": "stripe"}).json()

    assert [row["id"] for row in by_workflow["results"]] == [token.trigger.id]
    assert [row["id"] for row in by_auth["results"]] == [signed.trigger.id]
