"""Execution reads: lists, details, logs and the cheap status used for polling."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from django.db.models import DateTimeField, IntegerField, Prefetch, QuerySet, Value
from django.db.models.functions import Coalesce

from executions.choices import NodeRunStatus
from executions.engine import runtime
from executions.models import Execution, ExecutionLog, NodeRun

EXECUTION_ORDERING_FIELDS = ["created_at", "started_at", "finished_at", "duration_ms", "priority"]
# What a NULL sorts as (see executions.filtersets.NULLABLE_SORT_KEYS): first ascending.
_NEVER = Value(datetime(1970, 1, 1, tzinfo=UTC), output_field=DateTimeField())
# A plain (signed) integer: the duration column is unsigned, and Django drops a `> -1`
# filter on it as always true, which would loop the cursor over the unfinished rows.
_NO_DURATION = Value(-1, output_field=IntegerField())


def execution_list() -> QuerySet[Execution]:
    """Executions with their workflow's name, without the large JSON columns.

    Annotated with non-null sort keys for the nullable columns a list may be ordered by.
    """
    return (
        Execution.objects.select_related("workflow")
        .defer("definition", "input", "output", "workflow__definition")
        .annotate(
            sort_started_at=Coalesce("started_at", _NEVER),
            sort_finished_at=Coalesce("finished_at", _NEVER),
            sort_duration_ms=Coalesce("duration_ms", _NO_DURATION, output_field=IntegerField()),
        )
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

    None means the runner is not publishing it (not started, finished, unknown or stale):
    read the database instead.
    """
    progress = runtime.progress_read(execution_id)
    if progress is None or progress.get("workspace_id") != workspace_id:
        return None
    # The runner rewrites its progress at least this often; an older record was left behind
    # (its runner died, or Redis failed when the finish tried to clear it).
    if time.time() - float(progress.get("updated_at") or 0) > runtime.PROGRESS_STALE_SECONDS:
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
