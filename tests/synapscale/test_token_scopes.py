"""Scopes limit what a token may do, on every route (TokenScopePermission)."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from synapscale.api.permissions import TokenScopePermission
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

WORKFLOWS = "/api/v1/workflows/"
EVENTS = "/api/v1/analytics/events/"


def assert_scope_problem(response, scope):
    assert response.status_code == 403, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == f"This token lacks the {scope!r} scope this request needs."


def test_read_token_reads_but_cannot_write(user, workspace):
    client = client_for(user, scopes=["read"])
    assert client.get(WORKFLOWS).status_code == 200
    assert_scope_problem(client.post(WORKFLOWS, {"name": "w"}, format="json"), "write")
    assert_scope_problem(client.post(EVENTS, {"event_type": "click"}, format="json"), "ingest")


def test_write_token_writes_workspace_resources_but_does_not_administer(user, workspace):
    client = client_for(user, scopes=["write"])
    assert client.get(WORKFLOWS).status_code == 200  # write carries read
    assert client.post(WORKFLOWS, {"name": "w"}, format="json").status_code != 403
    rotate = f"/api/v1/workspaces/{workspace.slug}/rotate-ingestion-key/"
    assert_scope_problem(client.post(rotate), "admin")
    assert_scope_problem(client.post("/api/v1/workspaces/", {"name": "x"}, format="json"), "admin")


def test_ingest_token_only_ingests(user, workspace):
    client = client_for(user, scopes=["ingest"])
    response = client.post(EVENTS, {"event_type": "click"}, format="json")
    assert response.status_code == 200 and response.json()["accepted"] == 1
    assert_scope_problem(client.get(WORKFLOWS), "read")
    assert_scope_problem(client.get(EVENTS), "read")
    assert_scope_problem(client.get("/api/v1/auth/me/"), "read")


def test_admin_token_administers_and_reads_but_does_not_write(user, workspace):
    client = client_for(user, scopes=["admin"])
    rotate = f"/api/v1/workspaces/{workspace.slug}/rotate-ingestion-key/"
    assert client.post(rotate).status_code == 200
    assert client.get(f"/api/v1/workspaces/{workspace.slug}/members/").status_code == 200
    assert_scope_problem(client.post(WORKFLOWS, {"name": "w"}, format="json"), "write")


def test_a_read_token_may_run_an_analysis_which_only_reads(user, workspace):
    client = client_for(user, scopes=["read"])
    response = client.post("/api/v1/analytics/analysis/trends/", {}, format="json")
    assert response.status_code == 400  # the spec is checked: the scope let it through


def test_scopes_do_not_limit_a_session(client, user, workspace):
    client.force_login(user)
    response = client.post(
        f"/api/v1/workspaces/{workspace.slug}/rotate-ingestion-key/",
        content_type="application/json",
    )
    assert response.status_code == 200


def _drf_views(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _drf_views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and hasattr(pattern.callback, "cls"):
            yield prefix + str(pattern.pattern), pattern.callback


def test_every_authenticated_route_checks_token_scopes():
    checked = 0
    for route, callback in _drf_views(get_resolver().url_patterns):
        actions = getattr(callback, "actions", None) or {"get": None}
        for action in actions.values():
            view = callback.cls(**getattr(callback, "initkwargs", {}))
            view.action = action
            if not view.get_authenticators():
                continue  # no user token reaches it (ingestion keys, webhook tokens)
            permissions = view.get_permissions()
            assert any(isinstance(p, TokenScopePermission) for p in permissions), (route, action)
            checked += 1
    assert checked > 50
