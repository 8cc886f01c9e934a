"""/api/v1/analytics/alerts/: CRUD, actions, validation, scoping, query counts."""

import datetime as dt

import pytest
from django.utils import timezone

from analytics.models import AlertRule
from analytics.services import alerts as alert_services
from synapscale.choices import Role
from tests.analytics.analysis_fixtures import insert_events
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/analytics/alerts/"
RULE = {
    "name": "Errors spike",
    "metric": "event_count",
    "event_type": "error",
    "condition": "gt",
    "threshold": 10,
    "window_minutes": 5,
    "severity": "high",
    "channels": {"webhooks": ["https://hooks.example.com/x"], "emails": ["ops@example.com"]},
    "cooldown_minutes": 15,
}


def make_rule(workspace, user, **fields):
    return alert_services.alert_rule_create(
        workspace=workspace,
        owner=user,
        **{
            "name": "r",
            "metric": "event_count",
            "event_type": "error",
            "condition": "gt",
            "threshold": 1,
            **fields,
        },
    )


def test_create_rule_returns_it_with_a_secret(api_client, workspace):
    response = api_client.post(URL, RULE, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "ok"
    assert body["owner"] == "alice"
    assert body["channels"] == RULE["channels"]
    assert len(body["webhook_secret"]) == 64
    assert AlertRule.objects.get(pk=body["id"]).workspace == workspace


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"threshold": "not a number"}, "threshold"),
        ({"window_minutes": 0}, "window_minutes"),
        ({"window_minutes": 1441}, "window_minutes"),
        ({"metric": "cpu"}, "metric"),
        ({"condition": "between"}, "condition"),
        ({"event_type": ""}, "event_type"),
        ({"event_type": "Not Valid"}, "event_type"),
        ({"channels": {"webhooks": ["ftp://example.com/x"]}}, "channels.webhooks.0"),
        ({"channels": {"emails": ["nope"]}}, "channels.emails.0"),
        ({"filters": {"bad key!": 1}}, "filters.bad key!"),
        ({"metric": "queue_depth", "condition": "change_pct"}, "condition"),
        ({"metric": "report_value"}, "report"),
        ({"report": 999999}, "report"),
    ],
)
def test_invalid_rules_are_400_problems(api_client, change, field):
    response = api_client.post(URL, {**RULE, **change}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not AlertRule.objects.exists()


@pytest.mark.parametrize("method", ["post", "put", "patch"])
@pytest.mark.parametrize("body", ["{not json", '{"filters": [{"field": {}, "value": [[]]}]}'])
def test_a_write_refused_before_its_body_is_read_stays_a_4xx(
    api_client, workspace, user, method, body
):
    # Found by schemathesis: with an unknown X-Workspace the view refuses the request before
    # it parses the body, and the deprecation check then parsed (or inspected) it: a 500.
    url = URL if method == "post" else f"{URL}{make_rule(workspace, user).pk}/"
    response = getattr(api_client, method)(
        url, body, content_type="application/json", HTTP_X_WORKSPACE="no-such-workspace"
    )
    assert 400 <= response.status_code < 500, response.content
    assert response.json()["status"] == response.status_code


def test_patch_changes_a_rule(api_client, workspace, user):
    rule = make_rule(workspace, user)
    response = api_client.patch(f"{URL}{rule.pk}/", {"threshold": 50}, format="json")
    assert response.status_code == 200
    assert response.json()["threshold"] == 50.0
    bad = api_client.patch(f"{URL}{rule.pk}/", {"threshold": "x"}, format="json")
    assert bad.status_code == 400


def test_pause_resume_snooze(api_client, workspace, user):
    rule = make_rule(workspace, user)
    assert api_client.post(f"{URL}{rule.pk}/pause/").json()["state"] == "paused"
    assert api_client.post(f"{URL}{rule.pk}/resume/").json()["state"] == "ok"
    snoozed = api_client.post(f"{URL}{rule.pk}/snooze/", {"minutes": 30}, format="json")
    assert snoozed.status_code == 200
    until = dt.datetime.fromisoformat(snoozed.json()["snoozed_until"])
    assert until > timezone.now() + dt.timedelta(minutes=29)
    assert (
        api_client.post(f"{URL}{rule.pk}/snooze/", {"minutes": 0}, format="json").status_code == 400
    )


def test_test_action_shows_the_value_without_notifying(api_client, workspace, user, settings):
    settings.ANALYTICS_ALERTS = {"ALLOW_PRIVATE_WEBHOOK_HOSTS": True}
    rule = make_rule(workspace, user, channels={"webhooks": ["http://127.0.0.1:9/never"]})
    insert_events(workspace, [("a", "error", timezone.now() - dt.timedelta(minutes=1), {})] * 3)
    response = api_client.post(f"{URL}{rule.pk}/test/")
    assert response.status_code == 200
    assert response.json() == {
        "value": 3.0,
        "previous": None,
        "change_pct": None,
        "breached": True,
        "condition": "gt",
        "threshold": 1.0,
    }
    rule.refresh_from_db()
    assert rule.state == "ok"
    assert not rule.events.exists()


def test_events_of_a_rule_are_listed(
    api_client, workspace, user, django_capture_on_commit_callbacks
):
    rule = make_rule(workspace, user)
    insert_events(workspace, [("a", "error", timezone.now() - dt.timedelta(minutes=1), {})] * 3)
    alert_services.alert_rules_evaluate_due(now=timezone.now() + dt.timedelta(seconds=1))
    response = api_client.get(f"{URL}{rule.pk}/events/")
    assert response.status_code == 200
    [event] = response.json()["results"]
    assert (event["kind"], event["value"], event["notification_status"]) == ("fired", 3.0, "none")


def test_list_filters_and_is_scoped(
    api_client, workspace, user, other_workspace, other_user, django_assert_max_num_queries
):
    for index in range(5):
        make_rule(workspace, user, name=f"r{index}")
    alert_services.alert_rule_pause(rule=make_rule(workspace, user, name="paused"))
    make_rule(other_workspace, other_user, name="theirs")
    with django_assert_max_num_queries(8):
        response = api_client.get(URL)
    assert response.json()["count"] == 6
    paused = api_client.get(URL, {"state": "paused"}).json()
    assert [r["name"] for r in paused["results"]] == ["paused"]
    assert api_client.get(URL, {"bogus": 1}).status_code == 400


def test_other_workspaces_rules_are_404(api_client, other_workspace, other_user):
    theirs = make_rule(other_workspace, other_user)
    assert api_client.get(f"{URL}{theirs.pk}/").status_code == 404
    assert api_client.post(f"{URL}{theirs.pk}/pause/").status_code == 404


def test_viewers_read_but_cannot_change_rules(workspace, user, other_user, make_member):
    rule = make_rule(workspace, user)
    make_member(workspace, other_user, Role.VIEWER)
    viewer = client_for(other_user)
    headers = {"HTTP_X_WORKSPACE": workspace.slug}
    assert viewer.get(f"{URL}{rule.pk}/", **headers).status_code == 200
    assert viewer.post(f"{URL}{rule.pk}/pause/", **headers).status_code == 403
    assert viewer.post(URL, RULE, format="json", **headers).status_code == 403


def test_delete_rule(api_client, workspace, user):
    rule = make_rule(workspace, user)
    assert api_client.delete(f"{URL}{rule.pk}/").status_code == 204
    assert not AlertRule.objects.filter(pk=rule.pk).exists()


def test_anonymous_is_401(anon_client):
    assert anon_client.get(URL).status_code == 401
