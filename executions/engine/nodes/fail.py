"""`fail`: fail the node on purpose, for explicit error paths. Never retried."""

from __future__ import annotations

from typing import Any

from executions.choices import ErrorType
from executions.engine.errors import NodeFailure
from executions.engine.nodes.base import NodeContext, NodeType, register


@register
class FailNode(NodeType):
    type_name = "fail"
    pure = True
    description = "Fail the execution with `message`."
    params_schema = {
        "type": "object",
        "required": ["message"],
        "additionalProperties": False,
        "properties": {"message": {"type": "string", "minLength": 1, "maxLength": 2000}},
    }

    def run(self, params: dict[str, Any], context: NodeContext) -> Any:
        raise NodeFailure(params["message"], type=ErrorType.EXPLICIT_FAIL, retryable=False)
