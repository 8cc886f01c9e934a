"""No label on /metrics names a workspace, user or execution: bounded cardinality.

The rule (docs/monitoring.md): label values come from closed sets. This test drives
requests that carry ids in their paths and bodies, scrapes /metrics, and fails on a
forbidden label name or on any label value (or path segment of one) that looks like an id.
"""

from __future__ import annotations

import re

import pytest
from prometheus_client.parser import text_string_to_metric_families

from executions.services.workflows import workflow_create
from tests.analytics.factories import ingest_events

pytestmark = pytest.mark.django_db

FORBIDDEN_LABELS = frozenset(
    {
        "id",
        "pk",
        "workspace",
        "workspace_id",
        "user",
        "user_id",
        "username",
        "email",
        "execution",
        "execution_id",
        "workflow",
        "workflow_id",
        "template_id",
        "distinct_id",
        "session_id",
        "path",
        "url",
        "ip",
    }
)
# Numbers that are not ids: histogram bounds, quantiles, HTTP status codes, GC
# generations, the Python version.
NUMERIC_LABELS = frozenset(
    {"le", "quantile", "status", "generation", "major", "minor", "patchlevel"}
)
UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.I)
INTEGER = re.compile(r"^\d+$")

DEFINITION = {"nodes": [{"id": "a", "type": "set", "params": {"fields": {"x": 1}}}]}


def id_like(value: str) -> bool:
    return bool(UUID.search(value)) or any(INTEGER.match(part) for part in value.split("/"))


def offending_labels(text: str) -> list[str]:
    problems = []
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            for name, label_value in sample.labels.items():
                if name in FORBIDDEN_LABELS:
                    problems.append(f"{sample.name}: forbidden label {name}")
                elif name not in NUMERIC_LABELS and id_like(label_value):
                    problems.append(f"{sample.name}: {name}={label_value!r} looks like an id")
    return problems


def test_id_like_values_are_caught():
    assert id_like("/api/v1/workflows/42/")
    assert id_like("0b0b8f62-8c4e-4d4a-9e57-1f0d1b7c9a11")
    assert not id_like("/api/v1/workflows/<pk>/")
    assert not id_like("synapscale:product_events.flush")


def test_no_label_on_metrics_names_a_workspace_user_or_execution(
    api_client, workspace, user, client
):
    workflow = workflow_create(workspace=workspace, user=user, name="wf", definition=DEFINITION)
    api_client.get(f"/api/v1/workflows/{workflow.id}/")
    api_client.get(f"/api/v1/workflows/{workflow.id + 1000}/")
    api_client.get("/api/v1/executions/0b0b8f62-8c4e-4d4a-9e57-1f0d1b7c9a11/")
    api_client.get(f"/api/v1/workspaces/{workspace.id}/")
    api_client.post(f"/api/v1/workflows/{workflow.id}/run/", {}, format="json")
    ingest_events(workspace, [{"event_type": "click", "distinct_id": f"user-{user.id}"}])

    text = client.get("/metrics").content.decode()

    assert "synapscale_http_route_duration_seconds" in text
    assert offending_labels(text) == []
