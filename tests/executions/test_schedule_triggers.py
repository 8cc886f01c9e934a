"""Schedule triggers: their beat entries, the API, and runs started by a real beat and worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from executions.choices import ExecutionStatus, Trigger
from executions.models import Execution, WorkflowTrigger
from executions.services.schedules import FireStatus, schedule_fire
from executions.services.triggers import trigger_create, trigger_update
from executions.services.workflows import workflow_create
from executions.tasks import fire_schedule_trigger
from tests.api_checks import assert_problem
from tests.executions.helpers import wait_for

URL = "/api/v1/triggers/"
ROOT = Path(__file__).resolve().parents[2]
QUICK = {"nodes": [{"id": "hello", "type": "set", "params": {"fields": {"p": {"expr": "input"}}}}]}
SLOW = {"nodes": [{"id": "nap", "type": "delay", "params": {"seconds": 2}}]}


@pytest.fixture(autouse=True)
def _short_intervals(settings):
    settings.EXECUTIONS_SCHEDULE_MIN_INTERVAL_SECONDS = 1
    settings.EXECUTIONS_SCHEDULE_QUEUE_POLL_SECONDS = 0.3


def make_workflow(workspace, user, definition=QUICK):
    return workflow_create(workspace=workspace, user=user, name="nightly", definition=definition)


def schedule(workflow, user, **fields):
    fields.setdefault("interval_seconds", 60)
    return trigger_create(workflow=workflow, user=user, kind="schedule", **fields).trigger


@pytest.mark.django_db
def test_a_cron_schedule_gets_its_beat_entry_in_its_time_zone(api_client, workspace, user):
    workflow = make_workflow(workspace, user)

    response = api_client.post(
        URL,
        {
            "workflow": workflow.id,
            "kind": "schedule",
            "cron": "30  9 * * 1-5",
            "timezone": "Asia/Tokyo",
            "payload": {"report": "daily"},
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["url"] is None and body["secret"] is None and body["secret_url"] is None
    assert body["cron"] == "30 9 * * 1-5" and body["overlap"] == "skip"
    assert body["next_run_at"] is not None
    task = PeriodicTask.objects.get(pk=WorkflowTrigger.objects.get(pk=body["id"]).periodic_task_id)
    assert task.task == "executions.tasks.fire_schedule_trigger"
    assert task.args == f"[{body['id']}]" and task.enabled and task.interval is None
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("30", "9", "1-5")
    assert str(task.crontab.timezone) == "Asia/Tokyo"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"cron": "61 * * * *"}, "cron"),
        ({"cron": "every day"}, "cron"),
        ({"cron": "* * * * *", "interval_seconds": 60}, "cron"),
        ({}, "cron"),
        ({"interval_seconds": 0}, "interval_seconds"),
        ({"interval_seconds": 60, "timezone": "Mars/Olympus"}, "timezone"),
        ({"interval_seconds": 60, "rate_limit": "5/m"}, "rate_limit"),
        ({"interval_seconds": 60, "auth": "stripe"}, "auth"),
        ({"interval_seconds": 60, "payload": [1]}, "payload"),
        ({"interval_seconds": 60, "overlap": "sometimes"}, "overlap"),
        # What Celery's parser and zoneinfo choke on, rather than refuse.
        ({"cron": "1,,2 * * * *"}, "cron"),
        ({"cron": "- * * * *"}, "cron"),
        ({"cron": "* * * * " + ",".join(["1-5"] * 20)}, "cron"),
        ({"interval_seconds": 60, "timezone": "America"}, "timezone"),
    ],
)
def test_a_bad_schedule_is_a_400_naming_the_field(api_client, workspace, user, payload, field):
    workflow = make_workflow(workspace, user)

    response = api_client.post(
        URL, {"workflow": workflow.id, "kind": "schedule", **payload}, format="json"
    )

    assert field in assert_problem(response, 400)["errors"]
    assert (
        not WorkflowTrigger.objects.exists()
        and not PeriodicTask.objects.filter(name__startswith="executions.").exists()
    )


@pytest.mark.django_db
def test_an_interval_under_the_minimum_is_refused(api_client, workspace, user, settings):
    settings.EXECUTIONS_SCHEDULE_MIN_INTERVAL_SECONDS = 60
    workflow = make_workflow(workspace, user)

    response = api_client.post(
        URL, {"workflow": workflow.id, "kind": "schedule", "interval_seconds": 30}, format="json"
    )

    assert "from 60" in assert_problem(response, 400)["errors"]["interval_seconds"][0]


@pytest.mark.django_db
def test_webhook_fields_and_schedule_fields_stay_apart(api_client, workspace, user):
    webhook = trigger_create(workflow=make_workflow(workspace, user), user=user).trigger

    response = api_client.patch(f"{URL}{webhook.id}/", {"cron": "* * * * *"}, format="json")

    assert "Only schedule triggers" in assert_problem(response, 400)["errors"]["cron"][0]


@pytest.mark.django_db
def test_pause_resume_change_and_delete_follow_the_beat_entry(api_client, workspace, user):
    trigger = schedule(make_workflow(workspace, user), user)

    paused = api_client.post(f"{URL}{trigger.id}/pause/").json()
    assert paused["is_enabled"] is False and paused["next_run_at"] is None
    assert not PeriodicTask.objects.get(pk=trigger.periodic_task_id).enabled
    resumed = api_client.post(f"{URL}{trigger.id}/resume/").json()
    assert resumed["is_enabled"] and PeriodicTask.objects.get(pk=trigger.periodic_task_id).enabled

    changed = api_client.patch(f"{URL}{trigger.id}/", {"cron": "0 3 * * *"}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["interval_seconds"] is None
    task = PeriodicTask.objects.get(pk=trigger.periodic_task_id)
    assert task.crontab.hour == "3" and task.interval is None

    assert api_client.delete(f"{URL}{trigger.id}/").status_code == 204
    assert not PeriodicTask.objects.filter(pk=task.pk).exists()


@pytest.mark.django_db
def test_a_schedule_has_no_secret_to_rotate(api_client, workspace, user):
    trigger = schedule(make_workflow(workspace, user), user)

    assert_problem(api_client.post(f"{URL}{trigger.id}/rotate/"), 409)


@pytest.mark.django_db
def test_next_run_at_follows_the_interval_from_the_last_tick(api_client, workspace, user):
    trigger = schedule(make_workflow(workspace, user), user, interval_seconds=3600)
    ticked = timezone.now() - timedelta(minutes=10)
    schedule_fire(trigger_id=trigger.id, fired_at=ticked, first_attempt=True, key="k1")

    body = api_client.get(f"{URL}{trigger.id}/").json()

    expected = ticked + timedelta(hours=1)
    assert abs(timezone.datetime.fromisoformat(body["next_run_at"]) - expected) < timedelta(
        seconds=1
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("catch_up", "started"), [("skip", 0), ("run_once", 1)])
def test_a_tick_long_after_its_due_time_follows_the_catch_up_policy(
    workspace, user, catch_up, started
):
    trigger = schedule(make_workflow(workspace, user), user, catch_up=catch_up)
    now = timezone.now()
    # The previous tick an hour ago: beat was down for 59 minutes of a 1-minute schedule.
    schedule_fire(
        trigger_id=trigger.id, fired_at=now - timedelta(hours=1), first_attempt=True, key="a"
    )
    Execution.objects.all().delete()

    outcome = schedule_fire(trigger_id=trigger.id, fired_at=now, first_attempt=True, key="b")

    assert Execution.objects.count() == started
    assert outcome.status == (FireStatus.SKIPPED_MISSED if started == 0 else FireStatus.STARTED)


@pytest.mark.django_db
def test_a_redelivered_tick_starts_one_run(workspace, user):
    trigger = schedule(make_workflow(workspace, user), user, overlap="allow")
    now = timezone.now()

    for _ in range(2):
        schedule_fire(trigger_id=trigger.id, fired_at=now, first_attempt=False, key="same-task")

    assert Execution.objects.filter(trigger_source=trigger).count() == 1


@pytest.mark.django_db
def test_a_paused_schedule_or_inactive_workflow_starts_nothing(workspace, user):
    trigger = schedule(make_workflow(workspace, user), user)
    trigger_update(trigger=trigger, is_enabled=False)

    outcome = schedule_fire(
        trigger_id=trigger.id, fired_at=timezone.now(), first_attempt=True, key="x"
    )

    assert outcome.status == FireStatus.INACTIVE and not Execution.objects.exists()


def fire_and_wait_for_running(trigger) -> Execution:
    fire_schedule_trigger.delay(trigger.id)
    return wait_for(
        lambda: Execution.objects.filter(
            trigger_source=trigger, status=ExecutionStatus.RUNNING
        ).first(),
        timeout=15,
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("celery_worker")
def test_overlap_skip_drops_a_tick_while_the_previous_run_is_active(workspace, user):
    trigger = schedule(make_workflow(workspace, user, SLOW), user, overlap="skip")
    first = fire_and_wait_for_running(trigger)

    fire_schedule_trigger.delay(trigger.id)
    time.sleep(1)

    assert first is not None
    assert list(Execution.objects.filter(trigger_source=trigger).values_list("id", flat=True)) == [
        first.id
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("celery_worker")
def test_overlap_queue_starts_the_tick_after_the_previous_run(workspace, user):
    trigger = schedule(make_workflow(workspace, user, SLOW), user, overlap="queue")
    first = fire_and_wait_for_running(trigger)

    fire_schedule_trigger.delay(trigger.id)
    both = wait_for(
        lambda: Execution.objects.filter(trigger_source=trigger, status="succeeded").count() == 2,
        timeout=20,
    )

    assert both
    runs = list(Execution.objects.filter(trigger_source=trigger).order_by("created_at"))
    assert runs[0].id == first.id
    assert runs[1].created_at >= runs[0].finished_at


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("celery_worker")
def test_overlap_allow_runs_side_by_side(workspace, user):
    trigger = schedule(make_workflow(workspace, user, SLOW), user, overlap="allow")
    first = fire_and_wait_for_running(trigger)

    fire_schedule_trigger.delay(trigger.id)
    second = wait_for(
        lambda: Execution.objects.filter(trigger_source=trigger).exclude(pk=first.pk).first(),
        timeout=10,
    )

    assert second is not None
    first.refresh_from_db()
    assert first.status == ExecutionStatus.RUNNING  # the second started while it ran


def database_url() -> str:
    db = django_settings.DATABASES["default"]
    host = quote(db["HOST"] or "127.0.0.1", safe="")
    return f"postgres://{db['USER']}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("celery_worker")
def test_a_real_beat_fires_the_schedule_and_the_worker_runs_it(workspace, user, tmp_path):
    trigger = schedule(make_workflow(workspace, user), user, interval_seconds=1, overlap="allow")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "REDIS_URL": django_settings.CACHES["default"]["LOCATION"],
        "CELERY_BROKER_URL": django_settings.CELERY_BROKER_URL,
    }
    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO",
         "--schedule", str(tmp_path / "beat-schedule"), "--pidfile", ""],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        ran = wait_for(
            lambda: (
                Execution.objects.filter(
                    trigger_source=trigger, status=ExecutionStatus.SUCCEEDED
                ).count()
                >= 3
            ),
            timeout=40,
            interval=0.5,
        )
    except AssertionError:
        ran = None
    finally:
        os.killpg(beat.pid, signal.SIGTERM)
        output = beat.communicate(timeout=20)[0].decode(errors="replace")

    assert ran, output[-3000:]
    runs = Execution.objects.filter(trigger_source=trigger)
    assert {run.trigger for run in runs} == {Trigger.SCHEDULE}
    assert all(run.input["trigger_id"] == trigger.id for run in runs)
    trigger.refresh_from_db()
    assert trigger.last_fired_at is not None


@pytest.mark.django_db
def test_duplicate_schedule_rows_of_beat_are_shared_not_a_500(workspace, user):
    from django_celery_beat.models import IntervalSchedule

    for _ in range(2):
        IntervalSchedule.objects.create(every=90, period=IntervalSchedule.SECONDS)

    trigger = schedule(make_workflow(workspace, user), user, interval_seconds=90)

    assert trigger.periodic_task.interval.every == 90


@pytest.mark.django_db
def test_a_resumed_schedule_does_not_count_the_pause_as_missed(workspace, user):
    trigger = schedule(make_workflow(workspace, user), user, catch_up="skip", overlap="allow")
    now = timezone.now()
    schedule_fire(
        trigger_id=trigger.id, fired_at=now - timedelta(hours=1), first_attempt=True, key="a"
    )
    trigger_update(trigger=trigger, is_enabled=False)
    trigger_update(trigger=trigger, is_enabled=True)

    outcome = schedule_fire(trigger_id=trigger.id, fired_at=now, first_attempt=True, key="b")

    assert outcome.status == FireStatus.STARTED


@pytest.mark.django_db
def test_deleting_the_workflow_or_the_trigger_removes_the_beat_entry(
    api_client, workspace, user, admin_client_
):
    by_workflow = schedule(make_workflow(workspace, user), user)
    by_admin = schedule(make_workflow(workspace, user), user)

    assert api_client.delete(f"/api/v1/workflows/{by_workflow.workflow_id}/").status_code == 204
    admin_client_.post(
        "/admin/executions/workflowtrigger/",
        {"action": "delete_selected", "_selected_action": [by_admin.pk], "post": "yes"},
    )

    entries = [by_workflow.periodic_task_id, by_admin.periodic_task_id]
    assert not PeriodicTask.objects.filter(pk__in=entries).exists()
    assert not WorkflowTrigger.objects.filter(pk=by_admin.pk).exists()


@pytest.mark.django_db
def test_a_beat_entry_that_outlived_its_trigger_removes_itself(workspace, user):
    trigger = schedule(make_workflow(workspace, user), user)
    entry = trigger.periodic_task_id
    WorkflowTrigger.objects.filter(pk=trigger.pk).delete()  # as a workspace's cascade does

    outcome = schedule_fire(
        trigger_id=trigger.id, fired_at=timezone.now(), first_attempt=True, key="k"
    )

    assert outcome.status == FireStatus.INACTIVE
    assert not PeriodicTask.objects.filter(pk=entry).exists()
