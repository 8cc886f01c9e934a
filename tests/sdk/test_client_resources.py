"""The SDK against a live server: analytics objects, triggers, workspaces and execution ops."""

import pytest
from synapscale_sdk import NotFound, SynapScale

from analytics.models import AlertRule
from executions.models import Execution as ExecutionRow
from executions.models import WorkflowTrigger

pytestmark = pytest.mark.django_db(transaction=True)

DEFINITION = {"nodes": [{"id": "t", "type": "transform", "params": {"expr": "input"}}]}
COUNT_BY_TYPE = {
    "source": "events",
    "metric": "count",
    "group_by": "event_type",
    "date_range": "last_7_days",
}
RULE = {
    "name": "Errors spike",
    "metric": "event_count",
    "event_type": "error",
    "condition": "gt",
    "threshold": 10,
    "window_minutes": 5,
    "severity": "high",
    "channels": {"emails": ["ops@example.com"]},
    "cooldown_minutes": 15,
}


def test_reports_dashboards_and_widgets(sdk):
    report = sdk.reports.create(name="By type", query=COUNT_BY_TYPE)
    assert sdk.reports.patch(report["id"], name="Types")["name"] == "Types"
    assert (
        sdk.reports.update(report["id"], {"name": "All", "query": COUNT_BY_TYPE})["name"] == "All"
    )
    assert sdk.reports.run(report["id"])["status"] == "queued"
    assert [run["status"] for run in sdk.reports.runs(report["id"])] == ["queued"]
    assert [r["id"] for r in sdk.reports.list()] == [report["id"]]

    dashboard = sdk.dashboards.create(name="Main")
    widget = sdk.widgets.create(
        dashboard=dashboard["id"], title="Clicks", type="kpi", query={"source": "events"}
    )
    assert sdk.widgets.get(widget["id"])["title"] == "Clicks"
    assert sdk.widgets.patch(widget["id"], title="All clicks")["title"] == "All clicks"
    data = sdk.dashboards.data(dashboard["id"])
    assert data
    copy = sdk.dashboards.duplicate(dashboard["id"])
    assert copy["name"] == "Copy of Main"
    sdk.widgets.delete(widget["id"])
    sdk.dashboards.delete(copy["id"])
    assert [d["id"] for d in sdk.dashboards.list()] == [dashboard["id"]]
    sdk.reports.delete(report["id"])
    with pytest.raises(NotFound):
        sdk.reports.get(report["id"])


def test_alerts_insights_and_metrics(sdk):
    rule = sdk.alerts.create(RULE)
    assert rule["state"] == "ok"
    assert sdk.alerts.pause(rule["id"])["state"] == "paused"
    assert sdk.alerts.resume(rule["id"])["state"] == "ok"
    assert sdk.alerts.snooze(rule["id"], 30)["snoozed_until"]
    assert sdk.alerts.rotate_secret(rule["id"])
    assert list(sdk.alerts.events(rule["id"])) == []
    sdk.alerts.delete(rule["id"])
    assert not AlertRule.objects.exists()

    assert list(sdk.insights.list()) == []
    assert isinstance(sdk.insights.summary(), dict)
    assert isinstance(sdk.metrics.realtime(), dict)
    assert isinstance(sdk.metrics.business(), dict)
    assert list(sdk.events.types()) == []


def test_triggers_and_execution_operations(sdk):
    workflow = sdk.workflows.create(name="wf", definition=DEFINITION)
    assert sdk.workflows.patch(workflow.id, name="renamed").name == "renamed"
    assert "transform" in {node["type"] for node in sdk.workflows.node_types()}

    trigger = sdk.triggers.create(workflow=workflow.id, name="stripe")
    assert sdk.triggers.pause(trigger["id"])["is_enabled"] is False
    assert sdk.triggers.resume(trigger["id"])["is_enabled"] is True
    assert sdk.triggers.rotate(trigger["id"])
    assert [t["id"] for t in sdk.triggers.list()] == [trigger["id"]]
    sdk.triggers.delete(trigger["id"])
    assert not WorkflowTrigger.objects.exists()

    first = sdk.workflows.run(workflow.id, {"a": 1})
    second = sdk.workflows.run(workflow.id, {"a": 2})
    assert sdk.executions.get(first.id).input == {"a": 1}
    assert isinstance(sdk.executions.queue(), dict)
    assert isinstance(sdk.executions.stats(hours=1), dict)
    result = sdk.executions.bulk("cancel", [first.id, second.id])
    assert result["succeeded"] == 2
    ExecutionRow.objects.update(status="cancelled")
    sdk.executions.delete(first.id)
    assert [e.id for e in sdk.executions.list()] == [second.id]
    sdk.workflows.delete(workflow.id)
    with pytest.raises(NotFound):
        sdk.workflows.get(workflow.id)


def test_workspaces_members_usage_and_registration(live_server, sdk, other_user):
    team = sdk.workspaces.create(name="Ops team")
    assert sdk.workspaces.get(team["slug"])["name"] == "Ops team"
    sdk.workspaces.add_member(team["slug"], other_user.username, "viewer")
    members = {m["user"]["username"]: m["role"] for m in sdk.workspaces.members(team["slug"])}
    assert members[other_user.username] == "viewer"
    sdk.workspaces.remove_member(team["slug"], other_user.username)
    assert other_user.username not in str(list(sdk.workspaces.members(team["slug"])))
    assert sdk.workspaces.rotate_ingestion_key(team["slug"])
    assert list(sdk.workspaces.usage(team["slug"]))
    assert team["slug"] in {w["slug"] for w in sdk.workspaces.list()}

    with SynapScale(live_server.url) as anonymous:
        created = anonymous.auth.register("carol", "carol@example.com", "a-long-pass-123")
    with SynapScale(live_server.url, created["token"]) as carol:
        assert carol.auth.me()["user"]["username"] == "carol"


def test_tokens_credentials_and_the_audit_log(live_server, sdk):
    created = sdk.tokens.create(name="ci", scopes=["read"])
    with SynapScale(live_server.url, created["token"]) as read_only:
        assert read_only.auth.me()["user"]["username"]
    sdk.tokens.revoke(created["id"])
    assert sdk.tokens.get(created["id"])["revoked_at"] is not None

    credential = sdk.credentials.create(
        name="crm", type="header", header_name="X-Api-Key", secret="a-secret-value-123456"
    )
    assert "secret" not in credential
    rotated = sdk.credentials.rotate(credential["id"], "another-secret-value-7890")
    assert rotated["secret_hint"].endswith("7890")
    assert [c["name"] for c in sdk.credentials.list()] == ["crm"]
    sdk.credentials.delete(credential["id"])

    actions = [event["action"] for event in sdk.audit.list(entity="credential")]
    assert actions == ["credential.deleted", "credential.secret_rotated", "credential.created"]
    first = next(iter(sdk.audit.list()))
    assert sdk.audit.get(first["id"])["action"] == first["action"]
