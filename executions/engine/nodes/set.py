"""`set`: build an object from literals and expressions."""

from __future__ import annotations

from typing import Any

from executions.engine.expressions import is_expression
from executions.engine.nodes.base import NodeContext, NodeType, register


@register
class SetNode(NodeType):
    type_name = "set"
    pure = True
    description = 'Build an object: each field is a literal or {"expr": "<jmespath>"}.'
    params_schema = {
        "type": "object",
        "required": ["fields"],
        "additionalProperties": False,
        "properties": {"fields": {"type": "object"}},
    }

    def check_params(self, params: dict[str, Any]) -> dict[str, list[str]]:
        problems: dict[str, list[str]] = {}
        expressions: dict[str, Any] = {}
        for name, value in params["fields"].items():
            if isinstance(value, dict) and set(value) == {"expr"}:
                if is_expression(value):
                    expressions[f"fields.{name}.expr"] = value["expr"]
                else:
                    problems[f"fields.{name}.expr"] = ["An expression must be a string."]
        return {**problems, **self.expression_problems(expressions)}

    def run(self, params: dict[str, Any], context: NodeContext) -> Any:
        return {name: context.resolve(value) for name, value in params["fields"].items()}
