"""Redis down: every read of the schema, polling included, answers from PostgreSQL."""

from __future__ import annotations

import json

import pytest

from analytics.services.dashboards import dashboard_create
from analytics.services.reports import report_create
from executions.choices import ExecutionStatus
from executions.engine import runtime
from templates_app.services.categories import categories_ensure
from tests.executions.factories import ExecutionFactory, NodeRunFactory, WorkflowFactory
from tests.templates_app.factories import TemplateFactory

pytestmark = pytest.mark.django_db

REPORT_QUERY = {"source": "events", "metric": "count", "group_by": "event_type"}


def objects_of(workspace, user) -> dict[str, int]:
    categories_ensure()  # seeded by a migration that a transactional test may have flushed
    workflow = WorkflowFactory(workspace=workspace, created_by=user)
    execution = ExecutionFactory(workflow=workflow, status=ExecutionStatus.RUNNING)
    NodeRunFactory(execution=execution, node_id="greet")
    runtime.progress_write(
        execution.id,
        {"id": execution.id, "workspace_id": workspace.id, "status": "running"},
    )
    report = report_create(workspace=workspace, owner=user, name="r", query=REPORT_QUERY)
    return {
        "/api/v1/workflows/{id}": workflow.id,
        "/api/v1/executions/{id}": execution.id,
        "/api/v1/templates/{id}": TemplateFactory(author=user, workspace=workspace).id,
        "/api/v1/analytics/reports/{id}": report.id,
        "/api/v1/analytics/dashboards/{id}": dashboard_create(
            workspace=workspace, owner=user, name="d"
        ).id,
    }


def test_every_read_answers_while_redis_is_down(
    api_client, staff_api_client, workspace, user, request
):
    objects = objects_of(workspace, user)
    paths = json.loads(api_client.get("/api/schema/?format=json").content)["paths"]
    request.getfixturevalue("redis_down")

    answered, failures = {}, []
    for path, operations in paths.items():
        if "get" not in operations:
            continue
        url = path.replace("{version}", "v1")
        for prefix, pk in objects.items():
            if url.startswith(prefix):
                url = url.replace("{id}", str(pk))
        if "{" in url or url.startswith("/api/schema"):
            continue
        for who, client in (("member", api_client), ("staff", staff_api_client)):
            response = client.get(url)
            answered[who, url] = response.status_code
            if response.status_code >= 500:
                failures.append((url, response.status_code, response.content[:200]))

    assert failures == []
    assert sum(status == 200 for status in answered.values()) > 60
    status_url = f"/api/v1/executions/{objects['/api/v1/executions/{id}']}/status/"
    assert answered["member", status_url] == 200


def test_polling_status_falls_back_to_the_database_while_redis_is_down(
    api_client, workspace, user, request
):
    execution = ExecutionFactory(
        workflow=WorkflowFactory(workspace=workspace, created_by=user),
        status=ExecutionStatus.RUNNING,
    )
    NodeRunFactory(execution=execution, node_id="greet")
    request.getfixturevalue("redis_down")
    body = api_client.get(f"/api/v1/executions/{execution.id}/status/").json()
    assert body["source"] == "database"
    assert body["status"] == "running"
    assert body["nodes"]["greet"] == "succeeded"
