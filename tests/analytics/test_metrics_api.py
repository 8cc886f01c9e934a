"""Realtime and business metrics on known data, their caching and their inputs."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from analytics.models import Event, EventHourlyCount
from analytics.services.metrics import realtime_rollups_prune, rollups_rebuild
from tests.analytics.factories import make_execution, make_install, make_template, make_workflow

REALTIME = "/api/v1/analytics/metrics/realtime/"
BUSINESS = "/api/v1/analytics/metrics/business/"
pytestmark = pytest.mark.django_db


def test_realtime_counts_events_per_minute_and_active_people(api_client, ingest, workspace):
    now = timezone.now()
    ingest(
        workspace,
        [
            {"event_type": "click", "distinct_id": "a"},
            {"event_type": "click", "distinct_id": "a"},
            {
                "event_type": "click",
                "distinct_id": "b",
                "timestamp": (now - timedelta(minutes=3)).isoformat(),
            },
            {
                "event_type": "click",
                "distinct_id": "c",
                "timestamp": (now - timedelta(minutes=30)).isoformat(),
            },
            {
                "event_type": "click",
                "distinct_id": "d",
                "timestamp": (now - timedelta(minutes=90)).isoformat(),
            },
        ],
        received_at=now,
    )
    body = api_client.get(REALTIME).json()
    series = body["events_per_minute"]
    assert len(series) == 15
    assert series[-1]["count"] == 2
    assert series[-4]["count"] == 1
    assert sum(point["count"] for point in series) == 3
    assert body["active_people_5m"] == 2
    assert body["active_people_60m"] == 3
    assert body["is_cached"] is False


def test_realtime_execution_health(api_client, workspace):
    flow = make_workflow(workspace)
    now = timezone.now()
    make_execution(flow, status="running")
    make_execution(flow, status="queued")
    make_execution(flow, status="pending")
    for duration in range(100, 2001, 100):  # 20 succeeded: 100..2000 ms
        make_execution(flow, status="succeeded", finished_at=now, duration_ms=duration)
    make_execution(flow, status="failed", finished_at=now, duration_ms=50)
    make_execution(flow, status="timed_out", finished_at=now, duration_ms=60000)
    make_execution(flow, status="failed", finished_at=now - timedelta(hours=2), duration_ms=5)
    body = api_client.get(REALTIME).json()
    assert body["executions_running"] == 1
    assert body["executions_queued"] == 2
    assert body["executions_finished_last_hour"] == 22
    assert body["execution_error_rate"] == round(2 / 22, 4)
    # percentile_cont over the 22 sorted values 50, 100..2000, 60000: rank 0.95 * 21 = 19.95,
    # between index 19 (1900) and 20 (2000).
    assert body["execution_p95_duration_ms"] == pytest.approx(1995.0)


def test_realtime_is_cached_then_refreshed(api_client, ingest, workspace):
    first = api_client.get(REALTIME).json()
    ingest(workspace, [{"event_type": "click", "distinct_id": "late"}])
    cached = api_client.get(REALTIME).json()
    assert cached["is_cached"] is True
    assert cached["cached_at"] is not None
    assert cached["active_people_5m"] == first["active_people_5m"] == 0
    refreshed = api_client.get(REALTIME, {"refresh": "true"}).json()
    assert refreshed["is_cached"] is False
    assert refreshed["active_people_5m"] == 1


def test_metrics_are_scoped_to_the_workspace(api_client, other_api_client, ingest, workspace):
    ingest(workspace, [{"event_type": "click", "distinct_id": "mine"}])
    assert api_client.get(REALTIME).json()["active_people_5m"] == 1
    assert other_api_client.get(REALTIME).json()["active_people_5m"] == 0


def _day(date_value, hour=12):
    return datetime(date_value.year, date_value.month, date_value.day, hour, tzinfo=UTC)


def test_business_metrics_on_known_data(
    api_client, ingest, user, other_user, workspace, other_workspace
):
    today = timezone.now().date()
    d = [today - timedelta(days=n) for n in range(40)]
    events = [
        # person a: active today and yesterday; b: today only; c: 10 days ago; old: 35 days ago
        {"event_type": "page_view", "distinct_id": "a", "timestamp": _day(d[0], 0).isoformat()},
        {"event_type": "click", "distinct_id": "a", "timestamp": _day(d[1]).isoformat()},
        {"event_type": "click", "distinct_id": "b", "timestamp": _day(d[0], 0).isoformat()},
        {"event_type": "click", "distinct_id": "c", "timestamp": _day(d[10]).isoformat()},
        {"event_type": "feature_used", "distinct_id": "old", "timestamp": _day(d[35]).isoformat()},
    ]
    ingest(workspace, events)
    flow = make_workflow(workspace, created_at=_day(d[2]))
    make_workflow(workspace, created_at=_day(d[39]))  # outside the 30-day window
    make_execution(flow, status="succeeded", created_at=_day(d[1]), finished_at=_day(d[1]))
    make_execution(flow, status="succeeded", created_at=_day(d[2]), finished_at=_day(d[2]))
    make_execution(flow, status="failed", created_at=_day(d[2]), finished_at=_day(d[2]))
    make_execution(flow, status="running", created_at=_day(d[0], 0))
    paid = make_template(workspace, user, name="Paid", price="12.50", license="premium")
    free = make_template(workspace, user, name="Free")
    foreign = make_template(
        other_workspace, other_user, name="Theirs", price="99", license="premium"
    )
    for _ in range(3):
        make_install(paid, other_workspace, created_at=_day(d[3]))
    make_install(free, other_workspace, created_at=_day(d[4]))
    make_install(foreign, workspace, created_at=_day(d[4]))  # published elsewhere: not ours

    body = api_client.get(BUSINESS).json()
    assert body["period"] == "day"
    assert body["date_to"] == today.isoformat()
    assert body["date_from"] == (today - timedelta(days=29)).isoformat()
    assert (body["dau"], body["wau"], body["mau"]) == (2, 2, 3)
    assert body["stickiness"] == round(2 / 3, 4)
    assert len(body["active_people_series"]) == 30
    assert body["active_people_series"][-2] == {
        "date": d[1].isoformat(),
        "dau": 1,
        "wau": 1,
        "mau": 2,
    }
    assert body["new_users"]["total"] == 3  # a, b, c (old was first seen 35 days ago)
    assert body["workflows_created"]["total"] == 1
    executions = body["executions"]
    assert (executions["total"], executions["finished"], executions["succeeded"]) == (4, 3, 2)
    assert executions["success_rate"] == round(2 / 3, 4)
    assert body["template_installs"]["total"] == 4
    assert body["top_templates"][0] == {
        "template": paid.id,
        "name": "Paid",
        "installs": 3,
        "revenue": "37.50",
    }
    assert body["top_templates"][1]["revenue"] == "0.00"
    assert body["marketplace_revenue"] == "37.50"
    assert body["top_event_types"] == [
        {"event_type": "click", "count": 3},
        {"event_type": "page_view", "count": 1},
    ]


def test_business_period_buckets_the_series(api_client, ingest, workspace):
    today = timezone.now().date()
    ingest(
        workspace,
        [
            {
                "event_type": "click",
                "distinct_id": f"p{n}",
                "timestamp": _day(today - timedelta(days=n)).isoformat(),
            }
            for n in range(0, 60, 3)
        ],
    )
    body = api_client.get(BUSINESS, {"period": "month"}).json()
    assert body["date_from"] == (today - timedelta(days=364)).isoformat()
    assert body["new_users"]["total"] == 20
    months = body["new_users"]["series"]
    assert all(point["period_start"].endswith("-01") for point in months)
    assert sum(point["value"] for point in months) == 20


@pytest.mark.parametrize(
    "params",
    [
        {"period": "year"},
        {"date_from": "2026-02-01", "date_to": "2026-01-01"},
        {"date_from": "2024-01-01", "date_to": "2026-01-01"},
        {"date_to": "tomorrow"},
        {"bogus": "1"},
    ],
)
def test_business_bad_parameters_are_400(api_client, params):
    response = api_client.get(BUSINESS, params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date_from": "9999-12-01", "date_to": "9999-12-31"}, "date_from"),
        ({"period": "month", "date_to": "0001-01-15"}, "date_to"),
        ({"date_to": "9999-12-31"}, "date_to"),
        ({"date_from": "1969-01-01", "date_to": "1969-02-01"}, "date_from"),
    ],
)
def test_business_dates_outside_1970_to_2100_are_400_naming_the_field(api_client, params, field):
    response = api_client.get(BUSINESS, params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_realtime_unknown_parameter_is_400(api_client):
    assert api_client.get(REALTIME, {"x": "1"}).status_code == 400


def test_metrics_need_authentication(anon_client):
    assert anon_client.get(REALTIME).status_code == 401
    assert anon_client.get(BUSINESS).status_code == 401


def test_rebuild_recomputes_rollups_that_agree_with_raw_counts(ingest, workspace):
    today = timezone.now().date()
    ingest(
        workspace,
        [
            {
                "event_type": "click" if n % 2 else "page_view",
                "distinct_id": f"p{n % 5}",
                "timestamp": _day(today - timedelta(days=n % 3), hour=n % 24).isoformat(),
            }
            for n in range(60)
        ],
    )
    EventHourlyCount.objects.filter(workspace=workspace).update(count=999)
    result = rollups_rebuild(
        date_from=today - timedelta(days=5), date_to=today, workspace_id=workspace.id
    )
    assert result.hourly_rows > 0
    raw = Event.objects.filter(workspace=workspace)
    for event_type in ("click", "page_view"):
        rolled = sum(
            EventHourlyCount.objects.filter(workspace=workspace, event_type=event_type).values_list(
                "count", flat=True
            )
        )
        assert rolled == raw.filter(event_type=event_type).count()


def test_prune_drops_realtime_rows_older_than_two_hours(ingest, workspace):
    now = timezone.now()
    ingest(workspace, [{"event_type": "click", "distinct_id": "x"}], received_at=now)
    assert realtime_rollups_prune(now=now) == 0
    assert realtime_rollups_prune(now=now + timedelta(hours=3)) == 2


def test_rebuild_rollups_command(ingest, workspace):
    from io import StringIO

    from django.core.management import CommandError, call_command

    ingest(workspace, [{"event_type": "click", "distinct_id": "a"}] * 3)
    EventHourlyCount.objects.all().delete()
    today = timezone.now().date().isoformat()
    out = StringIO()
    call_command(
        "rebuild_rollups", "--from", today, "--to", today, "--workspace", workspace.slug, stdout=out
    )
    assert "1 hourly rows" in out.getvalue()
    assert EventHourlyCount.objects.get(workspace=workspace).count == 3
    call_command("rebuild_rollups", "--from", today, "--to", today, stdout=StringIO())
    assert EventHourlyCount.objects.get(workspace=workspace).count == 3
    for bad in (["--from", "x", "--to", today], ["--from", today, "--to", "2000-01-01"]):
        with pytest.raises(CommandError):
            call_command("rebuild_rollups", *bad)
    with pytest.raises(CommandError):
        call_command("rebuild_rollups", "--from", today, "--to", today, "--workspace", "nope")
