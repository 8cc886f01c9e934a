"""Trigger reads."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery

from executions.models import WorkflowTrigger, WorkflowVersion


def trigger_list() -> QuerySet[WorkflowTrigger]:
    """All triggers with their workflow (scope by workspace on top)."""
    return WorkflowTrigger.objects.select_related("workflow")


def trigger_for_call(public_id: str) -> WorkflowTrigger | None:
    """The trigger a webhook URL names, with its workflow ready to run, in one query."""
    current = WorkflowVersion.objects.filter(
        workflow_id=OuterRef("workflow_id"), version=OuterRef("workflow__version")
    ).values("id")[:1]
    trigger = (
        WorkflowTrigger.objects.select_related("workflow")
        .annotate(current_version_id=Subquery(current))
        .filter(public_id=public_id)
        .first()
    )
    if trigger is not None:
        # execution_start reads the version id from the workflow instead of querying it.
        trigger.workflow.current_version_id = trigger.current_version_id
    return trigger
