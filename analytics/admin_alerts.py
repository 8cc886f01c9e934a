"""Staff console for insights and alert rules (imported by ``analytics.admin``)."""

from django.contrib import admin, messages

from analytics.models import AlertEvent, AlertRule, Insight
from analytics.services import alerts as alert_services
from analytics.services.insights import insight_dismiss
from synapscale.admin_audit import AuditedModelAdmin


@admin.register(Insight)
class InsightAdmin(AuditedModelAdmin):
    list_display = (
        "title",
        "kind",
        "severity",
        "workspace",
        "detected_at",
        "expires_at",
        "dismissed_at",
        "feedback",
    )
    list_filter = ("kind", "severity", "feedback")
    search_fields = ("title", "fingerprint")
    raw_id_fields = ("workspace", "feedback_by")
    list_select_related = ("workspace",)
    readonly_fields = (
        "fingerprint",
        "data",
        "detected_at",
        "closed_at",
        "read_at",
        "dismissed_at",
        "feedback",
        "feedback_comment",
        "feedback_by",
    )
    ordering = ("-detected_at",)
    actions = ("dismiss",)

    def has_add_permission(self, request):
        return False  # insights come from detection only

    @admin.action(description="Dismiss the selected insights", permissions=["change"])
    def dismiss(self, request, queryset):
        for insight in queryset:
            insight_dismiss(insight=insight)
        self.message_user(request, f"Dismissed {queryset.count()} insight(s).", messages.SUCCESS)


class AlertEventInline(admin.TabularInline):
    model = AlertEvent
    extra = 0
    fields = ("kind", "value", "threshold", "created_at", "notification_status", "error")
    readonly_fields = fields
    can_delete = False
    ordering = ("-created_at",)
    max_num = 0


@admin.register(AlertRule)
class AlertRuleAdmin(AuditedModelAdmin):
    list_display = (
        "name",
        "workspace",
        "metric",
        "condition",
        "threshold",
        "state",
        "last_value",
        "last_evaluated_at",
        "last_triggered_at",
    )
    list_filter = ("state", "metric", "severity")
    search_fields = ("name",)
    raw_id_fields = ("workspace", "owner", "report")
    list_select_related = ("workspace",)
    readonly_fields = (
        "state",
        "webhook_secret",
        "evaluating_since",
        "next_evaluation_at",
        "last_value",
        "last_error",
        "last_evaluated_at",
        "last_triggered_at",
        "last_notified_at",
        "created_at",
        "updated_at",
    )
    inlines = (AlertEventInline,)
    actions = ("pause", "resume")

    @admin.action(description="Pause the selected rules", permissions=["change"])
    def pause(self, request, queryset):
        for rule in queryset:
            alert_services.alert_rule_pause(rule=rule)
        self.message_user(request, f"Paused {queryset.count()} rule(s).", messages.SUCCESS)

    @admin.action(description="Resume the selected rules", permissions=["change"])
    def resume(self, request, queryset):
        for rule in queryset:
            alert_services.alert_rule_resume(rule=rule)
        self.message_user(request, f"Resumed {queryset.count()} rule(s).", messages.SUCCESS)
