"""Workflow reads."""

from django.db.models import OuterRef, QuerySet, Subquery

from executions.models import Workflow, WorkflowVersion


def workflow_list() -> QuerySet[Workflow]:
    """All workflows with what their list and detail show (scope by workspace on top)."""
    return Workflow.objects.select_related("created_by")


def workflow_for_run() -> QuerySet[Workflow]:
    """Workflows with the id of their current version row, read in the same query."""
    current = WorkflowVersion.objects.filter(
        workflow_id=OuterRef("pk"), version=OuterRef("version")
    ).values("id")[:1]
    return Workflow.objects.annotate(current_version_id=Subquery(current))
