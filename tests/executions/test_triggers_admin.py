"""The staff console for webhook triggers: list, recent runs, edits through the service."""

from __future__ import annotations

import pytest
from gunicorn.config import Config

from config.gunicorn import MaskingLogger
from executions.models import WorkflowTrigger
from executions.services.triggers import token_digest, trigger_create
from tests.executions.factories import ExecutionFactory, WorkflowFactory

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/executions/workflowtrigger/"


@pytest.fixture
def created(workspace, user):
    return trigger_create(workflow=WorkflowFactory(workspace=workspace), user=user, name="crm")


def test_the_change_page_lists_the_trigger_s_recent_executions(admin_client_, created):
    runs = ExecutionFactory.create_batch(2, workflow=created.trigger.workflow)
    for run in runs:
        run.trigger_source = created.trigger
        run.save(update_fields=["trigger_source"])

    listed = admin_client_.get(CHANGELIST, {"q": created.trigger.public_id})
    page = admin_client_.get(f"{CHANGELIST}{created.trigger.pk}/change/")

    assert listed.status_code == 200 and created.trigger.public_id in listed.content.decode()
    assert page.status_code == 200
    for run in runs:
        assert f"/admin/executions/execution/{run.pk}/change/" in page.content.decode()
    assert admin_client_.get(f"{CHANGELIST}add/").status_code == 403


def form_data(trigger, **changes):
    data = {
        "name": trigger.name,
        "methods": '["POST"]',
        "response_mode": trigger.response_mode,
        "wait_seconds": trigger.wait_seconds,
        "rate_limit": trigger.rate_limit,
        "max_body_bytes": trigger.max_body_bytes,
        "is_enabled": "on",
    }
    return {**data, **changes}


def test_an_edit_goes_through_the_service_checks(admin_client_, created):
    url = f"{CHANGELIST}{created.trigger.pk}/change/"

    refused = admin_client_.post(url, form_data(created.trigger, rate_limit="lots"))
    saved = admin_client_.post(url, form_data(created.trigger, methods='["get", "post"]'))

    assert refused.status_code == 200 and "Calls per unit" in refused.content.decode()
    assert saved.status_code == 302
    assert WorkflowTrigger.objects.get(pk=created.trigger.pk).methods == ["GET", "POST"]


def test_actions_disable_and_rotate(admin_client_, created):
    def act(action):
        return admin_client_.post(
            CHANGELIST, {"action": action, "_selected_action": [created.trigger.pk]}
        )

    act("disable_triggers")
    assert not WorkflowTrigger.objects.get(pk=created.trigger.pk).is_enabled
    act("enable_triggers")
    assert WorkflowTrigger.objects.get(pk=created.trigger.pk).is_enabled
    act("rotate_secrets")
    assert WorkflowTrigger.objects.get(pk=created.trigger.pk).token_sha256 != token_digest(
        created.secret
    )


def test_gunicorn_s_access_log_masks_webhook_tokens():
    class Request:
        method, path, query, version, headers = "POST", "/hooks/abc/s3cret", "x=1", (1, 1), []
        uri = "/hooks/abc/s3cret?x=1"

    class Response:
        status, headers, response_length, sent = "202 Accepted", [], 10, 10

    environ = {
        "RAW_URI": "/hooks/abc/s3cret?x=1",
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/hooks/abc/s3cret",
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    atoms = MaskingLogger(Config()).atoms(Response(), Request(), environ, _elapsed())

    assert "s3cret" not in atoms["r"] and "/hooks/abc/<token>" in atoms["r"]
    assert atoms["U"] == "/hooks/abc/<token>"


def _elapsed():
    from datetime import timedelta

    return timedelta(milliseconds=3)


def test_a_schedule_is_edited_with_its_own_fields(admin_client_, workspace, user, settings):
    settings.EXECUTIONS_SCHEDULE_MIN_INTERVAL_SECONDS = 1
    workflow = WorkflowFactory(workspace=workspace)
    trigger = trigger_create(workflow=workflow, user=user, kind="schedule", interval_seconds=60)
    url = f"{CHANGELIST}{trigger.trigger.pk}/change/"
    data = {
        "name": "nightly",
        "cron": "",
        "timezone": "UTC",
        "interval_seconds": "",
        "overlap": "skip",
        "catch_up": "run_once",
        "payload": "{}",
        "is_enabled": "on",
    }

    page = admin_client_.get(url).content.decode()
    neither = admin_client_.post(url, data)
    saved = admin_client_.post(url, {**data, "cron": "0 4 * * *"})

    assert "rate_limit" not in page and "interval_seconds" in page
    assert neither.status_code == 200 and "either a cron expression" in neither.content.decode()
    assert saved.status_code == 302
    changed = WorkflowTrigger.objects.get(pk=trigger.trigger.pk)
    assert changed.cron == "0 4 * * *" and changed.interval_seconds is None
    assert changed.periodic_task.crontab.hour == "4"
