"""Writes on user accounts: registration, and what a password change revokes."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from synapscale.models import User, Workspace
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
    return Registration(user=user, workspace=workspace, token=created.secret)


def user_password_changed(*, user: User) -> int:
    """Revoke every token of ``user``: whoever held the old password may have made some."""
    return tokens_revoke_all(user=user)
