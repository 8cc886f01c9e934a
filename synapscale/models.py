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
