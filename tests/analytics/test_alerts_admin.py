"""Staff console pages and actions for alert rules and insights."""

import datetime as dt

import pytest
from django.utils import timezone

from analytics.models import AlertRule, Insight
from analytics.services.alerts import alert_rule_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff_user):
    staff_user.is_superuser = True
    staff_user.save()
    client.force_login(staff_user)
    return client


def test_alert_rule_pages_and_pause_action(staff_client, workspace, user):
    rule = alert_rule_create(
        workspace=workspace,
        owner=user,
        name="errors",
        metric="queue_depth",
        condition="gt",
        threshold=5,
    )
    assert staff_client.get("/admin/analytics/alertrule/").status_code == 200
    assert staff_client.get(f"/admin/analytics/alertrule/{rule.pk}/change/").status_code == 200
    response = staff_client.post(
        "/admin/analytics/alertrule/", {"action": "pause", "_selected_action": [rule.pk]}
    )
    assert response.status_code == 302
    assert AlertRule.objects.get(pk=rule.pk).state == "paused"
    staff_client.post(
        "/admin/analytics/alertrule/", {"action": "resume", "_selected_action": [rule.pk]}
    )
    assert AlertRule.objects.get(pk=rule.pk).state == "ok"


def test_insight_pages_and_dismiss_action(staff_client, workspace):
    now = timezone.now()
    insight = Insight.objects.create(
        workspace=workspace,
        kind="trend",
        severity="low",
        fingerprint="f",
        title="t",
        detected_at=now,
        expires_at=now + dt.timedelta(days=1),
    )
    assert staff_client.get("/admin/analytics/insight/").status_code == 200
    assert staff_client.get(f"/admin/analytics/insight/{insight.pk}/change/").status_code == 200
    staff_client.post(
        "/admin/analytics/insight/", {"action": "dismiss", "_selected_action": [insight.pk]}
    )
    assert Insight.objects.get(pk=insight.pk).dismissed_at is not None
