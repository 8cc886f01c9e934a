"""Staff console for triggers: see them and their recent runs, edit, disable, rotate."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from executions.choices import TriggerKind
from executions.models import Execution, WorkflowTrigger
from executions.services.trigger_fields import (
    FIELDS_BY_KIND,
    schedule_rule_errors,
    trigger_fields_clean,
)
from executions.services.triggers import trigger_delete, trigger_rotate_secret, trigger_update
from synapscale.admin_audit import AuditedModelAdmin

RECENT_EXECUTIONS = 10


class WorkflowTriggerAdminForm(forms.ModelForm):
    class Meta:
        model = WorkflowTrigger
        fields = FIELDS_BY_KIND[TriggerKind.WEBHOOK] + FIELDS_BY_KIND[TriggerKind.SCHEDULE]

    def clean(self):
        cleaned = super().clean()
        try:
            trigger_fields_clean({name: cleaned.get(name) for name in self.fields})
        except ValidationError as exc:
            for field, messages_ in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, messages_)
        if "cron" in self.fields:
            for field, messages_ in schedule_rule_errors(
                cleaned.get("cron"), cleaned.get("interval_seconds")
            ).items():
                self.add_error(field, messages_)
        return cleaned


@admin.register(WorkflowTrigger)
class WorkflowTriggerAdmin(AuditedModelAdmin):
    form = WorkflowTriggerAdminForm
    list_display = (
        "__str__",
        "public_id",
        "workflow",
        "auth",
        "response_mode",
        "rate_limit",
        "is_enabled",
        "created_at",
    )
    list_filter = ("kind", "auth", "response_mode", "is_enabled")
    list_select_related = ("workflow",)
    search_fields = ("=public_id", "name", "workflow__name")
    date_hierarchy = "created_at"
    actions = ("disable_triggers", "enable_triggers", "rotate_secrets")
    readonly_fields = (
        "workflow",
        "kind",
        "public_id",
        "auth",
        "created_by",
        "created_at",
        "secret_rotated_at",
        "last_fired_at",
        "recent_executions",
    )

    def get_fields(self, request, obj=None):
        kind = obj.kind if obj is not None else TriggerKind.WEBHOOK
        own = ("public_id", "auth", "secret_rotated_at")
        if kind == TriggerKind.SCHEDULE:
            own = ("last_fired_at",)
        return (
            "workflow",
            "kind",
            *own,
            *FIELDS_BY_KIND[kind],
            "created_by",
            "created_at",
            "recent_executions",
        )

    def has_add_permission(self, request):
        # Users create triggers through the API, which shows the secret once.
        return False

    def save_model(self, request, obj, form, change):
        # Validation (methods, wait, rate, body cap) lives in the service; the admin uses it.
        changes = {name: form.cleaned_data[name] for name in FIELDS_BY_KIND[obj.kind]}
        saved = trigger_update(trigger=WorkflowTrigger.objects.get(pk=obj.pk), **changes)
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        trigger_delete(trigger=obj)

    def delete_queryset(self, request, queryset):
        # Through the service: a schedule's beat entry goes with it.
        for trigger in queryset:
            trigger_delete(trigger=trigger)

    @admin.display(description="recent executions")
    def recent_executions(self, trigger: WorkflowTrigger):
        executions = Execution.objects.filter(trigger_source=trigger).order_by("-created_at")[
            :RECENT_EXECUTIONS
        ]
        rows = format_html_join(
            "",
            '<li><a href="{}">#{}</a> {} {}</li>',
            (
                (
                    reverse("admin:executions_execution_change", args=[e.pk]),
                    e.pk,
                    e.status,
                    e.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                )
                for e in executions.only("id", "status", "created_at")
            ),
        )
        return format_html("<ul>{}</ul>", rows) if rows else "-"

    @admin.action(
        description="Disable the selected triggers (their URLs answer 404)", permissions=["change"]
    )
    def disable_triggers(self, request, queryset):
        self._set_enabled(request, queryset, enabled=False)

    @admin.action(description="Enable the selected triggers", permissions=["change"])
    def enable_triggers(self, request, queryset):
        self._set_enabled(request, queryset, enabled=True)

    def _set_enabled(self, request, queryset, *, enabled: bool) -> None:
        for trigger in queryset:
            trigger_update(trigger=trigger, is_enabled=enabled)
        verb = "Enabled" if enabled else "Disabled"
        self.message_user(request, f"{verb} {queryset.count()} trigger(s).", messages.SUCCESS)

    @admin.action(
        description="Rotate the secrets of the selected webhooks (old URLs stop)",
        permissions=["change"],
    )
    def rotate_secrets(self, request, queryset):
        queryset = queryset.filter(kind=TriggerKind.WEBHOOK)
        for trigger in queryset:
            trigger_rotate_secret(trigger=trigger)
        self.message_user(
            request,
            f"Rotated {queryset.count()} secret(s); the owners get the new ones by rotating "
            "again through the API (secrets are shown only to whoever rotates).",
            messages.WARNING,
        )
