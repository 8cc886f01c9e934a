"""Workflows: a named, versioned graph definition in a workspace."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Workflow(models.Model):
    workspace = models.ForeignKey(
        "synapscale.Workspace", on_delete=models.CASCADE, related_name="workflows"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    definition = models.JSONField(default=dict)
    # Incremented on each change of `definition`; executions record the version they ran.
    version = models.PositiveIntegerField(default=1)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "-created_at"], name="wf_workspace_created_idx"),
            models.Index(fields=["workspace", "name"], name="wf_workspace_name_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(version__gte=1), name="wf_version_positive")
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"
