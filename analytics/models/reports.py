"""Saved reports (a declarative query spec, optionally scheduled) and their runs."""

from django.conf import settings
from django.db import models

from analytics.choices import RunStatus, RunTrigger, Sharing


class Report(models.Model):
    workspace = models.ForeignKey(
        "synapscale.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    query = models.JSONField(help_text="The query spec; see docs/analytics.md.")
    schedule = models.CharField(
        max_length=100, blank=True, default="", help_text="Cron expression (UTC); empty: none."
    )
    sharing = models.CharField(max_length=16, choices=Sharing.choices, default=Sharing.WORKSPACE)
    # The django-celery-beat entry that runs a scheduled report (None when not scheduled).
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-created_at"], name="report_ws_created")]

    def __str__(self):
        return self.name


class ReportRun(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="runs")
    workspace = models.ForeignKey(
        "synapscale.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED)
    trigger = models.CharField(max_length=16, choices=RunTrigger.choices, default=RunTrigger.MANUAL)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    result = models.JSONField(null=True, blank=True)
    row_count = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["report", "-created_at"], name="report_run_report_created"),
            models.Index(fields=["workspace", "-created_at"], name="report_run_ws_created"),
        ]

    def __str__(self):
        return f"Run {self.pk} of report {self.report_id} ({self.status})"
