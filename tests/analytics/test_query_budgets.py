"""Query budgets: analyses, widgets, reports and exports run under a statement timeout."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection

from analytics.choices import ExportStatus
from analytics.services.exports import export_build
from synapscale.query_budget import QueryTimeout, query_budget
from tests.api_checks import assert_problem

pytestmark = pytest.mark.django_db

TRENDS = {"events": ["click"], "date_from": "2026-01-01", "date_to": "2026-12-31"}
# Unique people are counted from the raw events (a count trend is a sum of the hourly rollup,
# too quick to run over any budget).
RAW_TRENDS = {**TRENDS, "metric": "unique_people"}


@pytest.fixture
def many_events(ingest, workspace):
    for start in range(0, 4000, 1000):
        ingest(
            workspace,
            [{"event_type": "click", "distinct_id": f"p{n}"} for n in range(start, start + 1000)],
        )


@pytest.fixture
def events_table_locked(transactional_db):
    """Another session holds the events table, so a read of it waits past any budget.

    A 1 ms budget alone is a race: on a quiet machine a small count can finish inside it.
    """
    holder = psycopg.connect(**connection.get_connection_params())
    holder.execute("LOCK TABLE analytics_event IN ACCESS EXCLUSIVE MODE")
    yield
    holder.rollback()
    holder.close()


def budgets(settings, **ms):
    settings.QUERY_BUDGETS_MS = {**settings.QUERY_BUDGETS_MS, **ms}


def test_an_analysis_over_its_budget_is_a_503_and_the_database_stops(
    api_client, many_events, settings
):
    budgets(settings, analysis=1)
    response = api_client.post("/api/v1/analytics/analysis/trends/", RAW_TRENDS, format="json")
    body = assert_problem(response, 503)
    assert body["type"].endswith("/query-timeout")
    assert body["budget_ms"] == 1
    assert int(response["Retry-After"]) == settings.QUERY_TIMEOUT_RETRY_AFTER_SECONDS
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
            "AND datname = current_database() AND pid <> pg_backend_pid() "
            "AND query ILIKE '%%analytics_event%%'"
        )
        assert cursor.fetchone()[0] == 0  # PostgreSQL canceled it: nothing keeps running


def test_within_budget_the_analysis_answers(api_client, many_events):
    response = api_client.post("/api/v1/analytics/analysis/trends/", TRENDS, format="json")
    assert response.status_code == 200


def test_a_widget_over_budget_reports_its_error_and_the_dashboard_answers(
    api_client, settings, events_table_locked
):
    dashboard = api_client.post("/api/v1/analytics/dashboards/", {"name": "d"}, format="json")
    dashboard_id = dashboard.json()["id"]
    widget = api_client.post(
        "/api/v1/analytics/widgets/",
        {
            "dashboard": dashboard_id,
            "title": "clicks",
            "type": "kpi",
            "query": {
                "source": "events",
                "filters": [{"field": "event_type", "op": "eq", "value": "click"}],
            },
        },
        format="json",
    )
    assert widget.status_code == 201, widget.content
    budgets(settings, widget=1)
    data = api_client.get(f"/api/v1/analytics/dashboards/{dashboard_id}/data/").json()
    assert "budget of 1 ms" in data["widgets"][0]["error"]


def test_an_export_over_its_budget_fails_naming_it(api_client, many_events, settings):
    budgets(settings, export=1)
    response = api_client.post("/api/v1/analytics/exports/", {"source": "events"}, format="json")
    export = export_build(export_id=response.json()["id"])
    assert export.status == ExportStatus.FAILED
    assert "QueryTimeout" in export.error and "budget of 1 ms" in export.error


def test_the_budget_inside_an_outer_transaction_is_given_back(db):
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        before = cursor.fetchone()[0]
        with query_budget("analysis", timeout_ms=1234):
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone()[0] == "1234ms"
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == before


def test_a_canceled_statement_raises_query_timeout(db):
    with (
        pytest.raises(QueryTimeout) as raised,
        query_budget("report", timeout_ms=50),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT pg_sleep(2)")
    assert raised.value.extra == {"budget_ms": 50}


def test_an_export_past_its_row_cap_fails_naming_the_cap(api_client, many_events, settings):
    settings.EXPORT_MAX_ROWS = 600
    response = api_client.post("/api/v1/analytics/exports/", {"source": "events"}, format="json")
    export = export_build(export_id=response.json()["id"])
    assert export.status == ExportStatus.FAILED
    assert "EXPORT_MAX_ROWS" in export.error
    assert not export.file


def test_an_export_past_its_size_cap_fails_naming_the_cap(api_client, many_events, settings):
    settings.EXPORT_MAX_BYTES = 10_000
    response = api_client.post(
        "/api/v1/analytics/exports/", {"source": "events", "format": "jsonl"}, format="json"
    )
    export = export_build(export_id=response.json()["id"])
    assert export.status == ExportStatus.FAILED
    assert "EXPORT_MAX_BYTES" in export.error
