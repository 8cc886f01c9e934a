"""Fixtures shared by the analytics tests."""

import pytest

from tests.analytics.factories import ingest_events


@pytest.fixture
def ingest(db):
    """Return ``ingest(workspace, events, received_at=None)`` that stores events for real."""
    return ingest_events
