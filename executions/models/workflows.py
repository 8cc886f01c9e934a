"""Workflows: a named, versioned graph definition in a workspace, and its stored versions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Workflow(models.Model):
    # Node params (http_request headers) may hold API keys: the audit log records that the
    # definition changed (and the version), never its content.
    audit_secret_fields = ("definition",)

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


class WorkflowVersion(models.Model):
    """One version of a workflow's definition, immutable once written.

    Executions reference the version they run instead of copying its definition: a run
    stores a few bytes, and runners cache definitions by id (a version never changes).
    """

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    definition = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["workflow", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["workflow", "version"], name="wfversion_wf_version_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.workflow_id} v{self.version}"
