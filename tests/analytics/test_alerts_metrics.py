"""The metrics alert rules watch, on known data; and SKIP LOCKED claiming across workers."""

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from analytics.models import AlertRule
from analytics.services import alerts as alert_services
from analytics.services.reports import report_create
from executions.choices import ExecutionStatus
from tests.analytics.analysis_fixtures import insert_events
from tests.analytics.factories import make_execution, make_workflow

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


def rule_for(workspace, user, **fields):
    return alert_services.alert_rule_create(
        workspace=workspace,
        owner=user,
        **{"name": "r", "condition": "gt", "threshold": 1, "window_minutes": 60, **fields},
    )


def finished(workflow, status, minutes_ago, duration_ms=None):
    return make_execution(
        workflow,
        status=status,
        created_at=NOW - dt.timedelta(minutes=minutes_ago + 1),
        finished_at=NOW - dt.timedelta(minutes=minutes_ago),
        duration_ms=duration_ms,
    )


@pytest.mark.django_db
def test_execution_failure_rate_counts_failures_and_timeouts_among_finished(workspace, user):
    workflow = make_workflow(workspace)
    for status in ["succeeded"] * 6 + ["failed", "timed_out", "cancelled"]:
        finished(workflow, status, minutes_ago=10)
    finished(workflow, "failed", minutes_ago=90)  # outside the window
    rule = rule_for(workspace, user, metric="execution_failure_rate", threshold=20)
    check = alert_services.alert_rule_check(rule=rule, now=NOW)
    assert check.value == 25.0  # 2 of 8 (cancelled is neither)
    assert check.breached


@pytest.mark.django_db
def test_failure_rate_without_executions_is_no_data(workspace, user):
    rule = rule_for(workspace, user, metric="execution_failure_rate", condition="lt")
    check = alert_services.alert_rule_check(rule=rule, now=NOW)
    assert (check.value, check.breached) == (None, False)


@pytest.mark.django_db
def test_execution_duration_p95(workspace, user):
    workflow = make_workflow(workspace)
    for index in range(1, 21):
        finished(workflow, "succeeded", minutes_ago=5, duration_ms=index * 100)
    rule = rule_for(workspace, user, metric="execution_duration_p95", threshold=1800)
    check = alert_services.alert_rule_check(rule=rule, now=NOW)
    # Linear interpolation at (20 - 1) * 0.95 = 18.05 between 1900 and 2000.
    assert check.value == 1905.0
    assert check.breached


@pytest.mark.django_db
def test_queue_depth_counts_waiting_executions(workspace, user, other_workspace):
    workflow = make_workflow(workspace)
    for status in [ExecutionStatus.QUEUED, ExecutionStatus.PENDING, ExecutionStatus.RUNNING]:
        make_execution(workflow, status=status)
    make_execution(make_workflow(other_workspace), status=ExecutionStatus.QUEUED)
    rule = rule_for(workspace, user, metric="queue_depth", condition="gte", threshold=2)
    check = alert_services.alert_rule_check(rule=rule)
    assert (check.value, check.breached) == (2.0, True)


@pytest.mark.django_db
def test_unique_people_with_filters(workspace, user):
    moment = NOW - dt.timedelta(minutes=3)
    insert_events(
        workspace,
        [
            ("a", "page_view", moment, {"plan": "pro"}),
            ("a", "page_view", moment, {"plan": "pro"}),
            ("b", "click", moment, {"plan": "pro"}),
            ("c", "page_view", moment, {"plan": "free"}),
        ],
    )
    rule = rule_for(workspace, user, metric="unique_people", filters={"plan": "pro"})
    assert alert_services.alert_rule_check(rule=rule, now=NOW).value == 2.0
    typed = rule_for(workspace, user, metric="unique_people", event_type="page_view")
    assert alert_services.alert_rule_check(rule=typed, now=NOW).value == 2.0


@pytest.mark.django_db
def test_report_value_is_the_reports_total(workspace, user):
    insert_events(workspace, [(f"p{i}", "signup", timezone.now(), {}) for i in range(3)])
    report = report_create(
        workspace=workspace,
        owner=user,
        name="signups",
        query={
            "source": "events",
            "metric": "count",
            "date_range": "today",
            "filters": [{"field": "event_type", "op": "eq", "value": "signup"}],
        },
    )
    rule = rule_for(workspace, user, metric="report_value", report=report, threshold=2)
    check = alert_services.alert_rule_check(rule=rule)
    assert (check.value, check.breached) == (3.0, True)


@pytest.mark.django_db(transaction=True)
def test_rows_locked_by_another_worker_are_skipped_not_waited_for(workspace, user):
    first = rule_for(workspace, user, metric="event_count", event_type="error")
    second = rule_for(workspace, user, metric="event_count", event_type="error")
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                AlertRule.objects.select_for_update().get(pk=first.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    worker = threading.Thread(target=other_worker)
    worker.start()
    try:
        assert locked.wait(10)
        claimed = alert_services.alert_rules_claim_due(now=timezone.now())
    finally:
        release.set()
        worker.join()
    assert claimed == [second.pk]
    assert alert_services.alert_rules_claim_due(now=timezone.now()) == [first.pk]
