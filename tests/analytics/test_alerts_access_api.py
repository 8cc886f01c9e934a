"""/api/v1/analytics/alerts/: who sees the webhook secret, who rotates it, which reports."""

import pytest

from analytics.models import AlertRule, Report
from synapscale.choices import Role

pytestmark = pytest.mark.django_db

URL = "/api/v1/analytics/alerts/"
RULE = {
    "name": "Errors spike",
    "metric": "event_count",
    "event_type": "error",
    "condition": "gt",
    "threshold": 10,
}


@pytest.fixture
def rule_id(api_client):
    return api_client.post(URL, RULE, format="json").json()["id"]


def test_create_response_shows_the_secret_even_to_a_plain_member(member_client):
    response = member_client(Role.MEMBER).post(URL, RULE, format="json")
    assert response.status_code == 201
    rule = AlertRule.objects.get(pk=response.json()["id"])
    assert response.json()["webhook_secret"] == rule.webhook_secret


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MEMBER])
def test_viewers_and_members_never_see_the_secret(member_client, rule_id, role):
    client = member_client(role)
    detail = client.get(f"{URL}{rule_id}/")
    listed = client.get(URL)
    assert detail.status_code == listed.status_code == 200
    assert "webhook_secret" not in detail.json()
    assert all("webhook_secret" not in row for row in listed.json()["results"])


def test_member_changing_their_rule_does_not_get_the_secret_back(member_client):
    member = member_client(Role.MEMBER)
    rule_id = member.post(URL, RULE, format="json").json()["id"]
    response = member.patch(f"{URL}{rule_id}/", {"threshold": 3}, format="json")
    assert response.status_code == 200
    assert "webhook_secret" not in response.json()


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_owners_and_admins_see_the_secret(member_client, rule_id, role):
    rule = AlertRule.objects.get(pk=rule_id)
    assert member_client(role).get(f"{URL}{rule_id}/").json()["webhook_secret"] == (
        rule.webhook_secret
    )


def test_rotate_secret_replaces_it_and_returns_the_new_one(api_client, rule_id):
    old = AlertRule.objects.get(pk=rule_id).webhook_secret
    response = api_client.post(f"{URL}{rule_id}/rotate-secret/")
    assert response.status_code == 200
    new = AlertRule.objects.get(pk=rule_id).webhook_secret
    assert new != old and len(new) == 64
    assert response.json()["webhook_secret"] == new


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MEMBER])
def test_only_owners_and_admins_rotate_the_secret(member_client, rule_id, role):
    old = AlertRule.objects.get(pk=rule_id).webhook_secret
    response = member_client(role).post(f"{URL}{rule_id}/rotate-secret/")
    assert response.status_code == 403
    assert AlertRule.objects.get(pk=rule_id).webhook_secret == old


def test_rotate_secret_of_another_workspace_rule_is_404(other_api_client, rule_id):
    assert other_api_client.post(f"{URL}{rule_id}/rotate-secret/").status_code == 404


def test_a_rule_cannot_watch_someone_elses_private_report(member_client, workspace, user):
    private = Report.objects.create(
        workspace=workspace, owner=user, name="secret", sharing="private", query={}
    )
    response = member_client(Role.MEMBER).post(
        URL, {**RULE, "metric": "report_value", "report": private.pk}, format="json"
    )
    assert response.status_code == 400
    assert "report" in response.json()["errors"]
    assert not AlertRule.objects.filter(report=private).exists()


def test_a_rule_may_watch_its_owners_private_report_and_shared_ones(
    api_client, member_client, workspace, user
):
    private = Report.objects.create(
        workspace=workspace, owner=user, name="mine", sharing="private", query={}
    )
    shared = Report.objects.create(
        workspace=workspace, owner=user, name="shared", sharing="workspace", query={}
    )
    mine = api_client.post(URL, {**RULE, "metric": "report_value", "report": private.pk})
    theirs = member_client(Role.MEMBER).post(
        URL, {**RULE, "metric": "report_value", "report": shared.pk}, format="json"
    )
    assert mine.status_code == theirs.status_code == 201
