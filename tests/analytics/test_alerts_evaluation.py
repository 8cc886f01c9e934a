"""Alert evaluation edge cases: errors while firing, lost claims, claims under concurrency."""

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from analytics.models import AlertEvent, AlertRule
from analytics.models.alerts import AlertEventKind, AlertState
from analytics.services import alerts as alert_services
from tests.analytics.analysis_fixtures import insert_events


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0) + dt.timedelta(minutes=1)


def make_rule(workspace, user, **overrides):
    fields = {
        "name": "Too many errors",
        "metric": "event_count",
        "event_type": "error",
        "condition": "gt",
        "threshold": 3,
        "window_minutes": 5,
        "cooldown_minutes": 30,
        **overrides,
    }
    return alert_services.alert_rule_create(workspace=workspace, owner=user, **fields)


def break_metric(rule):
    # A filter key the metric query refuses: the real error path, not a mock.
    AlertRule.objects.filter(pk=rule.pk).update(filters={"bad key!": 1})


def repair_metric(rule):
    AlertRule.objects.filter(pk=rule.pk).update(filters={})


def kinds(rule):
    return list(rule.events.order_by("created_at", "id").values_list("kind", flat=True))


@pytest.fixture
def firing_rule(workspace, user, now):
    rule = make_rule(workspace, user)
    insert_events(
        workspace, [(f"u{i}", "error", now - dt.timedelta(minutes=1), {}) for i in range(5)]
    )
    alert_services.alert_rules_evaluate_due(now=now)
    rule.refresh_from_db()
    assert rule.state == AlertState.FIRING
    break_metric(rule)
    alert_services.alert_rules_evaluate_due(now=now + dt.timedelta(minutes=1))
    rule.refresh_from_db()
    assert rule.state == AlertState.ERRORED
    assert "bad key!" in rule.last_error
    repair_metric(rule)
    return rule


@pytest.mark.django_db
def test_a_firing_rule_that_errors_then_recovers_below_the_threshold_resolves(firing_rule, now):
    # Ten minutes on, the errors have left the five-minute window: back to normal.
    [event] = alert_services.alert_rules_evaluate_due(now=now + dt.timedelta(minutes=10))
    firing_rule.refresh_from_db()
    assert event.kind == AlertEventKind.RESOLVED
    assert firing_rule.state == AlertState.OK
    assert firing_rule.last_error == ""
    assert kinds(firing_rule) == ["fired", "resolved"]


@pytest.mark.django_db
def test_a_firing_rule_that_errors_while_still_breached_does_not_fire_again_in_cooldown(
    firing_rule, now
):
    assert alert_services.alert_rules_evaluate_due(now=now + dt.timedelta(minutes=2)) == []
    firing_rule.refresh_from_db()
    assert firing_rule.state == AlertState.FIRING
    assert kinds(firing_rule) == ["fired"]


@pytest.mark.django_db
def test_an_ok_rule_that_errors_then_recovers_resolves_nothing(workspace, user, now):
    rule = make_rule(workspace, user)
    break_metric(rule)
    alert_services.alert_rules_evaluate_due(now=now)
    repair_metric(rule)
    assert alert_services.alert_rules_evaluate_due(now=now + dt.timedelta(minutes=1)) == []
    rule.refresh_from_db()
    assert rule.state == AlertState.OK
    assert kinds(rule) == []


@pytest.mark.django_db
def test_a_rule_paused_while_claimed_stays_paused_when_its_evaluation_errors(workspace, user, now):
    rule = make_rule(workspace, user)
    break_metric(rule)
    assert alert_services.alert_rules_claim_due(now=now) == [rule.pk]
    AlertRule.objects.filter(pk=rule.pk).update(state=AlertState.PAUSED)
    alert_services.alert_rule_evaluate(rule_id=rule.pk, claimed_at=now, now=now)
    rule.refresh_from_db()
    assert rule.state == AlertState.PAUSED


@pytest.mark.django_db
def test_a_worker_whose_claim_was_taken_over_leaves_the_rule_alone(workspace, user, now):
    # Zero queued executions >= 0: breached whenever it is evaluated.
    rule = make_rule(workspace, user, metric="queue_depth", condition="gte", threshold=0)
    assert alert_services.alert_rules_claim_due(now=now) == [rule.pk]
    # The first worker stalls; its claim is recovered and another worker claims the rule.
    later = now + dt.timedelta(minutes=11)
    assert alert_services.alert_rules_recover_stuck(now=later) == 1
    assert alert_services.alert_rules_claim_due(now=later) == [rule.pk]

    assert alert_services.alert_rule_evaluate(rule_id=rule.pk, claimed_at=now, now=now) is None
    rule.refresh_from_db()
    assert rule.evaluating_since == later
    assert rule.last_evaluated_at is None
    assert not AlertEvent.objects.filter(rule=rule).exists()

    event = alert_services.alert_rule_evaluate(rule_id=rule.pk, claimed_at=later, now=later)
    assert event is not None and event.kind == AlertEventKind.FIRED
    rule.refresh_from_db()
    assert rule.evaluating_since is None


@pytest.mark.django_db
def test_a_rule_deleted_after_its_claim_is_skipped(workspace, user, now):
    rule = make_rule(workspace, user)
    assert alert_services.alert_rules_claim_due(now=now) == [rule.pk]
    rule.delete()
    assert alert_services.alert_rule_evaluate(rule_id=rule.pk, claimed_at=now, now=now) is None


@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_at_once_get_disjoint_rules_without_waiting(workspace, user, now):
    rule_ids = {make_rule(workspace, user, name=f"r{i}").pk for i in range(6)}
    first_claimed = threading.Event()
    second_done = threading.Event()
    outcome = {}

    def first_worker():
        try:
            # The first worker's transaction stays open (rows locked, claim uncommitted)
            # while the second one claims.
            with transaction.atomic():
                outcome["first"] = set(alert_services.alert_rules_claim_due(now=now, limit=3))
                first_claimed.set()
                outcome["second_finished_while_locked"] = second_done.wait(timeout=15)
        finally:
            first_claimed.set()
            connection.close()

    thread = threading.Thread(target=first_worker)
    thread.start()
    try:
        assert first_claimed.wait(timeout=15)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '10s'")
        second = set(alert_services.alert_rules_claim_due(now=now))
        second_done.set()
    finally:
        second_done.set()
        thread.join(timeout=30)
    assert len(outcome["first"]) == 3
    assert outcome["first"].isdisjoint(second)
    assert outcome["first"] | second == rule_ids
    # SKIP LOCKED: the second claim did not wait for the first transaction to end.
    assert outcome["second_finished_while_locked"]
