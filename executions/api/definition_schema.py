"""The OpenAPI schema of a workflow definition, built from the node registry.

Each node type's `params_schema` (JSON Schema 2020-12, what the validator runs) becomes one
component, and a node is a `oneOf` of the types discriminated by `type`, so a client
generating types from `/api/schema/` gets the same rules the server enforces. OpenAPI 3.0
speaks an older dialect: the few 2020-12 forms the params use are rewritten here.
What a schema cannot say (edges naming existing nodes, no cycles, expressions that compile)
stays in the validator and its 400.
"""

from __future__ import annotations

import copy
from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers

from executions.constants import (
    CONDITION_BRANCHES,
    MAX_EDGES,
    MAX_NODE_TIMEOUT_SECONDS,
    MAX_NODES,
    NODE_ID_PATTERN,
)
from executions.engine.nodes import REGISTRY
from executions.engine.validation import RETRY_SCHEMA

DEFINITION_COMPONENT = "WorkflowDefinition"


class WorkflowDefinitionField(serializers.JSONField):
    """A workflow definition: stored as JSON, documented as the discriminated node union."""


def openapi30(schema: Any) -> Any:
    """Return a JSON Schema 2020-12 fragment rewritten in OpenAPI 3.0's dialect."""
    if isinstance(schema, list):
        return [openapi30(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {key: openapi30(value) for key, value in schema.items()}
    for bound, inclusive in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(converted.get(bound), int | float) and not isinstance(converted[bound], bool):
            converted[inclusive] = converted.pop(bound)
            converted[bound] = True
    if isinstance(converted.get("type"), list):
        types = converted.pop("type")
        converted = {"oneOf": [{"type": name} for name in types], **converted}
    if converted.get("type") == "object" and not {"properties", "additionalProperties"} & set(
        converted
    ):
        # JSON Schema's bare object takes any keys; generated types read it as `{}` unless
        # the schema says so.
        converted["additionalProperties"] = {}
    if "enum" in converted and "type" not in converted:
        values = converted["enum"]
        if all(isinstance(value, str) for value in values):
            converted["type"] = "string"
    return converted


def _component_name(type_name: str) -> str:
    return "".join(part.capitalize() for part in type_name.split("_")) + "Node"


def _node_schema(type_name: str, params_schema: dict[str, Any], description: str) -> dict:
    params = openapi30(copy.deepcopy(params_schema))
    required = ["id", "type"]
    if params.get("required"):
        # A node without params gets {}: only a type whose params are all optional may omit it.
        required.append("params")
    return {
        "type": "object",
        "description": description,
        "required": required,
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "pattern": NODE_ID_PATTERN},
            # Wrapped so drf-spectacular's enum hook leaves each type's literal inline
            # rather than naming one shared `TypeEnum` per node type.
            "type": {"allOf": [{"type": "string", "enum": [type_name]}]},
            "params": params,
            "retry": openapi30(RETRY_SCHEMA),
            "timeout_seconds": {
                "type": "number",
                "minimum": 0,
                "exclusiveMinimum": True,
                "maximum": MAX_NODE_TIMEOUT_SECONDS,
            },
            # Kept for the editor; the engine ignores them (NODE_METADATA_KEYS).
            "name": {},
            "position": {},
            "ui": {},
        },
    }


def definition_components() -> dict[str, dict]:
    """Return every component of the definition schema by name, the definition included."""
    components = {
        _component_name(name): _node_schema(name, node_type.params_schema, node_type.description)
        for name, node_type in sorted(REGISTRY.items())
    }
    node_refs = {name: f"#/components/schemas/{_component_name(name)}" for name in REGISTRY}
    components["WorkflowNode"] = {
        "oneOf": [{"$ref": ref} for _, ref in sorted(node_refs.items())],
        "discriminator": {"propertyName": "type", "mapping": dict(sorted(node_refs.items()))},
    }
    components["WorkflowEdge"] = {
        "type": "object",
        "required": ["from", "to"],
        "additionalProperties": False,
        "properties": {
            "from": {"type": "string", "pattern": NODE_ID_PATTERN},
            "to": {"type": "string", "pattern": NODE_ID_PATTERN},
            "when": {
                "type": "string",
                "enum": list(CONDITION_BRANCHES),
                "description": "Only on an edge leaving a condition node.",
            },
        },
    }
    components[DEFINITION_COMPONENT] = {
        "type": "object",
        "description": (
            "Nodes and the edges between them. Edges must join existing nodes without a "
            "cycle and expressions must compile: the server checks both (400, by path)."
        ),
        "required": ["nodes"],
        "additionalProperties": False,
        "properties": {
            "nodes": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_NODES,
                "items": {"$ref": "#/components/schemas/WorkflowNode"},
            },
            "edges": {
                "type": "array",
                "maxItems": MAX_EDGES,
                "items": {"$ref": "#/components/schemas/WorkflowEdge"},
            },
        },
    }
    return components


class WorkflowDefinitionFieldExtension(OpenApiSerializerFieldExtension):
    target_class = WorkflowDefinitionField

    def map_serializer_field(self, auto_schema, direction):
        for name, schema in definition_components().items():
            auto_schema.registry.register_on_missing(
                ResolvedComponent(
                    name=name, type=ResolvedComponent.SCHEMA, schema=schema, object=name
                )
            )
        return {"$ref": f"#/components/schemas/{DEFINITION_COMPONENT}"}
