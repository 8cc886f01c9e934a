"""Definition validation, message by message: the exact errors an editor shows, by path.

Pure tests (no database). test_validation.py checks which paths are reported; these pin the
whole answer (messages, labels, limits at their boundary), so that a changed message or an
off-by-one is caught (`scripts/mutation_report.py --module validation`).
"""

from __future__ import annotations

from executions.constants import MAX_EDGES, MAX_NODE_TIMEOUT_SECONDS, MAX_NODES
from executions.engine.validation import definition_errors

FIELDS = {"fields": {"x": 1}}
KNOWN = "condition, delay, fail, http_request, respond, set, transform"
REQUIRED = "This field is required."


def set_node(node_id: str, **extra) -> dict:
    return {"id": node_id, "type": "set", "params": FIELDS, **extra}


def test_a_definition_that_is_not_an_object():
    assert definition_errors(["nodes"]) == {
        "definition": ["Must be an object with `nodes` and `edges`."]
    }


def test_top_level_keys_nodes_and_edges():
    unknown = "Unknown key; a definition has `nodes` and `edges`."
    assert definition_errors({"nodes": "x", "edges": {}, "zeta": 1, "alpha": 2}) == {
        "alpha": [unknown],
        "zeta": [unknown],
        "nodes": ["Must be a non-empty list of nodes."],
        "edges": ["Must be a list of edges."],
    }
    # No edges at all is a definition of unconnected nodes, not an error.
    assert definition_errors({"nodes": [set_node("a")]}) == {}
    assert definition_errors({"edges": []}) == {"nodes": ["Must be a non-empty list of nodes."]}


def test_the_node_and_edge_limits_at_their_boundary():
    nodes = [set_node(f"n{i}") for i in range(MAX_NODES)]
    pairs = [(i, j) for i in range(MAX_NODES) for j in range(i + 1, MAX_NODES)][:MAX_EDGES]
    edges = [{"from": f"n{i}", "to": f"n{j}"} for i, j in pairs]
    assert definition_errors({"nodes": nodes, "edges": edges}) == {}
    over = {"nodes": [*nodes, set_node("extra")], "edges": [*edges, {"from": "n0", "to": "extra"}]}
    assert definition_errors(over) == {
        "nodes": [f"At most {MAX_NODES} nodes."],
        "edges": [f"At most {MAX_EDGES} edges."],
    }


def test_every_node_problem_with_its_label():
    errors = definition_errors(
        {
            "nodes": [
                "not-an-object",
                {"type": "set", "colour": "red", "id": 5},
                {"id": "ok", "type": "nope"},
                set_node("t1", timeout_seconds=True),
                set_node("t2", timeout_seconds=0),
                set_node("t3", timeout_seconds="5"),
                set_node("r1", retry={"max_attempts": 0, "extra": 1}),
                set_node("r2", retry="x"),
                {"id": "f", "type": "fail"},
                {"id": "h", "type": "http_request", "params": {"method": "FETCH", "x": 1}},
                {"id": "ok", "type": "set"},
                {"id": 7, "type": 7},
            ]
        }
    )
    timeout = f"a number of seconds above 0, at most {MAX_NODE_TIMEOUT_SECONDS}."
    methods = "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"
    assert errors == {
        "nodes.0": ["Must be an object with `id` and `type`."],
        "nodes.1.colour": ["Node #1: unknown key."],
        "nodes.1.id": ["Node #1: an id is 1-64 letters, digits, '_' or '-'."],
        "nodes.1.params.fields": [f"Node #1: {REQUIRED}"],
        "nodes.2.type": [f"Node 'ok': unknown node type 'nope'; known: {KNOWN}."],
        "nodes.3.timeout_seconds": [f"Node 't1': {timeout}"],
        "nodes.4.timeout_seconds": [f"Node 't2': {timeout}"],
        "nodes.5.timeout_seconds": [f"Node 't3': {timeout}"],
        "nodes.6.retry.extra": ["Node 'r1': Unknown parameter."],
        "nodes.6.retry.max_attempts": ["Node 'r1': 0 is less than the minimum of 1"],
        "nodes.7.retry": ["Node 'r2': Must be of type object."],
        "nodes.8.params.message": [f"Node 'f': {REQUIRED}"],
        "nodes.9.params.url": [f"Node 'h': {REQUIRED}"],
        "nodes.9.params.x": ["Node 'h': Unknown parameter."],
        "nodes.9.params.method": [f"Node 'h': Must be one of: {methods}."],
        "nodes.10.id": ["Node 'ok': duplicate node id."],
        "nodes.10.params.fields": [f"Node 'ok': {REQUIRED}"],
        "nodes.11.id": ["Node #11: an id is 1-64 letters, digits, '_' or '-'."],
        "nodes.11.type": [f"Node #11: unknown node type 7; known: {KNOWN}."],
    }


def test_timeouts_and_retries_inside_their_limits():
    nodes = [
        set_node("small", timeout_seconds=0.5),
        set_node("max", timeout_seconds=MAX_NODE_TIMEOUT_SECONDS),
        set_node("one", timeout_seconds=1),
        set_node("retry", retry={"max_attempts": 3, "backoff_seconds": 0}),
    ]
    assert definition_errors({"nodes": nodes}) == {}
    over = set_node("over", timeout_seconds=MAX_NODE_TIMEOUT_SECONDS + 1)
    assert list(definition_errors({"nodes": [over]})) == ["nodes.0.timeout_seconds"]


def test_every_edge_problem_with_its_label():
    nodes = [
        set_node("a"),
        {"id": "c", "type": "condition", "params": {"expr": "`true`"}},
        {"id": "r", "type": "respond"},
        set_node("b"),
        {"id": "bad", "type": "nope"},
    ]
    edges = [
        "x",
        {"from": "a", "to": "zz", "colour": 1},
        {"from": 5},
        {"from": "a", "to": "b", "when": "maybe"},
        {"from": "a", "to": "b", "when": "true"},
        {"from": "c", "to": "b", "when": "true"},
        {"from": "c", "to": "b", "when": "false"},
        {"from": "r", "to": "b"},
        # A node of an unknown type still exists: its edges are checked, `when` allowed.
        {"from": "bad", "to": "a", "when": "true"},
        {"from": "b", "to": "c"},
    ]
    assert definition_errors({"nodes": nodes, "edges": edges}) == {
        "nodes.4.type": [f"Node 'bad': unknown node type 'nope'; known: {KNOWN}."],
        "edges.0": ["Must be an object with `from` and `to`."],
        "edges.1.colour": ["Edge a -> zz: unknown key."],
        "edges.1.to": ["Edge a -> zz: no node with id 'zz'."],
        "edges.2.from": ["Edge 5 -> None: no node with id 5."],
        "edges.2.to": ["Edge 5 -> None: no node with id None."],
        "edges.3.when": ['Edge a -> b: `when` is "true" or "false".'],
        "edges.4.when": ["Edge a -> b: `when` is only allowed on edges leaving a condition node."],
        "edges.4": ["Edge a -> b: duplicate edge."],
        "edges.6": ["Edge c -> b: duplicate edge."],
        "edges.7.from": ["Edge r -> b: a respond node ends its branch."],
        "edges.5": ["Edge c -> b closes a cycle: b -> c -> b."],
    }


def test_a_node_type_that_is_not_a_string_and_an_edge_to_an_invalid_id():
    errors = definition_errors(
        {
            "nodes": [{"id": "l", "type": ["set"]}, {"id": "has space", "type": "respond"}],
            "edges": [{"from": "l", "to": "has space"}],
        }
    )
    assert errors == {
        "nodes.0.type": [f"Node 'l': unknown node type ['set']; known: {KNOWN}."],
        "nodes.1.id": ["Node 'has space': an id is 1-64 letters, digits, '_' or '-'."],
        # A node whose id is invalid does not exist for its edges.
        "edges.0.to": ["Edge l -> has space: no node with id 'has space'."],
    }


def test_a_nested_parameter_is_reported_at_its_dotted_path():
    node = {"id": "h", "type": "http_request", "params": {"url": "http://x/", "headers": {"A": 1}}}
    assert definition_errors({"nodes": [node]}) == {
        "nodes.0.params.headers.A": ["Node 'h': Must be of type string."]
    }


def test_schema_errors_of_nested_objects_by_dotted_path():
    from executions.engine.validation import _schema_errors

    inner = {
        "type": "object",
        "required": ["b"],
        "additionalProperties": False,
        "properties": {"b": {"enum": [1, 2]}, "c": {"minimum": 3}},
    }
    schema = {"type": "object", "properties": {"a": inner}}
    assert _schema_errors(schema, {"a": {"x": 1, "c": 1}}) == {
        "a.b": ["This field is required."],
        "a.x": ["Unknown parameter."],
        "a.c": ["1 is less than the minimum of 3"],
    }
    assert _schema_errors(schema, {"a": {"b": 5}}) == {"a.b": ["Must be one of: 1, 2."]}
    # additionalProperties false without any properties: every key is unknown.
    closed = {"type": "object", "additionalProperties": False}
    assert _schema_errors(closed, {"z": 1}) == {"z": ["Unknown parameter."]}
