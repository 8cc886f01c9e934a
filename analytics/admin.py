"""Staff console for analytics: browse events and rollups, manage reports, dashboards, exports."""

from django.contrib import admin, messages

from analytics import admin_alerts  # noqa: F401 - registers insights and alert rules
from analytics.choices import RunTrigger
from analytics.models import (
    Dashboard,
    Event,
    EventHourlyCount,
    Export,
    Report,
    ReportRun,
    Widget,
)
from analytics.services.exports import exports_expire
from analytics.services.reports import report_run_request
from synapscale.admin_audit import AuditedModelAdmin


@admin.register(Event)
class EventAdmin(AuditedModelAdmin):
    list_display = ("event_type", "distinct_id", "workspace", "created_at", "received_at")
    list_filter = ("event_type",)
    search_fields = ("=distinct_id", "=session_id", "=event_id")
    raw_id_fields = ("workspace", "user")
    list_select_related = ("workspace",)
    show_full_result_count = False  # counting millions of rows on every page is not worth it
    ordering = ("-created_at",)

    def has_add_permission(self, request):
        return False  # events arrive through ingestion only

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(EventHourlyCount)
class EventHourlyCountAdmin(AuditedModelAdmin):
    list_display = ("workspace", "event_type", "hour", "count")
    list_filter = ("event_type",)
    raw_id_fields = ("workspace",)
    list_select_related = ("workspace",)
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReportRunInline(admin.TabularInline):
    model = ReportRun
    extra = 0
    fields = ("status", "trigger", "row_count", "duration_ms", "error", "created_at")
    readonly_fields = fields
    can_delete = False
    ordering = ("-created_at",)
    max_num = 0


@admin.register(Report)
class ReportAdmin(AuditedModelAdmin):
    list_display = ("name", "workspace", "owner", "schedule", "sharing", "created_at")
    list_filter = ("sharing",)
    search_fields = ("name",)
    raw_id_fields = ("workspace", "owner", "periodic_task")
    list_select_related = ("workspace", "owner")
    inlines = [ReportRunInline]
    actions = ["run_now"]

    @admin.action(description="Run the selected reports now", permissions=["change"])
    def run_now(self, request, queryset):
        for report in queryset:
            report_run_request(report=report, trigger=RunTrigger.MANUAL, user=request.user)
        self.message_user(request, f"Queued {queryset.count()} run(s).", messages.SUCCESS)


class WidgetInline(admin.TabularInline):
    model = Widget
    extra = 0
    fields = ("title", "type", "metric", "query", "position_x", "position_y", "width", "height")


@admin.register(Dashboard)
class DashboardAdmin(AuditedModelAdmin):
    list_display = ("name", "workspace", "owner", "is_default", "sharing")
    list_filter = ("is_default", "sharing")
    search_fields = ("name",)
    raw_id_fields = ("workspace", "owner")
    list_select_related = ("workspace", "owner")
    inlines = [WidgetInline]


@admin.register(Export)
class ExportAdmin(AuditedModelAdmin):
    list_display = (
        "id",
        "workspace",
        "source",
        "format",
        "status",
        "masked",
        "row_count",
        "expires_at",
    )
    list_filter = ("status", "source", "format", "masked")
    raw_id_fields = ("workspace", "requested_by", "report_run")
    list_select_related = ("workspace",)
    readonly_fields = ("file", "row_count", "size_bytes", "error", "finished_at")
    actions = ["delete_expired_files"]

    @admin.action(description="Delete every expired export file now", permissions=["delete"])
    def delete_expired_files(self, request, queryset):
        self.message_user(request, f"Expired {exports_expire()} export(s).", messages.SUCCESS)
