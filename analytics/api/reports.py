"""Reports: CRUD, runs on Celery, run history and the cached latest result."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from analytics.choices import RunTrigger, Sharing
from analytics.models import Report, ReportRun
from analytics.selectors.reports import (
    report_can_edit,
    report_result_cached,
    report_runs,
    reports_visible,
)
from analytics.services.reports import (
    report_create,
    report_delete,
    report_run_request,
    report_update,
)
from synapscale.api.fields import StrictBooleanField, StrictIntegerField, StrictModelSerializer
from synapscale.api.pagination import PageNumberPagination
from synapscale.api.params import wants_refresh
from synapscale.api.viewsets import WorkspaceModelViewSet, validated_input


class ReportRunSerializer(StrictModelSerializer):
    class Meta:
        model = ReportRun
        fields = [
            "id",
            "report",
            "status",
            "trigger",
            "triggered_by",
            "row_count",
            "duration_ms",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class ReportSerializer(StrictModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True, default=None)

    class Meta:
        model = Report
        fields = [
            "id",
            "name",
            "description",
            "query",
            "schedule",
            "sharing",
            "owner",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ReportInSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    query = serializers.JSONField(
        help_text="source, metric, property, filters, group_by, date_range"
    )
    schedule = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=100, help_text="Cron, UTC."
    )
    sharing = serializers.ChoiceField(choices=Sharing.choices, default=Sharing.WORKSPACE)


ReportResultSerializer = inline_serializer(
    name="ReportResult",
    fields={
        "report": StrictIntegerField(),
        "run": StrictIntegerField(),
        "finished_at": serializers.DateTimeField(),
        "rows": serializers.ListField(child=serializers.DictField()),
        "row_count": StrictIntegerField(),
        "truncated": StrictBooleanField(),
        "date_from": serializers.DateTimeField(),
        "date_to": serializers.DateTimeField(),
        "is_cached": StrictBooleanField(),
        "cached_at": serializers.DateTimeField(allow_null=True),
    },
)


class ReportViewSet(WorkspaceModelViewSet):
    rate_limit_group = {"run": "analysis", "result": "analysis"}
    queryset = Report.objects.all()
    serializer_class = ReportSerializer
    search_fields = ["name", "description"]
    ordering_fields = ["name", "created_at", "updated_at"]
    ordering = ["-created_at", "-id"]
    filterset_fields = ["sharing"]

    def scope_queryset(self, queryset):
        return reports_visible(queryset=queryset, user=self.request.user)

    def _editable(self, report):
        if not report_can_edit(
            report=report, user=self.request.user, membership=self.request.membership
        ):
            raise PermissionDenied("Only the owner or a workspace admin may change this report.")
        return report

    @extend_schema(summary="List reports", responses={200: ReportSerializer(many=True)})
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="Get a report", responses={200: ReportSerializer})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Create a report", request=ReportInSerializer, responses={201: ReportSerializer}
    )
    def create(self, request, *args, **kwargs):
        data = ReportInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = report_create(
            workspace=request.workspace, owner=request.user, **data.validated_data
        )
        return Response(ReportSerializer(report).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Replace a report", request=ReportInSerializer, responses={200: ReportSerializer}
    )
    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        report = self._editable(self.get_object())
        changes = validated_input(ReportInSerializer, request, partial=partial)
        report = report_update(report=report, **changes)
        return Response(ReportSerializer(report).data)

    @extend_schema(
        summary="Change a report", request=ReportInSerializer, responses={200: ReportSerializer}
    )
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(summary="Delete a report", responses={204: None})
    def destroy(self, request, *args, **kwargs):
        report_delete(report=self._editable(self.get_object()))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Run a report now (on a worker)", request=None, responses={202: ReportRunSerializer}
    )
    @action(detail=True, methods=["post"])
    def run(self, request, *args, **kwargs):
        run = report_run_request(
            report=self.get_object(), trigger=RunTrigger.MANUAL, user=request.user
        )
        return Response(ReportRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="A report's runs, newest first", responses={200: ReportRunSerializer(many=True)}
    )
    @action(detail=True, methods=["get"], pagination_class=PageNumberPagination)
    def runs(self, request, *args, **kwargs):
        page = self.paginate_queryset(report_runs(report=self.get_object()))
        return self.get_paginated_response(ReportRunSerializer(page, many=True).data)

    @extend_schema(
        summary="The latest result (cached 1800 s; ?refresh=true recomputes)",
        responses={200: ReportResultSerializer},
    )
    @action(detail=True, methods=["get"])
    def result(self, request, *args, **kwargs):
        cached = report_result_cached(report=self.get_object(), refresh=wants_refresh(request))
        if cached is None:
            raise NotFound("This report has no successful run yet; POST .../run/ first.")
        return Response(cached.as_payload())
