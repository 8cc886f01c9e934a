"""Fixtures that put event tuples into PostgreSQL and run the SQL analyses over them."""

import uuid

import pytest

from analytics.analysis import specs
from analytics.models import Event
from analytics.selectors.analysis import COMPUTATIONS


def insert_events(workspace, events) -> None:
    """Store ``(distinct_id, event_type, timestamp, properties)`` tuples in list order."""
    Event.objects.bulk_create(
        [
            Event(
                workspace=workspace,
                event_id=uuid.uuid4(),
                event_type=event_type,
                distinct_id=distinct_id,
                properties=properties,
                created_at=timestamp,
                received_at=timestamp,
            )
            for distinct_id, event_type, timestamp, properties in events
        ],
        batch_size=5000,
    )


@pytest.fixture
def postgres_analysis(workspace):
    """Return ``run(kind, data, events)``: store the events, compute the analysis in SQL."""

    def run(kind, data, events):
        Event.objects.filter(workspace=workspace).delete()
        insert_events(workspace, events)
        return COMPUTATIONS[kind](specs.parse_query(kind, data), workspace_id=workspace.id)

    return run
