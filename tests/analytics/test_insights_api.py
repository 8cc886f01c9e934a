"""/api/v1/analytics/insights/: list and filters, read, dismiss, feedback, summary, scoping."""

import datetime as dt

import pytest
from django.utils import timezone

from analytics.models import Insight
from synapscale.choices import Role
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/analytics/insights/"


def make_insight(workspace, *, kind="anomaly", severity="high", fingerprint=None, **fields):
    now = timezone.now()
    return Insight.objects.create(
        workspace=workspace,
        kind=kind,
        severity=severity,
        fingerprint=fingerprint or f"{kind}:{severity}:{Insight.objects.count()}",
        title=f"{kind} {severity}",
        detected_at=fields.pop("detected_at", now),
        expires_at=fields.pop("expires_at", now + dt.timedelta(hours=24)),
        **fields,
    )


def titles(response):
    assert response.status_code == 200, response.content
    return sorted(item["title"] for item in response.json()["results"])


def test_list_shows_open_insights_newest_first(
    api_client, workspace, django_assert_max_num_queries
):
    old = make_insight(workspace, detected_at=timezone.now() - dt.timedelta(hours=2))
    new = make_insight(workspace, kind="trend", severity="low")
    make_insight(workspace, expires_at=timezone.now() - dt.timedelta(minutes=1))  # expired
    make_insight(workspace, dismissed_at=timezone.now(), closed_at=timezone.now())
    with django_assert_max_num_queries(6):
        response = api_client.get(URL)
    assert [item["id"] for item in response.json()["results"]] == [new.pk, old.pk]


def test_filters_kind_severity_unread_and_status(api_client, workspace):
    make_insight(workspace, kind="anomaly", severity="critical")
    make_insight(workspace, kind="trend", severity="low", read_at=timezone.now())
    make_insight(
        workspace,
        kind="top_mover",
        severity="low",
        dismissed_at=timezone.now(),
        closed_at=timezone.now(),
    )
    assert titles(api_client.get(URL, {"kind": "trend"})) == ["trend low"]
    assert titles(api_client.get(URL, {"severity": "critical"})) == ["anomaly critical"]
    assert titles(api_client.get(URL, {"unread": "true"})) == ["anomaly critical"]
    assert titles(api_client.get(URL, {"status": "dismissed"})) == ["top_mover low"]
    assert len(titles(api_client.get(URL, {"status": "all"}))) == 3
    assert api_client.get(URL, {"kind": "rumour"}).status_code == 400
    assert api_client.get(URL, {"colour": "red"}).status_code == 400


def test_read_dismiss_and_feedback(api_client, workspace):
    insight = make_insight(workspace)
    read = api_client.post(f"{URL}{insight.pk}/read/")
    assert read.status_code == 200 and read.json()["is_read"] is True
    feedback = api_client.post(
        f"{URL}{insight.pk}/feedback/",
        {"useful": True, "comment": "caught an outage"},
        format="json",
    )
    assert feedback.json()["feedback"] == "useful"
    assert api_client.post(f"{URL}{insight.pk}/feedback/", {}, format="json").status_code == 400
    dismissed = api_client.post(f"{URL}{insight.pk}/dismiss/")
    assert dismissed.json()["is_dismissed"] is True
    assert api_client.get(URL).json()["count"] == 0


def test_summary_counts_open_insights(api_client, workspace, other_workspace):
    make_insight(workspace, kind="anomaly", severity="critical")
    make_insight(workspace, kind="anomaly", severity="low", read_at=timezone.now())
    make_insight(workspace, kind="trend", severity="low")
    make_insight(workspace, dismissed_at=timezone.now(), closed_at=timezone.now())
    make_insight(other_workspace)
    response = api_client.get(f"{URL}summary/")
    assert response.json() == {
        "open": 3,
        "unread": 2,
        "by_kind": {"anomaly": 2, "trend": 1},
        "by_severity": {"critical": 1, "low": 2},
    }


def test_other_workspaces_insights_are_invisible(api_client, other_workspace):
    theirs = make_insight(other_workspace)
    assert api_client.get(URL).json()["count"] == 0
    assert api_client.post(f"{URL}{theirs.pk}/dismiss/").status_code == 404


def test_viewers_read_but_cannot_dismiss(workspace, other_user, make_member):
    insight = make_insight(workspace)
    make_member(workspace, other_user, Role.VIEWER)
    viewer = client_for(other_user)
    headers = {"HTTP_X_WORKSPACE": workspace.slug}
    assert viewer.get(URL, **headers).json()["count"] == 1
    assert viewer.post(f"{URL}{insight.pk}/dismiss/", **headers).status_code == 403


def test_anonymous_is_401(anon_client):
    assert anon_client.get(URL).status_code == 401
