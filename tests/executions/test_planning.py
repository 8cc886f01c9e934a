"""The graph model and the planner, exactly: orders, cycles, node specs, decisions, outputs.

Pure tests (no database): they pin down what the property tests in test_graph_properties.py
only bound, and kill the mutants `scripts/mutation_report.py --module planner` found alive.
"""

from __future__ import annotations

import pytest

from executions.choices import NodeRunStatus
from executions.engine.graph import (
    Edge,
    NodeSpec,
    RetryPolicy,
    build_graph,
    find_cycle,
    topological_order,
)
from executions.engine.planning import Decision, decide, edge_taken, terminal_outputs

SUCCEEDED, SKIPPED, FAILED = NodeRunStatus.SUCCEEDED, NodeRunStatus.SKIPPED, NodeRunStatus.FAILED


def definition(nodes, edges):
    return {
        "nodes": [{"id": n, "type": "set"} if isinstance(n, str) else n for n in nodes],
        "edges": [
            {"from": e[0], "to": e[1], **({"when": e[2]} if len(e) > 2 else {})} for e in edges
        ],
    }


def test_topological_order_keeps_the_definition_order_among_ready_nodes():
    # "z" and "a" are both entry nodes: the definition's order wins, not the alphabet.
    assert topological_order(["z", "a", "m"], []) == ["z", "a", "m"]
    assert topological_order(["z", "a", "m"], [("a", "m")]) == ["z", "a", "m"]
    assert topological_order(["m", "z", "a"], [("a", "m")]) == ["z", "a", "m"]


def test_topological_order_puts_each_node_after_all_its_parents():
    order = topological_order(
        ["d", "c", "b", "a"], [("a", "b"), ("b", "c"), ("a", "c"), ("c", "d")]
    )
    assert order == ["a", "b", "c", "d"]


def test_topological_order_of_a_cycle_is_none():
    assert topological_order(["a", "b", "c"], [("a", "b"), ("b", "a")]) is None
    assert topological_order(["a"], [("a", "a")]) is None


def test_find_cycle_returns_the_cycle_in_order():
    assert find_cycle(["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "b")]) == ["b", "c", "b"]
    assert find_cycle(["a"], [("a", "a")]) == ["a", "a"]
    assert find_cycle(["a", "b"], [("a", "b")]) is None


def test_find_cycle_is_not_fooled_by_a_finished_branch_reached_twice():
    # a -> b, a -> c, c -> b: b is finished (black) when c reaches it again; no cycle.
    pairs = [("a", "b"), ("a", "c"), ("c", "b")]
    assert find_cycle(["a", "b", "c"], pairs) is None
    # A diamond whose second root reaches finished nodes: still no cycle.
    assert find_cycle(["x", "a", "b"], [("a", "b"), ("x", "b")]) is None


def test_find_cycle_looks_past_a_finished_part_of_the_graph():
    # The first root's component is acyclic; the cycle is in a later root's component.
    pairs = [("a", "b"), ("c", "d"), ("d", "c")]
    assert find_cycle(["a", "b", "c", "d"], pairs) == ["c", "d", "c"]
    # A cycle reached only through a node visited from an earlier root.
    pairs = [("a", "b"), ("c", "b"), ("b", "e"), ("e", "b")]
    assert find_cycle(["a", "b", "c", "e"], pairs) == ["b", "e", "b"]


def test_build_graph_reads_every_field_of_a_node():
    graph = build_graph(
        definition(
            [
                {
                    "id": "fetch",
                    "type": "http_request",
                    "params": {"url": "http://127.0.0.1/"},
                    "retry": {"max_attempts": "3", "backoff_seconds": 2},
                    "timeout_seconds": 7.5,
                },
                {"id": "plain", "type": "set"},
            ],
            [("fetch", "plain", "true")],
        )
    )
    assert graph.nodes["fetch"] == NodeSpec(
        id="fetch",
        type="http_request",
        params={"url": "http://127.0.0.1/"},
        retry=RetryPolicy(max_attempts=3, backoff_seconds=2.0),
        timeout_seconds=7.5,
    )
    assert isinstance(graph.nodes["fetch"].retry.max_attempts, int)
    assert isinstance(graph.nodes["fetch"].retry.backoff_seconds, float)
    # Defaults: no params, one attempt, a second of backoff, no timeout of its own.
    assert graph.nodes["plain"] == NodeSpec(id="plain", type="set")
    assert graph.nodes["plain"].retry == RetryPolicy(max_attempts=1, backoff_seconds=1.0)
    assert graph.nodes["plain"].params == {} and graph.nodes["plain"].timeout_seconds is None
    edge = Edge(source="fetch", target="plain", when="true")
    assert graph.edges == (edge,)
    assert graph.incoming == {"fetch": (), "plain": (edge,)}
    assert graph.outgoing == {"fetch": (edge,), "plain": ()}


def test_build_graph_orders_entry_and_terminal_nodes():
    graph = build_graph(definition(["c", "b", "a"], [("a", "b"), ("b", "c")]))
    assert graph.order == ("a", "b", "c")
    assert graph.entry_nodes == ("a",)
    assert graph.terminal_nodes == ("c",)
    alone = build_graph({"nodes": [{"id": "only", "type": "set"}]})  # no "edges" key
    assert alone.edges == () and alone.entry_nodes == alone.terminal_nodes == ("only",)


def test_build_graph_refuses_a_cycle():
    with pytest.raises(ValueError, match=r"^The definition has a cycle; validate it first\.$"):
        build_graph(definition(["a", "b"], [("a", "b"), ("b", "a")]))


def test_edge_taken_needs_a_succeeded_parent_and_a_matching_branch():
    plain, yes, no = Edge("p", "c"), Edge("p", "c", "true"), Edge("p", "c", "false")
    assert edge_taken(plain, SUCCEEDED, None)
    assert not edge_taken(plain, SKIPPED, None)
    assert not edge_taken(plain, FAILED, None)
    assert edge_taken(yes, SUCCEEDED, True) and not edge_taken(yes, SUCCEEDED, False)
    assert edge_taken(no, SUCCEEDED, False) and not edge_taken(no, SUCCEEDED, True)
    # Only the boolean True takes the "true" branch: a truthy output is "false".
    assert not edge_taken(yes, SUCCEEDED, 1) and edge_taken(no, SUCCEEDED, "yes")


def test_decide_runs_waits_or_skips():
    graph = build_graph(definition(["a", "b", "c"], [("a", "c", "true"), ("b", "c")]))
    assert decide(graph, "a", {}, {}) == Decision.RUN  # no parents
    assert decide(graph, "c", {"a": SUCCEEDED}, {"a": True}) == Decision.WAIT  # b not done
    assert decide(graph, "c", {"a": SUCCEEDED, "b": NodeRunStatus.RUNNING}, {}) == Decision.WAIT
    # One taken edge is enough, whichever it is.
    assert decide(graph, "c", {"a": SUCCEEDED, "b": SKIPPED}, {"a": True}) == Decision.RUN
    assert decide(graph, "c", {"a": SUCCEEDED, "b": SUCCEEDED}, {"a": False}) == Decision.RUN
    # Both parents done and no edge taken: skipped.
    assert decide(graph, "c", {"a": SUCCEEDED, "b": SKIPPED}, {"a": False}) == Decision.SKIP
    assert decide(graph, "c", {"a": SKIPPED, "b": SKIPPED}, {}) == Decision.SKIP


def test_decide_waits_while_a_parent_failed():
    # A failed parent is not done: the runner fails the execution instead of planning on.
    graph = build_graph(definition(["a", "b"], [("a", "b")]))
    assert decide(graph, "b", {"a": FAILED}, {}) == Decision.WAIT


def test_terminal_outputs_are_the_succeeded_terminal_nodes_only():
    graph = build_graph(definition(["a", "b", "c", "d"], [("a", "b"), ("a", "c"), ("a", "d")]))
    statuses = {"a": SUCCEEDED, "b": SUCCEEDED, "c": SKIPPED, "d": FAILED}
    outputs = {"a": 1, "b": {"x": 2}, "c": 3, "d": 4}
    assert terminal_outputs(graph, statuses, outputs) == {"b": {"x": 2}}
    assert terminal_outputs(graph, {"b": SUCCEEDED}, {}) == {"b": None}
