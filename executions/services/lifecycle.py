"""Execution state transitions shared by the runner and the API: enqueue, claim, finish.

What one execution costs on the way (a 3-node workflow of pure nodes): the claim is one
UPDATE ... RETURNING and one Redis script (lease and concurrency slot together); the finish
is one transaction (the execution, every node run, every log line) and one Redis script
(lease and slot back, progress gone, stats bumped, product event buffered, summary pushed
for a waiting caller, the next parked execution popped).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

from executions.choices import ErrorType, ExecutionStatus, LogLevel, NodeRunStatus
from executions.conf import app_setting
from executions.constants import DEFAULT_QUEUE, HIGH_QUEUE
from executions.engine import runtime
from executions.engine.definitions import graph_for
from executions.models import Execution, ExecutionLog, NodeRun
from executions.selectors.stats import STATS_NAMESPACE
from executions.telemetry import EXECUTIONS_FINISHED
from synapscale import product_events
from synapscale.cache.keys import version_key
from synapscale.quotas import quota_limit

logger = logging.getLogger(__name__)

_NOT_DONE = (NodeRunStatus.PENDING, NodeRunStatus.RUNNING, NodeRunStatus.RETRYING)
_CLAIM_SQL = f"""
UPDATE {Execution._meta.db_table}
SET status = %s, started_at = %s, queued_at = COALESCE(queued_at, %s), waiting_since = NULL
WHERE id = %s AND status IN (%s, %s) AND cancel_requested_at IS NULL
RETURNING *
"""


def queue_for_priority(priority: int) -> str:
    """Route priority 8-10 (by default) to the high-priority queue."""
    high = priority >= int(app_setting("EXECUTIONS_HIGH_PRIORITY_MIN"))
    return HIGH_QUEUE if high else DEFAULT_QUEUE


def execution_send(
    *, execution_id: int, workspace_id: int, priority: int, resuming: bool = False
) -> None:
    """Send the execution's task (its workspace and priority ride along for the claim).

    A run that already started (``resuming``: its runner died or handed it back) goes to the
    high-priority queue: it holds a concurrency slot and its timeout is running, so it must
    not wait behind a backlog of runs that have not started.
    """
    from executions.tasks import run_execution

    queue = HIGH_QUEUE if resuming else queue_for_priority(priority)
    run_execution.apply_async(args=[execution_id, workspace_id, priority], queue=queue)


def execution_enqueue(
    *, execution_id: int, workspace_id: int, priority: int, resuming: bool = False
) -> None:
    """Send a queued execution's task. Call it on commit, never inside.

    Executions are written `queued` with the request, so the usual path costs no second
    statement. With the broker unreachable the execution goes back to `pending` (the
    request that created it still succeeds) and the periodic `requeue_stalled` task sends
    it later; one whose message was lost by a crash is re-sent by the same task.
    """
    try:
        execution_send(
            execution_id=execution_id,
            workspace_id=workspace_id,
            priority=priority,
            resuming=resuming,
        )
    except (BrokerError, RedisError):
        logger.warning("executions.enqueue_failed execution=%s", execution_id, exc_info=True)
        # Conditional: a worker may have claimed it meanwhile from an earlier send.
        Execution.objects.filter(
            id=execution_id, status=ExecutionStatus.QUEUED, waiting_since__isnull=True
        ).update(status=ExecutionStatus.PENDING)


def execution_claim(
    *, execution_id: int, workspace_id: int | None = None, priority: int = 5
) -> tuple[Execution, runtime.Lease, bool] | None:
    """Move a queued execution to running if its workspace has a free slot.

    Returns the execution, the lease the runner holds and whether this resumes a run that
    another runner started; or None when there is nothing to run: it is finished, deleted,
    parked waiting for a slot, or another runner has it.
    """
    if workspace_id is None:  # a task sent before workspace ids rode along
        found = Execution.objects.filter(id=execution_id).values_list("workspace_id", "priority")
        if not found:
            return None
        workspace_id, priority = found[0]
    lease = runtime.Lease(execution_id, workspace_id)
    limit = quota_limit(workspace_id, "executions_running")
    claimed = lease.claim(
        limit=limit, priority=priority, queued_at_ms=int(time.time() * 1000), force=False
    )
    if claimed is runtime.Claim.HELD:
        return None
    try:
        if claimed is runtime.Claim.FULL:
            return _park(execution_id, lease, limit, priority)
        now = timezone.now()
        started = list(
            Execution.objects.raw(
                _CLAIM_SQL,
                [
                    ExecutionStatus.RUNNING,
                    now,
                    now,
                    execution_id,
                    ExecutionStatus.PENDING,
                    ExecutionStatus.QUEUED,
                ],
            )
        )
        if started:
            return started[0], lease, False
        return _claim_not_queued(execution_id, lease)
    except BaseException:
        lease.release()  # a no-op unless this claim took it
        raise


def _claim_not_queued(execution_id: int, lease: runtime.Lease):
    """The slow path: the execution was not waiting to start. Resume, cancel or let go."""
    execution = Execution.objects.filter(id=execution_id).first()
    if execution is not None and execution.status == ExecutionStatus.RUNNING:
        # A redelivered task whose runner is gone (we hold the lease it had).
        return execution, lease, True
    if execution is not None and not execution.is_finished:  # a cancel came before the claim
        execution_finish_cancelled(execution=execution, message=NOT_STARTED, lease=lease)
        return None
    lease.release()
    return None


def _park(execution_id: int, lease: runtime.Lease, limit: int, priority: int):
    """Record that the execution waits for a slot; a finish in its workspace will send it."""
    now = timezone.now()
    parked = Execution.objects.filter(
        id=execution_id,
        status__in=[ExecutionStatus.PENDING, ExecutionStatus.QUEUED],
        waiting_since__isnull=True,
    ).update(status=ExecutionStatus.QUEUED, queued_at=Coalesce("queued_at", now), waiting_since=now)
    if parked:
        _log(execution_id, LogLevel.INFO, "Waiting for a free concurrency slot.")
        return None
    status = Execution.objects.filter(id=execution_id).values_list("status", flat=True).first()
    if status == ExecutionStatus.RUNNING:
        # A started run resumes even in a full workspace: it already counts as running.
        claimed = lease.claim(limit=limit, priority=priority, queued_at_ms=0, force=True)
        if claimed is runtime.Claim.ACQUIRED:
            return Execution.objects.get(id=execution_id), lease, True
    return None


NOT_STARTED = "Cancelled before it started."


def execution_finish_cancelled(
    *, execution: Execution, message: str, lease: runtime.Lease | None = None
) -> Execution:
    """End an execution cancelled outside a node (`error.node` is null)."""
    return execution_finish(
        execution=execution,
        status=ExecutionStatus.CANCELLED,
        error={"node": None, "type": ErrorType.CANCELLED, "message": message},
        lease=lease,
    )


def execution_finish(
    *,
    execution: Execution,
    status: str,
    output: Any = None,
    error: dict[str, Any] | None = None,
    node_runs: Iterable[NodeRun] | None = None,
    logs: Iterable[ExecutionLog] = (),
    lease: runtime.Lease | None = None,
) -> Execution:
    """End an active execution with status, in one transaction; runs not done end skipped.

    `node_runs` are the runner's rows (saved or not), written as they are; without them the
    stored rows are completed from the definition. `logs` are written with the final line.
    """
    now = timezone.now()
    started_at = execution.started_at
    duration_ms = (
        int((now - started_at) / timedelta(milliseconds=1)) if started_at is not None else None
    )
    final_log = ExecutionLog(
        execution_id=execution.id,
        level=LogLevel.ERROR if error and status != ExecutionStatus.CANCELLED else LogLevel.INFO,
        message=f"Execution {status}.",
        data={"duration_ms": duration_ms, "error": error},
        created_at=now,
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
            _write_node_runs(execution, node_runs, now)
            ExecutionLog.objects.bulk_create([*logs, final_log])
            execution.status, execution.output, execution.error = status, output, error
            execution.finished_at, execution.duration_ms = now, duration_ms
            execution.waiting_since = None
            lease = lease or runtime.Lease(execution.id, execution.workspace_id)
            # robust: a failing side effect (a Redis blip) must not fail the caller, whose
            # transaction is already committed.
            transaction.on_commit(lambda: _after_finish(execution, lease), robust=True)
    if not updated:
        # Someone else ended it first (a cancel that found no live lease): give back what
        # this caller holds, or its slot would stay taken until the lease expired.
        if lease is not None:
            lease.release()
        execution.refresh_from_db()
    else:
        EXECUTIONS_FINISHED.labels(execution.trigger, status).inc()
    return execution


def _write_node_runs(execution: Execution, node_runs: Iterable[NodeRun] | None, now) -> None:
    if node_runs is None:
        NodeRun.objects.filter(execution_id=execution.id, status__in=_NOT_DONE).update(
            status=NodeRunStatus.SKIPPED, finished_at=now
        )
        stored = set(execution.node_runs.values_list("node_id", flat=True))
        graph = graph_for(execution)
        node_runs = [
            NodeRun(
                execution_id=execution.id,
                node_id=node_id,
                node_type=graph.nodes[node_id].type,
                position=position,
            )
            for position, node_id in enumerate(graph.order)
            if node_id not in stored
        ]
    node_runs_write(node_runs, skip_unfinished_at=now)


def node_runs_write(node_runs: Iterable[NodeRun], *, skip_unfinished_at=None) -> None:
    """Insert the new runs and update the changed ones (marked `dirty`): two statements.

    With `skip_unfinished_at`, runs that never finished end skipped at that time.
    """
    new, changed = [], []
    for run in node_runs:
        if skip_unfinished_at is not None and run.status in _NOT_DONE:
            run.status, run.finished_at, run.dirty = NodeRunStatus.SKIPPED, skip_unfinished_at, True
        if run.pk is None:
            new.append(run)
        elif getattr(run, "dirty", False):
            changed.append(run)
    if new:
        NodeRun.objects.bulk_create(new)
    if changed:
        NodeRun.objects.bulk_update(changed, NODE_RUN_STATE_FIELDS)
    for run in (*new, *changed):
        run.dirty = False


NODE_RUN_STATE_FIELDS = [
    "status",
    "attempts",
    "input",
    "output",
    "error",
    "started_at",
    "finished_at",
    "duration_ms",
]


def _summary(execution: Execution) -> str:
    """The finish summary a synchronous caller answers with (trimmed when too large)."""
    summary = {
        "id": execution.id,
        "workflow_id": execution.workflow_id,
        "workspace_id": execution.workspace_id,
        "status": execution.status,
        "output": execution.output,
        "error": execution.error,
        "finished_at": execution.finished_at.isoformat() if execution.finished_at else None,
        "duration_ms": execution.duration_ms,
    }
    encoded = json.dumps(summary, default=str)
    if len(encoded) > int(app_setting("EXECUTIONS_SUMMARY_MAX_BYTES")):
        encoded = json.dumps({"id": execution.id, "status": execution.status, "partial": True})
    return encoded


def _after_finish(execution: Execution, lease: runtime.Lease) -> None:
    """Side effects of a finished execution once it is committed: one Redis script.

    If Redis fails here, what it would have done still happens: the lease and slot expire,
    pollers ignore a stale progress record (see executions.selectors.executions), the
    periodic requeue sends parked executions; only the product event and the stats bump
    are lost.
    """
    event = product_events.buffered_event(
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
        timestamp=execution.finished_at,
    )
    try:
        waiting = lease.finish(
            stats_key=version_key(STATS_NAMESPACE, execution.workspace_id),
            event_buffer_key=product_events.BUFFER_KEY,
            event_buffer_cap=product_events.buffer_capacity(),
            event=event,
            summary=_summary(execution),
        )
    except RedisError:
        logger.exception("executions.after_finish_failed execution=%s", execution.id)
        return
    if waiting is not None:
        parked_id, priority = waiting
        try:
            execution_send(
                execution_id=parked_id, workspace_id=execution.workspace_id, priority=priority
            )
        except (BrokerError, RedisError):
            logger.exception("executions.wake_failed execution=%s", parked_id)


def executions_dispatch_waiting(*, workspace_id: int, limit: int | None = None) -> int:
    """Send the tasks of executions parked for a slot (at most `limit`); return how many.

    The claim decides: a parked execution whose task finds the workspace still full parks
    again. Used by the periodic requeue, for wake-ups that Redis lost.
    """
    limit = limit or quota_limit(workspace_id, "executions_running")
    waiting = list(
        Execution.objects.filter(
            workspace_id=workspace_id, status=ExecutionStatus.QUEUED, waiting_since__isnull=False
        )
        .order_by("-priority", "queued_at", "id")
        .values_list("id", "priority")[:limit]
    )
    Execution.objects.filter(id__in=[pk for pk, _ in waiting]).update(waiting_since=None)
    for pk, priority in waiting:
        execution_send(execution_id=pk, workspace_id=workspace_id, priority=priority)
    return len(waiting)


def _log(execution_id: int, level: str, message: str, data: dict | None = None) -> None:
    ExecutionLog.objects.create(
        execution_id=execution_id, level=level, message=message, data=data or {}
    )
