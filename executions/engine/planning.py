"""Decide what happens to a node once its parents are done: run it, skip it, or wait."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from executions.choices import NodeRunStatus
from executions.engine.graph import Edge, Graph

DONE = (NodeRunStatus.SUCCEEDED, NodeRunStatus.SKIPPED)


class Decision(StrEnum):
    RUN = "run"
    SKIP = "skip"
    WAIT = "wait"


def edge_taken(edge: Edge, parent_status: str, parent_output: Any) -> bool:
    """Tell whether an edge carries control: its parent succeeded and its branch matches."""
    if parent_status != NodeRunStatus.SUCCEEDED:
        return False
    if edge.when is None:
        return True
    return edge.when == ("true" if parent_output is True else "false")


def decide(
    graph: Graph, node_id: str, statuses: Mapping[str, str], outputs: Mapping[str, Any]
) -> Decision:
    """Run a node when all its parents are done and one edge into it was taken.

    Skipped parents count as done; a node none of whose incoming edges was taken (it is
    reachable only through untaken branches) is skipped.
    """
    incoming = graph.incoming[node_id]
    if not incoming:
        return Decision.RUN
    if any(statuses.get(edge.source) not in DONE for edge in incoming):
        return Decision.WAIT
    if any(edge_taken(edge, statuses[edge.source], outputs.get(edge.source)) for edge in incoming):
        return Decision.RUN
    return Decision.SKIP


def terminal_outputs(graph: Graph, statuses: Mapping[str, str], outputs: Mapping[str, Any]):
    """Return the execution's output: each terminal node that succeeded, to its output."""
    return {
        node_id: outputs.get(node_id)
        for node_id in graph.terminal_nodes
        if statuses.get(node_id) == NodeRunStatus.SUCCEEDED
    }
