"""Staff console: workflows, and executions read-only with their node runs and logs."""

from __future__ import annotations

import re

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from executions.choices import RetryMode
from executions.constants import OBJECT_ID_PATTERN
from executions.engine.validation import definition_errors
from executions.models import Execution, ExecutionLog, NodeRun, Workflow
from executions.services.executions import execution_cancel, execution_delete, execution_retry
from executions.services.workflows import (
    validate_workflow_definition,
    workflow_create,
    workflow_update,
)
from synapscale.admin_audit import AuditedModelAdmin
from synapscale.api.exceptions import ApplicationError


class WorkflowAdminForm(forms.ModelForm):
    class Meta:
        model = Workflow
        fields = ("workspace", "name", "description", "definition", "is_active")

    def clean_definition(self):
        definition = self.cleaned_data["definition"]
        errors = definition_errors(definition)
        if errors:
            raise ValidationError(
                [
                    f"{path}: {message}"
                    for path, messages_ in errors.items()
                    for message in messages_
                ]
            )
        return definition

    def clean(self):
        cleaned = super().clean()
        workspace, definition = cleaned.get("workspace"), cleaned.get("definition")
        if workspace is not None and definition is not None:
            # The credentials the nodes name must exist in the workflow's workspace.
            try:
                validate_workflow_definition(definition, workspace_id=workspace.id)
            except ValidationError as exc:
                for path, messages_ in exc.message_dict.items():
                    self.add_error("definition", [f"{path}: {m}" for m in messages_])
        return cleaned


@admin.register(Workflow)
class WorkflowAdmin(AuditedModelAdmin):
    form = WorkflowAdminForm
    list_display = ("name", "workspace", "version", "is_active", "created_by", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "description")
    list_select_related = ("workspace", "created_by")
    autocomplete_fields = ("workspace",)
    readonly_fields = ("version", "created_by", "created_at", "updated_at")
    date_hierarchy = "created_at"

    def save_model(self, request, obj, form, change):
        # The services own versioning and validation; the admin goes through them too.
        data = {name: form.cleaned_data[name] for name in ("name", "description", "definition")}
        data["is_active"] = form.cleaned_data["is_active"]
        if change:
            saved = workflow_update(
                workflow=Workflow.objects.get(pk=obj.pk), user=request.user, **data
            )
        else:
            saved = workflow_create(
                workspace=form.cleaned_data["workspace"], user=request.user, **data
            )
        obj.pk, obj.version, obj.created_at = saved.pk, saved.version, saved.created_at


class NodeRunInline(admin.TabularInline):
    model = NodeRun
    extra = 0
    can_delete = False
    fields = (
        "node_id",
        "node_type",
        "status",
        "attempts",
        "is_reused",
        "started_at",
        "duration_ms",
        "error",
        "output",
    )
    readonly_fields = fields
    ordering = ("position", "id")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ExecutionLogInline(admin.TabularInline):
    model = ExecutionLog
    extra = 0
    can_delete = False
    fields = ("created_at", "level", "node_id", "message", "data")
    readonly_fields = fields
    ordering = ("created_at", "id")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Execution)
class ExecutionAdmin(AuditedModelAdmin):
    list_display = (
        "id",
        "workflow",
        "workspace",
        "status",
        "trigger",
        "priority",
        "created_at",
        "duration",
    )
    list_filter = (
        "status",
        "trigger",
        ("workflow", admin.RelatedOnlyFieldListFilter),
        ("trigger_source", admin.RelatedOnlyFieldListFilter),
        "created_at",
    )
    list_select_related = ("workflow", "workspace")
    search_fields = ("=id", "idempotency_key")
    date_hierarchy = "created_at"
    show_full_result_count = False
    inlines = (NodeRunInline, ExecutionLogInline)
    actions = ("cancel_executions", "retry_from_start", "retry_from_failure", "delete_finished")
    readonly_fields = (
        "workspace",
        "workflow",
        "workflow_version",
        "status",
        "priority",
        "trigger",
        "trigger_source",
        "retry_of",
        "retry_mode",
        "idempotency_key",
        "created_by",
        "created_at",
        "queued_at",
        "started_at",
        "finished_at",
        "duration",
        "timeout_seconds",
        "cancel_requested_at",
        "waiting_since",
        "input",
        "output",
        "error",
        "definition",
    )
    fields = readonly_fields

    def get_search_results(self, request, queryset, search_term):
        # "=id" would compare a non-numeric term with an integer column; only try ASCII numbers
        # that fit the column.
        term = search_term.strip()
        if re.fullmatch(OBJECT_ID_PATTERN, term):
            return queryset.filter(pk=int(term)) | queryset.filter(idempotency_key=term), False
        return queryset.filter(idempotency_key=term) if term else queryset, False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deleting goes through the service (finished only)
        return actions

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # The model permission first: view-only staff delete nothing, finished or not.
        return super().has_delete_permission(request, obj) and (obj is None or obj.is_finished)

    def has_operate_permission(self, request):
        # The form is read-only for everyone (has_change_permission), but cancelling and
        # retrying change executions: they take the model's change permission.
        return request.user.has_perm(f"{self.opts.app_label}.change_{self.opts.model_name}")

    @admin.display(description="duration", ordering="duration_ms")
    def duration(self, execution):
        if execution.duration_ms is None:
            return "-"
        if execution.duration_ms < 1000:
            return f"{execution.duration_ms} ms"
        return f"{execution.duration_ms / 1000:.1f} s"

    def _apply(self, request, queryset, verb: str, apply) -> None:
        done, refused = 0, []
        for execution in queryset:
            try:
                apply(execution)
                done += 1
            except (ApplicationError, ValidationError) as exc:
                refused.append(f"#{execution.pk}: {getattr(exc, 'detail', exc)}")
        if done:
            self.message_user(request, f"{verb} {done} execution(s).", messages.SUCCESS)
        if refused:
            self.message_user(request, "Refused: " + "; ".join(refused), messages.WARNING)

    @admin.action(description="Cancel the selected executions", permissions=["operate"])
    def cancel_executions(self, request, queryset):
        self._apply(
            request,
            queryset,
            "Cancelled",
            lambda e: execution_cancel(execution=e, user=request.user),
        )

    @admin.action(
        description="Retry the selected executions from the start", permissions=["operate"]
    )
    def retry_from_start(self, request, queryset):
        self._apply(
            request,
            queryset,
            "Retried",
            lambda e: execution_retry(execution=e, user=request.user, mode=RetryMode.FROM_START),
        )

    @admin.action(
        description="Retry the selected executions from the failed node", permissions=["operate"]
    )
    def retry_from_failure(self, request, queryset):
        self._apply(
            request,
            queryset,
            "Retried",
            lambda e: execution_retry(execution=e, user=request.user, mode=RetryMode.FROM_FAILURE),
        )

    @admin.action(description="Delete the selected finished executions", permissions=["delete"])
    def delete_finished(self, request, queryset):
        self._apply(request, queryset, "Deleted", lambda e: execution_delete(execution=e))


# Registered on import: the triggers' console lives in its own module.
from executions import admin_credentials, admin_triggers  # noqa: E402, F401
