"""Credential reads: never the secret (only the worker's resolve decrypts it)."""

from __future__ import annotations

from django.db.models import QuerySet

from executions.models import Credential


def credential_list() -> QuerySet[Credential]:
    """All credentials with their creator (scope by workspace on top)."""
    return Credential.objects.select_related("created_by")


def credential_names_missing(*, workspace_id: int, names: set[str]) -> set[str]:
    """Return which of the names are not credentials of the workspace (one query)."""
    if not names:
        return set()
    found = Credential.objects.filter(workspace_id=workspace_id, name__in=names)
    return names - set(found.values_list("name", flat=True))
