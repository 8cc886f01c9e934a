"""Reads of the audit log."""

from __future__ import annotations

from django.db.models import QuerySet

from synapscale.models import AuditEvent


def audit_events(*, workspace_id: int | None = None) -> QuerySet[AuditEvent]:
    """Return audit events newest first; of one workspace when `workspace_id` is given."""
    events = AuditEvent.objects.order_by("-created_at", "-id")
    return events if workspace_id is None else events.filter(workspace_id=workspace_id)
