"""Dates at the edges of the calendar: a 400 naming the field, never an overflow (a 500)."""

import pytest

from analytics.analysis.specs import analysis_date_range_parse
from analytics.models import Report, Widget

pytestmark = pytest.mark.django_db

ANALYSIS = "/api/v1/analytics/analysis/"
FUNNEL = {"steps": [{"event_type": "a"}, {"event_type": "b"}], "window_seconds": 60}
RETENTION = {"start_event": "a", "return_event": "b", "period": "week", "periods": 4}


def problem_fields(response):
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    return set(response.json()["errors"])


@pytest.mark.parametrize(
    ("kind", "query", "field"),
    [
        (
            "trends",
            {"events": ["x"], "date_from": "9999-12-30", "date_to": "9999-12-31"},
            "date_from",
        ),
        (
            "trends",
            {"events": ["x"], "date_from": "2100-12-01", "date_to": "9999-12-31"},
            "date_to",
        ),
        (
            "trends",
            {"events": ["x"], "date_from": "0001-01-01T00:00:00+01:00", "date_to": "0001-01-03"},
            "date_from",
        ),
        (
            "trends",
            {"events": ["x"], "compare": True, "date_from": "0001-01-01", "date_to": "0001-01-03"},
            "date_from",
        ),
        (
            "trends",
            {
                "events": ["x"],
                "interval": "month",
                "date_from": "9999-11-01",
                "date_to": "9999-12-30T00:00:00",
            },
            "date_from",
        ),
        (
            "trends",
            {"events": ["x"], "date_from": "2026-01-01", "date_to": "9999-12-31T23:59:59-14:00"},
            "date_to",
        ),
        ("funnels", {**FUNNEL, "date_from": "9999-12-30", "date_to": "9999-12-31"}, "date_from"),
        (
            "retention",
            {**RETENTION, "date_from": "9999-10-01", "date_to": "9999-12-31"},
            "date_from",
        ),
        (
            "retention",
            {**RETENTION, "date_from": "1969-12-01", "date_to": "1970-01-31"},
            "date_from",
        ),
    ],
)
def test_analysis_dates_outside_1970_to_2100_are_400(api_client, kind, query, field):
    response = api_client.post(f"{ANALYSIS}{kind}/", query, format="json")
    assert field in problem_fields(response)


@pytest.mark.parametrize(
    ("date_from", "date_to"),
    [("1970-01-01", "1970-01-31"), ("2100-12-01", "2100-12-31")],
)
def test_analysis_dates_at_the_bounds_are_answered(api_client, date_from, date_to):
    for interval in ("day", "week", "month"):
        query = {"events": ["x"], "interval": interval, "compare": True}
        response = api_client.post(
            f"{ANALYSIS}trends/",
            {**query, "date_from": date_from, "date_to": date_to},
            format="json",
        )
        assert response.status_code == 200, response.content
    response = api_client.post(
        f"{ANALYSIS}retention/",
        {**RETENTION, "date_from": date_from, "date_to": date_to},
        format="json",
    )
    assert response.status_code == 200, response.content


def test_a_plain_date_to_of_the_last_day_ends_at_the_next_midnight():
    errors = {}
    date_range = analysis_date_range_parse(
        {"date_range": {"from": "2100-12-31", "to": "2100-12-31"}}, errors
    )
    assert errors == {}
    assert (date_range.end - date_range.start).days == 1


@pytest.mark.parametrize(
    "date_range",
    [
        {"from": "9999-12-30", "to": "9999-12-31"},
        {"from": "9999-10-01", "to": "9999-12-31"},
        {"from": "0001-01-01", "to": "0001-01-02"},
        {"from": "1969-12-31", "to": "1970-01-02"},
        {"from": "2100-12-01", "to": "2101-01-01"},
    ],
)
def test_report_and_widget_dates_outside_1970_to_2100_are_400(api_client, date_range):
    query = {"source": "events", "group_by": "month", "date_range": date_range}
    report = api_client.post("/api/v1/analytics/reports/", {"name": "r", "query": query})
    # The path names the end that is out of range (query.date_range.from or .to).
    assert {"query.date_range.from", "query.date_range.to"} & set(problem_fields(report))
    dashboard = api_client.post("/api/v1/analytics/dashboards/", {"name": "d"}).json()
    widget = api_client.post(
        "/api/v1/analytics/widgets/",
        {"dashboard": dashboard["id"], "title": "t", "type": "timeseries", "query": query},
    )
    assert {"query.date_range.from", "query.date_range.to"} & set(problem_fields(widget))
    assert not Report.objects.exists() and not Widget.objects.exists()


def test_monthly_report_up_to_the_last_accepted_day_runs(api_client):
    query = {
        "source": "events",
        "group_by": "month",
        "date_range": {"from": "2100-10-01", "to": "2100-12-31"},
    }
    report = api_client.post("/api/v1/analytics/reports/", {"name": "r", "query": query})
    assert report.status_code == 201, report.content
    dashboard = api_client.post("/api/v1/analytics/dashboards/", {"name": "d"}).json()
    api_client.post(
        "/api/v1/analytics/widgets/",
        {"dashboard": dashboard["id"], "title": "t", "type": "timeseries", "query": query},
    )
    data = api_client.get(f"/api/v1/analytics/dashboards/{dashboard['id']}/data/").json()
    [widget] = data["widgets"]
    assert [row["key"][:7] for row in widget["data"]["rows"]] == ["2100-10", "2100-11", "2100-12"]
