"""Alerts end to end: evaluation, signed webhooks, cooldown, resolution, retries, breaker."""

import datetime as dt
import hashlib
import hmac

import pytest
from django.core import mail
from django.utils import timezone

from analytics.models import AlertEvent, AlertRule
from analytics.models.alerts import AlertState, NotificationStatus
from analytics.services import alerts as alert_services
from analytics.services.notifications import (
    alert_event_notify,
    webhook_deliver,
    webhook_signature,
)
from tests.analytics.analysis_fixtures import insert_events
from tests.analytics.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.django_db

FAST_RETRIES = {
    "WEBHOOK_ATTEMPTS": 3,
    "WEBHOOK_BACKOFF_SECONDS": 0.01,
    "WEBHOOK_TIMEOUT_SECONDS": 2,
    "BREAKER_FAILURES": 5,
    "BREAKER_OPEN_SECONDS": 60,
    "ALLOW_PRIVATE_WEBHOOK_HOSTS": True,  # the receivers listen on 127.0.0.1
}


@pytest.fixture(autouse=True)
def _fast_retries(settings):
    settings.ANALYTICS_ALERTS = dict(FAST_RETRIES)


@pytest.fixture
def now():
    # A moment after the rules a test creates (they are due from their creation), with room
    # for a slow machine between this fixture and the rule's creation.
    return timezone.now().replace(microsecond=0) + dt.timedelta(minutes=1)


def errors_at(workspace, moment, count):
    insert_events(workspace, [(f"u{i}", "error", moment, {}) for i in range(count)])


def make_rule(workspace, user, **overrides):
    fields = {
        "name": "Too many errors",
        "metric": "event_count",
        "event_type": "error",
        "condition": "gt",
        "threshold": 3,
        "window_minutes": 5,
        "cooldown_minutes": 30,
        "channels": {},
        **overrides,
    }
    return alert_services.alert_rule_create(workspace=workspace, owner=user, **fields)


def evaluate(rule, now, django_capture_on_commit_callbacks):
    """Run the every-minute evaluation at ``now`` and send the notifications it queued."""
    rule.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        events = alert_services.alert_rules_evaluate_due(now=now)
    notified = [alert_event_notify(alert_event_id=event.pk) for event in events]
    # One queued notification task per event that has channels.
    assert len(callbacks) == sum(e.notification_status != NotificationStatus.NONE for e in events)
    return notified


def verify_signature(request, secret):
    timestamp = int(request["headers"]["X-SynapScale-Timestamp"])
    expected = webhook_signature(secret=secret, timestamp=timestamp, body=request["body"])
    sent = request["headers"]["X-SynapScale-Signature"]
    assert hmac.compare_digest(sent, expected)
    manual = hmac.new(secret.encode(), f"{timestamp}.".encode() + request["body"], hashlib.sha256)
    assert sent == "sha256=" + manual.hexdigest()


def test_rule_fires_once_holds_the_cooldown_and_resolves(
    workspace, user, now, django_capture_on_commit_callbacks
):
    with WebhookReceiver() as receiver:
        rule = make_rule(
            workspace, user, channels={"webhooks": [receiver.url], "emails": ["ops@example.com"]}
        )
        errors_at(workspace, now - dt.timedelta(minutes=1), 5)

        [fired] = evaluate(rule, now, django_capture_on_commit_callbacks)
        assert fired.kind == "fired"
        assert fired.notification_status == NotificationStatus.SENT
        assert len(receiver.requests) == 1
        request = receiver.requests[0]
        verify_signature(request, rule.webhook_secret)
        assert request["headers"]["X-SynapScale-Event"] == "alert.fired"
        assert request["json"]["value"] == 5.0
        assert request["json"]["rule"]["id"] == rule.pk
        assert request["json"]["workspace"]["slug"] == workspace.slug
        assert len(mail.outbox) == 1
        assert "Too many errors" in mail.outbox[0].subject
        assert mail.outbox[0].to == ["ops@example.com"]

        # Still over the threshold a minute later: no second notification in the cooldown.
        later = now + dt.timedelta(minutes=1)
        errors_at(workspace, later - dt.timedelta(seconds=30), 5)
        assert evaluate(rule, later, django_capture_on_commit_callbacks) == []
        rule.refresh_from_db()
        assert rule.state == AlertState.FIRING
        assert rule.last_value == 10.0
        assert len(receiver.requests) == 1

        # Still over it once the cooldown has passed: reminded once.
        after_cooldown = now + dt.timedelta(minutes=31)
        errors_at(workspace, after_cooldown - dt.timedelta(minutes=1), 4)
        [reminder] = evaluate(rule, after_cooldown, django_capture_on_commit_callbacks)
        assert reminder.kind == "fired"
        assert len(receiver.requests) == 2

        # Back to normal: resolved, and said so.
        quiet = after_cooldown + dt.timedelta(minutes=10)
        [resolved] = evaluate(rule, quiet, django_capture_on_commit_callbacks)
        assert resolved.kind == "resolved"
        assert resolved.value == 0.0
        assert receiver.requests[-1]["json"]["type"] == "alert.resolved"
        verify_signature(receiver.requests[-1], rule.webhook_secret)
        rule.refresh_from_db()
        assert rule.state == AlertState.OK
        assert list(rule.events.values_list("kind", flat=True)) == ["resolved", "fired", "fired"]


def test_receiver_answering_500_is_retried_then_recorded_as_failed(
    workspace, user, now, django_capture_on_commit_callbacks
):
    with WebhookReceiver(statuses=[500]) as failing, WebhookReceiver() as working:
        rule = make_rule(workspace, user, channels={"webhooks": [failing.url, working.url]})
        errors_at(workspace, now - dt.timedelta(minutes=1), 5)
        [event] = evaluate(rule, now, django_capture_on_commit_callbacks)
    assert len(failing.requests) == FAST_RETRIES["WEBHOOK_ATTEMPTS"]
    assert len(working.requests) == 1  # one failing target does not stop the others
    event.refresh_from_db()
    assert event.notification_status == NotificationStatus.PARTIAL
    failed, sent = event.targets
    assert failed == {
        "channel": "webhook",
        "target": failing.url,
        "ok": False,
        "attempts": 3,
        "status": 500,
        "error": "HTTP 500",
    }
    assert sent["ok"] is True
    assert "HTTP 500" in event.error


def test_a_temporary_failure_is_retried_until_it_succeeds(
    workspace, user, now, django_capture_on_commit_callbacks
):
    with WebhookReceiver(statuses=[503, 200]) as receiver:
        rule = make_rule(workspace, user, channels={"webhooks": [receiver.url]})
        errors_at(workspace, now - dt.timedelta(minutes=1), 5)
        [event] = evaluate(rule, now, django_capture_on_commit_callbacks)
    assert event.notification_status == NotificationStatus.SENT
    assert event.targets[0]["attempts"] == 2


def test_client_errors_are_not_retried(workspace, user, now, django_capture_on_commit_callbacks):
    with WebhookReceiver(statuses=[404]) as receiver:
        rule = make_rule(workspace, user, channels={"webhooks": [receiver.url]})
        errors_at(workspace, now - dt.timedelta(minutes=1), 5)
        [event] = evaluate(rule, now, django_capture_on_commit_callbacks)
    assert len(receiver.requests) == 1
    assert event.notification_status == NotificationStatus.FAILED


def test_slow_receiver_times_out_and_is_recorded(
    settings, workspace, user, now, django_capture_on_commit_callbacks
):
    settings.ANALYTICS_ALERTS = {
        **FAST_RETRIES,
        "WEBHOOK_TIMEOUT_SECONDS": 0.2,
        "WEBHOOK_ATTEMPTS": 1,
    }
    with WebhookReceiver(delay_seconds=1) as receiver:
        rule = make_rule(workspace, user, channels={"webhooks": [receiver.url]})
        errors_at(workspace, now - dt.timedelta(minutes=1), 5)
        [event] = evaluate(rule, now, django_capture_on_commit_callbacks)
    assert event.notification_status == NotificationStatus.FAILED
    assert "Timeout" in event.targets[0]["error"]


def test_circuit_breaker_stops_calling_a_failing_host(
    settings, workspace, user, now, django_capture_on_commit_callbacks
):
    settings.ANALYTICS_ALERTS = {**FAST_RETRIES, "BREAKER_FAILURES": 3}
    with WebhookReceiver(statuses=[500]) as receiver:
        rule = make_rule(workspace, user, channels={"webhooks": [receiver.url]}, cooldown_minutes=0)
        errors_at(workspace, now - dt.timedelta(minutes=1), 5)
        evaluate(rule, now, django_capture_on_commit_callbacks)
        assert len(receiver.requests) == 3  # the third failure opens the circuit
        later = now + dt.timedelta(minutes=1)
        errors_at(workspace, later - dt.timedelta(seconds=10), 5)
        [event] = evaluate(rule, later, django_capture_on_commit_callbacks)
    assert len(receiver.requests) == 3  # not called while the circuit is open
    assert event.notification_status == NotificationStatus.FAILED
    assert event.targets[0]["attempts"] == 0
    assert "circuit open" in event.targets[0]["error"]


def test_notifying_twice_sends_once(workspace, user, now, django_capture_on_commit_callbacks):
    with WebhookReceiver() as receiver:
        rule = make_rule(workspace, user, channels={"webhooks": [receiver.url]})
        errors_at(workspace, now - dt.timedelta(minutes=1), 5)
        [event] = evaluate(rule, now, django_capture_on_commit_callbacks)
        alert_event_notify(alert_event_id=event.pk)  # a redelivered task
    assert len(receiver.requests) == 1


def test_rule_without_channels_records_events_without_notifying(
    workspace, user, now, django_capture_on_commit_callbacks
):
    rule = make_rule(workspace, user)
    errors_at(workspace, now - dt.timedelta(minutes=1), 5)
    [event] = evaluate(rule, now, django_capture_on_commit_callbacks)
    assert event.notification_status == NotificationStatus.NONE


def test_broken_rule_is_errored_and_does_not_stop_the_others(
    workspace, user, now, django_capture_on_commit_callbacks
):
    broken = make_rule(workspace, user, name="broken")
    AlertRule.objects.filter(pk=broken.pk).update(filters={"bad key!": 1})  # bypasses checks
    healthy = make_rule(workspace, user, name="healthy")
    errors_at(workspace, now - dt.timedelta(minutes=1), 5)
    [event] = evaluate(healthy, now, django_capture_on_commit_callbacks)
    assert event.rule_id == healthy.pk
    broken.refresh_from_db()
    assert broken.state == AlertState.ERRORED
    assert "bad key!" in broken.last_error
    assert broken.evaluating_since is None


def test_paused_and_snoozed_rules_are_not_evaluated(workspace, user, now):
    paused = alert_services.alert_rule_pause(rule=make_rule(workspace, user))
    snoozed = alert_services.alert_rule_snooze(rule=make_rule(workspace, user), minutes=30)
    due = make_rule(workspace, user)
    assert alert_services.alert_rules_claim_due(now=now + dt.timedelta(seconds=1)) == [due.pk]
    alert_services.alert_rule_resume(rule=paused)
    later = now + dt.timedelta(minutes=31)
    assert set(alert_services.alert_rules_claim_due(now=later)) == {paused.pk, snoozed.pk}


def test_a_claimed_rule_is_not_claimed_again_until_recovered(workspace, user, now):
    rule = make_rule(workspace, user)
    moment = now + dt.timedelta(seconds=1)
    assert alert_services.alert_rules_claim_due(now=moment) == [rule.pk]
    assert alert_services.alert_rules_claim_due(now=moment) == []
    assert alert_services.alert_rules_recover_stuck(now=moment + dt.timedelta(minutes=5)) == 0
    assert alert_services.alert_rules_recover_stuck(now=moment + dt.timedelta(minutes=11)) == 1
    assert alert_services.alert_rules_claim_due(now=moment + dt.timedelta(minutes=11)) == [rule.pk]


@pytest.mark.parametrize(
    ("condition", "value", "previous", "breached"),
    [
        ("gt", 5, None, True),
        ("gt", 3, None, False),
        ("gte", 3, None, True),
        ("lt", 2, None, True),
        ("lte", 3, None, True),
        ("lte", 4, None, False),
        ("eq", 3, None, True),
        ("ne", 3, None, False),
        ("ne", 4, None, True),
        ("gt", None, None, False),  # no data breaches nothing
        ("change_pct", 104, 100, True),  # +4% >= 3%
        ("change_pct", 98, 100, False),  # -2%
        ("change_pct", 90, 100, True),  # -10%
        ("change_pct", 5, 0, True),  # from nothing to something
        ("change_pct", 0, 0, False),
        ("change_pct", 5, None, False),
    ],
)
def test_conditions(condition, value, previous, breached):
    result, _ = alert_services.condition_breached(
        condition=condition, value=value, threshold=3, previous=previous
    )
    assert result is breached


def test_change_pct_rule_compares_with_the_previous_window(workspace, user, now):
    rule = make_rule(workspace, user, condition="change_pct", threshold=50)
    errors_at(workspace, now - dt.timedelta(minutes=8), 4)
    errors_at(workspace, now - dt.timedelta(minutes=2), 8)
    check = alert_services.alert_rule_check(rule=rule, now=now)
    assert (check.value, check.previous, check.change_pct, check.breached) == (8, 4, 100.0, True)


def test_events_recorded_per_rule(workspace, user, now, django_capture_on_commit_callbacks):
    rule = make_rule(workspace, user)
    errors_at(workspace, now - dt.timedelta(minutes=1), 5)
    evaluate(rule, now, django_capture_on_commit_callbacks)
    assert AlertEvent.objects.filter(rule=rule, kind="fired").count() == 1


def test_unreachable_mail_server_is_recorded_and_webhooks_still_sent(
    settings, workspace, user, now, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    with WebhookReceiver() as receiver:
        rule = make_rule(
            workspace, user, channels={"webhooks": [receiver.url], "emails": ["ops@example.com"]}
        )
        errors_at(workspace, now - dt.timedelta(minutes=1), 5)
        [event] = evaluate(rule, now, django_capture_on_commit_callbacks)
    assert len(receiver.requests) == 1
    assert event.notification_status == NotificationStatus.PARTIAL
    email = event.targets[1]
    assert (email["channel"], email["ok"]) == ("email", False)
    assert "ConnectionRefusedError" in email["error"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
    ],
)
def test_webhooks_to_internal_addresses_are_refused_by_default(settings, url):
    settings.ANALYTICS_ALERTS = {**FAST_RETRIES, "ALLOW_PRIVATE_WEBHOOK_HOSTS": False}
    delivery = webhook_deliver(url=url, payload={"type": "alert.fired"}, secret="s")
    assert (delivery.ok, delivery.attempts) == (False, 0)
    assert "non-public address" in delivery.error


def test_unresolvable_webhook_host_is_recorded(settings):
    settings.ANALYTICS_ALERTS = {**FAST_RETRIES, "ALLOW_PRIVATE_WEBHOOK_HOSTS": False}
    delivery = webhook_deliver(
        url="http://no-such-host.invalid/hook", payload={"type": "alert.fired"}, secret="s"
    )
    assert delivery.ok is False
    assert "cannot resolve" in delivery.error


def test_a_metric_query_over_the_time_limit_errors_the_rule(
    settings, workspace, user, now, django_capture_on_commit_callbacks
):
    from django.db import connection

    settings.ANALYTICS_ALERTS = {**FAST_RETRIES, "METRIC_TIMEOUT_MS": 1}
    with connection.cursor() as cursor:  # 200k matching events: far more than 1 ms to count
        cursor.execute(
            "INSERT INTO analytics_event (workspace_id, event_id, event_type, distinct_id,"
            " session_id, properties, user_agent, page_url, referrer, created_at, received_at)"
            " SELECT %s, gen_random_uuid(), 'error', 'p' || n, '', '{\"plan\": \"pro\"}', '',"
            " '', '', %s, %s FROM generate_series(1, 200000) AS n",
            [workspace.id, now - dt.timedelta(minutes=1), now],
        )
    rule = make_rule(workspace, user, filters={"plan": "pro"})
    assert evaluate(rule, now, django_capture_on_commit_callbacks) == []
    rule.refresh_from_db()
    assert rule.state == AlertState.ERRORED
    assert "did not finish within its budget of 1 ms" in rule.last_error
