"""Reads on workspaces and memberships."""

from __future__ import annotations

from django.db.models import QuerySet

from synapscale.models import Membership, User, Workspace


def workspaces_for_user(user: User) -> QuerySet[Workspace]:
    """Return the workspaces ``user`` is a member of."""
    return Workspace.objects.filter(memberships__user=user).order_by("slug")


def membership_for(*, user: User, slug: str | None) -> Membership | None:
    """Return the caller's membership in the workspace ``slug`` (their personal one if None)."""
    memberships = Membership.objects.select_related("workspace").filter(user=user)
    if slug:
        return memberships.filter(workspace__slug=slug).first()
    # A user without a personal workspace (made by createsuperuser) acts in their oldest one.
    return memberships.order_by("-workspace__is_personal", "id").first()


def workspace_for_ingestion_key(key: str) -> Workspace | None:
    """Return the workspace whose public ingestion key is ``key``."""
    if not key:
        return None
    return Workspace.objects.filter(ingestion_key=key).first()


def workspace_members(workspace: Workspace) -> QuerySet[Membership]:
    """Return the memberships of ``workspace`` with their users."""
    return workspace.memberships.select_related("user").order_by("created_at", "id")
