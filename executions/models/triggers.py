"""Triggers: what starts a workflow from outside (a webhook call, a schedule)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.timezone import now

from executions.choices import (
    ScheduleCatchUp,
    ScheduleOverlap,
    TriggerKind,
    WebhookAuth,
    WebhookResponseMode,
)


def new_public_id() -> str:
    """Return a fresh id for a trigger's URL: 128 random bits, URL-safe."""
    return secrets.token_urlsafe(16)


def default_methods() -> list[str]:
    return ["POST"]


class WorkflowTrigger(models.Model):
    """What starts a workflow from outside: a webhook URL, or a schedule.

    A webhook (`kind = webhook`) is a public URL that runs the workflow with the request as
    input. With `auth = token` the URL carries a secret token, stored here only as its
    SHA-256; with a signature scheme the caller signs the body with `signing_secret` (which
    an HMAC check needs in the clear). A schedule (`kind = schedule`) runs it by cron or
    interval through its django-celery-beat entry.
    """

    workspace = models.ForeignKey(
        "synapscale.Workspace", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    workflow = models.ForeignKey(
        "executions.Workflow", on_delete=models.CASCADE, related_name="triggers"
    )
    kind = models.CharField(max_length=16, choices=TriggerKind.choices, default=TriggerKind.WEBHOOK)
    name = models.CharField(max_length=200, blank=True, default="")
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    auth = models.CharField(max_length=16, choices=WebhookAuth.choices, default=WebhookAuth.TOKEN)
    token_sha256 = models.CharField(max_length=64, blank=True, default="", editable=False)
    signing_secret = models.CharField(max_length=128, blank=True, default="", editable=False)
    methods = models.JSONField(default=default_methods)
    response_mode = models.CharField(
        max_length=16, choices=WebhookResponseMode.choices, default=WebhookResponseMode.ACCEPTED
    )
    # How long `last_node` waits for the run before answering 504 with the execution's id.
    wait_seconds = models.PositiveSmallIntegerField(default=30)
    # django-ratelimit's notation: "60/m" is 60 calls a minute to this trigger.
    rate_limit = models.CharField(max_length=16, default="60/m")
    max_body_bytes = models.PositiveIntegerField(default=1024 * 1024)
    # Schedule triggers: a cron expression read in `timezone`, or every `interval_seconds`,
    # fired by the django-celery-beat entry the trigger owns.
    cron = models.CharField(max_length=100, blank=True, default="")
    timezone = models.CharField(max_length=64, default="UTC")
    interval_seconds = models.PositiveIntegerField(null=True, blank=True)
    overlap = models.CharField(
        max_length=8, choices=ScheduleOverlap.choices, default=ScheduleOverlap.SKIP
    )
    catch_up = models.CharField(
        max_length=8, choices=ScheduleCatchUp.choices, default=ScheduleCatchUp.RUN_ONCE
    )
    # What each scheduled run receives as `payload` in its input.
    payload = models.JSONField(default=dict, blank=True)
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    last_fired_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    secret_rotated_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "-created_at"], name="trigger_workspace_created_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(wait_seconds__gte=1), name="trigger_wait_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(max_body_bytes__gte=1), name="trigger_body_cap_positive"
            ),
            # A schedule trigger has exactly one of a cron expression and an interval.
            models.CheckConstraint(
                condition=~models.Q(kind="schedule")
                | (models.Q(cron="") & models.Q(interval_seconds__isnull=False))
                | (~models.Q(cron="") & models.Q(interval_seconds__isnull=True)),
                name="trigger_schedule_one_rule",
            ),
        ]

    def __str__(self) -> str:
        return self.name or f"{self.get_kind_display()} trigger {self.public_id}"
