"""The graph model of a (validated) workflow definition."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 1
    backoff_seconds: float = 1.0


@dataclass(frozen=True)
class NodeSpec:
    id: str
    type: str
    params: dict[str, Any] = field(default_factory=dict)
    retry: RetryPolicy = RetryPolicy()
    timeout_seconds: float | None = None


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    when: str | None = None


@dataclass(frozen=True)
class Graph:
    nodes: dict[str, NodeSpec]
    edges: tuple[Edge, ...]
    incoming: dict[str, tuple[Edge, ...]]
    outgoing: dict[str, tuple[Edge, ...]]
    order: tuple[str, ...]

    @property
    def entry_nodes(self) -> tuple[str, ...]:
        return tuple(node_id for node_id in self.order if not self.incoming[node_id])

    @property
    def terminal_nodes(self) -> tuple[str, ...]:
        return tuple(node_id for node_id in self.order if not self.outgoing[node_id])


def topological_order(node_ids: list[str], pairs: list[tuple[str, str]]) -> list[str] | None:
    """Order the nodes so each comes after its parents (stable), or return None on a cycle."""
    indegree = dict.fromkeys(node_ids, 0)
    children: dict[str, list[str]] = {node_id: [] for node_id in node_ids}
    for source, target in pairs:
        children[source].append(target)
        indegree[target] += 1
    position = {node_id: index for index, node_id in enumerate(node_ids)}
    ready = deque(sorted((n for n in node_ids if indegree[n] == 0), key=position.__getitem__))
    order: list[str] = []
    while ready:
        node_id = ready.popleft()
        order.append(node_id)
        for child in children[node_id]:
            indegree[child] -= 1
            if indegree[child] == 0:
                ready.append(child)
    return order if len(order) == len(node_ids) else None


def find_cycle(node_ids: list[str], pairs: list[tuple[str, str]]) -> list[str] | None:
    """Return the nodes of one cycle in order (first node repeated at the end), or None."""
    children: dict[str, list[str]] = {node_id: [] for node_id in node_ids}
    for source, target in pairs:
        children[source].append(target)
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(node_ids, white)
    for root in node_ids:
        if colour[root] != white:
            continue
        path: list[str] = [root]
        colour[root] = grey
        stack = [iter(children[root])]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
                colour[path.pop()] = black
            elif colour[child] == grey:
                return [*path[path.index(child) :], child]
            elif colour[child] == white:
                colour[child] = grey
                path.append(child)
                stack.append(iter(children[child]))
    return None


def build_graph(definition: dict[str, Any]) -> Graph:
    """Build the graph of a definition that validate_definition accepted."""
    nodes: dict[str, NodeSpec] = {}
    for raw in definition["nodes"]:
        retry = raw.get("retry") or {}
        nodes[raw["id"]] = NodeSpec(
            id=raw["id"],
            type=raw["type"],
            params=raw.get("params") or {},
            retry=RetryPolicy(
                max_attempts=int(retry.get("max_attempts", 1)),
                backoff_seconds=float(retry.get("backoff_seconds", 1.0)),
            ),
            timeout_seconds=raw.get("timeout_seconds"),
        )
    edges = tuple(
        Edge(source=raw["from"], target=raw["to"], when=raw.get("when"))
        for raw in definition.get("edges") or []
    )
    incoming: dict[str, list[Edge]] = {node_id: [] for node_id in nodes}
    outgoing: dict[str, list[Edge]] = {node_id: [] for node_id in nodes}
    for edge in edges:
        outgoing[edge.source].append(edge)
        incoming[edge.target].append(edge)
    order = topological_order(list(nodes), [(edge.source, edge.target) for edge in edges])
    if order is None:
        raise ValueError("The definition has a cycle; validate it first.")
    return Graph(
        nodes=nodes,
        edges=edges,
        incoming={key: tuple(value) for key, value in incoming.items()},
        outgoing={key: tuple(value) for key, value in outgoing.items()},
        order=tuple(order),
    )
