"""PostHog's capture protocol, so the official PostHog SDKs can send events unchanged."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics.api.events import client_ip
from analytics.services.events import events_ingest
from analytics.services.events_capture import (
    CaptureError,
    capture_payload_parse,
    posthog_event_translate,
)
from analytics.services.events_validation import MAX_BATCH_EVENTS, MAX_BODY_BYTES, IngestContext
from synapscale.api.exceptions import PayloadTooLarge, problem_response
from synapscale.api.fields import StrictIntegerField
from synapscale.api.parsers import read_body_limited
from synapscale.api.schema import DocumentedBody, problem
from synapscale.ratelimits import rate_limit_hit
from synapscale.selectors.workspaces import workspace_for_ingestion_key

CaptureResultSerializer = inline_serializer(
    name="CaptureResult",
    fields={
        "status": StrictIntegerField(),
        "accepted": StrictIntegerField(),
        "duplicates": StrictIntegerField(),
        "rejected": serializers.ListField(child=serializers.DictField()),
    },
)


_EVENT = {
    "type": "object",
    "required": ["event"],
    "description": "A PostHog event; other keys PostHog sends are ignored.",
    "properties": {
        "event": {"type": "string", "description": "`$pageview` and friends are mapped."},
        "distinct_id": {"type": "string"},
        "properties": {"type": "object", "additionalProperties": {}},
        "timestamp": {"type": "string", "format": "date-time"},
        "uuid": {"type": "string", "format": "uuid"},
    },
}
_KEY = {"type": "string", "description": "The workspace's ingestion key (or `token`)."}


class CaptureBody(DocumentedBody):
    """A single event, a `batch` envelope, or a bare list of events (PostHog's shapes)."""

    openapi_schema = {
        "oneOf": [
            {**_EVENT, "properties": {**_EVENT["properties"], "api_key": _KEY, "token": _KEY}},
            {
                "type": "object",
                "required": ["batch"],
                "properties": {
                    "api_key": _KEY,
                    "token": _KEY,
                    "sent_at": {"type": "string", "format": "date-time"},
                    "batch": {"type": "array", "maxItems": MAX_BATCH_EVENTS, "items": _EVENT},
                },
            },
            {"type": "array", "maxItems": MAX_BATCH_EVENTS, "items": _EVENT},
        ]
    }


class CaptureForm(DocumentedBody):
    """posthog-js's form post: `data` holds the JSON body, as is or base64-encoded."""

    openapi_schema = {
        "type": "object",
        "required": ["data"],
        "properties": {"data": {"type": "string", "minLength": 1}},
    }


class CaptureView(APIView):
    """Accept PostHog capture requests authenticated by the workspace's ingestion key."""

    authentication_classes: list = []
    permission_classes: list = []
    parser_classes: list = []  # the raw body is read here: form, base64 and gzip-js variants
    rate_limit_group = None  # counted per ingestion key once the key is known

    def _error(self, exc: CaptureError):
        code = {401: "not_authenticated", 413: "payload_too_large", 415: "unsupported_media_type"}
        return problem_response(
            status_code=exc.status, detail=exc.detail, code=code.get(exc.status, "parse_error")
        )

    @extend_schema(
        summary="PostHog-compatible capture (single event, batch or list)",
        request={
            "application/json": CaptureBody,
            "application/x-www-form-urlencoded": CaptureForm,
        },
        parameters=[
            OpenApiParameter(
                "compression",
                str,
                enum=["gzip", "gzip-js", "lz64"],
                description="How the body is compressed (lz64 is refused with a 415).",
            ),
            OpenApiParameter("token", str, description="The ingestion key, if not in the body."),
            OpenApiParameter("api_key", str, description="The ingestion key, as `token`."),
        ],
        responses={
            200: CaptureResultSerializer,
            400: problem("Unreadable body."),
            401: problem("Missing or unknown api_key."),
            413: problem("Body or batch too large."),
            429: problem("The ingestion key's rate limit or the events quota was reached."),
        },
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        received_at = timezone.now()
        try:
            try:
                body = read_body_limited(request._request, request.META, MAX_BODY_BYTES)
            except PayloadTooLarge as exc:
                raise CaptureError(f"The body exceeds {MAX_BODY_BYTES} bytes.", status=413) from exc
            payload = capture_payload_parse(
                body,
                content_type=request.META.get("CONTENT_TYPE", ""),
                content_encoding=request.META.get("HTTP_CONTENT_ENCODING", ""),
                query=request.query_params.dict(),
            )
            if len(payload.events) > MAX_BATCH_EVENTS:
                raise CaptureError(f"At most {MAX_BATCH_EVENTS} events per batch.", status=413)
            workspace = workspace_for_ingestion_key(payload.api_key)
            if workspace is None:
                raise CaptureError("Unknown api_key.", status=401)
        except CaptureError as exc:
            return self._error(exc)
        rate_limit_hit(request, "capture", value=f"workspace:{workspace.id}")
        raw_events = [
            posthog_event_translate(event, sent_at=payload.sent_at, received_at=received_at)
            for event in payload.events
        ]
        context = IngestContext(
            workspace_id=workspace.id,
            received_at=received_at,
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:512],
        )
        result = events_ingest(raw_events=raw_events, context=context)
        # `status: 1` is what PostHog answers; the counts are SynapScale's addition.
        return Response({"status": 1, **result.as_payload()})
