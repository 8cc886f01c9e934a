"""POST /api/v1/analytics/analysis/<kind>/: trends, funnels, retention and A/B tests."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from analytics.analysis.specs import ANALYSIS_KINDS
from analytics.models import Event
from analytics.selectors.analysis import analysis_run
from synapscale.api.params import wants_refresh
from synapscale.api.schema import PROBLEM_RESPONSES
from synapscale.api.viewsets import WorkspaceScopedMixin
from synapscale.choices import Role, TokenScope

EXAMPLES = {
    "trends": {
        "events": ["page_view"],
        "metric": "count",
        "interval": "day",
        "breakdown": None,
        "compare": False,
        "date_from": "2026-01-01",
        "date_to": "2026-01-31",
    },
    "funnels": {
        "steps": [{"event_type": "signup"}, {"event_type": "workflow_created"}],
        "window_seconds": 86400,
        "date_from": "2026-01-01",
        "date_to": "2026-01-31",
    },
    "retention": {
        "start_event": "signup",
        "return_event": "user_login",
        "period": "week",
        "periods": 4,
        "date_from": "2026-01-05",
        "date_to": "2026-02-01",
    },
    "ab_test": {
        "exposure_event": "experiment_viewed",
        "variant_property": "variant",
        "goal_event": "purchase",
        "window_seconds": 86400,
        "date_from": "2026-01-01",
        "date_to": "2026-01-31",
    },
}


class AnalysisView(WorkspaceScopedMixin, GenericAPIView):
    """Run one analysis over the workspace's events; answers are cached (business policy)."""

    queryset = Event.objects.none()
    rate_limit_group = "analysis"
    # Running an analysis reads; POST only carries the query, so viewers may run one too.
    write_roles = frozenset(Role)
    token_write_scope = TokenScope.READ

    @extend_schema(
        summary="Run an analysis (trends, funnels, retention or ab_test)",
        parameters=[
            OpenApiParameter("kind", str, OpenApiParameter.PATH, enum=list(ANALYSIS_KINDS)),
            OpenApiParameter("refresh", bool, description="Recompute instead of the cache."),
        ],
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT, **PROBLEM_RESPONSES},
        examples=[
            OpenApiExample(kind, value=example, request_only=True)
            for kind, example in EXAMPLES.items()
        ],
    )
    def post(self, request, kind, **kwargs):
        result = analysis_run(
            kind=kind,
            data=request.data,
            workspace_id=request.workspace.id,
            refresh=wants_refresh(request),
        )
        return Response(result.as_payload(), status=status.HTTP_200_OK)
