"""POST /api/v1/analytics/analysis/<kind>/: answers, caching, refresh, scoping, bad input."""

import pytest

from synapscale.choices import Role
from tests.analytics import analysis_cases as cases
from tests.analytics.analysis_fixtures import insert_events

pytestmark = pytest.mark.django_db

TRENDS = {"events": ["page_view"], "date_from": "2026-01-01", "date_to": "2026-01-03"}


def url(kind):
    return f"/api/v1/analytics/analysis/{kind}/"


def test_funnel_through_the_api(api_client, workspace):
    insert_events(workspace, cases.FUNNEL_EVENTS)
    response = api_client.post(url("funnels"), cases.FUNNEL_QUERY, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["steps"] == cases.FUNNEL_EXPECTED
    assert response.json()["is_cached"] is False


def test_second_identical_query_is_served_from_the_cache_until_refresh(api_client, workspace):
    insert_events(workspace, cases.TRENDS_EVENTS)
    first = api_client.post(url("trends"), TRENDS, format="json").json()
    insert_events(workspace, [("p9", "page_view", cases.at(1, 12), {})])
    # The same query written differently (key order, the default metric spelled out).
    cached = api_client.post(url("trends"), {"metric": "count", **TRENDS}, format="json").json()
    assert cached["is_cached"] is True
    assert cached["cached_at"]
    assert cached["series"] == first["series"]
    fresh = api_client.post(url("trends") + "?refresh=true", TRENDS, format="json").json()
    assert fresh["is_cached"] is False
    assert fresh["series"][0]["data"][0]["value"] == first["series"][0]["data"][0]["value"] + 1


def test_analyses_only_read_the_requests_workspace(api_client, other_workspace):
    insert_events(other_workspace, cases.TRENDS_EVENTS)
    response = api_client.post(url("trends"), TRENDS, format="json")
    assert [p["value"] for p in response.json()["series"][0]["data"]] == [0, 0, 0]


def test_viewers_may_run_analyses(api_client, other_user, workspace, make_member):
    from tests.conftest import client_for

    make_member(workspace, other_user, Role.VIEWER)
    client = client_for(other_user)
    response = client.post(
        url("retention"), cases.RETENTION_QUERY, format="json", HTTP_X_WORKSPACE=workspace.slug
    )
    assert response.status_code == 200


def test_anonymous_requests_are_refused(anon_client):
    assert anon_client.post(url("trends"), TRENDS, format="json").status_code == 401


@pytest.mark.parametrize(
    ("kind", "body", "field"),
    [
        ("trends", {**TRENDS, "interval": "fortnight"}, "interval"),
        ("funnels", {**cases.FUNNEL_QUERY, "steps": []}, "steps"),
        ("funnels", {**cases.FUNNEL_QUERY, "steps": [{"event_type": "a"}] * 100}, "steps"),
        ("funnels", {**cases.FUNNEL_QUERY, "window_seconds": 0}, "window_seconds"),
        ("ab_test", {**cases.AB_TEST_QUERY, "confidence_level": "very"}, "confidence_level"),
    ],
)
def test_bad_queries_are_400_problems_naming_the_field(api_client, kind, body, field):
    response = api_client.post(url(kind), body, format="json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert field in response.json()["errors"]


def test_unknown_event_type_answers_zeros(api_client):
    response = api_client.post(
        url("trends"), {**TRENDS, "events": ["nobody_sends_this"]}, format="json"
    )
    assert response.status_code == 200
    assert [p["value"] for p in response.json()["series"][0]["data"]] == [0, 0, 0]


def test_uncached_compute_gives_the_same_answer_as_the_cached_read(workspace):
    from analytics.selectors.analysis import analysis_compute, analysis_run

    insert_events(workspace, cases.RETENTION_EVENTS)
    computed = analysis_compute(
        kind="retention", data=cases.RETENTION_QUERY, workspace_id=workspace.id
    )
    cached = analysis_run(kind="retention", data=cases.RETENTION_QUERY, workspace_id=workspace.id)
    assert computed == cached.value
    assert computed["cohorts"] == cases.RETENTION_EXPECTED
