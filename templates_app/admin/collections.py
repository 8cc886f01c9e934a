"""Collections: staff feature public ones on the marketplace home."""

from __future__ import annotations

from django.contrib import admin

from synapscale.admin_audit import AuditedModelAdmin
from templates_app.admin.common import apply_to_each
from templates_app.models import Collection, CollectionItem
from templates_app.services.collections import collection_set_featured


class CollectionItemInline(admin.TabularInline):
    model = CollectionItem
    fields = ("position", "template", "note", "added_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("template")


@admin.register(Collection)
class CollectionAdmin(AuditedModelAdmin):
    list_display = ("name", "workspace", "owner", "is_public", "is_featured", "created_at")
    list_filter = ("is_public", "is_featured")
    search_fields = ("name", "slug", "owner__username", "workspace__slug")
    list_select_related = ("workspace", "owner")
    readonly_fields = (
        "workspace",
        "owner",
        "name",
        "slug",
        "description",
        "is_public",
        "is_featured",
        "created_at",
        "updated_at",
    )
    inlines = (CollectionItemInline,)
    actions = ("feature", "unfeature")

    def has_add_permission(self, request):
        return False

    @admin.action(description="Feature the selected public collections", permissions=["change"])
    def feature(self, request, queryset):
        apply_to_each(
            self,
            request,
            queryset,
            lambda collection: collection_set_featured(
                collection=collection, user=request.user, featured=True
            ),
            done="Featured",
        )

    @admin.action(description="Stop featuring the selected collections", permissions=["change"])
    def unfeature(self, request, queryset):
        apply_to_each(
            self,
            request,
            queryset,
            lambda collection: collection_set_featured(
                collection=collection, user=request.user, featured=False
            ),
            done="Unfeatured",
        )
