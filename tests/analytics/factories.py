"""Factories and helpers for the analytics app's tests."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from analytics.services.events import events_ingest
from analytics.services.events_validation import IngestContext


def ingest_events(workspace, events: list[dict], *, received_at: datetime | None = None):
    """Store raw events for ``workspace`` through the real ingestion service."""
    context = IngestContext(workspace_id=workspace.id, received_at=received_at or timezone.now())
    return events_ingest(raw_events=events, context=context)
