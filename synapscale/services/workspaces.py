"""Writes on workspaces and memberships."""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from synapscale.choices import Role
from synapscale.models import Membership, User, Workspace, new_ingestion_key
from synapscale.services.audit import audit_changes, record_audit_event


def _unique_slug(base: str) -> str:
    root = slugify(base)[:70] or "workspace"
    taken = set(
        Workspace.objects.filter(slug__regex=rf"^{re.escape(root)}(-[0-9]+)?$").values_list(
            "slug", flat=True
        )
    )
    if root not in taken:
        return root
    suffix = 2
    while f"{root}-{suffix}" in taken:
        suffix += 1
    return f"{root}-{suffix}"


@transaction.atomic
def workspace_create(
    *, name: str, owner: User, slug: str | None = None, is_personal: bool = False
) -> Workspace:
    """Create a workspace with ``owner`` as its owner; a given slug must be free."""
    if slug is None:
        slug = _unique_slug(name)
    elif Workspace.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": ["A workspace with this slug already exists."]})
    workspace = Workspace(name=name, slug=slug, is_personal=is_personal)
    workspace.full_clean()
    try:
        with transaction.atomic():
            workspace.save()
    except IntegrityError as exc:  # two requests raced for the same slug
        raise ValidationError({"slug": ["A workspace with this slug already exists."]}) from exc
    Membership.objects.create(workspace=workspace, user=owner, role=Role.OWNER)
    record_audit_event(
        action="workspace.created",
        target=workspace,
        actor=owner,
        changes=audit_changes({}, workspace, fields=["name", "slug", "is_personal"]),
    )
    return workspace


def _lock_workspace(workspace: Workspace) -> None:
    # Every membership change of a workspace takes this row lock first, so two changes that
    # each check "another owner remains" cannot both pass and leave no owner.
    Workspace.objects.select_for_update().filter(pk=workspace.pk).first()


def _check_actor(workspace: Workspace, actor: User | None, *, touches_owner: bool) -> None:
    """Only owners may grant the owner role or change an owner's membership."""
    if actor is None or not touches_owner:
        return
    is_owner = Membership.objects.filter(workspace=workspace, user=actor, role=Role.OWNER).exists()
    if not is_owner:
        raise PermissionDenied("Only an owner may grant the owner role or change an owner.")


@transaction.atomic
def membership_set(
    *, workspace: Workspace, user: User, role: str, actor: User | None = None
) -> Membership:
    """Add ``user`` to ``workspace`` with ``role``, or change the role they have.

    ``actor`` is who asks (None for the system: demo data, the admin): admins may manage
    members and admins, only owners may touch owners.
    """
    if role not in Role.values:
        raise ValidationError({"role": [f"Unknown role {role!r}."]})
    _lock_workspace(workspace)
    current = Membership.objects.filter(workspace=workspace, user=user).first()
    was_owner = current is not None and current.role == Role.OWNER
    _check_actor(workspace, actor, touches_owner=role == Role.OWNER or was_owner)
    if was_owner and role != Role.OWNER:
        _ensure_other_owner(workspace, user)
    membership, _ = Membership.objects.update_or_create(
        workspace=workspace, user=user, defaults={"role": role}
    )
    if current is None or current.role != role:
        record_audit_event(
            action="workspace.member_added" if current is None else "workspace.member_role_changed",
            target=membership,
            actor=actor,
            changes={
                "user": user.get_username(),
                "role": {"before": current.role if current else None, "after": role},
            },
        )
    return membership


@transaction.atomic
def membership_remove(*, workspace: Workspace, user: User, actor: User | None = None) -> None:
    """Remove ``user`` from ``workspace``; the last owner cannot be removed."""
    _lock_workspace(workspace)
    membership = Membership.objects.filter(workspace=workspace, user=user).first()
    if membership is None:
        raise ValidationError({"user": ["This user is not a member of the workspace."]})
    _check_actor(workspace, actor, touches_owner=membership.role == Role.OWNER)
    if membership.role == Role.OWNER:
        _ensure_other_owner(workspace, user)
    record_audit_event(
        action="workspace.member_removed",
        target=membership,
        actor=actor,
        changes={"user": user.get_username(), "role": {"before": membership.role, "after": None}},
    )
    membership.delete()


def _ensure_other_owner(workspace: Workspace, user: User) -> None:
    others = Membership.objects.filter(workspace=workspace, role=Role.OWNER).exclude(user=user)
    if not others.exists():
        raise ValidationError({"role": ["A workspace must keep at least one owner."]})


@transaction.atomic
def workspace_rotate_ingestion_key(*, workspace: Workspace, actor: User | None = None) -> Workspace:
    """Replace the workspace's ingestion key; the old one stops working at once."""
    workspace.ingestion_key = new_ingestion_key()
    workspace.save(update_fields=["ingestion_key"])
    record_audit_event(
        action="workspace.ingestion_key_rotated",
        target=workspace,
        actor=actor,
        changes={"ingestion_key": {"before": None, "after": None}},
    )
    return workspace
