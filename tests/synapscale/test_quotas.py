"""Workspace quotas: daily counters, counted totals, running places, overrides, usage."""

from __future__ import annotations

import time

import orjson
import pytest

from synapscale.models import WorkspaceQuota
from synapscale.quotas import QUOTAS, QuotaExceeded, quota_overrides_forget, quota_slot
from tests.api_checks import assert_problem
from tests.executions.factories import WorkflowFactory, three_node_definition

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/analytics/events/"


def override(workspace, **limits):
    WorkspaceQuota.objects.update_or_create(workspace=workspace, defaults=limits)
    quota_overrides_forget(workspace.id)


def test_executions_per_day_refuses_the_run_past_the_limit(api_client, workspace, user):
    override(workspace, executions_per_day=2)
    workflow = WorkflowFactory(workspace=workspace, created_by=user)
    url = f"/api/v1/workflows/{workflow.id}/run/"
    statuses = [api_client.post(url, {}, format="json").status_code for _ in range(2)]
    refused = api_client.post(url, {}, format="json")
    assert statuses == [202, 202]
    body = assert_problem(refused, 429)
    assert body["type"].endswith("/quota-exceeded")
    assert (body["quota"], body["limit"]) == ("executions_per_day", 2)
    assert body["resets_at"].endswith("T00:00:00+00:00")
    assert 0 < int(refused["Retry-After"]) <= 86400 + 1
    assert workflow.executions.count() == 2  # nothing half-written


def test_another_workspace_keeps_its_own_count(
    api_client, other_api_client, workspace, other_workspace, user, other_user
):
    override(workspace, executions_per_day=0)
    mine = WorkflowFactory(workspace=workspace, created_by=user)
    theirs = WorkflowFactory(workspace=other_workspace, created_by=other_user)
    assert api_client.post(f"/api/v1/workflows/{mine.id}/run/", {}).status_code == 429
    assert other_api_client.post(f"/api/v1/workflows/{theirs.id}/run/", {}).status_code == 202


def test_the_workflows_quota_counts_what_exists(api_client, workspace):
    override(workspace, workflows=1)
    definition = three_node_definition()
    first = api_client.post("/api/v1/workflows/", {"name": "a", "definition": definition})
    second = api_client.post("/api/v1/workflows/", {"name": "b", "definition": definition})
    assert first.status_code == 201, first.content
    assert assert_problem(second, 429)["quota"] == "workflows"


def test_ingestion_stores_what_fits_and_refuses_the_rest_by_index(api_client, workspace):
    override(workspace, events_per_day=3)
    batch = {"batch": [{"event_type": "click", "distinct_id": f"p{n}"} for n in range(5)]}
    body = api_client.post(EVENTS, orjson.dumps(batch), content_type="application/json").json()
    assert body["accepted"] == 3
    assert [entry["index"] for entry in body["rejected"]] == [3, 4]
    assert "events_per_day" in body["rejected"][0]["errors"]["quota"][0]
    full = api_client.post(
        EVENTS, orjson.dumps({"event_type": "click"}), content_type="application/json"
    )
    assert assert_problem(full, 429)["quota"] == "events_per_day"


def test_invalid_events_do_not_use_the_quota(api_client, workspace):
    override(workspace, events_per_day=1)
    batch = {"batch": [{"event_type": ""}, {"event_type": "click", "distinct_id": "a"}]}
    body = api_client.post(EVENTS, orjson.dumps(batch), content_type="application/json").json()
    assert body["accepted"] == 1
    assert [entry["index"] for entry in body["rejected"]] == [0]


def test_exports_per_day_and_exports_building_are_limited(api_client, workspace):
    override(workspace, exports_building=1)
    assert api_client.post("/api/v1/analytics/exports/", {"source": "events"}).status_code == 202
    busy = api_client.post("/api/v1/analytics/exports/", {"source": "events"})
    assert assert_problem(busy, 429)["quota"] == "exports_building"
    override(workspace, exports_building=10, exports_per_day=1)
    daily = api_client.post("/api/v1/analytics/exports/", {"source": "events"})
    assert assert_problem(daily, 429)["quota"] == "exports_per_day"


def test_analysis_queries_running_at_once_are_limited(api_client, workspace):
    override(workspace, analysis_queries_running=1)
    query = {"events": ["page_view"], "date_from": "2026-01-01", "date_to": "2026-01-03"}
    url = "/api/v1/analytics/analysis/trends/"
    with quota_slot(workspace_id=workspace.id, name="analysis_queries_running", lease_seconds=30):
        refused = api_client.post(url, query, format="json")
    assert assert_problem(refused, 429)["quota"] == "analysis_queries_running"
    assert api_client.post(url, query, format="json").status_code == 200  # the place is free


def test_a_place_held_by_a_process_that_died_frees_itself_when_its_lease_ends(workspace):
    override(workspace, analysis_queries_running=1)
    held = quota_slot(workspace_id=workspace.id, name="analysis_queries_running", lease_seconds=0.3)
    held.__enter__()  # never exited: the holder "died" with its place
    with (
        pytest.raises(QuotaExceeded),
        quota_slot(workspace_id=workspace.id, name="analysis_queries_running", lease_seconds=5),
    ):
        pass
    time.sleep(0.4)
    with quota_slot(workspace_id=workspace.id, name="analysis_queries_running", lease_seconds=5):
        pass


def test_usage_shows_every_quota_with_its_use_and_reset(api_client, workspace, user):
    override(workspace, executions_per_day=10, workflows=7)
    workflow = WorkflowFactory(workspace=workspace, created_by=user)
    api_client.post(f"/api/v1/workflows/{workflow.id}/run/", {})
    rows = api_client.get(f"/api/v1/workspaces/{workspace.slug}/usage/").json()
    by_name = {row["name"]: row for row in rows}
    assert list(by_name) == list(QUOTAS)  # every quota, in the documented order
    assert (by_name["executions_per_day"]["limit"], by_name["executions_per_day"]["used"]) == (
        10,
        1,
    )
    assert (by_name["workflows"]["limit"], by_name["workflows"]["used"]) == (7, 1)
    assert by_name["executions_per_day"]["resets_at"].endswith("T00:00:00Z")
    assert by_name["workflows"]["resets_at"] is None


def test_usage_is_only_for_members(other_api_client, workspace):
    response = other_api_client.get(f"/api/v1/workspaces/{workspace.slug}/usage/")
    assert_problem(response, 404)


def test_quotas_let_work_through_while_redis_is_down(api_client, workspace, user, redis_down):
    override(workspace, executions_per_day=0)
    workflow = WorkflowFactory(workspace=workspace, created_by=user)
    response = api_client.post(f"/api/v1/workflows/{workflow.id}/run/", {})
    assert response.status_code == 202


def test_staff_edit_the_overrides_in_the_workspace_admin(admin_client, api_client, workspace, user):
    url = f"/admin/synapscale/workspace/{workspace.pk}/change/"
    assert "Quota override (an empty field keeps" in admin_client.get(url).content.decode()
    membership = workspace.memberships.get()
    response = admin_client.post(
        url,
        {
            "name": workspace.name,
            "slug": workspace.slug,
            "is_personal": "on",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "1",
            "memberships-0-id": membership.pk,
            "memberships-0-workspace": workspace.pk,
            "memberships-0-user": user.pk,
            "memberships-0-role": membership.role,
            "quota-TOTAL_FORMS": "1",
            "quota-INITIAL_FORMS": "0",
            "quota-0-workspace": workspace.pk,
            "quota-0-executions_per_day": "1",
        },
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    workflow = WorkflowFactory(workspace=workspace, created_by=user)
    url = f"/api/v1/workflows/{workflow.id}/run/"
    assert [api_client.post(url, {}).status_code for _ in range(2)] == [202, 429]


def test_a_schedule_tick_over_quota_is_skipped_not_retried(workspace, user):
    from django.utils import timezone

    from executions.models import Execution
    from executions.services.schedules import FireStatus, schedule_fire
    from executions.services.triggers import trigger_create

    workflow = WorkflowFactory(workspace=workspace, created_by=user)
    trigger = trigger_create(
        workflow=workflow, user=user, kind="schedule", interval_seconds=60
    ).trigger
    override(workspace, executions_per_day=0)
    outcome = schedule_fire(
        trigger_id=trigger.id, fired_at=timezone.now(), first_attempt=True, key="tick"
    )
    assert outcome.status == FireStatus.SKIPPED_QUOTA
    assert not Execution.objects.filter(trigger_source=trigger).exists()
