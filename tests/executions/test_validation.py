"""Definition validation: every problem is reported under its field path."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from executions.engine.validation import definition_errors, validate_definition
from tests.executions.factories import three_node_definition


def errors_of(definition) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as info:
        validate_definition(definition)
    return info.value.message_dict


def test_valid_definition_passes():
    assert validate_definition(three_node_definition()) is None
    assert definition_errors(three_node_definition()) == {}


@pytest.mark.parametrize("definition", [None, [], "nodes", 3])
def test_non_object_definition_is_rejected(definition):
    assert "definition" in errors_of(definition)


def test_empty_nodes_and_unknown_top_level_keys_are_rejected():
    errors = errors_of({"nodes": [], "edges": "x", "layout": {}})
    assert set(errors) == {"nodes", "edges", "layout"}


def test_unknown_node_type_names_the_node_and_lists_known_types():
    errors = errors_of({"nodes": [{"id": "a", "type": "teleport"}]})
    assert errors["nodes.0.type"][0].startswith("Node 'a': unknown node type 'teleport'")
    assert "http_request" in errors["nodes.0.type"][0]


def test_duplicate_and_malformed_node_ids():
    errors = errors_of(
        {
            "nodes": [
                {"id": "a", "type": "fail", "params": {"message": "x"}},
                {"id": "a", "type": "fail", "params": {"message": "x"}},
                {"id": "has space", "type": "fail", "params": {"message": "x"}},
                "not-an-object",
            ]
        }
    )
    assert "duplicate" in errors["nodes.1.id"][0]
    assert "nodes.2.id" in errors
    assert "nodes.3" in errors


def test_bad_expression_is_reported_at_its_param_path():
    errors = errors_of(
        {
            "nodes": [
                {"id": "t", "type": "transform", "params": {"expr": "input.["}},
                {"id": "c", "type": "condition", "params": {"expr": "nope(input)"}},
                {"id": "s", "type": "set", "params": {"fields": {"x": {"expr": "a ||| b"}}}},
            ]
        }
    )
    assert "Node 't'" in errors["nodes.0.params.expr"][0]
    assert "incomplete" in errors["nodes.0.params.expr"][0]
    assert "unknown function nope()" in errors["nodes.1.params.expr"][0]
    assert "nodes.2.params.fields.x.expr" in errors


def test_wrong_param_types_missing_and_unknown_params():
    errors = errors_of(
        {
            "nodes": [
                {"id": "d", "type": "delay", "params": {"seconds": "soon"}},
                {"id": "h", "type": "http_request", "params": {"method": "FETCH", "x": 1}},
                {"id": "f", "type": "fail"},
                {"id": "p", "type": "set", "params": []},
            ]
        }
    )
    assert errors["nodes.0.params.seconds"] == ["Node 'd': Must be of type number."]
    assert "nodes.1.params.url" in errors
    assert "nodes.1.params.method" in errors
    assert errors["nodes.1.params.x"] == ["Node 'h': Unknown parameter."]
    assert errors["nodes.2.params.message"] == ["Node 'f': This field is required."]
    assert "nodes.3.params" in errors


def test_http_request_url_must_be_absolute_http():
    errors = errors_of(
        {"nodes": [{"id": "h", "type": "http_request", "params": {"url": "ftp://example.com"}}]}
    )
    assert "nodes.0.params.url" in errors


def test_http_request_json_and_json_expr_are_exclusive():
    params = {"url": "http://example.com", "json": {}, "json_expr": "input"}
    errors = errors_of({"nodes": [{"id": "h", "type": "http_request", "params": params}]})
    assert "nodes.0.params.json_expr" in errors


def test_retry_and_timeout_are_validated():
    errors = errors_of(
        {
            "nodes": [
                {
                    "id": "a",
                    "type": "set",
                    "params": {"fields": {}},
                    "retry": {"max_attempts": 0, "backoff_seconds": -1, "jitter": True},
                    "timeout_seconds": 0,
                }
            ]
        }
    )
    assert {"nodes.0.retry.max_attempts", "nodes.0.retry.backoff_seconds"} <= set(errors)
    assert "nodes.0.retry.jitter" in errors
    assert "nodes.0.timeout_seconds" in errors


def test_edges_must_join_existing_nodes():
    definition = three_node_definition()
    definition["edges"] = [{"from": "greet", "to": "ghost"}, {"from": 1, "to": "shout"}, "x"]
    errors = errors_of(definition)
    assert errors["edges.0.to"] == ["Edge greet -> ghost: no node with id 'ghost'."]
    assert "edges.1.from" in errors
    assert "edges.2" in errors


def test_when_only_on_edges_leaving_a_condition():
    definition = three_node_definition()
    definition["edges"][0]["when"] = "true"
    definition["edges"].append({"from": "check", "to": "greet", "when": "maybe"})
    errors = errors_of(definition)
    assert "only allowed on edges leaving a condition" in errors["edges.0.when"][0]
    assert "edges.2.when" in errors


def test_cycle_is_reported_on_the_closing_edge():
    definition = three_node_definition()
    definition["edges"].append({"from": "check", "to": "greet"})
    errors = errors_of(definition)
    assert errors["edges.2"] == [
        "Edge check -> greet closes a cycle: greet -> shout -> check -> greet."
    ]


def test_duplicate_edge_is_rejected():
    definition = three_node_definition()
    definition["edges"].append({"from": "greet", "to": "shout"})
    assert "duplicate" in errors_of(definition)["edges.2"][0]


def test_a_node_of_unknown_type_is_still_a_node_for_its_edges_and_cycles():
    errors = definition_errors(
        {
            "nodes": [
                {"id": "a", "type": "nope"},
                {"id": "b", "type": "transform", "params": {"expr": "input"}},
            ],
            "edges": [{"from": "a", "to": "b"}, {"from": "b", "to": "a"}],
        }
    )
    assert "nodes.0.type" in errors
    assert not any(
        path.startswith("edges.") and "no node" in " ".join(messages)
        for path, messages in errors.items()
    )
    assert any("cycle" in " ".join(messages).lower() for messages in errors.values())
