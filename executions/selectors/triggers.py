"""Trigger reads."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from executions.choices import TriggerKind
from executions.models import WorkflowTrigger
from executions.schedule_rules import schedule_next_due
from executions.selectors.workflows import current_version_id


def trigger_list() -> QuerySet[WorkflowTrigger]:
    """All triggers with their workflow (scope by workspace on top)."""
    return WorkflowTrigger.objects.select_related("workflow")


def trigger_for_call(public_id: str) -> WorkflowTrigger | None:
    """The trigger a webhook URL names, with its workflow ready to run, in one query."""
    trigger = (
        WorkflowTrigger.objects.select_related("workflow")
        .annotate(current_version_id=current_version_id("workflow_id", "workflow__version"))
        .filter(public_id=public_id)
        .first()
    )
    if trigger is not None:
        # execution_start reads the version id from the workflow instead of querying it.
        trigger.workflow.current_version_id = trigger.current_version_id
    return trigger


def trigger_next_run_at(trigger: WorkflowTrigger, now: datetime | None = None):
    """When a schedule trigger fires next (None for webhooks and paused schedules)."""
    if trigger.kind != TriggerKind.SCHEDULE or not trigger.is_enabled:
        return None
    now = now or timezone.now()
    after = trigger.last_fired_at or now
    return max(now, schedule_next_due(trigger, after, now))
