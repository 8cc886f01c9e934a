"""Staff console for users, workspaces and memberships."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction

from synapscale.admin_audit import AuditedAdminMixin, AuditedModelAdmin
from synapscale.models import ApiToken, AuditEvent, Membership, User, Workspace, WorkspaceQuota
from synapscale.quotas import QUOTAS, quota_overrides_forget
from synapscale.services.audit import record_audit_event
from synapscale.services.tokens import token_revoke
from synapscale.services.workspaces import workspace_rotate_ingestion_key


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)
    fields = ("user", "role", "created_at")
    readonly_fields = ("created_at",)


class WorkspaceQuotaInline(admin.StackedInline):
    model = WorkspaceQuota
    extra = 0
    max_num = 1
    can_delete = True
    fields = (*QUOTAS, "updated_at")
    readonly_fields = ("updated_at",)
    verbose_name = "quota override (an empty field keeps the default from settings)"


@admin.register(User)
class UserAdmin(AuditedAdminMixin, DjangoUserAdmin):
    list_display = ("username", "email", "is_staff", "is_active", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active")

    def user_change_password(self, request, id, form_url=""):
        # Django's own view saves the form itself, outside save_model.
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                record_audit_event(
                    action="user.admin_password_changed",
                    target=User.objects.get(pk=id),
                    actor=request.user,
                    request=request,
                )
        return response


@admin.register(Workspace)
class WorkspaceAdmin(AuditedModelAdmin):
    list_display = ("name", "slug", "is_personal", "member_count", "created_at")
    list_filter = ("is_personal",)
    search_fields = ("name", "slug")
    readonly_fields = ("ingestion_key", "created_at")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (MembershipInline, WorkspaceQuotaInline)
    actions = ("rotate_ingestion_keys",)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # This process sees the new limits at once; the others within
        # QUOTA_OVERRIDE_CACHE_SECONDS.
        quota_overrides_forget(form.instance.pk)

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(_member_count=Count("memberships"))

    @admin.display(description="members", ordering="_member_count")
    def member_count(self, workspace):
        return workspace._member_count

    @admin.action(
        description="Rotate ingestion keys of the selected workspaces", permissions=["change"]
    )
    def rotate_ingestion_keys(self, request, queryset):
        for workspace in queryset:
            workspace_rotate_ingestion_key(workspace=workspace)
        self.message_user(request, f"Rotated {queryset.count()} ingestion key(s).")


@admin.register(Membership)
class MembershipAdmin(AuditedModelAdmin):
    list_display = ("user", "workspace", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("user__username", "workspace__slug")
    list_select_related = ("user", "workspace")
    autocomplete_fields = ("user", "workspace")


@admin.register(AuditEvent)
class AuditEventAdmin(AuditedModelAdmin):
    """Staff read the audit log here; nobody adds, changes or deletes an event."""

    list_display = ("created_at", "action", "actor_label", "workspace_id", "target", "client_ip")
    list_filter = ("action",)
    search_fields = ("action", "actor_label", "target_type", "target_id", "request_id")
    date_hierarchy = "created_at"
    show_full_result_count = False  # a count over the whole log on every page is not worth it

    @admin.display(description="target")
    def target(self, event):
        return f"{event.target_type}:{event.target_id}" if event.target_type else "-"

    def get_actions(self, request):
        return {}

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedModelAdmin):
    """Staff see and revoke tokens; nobody adds or edits one here (no secret is ever shown)."""

    list_display = ("name", "prefix", "user", "scopes", "created_at", "last_used_at", "expires_at")
    list_filter = ("revoked_at", "expires_at")
    search_fields = ("name", "prefix", "user__username")
    list_select_related = ("user",)
    readonly_fields = [field.name for field in ApiToken._meta.fields if field.name != "digest"]
    exclude = ("digest",)
    actions = ("revoke_tokens",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Revoke the selected tokens", permissions=["revoke"])
    def revoke_tokens(self, request, queryset):
        for token in queryset:
            token_revoke(token=token)
        self.message_user(request, f"Revoked {len(queryset)} token(s).")

    def has_revoke_permission(self, request):
        # Nobody edits a token's form, but revoking changes it: the model's change permission.
        return request.user.has_perm(f"{self.opts.app_label}.change_{self.opts.model_name}")
