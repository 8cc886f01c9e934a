"""Accounts and tenancy: users, workspaces and who belongs to which, with what role."""

import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models

from synapscale.choices import Role


def new_ingestion_key() -> str:
    """Return a fresh public ingestion key (safe to embed in browser code)."""
    return "phc_" + secrets.token_urlsafe(24)


class User(AbstractUser):
    email = models.EmailField("email address", blank=True, db_index=True)

    class Meta:
        db_table = "synapscale_user"
        verbose_name = "user"
        verbose_name_plural = "users"

    def __str__(self):
        return self.username


class Workspace(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    is_personal = models.BooleanField(default=False)
    ingestion_key = models.CharField(max_length=64, unique=True, default=new_ingestion_key)
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="workspaces"
    )

    class Meta:
        ordering = ["slug"]

    def __str__(self):
        return self.name


class Membership(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="membership_unique_user"),
        ]
        indexes = [models.Index(fields=["user", "workspace"], name="membership_user_ws_idx")]

    def __str__(self):
        return f"{self.user} in {self.workspace} ({self.role})"


class WorkspaceQuota(models.Model):
    """A workspace's own limits; an empty field keeps the default (settings.WORKSPACE_QUOTAS)."""

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, primary_key=True, related_name="quota"
    )
    events_per_day = models.PositiveBigIntegerField(null=True, blank=True)
    exports_per_day = models.PositiveIntegerField(null=True, blank=True)
    executions_per_day = models.PositiveIntegerField(null=True, blank=True)
    workflows = models.PositiveIntegerField(null=True, blank=True)
    analysis_queries_running = models.PositiveIntegerField(null=True, blank=True)
    executions_running = models.PositiveIntegerField(
        null=True, blank=True, help_text="Executions of the workspace running at once."
    )
    exports_building = models.PositiveIntegerField(
        null=True, blank=True, help_text="Exports of the workspace queued or building at once."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "quota override"

    def __str__(self):
        return f"Quotas of {self.workspace}"
