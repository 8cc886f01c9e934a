"""POST /api/v1/analytics/analysis/<kind>/: trends, funnels, retention and A/B tests.

One path per kind (the URLs are the same as when `<kind>` was a parameter), so the schema
gives each kind its own body.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from analytics.analysis.body_schemas import BODY_SCHEMAS
from analytics.analysis.specs import ANALYSIS_KINDS, uses_legacy_shapes
from analytics.api.deprecations import LEGACY_QUERY_SHAPES
from analytics.models import Event
from analytics.selectors.analysis import analysis_run
from synapscale.api.deprecation import deprecation_headers
from synapscale.api.params import wants_refresh
from synapscale.api.schema import DocumentedBody
from synapscale.api.viewsets import WorkspaceScopedMixin
from synapscale.choices import Role, TokenScope

EXAMPLES = {
    "trends": {
        "events": ["page_view"],
        "metric": "count",
        "interval": "day",
        "breakdown": None,
        "compare": False,
        "date_range": {"from": "2026-01-01", "to": "2026-01-31"},
        "filters": [{"field": "properties.plan", "op": "in", "value": ["pro", "team"]}],
    },
    "funnels": {
        "steps": [{"event_type": "signup"}, {"event_type": "workflow_created"}],
        "window_seconds": 86400,
        "date_range": "last_30_days",
    },
    "retention": {
        "start_event": "signup",
        "return_event": "user_login",
        "period": "week",
        "periods": 4,
        "date_range": {"from": "2026-01-05", "to": "2026-02-01"},
    },
    "ab_test": {
        "exposure_event": "experiment_viewed",
        "variant_property": "variant",
        "goal_event": "purchase",
        "window_seconds": 86400,
        "date_range": {"from": "2026-01-01", "to": "2026-01-31"},
    },
}


class AnalysisView(WorkspaceScopedMixin, GenericAPIView):
    """Run one analysis over the workspace's events; answers are cached (business policy)."""

    queryset = Event.objects.none()
    rate_limit_group = "analysis"
    # Running an analysis reads; POST only carries the query, so viewers may run one too.
    write_roles = frozenset(Role)
    kind: str = ""
    token_write_scope = TokenScope.READ

    def post(self, request, **kwargs):
        result = analysis_run(
            kind=self.kind,
            data=request.data,
            workspace_id=request.workspace.id,
            refresh=wants_refresh(request),
        )
        response = Response(result.as_payload(), status=status.HTTP_200_OK)
        if uses_legacy_shapes(request.data):
            deprecation_headers(response, LEGACY_QUERY_SHAPES)
        return response


def _analysis_view(kind: str) -> type[AnalysisView]:
    """One view (and one operation in the schema) per kind, each with its own body."""
    title = "".join(part.capitalize() for part in kind.split("_"))
    body = type(f"{title}Query", (DocumentedBody,), {"openapi_schema": BODY_SCHEMAS[kind]})
    view = type(f"{title}AnalysisView", (AnalysisView,), {"kind": kind})
    return extend_schema_view(
        post=extend_schema(
            summary=f"Run a {kind.replace('_', ' ')} analysis",
            operation_id=f"analytics_analysis_{kind}",
            parameters=[
                OpenApiParameter("refresh", bool, description="Recompute instead of the cache.")
            ],
            request=body,
            responses={200: OpenApiTypes.OBJECT},
            examples=[OpenApiExample(kind, value=EXAMPLES[kind], request_only=True)],
        )
    )(view)


ANALYSIS_VIEWS = {kind: _analysis_view(kind) for kind in ANALYSIS_KINDS}
