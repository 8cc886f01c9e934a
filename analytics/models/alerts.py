"""Alert rules over metrics, and the fired/resolved events they record."""

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from analytics.models.insights import Severity


class AlertMetric(models.TextChoices):
    EVENT_COUNT = "event_count", "Event count"
    UNIQUE_PEOPLE = "unique_people", "Unique people"
    EXECUTION_FAILURE_RATE = "execution_failure_rate", "Execution failure rate (%)"
    EXECUTION_DURATION_P95 = "execution_duration_p95", "Execution duration p95 (ms)"
    QUEUE_DEPTH = "queue_depth", "Queued executions"
    REPORT_VALUE = "report_value", "Report value"


class AlertCondition(models.TextChoices):
    GT = "gt", "Greater than"
    GTE = "gte", "Greater than or equal"
    LT = "lt", "Less than"
    LTE = "lte", "Less than or equal"
    EQ = "eq", "Equal"
    NE = "ne", "Not equal"
    CHANGE_PCT = "change_pct", "Changed by at least (%) against the previous window"


class AlertState(models.TextChoices):
    OK = "ok", "OK"
    FIRING = "firing", "Firing"
    PAUSED = "paused", "Paused"
    ERRORED = "errored", "Errored"


class AlertEventKind(models.TextChoices):
    FIRED = "fired", "Fired"
    RESOLVED = "resolved", "Resolved"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    PARTIAL = "partial", "Partly failed"
    FAILED = "failed", "Failed"
    NONE = "none", "No channels"


def new_webhook_secret() -> str:
    return secrets.token_hex(32)


class AlertRule(models.Model):
    # Webhook URLs are bearer secrets for chat tools: the audit log records that the channels
    # changed, not their values.
    audit_secret_fields = ("channels",)

    workspace = models.ForeignKey(
        "synapscale.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=200)
    metric = models.CharField(max_length=32, choices=AlertMetric.choices)
    event_type = models.CharField(max_length=64, blank=True, default="")
    filters = models.JSONField(default=dict, blank=True)
    report = models.ForeignKey(
        "analytics.Report", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    condition = models.CharField(max_length=16, choices=AlertCondition.choices)
    threshold = models.FloatField()
    window_minutes = models.PositiveIntegerField(
        default=5, validators=[MinValueValidator(1), MaxValueValidator(1440)]
    )
    severity = models.CharField(max_length=16, choices=Severity.choices, default=Severity.MEDIUM)
    channels = models.JSONField(
        default=dict, blank=True, help_text='{"webhooks": [urls], "emails": [addresses]}'
    )
    webhook_secret = models.CharField(max_length=128, default=new_webhook_secret)
    cooldown_minutes = models.PositiveIntegerField(
        default=60, validators=[MaxValueValidator(7 * 1440)]
    )
    state = models.CharField(max_length=16, choices=AlertState.choices, default=AlertState.OK)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    next_evaluation_at = models.DateTimeField(null=True, blank=True)
    # Set while a worker evaluates the rule; a stale value means that worker died.
    evaluating_since = models.DateTimeField(null=True, blank=True)
    last_value = models.FloatField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    last_evaluated_at = models.DateTimeField(null=True, blank=True)
    last_triggered_at = models.DateTimeField(null=True, blank=True)
    last_notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(window_minutes__gte=1, window_minutes__lte=1440),
                name="alert_rule_window_range",
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "-created_at"], name="alert_rule_ws_created"),
            models.Index(fields=["next_evaluation_at"], name="alert_rule_due"),
        ]

    def __str__(self):
        return self.name


class AlertEvent(models.Model):
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="events")
    workspace = models.ForeignKey(
        "synapscale.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=AlertEventKind.choices)
    value = models.FloatField(null=True)
    threshold = models.FloatField()
    created_at = models.DateTimeField()
    notification_status = models.CharField(
        max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    # One entry per channel target: {"channel", "target", "ok", "attempts", "status", "error"}.
    targets = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, default="")
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["rule", "-created_at"], name="alert_event_rule_created")]

    def __str__(self):
        return f"{self.rule_id} {self.kind} at {self.created_at:%Y-%m-%d %H:%M}"
