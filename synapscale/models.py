"""Accounts and tenancy: users, workspaces and who belongs to which, with what role."""

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from synapscale.choices import SCOPES_IMPLIED, Role, TokenScope


def new_ingestion_key() -> str:
    """Return a fresh public ingestion key (safe to embed in browser code)."""
    return "phc_" + secrets.token_urlsafe(24)


TOKEN_MARKER = "sst_"
# The marker and 8 random characters: enough to tell one's tokens apart, 48 of the 256 bits.
TOKEN_PREFIX_LENGTH = len(TOKEN_MARKER) + 8


def new_token_secret() -> str:
    """Return a fresh personal access token: a marker and 256 random bits."""
    return TOKEN_MARKER + secrets.token_urlsafe(32)


def token_digest(secret: str) -> str:
    """Return what is stored of a token: its SHA-256, hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


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


class AppendOnlyError(Exception):
    """An audit event was about to be changed or deleted: the audit log only grows."""


class AuditEventQuerySet(models.QuerySet):
    """Audit events may be read and added, never changed or deleted through the ORM.

    Retention pruning goes through synapscale.services.audit.audit_events_prune (the SQL
    function synapscale_audit_prune), the only deletion the table's trigger lets through.
    """

    def update(self, **kwargs):
        raise AppendOnlyError("Audit events cannot be updated.")

    def delete(self):
        raise AppendOnlyError("Audit events cannot be deleted (retention: audit_events_prune).")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("Audit events cannot be updated.")

    def update_or_create(self, defaults=None, create_defaults=None, **kwargs):
        raise AppendOnlyError("Audit events cannot be updated.")

    update.queryset_only = True
    delete.queryset_only = True


class AuditEvent(models.Model):
    """Who did what to which object, when and from where: one row per change, append-only.

    Written by services through synapscale.services.audit.record_audit_event, in the
    transaction of the change. References to users and workspaces carry no foreign-key
    constraint and no cascade: deleting a user or a workspace keeps (and must not touch)
    its audit trail.
    """

    created_at = models.DateTimeField(default=timezone.now)
    workspace = models.ForeignKey(
        Workspace,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_token_id = models.CharField(max_length=64, blank=True)
    # The username at the time (users may be renamed or deleted), or "system", "task:<name>",
    # "command:<name>" when no user acted.
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=100)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    request_id = models.CharField(max_length=128, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "-created_at", "-id"], name="audit_ws_created_idx"),
            models.Index(fields=["created_at"], name="audit_created_idx"),
            models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
            models.Index(fields=["action"], name="audit_action_idx"),
        ]

    def __str__(self):
        return f"{self.actor_label} {self.action} {self.target_type}:{self.target_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Audit events cannot be updated.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events cannot be deleted (retention: audit_events_prune).")


class ApiToken(models.Model):
    """A personal access token: only its display prefix and the SHA-256 of the secret are kept.

    The secret carries 256 random bits, so a fast hash is enough: nobody can enumerate the
    input space, which is what a slow password hash defends against, and the lookup by digest
    stays one indexed query per request.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, help_text="The token's first characters, to tell it.")
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token, hex.")
    scopes = ArrayField(models.CharField(max_length=16, choices=TokenScope.choices))
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"
        indexes = [models.Index(fields=["user", "created_at"], name="apitoken_user_created_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scopes__len__gt=0), name="apitoken_has_a_scope"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def allows(self, scope: str) -> bool:
        """Return whether one of the token's scopes carries ``scope``."""
        return any(scope in SCOPES_IMPLIED[own] for own in self.scopes)
