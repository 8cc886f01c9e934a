"""Alerts through a real Celery worker and the declared periodic schedule."""

import datetime as dt
import time

import pytest
from django.utils import timezone

from analytics.models.alerts import AlertState, NotificationStatus
from analytics.services.alerts import alert_rule_create
from analytics.tasks import alerts_evaluate_due
from synapscale.schedules import collect_schedule
from tests.analytics.analysis_fixtures import insert_events
from tests.analytics.webhook_receiver import WebhookReceiver


def test_schedule_declares_insights_and_alert_tasks_that_exist():
    from config.celery_app import app

    entries = {entry.name: entry for entry in collect_schedule()}
    expected = {
        "analytics.insights.detect": dt.timedelta(hours=1),
        "analytics.alerts.evaluate": dt.timedelta(minutes=1),
        "analytics.alerts.recover_stuck": dt.timedelta(minutes=5),
    }
    for name, every in expected.items():
        assert entries[name].every == every
        assert entries[name].task in app.tasks


@pytest.mark.django_db(transaction=True)
def test_periodic_evaluation_on_a_worker_notifies_the_webhook(
    settings, celery_worker, workspace, user
):
    settings.ANALYTICS_ALERTS = {"ALLOW_PRIVATE_WEBHOOK_HOSTS": True, "WEBHOOK_BACKOFF_SECONDS": 0}
    with WebhookReceiver() as receiver:
        rule = alert_rule_create(
            workspace=workspace,
            owner=user,
            name="errors",
            metric="event_count",
            event_type="error",
            condition="gte",
            threshold=2,
            window_minutes=5,
            channels={"webhooks": [receiver.url]},
        )
        insert_events(workspace, [("a", "error", timezone.now() - dt.timedelta(minutes=1), {})] * 2)
        alerts_evaluate_due.delay()
        deadline = time.monotonic() + 30
        while not receiver.requests and time.monotonic() < deadline:
            time.sleep(0.1)
    assert [r["json"]["type"] for r in receiver.requests] == ["alert.fired"]
    rule.refresh_from_db()
    assert rule.state == AlertState.FIRING
    event = rule.events.get()
    deadline = time.monotonic() + 10
    while event.notification_status == NotificationStatus.PENDING and time.monotonic() < deadline:
        time.sleep(0.1)
        event.refresh_from_db()
    assert event.notification_status == NotificationStatus.SENT
