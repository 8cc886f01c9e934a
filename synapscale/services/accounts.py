"""Writes on user accounts: registration, the audit of sign-ins, what a password change revokes."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from synapscale.audit_context import SYSTEM_ACTOR
from synapscale.models import User, Workspace
from synapscale.services.audit import audit_changes, record_audit_event
from synapscale.services.tokens import token_login_create, tokens_revoke_all
from synapscale.services.workspaces import workspace_create


@dataclass(frozen=True)
class Registration:
    user: User
    workspace: Workspace
    token: str


@transaction.atomic
def user_register(*, username: str, email: str, password: str) -> Registration:
    """Create a user, their personal workspace and an API token."""
    user_model = get_user_model()
    if user_model.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": ["A user with that username already exists."]})
    user = user_model(username=username, email=email)
    user.full_clean(exclude=["password"])
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise ValidationError({"username": ["A user with that username already exists."]}) from exc
    workspace = workspace_create(name=f"{username}'s workspace", owner=user, is_personal=True)
    created = token_login_create(user=user, name="registration")
    record_audit_event(
        action="user.registered",
        target=user,
        actor=user,
        changes=audit_changes({}, user, fields=["username", "email"]),
    )
    return Registration(user=user, workspace=workspace, token=created.secret)


def user_login_record(*, user: User, request=None, via: str) -> None:
    """Audit a successful sign-in (`via`: ``session`` or ``api_token``)."""
    record_audit_event(
        action="user.logged_in", target=user, actor=user, request=request, changes={"via": via}
    )


def user_login_failure_record(*, username: str, request=None) -> None:
    """Audit a refused sign-in; the username tried is kept, masked like any personal data."""
    record_audit_event(
        action="user.login_failed",
        actor=SYSTEM_ACTOR,
        request=request,
        target_type="synapscale.user",
        changes={"username": username},
    )


def user_password_changed(*, user: User) -> int:
    """Revoke every token of ``user``: whoever held the old password may have made some."""
    return tokens_revoke_all(user=user)
