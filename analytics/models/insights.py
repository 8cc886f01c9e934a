"""Insights: findings the platform detects in a workspace's activity (anomalies, trends)."""

from django.conf import settings
from django.db import models


class InsightKind(models.TextChoices):
    ANOMALY = "anomaly", "Anomaly"
    TREND = "trend", "Trend"
    TOP_MOVER = "top_mover", "Top mover"


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class InsightFeedback(models.TextChoices):
    USEFUL = "useful", "Useful"
    NOT_USEFUL = "not_useful", "Not useful"


class Insight(models.Model):
    workspace = models.ForeignKey(
        "synapscale.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=InsightKind.choices)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    # What the finding is about, independent of when it was seen: the same fingerprint is
    # not created again while an insight with it is open.
    fingerprint = models.CharField(max_length=200)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True, default="")
    data = models.JSONField(default=dict, blank=True, help_text="The numbers behind it.")
    detected_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    # Set when the insight stops being open (dismissed, or expired and swept).
    closed_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    feedback = models.CharField(
        max_length=16, choices=InsightFeedback.choices, blank=True, default=""
    )
    feedback_comment = models.TextField(blank=True, default="")
    feedback_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-detected_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "fingerprint"],
                condition=models.Q(closed_at__isnull=True),
                name="insight_open_fingerprint_uniq",
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "-detected_at"], name="insight_ws_detected"),
        ]

    def __str__(self):
        return self.title
