"""Hostile inputs across the analytics API answer a 4xx problem and store nothing.

NUL characters, deep nesting and out-of-range numbers are refused centrally by the platform
(JSON parser, query-string middleware, exception handler); these tests pin that the
analytics endpoints are covered by it.
"""

import pytest

from analytics.models import AlertRule, Dashboard, Report, Widget
from tests.api_checks import assert_problem

pytestmark = pytest.mark.django_db

API = "/api/v1/analytics/"
DATES = {"date_from": "2026-01-01", "date_to": "2026-01-31"}
ALERT = {"name": "n", "metric": "event_count", "event_type": "error", "condition": "gt"}


@pytest.mark.parametrize(
    "query",
    [
        "distinct_id=%00",
        "session_id=a%00",
        "event_type=a%00b&event_type=c",
        "properties.plan=%00",
    ],
)
def test_nul_in_an_event_list_query_parameter_is_400(api_client, query):
    assert_problem(api_client.get(f"{API}events/?{query}"))


@pytest.mark.parametrize(
    ("kind", "query"),
    [
        ("trends", {"events": ["x"], "filters": {"plan": "a\u0000b"}, **DATES}),
        (
            "funnels",
            {"steps": [{"event_type": "a", "filters": {"k": "\u0000"}}], "window_seconds": 9},
        ),
        (
            "ab_test",
            {
                "exposure_event": "a",
                "variant_property": "v",
                "goal_event": "b",
                "window_seconds": 10,
                "control": "a\u0000",
                **DATES,
            },
        ),
    ],
)
def test_nul_in_an_analysis_query_is_400(api_client, kind, query):
    assert_problem(api_client.post(f"{API}analysis/{kind}/", query, format="json"))


@pytest.mark.parametrize(
    "query",
    [
        {"source": "events", "filters": [{"field": "page_url", "op": "eq", "value": "a\u0000"}]},
        {"source": "events", "filters": [{"field": "properties.x", "op": "eq", "value": "\u0000"}]},
        {"source": "events", "filters": [{"field": "event_type", "op": "in", "value": ["\u0000"]}]},
    ],
)
def test_nul_in_a_report_or_widget_query_is_400_and_stores_nothing(api_client, query):
    assert_problem(api_client.post(f"{API}reports/", {"name": "r", "query": query}))
    dashboard = api_client.post(f"{API}dashboards/", {"name": "d"}).json()
    widget = {"dashboard": dashboard["id"], "title": "t", "type": "kpi", "query": query}
    assert_problem(api_client.post(f"{API}widgets/", widget))
    assert not Report.objects.exists() and not Widget.objects.exists()


@pytest.mark.parametrize("fields", [{"filters": {"k": "a\u0000"}}, {"name": "a\u0000"}])
def test_nul_in_an_alert_rule_is_400_and_stores_nothing(api_client, fields):
    assert_problem(api_client.post(f"{API}alerts/", {**ALERT, "threshold": 1, **fields}))
    assert not AlertRule.objects.exists()


@pytest.mark.parametrize("threshold", ["nan", "inf", "1e400", [1], None])
def test_a_threshold_that_is_not_a_finite_number_is_400(api_client, threshold):
    body = assert_problem(api_client.post(f"{API}alerts/", {**ALERT, "threshold": threshold}))
    assert "threshold" in body["errors"]


def test_a_deeply_nested_body_is_400(api_client):
    nested = "[" * 500 + "]" * 500
    raw = '{"name": "d", "description": "x", "date_range": ' + nested + "}"
    response = api_client.post(f"{API}dashboards/", data=raw, content_type="application/json")
    assert_problem(response)
    assert not Dashboard.objects.exists()
