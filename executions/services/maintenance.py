"""Housekeeping: retention pruning and re-dispatching executions that stalled."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from executions.choices import ExecutionStatus
from executions.conf import app_setting
from executions.engine import runtime
from executions.models import Execution
from executions.services.lifecycle import (
    execution_enqueue,
    execution_send,
    executions_dispatch_waiting,
)

logger = logging.getLogger(__name__)


def executions_prune(*, older_than_days: int | None = None, batch_size: int | None = None) -> int:
    """Delete finished executions that finished before the retention window; return the count.

    Deletes in batches (each its own transaction) so a large backlog never holds long locks.
    Executions that have not finished are never deleted, however old.
    """
    if older_than_days is None:
        older_than_days = app_setting("EXECUTIONS_RETENTION_DAYS")
    batch = batch_size or int(app_setting("EXECUTIONS_PRUNE_BATCH_SIZE"))
    cutoff = timezone.now() - timedelta(days=int(older_than_days))
    total = 0
    while True:
        with transaction.atomic():
            ids = list(
                Execution.objects.filter(
                    status__in=ExecutionStatus.finished(), finished_at__lt=cutoff
                )
                .order_by("finished_at")
                .values_list("id", flat=True)[:batch]
            )
            if not ids:
                break
            # Retries point at their original with SET_NULL, so deleting the original is safe.
            Execution.objects.filter(id__in=ids).delete()
        total += len(ids)
    if total:
        logger.info("executions.pruned count=%s cutoff=%s", total, cutoff.isoformat())
    return total


@dataclass(frozen=True)
class RequeueResult:
    dispatched_waiting: int
    enqueued_pending: int
    resumed_orphans: int

    def as_dict(self) -> dict:
        return asdict(self)


def executions_requeue_stalled() -> RequeueResult:
    """Recover executions nothing will move otherwise.

    - queued ones parked for a concurrency slot (their wake-up on a finish may have been lost)
    - pending ones whose enqueue after commit never happened (the broker was down)
    - running ones whose runner's lease expired (the worker died): resumed by a new task
    """
    now = timezone.now()
    requeue_after = timedelta(seconds=int(app_setting("EXECUTIONS_REQUEUE_AFTER_SECONDS")))
    waiting_workspaces = (
        Execution.objects.filter(
            status=ExecutionStatus.QUEUED, waiting_since__lt=now - requeue_after
        )
        .values_list("workspace_id", flat=True)
        .distinct()
    )
    dispatched = sum(executions_dispatch_waiting(workspace_id=ws) for ws in waiting_workspaces)

    pending = Execution.objects.filter(
        status=ExecutionStatus.PENDING, created_at__lt=now - requeue_after
    ).values_list("id", "workspace_id", "priority")
    for pk, workspace_id, priority in pending:
        execution_enqueue(execution_id=pk, workspace_id=workspace_id, priority=priority)

    lease_age = timedelta(seconds=int(app_setting("EXECUTIONS_LEASE_SECONDS")))
    orphans = [
        (pk, workspace_id, priority)
        for pk, workspace_id, priority in Execution.objects.filter(
            status=ExecutionStatus.RUNNING, started_at__lt=now - lease_age
        ).values_list("id", "workspace_id", "priority")
        if not runtime.Lease.is_held(pk)
    ]
    for pk, workspace_id, priority in orphans:
        execution_send(execution_id=pk, workspace_id=workspace_id, priority=priority)
    return RequeueResult(
        dispatched_waiting=dispatched,
        enqueued_pending=len(pending),
        resumed_orphans=len(orphans),
    )
