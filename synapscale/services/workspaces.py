"""Writes on workspaces and memberships."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from synapscale.choices import Role
from synapscale.models import Membership, User, Workspace, new_ingestion_key


def _unique_slug(base: str) -> str:
    root = slugify(base)[:70] or "workspace"
    slug, suffix = root, 1
    while Workspace.objects.filter(slug=slug).exists():
        suffix += 1
        slug = f"{root}-{suffix}"
    return slug


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
    return workspace


@transaction.atomic
def membership_set(*, workspace: Workspace, user: User, role: str) -> Membership:
    """Add ``user`` to ``workspace`` with ``role``, or change the role they have."""
    if role not in Role.values:
        raise ValidationError({"role": [f"Unknown role {role!r}."]})
    membership = (
        Membership.objects.select_for_update().filter(workspace=workspace, user=user).first()
    )
    if membership is not None and membership.role == Role.OWNER and role != Role.OWNER:
        _ensure_other_owner(workspace, user)
    membership, _ = Membership.objects.update_or_create(
        workspace=workspace, user=user, defaults={"role": role}
    )
    return membership


@transaction.atomic
def membership_remove(*, workspace: Workspace, user: User) -> None:
    """Remove ``user`` from ``workspace``; the last owner cannot be removed."""
    membership = (
        Membership.objects.select_for_update().filter(workspace=workspace, user=user).first()
    )
    if membership is None:
        raise ValidationError({"user": ["This user is not a member of the workspace."]})
    if membership.role == Role.OWNER:
        _ensure_other_owner(workspace, user)
    membership.delete()


def _ensure_other_owner(workspace: Workspace, user: User) -> None:
    others = Membership.objects.filter(workspace=workspace, role=Role.OWNER).exclude(user=user)
    if not others.exists():
        raise ValidationError({"role": ["A workspace must keep at least one owner."]})


def workspace_rotate_ingestion_key(*, workspace: Workspace) -> Workspace:
    """Replace the workspace's ingestion key; the old one stops working at once."""
    workspace.ingestion_key = new_ingestion_key()
    workspace.save(update_fields=["ingestion_key"])
    return workspace
