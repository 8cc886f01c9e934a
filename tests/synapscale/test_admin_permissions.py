"""Custom admin actions take model permissions: view-only staff see, and change nothing."""

import pytest
from django.test import Client

from executions.choices import ExecutionStatus
from executions.models import Execution
from synapscale.models import ApiToken
from tests.conftest import client_for, make_user
from tests.executions.factories import ExecutionFactory, WorkflowFactory

pytestmark = pytest.mark.django_db

EXECUTIONS = "/admin/executions/execution/"
WORKSPACES = "/admin/synapscale/workspace/"
TOKENS = "/admin/synapscale/apitoken/"


def staff_console(*permissions: str) -> Client:
    name = "staff-" + "-".join(p.split(".")[1] for p in permissions)
    staff = make_user(name[:150], staff=True, permissions=permissions)
    client = Client()
    client.force_login(staff)
    return client


def offered_actions(client, url) -> set[str]:
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["action_form"]
    return set() if form is None else {name for name, _ in form.fields["action"].choices if name}


def run_action(client, url, action, ids):
    return client.post(url, {"action": action, "_selected_action": ids})


def test_view_only_staff_cannot_rotate_ingestion_keys(workspace):
    viewer = staff_console("synapscale.view_workspace")
    assert "rotate_ingestion_keys" not in offered_actions(viewer, WORKSPACES)
    before = workspace.ingestion_key
    run_action(viewer, WORKSPACES, "rotate_ingestion_keys", [workspace.pk])
    workspace.refresh_from_db()
    assert workspace.ingestion_key == before

    editor = staff_console("synapscale.view_workspace", "synapscale.change_workspace")
    assert "rotate_ingestion_keys" in offered_actions(editor, WORKSPACES)
    run_action(editor, WORKSPACES, "rotate_ingestion_keys", [workspace.pk])
    workspace.refresh_from_db()
    assert workspace.ingestion_key != before


def test_view_only_staff_cannot_delete_cancel_or_retry_executions(workspace):
    workflow = WorkflowFactory(workspace=workspace)
    done = ExecutionFactory(workflow=workflow)
    queued = ExecutionFactory(workflow=workflow, status=ExecutionStatus.QUEUED, finished_at=None)
    viewer = staff_console("executions.view_execution")
    assert offered_actions(viewer, EXECUTIONS) == set()
    run_action(viewer, EXECUTIONS, "delete_finished", [done.pk])
    run_action(viewer, EXECUTIONS, "cancel_executions", [queued.pk])
    assert viewer.post(f"{EXECUTIONS}{done.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Execution.objects.filter(pk=done.pk).exists()
    queued.refresh_from_db()
    assert queued.status == ExecutionStatus.QUEUED

    deleter = staff_console("executions.view_execution", "executions.delete_execution")
    assert offered_actions(deleter, EXECUTIONS) == {"delete_finished"}
    run_action(deleter, EXECUTIONS, "delete_finished", [done.pk])
    assert not Execution.objects.filter(pk=done.pk).exists()

    operator = staff_console("executions.view_execution", "executions.change_execution")
    assert offered_actions(operator, EXECUTIONS) == {
        "cancel_executions",
        "retry_from_start",
        "retry_from_failure",
    }
    run_action(operator, EXECUTIONS, "cancel_executions", [queued.pk])
    queued.refresh_from_db()
    assert queued.status == ExecutionStatus.CANCELLED


def test_revoking_tokens_in_the_admin_needs_change_permission(user):
    token = client_for(user).token
    viewer = staff_console("synapscale.view_apitoken")
    assert "revoke_tokens" not in offered_actions(viewer, TOKENS)
    page = viewer.get(f"{TOKENS}{token.pk}/change/")
    assert page.status_code == 200 and token.digest.encode() not in page.content
    run_action(viewer, TOKENS, "revoke_tokens", [token.pk])
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None

    revoker = staff_console("synapscale.view_apitoken", "synapscale.change_apitoken")
    assert "revoke_tokens" in offered_actions(revoker, TOKENS)
    run_action(revoker, TOKENS, "revoke_tokens", [token.pk])
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
