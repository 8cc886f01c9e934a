"""Cache warming of analytics (realtime, business, scheduled reports) and the schedule."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from analytics.models import ReportRun
from analytics.selectors.metrics import workspaces_active_recently
from analytics.services.reports import report_create, report_run_execute
from config.celery_app import app
from synapscale.cache import run_warmers
from synapscale.schedules import collect_schedule
from tests.analytics.factories import make_execution, make_workflow

pytestmark = pytest.mark.django_db


def test_active_workspaces_are_those_with_recent_events_or_executions(
    ingest, workspace, other_workspace, staff_user
):
    assert list(workspaces_active_recently()) == []
    old = (timezone.now() - timedelta(days=3)).isoformat()
    ingest(other_workspace, [{"event_type": "click", "distinct_id": "x", "timestamp": old}])
    assert list(workspaces_active_recently()) == []
    ingest(workspace, [{"event_type": "click", "distinct_id": "x"}])
    assert list(workspaces_active_recently()) == [workspace]
    staff_workspace = staff_user.memberships.get().workspace
    make_execution(make_workflow(staff_workspace), status="running")
    assert set(workspaces_active_recently()) == {workspace, staff_workspace}


def test_periodic_warming_fills_realtime_and_business_for_active_workspaces(
    api_client, ingest, workspace
):
    ingest(workspace, [{"event_type": "click", "distinct_id": "x"}])
    outcomes = run_warmers(policy_name="realtime") + run_warmers(policy_name="business")
    warmed = {(o.warmer, o.workspace) for o in outcomes if o.ok}
    assert ("analytics.metrics.realtime", workspace.slug) in warmed
    assert ("analytics.metrics.business", workspace.slug) in warmed
    realtime = api_client.get("/api/v1/analytics/metrics/realtime/").json()
    business = api_client.get("/api/v1/analytics/metrics/business/").json()
    assert realtime["is_cached"] is True and realtime["active_people_5m"] == 1
    assert business["is_cached"] is True and business["dau"] == 1


def test_warm_cache_command_warms_one_workspace(api_client, workspace):
    call_command("warm_cache", "--policy", "realtime", "--workspace", workspace.slug)
    assert api_client.get("/api/v1/analytics/metrics/realtime/").json()["is_cached"] is True


def test_scheduled_report_results_are_warmed(api_client, user, workspace, ingest):
    ingest(workspace, [{"event_type": "click", "distinct_id": "x"}])
    report = report_create(
        workspace=workspace, owner=user, name="r", query={"source": "events"}, schedule="0 * * * *"
    )
    report_create(workspace=workspace, owner=user, name="unscheduled", query={"source": "events"})
    report_run_execute(run_id=ReportRun.objects.create(report=report, workspace=workspace).pk)
    outcomes = run_warmers(policy_name="reports")
    assert [
        (o.warmer, o.workspace, o.ok) for o in outcomes if o.warmer.startswith("analytics")
    ] == [("analytics.reports.scheduled", workspace.slug, True)]
    body = api_client.get(f"/api/v1/analytics/reports/{report.pk}/result/").json()
    assert body["is_cached"] is True
    assert body["rows"] == [{"key": None, "value": 1}]


def test_analytics_schedule_builds_and_names_registered_tasks():
    app.loader.import_default_modules()  # what a worker does at start: autodiscover tasks
    entries = {entry.name: entry for entry in collect_schedule()}
    for name in ("analytics.realtime_rollups.prune", "analytics.exports.expire"):
        assert entries[name].task in app.tasks
        assert entries[name].why
    assert "analytics.tasks.report_run_scheduled" in app.tasks
