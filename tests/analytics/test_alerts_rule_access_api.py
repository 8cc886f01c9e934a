"""Alert rules: members change their own, owners/admins every one; viewers see no webhook URL."""

import pytest
from django.utils import timezone

from analytics.models import AlertEvent, AlertRule
from analytics.models.alerts import NotificationStatus
from synapscale.choices import Role

pytestmark = pytest.mark.django_db

URL = "/api/v1/analytics/alerts/"
HOOK = "https://hooks.slack.com/services/T000/B000/s3cr3tBearerPart"
RULE = {
    "name": "Errors spike",
    "metric": "event_count",
    "event_type": "error",
    "condition": "gt",
    "threshold": 10,
    "channels": {"webhooks": [HOOK], "emails": ["ops@example.com"]},
}


@pytest.fixture
def owners_rule(api_client):
    response = api_client.post(URL, RULE, format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_a_member_changes_their_own_rule_but_not_anothers(member_client, owners_rule):
    member = member_client(Role.MEMBER)
    own = member.post(URL, {**RULE, "channels": {}}, format="json").json()["id"]
    assert member.patch(f"{URL}{own}/", {"threshold": 5}, format="json").status_code == 200
    assert member.post(f"{URL}{own}/pause/").status_code == 200

    for method, path, body in (
        ("patch", f"{URL}{owners_rule}/", {"threshold": 1}),
        ("put", f"{URL}{owners_rule}/", {**RULE, "threshold": 1}),
        ("post", f"{URL}{owners_rule}/pause/", None),
        ("post", f"{URL}{owners_rule}/snooze/", {"minutes": 5}),
        ("delete", f"{URL}{owners_rule}/", None),
    ):
        response = getattr(member, method)(path, body, format="json")
        assert response.status_code == 403, (method, path)
        assert response["Content-Type"] == "application/problem+json"
    rule = AlertRule.objects.get(pk=owners_rule)
    assert (rule.threshold, rule.state) == (10, "ok")
    # Testing a rule changes nothing: any member may.
    assert member.post(f"{URL}{owners_rule}/test/").status_code == 200


@pytest.mark.parametrize("role", [Role.ADMIN, Role.OWNER])
def test_owners_and_admins_change_every_rule(member_client, role, user, workspace):
    author = member_client(Role.MEMBER)
    rule = author.post(URL, RULE, format="json").json()["id"]
    manager = member_client(role)
    assert manager.patch(f"{URL}{rule}/", {"threshold": 3}, format="json").status_code == 200
    assert manager.delete(f"{URL}{rule}/").status_code == 204


def test_viewers_see_webhook_hosts_only(member_client, owners_rule):
    rule = AlertRule.objects.get(pk=owners_rule)
    AlertEvent.objects.create(
        rule=rule,
        workspace_id=rule.workspace_id,
        created_at=timezone.now(),
        kind="fired",
        value=11,
        threshold=10,
        notification_status=NotificationStatus.FAILED,
        targets=[{"channel": "webhook", "target": HOOK, "ok": False, "attempts": 3}],
        error=f"webhook {HOOK}: HTTP 500",
    )
    viewer = member_client(Role.VIEWER)
    detail = viewer.get(f"{URL}{owners_rule}/")
    listed = viewer.get(URL)
    events = viewer.get(f"{URL}{owners_rule}/events/")
    for response in (detail, listed, events):
        assert response.status_code == 200
        assert "s3cr3tBearerPart" not in response.content.decode()
    assert detail.json()["channels"] == {
        "webhooks": ["https://hooks.slack.com/…"],
        "emails": ["ops@example.com"],
    }
    event = events.json()["results"][0]
    assert event["targets"][0]["target"] == "https://hooks.slack.com/…"
    assert event["error"] == "webhook https://hooks.slack.com/…: HTTP 500"

    member = member_client(Role.MEMBER)
    assert member.get(f"{URL}{owners_rule}/").json()["channels"]["webhooks"] == [HOOK]
    assert HOOK in member.get(f"{URL}{owners_rule}/events/").content.decode()
