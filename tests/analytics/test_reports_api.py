"""Reports over the API: CRUD with spec validation, sharing, runs on a worker, results."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from analytics.choices import RunStatus, RunTrigger
from analytics.models import Report, ReportRun
from analytics.services.reports import report_create, report_run_execute, report_run_scheduled
from synapscale.choices import Role
from tests.analytics.factories import make_execution, make_install, make_template, make_workflow
from tests.conftest import client_for

URL = "/api/v1/analytics/reports/"
pytestmark = pytest.mark.django_db

COUNT_BY_TYPE = {
    "source": "events",
    "metric": "count",
    "group_by": "event_type",
    "date_range": "last_7_days",
}


def create(client, **fields):
    payload = {"name": "Report", "query": COUNT_BY_TYPE, **fields}
    return client.post(URL, payload, format="json")


def queued_run(report):
    return ReportRun.objects.create(report=report, workspace_id=report.workspace_id)


def test_create_and_read_a_report(api_client, user):
    response = create(api_client, description="By type")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["owner"] == user.username
    assert body["query"] == COUNT_BY_TYPE
    assert api_client.get(f"{URL}{body['id']}/").json()["name"] == "Report"


def test_invalid_spec_is_400_with_field_paths(api_client):
    response = create(
        api_client, query={"source": "events", "filters": [{"field": "x", "op": "eq", "value": 1}]}
    )
    assert response.status_code == 400
    assert "query.filters.0.field" in response.json()["errors"]
    assert not Report.objects.exists()


def test_filter_value_of_the_wrong_type_is_400(api_client):
    query = {
        "source": "events",
        "filters": [{"field": "user", "op": "eq", "value": "not-a-number"}],
    }
    response = create(api_client, query=query)
    assert response.status_code == 400
    assert "query.filters" in response.json()["errors"]


@pytest.mark.parametrize("schedule", ["every day", "61 * * * *", "* * * *"])
def test_invalid_schedule_is_400(api_client, schedule):
    response = create(api_client, schedule=schedule)
    assert response.status_code == 400
    assert "schedule" in response.json()["errors"]


def test_schedule_creates_updates_and_removes_the_beat_entry(api_client):
    report_id = create(api_client, schedule="0 6 * * 1").json()["id"]
    task = PeriodicTask.objects.get(name=f"analytics:report:{report_id}")
    assert task.task == "analytics.tasks.report_run_scheduled"
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("0", "6", "1")
    api_client.patch(f"{URL}{report_id}/", {"schedule": "30 7 * * *"}, format="json")
    task.refresh_from_db()
    assert (task.crontab.minute, task.crontab.hour) == ("30", "7")
    api_client.patch(f"{URL}{report_id}/", {"schedule": ""}, format="json")
    assert not PeriodicTask.objects.filter(name=f"analytics:report:{report_id}").exists()


def test_delete_removes_the_schedule(api_client):
    report_id = create(api_client, schedule="0 6 * * *").json()["id"]
    assert api_client.delete(f"{URL}{report_id}/").status_code == 204
    assert not PeriodicTask.objects.filter(name__startswith="analytics:report:").exists()


def test_private_reports_are_hidden_from_other_members(
    api_client, other_user, workspace, make_member
):
    make_member(workspace, other_user, Role.MEMBER)
    colleague = client_for(other_user)
    private = create(api_client, name="Mine", sharing="private").json()
    create(api_client, name="Shared")
    names = [
        r["name"] for r in colleague.get(URL, HTTP_X_WORKSPACE=workspace.slug).json()["results"]
    ]
    assert names == ["Shared"]
    assert (
        colleague.get(f"{URL}{private['id']}/", HTTP_X_WORKSPACE=workspace.slug).status_code == 404
    )


def test_only_owner_or_admin_edits(api_client, other_user, workspace, make_member):
    report_id = create(api_client).json()["id"]
    make_member(workspace, other_user, Role.MEMBER)
    colleague = client_for(other_user)
    denied = colleague.patch(
        f"{URL}{report_id}/", {"name": "x"}, format="json", HTTP_X_WORKSPACE=workspace.slug
    )
    assert denied.status_code == 403
    make_member(workspace, other_user, Role.ADMIN)
    allowed = colleague.patch(
        f"{URL}{report_id}/", {"name": "x"}, format="json", HTTP_X_WORKSPACE=workspace.slug
    )
    assert allowed.status_code == 200
    assert allowed.json()["name"] == "x"


def test_other_workspaces_reports_are_404(api_client, other_api_client):
    report_id = create(api_client).json()["id"]
    assert other_api_client.get(f"{URL}{report_id}/").status_code == 404
    assert other_api_client.post(f"{URL}{report_id}/run/").status_code == 404


def test_list_query_count_is_bounded(api_client, django_assert_max_num_queries):
    for index in range(5):
        create(api_client, name=f"R{index}")
    with django_assert_max_num_queries(5):
        assert api_client.get(URL).json()["count"] == 5


def test_run_executes_counts_by_event_type(user, workspace, ingest):
    ingest(
        workspace,
        [{"event_type": "click", "distinct_id": "a"}] * 3
        + [{"event_type": "page_view", "distinct_id": "b"}],
    )
    report = report_create(workspace=workspace, owner=user, name="r", query=COUNT_BY_TYPE)
    run = report_run_execute(run_id=queued_run(report).pk)
    assert run.status == RunStatus.SUCCEEDED
    assert run.result["rows"] == [{"key": "click", "value": 3}, {"key": "page_view", "value": 1}]
    assert run.row_count == 2
    assert run.duration_ms is not None
    assert report_run_execute(run_id=run.pk).status == RunStatus.SUCCEEDED  # redelivery: no rerun


def spec_rows(user, workspace, query):
    report = report_create(workspace=workspace, owner=user, name="r", query=query)
    run = report_run_execute(run_id=queued_run(report).pk)
    assert run.status == RunStatus.SUCCEEDED, run.error
    return run.result["rows"]


def test_events_metrics_filters_and_property_grouping(user, workspace, ingest):
    ingest(
        workspace,
        [
            {
                "event_type": "click",
                "distinct_id": "a",
                "properties": {"plan": "pro", "amount": 10},
            },
            {"event_type": "click", "distinct_id": "a", "properties": {"plan": "pro", "amount": 5}},
            {
                "event_type": "click",
                "distinct_id": "b",
                "properties": {"plan": "free", "amount": "n/a"},
            },
            {
                "event_type": "page_view",
                "distinct_id": "c",
                "properties": {"plan": "free", "amount": 1},
            },
        ],
    )
    assert spec_rows(user, workspace, {"source": "events", "metric": "unique_people"}) == [
        {"key": None, "value": 3}
    ]
    assert spec_rows(
        user,
        workspace,
        {
            "source": "events",
            "metric": "sum",
            "property": "properties.amount",
            "group_by": "properties.plan",
        },
    ) == [{"key": "pro", "value": 15.0}, {"key": "free", "value": 1.0}]
    assert spec_rows(
        user, workspace, {"source": "events", "metric": "avg", "property": "properties.amount"}
    ) == [{"key": None, "value": pytest.approx(16 / 3)}]
    assert spec_rows(
        user,
        workspace,
        {
            "source": "events",
            "filters": [
                {"field": "properties.amount", "op": "gt", "value": 4},
                {"field": "event_type", "op": "eq", "value": "click"},
            ],
        },
    ) == [{"key": None, "value": 2}]
    assert spec_rows(
        user,
        workspace,
        {
            "source": "events",
            "filters": [{"field": "properties.plan", "op": "neq", "value": "pro"}],
        },
    ) == [{"key": None, "value": 2}]
    assert spec_rows(
        user,
        workspace,
        {"source": "events", "filters": [{"field": "distinct_id", "op": "contains", "value": "A"}]},
    ) == [{"key": None, "value": 2}]


def test_time_grouping_fills_empty_buckets(user, workspace, ingest):
    now = timezone.now()
    ingest(
        workspace,
        [
            {
                "event_type": "click",
                "distinct_id": "a",
                "timestamp": (now - timedelta(days=2)).isoformat(),
            }
        ],
    )
    rows = spec_rows(
        user, workspace, {"source": "events", "group_by": "day", "date_range": "last_7_days"}
    )
    assert [row["value"] for row in rows] == [0, 0, 0, 0, 1, 0, 0]


def test_executions_source(user, workspace):
    flow = make_workflow(workspace)
    make_execution(flow, status="succeeded", duration_ms=100)
    make_execution(flow, status="succeeded", duration_ms=300)
    make_execution(flow, status="failed", duration_ms=50)
    rows = spec_rows(
        user,
        workspace,
        {"source": "executions", "metric": "avg", "property": "duration_ms", "group_by": "status"},
    )
    assert rows == [{"key": "succeeded", "value": 200.0}, {"key": "failed", "value": 50.0}]


def test_templates_source(user, other_user, workspace, other_workspace):
    paid = make_template(workspace, user, name="Paid", price="10", license="premium")
    make_install(paid, other_workspace)
    make_install(paid, other_workspace)
    rows = spec_rows(
        user,
        workspace,
        {"source": "templates", "metric": "sum", "property": "price", "group_by": "template_name"},
    )
    assert rows == [{"key": "Paid", "value": 20.0}]


def test_scheduled_run_records_the_schedule_trigger(user, workspace):
    report = report_create(
        workspace=workspace, owner=user, name="r", query=COUNT_BY_TYPE, schedule="0 * * * *"
    )
    run = report_run_scheduled(report_id=report.pk)
    assert (run.trigger, run.status) == (RunTrigger.SCHEDULE, RunStatus.SUCCEEDED)


def test_result_is_404_before_any_run_then_cached(api_client, user, workspace, ingest):
    report_id = create(api_client).json()["id"]
    assert api_client.get(f"{URL}{report_id}/result/").status_code == 404
    ingest(workspace, [{"event_type": "click", "distinct_id": "a"}])
    report_run_execute(run_id=queued_run(Report.objects.get(pk=report_id)).pk)
    first = api_client.get(f"{URL}{report_id}/result/").json()
    assert first["is_cached"] is False
    assert first["rows"] == [{"key": "click", "value": 1}]
    assert api_client.get(f"{URL}{report_id}/result/").json()["is_cached"] is True
    report_run_execute(run_id=queued_run(Report.objects.get(pk=report_id)).pk)
    assert (
        api_client.get(f"{URL}{report_id}/result/").json()["is_cached"] is False
    )  # a run invalidates


def test_runs_list(api_client, user, workspace, django_assert_max_num_queries):
    report_id = create(api_client).json()["id"]
    report = Report.objects.get(pk=report_id)
    for _ in range(3):
        report_run_execute(run_id=queued_run(report).pk)
    with django_assert_max_num_queries(6):
        body = api_client.get(f"{URL}{report_id}/runs/").json()
    assert body["count"] == 3
    assert {run["status"] for run in body["results"]} == {"succeeded"}


@pytest.mark.django_db(transaction=True)
def test_run_endpoint_answers_202_and_a_worker_runs_it(celery_worker, user, workspace):
    from analytics.services.events import events_ingest
    from analytics.services.events_validation import IngestContext

    events_ingest(
        raw_events=[{"event_type": "click", "distinct_id": "a"}],
        context=IngestContext(workspace_id=workspace.id, received_at=timezone.now()),
    )
    client = client_for(user)
    report_id = create(client).json()["id"]
    response = client.post(f"{URL}{report_id}/run/")
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    run_id = response.json()["id"]
    import time

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        run = ReportRun.objects.get(pk=run_id)
        if run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED):
            break
        time.sleep(0.1)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.trigger == RunTrigger.MANUAL
    assert client.get(f"{URL}{report_id}/result/").json()["rows"] == [{"key": "click", "value": 1}]


def test_viewer_cannot_run(api_client, other_user, workspace, make_member):
    report_id = create(api_client).json()["id"]
    make_member(workspace, other_user, Role.VIEWER)
    viewer = client_for(other_user)
    assert viewer.post(f"{URL}{report_id}/run/", HTTP_X_WORKSPACE=workspace.slug).status_code == 403


def test_a_run_left_running_by_a_dead_worker_is_taken_over_after_the_time_limit(
    user, workspace, settings
):
    from datetime import timedelta

    report = report_create(workspace=workspace, owner=user, name="r", query=COUNT_BY_TYPE)
    run = queued_run(report)
    recent = timezone.now() - timedelta(seconds=10)
    ReportRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, started_at=recent)
    assert report_run_execute(run_id=run.pk).status == RunStatus.RUNNING  # maybe still running
    settings.CELERY_TASK_TIME_LIMIT = 5
    assert report_run_execute(run_id=run.pk).status == RunStatus.SUCCEEDED
