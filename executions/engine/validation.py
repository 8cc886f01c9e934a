"""Validate a workflow definition; every problem is reported under its field path.

Pure Python: no database. Paths look like `nodes.2.params.expr` or `edges.0.to`; messages
name the node id or the edge so the editor can point at it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from django.core.exceptions import ValidationError
from jsonschema import Draft202012Validator

from executions.constants import (
    CONDITION_BRANCHES,
    MAX_EDGES,
    MAX_NODE_TIMEOUT_SECONDS,
    MAX_NODES,
    MAX_RETRY_ATTEMPTS,
    MAX_RETRY_BACKOFF_SECONDS,
    NODE_ID_PATTERN,
    NODE_METADATA_KEYS,
)
from executions.engine.graph import find_cycle
from executions.engine.nodes import get_node_type, node_type_names

Errors = dict[str, list[str]]

NODE_KEYS = frozenset({"id", "type", "params", "retry", "timeout_seconds"}) | NODE_METADATA_KEYS
EDGE_KEYS = frozenset({"from", "to", "when"})
RETRY_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "max_attempts": {"type": "integer", "minimum": 1, "maximum": MAX_RETRY_ATTEMPTS},
        "backoff_seconds": {"type": "number", "minimum": 0, "maximum": MAX_RETRY_BACKOFF_SECONDS},
    },
}
_node_id_re = re.compile(NODE_ID_PATTERN)


def validate_definition(definition: dict) -> None:
    """Raise ValidationError mapping field paths to messages if the definition is invalid."""
    errors = definition_errors(definition)
    if errors:
        raise ValidationError(errors)


def definition_errors(definition: Any) -> Errors:
    """Return every problem of the definition by field path (empty when it is valid)."""
    errors: Errors = defaultdict(list)
    if not isinstance(definition, dict):
        return {"definition": ["Must be an object with `nodes` and `edges`."]}
    for key in sorted(set(definition) - {"nodes", "edges"}):
        errors[key].append("Unknown key; a definition has `nodes` and `edges`.")
    nodes = definition.get("nodes")
    edges = definition.get("edges", [])
    if not isinstance(nodes, list) or not nodes:
        errors["nodes"].append("Must be a non-empty list of nodes.")
        nodes = []
    elif len(nodes) > MAX_NODES:
        errors["nodes"].append(f"At most {MAX_NODES} nodes.")
    if not isinstance(edges, list):
        errors["edges"].append("Must be a list of edges.")
        edges = []
    elif len(edges) > MAX_EDGES:
        errors["edges"].append(f"At most {MAX_EDGES} edges.")
    node_types = _check_nodes(nodes, errors)
    _check_edges(edges, node_types, errors)
    return dict(errors)


def _check_nodes(nodes: list, errors: Errors) -> dict[str, str | None]:
    """Check each node; return the type (None if unknown) of every node with a unique id."""
    node_types: dict[str, str | None] = {}
    for index, node in enumerate(nodes):
        path = f"nodes.{index}"
        if not isinstance(node, dict):
            errors[path].append("Must be an object with `id` and `type`.")
            continue
        node_id = node.get("id")
        label = f"Node {node_id!r}" if isinstance(node_id, str) else f"Node #{index}"
        for key in sorted(set(node) - NODE_KEYS):
            errors[f"{path}.{key}"].append(f"{label}: unknown key.")
        if not isinstance(node_id, str) or not _node_id_re.match(node_id):
            errors[f"{path}.id"].append(f"{label}: an id is 1-64 letters, digits, '_' or '-'.")
        elif node_id in node_types:
            errors[f"{path}.id"].append(f"{label}: duplicate node id.")
        type_name = node.get("type")
        node_type = get_node_type(type_name) if isinstance(type_name, str) else None
        if node_type is None:
            errors[f"{path}.type"].append(
                f"{label}: unknown node type {type_name!r}; known: {', '.join(node_type_names())}."
            )
        if isinstance(node_id, str) and _node_id_re.match(node_id) and node_id not in node_types:
            # A node whose type is wrong still exists: its edges are checked against it (and
            # cycles through it found) rather than reported as pointing at nothing.
            node_types[node_id] = type_name if node_type is not None else None
        if node_type is not None:
            params = node.get("params", {})
            for param_path, messages in _params_errors(node_type, params).items():
                suffix = f".{param_path}" if param_path else ""
                errors[f"{path}.params{suffix}"].extend(f"{label}: {m}" for m in messages)
        if "retry" in node:
            for retry_path, messages in _schema_errors(RETRY_SCHEMA, node["retry"]).items():
                suffix = f".{retry_path}" if retry_path else ""
                errors[f"{path}.retry{suffix}"].extend(f"{label}: {m}" for m in messages)
        if "timeout_seconds" in node:
            timeout = node["timeout_seconds"]
            if (
                isinstance(timeout, bool)
                or not isinstance(timeout, int | float)
                or not 0 < timeout <= MAX_NODE_TIMEOUT_SECONDS
            ):
                errors[f"{path}.timeout_seconds"].append(
                    f"{label}: a number of seconds above 0, at most {MAX_NODE_TIMEOUT_SECONDS}."
                )
    return node_types


def _params_errors(node_type, params: Any) -> Errors:
    schema_errors = _schema_errors(node_type.params_schema, params)
    if schema_errors:
        return schema_errors
    return node_type.check_params(params)


def _schema_errors(schema: dict, instance: Any) -> Errors:
    """Run a JSON Schema and key its errors by dotted path (the missing/extra key included)."""
    errors: Errors = defaultdict(list)
    for error in Draft202012Validator(schema).iter_errors(instance):
        path = [str(part) for part in error.absolute_path]
        if error.validator == "required":
            for name in error.validator_value:
                if isinstance(error.instance, dict) and name not in error.instance:
                    errors[".".join([*path, name])].append("This field is required.")
        elif error.validator == "additionalProperties" and error.validator_value is False:
            allowed = set(error.schema.get("properties", {}))
            for name in sorted(set(error.instance) - allowed):
                errors[".".join([*path, name])].append("Unknown parameter.")
        elif error.validator == "type":
            errors[".".join(path)].append(f"Must be of type {error.validator_value}.")
        elif error.validator == "enum":
            choices = ", ".join(str(choice) for choice in error.validator_value)
            errors[".".join(path)].append(f"Must be one of: {choices}.")
        else:
            errors[".".join(path)].append(error.message)
    return dict(errors)


def _check_edges(edges: list, node_types: dict[str, str | None], errors: Errors) -> None:
    valid_pairs: list[tuple[str, str]] = []
    pair_index: dict[tuple[str, str], int] = {}
    for index, edge in enumerate(edges):
        path = f"edges.{index}"
        if not isinstance(edge, dict):
            errors[path].append("Must be an object with `from` and `to`.")
            continue
        source, target = edge.get("from"), edge.get("to")
        label = f"Edge {source!s} -> {target!s}"
        for key in sorted(set(edge) - EDGE_KEYS):
            errors[f"{path}.{key}"].append(f"{label}: unknown key.")
        ends_ok = True
        for key, node_id in (("from", source), ("to", target)):
            if not isinstance(node_id, str) or node_id not in node_types:
                errors[f"{path}.{key}"].append(f"{label}: no node with id {node_id!r}.")
                ends_ok = False
        if "when" in edge:
            when = edge["when"]
            if when not in CONDITION_BRANCHES:
                errors[f"{path}.when"].append(f'{label}: `when` is "true" or "false".')
            elif ends_ok and node_types[source] not in ("condition", None):
                errors[f"{path}.when"].append(
                    f"{label}: `when` is only allowed on edges leaving a condition node."
                )
        if not ends_ok:
            continue
        if node_types[source] == "respond":
            # The webhook answers with a terminal respond node's output (docs/executions.md).
            errors[f"{path}.from"].append(f"{label}: a respond node ends its branch.")
            continue
        if (source, target) in pair_index:
            errors[path].append(f"{label}: duplicate edge.")
            continue
        pair_index[(source, target)] = index
        valid_pairs.append((source, target))
    cycle = find_cycle(list(node_types), valid_pairs)
    if cycle:
        closing = pair_index[(cycle[-2], cycle[-1])]
        errors[f"edges.{closing}"].append(
            f"Edge {cycle[-2]} -> {cycle[-1]} closes a cycle: {' -> '.join(cycle)}."
        )
