"""/api/v1/analytics/insights/: what the platform found, and the reader's response to it."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from analytics.filtersets import InsightFilterSet
from analytics.models import Insight
from analytics.selectors.insights import (
    insights_for_workspace,
    insights_summary,
)
from analytics.services import insights as insight_services
from synapscale.api.fields import StrictBooleanField, StrictIntegerField, StrictModelSerializer
from synapscale.api.viewsets import WorkspaceReadOnlyModelViewSet


class InsightSerializer(StrictModelSerializer):
    is_read = serializers.SerializerMethodField()
    is_dismissed = serializers.SerializerMethodField()

    class Meta:
        model = Insight
        fields = [
            "id",
            "kind",
            "severity",
            "title",
            "description",
            "data",
            "detected_at",
            "expires_at",
            "is_read",
            "read_at",
            "is_dismissed",
            "dismissed_at",
            "feedback",
            "feedback_comment",
        ]
        read_only_fields = fields

    def get_is_read(self, insight) -> bool:
        return insight.read_at is not None

    def get_is_dismissed(self, insight) -> bool:
        return insight.dismissed_at is not None


class FeedbackSerializer(serializers.Serializer):
    useful = StrictBooleanField()
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True)


SummarySerializer = inline_serializer(
    name="InsightSummary",
    fields={
        "open": StrictIntegerField(),
        "unread": StrictIntegerField(),
        "by_kind": serializers.DictField(child=StrictIntegerField()),
        "by_severity": serializers.DictField(child=StrictIntegerField()),
    },
)


@extend_schema(tags=["analytics: insights"])
class InsightViewSet(WorkspaceReadOnlyModelViewSet):
    """Insights of the request's workspace: open ones by default, newest first."""

    serializer_class = InsightSerializer
    filterset_class = InsightFilterSet
    ordering_fields = ["detected_at", "severity"]
    ordering = ["-detected_at", "-id"]
    search_fields = ["title"]

    def get_base_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Insight.objects.none()
        return insights_for_workspace(workspace_id=self.request.workspace.id)

    @extend_schema(summary="List insights (open ones unless status says otherwise)")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="Get an insight")
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Mark an insight read",
        request=None,
        responses={200: InsightSerializer},
    )
    @action(detail=True, methods=["post"])
    def read(self, request, *args, **kwargs):
        insight = insight_services.insight_mark_read(insight=self.get_object())
        return Response(InsightSerializer(insight).data)

    @extend_schema(
        summary="Dismiss an insight",
        request=None,
        responses={200: InsightSerializer},
    )
    @action(detail=True, methods=["post"])
    def dismiss(self, request, *args, **kwargs):
        insight = insight_services.insight_dismiss(insight=self.get_object())
        return Response(InsightSerializer(insight).data)

    @extend_schema(
        summary="Say whether an insight was useful",
        request=FeedbackSerializer,
        responses={200: InsightSerializer},
    )
    @action(detail=True, methods=["post"])
    def feedback(self, request, *args, **kwargs):
        serializer = FeedbackSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        insight = insight_services.insight_give_feedback(
            insight=self.get_object(), user=request.user, **serializer.validated_data
        )
        return Response(InsightSerializer(insight).data)

    @extend_schema(
        summary="Count open insights by kind and severity, and the unread ones",
        responses={200: SummarySerializer},
    )
    @action(detail=False, methods=["get"], filterset_class=None)
    def summary(self, request, *args, **kwargs):
        return Response(insights_summary(workspace_id=request.workspace.id))
