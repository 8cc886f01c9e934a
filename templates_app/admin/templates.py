"""Template moderation: filters, search, lifecycle actions and the moderation history."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.template.response import TemplateResponse

from synapscale.admin_audit import AuditedModelAdmin
from templates_app.admin.common import apply_to_each
from templates_app.choices import TemplateStatus, VersionStatus
from templates_app.models import (
    Category,
    ModerationEntry,
    Template,
    TemplateInstall,
    TemplateVersion,
)
from templates_app.services import moderation
from templates_app.services.common import invalidate_marketplace
from templates_app.services.moderation import MAX_REASON_LENGTH


class ModerationEntryInline(admin.TabularInline):
    """Who did what and why: the history staff read before acting."""

    model = ModerationEntry
    fields = ("created_at", "action", "actor", "version", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-created_at", "-id")
    verbose_name_plural = "moderation history"

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class TemplateVersionInline(admin.StackedInline):
    """Versions, the one awaiting review first: staff read its definition before approving."""

    model = TemplateVersion
    fields = (
        ("version", "status"),
        ("submitted_by", "submitted_at"),
        ("published_by", "published_at"),
        "changelog",
        "rejection_reason",
        "listing",
        "definition",
        "required_variables",
    )
    readonly_fields = (
        "version",
        "status",
        "submitted_by",
        "submitted_at",
        "published_by",
        "published_at",
        "changelog",
        "rejection_reason",
        "listing",
        "definition",
        "required_variables",
    )
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("published_by", "submitted_by")


class PendingVersionFilter(admin.SimpleListFilter):
    """Published templates whose new version waits for review (their status stays published)."""

    title = "new version"
    parameter_name = "new_version"

    def lookups(self, request, model_admin):
        return (("pending", "Awaiting review"),)

    def queryset(self, request, queryset):
        if self.value() == "pending":
            # At most one pending version per template (a constraint): no duplicate rows.
            return queryset.filter(
                status=TemplateStatus.PUBLISHED, versions__status=VersionStatus.PENDING_REVIEW
            )
        return queryset


class RejectForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        max_length=MAX_REASON_LENGTH,
        help_text="Sent to the author with the rejection.",
    )


@admin.register(Template)
class TemplateAdmin(AuditedModelAdmin):
    """Templates are changed by their authors through the API; staff moderate them here."""

    list_display = (
        "name",
        "status",
        "category",
        "author",
        "version",
        "license",
        "is_featured",
        "is_verified",
        "install_count",
        "rating_avg",
        "rating_count",
        "published_at",
    )
    list_filter = (
        "status",
        PendingVersionFilter,
        "category",
        "is_featured",
        "is_verified",
        "license",
    )
    search_fields = ("name", "slug", "short_description", "author__username", "workspace__slug")
    list_select_related = ("category", "author")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    exclude = ("search_vector",)
    inlines = (ModerationEntryInline, TemplateVersionInline)
    actions = ("approve", "reject", "feature", "unfeature", "verify", "deprecate")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Installs and reviews point at templates; deprecate instead of deleting.
        return False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Template._meta.fields if field.name != "search_vector"]

    @admin.action(
        description="Approve and publish the selected templates (or their new version)",
        permissions=["change"],
    )
    def approve(self, request, queryset):
        apply_to_each(
            self,
            request,
            queryset,
            lambda template: moderation.template_approve(template=template, user=request.user),
            done="Approved",
        )

    @admin.action(
        description="Reject the selected templates (asks for a reason)", permissions=["change"]
    )
    def reject(self, request, queryset):
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"]
            apply_to_each(
                self,
                request,
                queryset,
                lambda template: moderation.template_reject(
                    template=template, user=request.user, reason=reason
                ),
                done="Rejected",
            )
            return None
        # The intermediate page: the reason form, carrying the selection and the action.
        context = {
            **self.admin_site.each_context(request),
            "title": "Reject templates",
            "form": form,
            "templates": queryset,
            "opts": self.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request, "admin/templates_app/template/reject_confirmation.html", context
        )

    @admin.action(description="Feature the selected templates", permissions=["change"])
    def feature(self, request, queryset):
        apply_to_each(
            self,
            request,
            queryset,
            lambda template: moderation.template_set_featured(
                template=template, user=request.user, featured=True
            ),
            done="Featured",
        )

    @admin.action(description="Stop featuring the selected templates", permissions=["change"])
    def unfeature(self, request, queryset):
        apply_to_each(
            self,
            request,
            queryset,
            lambda template: moderation.template_set_featured(
                template=template, user=request.user, featured=False
            ),
            done="Unfeatured",
        )

    @admin.action(description="Mark the selected templates as verified", permissions=["change"])
    def verify(self, request, queryset):
        apply_to_each(
            self,
            request,
            queryset,
            lambda template: moderation.template_set_verified(
                template=template, user=request.user, verified=True
            ),
            done="Verified",
        )

    @admin.action(description="Deprecate the selected templates", permissions=["change"])
    def deprecate(self, request, queryset):
        apply_to_each(
            self,
            request,
            queryset,
            lambda template: moderation.template_deprecate(
                template=template, user=request.user, reason="Deprecated by staff."
            ),
            done="Deprecated",
        )


@admin.register(Category)
class CategoryAdmin(AuditedModelAdmin):
    list_display = ("name", "slug", "position")
    list_editable = ("position",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        invalidate_marketplace()  # category names and order show on the marketplace


@admin.register(TemplateInstall)
class TemplateInstallAdmin(AuditedModelAdmin):
    list_display = ("template", "version", "user", "workspace", "workflow", "created_at")
    list_select_related = ("template", "user", "workspace", "workflow")
    list_filter = (("created_at", admin.DateFieldListFilter),)
    search_fields = ("template__name", "template__slug", "user__username", "workspace__slug")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
