"""Reads of the audit log."""

from __future__ import annotations

from django.db.models import QuerySet

from synapscale.models import AuditEvent


def audit_events_for_workspace(workspace_id: int) -> QuerySet[AuditEvent]:
    """Return the workspace's audit events, newest first."""
    return AuditEvent.objects.filter(workspace_id=workspace_id).order_by("-created_at", "-id")
