"""Demo analytics for `manage.py seed_demo`: two weeks of events, a report, a dashboard."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

from django.utils import timezone

from analytics.models import Dashboard, Report
from analytics.services.dashboards import dashboard_create, widget_create
from analytics.services.events import events_ingest
from analytics.services.events_validation import IngestContext
from analytics.services.reports import report_create

DEMO_NAMESPACE = uuid.UUID("5b0c9f3e-4a3e-4c55-9a43-2f0c5d1e7a10")
DEMO_DAYS = 14
PAGES = ["/", "/workflows", "/marketplace", "/analytics", "/settings"]


def _demo_events(workspace, now) -> list[dict]:
    """The same events on every run (ids derived from a fixed namespace): ingestion dedupes."""
    rng = random.Random(workspace.id)
    events = []
    for day in range(DEMO_DAYS):
        for visit in range(40 + 5 * day % 17):
            person = f"visitor-{rng.randrange(60)}"
            at = now - timedelta(days=day, minutes=rng.randrange(24 * 60))
            for step, event_type in enumerate(
                ["page_view", "click", "feature_used"][: 1 + visit % 3]
            ):
                events.append(
                    {
                        "event_id": str(
                            uuid.uuid5(DEMO_NAMESPACE, f"{workspace.id}:{day}:{visit}:{step}")
                        ),
                        "event_type": event_type,
                        "distinct_id": person,
                        "session_id": f"{person}-{day}",
                        "page_url": f"https://app.synapscale.dev{rng.choice(PAGES)}",
                        "properties": {
                            "plan": "pro" if int(person.split("-")[1]) % 3 == 0 else "free"
                        },
                        "timestamp": (at + timedelta(seconds=20 * step)).isoformat(),
                    }
                )
    return events


def seed_demo(*, workspace, user, staff_user, stdout) -> None:
    """Load demo events, a report and a default dashboard into ``workspace`` (idempotent)."""
    now = timezone.now()
    context = IngestContext(workspace_id=workspace.id, received_at=now)
    events = _demo_events(workspace, now)
    accepted = 0
    for start in range(0, len(events), 1000):
        accepted += events_ingest(raw_events=events[start : start + 1000], context=context).accepted
    if not Report.objects.filter(workspace=workspace, name="Events by type").exists():
        report_create(
            workspace=workspace,
            owner=user,
            name="Events by type",
            description="Last 30 days, every event type.",
            query={"source": "events", "group_by": "event_type", "date_range": "last_30_days"},
            schedule="0 6 * * *",
        )
    if not Dashboard.objects.filter(workspace=workspace, name="Overview").exists():
        dashboard = dashboard_create(
            workspace=workspace, owner=user, name="Overview", is_default=True
        )
        widget_create(
            dashboard=dashboard, title="Daily active people", type="kpi", metric="business.dau"
        )
        widget_create(
            dashboard=dashboard,
            title="Events per minute",
            type="timeseries",
            metric="realtime.events_per_minute",
            position_x=4,
        )
        widget_create(
            dashboard=dashboard,
            title="Page views per day",
            type="timeseries",
            query={
                "source": "events",
                "filters": [{"field": "event_type", "op": "eq", "value": "page_view"}],
                "group_by": "day",
                "date_range": "last_14_days",
            },
            position_y=3,
            width=8,
        )
        widget_create(
            dashboard=dashboard,
            title="Top event types",
            type="table",
            metric="business.top_event_types",
            position_x=8,
            position_y=3,
        )
    stdout.write(f"  analytics: {accepted} new demo events, report and dashboard ready")
