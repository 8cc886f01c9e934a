"""Each insight detector on injected data, deduplication of open findings, expiry."""

import datetime as dt

import pytest

from analytics.models import Insight
from analytics.services import insights as insight_services
from tests.analytics.analysis_fixtures import insert_events
from tests.analytics.factories import make_execution, make_workflow

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 12, 10, tzinfo=dt.UTC)  # a Monday
HOUR = dt.datetime(2026, 3, 2, 11, 0, tzinfo=dt.UTC)  # the last complete hour


def events_in_hour(workspace, event_type, hour, count, properties=None):
    insert_events(
        workspace,
        [
            (f"p{i % 7}", event_type, hour + dt.timedelta(seconds=30 * i), properties or {})
            for i in range(count)
        ],
    )


def weekly(workspace, event_type, current, baseline):
    events_in_hour(workspace, event_type, HOUR, current)
    for weeks_ago, count in enumerate(baseline, start=1):
        events_in_hour(workspace, event_type, HOUR - dt.timedelta(weeks=weeks_ago), count)


def test_event_anomalies_flag_spikes_and_drops_but_not_noise(workspace):
    weekly(workspace, "page_view", 80, [20, 22, 19, 21])  # spike
    weekly(workspace, "click", 5, [50, 52, 48, 50])  # drop
    weekly(workspace, "signup", 11, [10, 12, 11, 9])  # normal
    weekly(workspace, "rare", 3, [0, 0, 0, 0])  # unusual, but only 3 events
    findings = insight_services.find_event_anomalies(workspace_id=workspace.id, hour=HOUR)
    by_type = {f.data["event_type"]: f for f in findings}
    assert set(by_type) == {"page_view", "click"}
    spike = by_type["page_view"]
    assert spike.fingerprint == "anomaly:event_count:page_view:spike"
    assert spike.data["baseline"] == [20, 22, 19, 21]
    # median 20.5, MAD 1.0 -> z = 59.5 / 1.4826
    assert spike.data["z_score"] == pytest.approx(59.5 / 1.4826, abs=1e-3)
    assert spike.severity == "critical"
    assert by_type["click"].fingerprint == "anomaly:event_count:click:drop"


def test_anomaly_severity_grows_with_the_score():
    threshold = 3.5
    assert insight_services.severity_for_z(3.6, threshold) == "low"
    assert insight_services.severity_for_z(-5.5, threshold) == "medium"
    assert insight_services.severity_for_z(7.5, threshold) == "high"
    assert insight_services.severity_for_z(float("inf"), threshold) == "critical"


def test_failure_rate_anomaly(workspace):
    workflow = make_workflow(workspace)

    def executions(hour, total, failed):
        for index in range(total):
            make_execution(
                workflow,
                status="failed" if index < failed else "succeeded",
                created_at=hour,
                finished_at=hour + dt.timedelta(minutes=index),
                duration_ms=100,
            )

    executions(HOUR, 20, 10)
    for weeks_ago, failed in enumerate([1, 2, 1, 1], start=1):
        executions(HOUR - dt.timedelta(weeks=weeks_ago), 20, failed)
    [finding] = insight_services.find_failure_rate_anomaly(workspace_id=workspace.id, hour=HOUR)
    assert finding.fingerprint == "anomaly:execution_failure_rate:spike"
    assert finding.data["value"] == 50.0
    assert finding.data["baseline"] == [5.0, 10.0, 5.0, 5.0]


def test_failure_rate_needs_enough_executions(workspace):
    workflow = make_workflow(workspace)
    for _ in range(3):
        make_execution(workflow, status="failed", created_at=HOUR, finished_at=HOUR)
    assert insight_services.find_failure_rate_anomaly(workspace_id=workspace.id, hour=HOUR) == []


def test_week_over_week_changes_beyond_the_threshold(workspace):
    end = HOUR + dt.timedelta(hours=1)
    this_week, last_week = end - dt.timedelta(days=2), end - dt.timedelta(days=9)
    for event_type, previous, current in [
        ("export", 40, 100),
        ("login", 50, 45),
        ("tiny", 2, 10),
        ("churn", 60, 12),
    ]:
        events_in_hour(workspace, event_type, last_week, previous)
        events_in_hour(workspace, event_type, this_week, current)
    events_in_hour(workspace, "export", end - dt.timedelta(days=15), 500)  # too old to count
    findings = insight_services.find_week_over_week(workspace_id=workspace.id, end=end)
    summary = {f.data["event_type"]: (f.data["change_pct"], f.severity) for f in findings}
    assert summary == {"export": (150.0, "medium"), "churn": (-80.0, "low")}
    assert {f.kind for f in findings} == {"trend"}


def test_top_movers_among_event_types_and_templates(workspace):
    end = HOUR + dt.timedelta(hours=1)
    today, yesterday = end - dt.timedelta(hours=3), end - dt.timedelta(hours=27)
    for event_type, previous, current in [("a", 10, 50), ("b", 30, 0), ("c", 10, 12), ("d", 5, 6)]:
        events_in_hour(workspace, event_type, yesterday, previous)
        events_in_hour(workspace, event_type, today, current)
    events_in_hour(workspace, "template_installed", today, 15, {"template_slug": "crm"})
    events_in_hour(workspace, "template_installed", yesterday, 12, {"template_slug": "seo"})
    events_in_hour(workspace, "template_installed", today, 10, {"template_slug": "seo"})
    findings = {
        f.data["subject"]: f
        for f in insight_services.find_top_movers(workspace_id=workspace.id, end=end)
    }
    event_movers = [(m["name"], m["delta"]) for m in findings["event_types"].data["movers"]]
    assert event_movers == [("a", 40), ("b", -30), ("template_installed", 13)]
    template_movers = [(m["name"], m["delta"]) for m in findings["templates"].data["movers"]]
    assert template_movers == [("crm", 15), ("seo", -2)]
    assert findings["templates"].kind == "top_mover"


def test_the_same_finding_is_not_created_twice_while_open(workspace):
    weekly(workspace, "page_view", 80, [20, 22, 19, 21])
    first = insight_services.insights_detect(workspace_id=workspace.id, now=NOW)
    # The spike is also a week-over-week rise and the day's top mover.
    assert sorted(i.fingerprint for i in first) == [
        "anomaly:event_count:page_view:spike",
        "top_mover:event_types:2026-03-02",
        "trend:week_over_week:page_view:up",
    ]
    assert insight_services.insights_detect(workspace_id=workspace.id, now=NOW) == []
    # Dismissed: a later detection of the same finding is a new insight.
    anomaly = next(i for i in first if i.kind == "anomaly")
    insight_services.insight_dismiss(insight=anomaly)
    again = insight_services.insights_detect(workspace_id=workspace.id, now=NOW)
    assert [i.fingerprint for i in again] == [anomaly.fingerprint]
    assert Insight.objects.filter(workspace=workspace).count() == 4


def test_expired_insights_close_and_can_be_found_again(workspace):
    weekly(workspace, "page_view", 80, [20, 22, 19, 21])
    created = insight_services.insights_detect(workspace_id=workspace.id, now=NOW)
    insight = next(i for i in created if i.kind == "anomaly")
    assert insight.expires_at == NOW + dt.timedelta(hours=24)
    assert insight_services.insights_close_expired(now=NOW + dt.timedelta(hours=23)) == 0
    # The anomaly and the top mover last a day; the weekly trend a week.
    assert insight_services.insights_close_expired(now=NOW + dt.timedelta(hours=24)) == 2
    insight.refresh_from_db()
    assert insight.closed_at is not None


def test_detection_runs_for_active_workspaces_only(workspace, other_workspace):
    weekly(workspace, "page_view", 80, [20, 22, 19, 21])
    events_in_hour(other_workspace, "page_view", NOW - dt.timedelta(days=3), 100)  # idle
    assert insight_services.insights_detect_active_workspaces(now=NOW) == 3
    assert not Insight.objects.filter(workspace=other_workspace).exists()


def test_feedback_and_read_state(workspace, user):
    weekly(workspace, "page_view", 80, [20, 22, 19, 21])
    insight = insight_services.insights_detect(workspace_id=workspace.id, now=NOW)[0]
    insight_services.insight_mark_read(insight=insight)
    read_at = insight.read_at
    insight_services.insight_mark_read(insight=insight)
    assert insight.read_at == read_at  # the first read counts
    insight_services.insight_give_feedback(
        insight=insight, user=user, useful=False, comment="expected: a campaign"
    )
    insight.refresh_from_db()
    assert (insight.feedback, insight.feedback_by) == ("not_useful", user)
