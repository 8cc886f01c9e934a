"""Workflow reads."""

from django.db.models import QuerySet

from executions.models import Workflow


def workflow_list() -> QuerySet[Workflow]:
    """All workflows with what their list and detail show (scope by workspace on top)."""
    return Workflow.objects.select_related("created_by")
