"""Reusable checks every workspace-scoped endpoint must pass (after NetBox's APITestCase).

Subclass in a test module (add ``WorkspaceCreateChecks`` when the endpoint creates) and
declare how to make an object and where its URLs are::

    class TestWorkflowEndpoint(WorkspaceEndpointChecks):
        list_url = "/api/v1/workflows/"

        def make_object(self, workspace, user):
            return WorkflowFactory(workspace=workspace, created_by=user)

        def create_payload(self, workspace):      # None when the endpoint has no create
            return {"name": "x", "definition": {...}}

        update_payload = {"name": "renamed"}      # None when objects cannot be edited

The checks: anonymous callers get 401, a list shows only the request's workspace and is
paginated, another workspace's object is 404 (read, update, delete), and a viewer can read
but not create, update or delete. Every error is a problem-details response.
"""

from __future__ import annotations

import pytest

from synapscale.choices import Role
from tests.conftest import client_for

PROBLEM = "application/problem+json"


def assert_problem(response, status: int = 400) -> dict:
    """Assert a problem-details response with ``status``; return its body."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"].startswith("https://")
    return body


@pytest.mark.django_db
class WorkspaceEndpointChecks:
    list_url: str = ""
    update_payload: dict | None = None
    supports_delete: bool = True

    def make_object(self, workspace, user):
        raise NotImplementedError("declare make_object(workspace, user)")

    def detail_url(self, obj) -> str:
        return f"{self.list_url}{obj.pk}/"

    def create_payload(self, workspace) -> dict | None:
        return None

    def list_ids(self, body) -> list:
        return [str(row["id"]) for row in body["results"]]

    def test_anonymous_is_401(self, anon_client, user, workspace):
        obj = self.make_object(workspace, user)
        assert_problem(anon_client.get(self.list_url), 401)
        assert_problem(anon_client.get(self.detail_url(obj)), 401)

    def test_list_shows_only_the_request_workspace(
        self, api_client, user, workspace, other_user, other_workspace
    ):
        mine = self.make_object(workspace, user)
        self.make_object(other_workspace, other_user)
        response = api_client.get(self.list_url)
        assert response.status_code == 200, response.content[:500]
        body = response.json()
        assert "results" in body and "next" in body  # paginated
        assert self.list_ids(body) == [str(mine.pk)]

    def test_another_workspaces_object_is_404(self, api_client, other_user, other_workspace):
        theirs = self.make_object(other_workspace, other_user)
        assert_problem(api_client.get(self.detail_url(theirs)), 404)
        if self.update_payload is not None:
            assert_problem(
                api_client.patch(self.detail_url(theirs), self.update_payload, format="json"), 404
            )
        if self.supports_delete:
            assert_problem(api_client.delete(self.detail_url(theirs)), 404)

    def test_viewer_reads_but_cannot_write(self, user, other_user, other_workspace, make_member):
        make_member(other_workspace, user, Role.VIEWER)
        viewer = client_for(user)
        headers = {"HTTP_X_WORKSPACE": other_workspace.slug}
        obj = self.make_object(other_workspace, other_user)
        assert viewer.get(self.list_url, **headers).status_code == 200
        assert viewer.get(self.detail_url(obj), **headers).status_code == 200
        payload = self.create_payload(other_workspace)
        if payload is not None:  # endpoints without create answer 405 here, not our concern
            assert_problem(viewer.post(self.list_url, payload, format="json", **headers), 403)
        if self.update_payload is not None:
            assert_problem(
                viewer.patch(self.detail_url(obj), self.update_payload, format="json", **headers),
                403,
            )
        if self.supports_delete:
            assert_problem(viewer.delete(self.detail_url(obj), **headers), 403)
        assert type(obj).objects.filter(pk=obj.pk).exists()


class WorkspaceCreateChecks:
    """Add to endpoints that create objects: creation lands in the request's workspace."""

    created_model = None  # the model class the endpoint creates

    def test_member_creates_in_the_request_workspace(self, api_client, workspace):
        response = api_client.post(self.list_url, self.create_payload(workspace), format="json")
        assert response.status_code in (201, 202), response.content[:500]
        created = self.created_model.objects.get(pk=response.json()["id"])
        assert created.workspace_id == workspace.id

    def test_create_with_x_workspace_lands_there(
        self, api_client, user, other_workspace, make_member
    ):
        make_member(other_workspace, user, Role.MEMBER)
        response = api_client.post(
            self.list_url,
            self.create_payload(other_workspace),
            format="json",
            HTTP_X_WORKSPACE=other_workspace.slug,
        )
        assert response.status_code in (201, 202), response.content[:500]
        created = self.created_model.objects.get(pk=response.json()["id"])
        assert created.workspace_id == other_workspace.id
