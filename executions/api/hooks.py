"""/hooks/<public_id>/[<token>]: the public URL of a webhook trigger (no API token).

Two statements per call (the trigger's read, then the execution's insert in its own
transaction), the task sent on commit; `last_node` then waits for the finish holding no
transaction, as `run/?wait=`.
"""

from __future__ import annotations

import logging

from django.http import HttpResponse, JsonResponse
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from executions.choices import ExecutionStatus, WebhookResponseMode
from executions.engine.definitions import graph_for
from executions.selectors.executions import execution_wait
from executions.selectors.triggers import trigger_for_call
from executions.services.webhooks import (
    WebhookCall,
    webhook_check_signature,
    webhook_start,
    webhook_trigger_for,
)
from synapscale.api.exceptions import problem_response
from synapscale.api.parsers import read_body_limited
from synapscale.api.schema import problem
from synapscale.ratelimits import rate_limit_hit

logger = logging.getLogger(__name__)


_RESPONSES = {
    (200, "application/json"): None,
    202: None,
    401: problem("The signature is missing, wrong, too old or replayed."),
    404: problem("No webhook at this URL (unknown, wrong token, or disabled)."),
    405: problem("The trigger does not accept this method."),
    413: problem("The body is larger than the trigger accepts."),
    415: problem("A body type a run cannot carry."),
    429: problem("The trigger's rate limit was reached."),
    502: problem("`last_node`: the run ended without success."),
    504: problem("`last_node`: the run did not finish within the trigger's wait."),
}
_METHODS = ("get", "post", "put", "patch", "delete")


def _documented(kind: str, summary: str):
    """Document each method of a webhook view under its own operation id."""
    return extend_schema_view(
        **{
            method: extend_schema(
                operation_id=f"hooks_{kind}_{method}",
                summary=summary,
                description="Starts the trigger's workflow with the request as input, with any "
                "method the trigger allows. docs/executions.md has the input shape, the "
                "signature schemes and the response modes.",
                request=None,
                responses=_RESPONSES,
                auth=[],
            )
            for method in _METHODS
        }
    )


class _WebhookView(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    http_method_names = list(_METHODS)
    rate_limit_group = None  # counted per trigger, at the trigger's own rate

    @property
    def default_response_headers(self):
        # DRF would list every method of the view in `Allow`; each trigger has its own.
        return {}

    def post(self, request, public_id: str, token: str | None = None):
        # The trigger's read, then the body (a slow upload holds no transaction open), then
        # the insert in its own transaction.
        trigger = webhook_trigger_for(trigger=trigger_for_call(public_id), token=token)
        if request.method not in trigger.methods:
            return problem_response(
                status_code=405,
                detail=f"This webhook accepts {', '.join(trigger.methods)}.",
                code="method_not_allowed",
                headers={"Allow": ", ".join(trigger.methods)},
            )
        call = WebhookCall(
            method=request.method,
            headers={k.lower(): v for k, v in request.headers.items()},
            query={k: request.GET.getlist(k) for k in request.GET},
            body=read_body_limited(
                request._request,
                request.META,
                trigger.max_body_bytes,
                detail=f"The body exceeds this trigger's {trigger.max_body_bytes} bytes.",
            ),
        )
        webhook_check_signature(trigger=trigger, call=call)
        _check_rate(request, trigger)
        execution = webhook_start(trigger=trigger, call=call)
        if trigger.response_mode == WebhookResponseMode.ACCEPTED:
            return Response(
                {"execution_id": execution.id, "status": execution.status},
                status=status.HTTP_202_ACCEPTED,
            )
        result = execution_wait(
            execution_id=execution.id,
            workspace_id=execution.workspace_id,
            timeout=trigger.wait_seconds,
        )
        return _answer(execution, result, trigger.wait_seconds)

    get = put = patch = delete = post


@_documented("token", "Call a token webhook trigger (the token is the URL's last segment)")
class TokenWebhookView(_WebhookView):
    pass


@_documented("signed", "Call a signed webhook trigger (GitHub- or Stripe-style signature)")
class SignedWebhookView(_WebhookView):
    pass


def _check_rate(request, trigger) -> None:
    rate_limit_hit(request, "hooks", value=f"trigger:{trigger.public_id}", rate=trigger.rate_limit)


def _answer(execution, result, wait_seconds: int) -> HttpResponse:
    """The `last_node` answer: the respond node's response, the output, or a problem."""
    location = f"/api/v1/executions/{execution.id}/"
    if result is None:
        return _problem(
            504,
            "run_not_finished",
            f"The run did not finish within {wait_seconds} s; follow the execution.",
            execution.id,
            location,
        )
    finished = result if isinstance(result, dict) else _as_summary(result)
    if finished["status"] != ExecutionStatus.SUCCEEDED:
        return _problem(
            502, "run_failed", f"The run ended {finished['status']}.", execution.id, location
        )
    outputs = finished.get("output") or {}
    graph = graph_for(execution)
    for node_id, output in outputs.items():
        if graph.nodes[node_id].type == "respond":
            return _respond(output)
    body = next(iter(outputs.values())) if len(outputs) == 1 else outputs
    return JsonResponse(body, status=200, safe=False)


def _respond(output: dict) -> HttpResponse:
    body, headers = output.get("body"), dict(output.get("headers") or {})
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
    if isinstance(body, str) and content_type is None:
        response = HttpResponse(body, status=output["status"], content_type="text/plain")
    elif isinstance(body, str):
        response = HttpResponse(body, status=output["status"])
    elif body is None:
        response = HttpResponse(status=output["status"])
    else:
        response = JsonResponse(body, status=output["status"], safe=False)
    for name, value in headers.items():
        response[name] = value
    # The workflow wrote this body, and it is served from this site's origin (the admin's,
    # the API's): a sandboxed document runs no script and reads no cookie, whatever its type.
    response["Content-Security-Policy"] = "sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _as_summary(execution) -> dict:
    return {"status": execution.status, "output": execution.output}


def _problem(code: int, type_: str, detail: str, execution_id: int, location: str):
    return problem_response(
        status_code=code,
        detail=detail,
        code=type_,
        headers={"Location": location},
        extra={"execution_id": execution_id},
    )
