"""The analytics pages of the staff console answer and their actions work."""

import pytest

from analytics.models import Report, ReportRun
from analytics.services.reports import report_create

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "page",
    ["event", "eventhourlycount", "report", "dashboard", "export"],
)
def test_admin_changelists_answer(admin_client, ingest, workspace, page):
    ingest(workspace, [{"event_type": "click", "distinct_id": "a"}])
    assert admin_client.get(f"/admin/analytics/{page}/").status_code == 200


def test_admin_event_is_read_only(admin_client):
    assert admin_client.get("/admin/analytics/event/add/").status_code == 403


def test_admin_run_now_queues_runs(
    admin_client, user, workspace, django_capture_on_commit_callbacks
):
    report = report_create(workspace=workspace, owner=user, name="r", query={"source": "events"})
    response = admin_client.post(
        "/admin/analytics/report/",
        {"action": "run_now", "_selected_action": [report.pk]},
    )
    assert response.status_code == 302
    assert ReportRun.objects.filter(report=report, status="queued").count() == 1
    assert admin_client.get(f"/admin/analytics/report/{report.pk}/change/").status_code == 200
    assert Report.objects.count() == 1
