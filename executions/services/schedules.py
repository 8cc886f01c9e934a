"""Schedule triggers: their django-celery-beat entries, and what a tick of one does.

Beat sends `executions.tasks.fire_schedule_trigger` with the trigger's id at each tick; the
task calls `schedule_fire`, which applies the trigger's overlap and catch-up policies and
starts the run.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from executions.choices import (
    ExecutionStatus,
    ScheduleCatchUp,
    ScheduleOverlap,
    Trigger,
    TriggerKind,
)
from executions.conf import app_setting
from executions.models import Execution, WorkflowTrigger
from executions.schedule_rules import schedule_next_due
from executions.services.executions import execution_start
from synapscale.cron import beat_schedule_row, crontab_row
from synapscale.quotas import QuotaExceeded

logger = logging.getLogger(__name__)

FIRE_TASK = "executions.tasks.fire_schedule_trigger"
PERIODIC_PREFIX = "executions.schedule-trigger."


class FireStatus:
    STARTED = "started"
    SKIPPED_OVERLAP = "skipped_overlap"
    SKIPPED_MISSED = "skipped_missed"
    BUSY = "busy"  # `queue` overlap: try again once the previous run finished
    INACTIVE = "inactive"  # paused, deleted, or its workflow deactivated
    SKIPPED_QUOTA = "skipped_quota"  # the workspace's executions_per_day is used up


@dataclass(frozen=True)
class FireOutcome:
    status: str
    execution_id: int | None = None


def schedule_sync(trigger: WorkflowTrigger) -> None:
    """Create or update the trigger's beat entry to match its rule and enabled state."""
    if trigger.kind != TriggerKind.SCHEDULE:
        return
    task = trigger.periodic_task or PeriodicTask(name=f"{PERIODIC_PREFIX}{trigger.pk}")
    if trigger.cron:
        task.crontab = crontab_row(trigger.cron, timezone=trigger.timezone)
        task.interval = None
    else:
        task.interval = beat_schedule_row(
            IntervalSchedule, every=trigger.interval_seconds, period=IntervalSchedule.SECONDS
        )
        task.crontab = None
    task.task = FIRE_TASK
    task.args = json.dumps([trigger.pk])
    task.enabled = trigger.is_enabled
    task.description = f"Schedule trigger {trigger.pk} of workflow {trigger.workflow_id}"
    task.save()
    if trigger.periodic_task_id != task.pk:
        trigger.periodic_task = task
        trigger.save(update_fields=["periodic_task"])


def schedule_remove(trigger: WorkflowTrigger) -> None:
    """Delete the trigger's beat entry (before the trigger itself)."""
    if trigger.periodic_task_id:
        PeriodicTask.objects.filter(pk=trigger.periodic_task_id).delete()


def schedule_fire(*, trigger_id: int, fired_at: datetime, first_attempt: bool, key: str):
    """Handle one tick of a schedule trigger; `key` makes a redelivered tick start no twice."""
    with transaction.atomic():
        trigger = (
            WorkflowTrigger.objects.select_for_update(of=("self",))
            .select_related("workflow")
            .filter(pk=trigger_id, kind=TriggerKind.SCHEDULE)
            .first()
        )
        if trigger is None:
            # Deleted with its workflow or workspace: its beat entry outlived it, end it.
            PeriodicTask.objects.filter(name=f"{PERIODIC_PREFIX}{trigger_id}").delete()
            return FireOutcome(FireStatus.INACTIVE)
        if not trigger.is_enabled or not trigger.workflow.is_active:
            return FireOutcome(FireStatus.INACTIVE)
        if first_attempt and _missed(trigger, fired_at):
            logger.info("schedule_tick_missed trigger=%s fired_at=%s", trigger.pk, fired_at)
            _record_tick(trigger, fired_at)
            if trigger.catch_up == ScheduleCatchUp.SKIP:
                return FireOutcome(FireStatus.SKIPPED_MISSED)
        if trigger.overlap != ScheduleOverlap.ALLOW and _previous_active(trigger):
            # Recorded either way: the next tick's lateness is measured from this one.
            _record_tick(trigger, fired_at)
            if trigger.overlap == ScheduleOverlap.QUEUE:
                return FireOutcome(FireStatus.BUSY)
            return FireOutcome(FireStatus.SKIPPED_OVERLAP)
        try:
            execution = execution_start(
                workflow=trigger.workflow,
                user=None,
                input={
                    "trigger_id": trigger.pk,
                    "fired_at": fired_at.isoformat(),
                    "payload": trigger.payload,
                },
                trigger=Trigger.SCHEDULE,
                trigger_source=trigger,
                idempotency_key=key,
            )
        except QuotaExceeded:
            # Not retried: the quota resets at midnight, long after this tick mattered.
            logger.warning("schedule_tick_over_quota trigger=%s fired_at=%s", trigger.pk, fired_at)
            _record_tick(trigger, fired_at)
            return FireOutcome(FireStatus.SKIPPED_QUOTA)
        _record_tick(trigger, fired_at)
    return FireOutcome(FireStatus.STARTED, execution.id)


def _record_tick(trigger: WorkflowTrigger, fired_at: datetime) -> None:
    if trigger.last_fired_at is None or fired_at > trigger.last_fired_at:
        trigger.last_fired_at = fired_at
        trigger.save(update_fields=["last_fired_at"])


def _missed(trigger: WorkflowTrigger, fired_at: datetime) -> bool:
    """Tell whether this tick comes long after the rule was due: beat or workers were down.

    Beat fires a schedule it missed once when it comes back, at once; such a tick is later
    than `EXECUTIONS_SCHEDULE_MISSED_GRACE_SECONDS` after the due time that follows the
    previous tick.
    """
    if trigger.last_fired_at is None:
        return False
    due = schedule_next_due(trigger, trigger.last_fired_at, fired_at)
    grace = float(app_setting("EXECUTIONS_SCHEDULE_MISSED_GRACE_SECONDS"))
    return (fired_at - due).total_seconds() > grace


def _previous_active(trigger: WorkflowTrigger) -> bool:
    return Execution.objects.filter(
        trigger_source=trigger, status__in=ExecutionStatus.active()
    ).exists()


def schedule_tick(*, trigger_id: int, fired_at: str | None, key: str | None, task_id: str) -> str:
    """Handle one message of a schedule trigger (beat's tick, or a tick waiting its turn).

    Beat's message has no `fired_at`: the tick is now, and its key is the first task's id,
    which survives redelivery, so one tick never starts two runs. A `queue`-overlap tick
    that finds the previous run busy looks again later in a new message (not a retry of
    this one, so the task's retry budget stays for transient errors), until it gave up
    waiting. Return the outcome's status.
    """
    from executions.tasks import fire_schedule_trigger

    first_attempt = fired_at is None
    fired = timezone.now() if first_attempt else datetime.fromisoformat(fired_at)
    key = key or f"schedule:{trigger_id}:{task_id}"
    outcome = schedule_fire(
        trigger_id=trigger_id, fired_at=fired, first_attempt=first_attempt, key=key
    )
    if outcome.status != FireStatus.BUSY:
        return outcome.status
    longest = float(app_setting("EXECUTIONS_SCHEDULE_QUEUE_MAX_SECONDS"))
    if (timezone.now() - fired).total_seconds() >= longest:
        return "gave_up"
    fire_schedule_trigger.apply_async(
        kwargs={"trigger_id": trigger_id, "fired_at": fired.isoformat(), "key": key},
        countdown=float(app_setting("EXECUTIONS_SCHEDULE_QUEUE_POLL_SECONDS")),
    )
    return outcome.status
