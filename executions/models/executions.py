"""Executions (one run of a workflow), their node runs and their log lines."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from executions.choices import ExecutionStatus, LogLevel, NodeRunStatus, Trigger


class Execution(models.Model):
    # No single-column indexes where a composite one below starts with the column: every
    # index costs bytes and a write per execution (docs/executions.md, stored bytes).
    workspace = models.ForeignKey(
        "synapscale.Workspace",
        on_delete=models.CASCADE,
        related_name="executions",
        db_index=False,
    )
    workflow = models.ForeignKey(
        "executions.Workflow",
        on_delete=models.CASCADE,
        related_name="executions",
        db_index=False,
    )
    workflow_version = models.PositiveIntegerField()
    # The definition this execution runs, fixed at start: later edits make new versions.
    definition_version = models.ForeignKey(
        "executions.WorkflowVersion", on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(
        max_length=16, choices=ExecutionStatus.choices, default=ExecutionStatus.PENDING
    )
    priority = models.PositiveSmallIntegerField(default=5)
    input = models.JSONField(default=dict, blank=True)
    output = models.JSONField(null=True, blank=True)
    error = models.JSONField(null=True, blank=True)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.MANUAL)
    retry_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="retries",
        db_index=False,  # a partial index below: most executions are no retry
    )
    retry_mode = models.CharField(max_length=16, blank=True, default="")
    # The trigger that started it (a webhook), when one did; `trigger` says which kind.
    trigger_source = models.ForeignKey(
        "executions.WorkflowTrigger",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="executions",
        db_index=False,  # a partial index below: most executions have no trigger
    )
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    timeout_seconds = models.PositiveIntegerField()
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    # Set while the execution waits for a free slot of its workspace's concurrency limit.
    waiting_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="exec_status_created_idx"),
            models.Index(fields=["workspace", "created_at"], name="exec_workspace_created_idx"),
            models.Index(fields=["workflow", "created_at"], name="exec_workflow_created_idx"),
            models.Index(fields=["workspace", "status"], name="exec_workspace_status_idx"),
            models.Index(
                fields=["finished_at"],
                name="exec_finished_at_idx",
                condition=models.Q(finished_at__isnull=False),
            ),
            models.Index(
                fields=["retry_of"],
                name="exec_retry_of_idx",
                condition=models.Q(retry_of__isnull=False),
            ),
            models.Index(
                fields=["trigger_source", "created_at"],
                name="exec_trigger_source_idx",
                condition=models.Q(trigger_source__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(priority__gte=1, priority__lte=10),
                name="exec_priority_1_to_10",
            ),
            models.UniqueConstraint(
                fields=["workspace", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="exec_workspace_idempotency_uniq",
            ),
        ]

    def __str__(self) -> str:
        return f"Execution {self.pk} of workflow {self.workflow_id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in ExecutionStatus.finished()

    @property
    def definition(self) -> dict:
        """Return the definition this execution runs (its workflow version's)."""
        return self.definition_version.definition


class NodeRun(models.Model):
    # Indexed by the unique (execution, node_id) constraint, which starts with it.
    execution = models.ForeignKey(
        Execution, on_delete=models.CASCADE, related_name="node_runs", db_index=False
    )
    node_id = models.CharField(max_length=64)
    node_type = models.CharField(max_length=32)
    # The node's place in the topological order, so runs list in execution order.
    position = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(
        max_length=16, choices=NodeRunStatus.choices, default=NodeRunStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    input = models.JSONField(null=True, blank=True)
    output = models.JSONField(null=True, blank=True)
    error = models.JSONField(null=True, blank=True)
    # Copied from the execution this one retries (mode from_failure): not run again.
    is_reused = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["execution", "node_id"], name="noderun_exec_node_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.node_id} ({self.status})"


class ExecutionLog(models.Model):
    # Indexed by (execution, created_at) below.
    execution = models.ForeignKey(
        Execution, on_delete=models.CASCADE, related_name="logs", db_index=False
    )
    node_id = models.CharField(max_length=64, blank=True, default="")
    level = models.CharField(max_length=8, choices=LogLevel.choices, default=LogLevel.INFO)
    message = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["execution", "created_at"], name="exec_log_exec_created_idx")
        ]

    def __str__(self) -> str:
        return f"[{self.level}] {self.message[:60]}"
