"""Writes on executions: start, cancel, retry, delete, bulk actions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from redis.exceptions import RedisError

from executions.choices import (
    BulkAction,
    ExecutionStatus,
    NodeRunStatus,
    RetryMode,
    Trigger,
)
from executions.conf import app_setting
from executions.constants import IDEMPOTENCY_KEY_PATTERN, MAX_BULK_IDS
from executions.engine import runtime
from executions.engine.definitions import graph_for
from executions.models import Execution, NodeRun, Workflow
from executions.services.lifecycle import (
    NOT_STARTED,
    execution_enqueue,
    execution_finish_cancelled,
)
from executions.services.workflows import workflow_version_current
from executions.telemetry import EXECUTIONS_STARTED
from synapscale.api.exceptions import ApplicationError
from synapscale.quotas import quota_take
from synapscale.services.audit import record_audit_event


def execution_start(
    *,
    workflow: Workflow,
    user,
    input: Any = None,
    trigger: str = Trigger.MANUAL,
    idempotency_key: str | None = None,
    priority: int = 5,
    timeout_seconds: int | None = None,
    trigger_source=None,
) -> Execution:
    """Create an execution of the workflow's current definition and enqueue it on commit.

    `trigger_source` is the WorkflowTrigger that started it (a webhook call), if any.

    With an idempotency key, a second call with the same key in the workspace returns the
    execution the first one created instead of starting another.
    """
    if idempotency_key and not re.fullmatch(IDEMPOTENCY_KEY_PATTERN, idempotency_key):
        raise ValidationError(
            {"idempotency_key": ["1 to 255 printable ASCII characters (no control characters)."]}
        )
    if idempotency_key:
        existing = _existing_for_key(workflow, idempotency_key)
        if existing is not None:
            _send_again_if_waiting(existing)
            return existing
    if not workflow.is_active:
        raise ApplicationError("The workflow is inactive; activate it to run it.", type_="inactive")
    errors = _start_errors(input, trigger, priority, timeout_seconds)
    if errors:
        raise ValidationError(errors)
    quota_take(workspace_id=workflow.workspace_id, name="executions_per_day")
    execution = Execution(
        workspace_id=workflow.workspace_id,
        workflow=workflow,
        workflow_version=workflow.version,
        status=ExecutionStatus.QUEUED,
        queued_at=timezone.now(),
        definition_version_id=_current_version_id(workflow),
        priority=priority,
        input={} if input is None else input,
        trigger=trigger,
        trigger_source=trigger_source,
        idempotency_key=idempotency_key or None,
        created_by=_user_or_none(user),
        timeout_seconds=timeout_seconds or int(app_setting("EXECUTIONS_DEFAULT_TIMEOUT_SECONDS")),
    )
    try:
        # A savepoint only where a unique violation is expected (the key's race), so that a
        # caller's transaction survives it; without a key it would be two more round trips.
        with transaction.atomic(savepoint=bool(idempotency_key)):
            execution.save()
            if trigger not in MACHINE_TRIGGERS:
                _record_started(execution, user, action="execution.started")
            # The runner creates the node runs when it first writes them.
            _enqueue_on_commit(execution)
            _count_started(execution)
    except IntegrityError:
        # Another request with the same idempotency key won the race.
        existing = _existing_for_key(workflow, idempotency_key) if idempotency_key else None
        if existing is None:
            raise
        return existing
    return execution


# Runs a webhook call or a schedule starts are no one's change (the execution keeps its
# trigger); auditing them would add a row to the webhook's two-statement hot path.
MACHINE_TRIGGERS = frozenset({Trigger.WEBHOOK, Trigger.SCHEDULE})


def _record_started(execution: Execution, user, *, action: str) -> None:
    record_audit_event(
        action=action,
        target=execution,
        actor=_user_or_none(user),
        changes={
            "workflow_id": execution.workflow_id,
            "trigger": execution.trigger,
            "retry_of_id": execution.retry_of_id,
        },
    )


def _current_version_id(workflow: Workflow) -> int:
    """The id of the workflow's current version row (annotated by the run endpoint's read)."""
    annotated = getattr(workflow, "current_version_id", None)
    if annotated is not None:
        return annotated
    return workflow_version_current(workflow=workflow).id


def _enqueue_on_commit(execution: Execution) -> None:
    transaction.on_commit(
        lambda: execution_enqueue(
            execution_id=execution.id,
            workspace_id=execution.workspace_id,
            priority=execution.priority,
        )
    )


def _count_started(execution: Execution) -> None:
    transaction.on_commit(lambda: EXECUTIONS_STARTED.labels(execution.trigger).inc())


def _send_again_if_waiting(execution: Execution) -> None:
    """A client repeating a run has usually not heard back: the first request may have
    died between its commit and its send. Send the task again (a duplicate message is
    harmless, the claim is conditional) rather than leave it to the sweeper's minute."""
    not_started = execution.status in (ExecutionStatus.PENDING, ExecutionStatus.QUEUED)
    if not_started and execution.waiting_since is None:
        _enqueue_on_commit(execution)


def _existing_for_key(workflow: Workflow, key: str) -> Execution | None:
    existing = Execution.objects.filter(
        workspace_id=workflow.workspace_id, idempotency_key=key
    ).first()
    if existing is not None and existing.workflow_id != workflow.id:
        raise ApplicationError(
            "This Idempotency-Key was already used to run another workflow.",
            type_="idempotency_key_reused",
        )
    return existing


def _start_errors(input, trigger, priority, timeout_seconds) -> dict:
    errors: dict[str, list[str]] = {}
    if input is not None and not isinstance(input, dict):
        errors["input"] = ["Must be a JSON object."]
    if trigger not in Trigger.values:
        errors["trigger"] = [f"Must be one of: {', '.join(Trigger.values)}."]
    if isinstance(priority, bool) or not isinstance(priority, int) or not 1 <= priority <= 10:
        errors["priority"] = ["Must be an integer from 1 to 10."]
    maximum = int(app_setting("EXECUTIONS_MAX_TIMEOUT_SECONDS"))
    if timeout_seconds is not None and (
        isinstance(timeout_seconds, bool)
        or not isinstance(timeout_seconds, int)
        or not 1 <= timeout_seconds <= maximum
    ):
        errors["timeout_seconds"] = [f"Must be an integer from 1 to {maximum}."]
    return errors


def _copy_succeeded_runs(retry: Execution, reuse: dict[str, NodeRun]) -> None:
    """Give a retry from a failure the succeeded runs of its original (not run again)."""
    graph = graph_for(retry)
    NodeRun.objects.bulk_create(
        NodeRun(
            execution=retry,
            node_id=node_id,
            node_type=graph.nodes[node_id].type,
            position=position,
            status=NodeRunStatus.SUCCEEDED,
            attempts=previous.attempts,
            input=previous.input,
            output=previous.output,
            is_reused=True,
            started_at=previous.started_at,
            finished_at=previous.finished_at,
            duration_ms=previous.duration_ms,
        )
        for position, node_id in enumerate(graph.order)
        if (previous := reuse.get(node_id)) is not None
    )


def execution_cancel(*, execution: Execution, user) -> Execution:
    """Cancel: a queued execution ends at once; a running one stops before its next node."""
    with transaction.atomic():
        execution = Execution.objects.select_for_update().get(pk=execution.pk)
        if execution.is_finished:
            raise ApplicationError(
                f"The execution already finished ({execution.status}).", type_="already_finished"
            )
        record_audit_event(
            action="execution.cancelled",
            target=execution,
            actor=_user_or_none(user),
            changes={"status_at_cancel": execution.status},
        )
        if execution.status in (ExecutionStatus.PENDING, ExecutionStatus.QUEUED):
            return execution_finish_cancelled(execution=execution, message=NOT_STARTED)
        if not _runner_alive(execution.id):
            # Its worker died: nothing would see a stop request until the lease expired and
            # the requeue task resumed it (minutes). End it now, under the row lock.
            return execution_finish_cancelled(
                execution=execution, message="Cancelled on request; its runner had stopped."
            )
        if execution.cancel_requested_at is None:
            execution.cancel_requested_at = timezone.now()
            execution.save(update_fields=["cancel_requested_at"])
        execution_id = execution.id
        # robust: the request is recorded in the database, which the runner checks before
        # each node; the Redis flag only makes a wait notice it sooner.
        transaction.on_commit(lambda: runtime.cancel_flag_set(execution_id), robust=True)
    return execution


def _runner_alive(execution_id: int) -> bool:
    """Tell whether a runner holds the execution's lease (assume so when Redis is down)."""
    try:
        return runtime.Lease.is_held(execution_id)
    except RedisError:
        return True


def execution_retry(*, execution: Execution, user, mode: str = RetryMode.FROM_START) -> Execution:
    """Start a new execution of the same definition and input, linked by `retry_of`.

    `from_failure` copies the runs of nodes that succeeded, so only the rest runs again.
    """
    if mode not in RetryMode.values:
        raise ValidationError({"mode": [f"Must be one of: {', '.join(RetryMode.values)}."]})
    if not execution.is_finished:
        raise ApplicationError(
            "Only a finished execution can be retried; cancel it first.", type_="not_finished"
        )
    if mode == RetryMode.FROM_FAILURE and execution.status == ExecutionStatus.SUCCEEDED:
        raise ApplicationError(
            "The execution succeeded: nothing to retry from a failure; use from_start.",
            type_="nothing_failed",
        )
    reuse = {}
    if mode == RetryMode.FROM_FAILURE:
        reuse = {
            run.node_id: run for run in execution.node_runs.filter(status=NodeRunStatus.SUCCEEDED)
        }
    retry = Execution(
        workspace_id=execution.workspace_id,
        workflow_id=execution.workflow_id,
        workflow_version=execution.workflow_version,
        status=ExecutionStatus.QUEUED,
        queued_at=timezone.now(),
        definition_version_id=execution.definition_version_id,
        priority=execution.priority,
        input=execution.input,
        trigger=Trigger.RETRY,
        retry_of=execution,
        retry_mode=mode,
        created_by=_user_or_none(user),
        timeout_seconds=execution.timeout_seconds,
    )
    with transaction.atomic():
        retry.save()
        _record_started(retry, user, action="execution.retried")
        if reuse:
            _copy_succeeded_runs(retry, reuse)
        _enqueue_on_commit(retry)
        _count_started(retry)
    return retry


@transaction.atomic
def execution_delete(*, execution: Execution, user=None) -> None:
    """Delete a finished execution with its node runs and logs."""
    if not execution.is_finished:
        raise ApplicationError(
            "Only a finished execution can be deleted; cancel it first.", type_="not_finished"
        )
    record_audit_event(
        action="execution.deleted",
        target=execution,
        actor=_user_or_none(user),
        changes={"workflow_id": execution.workflow_id, "status": execution.status},
    )
    execution.delete()


@dataclass(frozen=True)
class BulkItemResult:
    id: int
    ok: bool
    status: int
    detail: str
    execution_id: int | None = None


def executions_bulk(
    *, workspace, user, action: str, ids: list[int], mode: str = RetryMode.FROM_START
) -> list[BulkItemResult]:
    """Apply an action to each id (at most 100), answering per id; ids of other workspaces
    are reported as not found."""
    if action not in BulkAction.values:
        raise ValidationError({"action": [f"Must be one of: {', '.join(BulkAction.values)}."]})
    if not ids or len(ids) > MAX_BULK_IDS:
        raise ValidationError({"ids": [f"Give between 1 and {MAX_BULK_IDS} ids."]})
    found = Execution.objects.filter(workspace=workspace, id__in=ids).in_bulk()
    results = []
    for pk in dict.fromkeys(ids):
        execution = found.get(pk)
        if execution is None:
            results.append(BulkItemResult(id=pk, ok=False, status=404, detail="Not found."))
            continue
        try:
            if action == BulkAction.CANCEL:
                execution = execution_cancel(execution=execution, user=user)
                results.append(BulkItemResult(pk, True, 200, execution.status, execution.id))
            elif action == BulkAction.RETRY:
                retry = execution_retry(execution=execution, user=user, mode=mode)
                results.append(BulkItemResult(pk, True, 202, "Retry queued.", retry.id))
            else:
                execution_delete(execution=execution, user=user)
                results.append(BulkItemResult(pk, True, 204, "Deleted."))
        except ApplicationError as exc:
            results.append(BulkItemResult(pk, False, exc.status_code, str(exc.detail)))
    return results


def _user_or_none(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None
