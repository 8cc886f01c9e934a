"""`respond`: the HTTP answer a webhook trigger gives (status, headers, body), from the run."""

from __future__ import annotations

import re
from typing import Any

from executions.engine.errors import NodeFailure
from executions.engine.expressions import is_expression
from executions.engine.nodes.base import NodeContext, NodeType, register

# Headers a workflow may not set: they describe the connection or the body's framing, which
# the server owns; would plant cookies or redirect the caller from this site's origin; or
# would lift the sandbox every respond answer is served in (the webhook view sets them).
FORBIDDEN_HEADERS = frozenset(
    {
        "connection",
        "content-length",
        "transfer-encoding",
        "keep-alive",
        "upgrade",
        "set-cookie",
        "location",
        "refresh",
        "content-security-policy",
        "x-content-type-options",
        "access-control-allow-origin",
        "access-control-allow-credentials",
    }
)
HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$")


@register
class RespondNode(NodeType):
    type_name = "respond"
    pure = True
    description = (
        "Set the HTTP response of a webhook trigger in `last_node` mode: status (200-599), "
        'headers and body, each a literal or {"expr": "<jmespath>"}. It ends its branch.'
    )
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "status": {
                "oneOf": [
                    {"type": "integer", "minimum": 200, "maximum": 599},
                    {
                        "type": "object",
                        "required": ["expr"],
                        "additionalProperties": False,
                        "properties": {"expr": {"type": "string", "minLength": 1}},
                    },
                ]
            },
            "headers": {
                "type": "object",
                "maxProperties": 32,
                "additionalProperties": {"type": ["string", "object"]},
            },
            "body": {},
        },
    }

    def check_params(self, params: dict[str, Any]) -> dict[str, list[str]]:
        problems: dict[str, list[str]] = {}
        expressions: dict[str, Any] = {}
        if is_expression(params.get("status")):
            expressions["status.expr"] = params["status"]["expr"]
        for name, value in (params.get("headers") or {}).items():
            if not HEADER_NAME.match(name):
                problems[f"headers.{name}"] = ["Not a valid header name."]
            elif name.lower() in FORBIDDEN_HEADERS:
                problems[f"headers.{name}"] = ["The server sets this header; a workflow may not."]
            elif isinstance(value, dict):
                if is_expression(value):
                    expressions[f"headers.{name}.expr"] = value["expr"]
                else:
                    problems[f"headers.{name}"] = ['A string, or {"expr": "<jmespath>"}.']
        if is_expression(params.get("body")):
            expressions["body.expr"] = params["body"]["expr"]
        return {**problems, **self.expression_problems(expressions)}

    def run(self, params: dict[str, Any], context: NodeContext) -> Any:
        status = context.resolve(params.get("status", 200))
        if isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 599:
            raise NodeFailure(
                f"respond: status must be an integer from 200 to 599, got {status!r}.",
                retryable=False,
            )
        headers = {}
        for name, value in (params.get("headers") or {}).items():
            value = context.resolve(value)
            text = value if isinstance(value, str) else str(value)
            if "\r" in text or "\n" in text:
                raise NodeFailure(
                    f"respond: header {name} may not contain a line break.",
                    retryable=False,
                )
            headers[name] = text
        return {"status": status, "headers": headers, "body": context.resolve(params.get("body"))}
