"""Housekeeping: retention pruning and re-dispatching executions that stalled."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import timedelta

from celery import current_app
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

from executions.choices import ExecutionStatus
from executions.conf import app_setting
from executions.engine import runtime
from executions.models import Execution
from executions.selectors.queue import broker_queue_depths
from executions.services.lifecycle import execution_send, executions_dispatch_waiting

logger = logging.getLogger(__name__)
# Lost messages re-sent per run of the periodic task.
LOST_BATCH = 500


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
    resent_lost: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def executions_requeue_stalled() -> RequeueResult:
    """Recover executions nothing will move otherwise.

    - queued ones parked for a concurrency slot (their wake-up on a finish may have been lost)
    - pending ones whose enqueue after commit never happened (the broker was down)
    - running ones whose runner's lease expired (the worker died): resumed by a new task
    - queued ones whose message the broker does not hold (a crash between the commit and
      the send): re-sent once the broker's queues are empty, so a backlog that is merely
      long is never sent twice
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
        try:
            execution_send(execution_id=pk, workspace_id=workspace_id, priority=priority)
        except (BrokerError, RedisError):
            logger.warning("executions.enqueue_failed execution=%s", pk, exc_info=True)
            continue
        # Conditional: a fast worker may already have claimed it.
        Execution.objects.filter(id=pk, status=ExecutionStatus.PENDING).update(
            status=ExecutionStatus.QUEUED, queued_at=timezone.now()
        )

    lease_age = timedelta(seconds=int(app_setting("EXECUTIONS_LEASE_SECONDS")))
    orphans = [
        (pk, workspace_id, priority)
        for pk, workspace_id, priority in Execution.objects.filter(
            status=ExecutionStatus.RUNNING, started_at__lt=now - lease_age
        ).values_list("id", "workspace_id", "priority")
        if not runtime.Lease.is_held(pk)
    ]
    for pk, workspace_id, priority in orphans:
        execution_send(execution_id=pk, workspace_id=workspace_id, priority=priority, resuming=True)
    return RequeueResult(
        dispatched_waiting=dispatched,
        enqueued_pending=len(pending),
        resumed_orphans=len(orphans),
        resent_lost=_resend_lost(now - requeue_after),
    )


def _resend_lost(queued_before) -> int:
    lost = list(
        Execution.objects.filter(
            status=ExecutionStatus.QUEUED, waiting_since__isnull=True, queued_at__lt=queued_before
        ).values_list("id", "workspace_id", "priority")[:LOST_BATCH]
    )
    if not lost:
        return 0
    depths = broker_queue_depths(current_app)
    if any(depth is None or depth > 0 for depth in depths.values()):
        return 0  # the broker still holds messages: these may be among them
    Execution.objects.filter(id__in=[pk for pk, _, _ in lost]).update(queued_at=timezone.now())
    for pk, workspace_id, priority in lost:
        execution_send(execution_id=pk, workspace_id=workspace_id, priority=priority)
    return len(lost)
