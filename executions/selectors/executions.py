"""Execution reads: lists, details, logs and the cheap status used for polling."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

from django.db.models import DateTimeField, IntegerField, Prefetch, QuerySet, Value
from django.db.models.functions import Coalesce
from redis.exceptions import RedisError

from executions.choices import NodeRunStatus
from executions.engine import runtime
from executions.engine.definitions import graph_for
from executions.models import Execution, ExecutionLog, NodeRun

logger = logging.getLogger(__name__)

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
        .defer("input", "output", "workflow__definition")
        .annotate(
            sort_started_at=Coalesce("started_at", _NEVER),
            sort_finished_at=Coalesce("finished_at", _NEVER),
            sort_duration_ms=Coalesce("duration_ms", _NO_DURATION, output_field=IntegerField()),
        )
    )


def execution_detail() -> QuerySet[Execution]:
    """Executions with everything the detail shows, node runs in execution order."""
    return Execution.objects.select_related("workflow", "definition_version").prefetch_related(
        Prefetch("node_runs", queryset=NodeRun.objects.order_by("position", "id"))
    )


def execution_node_runs(execution: Execution) -> list[NodeRun]:
    """Return every node's run in execution order; nodes the runner has not written yet
    (it writes at checkpoints) appear as unsaved pending runs."""
    stored = {run.node_id: run for run in execution.node_runs.all()}
    if execution.is_finished and stored:
        return sorted(stored.values(), key=lambda run: (run.position, run.id))
    graph = graph_for(execution)
    return [
        stored.get(node_id)
        or NodeRun(
            execution_id=execution.id,
            node_id=node_id,
            node_type=graph.nodes[node_id].type,
            position=position,
        )
        for position, node_id in enumerate(graph.order)
    ]


def execution_logs() -> QuerySet[ExecutionLog]:
    """Log lines, oldest first; the API narrows them to one execution by its URL."""
    return ExecutionLog.objects.all()


def execution_status(*, execution_id: int, workspace_id: int) -> dict[str, Any] | None:
    """Return a running execution's progress from Redis (no database query), or None.

    None means the runner is not publishing it (not started, finished, unknown or stale):
    read the database instead.
    """
    try:
        progress = runtime.progress_read(execution_id)
    except RedisError:
        logger.warning("execution_status_redis_unavailable execution_id=%s", execution_id)
        return None
    if progress is None or progress.get("workspace_id") != workspace_id:
        return None
    # The runner rewrites its progress at least this often; an older record was left behind
    # (its runner died, or Redis failed when the finish tried to clear it).
    if time.time() - float(progress.get("updated_at") or 0) > runtime.PROGRESS_STALE_SECONDS:
        return None
    return {**progress, "source": "redis"}


def execution_status_from_database(execution: Execution) -> dict[str, Any]:
    runs = execution_node_runs(execution)
    statuses = {run.node_id: run.status for run in runs}
    current = [
        run.node_id for run in runs if run.status in (NodeRunStatus.RUNNING, NodeRunStatus.RETRYING)
    ]
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


def execution_wait(*, execution_id: int, workspace_id: int, timeout: float):
    """Wait until the execution finishes: its finish summary, or the finished execution.

    None when it did not finish within `timeout` seconds. A Redis that is down ends the wait
    at once with one look at the database.
    """
    try:
        summary = runtime.wait_for_summary(execution_id, timeout=timeout)
    except RedisError:
        summary = {"partial": True}
    if summary is None:
        return None
    if summary.get("partial"):  # too large to push whole, or Redis unavailable
        execution = Execution.objects.filter(id=execution_id, workspace_id=workspace_id).first()
        return execution if execution is not None and execution.is_finished else None
    return summary if summary.get("workspace_id") == workspace_id else None


def executions_running_count(workspace_id: int) -> int:
    """How many of the workspace's executions run now (its `executions_running` quota)."""
    from executions.choices import ExecutionStatus

    return Execution.objects.filter(
        workspace_id=workspace_id, status=ExecutionStatus.RUNNING
    ).count()
