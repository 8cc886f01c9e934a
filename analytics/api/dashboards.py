"""Dashboards and widgets: CRUD, every widget's data (cached), duplicate."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from analytics.choices import Sharing, WidgetType
from analytics.models import Dashboard, Widget
from analytics.selectors.dashboards import dashboard_data, dashboards_visible, widgets_visible
from analytics.selectors.reports import report_can_edit
from analytics.services.dashboards import (
    MAX_REFRESH_SECONDS,
    MIN_REFRESH_SECONDS,
    dashboard_create,
    dashboard_delete,
    dashboard_duplicate,
    dashboard_update,
    widget_create,
    widget_delete,
    widget_update,
)
from synapscale.api.fields import StrictBooleanField, StrictIntegerField, StrictModelSerializer
from synapscale.api.params import wants_refresh
from synapscale.api.viewsets import WorkspaceModelViewSet, validated_input


class WidgetSerializer(StrictModelSerializer):
    class Meta:
        model = Widget
        fields = [
            "id",
            "dashboard",
            "title",
            "type",
            "query",
            "metric",
            "position_x",
            "position_y",
            "width",
            "height",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class WidgetInSerializer(serializers.Serializer):
    dashboard = StrictIntegerField(help_text="Only when creating.")
    title = serializers.CharField(max_length=200)
    type = serializers.ChoiceField(choices=WidgetType.choices)
    query = serializers.JSONField(required=False, allow_null=True, default=None)
    metric = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)
    position_x = StrictIntegerField(min_value=0, max_value=1000, default=0)
    position_y = StrictIntegerField(min_value=0, max_value=1000, default=0)
    width = StrictIntegerField(min_value=1, max_value=24, default=4)
    height = StrictIntegerField(min_value=1, max_value=24, default=3)


class DashboardSerializer(StrictModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True, default=None)
    widgets = WidgetSerializer(many=True, read_only=True)

    class Meta:
        model = Dashboard
        fields = [
            "id",
            "name",
            "description",
            "date_range",
            "is_default",
            "sharing",
            "refresh_interval",
            "owner",
            "widgets",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


@extend_schema_field(
    {
        "type": "integer",
        "oneOf": [
            {"enum": [0]},
            {"minimum": MIN_REFRESH_SECONDS, "maximum": MAX_REFRESH_SECONDS},
        ],
        "description": f"0 (manual) or {MIN_REFRESH_SECONDS} to {MAX_REFRESH_SECONDS} seconds.",
    }
)
class RefreshIntervalField(StrictIntegerField):
    """Seconds between refreshes (the service checks the range; the schema states it)."""


class DashboardInSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    date_range = serializers.JSONField(required=False, allow_null=True, default=None)
    is_default = StrictBooleanField(default=False)
    sharing = serializers.ChoiceField(choices=Sharing.choices, default=Sharing.WORKSPACE)
    refresh_interval = RefreshIntervalField(default=300)


DashboardDataSerializer = inline_serializer(
    name="DashboardData",
    fields={
        "dashboard": StrictIntegerField(),
        "date_range": serializers.JSONField(allow_null=True),
        "refresh_interval": StrictIntegerField(),
        "widgets": serializers.ListField(child=serializers.DictField()),
    },
)


class _EditableMixin:
    def _require_editor(self, owner_object):
        if not report_can_edit(
            report=owner_object, user=self.request.user, membership=self.request.membership
        ):
            raise PermissionDenied("Only the owner or a workspace admin may change this dashboard.")


class DashboardViewSet(_EditableMixin, WorkspaceModelViewSet):
    rate_limit_group = {"data": "analysis"}
    queryset = Dashboard.objects.all()
    serializer_class = DashboardSerializer
    search_fields = ["name", "description"]
    ordering_fields = ["name", "created_at", "updated_at"]
    ordering = ["-is_default", "name", "id"]
    filterset_fields = ["sharing", "is_default"]

    def scope_queryset(self, queryset):
        return dashboards_visible(queryset=queryset, user=self.request.user)

    @extend_schema(summary="List dashboards")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="Get a dashboard with its widgets")
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Create a dashboard",
        request=DashboardInSerializer,
        responses={201: DashboardSerializer},
    )
    def create(self, request, *args, **kwargs):
        data = DashboardInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dashboard = dashboard_create(
            workspace=request.workspace, owner=request.user, **data.validated_data
        )
        return Response(DashboardSerializer(dashboard).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Replace a dashboard",
        request=DashboardInSerializer,
        responses={200: DashboardSerializer},
    )
    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        dashboard = self.get_object()
        self._require_editor(dashboard)
        changes = validated_input(DashboardInSerializer, request, partial=partial)
        dashboard = dashboard_update(dashboard=dashboard, **changes)
        return Response(DashboardSerializer(self.get_object()).data)

    @extend_schema(
        summary="Change a dashboard",
        request=DashboardInSerializer,
        responses={200: DashboardSerializer},
    )
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(summary="Delete a dashboard", responses={204: None})
    def destroy(self, request, *args, **kwargs):
        dashboard = self.get_object()
        self._require_editor(dashboard)
        dashboard_delete(dashboard=dashboard)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Every widget's data (each cached under its policy; ?refresh=true recomputes)",
        responses={200: DashboardDataSerializer},
    )
    @action(detail=True, methods=["get"])
    def data(self, request, *args, **kwargs):
        return Response(dashboard_data(dashboard=self.get_object(), refresh=wants_refresh(request)))

    @extend_schema(
        summary="Duplicate a dashboard and its widgets",
        request=None,
        responses={201: DashboardSerializer},
    )
    @action(detail=True, methods=["post"])
    def duplicate(self, request, *args, **kwargs):
        copy = dashboard_duplicate(dashboard=self.get_object(), owner=request.user)
        return Response(DashboardSerializer(copy).data, status=status.HTTP_201_CREATED)


class WidgetViewSet(_EditableMixin, WorkspaceModelViewSet):
    queryset = Widget.objects.all()
    serializer_class = WidgetSerializer
    workspace_field = "dashboard__workspace"
    ordering_fields = ["position_y", "position_x", "created_at"]
    ordering = ["dashboard_id", "position_y", "position_x", "id"]
    filterset_fields = ["dashboard", "type"]

    def scope_queryset(self, queryset):
        return widgets_visible(queryset=queryset, user=self.request.user)

    @extend_schema(summary="List widgets")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="Get a widget")
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Add a widget to a dashboard",
        request=WidgetInSerializer,
        responses={201: WidgetSerializer},
    )
    def create(self, request, *args, **kwargs):
        data = WidgetInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        dashboards = dashboards_visible(
            queryset=Dashboard.objects.filter(workspace=request.workspace), user=request.user
        )
        dashboard = dashboards.filter(pk=fields.pop("dashboard")).first()
        if dashboard is None:
            raise serializers.ValidationError(
                {"dashboard": ["No such dashboard in this workspace."]}
            )
        self._require_editor(dashboard)
        widget = widget_create(dashboard=dashboard, **fields)
        return Response(WidgetSerializer(widget).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Replace a widget", request=WidgetInSerializer, responses={200: WidgetSerializer}
    )
    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        widget = self.get_object()
        self._require_editor(widget.dashboard)
        if not isinstance(request.data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Send a JSON object."]})
        changes = validated_input(
            WidgetInSerializer,
            request,
            partial=partial,
            data={**request.data, "dashboard": widget.dashboard_id},
        )
        changes.pop("dashboard", None)  # a widget does not move between dashboards
        widget = widget_update(widget=widget, **changes)
        return Response(WidgetSerializer(widget).data)

    @extend_schema(
        summary="Change a widget", request=WidgetInSerializer, responses={200: WidgetSerializer}
    )
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(summary="Delete a widget", responses={204: None})
    def destroy(self, request, *args, **kwargs):
        widget = self.get_object()
        self._require_editor(widget.dashboard)
        widget_delete(widget=widget)
        return Response(status=status.HTTP_204_NO_CONTENT)
