"""Demo data for the platform itself: users and the demo workspace."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import transaction

from synapscale.choices import Role, TokenScope
from synapscale.models import Workspace
from synapscale.selectors.tokens import tokens_for_user
from synapscale.services.tokens import token_create
from synapscale.services.workspaces import membership_set, workspace_create

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "synapscale-demo"
STAFF_USERNAME = "admin"
STAFF_PASSWORD = "synapscale-admin"
DEMO_WORKSPACE_SLUG = "demo"
DEMO_TOKEN_NAME = "demo"


@dataclass(frozen=True)
class DemoAccounts:
    user: object
    staff_user: object
    workspace: Workspace
    # The demo token's secret when this run created it; None when an earlier run did (only
    # its hash is stored, so it cannot be shown again).
    token: str | None


def _ensure_user(username: str, password: str, *, staff: bool):
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=username,
        defaults={"email": f"{username}@example.com", "is_staff": staff, "is_superuser": staff},
    )
    if created:
        user.set_password(password)
        user.save(update_fields=["password"])
    if not Workspace.objects.filter(memberships__user=user, is_personal=True).exists():
        workspace_create(name=f"{username}'s workspace", owner=user, is_personal=True)
    return user


@transaction.atomic
def seed_accounts() -> DemoAccounts:
    """Create (or find) the demo user, the staff user and the shared demo workspace."""
    user = _ensure_user(DEMO_USERNAME, DEMO_PASSWORD, staff=False)
    staff = _ensure_user(STAFF_USERNAME, STAFF_PASSWORD, staff=True)
    workspace = Workspace.objects.filter(slug=DEMO_WORKSPACE_SLUG).first()
    if workspace is None:
        workspace = workspace_create(name="Demo", owner=user, slug=DEMO_WORKSPACE_SLUG)
    membership_set(workspace=workspace, user=staff, role=Role.ADMIN)
    token = None
    if not tokens_for_user(user).filter(name=DEMO_TOKEN_NAME, revoked_at__isnull=True).exists():
        token = token_create(user=user, name=DEMO_TOKEN_NAME, scopes=TokenScope.values).secret
    return DemoAccounts(user=user, staff_user=staff, workspace=workspace, token=token)


def seed_apps(accounts: DemoAccounts, stdout) -> list[str]:
    """Call ``seed_demo`` of every app that has a ``demo`` module; return their names."""
    seeded = []
    for config in apps.get_app_configs():
        if config.name == "synapscale":
            continue
        try:
            module = importlib.import_module(f"{config.name}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.demo":
                raise
            continue
        module.seed_demo(
            workspace=accounts.workspace,
            user=accounts.user,
            staff_user=accounts.staff_user,
            stdout=stdout,
        )
        seeded.append(config.name)
    return seeded
