"""Workflow reads."""

from django.db.models import OuterRef, QuerySet, Subquery

from executions.models import Workflow, WorkflowVersion


def workflow_list() -> QuerySet[Workflow]:
    """All workflows with what their list and detail show (scope by workspace on top)."""
    return Workflow.objects.select_related("created_by")


def current_version_id(workflow: str = "pk", version: str = "version") -> Subquery:
    """The id of a workflow's current version row, as a subquery of the outer query.

    `workflow` and `version` name the outer query's workflow id and version columns.
    """
    current = WorkflowVersion.objects.filter(
        workflow_id=OuterRef(workflow), version=OuterRef(version)
    ).values("id")[:1]
    return Subquery(current)


def workflow_for_run() -> QuerySet[Workflow]:
    """Workflows with the id of their current version row, read in the same query."""
    return Workflow.objects.annotate(current_version_id=current_version_id())


def workflows_count(workspace_id: int) -> int:
    """How many workflows the workspace has (its `workflows` quota)."""
    return Workflow.objects.filter(workspace_id=workspace_id).count()
