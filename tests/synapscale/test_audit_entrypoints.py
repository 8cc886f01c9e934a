"""Audit rows from the API (with the request's context), sign-ins, the admin and tasks."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client

from synapscale.admin_audit import AuditedAdminMixin
from synapscale.models import AuditEvent, Workspace
from tests.conftest import TEST_PASSWORD
from tests.executions.factories import three_node_definition

pytestmark = pytest.mark.django_db

PROJECT_APPS = {"synapscale", "executions", "templates_app", "analytics"}


def test_api_write_records_address_agent_request_id_and_token(api_client, workspace):
    response = api_client.post(
        "/api/v1/workflows/",
        {"name": "Flow", "definition": three_node_definition()},
        format="json",
        REMOTE_ADDR="198.51.100.23",
        HTTP_USER_AGENT="pytest-agent",
        HTTP_X_REQUEST_ID="req-audit-0001",
    )
    assert response.status_code == 201
    event = AuditEvent.objects.get(action="workflow.created")
    assert event.workspace_id == workspace.pk
    assert event.actor_label == "alice"
    assert event.client_ip == "198.51.100.0"
    assert event.user_agent == "pytest-agent"
    assert event.request_id == "req-audit-0001"
    assert event.actor_token_id == str(api_client.token.pk)
    assert event.target_id == str(response.json()["id"])


def test_failed_api_write_records_nothing(api_client):
    response = api_client.post(
        "/api/v1/workflows/", {"name": "Flow", "definition": {"nodes": 3}}, format="json"
    )
    assert response.status_code == 400
    assert not AuditEvent.objects.filter(action__startswith="workflow.").exists()


def test_api_token_login_success_and_failure_are_audited(anon_client, user):
    ok = anon_client.post(
        "/api/v1/auth/token/", {"username": "alice", "password": TEST_PASSWORD}, format="json"
    )
    bad = anon_client.post(
        "/api/v1/auth/token/", {"username": "alice", "password": "wrong"}, format="json"
    )
    assert (ok.status_code, bad.status_code) == (200, 400)
    success = AuditEvent.objects.get(action="user.logged_in")
    assert (success.actor_user_id, success.changes) == (user.pk, {"via": "api_token"})
    failure = AuditEvent.objects.get(action="user.login_failed")
    assert failure.changes == {"username": "alice"}
    assert failure.client_ip == "127.0.0.0"
    assert "wrong" not in str(failure.changes)


def test_session_login_and_admin_failure_are_audited(staff_user):
    client = Client()
    client.force_login(staff_user)
    assert AuditEvent.objects.get(action="user.logged_in").changes == {"via": "session"}
    Client().post("/admin/login/", {"username": "x@example.com", "password": "nope"})
    failure = AuditEvent.objects.get(action="user.login_failed")
    assert failure.changes == {"username": "x***@example.com"}


@pytest.fixture
def superuser_client(staff_user):
    staff_user.is_superuser = True
    staff_user.save(update_fields=["is_superuser"])
    client = Client()
    client.force_login(staff_user)
    return client


def test_admin_save_records_the_changed_fields(superuser_client, staff_user, workspace):
    response = superuser_client.post(
        f"/admin/synapscale/workspace/{workspace.pk}/change/",
        {
            "name": "Renamed",
            "is_personal": "on",
            "slug": workspace.slug,
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "quota-TOTAL_FORMS": "0",
            "quota-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    event = AuditEvent.objects.get(action="workspace.admin_updated")
    assert event.actor_user_id == staff_user.pk
    assert event.changes == {"name": {"before": "alice's workspace", "after": "Renamed"}}


def test_admin_custom_action_and_delete_are_audited(superuser_client, other_workspace):
    superuser_client.post(
        "/admin/synapscale/workspace/",
        {"action": "rotate_ingestion_keys", "_selected_action": [other_workspace.pk]},
    )
    action = AuditEvent.objects.get(action="workspace.admin_action")
    assert action.changes == {"action": "rotate_ingestion_keys", "ids": [str(other_workspace.pk)]}
    rotated = AuditEvent.objects.get(action="workspace.ingestion_key_rotated")
    assert rotated.actor_label == "staffer"

    superuser_client.post(
        "/admin/synapscale/workspace/",
        {"action": "delete_selected", "_selected_action": [other_workspace.pk], "post": "yes"},
    )
    assert not Workspace.objects.filter(pk=other_workspace.pk).exists()
    deleted = AuditEvent.objects.get(action="workspace.admin_deleted")
    assert deleted.target_id == str(other_workspace.pk)


def test_admin_delete_view_is_audited(superuser_client, workspace):
    membership = workspace.memberships.get()
    superuser_client.post(f"/admin/synapscale/membership/{membership.pk}/delete/", {"post": "yes"})
    event = AuditEvent.objects.get(action="membership.admin_deleted")
    assert event.changes["role"] == {"before": "owner", "after": None}


def test_every_project_admin_is_audited():
    project_admins = [
        model_admin
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in PROJECT_APPS
    ]
    assert project_admins
    assert all(isinstance(model_admin, AuditedAdminMixin) for model_admin in project_admins)


def test_a_task_is_the_actor_of_what_it_writes(workspace):
    from celery import shared_task

    from synapscale.services.workspaces import workspace_rotate_ingestion_key

    @shared_task(name="tests.rotate_key")
    def rotate(workspace_id):
        workspace_rotate_ingestion_key(workspace=Workspace.objects.get(pk=workspace_id))

    rotate.apply(args=[workspace.pk]).get()
    event = AuditEvent.objects.get(action="workspace.ingestion_key_rotated")
    assert (event.actor_label, event.actor_user_id) == ("task:tests.rotate_key", None)


def _workspace_form(workspace, memberships, extra=()):
    data = {
        "name": workspace.name,
        "slug": workspace.slug,
        "is_personal": "on",
        "memberships-TOTAL_FORMS": str(len(memberships) + len(extra)),
        "memberships-INITIAL_FORMS": str(len(memberships)),
        "quota-TOTAL_FORMS": "0",
        "quota-INITIAL_FORMS": "0",
    }
    for index, (membership, delete) in enumerate(memberships):
        data |= {
            f"memberships-{index}-id": str(membership.pk),
            f"memberships-{index}-workspace": str(workspace.pk),
            f"memberships-{index}-user": str(membership.user_id),
            f"memberships-{index}-role": membership.role,
        }
        if delete:
            data[f"memberships-{index}-DELETE"] = "on"
    for offset, (user, role) in enumerate(extra, start=len(memberships)):
        data |= {
            f"memberships-{offset}-workspace": str(workspace.pk),
            f"memberships-{offset}-user": str(user.pk),
            f"memberships-{offset}-role": role,
        }
    return data


def test_admin_inline_rows_added_changed_and_deleted_are_audited(
    superuser_client, workspace, other_user
):
    url = f"/admin/synapscale/workspace/{workspace.pk}/change/"
    owner = workspace.memberships.get()
    added = superuser_client.post(
        url, _workspace_form(workspace, [(owner, False)], [(other_user, "member")])
    )
    assert added.status_code == 302, added.content[:3000]
    created = AuditEvent.objects.get(action="membership.admin_created")
    assert created.changes["role"] == {"before": None, "after": "member"}

    member = workspace.memberships.get(user=other_user)
    member.role = "admin"
    superuser_client.post(url, _workspace_form(workspace, [(owner, False), (member, False)]))
    updated = AuditEvent.objects.get(action="membership.admin_updated")
    assert updated.changes == {"role": {"before": "member", "after": "admin"}}

    superuser_client.post(url, _workspace_form(workspace, [(owner, False), (member, True)]))
    deleted = AuditEvent.objects.get(action="membership.admin_deleted")
    assert (deleted.target_id, deleted.changes["role"]) == (
        str(member.pk),
        {"before": "admin", "after": None},
    )


def test_admin_password_change_is_audited_without_the_password(superuser_client, user):
    response = superuser_client.post(
        f"/admin/synapscale/user/{user.pk}/password/",
        {"password1": "An0ther-l0ng-passw0rd", "password2": "An0ther-l0ng-passw0rd"},
    )
    assert response.status_code == 302, response.content[:2000]
    event = AuditEvent.objects.get(action="user.admin_password_changed")
    assert (event.target_id, event.changes) == (str(user.pk), {})
