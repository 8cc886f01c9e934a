"""Exports: request validation, building files (CSV/JSONL), masking, access, expiry."""

import csv
import io
import time
from datetime import timedelta

import orjson
import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from analytics.choices import ExportStatus
from analytics.models import Export, ReportRun
from analytics.services.exports import export_build, exports_expire
from analytics.services.reports import report_create, report_run_execute
from synapscale.choices import Role
from tests.analytics.factories import make_execution, make_workflow
from tests.conftest import client_for

URL = "/api/v1/analytics/exports/"
pytestmark = pytest.mark.django_db

PERSONAL = {"email": "jane.doe@example.com", "nested": {"contact": ["ops@corp.io"]}, "plan": "pro"}


@pytest.fixture
def events(ingest, workspace):
    ingest(
        workspace,
        [
            {
                "event_type": "signup",
                "distinct_id": "jane.doe@example.com",
                "properties": PERSONAL,
                "ip": "198.51.100.23",
                "page_url": "https://app.io/?email=jane.doe@example.com",
            },
            {"event_type": "click", "distinct_id": "anon-1", "properties": {"plan": "free"}},
        ],
    )


def request_export(client, headers=None, **payload):
    return client.post(URL, {"source": "events", **payload}, format="json", **(headers or {}))


def build(response):
    assert response.status_code == 202, response.content
    return export_build(export_id=response.json()["id"])


def download(client, export_id, headers=None):
    response = client.get(f"{URL}{export_id}/download/", **(headers or {}))
    body = b"".join(response.streaming_content) if response.status_code == 200 else b""
    return response, body


def test_owner_gets_unmasked_csv(api_client, events):
    export = build(request_export(api_client))
    assert (export.status, export.row_count, export.masked) == (ExportStatus.SUCCEEDED, 2, False)
    assert export.expires_at > timezone.now() + timedelta(days=6)
    response, body = download(api_client, export.pk)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    signup = next(row for row in rows if row["event_type"] == "signup")
    assert signup["distinct_id"] == "jane.doe@example.com"
    assert signup["ip"] == "198.51.100.0"
    assert orjson.loads(signup["properties"]) == PERSONAL
    assert export.size_bytes == len(body)


def test_member_gets_masked_jsonl(api_client, other_user, workspace, make_member, events):
    make_member(workspace, other_user, Role.MEMBER)
    member = client_for(other_user)
    headers = {"HTTP_X_WORKSPACE": workspace.slug}
    export = build(request_export(member, headers, format="jsonl"))
    assert export.masked is True
    response, body = download(member, export.pk, headers)
    assert response.status_code == 200
    lines = [orjson.loads(line) for line in body.splitlines()]
    signup = next(line for line in lines if line["event_type"] == "signup")
    assert signup["distinct_id"] == "j***@example.com"
    assert signup["ip"] == "198.51.*.*"
    assert signup["properties"]["email"] == "j***@example.com"
    assert signup["properties"]["nested"] == {"contact": ["o***@corp.io"]}
    assert signup["properties"]["plan"] == "pro"
    assert "jane.doe" not in body.decode()


def test_unmasked_file_is_admins_only_and_other_workspaces_get_404(
    api_client, other_user, other_api_client, workspace, make_member, events
):
    export = build(request_export(api_client))
    assert download(other_api_client, export.pk)[0].status_code == 404
    make_member(workspace, other_user, Role.MEMBER)
    headers = {"HTTP_X_WORKSPACE": workspace.slug}
    assert download(client_for(other_user), export.pk, headers)[0].status_code == 403
    make_member(workspace, other_user, Role.ADMIN)
    assert download(client_for(other_user), export.pk, headers)[0].status_code == 200


def test_anonymous_cannot_download(anon_client, api_client, events):
    export = build(request_export(api_client))
    assert anon_client.get(f"{URL}{export.pk}/download/").status_code == 401


def test_filters_apply(api_client, events):
    export = build(
        request_export(
            api_client, filters={"event_type": ["click"], "properties": {"plan": "free"}}
        )
    )
    assert export.row_count == 1
    none = build(request_export(api_client, filters={"properties": {"plan": "enterprise"}}))
    assert none.row_count == 0


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({"filters": {"nope": 1}}, "filters.nope"),
        ({"filters": {"created_after": "soon"}}, "filters.created_after"),
        ({"filters": {"properties": {"a": {"b": 1}}}}, "filters.properties.a"),
        ({"format": "xlsx"}, "format"),
        ({"source": "users"}, "source"),
        ({"source": "report_run", "report_run": 999999}, "report_run"),
        ({"source": "executions", "filters": {"workflow": "abc"}}, "filters"),
    ],
)
def test_invalid_requests_are_400(api_client, payload, error):
    response = request_export(api_client, **payload)
    assert response.status_code == 400, response.content
    assert error in response.json()["errors"]
    assert not Export.objects.exists()


def test_viewer_cannot_request(other_user, workspace, make_member):
    make_member(workspace, other_user, Role.VIEWER)
    response = request_export(client_for(other_user), {"HTTP_X_WORKSPACE": workspace.slug})
    assert response.status_code == 403


def test_executions_export_masks_creator_email(
    api_client, user, other_user, workspace, make_member
):
    flow = make_workflow(workspace, name="Nightly")
    execution = make_execution(flow, status="succeeded", duration_ms=42)
    execution.created_by = user
    execution.save(update_fields=["created_by"])
    make_member(workspace, other_user, Role.MEMBER)
    headers = {"HTTP_X_WORKSPACE": workspace.slug}
    member = client_for(other_user)
    export = build(
        request_export(member, headers, source="executions", filters={"status": "succeeded"})
    )
    body = download(member, export.pk, headers)[1].decode()
    row = next(csv.DictReader(io.StringIO(body)))
    assert row["workflow__name"] == "Nightly"
    assert row["duration_ms"] == "42"
    assert row["created_by__email"] == f"{user.email[0]}***@example.com"


def test_report_run_export(api_client, user, workspace, events):
    report = report_create(
        workspace=workspace,
        owner=user,
        name="r",
        query={"source": "events", "group_by": "event_type"},
    )
    run = report_run_execute(run_id=ReportRun.objects.create(report=report, workspace=workspace).pk)
    export = build(
        request_export(api_client, source="report_run", report_run=run.pk, format="jsonl")
    )
    body = download(api_client, export.pk)[1]
    assert [orjson.loads(line) for line in body.splitlines()] == [
        {"key": "click", "value": 1},
        {"key": "signup", "value": 1},
    ]


def test_download_before_build_is_409_and_after_expiry_410(api_client, events):
    export_id = request_export(api_client).json()["id"]
    assert download(api_client, export_id)[0].status_code == 409
    export = export_build(export_id=export_id)
    name = export.file.name
    assert default_storage.exists(name)
    assert exports_expire(now=timezone.now()) == 0
    assert exports_expire(now=timezone.now() + timedelta(days=8)) == 1
    assert not default_storage.exists(name)
    export.refresh_from_db()
    assert export.status == ExportStatus.EXPIRED
    response = download(api_client, export_id)[0]
    assert response.status_code == 410
    assert response["Content-Type"].startswith("application/problem+json")


def test_list_is_scoped_and_bounded(
    api_client, other_api_client, events, django_assert_max_num_queries
):
    for _ in range(3):
        request_export(api_client)
    with django_assert_max_num_queries(5):
        assert api_client.get(URL).json()["count"] == 3
    assert other_api_client.get(URL).json()["count"] == 0


def test_large_export_streams_in_chunks(api_client, ingest, workspace):
    for start in range(0, 5000, 1000):
        ingest(
            workspace,
            [{"event_type": "click", "distinct_id": f"p{n}"} for n in range(start, start + 1000)],
        )
    export = build(request_export(api_client, format="jsonl"))
    assert export.row_count == 5000
    body = download(api_client, export.pk)[1]
    assert body.count(b"\n") == 5000


@pytest.mark.django_db(transaction=True)
def test_worker_builds_the_requested_export(celery_worker, user, workspace):
    from tests.analytics.factories import ingest_events

    ingest_events(workspace, [{"event_type": "click", "distinct_id": "w"}])
    client = client_for(user)
    export_id = client.post(URL, {"source": "events"}, format="json").json()["id"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        export = Export.objects.get(pk=export_id)
        if export.status in (ExportStatus.SUCCEEDED, ExportStatus.FAILED):
            break
        time.sleep(0.1)
    assert export.status == ExportStatus.SUCCEEDED, export.error
    assert export.row_count == 1


def test_an_export_left_running_by_a_dead_worker_is_rebuilt(api_client, events, settings):
    export_id = request_export(api_client).json()["id"]
    Export.objects.filter(pk=export_id).update(
        status=ExportStatus.RUNNING, started_at=timezone.now() - timedelta(seconds=30)
    )
    assert export_build(export_id=export_id).status == ExportStatus.RUNNING
    settings.CELERY_TASK_TIME_LIMIT = 10
    assert export_build(export_id=export_id).status == ExportStatus.SUCCEEDED


@pytest.fixture
def private_run(user, workspace, events):
    report = report_create(
        workspace=workspace,
        owner=user,
        name="mine",
        query={"source": "events", "group_by": "event_type"},
        sharing="private",
    )
    return report_run_execute(
        run_id=ReportRun.objects.create(report=report, workspace=workspace).pk
    )


def test_a_member_cannot_export_the_run_of_someone_elses_private_report(
    other_user, workspace, make_member, private_run
):
    make_member(workspace, other_user, Role.ADMIN)
    client = client_for(other_user)
    headers = {"HTTP_X_WORKSPACE": workspace.slug}
    response = request_export(client, headers, source="report_run", report_run=private_run.pk)
    assert response.status_code == 400
    assert "report_run" in response.json()["errors"]
    assert not Export.objects.filter(report_run=private_run).exists()


def test_the_export_of_a_private_report_run_is_hidden_from_other_members(
    api_client, other_user, workspace, make_member, private_run
):
    export = build(request_export(api_client, source="report_run", report_run=private_run.pk))
    make_member(workspace, other_user, Role.ADMIN)
    client = client_for(other_user)
    headers = {"HTTP_X_WORKSPACE": workspace.slug}
    assert client.get(URL, **headers).json()["count"] == 0
    assert download(client, export.pk, headers)[0].status_code == 404
    assert download(api_client, export.pk)[0].status_code == 200


@pytest.mark.parametrize("format", ["csv", "jsonl"])
def test_events_with_numbers_past_64_bits_are_exported(api_client, ingest, workspace, format):
    ingest(workspace, [{"event_type": "click", "distinct_id": "n", "properties": {"x": 1e300}}])
    export = build(request_export(api_client, format=format))
    assert export.status == ExportStatus.SUCCEEDED, export.error
    body = download(api_client, export.pk)[1]
    assert b"1e+300" in body
