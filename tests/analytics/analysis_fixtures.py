"""Fixtures that put event tuples into PostgreSQL and run the SQL analyses over them."""

import json
import uuid

import pytest
from django.utils import timezone

from analytics.analysis import specs
from analytics.models import Event, EventHourlyCount
from analytics.selectors.analysis import COMPUTATIONS
from analytics.services.events import events_insert_rows
from analytics.services.events_validation import EventRow


def insert_events(workspace, events) -> None:
    """Store ``(distinct_id, event_type, timestamp, properties)`` tuples in list order.

    Through the ingestion insert, so the rollups some analyses read (the hourly counts) are
    maintained as they are in production.
    """
    rows = [
        EventRow(
            event_id=uuid.uuid4(),
            event_type=event_type,
            user_id=None,
            distinct_id=distinct_id,
            session_id="",
            properties_json=json.dumps(properties),
            ip=None,
            user_agent="",
            page_url="",
            referrer="",
            created_at=timestamp,
        )
        for distinct_id, event_type, timestamp, properties in events
    ]
    for start in range(0, len(rows), 5000):
        events_insert_rows(
            workspace_id=workspace.id, rows=rows[start : start + 5000], received_at=timezone.now()
        )


@pytest.fixture
def postgres_analysis(workspace):
    """Return ``run(kind, data, events)``: store the events, compute the analysis in SQL."""

    def run(kind, data, events):
        Event.objects.filter(workspace=workspace).delete()
        EventHourlyCount.objects.filter(workspace=workspace).delete()
        insert_events(workspace, events)
        return COMPUTATIONS[kind](specs.parse_query(kind, data), workspace_id=workspace.id)

    return run
