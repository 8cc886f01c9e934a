"""Exports: a file of events, a report run's rows or executions, built by a worker."""

from django.conf import settings
from django.db import models

from analytics.choices import ExportFormat, ExportSource, ExportStatus


class Export(models.Model):
    workspace = models.ForeignKey(
        "synapscale.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=16, choices=ExportSource.choices)
    filters = models.JSONField(default=dict, blank=True, help_text="Event filters (events only).")
    report_run = models.ForeignKey(
        "analytics.ReportRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    format = models.CharField(max_length=8, choices=ExportFormat.choices, default=ExportFormat.CSV)
    # Decided at request time from the requester's role: only admins get unmasked data.
    masked = models.BooleanField(default=True)
    status = models.CharField(
        max_length=16, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    file = models.FileField(upload_to="exports/%Y/%m/", blank=True, default="")
    row_count = models.PositiveBigIntegerField(null=True, blank=True)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "-created_at"], name="export_ws_created"),
            models.Index(fields=["status", "expires_at"], name="export_status_expires"),
        ]

    def __str__(self):
        return f"Export {self.pk} ({self.source}, {self.format}, {self.status})"
