"""The definitions executions run, read once per process: a stored version never changes."""

from __future__ import annotations

from functools import lru_cache

from executions.engine.graph import Graph, build_graph


@lru_cache(maxsize=512)
def _graph(version_id: int, workflow_id: int, version: int) -> Graph:
    from executions.models import WorkflowVersion

    definition = WorkflowVersion.objects.values_list("definition", flat=True).get(
        id=version_id, workflow_id=workflow_id, version=version
    )
    return build_graph(definition)


def graph_for(execution) -> Graph:
    """Return the graph of the workflow version the execution runs (cached per process).

    Keyed by the version row and what it must match, so a cached graph can never answer
    for another workflow's row.
    """
    return _graph(
        execution.definition_version_id, execution.workflow_id, execution.workflow_version
    )
