"""Exports: request (built on a worker), list, read, download (members only)."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.db.models import Q
from django.http import FileResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from analytics.api.deprecations import LEGACY_QUERY_SHAPES
from analytics.api.query_fields import FILTERS_SCHEMA, DateRangeField
from analytics.choices import ExportFormat, ExportSource, ExportStatus
from analytics.filtersets import ExportFilterSet
from analytics.models import Export, Report
from analytics.query_language import filters_are_legacy
from analytics.selectors.reports import reports_visible
from analytics.services.exports import (
    export_can_download,
    export_download_record,
    export_request,
)
from synapscale.api.deprecation import deprecation_headers
from synapscale.api.exceptions import ApplicationError
from synapscale.api.fields import StrictIntegerField, StrictModelSerializer
from synapscale.api.schema import problem
from synapscale.api.viewsets import WorkspaceViewSet
from synapscale.choices import MANAGE_ROLES

CONTENT_TYPES = {ExportFormat.CSV: "text/csv", ExportFormat.JSONL: "application/x-ndjson"}


class ExportSerializer(StrictModelSerializer):
    requested_by = serializers.CharField(
        source="requested_by.username", read_only=True, default=None
    )

    class Meta:
        model = Export
        fields = [
            "id",
            "source",
            "filters",
            "report_run",
            "format",
            "masked",
            "status",
            "row_count",
            "size_bytes",
            "expires_at",
            "error",
            "requested_by",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields


@extend_schema_field(
    {
        "oneOf": [
            FILTERS_SCHEMA,
            {
                "type": "object",
                "description": "For an audit export: the filters of GET /api/v1/audit/.",
                "additionalProperties": True,
            },
        ]
    }
)
class ExportFiltersField(serializers.JSONField):
    """Events and executions take the query language's list; audit its list's filters."""


class ExportInSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=ExportSource.choices)
    format = serializers.ChoiceField(choices=ExportFormat.choices, default=ExportFormat.CSV)
    filters = ExportFiltersField(required=False, default=None)
    date_range = DateRangeField(required=False, default=None)
    report_run = StrictIntegerField(required=False, allow_null=True, default=None)


class ExportViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, WorkspaceViewSet
):
    rate_limit_group = {"create": "exports"}
    queryset = Export.objects.select_related("requested_by")
    serializer_class = ExportSerializer
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]
    filterset_class = ExportFilterSet

    def scope_queryset(self, queryset):
        # The export of a private report's run is as private as the report.
        visible = reports_visible(
            queryset=Report.objects.filter(workspace=self.request.workspace),
            user=self.request.user,
        )
        queryset = queryset.filter(
            ~Q(source=ExportSource.REPORT_RUN) | Q(report_run__report__in=visible)
        )
        if self.request.membership.role not in MANAGE_ROLES:
            # The audit log is the owners' and admins', exported or not.
            queryset = queryset.exclude(source=ExportSource.AUDIT)
        return queryset

    @extend_schema(summary="List exports")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="Get an export")
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Request an export (built on a worker; emails/IPs masked unless you are an admin)",
        request=ExportInSerializer,
        responses={202: ExportSerializer},
    )
    def create(self, request, *args, **kwargs):
        data = ExportInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        export = export_request(
            workspace=request.workspace,
            user=request.user,
            membership=request.membership,
            source=values["source"],
            format=values["format"],
            filters=values["filters"],
            date_range=values["date_range"],
            report_run_id=values["report_run"],
        )
        response = Response(ExportSerializer(export).data, status=status.HTTP_202_ACCEPTED)
        selects_rows = values["source"] in (ExportSource.EVENTS, ExportSource.EXECUTIONS)
        if selects_rows and filters_are_legacy(values["filters"]):
            deprecation_headers(response, LEGACY_QUERY_SHAPES)
        return response

    @extend_schema(
        summary="Download the export's file",
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, "application/x-ndjson"): OpenApiResponse(OpenApiTypes.BINARY),
            409: problem("Not built yet, or failed."),
            410: problem("Expired: the file was deleted."),
        },
    )
    @action(detail=True, methods=["get"])
    def download(self, request, *args, **kwargs):
        export = self.get_object()
        if not export_can_download(export=export, membership=request.membership):
            raise PermissionDenied(
                "This export is unmasked: only workspace admins may download it."
            )
        if export.status == ExportStatus.EXPIRED or (
            export.expires_at is not None and export.expires_at <= timezone.now()
        ):
            raise ApplicationError("This export has expired.", status=410, type_="gone")
        if export.status != ExportStatus.SUCCEEDED:
            raise ApplicationError(
                f"This export is {export.status}.", status=409, type_="not_ready"
            )
        handle = default_storage.open(export.file.name, "rb")
        export_download_record(export=export, user=request.user)
        return FileResponse(
            handle,
            as_attachment=True,
            filename=f"export-{export.pk}.{export.format}",
            content_type=CONTENT_TYPES[export.format],
        )
