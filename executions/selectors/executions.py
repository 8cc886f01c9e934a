"""Execution reads: lists, details, logs and the cheap status used for polling."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from executions.choices import NodeRunStatus
from executions.engine import runtime
from executions.models import Execution, ExecutionLog, NodeRun

EXECUTION_ORDERING_FIELDS = ["created_at", "started_at", "finished_at", "duration_ms", "priority"]


def execution_list() -> QuerySet[Execution]:
    """Executions with their workflow's name, without the large JSON columns."""
    return Execution.objects.select_related("workflow").defer(
        "definition", "input", "output", "workflow__definition"
    )


def execution_detail() -> QuerySet[Execution]:
    """Executions with everything the detail shows, node runs in execution order."""
    return Execution.objects.select_related("workflow").prefetch_related(
        Prefetch("node_runs", queryset=NodeRun.objects.order_by("position", "id"))
    )


def execution_logs(*, execution: Execution) -> QuerySet[ExecutionLog]:
    return ExecutionLog.objects.filter(execution=execution)


def execution_status(*, execution_id: int, workspace_id: int) -> dict[str, Any] | None:
    """Return a running execution's progress from Redis (no database query), or None.

    None means the runner is not publishing it (not started, finished or unknown): read the
    database instead.
    """
    progress = runtime.progress_read(execution_id)
    if progress is None or progress.get("workspace_id") != workspace_id:
        return None
    return {**progress, "source": "redis"}


def execution_status_from_database(execution: Execution) -> dict[str, Any]:
    statuses = dict(execution.node_runs.values_list("node_id", "status"))
    current = execution.node_runs.filter(
        status__in=[NodeRunStatus.RUNNING, NodeRunStatus.RETRYING]
    ).values_list("node_id", flat=True)
    return {
        "id": execution.id,
        "workspace_id": execution.workspace_id,
        "workflow_id": execution.workflow_id,
        "status": execution.status,
        "current_node": next(iter(current), None),
        "nodes": statuses,
        "completed": sum(status in NodeRunStatus.done() for status in statuses.values()),
        "total": len(statuses),
        "started_at": execution.started_at.isoformat() if execution.started_at else None,
        "updated_at": None,
        "source": "database",
    }
