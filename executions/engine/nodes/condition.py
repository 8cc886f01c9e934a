"""`condition`: true or false by JMESPath truthiness; edges with `when` follow the result."""

from __future__ import annotations

from typing import Any

from executions.engine.expressions import MAX_EXPRESSION_CHARS
from executions.engine.nodes.base import NodeContext, NodeType, register


def is_truthy(value: Any) -> bool:
    """Apply JMESPath's truthiness: null, false, "", [] and {} are false; numbers are true."""
    if value is None or value is False:
        return False
    if isinstance(value, str | list | dict):
        return len(value) > 0
    return True


@register
class ConditionNode(NodeType):
    type_name = "condition"
    pure = True
    description = (
        'Output true/false (JMESPath truthiness of the expression); edges with when "true" or '
        '"false" leave it.'
    )
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
        return is_truthy(context.evaluate(params["expr"]))
