"""Execution state transitions shared by the runner and the API: enqueue, claim, finish."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

from executions.choices import ErrorType, ExecutionStatus, LogLevel, NodeRunStatus
from executions.conf import app_setting
from executions.engine import runtime
from executions.models import Execution, ExecutionLog, NodeRun
from executions.selectors.stats import STATS_NAMESPACE
from synapscale import product_events
from synapscale.cache import invalidate
from synapscale.models import Workspace

logger = logging.getLogger(__name__)

HIGH_QUEUE = "high"
DEFAULT_QUEUE = "default"


def queue_for_priority(priority: int) -> str:
    """Route priority 8-10 (by default) to the high-priority queue."""
    high = priority >= int(app_setting("EXECUTIONS_HIGH_PRIORITY_MIN"))
    return HIGH_QUEUE if high else DEFAULT_QUEUE


def execution_enqueue(*, execution_id: int, priority: int) -> None:
    """Send a pending execution's task and mark it queued. Call it on commit, never inside.

    With the broker unreachable the execution stays pending (the request that created it
    still succeeds) and the periodic `requeue_stalled` task sends it later.
    """
    from executions.tasks import run_execution

    try:
        run_execution.apply_async(args=[execution_id], queue=queue_for_priority(priority))
    except (BrokerError, RedisError):
        logger.warning("executions.enqueue_failed execution=%s", execution_id, exc_info=True)
        return
    # Conditional: a fast worker may already have claimed it.
    Execution.objects.filter(id=execution_id, status=ExecutionStatus.PENDING).update(
        status=ExecutionStatus.QUEUED, queued_at=timezone.now()
    )


def execution_claim(*, execution_id: int) -> tuple[Execution, runtime.Lease] | None:
    """Move a queued execution to running if its workspace has a free slot.

    Returns the execution and the lease the runner holds, or None when there is nothing to
    run: it is finished, deleted, parked waiting for a slot, or another runner has it.
    """
    lease = runtime.Lease(execution_id)
    workspace_id = (
        Execution.objects.filter(id=execution_id).values_list("workspace_id", flat=True).first()
    )
    if workspace_id is None:
        return None
    try:
        with transaction.atomic():
            # Lock order, everywhere: the workspace row, then execution rows. Claims of one
            # workspace are serialised, so two workers cannot both take its last slot, and
            # executions_dispatch_waiting cannot miss an execution a claim is parking.
            list(Workspace.objects.select_for_update().filter(id=workspace_id).values("id"))
            execution = Execution.objects.select_for_update().filter(id=execution_id).first()
            if execution is None or execution.is_finished:
                return None
            if execution.status == ExecutionStatus.RUNNING:
                # A redelivered task: resume only if the runner that held it is gone.
                if not lease.acquire():
                    return None
                _log(execution.id, LogLevel.WARNING, "Resuming after the previous runner stopped.")
                return execution, lease
            if execution.cancel_requested_at is not None:
                execution_finish(
                    execution=execution,
                    status=ExecutionStatus.CANCELLED,
                    error={
                        "node": None,
                        "type": ErrorType.CANCELLED,
                        "message": "Cancelled before it started.",
                    },
                )
                return None
            running = Execution.objects.filter(
                workspace_id=execution.workspace_id, status=ExecutionStatus.RUNNING
            ).count()
            now = timezone.now()
            if running >= int(app_setting("EXECUTIONS_MAX_CONCURRENT_PER_WORKSPACE")):
                if execution.waiting_since is None:
                    _log(execution.id, LogLevel.INFO, "Waiting for a free concurrency slot.")
                execution.status = ExecutionStatus.QUEUED
                execution.queued_at = execution.queued_at or now
                execution.waiting_since = execution.waiting_since or now
                execution.save(update_fields=["status", "queued_at", "waiting_since"])
                return None
            # The lease is taken before the commit: a cancel that sees `running` without a
            # lease may then rightly conclude that the runner died.
            if not lease.acquire():
                return None
            execution.status = ExecutionStatus.RUNNING
            execution.queued_at = execution.queued_at or now
            execution.started_at = now
            execution.waiting_since = None
            execution.save(update_fields=["status", "queued_at", "started_at", "waiting_since"])
    except BaseException:
        lease.release()  # a no-op unless this claim took it
        raise
    return execution, lease


def execution_finish(
    *,
    execution: Execution,
    status: str,
    output: Any = None,
    error: dict[str, Any] | None = None,
) -> Execution:
    """End an active execution with status; runs not done yet end skipped."""
    now = timezone.now()
    started_at = execution.started_at
    duration_ms = (
        int((now - started_at) / timedelta(milliseconds=1)) if started_at is not None else None
    )
    with transaction.atomic():
        updated = Execution.objects.filter(
            id=execution.id, status__in=ExecutionStatus.active()
        ).update(
            status=status,
            finished_at=now,
            duration_ms=duration_ms,
            output=output,
            error=error,
            waiting_since=None,
        )
        if updated:
            NodeRun.objects.filter(
                execution_id=execution.id,
                status__in=[NodeRunStatus.PENDING, NodeRunStatus.RUNNING, NodeRunStatus.RETRYING],
            ).update(status=NodeRunStatus.SKIPPED, finished_at=now)
            _log(
                execution.id,
                LogLevel.ERROR if error and status != ExecutionStatus.CANCELLED else LogLevel.INFO,
                f"Execution {status}.",
                {"duration_ms": duration_ms, "error": error},
            )
            # robust: a failing side effect (a Redis blip) must not fail the caller, whose
            # transaction is already committed.
            transaction.on_commit(lambda: _after_finish(execution.id), robust=True)
    execution.refresh_from_db()
    return execution


def _after_finish(execution_id: int) -> None:
    """Side effects of a finished execution, once it is committed; each one on its own.

    One failing (Redis or the broker down) must not skip the others: the stats would stay
    stale, the event be lost and the executions waiting for this slot wait for the periodic
    requeue. A progress record that could not be cleared is ignored by pollers once stale
    (see executions.selectors.executions.execution_status).
    """
    execution = Execution.objects.filter(id=execution_id).first()
    if execution is None:
        return
    _side_effect("progress_clear", execution_id, lambda: runtime.progress_clear(execution_id))
    _side_effect("cancel_flag_clear", execution_id, lambda: runtime.cancel_flag_clear(execution_id))
    _side_effect(
        "stats_invalidate",
        execution_id,
        lambda: invalidate(STATS_NAMESPACE, workspace_id=execution.workspace_id),
    )
    _side_effect(
        "product_event",
        execution_id,
        lambda: product_events.record(
            workspace_id=execution.workspace_id,
            event_type="workflow_executed",
            distinct_id=str(execution.created_by_id or "system"),
            properties={
                "execution_id": execution.id,
                "workflow_id": execution.workflow_id,
                "status": execution.status,
                "duration_ms": execution.duration_ms,
            },
            user_id=execution.created_by_id,
        ),
    )
    _side_effect(
        "dispatch_waiting",
        execution_id,
        lambda: executions_dispatch_waiting(workspace_id=execution.workspace_id),
    )


def _side_effect(name: str, execution_id: int, effect) -> None:
    try:
        effect()
    except Exception:
        logger.exception("executions.after_finish_failed step=%s execution=%s", name, execution_id)


def executions_dispatch_waiting(*, workspace_id: int) -> int:
    """Send the tasks of executions parked for a slot, up to the free slots; return how many."""
    limit = int(app_setting("EXECUTIONS_MAX_CONCURRENT_PER_WORKSPACE"))
    with transaction.atomic():
        # The same lock execution_claim takes before it counts and parks: without it a claim
        # could count a run that is finishing, park after this dispatch looked for parked
        # executions, and wait until the periodic requeue (a lost wake-up).
        list(Workspace.objects.select_for_update().filter(id=workspace_id).values("id"))
        running = Execution.objects.filter(
            workspace_id=workspace_id, status=ExecutionStatus.RUNNING
        ).count()
        free = limit - running
        if free <= 0:
            return 0
        waiting = list(
            Execution.objects.select_for_update()
            .filter(
                workspace_id=workspace_id,
                status=ExecutionStatus.QUEUED,
                waiting_since__isnull=False,
            )
            .order_by("-priority", "queued_at", "id")
            .values_list("id", "priority")[:free]
        )
        Execution.objects.filter(id__in=[pk for pk, _ in waiting]).update(waiting_since=None)
    from executions.tasks import run_execution

    for pk, priority in waiting:
        run_execution.apply_async(args=[pk], queue=queue_for_priority(priority))
    return len(waiting)


def _log(execution_id: int, level: str, message: str, data: dict | None = None) -> None:
    ExecutionLog.objects.create(
        execution_id=execution_id, level=level, message=message, data=data or {}
    )
