"""Realtime and business metrics endpoints (cached under the realtime/business policies)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from analytics.choices import MetricPeriod
from analytics.constants import DATE_BOUNDS_MESSAGE, EARLIEST_DATE, LATEST_DATE
from analytics.selectors.metrics import (
    DEFAULT_RANGE_DAYS,
    MAX_RANGE_DAYS,
    BusinessWindow,
    business_metrics_cached,
    realtime_metrics_cached,
)
from synapscale.api.fields import (
    StrictBooleanField,
    StrictDecimalField,
    StrictFloatField,
    StrictIntegerField,
)
from synapscale.api.params import wants_refresh
from synapscale.api.viewsets import WorkspaceViewSet

_CACHE_FIELDS = {
    "is_cached": StrictBooleanField(),
    "cached_at": serializers.DateTimeField(allow_null=True),
}


def _within_bounds(value):
    # The series reaches a month before date_from: near year 1 or 9999 that is no date at all.
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise serializers.ValidationError(DATE_BOUNDS_MESSAGE)


class BusinessQuerySerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=MetricPeriod.choices, default=MetricPeriod.DAY)
    date_from = serializers.DateField(required=False, validators=[_within_bounds])
    date_to = serializers.DateField(required=False, validators=[_within_bounds])
    refresh = StrictBooleanField(required=False, default=False)

    def validate(self, attrs):
        date_to = attrs.get("date_to") or timezone.now().date()
        default_days = DEFAULT_RANGE_DAYS[attrs["period"]]
        date_from = attrs.get("date_from") or date_to - timedelta(days=default_days - 1)
        if date_from > date_to:
            raise serializers.ValidationError({"date_from": ["Must not be after date_to."]})
        if (date_to - date_from).days + 1 > MAX_RANGE_DAYS:
            raise serializers.ValidationError(
                {"date_from": [f"The range spans at most {MAX_RANGE_DAYS} days."]}
            )
        return BusinessWindow(period=attrs["period"], date_from=date_from, date_to=date_to)


RealtimeSerializer = inline_serializer(
    name="RealtimeMetrics",
    fields={
        "events_per_minute": serializers.ListField(child=serializers.DictField()),
        "active_people_5m": StrictIntegerField(),
        "active_people_60m": StrictIntegerField(),
        "executions_running": StrictIntegerField(),
        "executions_queued": StrictIntegerField(),
        "executions_finished_last_hour": StrictIntegerField(),
        "execution_error_rate": StrictFloatField(allow_null=True),
        "execution_p95_duration_ms": StrictFloatField(allow_null=True),
        "as_of": serializers.DateTimeField(),
        **_CACHE_FIELDS,
    },
)

BusinessSerializer = inline_serializer(
    name="BusinessMetrics",
    fields={
        "period": serializers.CharField(),
        "date_from": serializers.DateField(),
        "date_to": serializers.DateField(),
        "dau": StrictIntegerField(),
        "wau": StrictIntegerField(),
        "mau": StrictIntegerField(),
        "stickiness": StrictFloatField(allow_null=True),
        "active_people_series": serializers.ListField(child=serializers.DictField()),
        "new_users": serializers.DictField(),
        "workflows_created": serializers.DictField(),
        "executions": serializers.DictField(),
        "template_installs": serializers.DictField(),
        "top_templates": serializers.ListField(child=serializers.DictField()),
        "marketplace_revenue": StrictDecimalField(max_digits=14, decimal_places=2),
        "top_event_types": serializers.ListField(child=serializers.DictField()),
        **_CACHE_FIELDS,
    },
)


class MetricsViewSet(WorkspaceViewSet):
    """Metrics of the request's workspace; `?refresh=true` recomputes."""

    pagination_class = None

    @extend_schema(summary="Realtime metrics (cached 60 s)", responses={200: RealtimeSerializer})
    @action(detail=False, methods=["get"])
    def realtime(self, request, *args, **kwargs):
        unknown = set(request.query_params) - {"refresh", "format"}
        if unknown:
            raise serializers.ValidationError(
                {name: ["Unknown query parameter."] for name in unknown}
            )
        result = realtime_metrics_cached(
            workspace_id=request.workspace.id, refresh=wants_refresh(request)
        )
        return Response(result.as_payload())

    @extend_schema(
        summary="Business metrics for a period (cached 300 s)",
        parameters=[BusinessQuerySerializer],
        responses={200: BusinessSerializer},
    )
    @action(detail=False, methods=["get"])
    def business(self, request, *args, **kwargs):
        query = BusinessQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        unknown = set(request.query_params) - set(query.fields) - {"format"}
        if unknown:
            raise serializers.ValidationError(
                {name: ["Unknown query parameter."] for name in unknown}
            )
        result = business_metrics_cached(
            workspace_id=request.workspace.id,
            window=query.validated_data,
            refresh=wants_refresh(request),
        )
        return Response(result.as_payload())
