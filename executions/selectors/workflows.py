"""Workflow reads."""

from collections.abc import Iterator

from django.db.models import OuterRef, QuerySet, Subquery

from executions.engine.nodes.http_request import SECRET_HEADERS
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


def workflows_with_literal_secret_headers() -> Iterator[tuple[Workflow, list[str]]]:
    """Yield each workflow whose current definition sends a literal `Authorization` (or
    `Proxy-Authorization`) header, with the ids of those nodes; never the values.

    Such definitions predate credentials (new ones are refused): their owners move the
    header into a credential. jsonb containment narrows the scan to workflows with an
    `http_request` node; header names are compared without case in Python.
    """
    candidates = Workflow.objects.filter(
        definition__nodes__contains=[{"type": "http_request"}]
    ).select_related("workspace")
    for workflow in candidates.order_by("id").iterator(chunk_size=500):
        nodes = [
            node["id"]
            for node in workflow.definition.get("nodes", [])
            if node.get("type") == "http_request"
            and any(
                name.lower() in SECRET_HEADERS
                for name in (node.get("params") or {}).get("headers") or {}
            )
        ]
        if nodes:
            yield workflow, nodes
