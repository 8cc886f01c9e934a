"""`transform`: the value of one JMESPath expression over the run context."""

from __future__ import annotations

from typing import Any

from executions.engine.expressions import MAX_EXPRESSION_CHARS
from executions.engine.nodes.base import NodeContext, NodeType, register


@register
class TransformNode(NodeType):
    type_name = "transform"
    pure = True
    description = "Output the value of a JMESPath expression over the run context."
    params_schema = {
        "type": "object",
        "required": ["expr"],
        "additionalProperties": False,
        "properties": {
            "expr": {"type": "string", "minLength": 1, "maxLength": MAX_EXPRESSION_CHARS}
        },
    }

    def check_params(self, params: dict[str, Any]) -> dict[str, list[str]]:
        return self.expression_problems({"expr": params["expr"]})

    def run(self, params: dict[str, Any], context: NodeContext) -> Any:
        return context.evaluate(params["expr"])
