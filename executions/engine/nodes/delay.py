"""`delay`: wait, interruptible by cancel, capped by EXECUTIONS_MAX_DELAY_SECONDS."""

from __future__ import annotations

from typing import Any

from executions.constants import MAX_NODE_TIMEOUT_SECONDS
from executions.engine.nodes.base import NodeContext, NodeType, register


@register
class DelayNode(NodeType):
    type_name = "delay"
    description = "Wait for `seconds` (capped by a setting); cancelling interrupts the wait."
    params_schema = {
        "type": "object",
        "required": ["seconds"],
        "additionalProperties": False,
        "properties": {
            "seconds": {"type": "number", "minimum": 0, "maximum": MAX_NODE_TIMEOUT_SECONDS}
        },
    }

    def run(self, params: dict[str, Any], context: NodeContext) -> Any:
        seconds = min(float(params["seconds"]), context.max_delay_seconds)
        context.sleep(seconds)
        return {"slept_seconds": seconds}
